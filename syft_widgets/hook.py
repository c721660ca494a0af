"""``sy.TorchHook(torch)``: creates the local worker and gives tensors and modules ``send``/``get``."""

from __future__ import annotations

import logging
from typing import Any

import torch

from . import torch_steps
from ._ids import new_id, set_tensor_id, tensor_id
from .encrypted.methods import install as install_encrypted_methods
from .errors import NotAPointerError
from .modules import install_module_methods
from .verbs import tensor_send
from .workers import VirtualWorker
from .world import WORLD

__all__ = ["TorchHook"]

log = logging.getLogger(__name__)


class TorchHook:
    """Hook torch once per session; every later hook returns the same local worker ``me``."""

    def __init__(
        self, torch_module: Any = torch, local_worker: VirtualWorker | None = None, **_: Any
    ) -> None:
        self.torch = torch_module
        if WORLD.local_worker is not None:
            log.info("Torch was already hooked; reusing the local worker %r", WORLD.local_worker.id)
            self.local_worker = WORLD.local_worker
            return
        _install_tensor_methods()
        install_encrypted_methods()  # share, fix_precision, float_precision (Parts 9, 10)
        install_module_methods()
        torch_steps.install()
        me = local_worker or VirtualWorker(self, id="me", is_client_worker=True)
        WORLD.local_worker = me
        self.local_worker = me

    def __repr__(self) -> str:
        return f"<TorchHook local_worker:{self.local_worker.id}>"


def _not_a_pointer(action: str, hint: str) -> Any:
    def method(self: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        raise NotAPointerError(
            f"This tensor is local (it lives on {WORLD.local_worker.id!r}), so .{action}() has nothing "  # type: ignore[union-attr]
            f"to reach. {hint}"
        )

    method.__name__ = action
    return method


def _tensor_copy(self: torch.Tensor) -> torch.Tensor:
    """A local copy with a new id (``x.copy()`` in PySyft)."""
    copied = self.clone()
    set_tensor_id(copied, new_id())
    return copied


def _get_id(self: torch.Tensor) -> int:
    return tensor_id(self)


def _owner(self: torch.Tensor) -> Any:
    return WORLD.local_worker


def _install_tensor_methods() -> None:
    tensor: Any = torch.Tensor
    tensor.is_pointer = False
    tensor.send = tensor_send
    tensor.get = _not_a_pointer("get", ".get() is for pointers, e.g. x_ptr = x.send(bob); x_ptr.get().")
    tensor.move = _not_a_pointer("move", "To put a copy on a worker, use x.send(bob).")
    tensor.remote_get = _not_a_pointer(
        "remote_get",
        "remote_get() is for pointers to pointers; use this tensor as it is, or send it first: x.send(bob).",
    )
    tensor.copy = _tensor_copy
    tensor.id = property(_get_id, set_tensor_id)
    tensor.owner = property(_owner)
    tensor.location = None
