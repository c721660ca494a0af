"""What travels when an object leaves a worker: an independent tensor copy, or a pointer's description.

Copies keep what PySyft 0.2 kept over the wire (values, dtype, ``requires_grad``, ``.grad``, being a
``Parameter``) and drop the autograd history, so two workers never share a tensor or a graph.
"""

from __future__ import annotations

import torch

from .messages import Payload, PointerDescription

__all__ = ["copy_tensor", "pack"]


def copy_tensor(t: torch.Tensor) -> torch.Tensor:
    # issubclass, not isinstance: Parameter's metaclass makes isinstance slow, and this runs per send.
    parameter = issubclass(type(t), torch.nn.Parameter)
    copy: torch.Tensor
    if t.requires_grad:
        # Detached first, so the clone records no autograd history (no torch.no_grad() block needed:
        # entering one costs more than copying a small tensor).
        data = t.detach().clone()
        copy = torch.nn.Parameter(data, requires_grad=True) if parameter else data.requires_grad_()
    else:
        # Nothing to detach from: a tensor that does not require grad has no history (a third cheaper).
        data = t.clone()
        copy = torch.nn.Parameter(data, requires_grad=False) if parameter else data
    # Reading .grad of a non-leaf tensor only warns; a non-leaf has no stored gradient anyway.
    grad = t.grad if t.is_leaf else None
    if grad is not None:
        copy.grad = grad.detach().clone()
    return copy


def pack(obj: object) -> Payload:
    """Turn a stored object into what travels. A pointer hands its duty to delete over to the copy."""
    if getattr(obj, "is_pointer", False):
        description: PointerDescription = obj.describe()  # type: ignore[attr-defined]
        obj.garbage_collect_data = False  # type: ignore[attr-defined]
        return description
    if isinstance(obj, torch.Tensor):
        return copy_tensor(obj)
    raise TypeError(f"cannot send a {type(obj).__name__}; only tensors and pointers travel")
