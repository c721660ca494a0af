"""How one stored object looks in a snapshot or event (a small, data-free ``ObjectView``)."""

from __future__ import annotations

import torch

from .snapshot import ObjectKind, ObjectView, preview

__all__ = ["dtype_name", "kind_of", "view_of"]


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.int64`` -> ``"int64"``."""
    return str(dtype).removeprefix("torch.")


def kind_of(obj: object) -> ObjectKind:
    """ "pointer", "parameter" or "tensor"."""
    if getattr(obj, "is_pointer", False):
        return "pointer"
    return "parameter" if isinstance(obj, torch.nn.Parameter) else "tensor"


def view_of(
    obj_id: int, obj: object, cache: dict[int, tuple[int, int, ObjectView]] | None = None
) -> ObjectView:
    """The view of a stored tensor, parameter or pointer.

    A store passes its own ``cache`` (object id -> (identity, version, view)) and drops an entry when
    the object leaves, so the cache never outgrows the store. Torch bumps ``_version`` on every
    in-place change, so a cached preview is never stale.
    """
    if getattr(obj, "is_pointer", False):
        return obj.object_view()  # type: ignore[attr-defined]
    if not isinstance(obj, torch.Tensor):
        return ObjectView(obj_id, "tensor", type(obj).__name__, (), "object")
    version = obj._version
    if cache is not None:
        found = cache.get(obj_id)
        if found is not None and found[0] == id(obj) and found[1] == version:
            return found[2]
    kind: ObjectKind = "parameter" if isinstance(obj, torch.nn.Parameter) else "tensor"
    view = ObjectView(obj_id, kind, preview(obj), tuple(obj.shape), dtype_name(obj.dtype), obj.requires_grad)
    if cache is not None:
        cache[obj_id] = (id(obj), version, view)
    return view
