"""``nn.Module`` send/get/move/copy, done in place so optimizers built on the model keep working."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from . import interrupts
from . import messages as m
from ._ids import new_id, tensor_id
from .errors import UnsupportedRemoteValueError
from .pointers import PointerParameter
from .transit import copy_tensor
from .world import WORLD

__all__ = ["install_module_methods"]


def _remote_parameters(module: nn.Module) -> list[Any]:
    return [p for p in module.parameters() if getattr(p, "is_pointer", False)]


# Held (see interrupts.py): the stop button leaves the whole model here or there, never split.
@interrupts.held
def _module_send(self: nn.Module, *workers: Any) -> nn.Module:
    """Send every parameter to the worker, in place; returns the module (as PySyft 0.2 did)."""
    destination = WORLD.resolve_one(workers, "send")
    me = WORLD.local_worker
    assert me is not None
    params: list[Any] = list(self.parameters())
    if any(getattr(p, "is_pointer", False) for p in params):
        where = self.location
        raise UnsupportedRemoteValueError(
            f"This {type(self).__name__} is already on {getattr(where, 'id', where)!r}. Bring it back "
            f"with model.get() first, or move it with model.move({destination.id!r})."
        )
    if any(b is not None for b in self.buffers()):
        raise UnsupportedRemoteValueError(
            f"{type(self).__name__} has buffers (e.g. BatchNorm statistics); sending modules with "
            "buffers is not supported yet. Use modules made of parameters only, such as nn.Linear."
        )
    self.__dict__.setdefault("_syft_module_id", new_id())
    sent: list[Any] = []
    with WORLD.step("send_module", module=type(self).__name__, destination=str(destination.id),
                    count=len(params), owner=str(me.id)):  # fmt: skip
        try:
            for p in params:
                stored_id = me.send_msg(m.SendObject(tensor_id(p), copy_tensor(p)), destination)
                meta = m.TensorMeta.of(p)
                with torch.no_grad():
                    p.data = torch.empty(0, dtype=p.dtype)
                p.grad = None
                p.__class__ = PointerParameter
                p._init_pointer(me, destination, stored_id, meta, new_id(), True)
                sent.append(p)
        except BaseException:
            for p in sent:  # all or nothing: bring back what already went
                p.get()
            raise
        WORLD.modules[id(self)] = self  # inside the step, so the step's snapshot shows the module
    return self


@interrupts.held
def _module_get(self: nn.Module) -> nn.Module:
    """Bring every parameter back into the same Parameter objects; returns the module."""
    params = _remote_parameters(self)
    where = self.location
    with WORLD.step("get_module", module=type(self).__name__,
                    holder=str(getattr(where, "id", "")), count=len(params)):  # fmt: skip
        for p in params:
            p.get()
    return self


@interrupts.held
def _module_move(self: nn.Module, destination: Any) -> None:
    """Move every parameter straight to ``destination``. Returns None, as in PySyft 0.2."""
    dest = WORLD.resolve(destination, "move")
    params = _remote_parameters(self)
    if not params:
        raise UnsupportedRemoteValueError(
            f"This {type(self).__name__} is local; send it first with model.send({dest.id!r})."
        )
    moved: list[tuple[Any, Any]] = []
    with WORLD.step("move_module", module=type(self).__name__, source=str(self.location.id),  # type: ignore[union-attr]
                    destination=str(dest.id), count=len(params)):  # fmt: skip
        try:
            for p in params:
                source = p.location
                p.move(dest)
                moved.append((p, source))
        except BaseException:
            for p, source in moved:  # all or nothing
                p.move(source)
            raise


def _module_copy(self: nn.Module) -> nn.Module:
    """An independent deep copy with new parameter ids."""
    copied = copy.deepcopy(self)
    copied.__dict__.pop("_syft_module_id", None)
    return copied


# Both read the whole list of parameters: a generator left unfinished is closed when Python drops
# it, and an interrupt landing there would be printed and ignored instead of raised.
def _module_location(self: nn.Module) -> Any:
    params: list[Any] = list(self.parameters())
    return params[0].location if params and getattr(params[0], "is_pointer", False) else None


def _module_owner(self: nn.Module) -> Any:
    params: list[Any] = list(self.parameters())
    return params[0].owner if params else WORLD.local_worker


def install_module_methods() -> None:
    module: Any = nn.Module
    module.send = _module_send
    module.get = _module_get
    module.move = _module_move
    module.copy = _module_copy
    module.location = property(_module_location)
    module.owner = property(_module_owner)
