"""Folding large stores: show the first objects and the ones the last step touched, count the rest."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ..snapshot import ObjectView

__all__ = ["visible_objects"]


def visible_objects(
    items: Sequence[ObjectView], limit: int, keep: Collection[int] = ()
) -> tuple[list[ObjectView], int]:
    """The objects to draw and how many are folded away.

    New objects are appended to a store, so without ``keep`` the object a step just added to a big
    store would be the one folded away. Only ``keep`` makes us look past the first ``limit``.

    >>> from syft_widgets.snapshot import ObjectView
    >>> objs = [ObjectView(i, "tensor", "0", (), "int64") for i in range(10)]
    >>> shown, hidden = visible_objects(objs, 3, keep={9})
    >>> [o.id for o in shown], hidden
    ([0, 1, 2, 9], 6)
    """
    if limit < 0:
        raise ValueError(f"max_objects_per_worker must be >= 0, got {limit}")
    if len(items) <= limit:
        return list(items), 0
    shown = list(items[:limit])
    if keep:
        shown.extend(o for o in items[limit:] if o.id in keep)
    return shown, len(items) - len(shown)
