"""How one stored object looks in a snapshot or event (a small, data-free ``ObjectView``)."""

from __future__ import annotations

import torch

from .snapshot import ObjectKind, ObjectView, preview

__all__ = ["dtype_name", "view_of"]

_cache: dict[tuple[int, int, int], ObjectView] = {}
_CACHE_LIMIT = 50_000


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.int64`` -> ``"int64"``."""
    return str(dtype).removeprefix("torch.")


def view_of(obj_id: int, obj: object) -> ObjectView:
    """The view of a stored tensor, parameter or pointer.

    Tensor views are cached by (object, version): torch bumps ``_version`` on every in-place change,
    so a cached preview is never stale, and a long session does not format the same tensor twice.
    """
    if getattr(obj, "is_pointer", False):
        return obj.object_view()  # type: ignore[attr-defined]
    if not isinstance(obj, torch.Tensor):
        return ObjectView(obj_id, "tensor", type(obj).__name__, (), "object")
    key = (obj_id, id(obj), obj._version)
    view = _cache.get(key)
    if view is None:
        if len(_cache) > _CACHE_LIMIT:
            _cache.clear()
        kind: ObjectKind = "parameter" if isinstance(obj, torch.nn.Parameter) else "tensor"
        view = ObjectView(
            obj_id, kind, preview(obj), tuple(obj.shape), dtype_name(obj.dtype), obj.requires_grad
        )
        _cache[key] = view
    return view
