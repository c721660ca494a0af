"""Summarising large stores: draw the objects that matter now, count the rest by kind, shape and dtype.

A store of 2,500 tensors drawn in full is a column 100,000 px tall. Past ``limit`` objects a store
shows what the last step touched (always), the objects the drawn pointers aim at, then its newest
objects (a store keeps insertion order, so the newest are what the recent steps added), and one
summary node for the rest: ``48 more tensors · 2 · int64``, ``3 more pointers``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from ..snapshot import ObjectView

__all__ = ["Fold", "Group", "fold_store"]

Group = tuple[str, tuple[int, ...], str]  # (kind, shape, dtype); pointers group by kind alone


@dataclass(frozen=True, slots=True)
class Fold:
    """What a store draws (in store order) and, for what it does not, how many of each group."""

    shown: list[ObjectView]
    hidden: int = 0
    groups: list[tuple[Group, int]] = field(default_factory=list)  # largest first


def fold_store(
    items: Sequence[ObjectView], limit: int, keep: Collection[int] = (), wanted: Collection[int] = ()
) -> Fold:
    """Choose at most ``limit`` nodes for a store: objects, plus the summary node when it folds.

    ``keep`` (what the last step touched) is always shown, even past the limit; ``wanted`` (targets
    of pointers drawn elsewhere) comes next, then the newest objects.

    >>> from syft_widgets.snapshot import ObjectView
    >>> objs = [ObjectView(i, "tensor", "0", (2,), "int64") for i in range(10)]
    >>> fold = fold_store(objs, 4, keep={0}, wanted={5})
    >>> [o.id for o in fold.shown], fold.hidden, fold.groups
    ([0, 5, 9], 7, [(('tensor', (2,), 'int64'), 7)])
    """
    if limit < 0:
        raise ValueError(f"max_objects_per_worker must be >= 0, got {limit}")
    if len(items) <= limit:
        return Fold(list(items))
    budget = max(limit - 1, 0)  # the summary node takes one place
    chosen = {o.id for o in items if o.id in keep} if keep else set()
    for pool in (
        (o.id for o in reversed(items) if o.id in wanted) if wanted else iter(()),
        (o.id for o in reversed(items)),
    ):
        for obj_id in pool:
            if len(chosen) >= budget:
                break
            chosen.add(obj_id)
    shown = [o for o in items if o.id in chosen]
    counts: dict[Group, int] = {}
    for o in items:
        if o.id not in chosen:
            group: Group = (o.kind, (), "") if o.kind == "pointer" else (o.kind, o.shape, o.dtype)
            counts[group] = counts.get(group, 0) + 1
    groups = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: equal counts keep store order
    return Fold(shown, len(items) - len(shown), groups)
