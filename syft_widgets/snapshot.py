"""Immutable, data-free pictures of the world: what each worker holds, for diagrams and replay.

A snapshot never references a tensor, so keeping thousands of them keeps no tensor data alive.
``view_of`` makes the picture of one stored object; stores and events use it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod
from typing import Literal

import torch

__all__ = [
    "ModuleView",
    "ObjectKind",
    "ObjectView",
    "ShareTag",
    "WorkerView",
    "WorldSnapshot",
    "dtype_name",
    "kind_of",
    "preview",
    "view_of",
]

ObjectKind = Literal["tensor", "parameter", "pointer"]


@dataclass(frozen=True, slots=True)
class ShareTag:
    """Marks a stored tensor as one additive share of a secret (see ``syft_widgets.encrypted``).

    ``secret`` is the same on every share of one secret (a diagram groups them by it); ``index`` is
    this share's place among ``holders``, the ids of every worker holding a share of it.
    """

    secret: int
    index: int
    holders: tuple[str, ...]
    crypto_provider: str | None = None


_PREVIEW_ITEMS = 6


@dataclass(frozen=True, slots=True)
class ObjectView:
    """One object as a diagram sees it.

    For a pointer, ``location`` and ``id_at_location`` say where it points; ``point_to_attr`` is set
    for attribute pointers such as ``x.grad``. ``spent`` marks a local pointer that ``.get()`` used up
    in the step of this snapshot: it is drawn once, faded, and is gone from later snapshots.
    ``share`` is set on a share of a secret; ``precision`` on a fixed-point value (its fractional
    decimal digits): both come from ``syft_widgets.encrypted``.
    """

    id: int
    kind: ObjectKind
    preview: str
    shape: tuple[int, ...]
    dtype: str
    requires_grad: bool = False
    location: str | None = None
    id_at_location: int | None = None
    point_to_attr: str | None = None
    spent: bool = False
    share: ShareTag | None = None
    precision: int | None = None
    grad: str | None = None  # a stored parameter's gradient (preview): it travels with the parameter


@dataclass(frozen=True, slots=True)
class ModuleView:
    """An ``nn.Module`` whose parameters live on a worker; ``parameters`` maps names to pointer ids."""

    id: int
    class_name: str
    location: str | None
    parameters: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class WorkerView:
    """One worker: its store (``objects``, insertion order) and, for the local worker, live pointers.

    ``placement`` says where a worker in another process runs (a Ray worker: its node's short id).
    """

    id: str
    kind: Literal["local", "virtual", "ray"]
    online: bool
    objects: tuple[ObjectView, ...]
    pointers: tuple[ObjectView, ...] = ()
    placement: str | None = None


@dataclass(frozen=True, slots=True)
class WorldSnapshot:
    """Every worker, the local worker first and then in creation order, plus modules sent away."""

    workers: tuple[WorkerView, ...]
    modules: tuple[ModuleView, ...] = ()

    def worker(self, worker_id: str) -> WorkerView:
        for w in self.workers:
            if w.id == worker_id:
                return w
        known = ", ".join(repr(w.id) for w in self.workers)
        raise KeyError(f"no worker {worker_id!r} in this snapshot; known workers: {known}")


def _format_number(v: object) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def preview(t: torch.Tensor, items: int = _PREVIEW_ITEMS) -> str:
    """A short, cheap text of a tensor's values, nested as torch prints it, at most ``items`` numbers.

    torch's own repr is far too slow to call per step. Only the first ``items`` values are read.

    >>> preview(torch.tensor([1, 2, 3, 4]))
    '[1, 2, 3, 4]'
    >>> preview(torch.arange(10))
    '[0, 1, 2, 3, 4, 5, …]'
    >>> preview(torch.tensor(2.5))
    '2.5'
    >>> preview(torch.tensor([[0, 0], [0, 1]]))
    '[[0, 0], [0, 1]]'
    >>> preview(torch.arange(12).reshape(3, 4))
    '[[0, 1, 2, 3], [4, 5, …], …]'
    """
    if t.dim() == 0:
        return _format_number(t.item())
    head = [_format_number(v) for v in t.detach().reshape(-1)[:items].tolist()]
    return _nested(head, tuple(t.shape))


def _nested(values: list[str], shape: tuple[int, ...]) -> str:
    # Lay the values read so far out in the tensor's own nesting; "…" marks where reading stopped.
    if len(shape) == 1:
        shown = values[: shape[0]]
        return "[" + ", ".join([*shown, "…"] if len(shown) < shape[0] else shown) + "]"
    inner = prod(shape[1:])
    rows: list[str] = []
    for row in range(shape[0]):
        chunk = values[row * inner : (row + 1) * inner]
        if not chunk and inner:
            rows.append("…")
            break
        rows.append(_nested(chunk, shape[1:]))
        if len(chunk) < inner:
            if row + 1 < shape[0]:
                rows.append("…")
            break
    return "[" + ", ".join(rows) + "]"


# --- one stored object as a view -------------------------------------------------------------------
def dtype_name(dtype: torch.dtype) -> str:
    """``torch.int64`` -> ``"int64"``."""
    return str(dtype).removeprefix("torch.")


def kind_of(obj: object) -> ObjectKind:
    """ "pointer", "parameter" or "tensor"."""
    if getattr(obj, "is_pointer", False):
        return "pointer"
    # issubclass, not isinstance: Parameter's metaclass makes isinstance a slow Python call.
    return "parameter" if issubclass(type(obj), torch.nn.Parameter) else "tensor"


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
    grad = obj.grad if type(obj) is torch.nn.Parameter else None
    if grad is not None:  # a new gradient changes the view too (backward() leaves _version as it is)
        version = hash((version, id(grad), grad._version))
    if cache is not None:
        found = cache.get(obj_id)
        if found is not None and found[0] == id(obj) and found[1] == version:
            return found[2]
    kind: ObjectKind = "parameter" if issubclass(type(obj), torch.nn.Parameter) else "tensor"
    view = ObjectView(obj_id, kind, preview(obj), tuple(obj.shape), dtype_name(obj.dtype), obj.requires_grad)
    marks = obj.__dict__  # syft_widgets.encrypted marks shares and fixed-point values here
    if marks:
        view = replace(view, share=marks.get("share_tag"), precision=marks.get("precision_fractional"))
    if grad is not None:
        view = replace(view, grad=preview(grad))
    if cache is not None:
        cache[obj_id] = (id(obj), version, view)
    return view
