"""Where ``send``, ``get`` and ``move`` live, for a tensor, a pointer and a model.

Each verb is a client half (below, or a pointer method) that sends one message, and a server half,
the worker's handler for it (see the table in :mod:`messages`):

========  ==========================  ===========================  ==========================
verb      a local tensor ``x``        a pointer ``x_ptr``          a model ``model``
========  ==========================  ===========================  ==========================
send      :func:`tensor_send`         ``PointerMixin.send``        :func:`module_send`
get       refused (it is local)       ``PointerMixin.get``         :func:`module_get`
                                      (``PointerParameter.get``
                                      for a model's parameter)
move      refused (it is local)       ``PointerMixin.move``        :func:`module_move`
========  ==========================  ===========================  ==========================

``sy.TorchHook(torch)`` installs these as methods of ``torch.Tensor`` and ``nn.Module``. A model's
parameters change between local and pointer in place: ``pointers.to_pointer`` and
``pointers.to_local``, side by side.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from . import interrupts
from . import messages as m
from ._ids import new_id, tensor_id
from .errors import PointerCycleError, UnsupportedRemoteValueError
from .pointers import make_pointer, to_pointer
from .transit import copy_tensor
from .world import WORLD

__all__ = ["module_get", "module_move", "module_send", "tensor_send"]


# --- a local tensor ---------------------------------------------------------------------------------
def tensor_send(self: torch.Tensor, *workers: Any, garbage_collect_data: bool = True) -> Any:
    """Send a copy of this tensor to a worker; returns a pointer to it. The local tensor stays."""
    destination = WORLD.resolve_one(workers, "send")
    me = WORLD.local_worker
    assert me is not None  # the hook installed this method, so it created me
    if destination.id == me.id:
        raise PointerCycleError(
            f"This tensor is already on {me.id!r}, your own worker; send it to another worker, "
            "e.g. x.send(bob)."
        )
    # Held (interrupts.py): a copy stored on the worker always gets its pointer, which an interrupt
    # right after drops, deleting the copy.
    held = interrupts.hold()
    try:
        direct = me.calls_directly(destination)  # no events recorded: no message (workers.py)
        if direct and not WORLD.bus.active:  # nobody listens: no step either
            stored_id = destination.store_object(tensor_id(self), copy_tensor(self))
            return make_pointer(me, destination, stored_id, m.TensorMeta.of(self), gc=garbage_collect_data)
        with WORLD.step("send", kind=m.payload_kind(self), destination=str(destination.id),
                        grads=m.payload_grads(self)):  # fmt: skip
            if direct:  # a fast loop's batch only counts the step
                stored_id = destination.store_object(tensor_id(self), copy_tensor(self))
            else:
                stored_id = me.send_msg(m.SendObject(tensor_id(self), copy_tensor(self)), destination)
            return make_pointer(me, destination, stored_id, m.TensorMeta.of(self), gc=garbage_collect_data)
    finally:
        interrupts.release(held)


# --- a model: every parameter at once, all or nothing -------------------------------------------------
def _send_copy(me: Any, tensor: torch.Tensor, destination: Any) -> int:
    """Store a copy of ``tensor`` on ``destination``; returns its key there."""
    if me.calls_directly(destination):  # no events recorded: no message (workers.py)
        return int(destination.store_object(tensor_id(tensor), copy_tensor(tensor)))
    return int(me.send_msg(m.SendObject(tensor_id(tensor), copy_tensor(tensor)), destination))


def _remote_parameters(module: nn.Module) -> list[Any]:
    return [p for p in module.parameters() if getattr(p, "is_pointer", False)]


# Held (see interrupts.py): the stop button leaves the whole model here or there, never split.
@interrupts.held
def module_send(self: nn.Module, *workers: Any) -> nn.Module:
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
                    count=len(params), grads=sum(m.payload_grads(p) for p in params)):  # fmt: skip
        try:
            for p in params:
                stored_id = _send_copy(me, p, destination)
                sent.append(to_pointer(p, me, destination, stored_id, m.TensorMeta.of(p)))
        except BaseException:
            for p in sent:  # all or nothing: bring back what already went
                p.get()
            raise
        WORLD.modules[id(self)] = self  # inside the step, so the step's snapshot shows the module
    return self


@interrupts.held
def module_get(self: nn.Module) -> nn.Module:
    """Bring every parameter back into the same Parameter objects; returns the module."""
    # One walk over the parameters (it costs microseconds): the pointers among them and, as
    # ``self.location`` says, the first one's worker.
    all_params: list[Any] = list(self.parameters())
    params = [p for p in all_params if getattr(p, "is_pointer", False)]
    where = all_params[0].location if params and params[0] is all_params[0] else None
    fetched: list[tuple[Any, Any, int, bool]] = []
    with WORLD.step("get_module", module=type(self).__name__,
                    holder=str(getattr(where, "id", "")), count=len(params)) as step:  # fmt: skip
        try:
            for p in params:
                pointer = (p, p.location, p.id, p.garbage_collect_data)
                p.get()
                fetched.append(pointer)
        except BaseException:
            for p, location, ptr_id, deletes in fetched:  # all or nothing: send back what came
                _send_back(p, location, ptr_id, deletes)
            raise
        # The gradients that came along (a fast loop's batch keeps the count: the seen ledger).
        step.note(grads=sum(m.payload_grads(p) for p in params))
    return self


def _send_back(param: Any, location: Any, ptr_id: int, deletes: bool) -> None:
    """Undo one parameter's ``.get()``: its data returns to ``location``, it is the same pointer again."""
    if getattr(param, "is_pointer", False):
        return  # it pointed to a pointer, and now points one hop on: the data never left
    me = WORLD.local_worker
    assert me is not None
    meta = m.TensorMeta.of(param)
    stored_id = _send_copy(me, param, location)
    to_pointer(param, me, location, stored_id, meta, ptr_id).garbage_collect_data = deletes


@interrupts.held
def module_move(self: nn.Module, destination: Any) -> None:
    """Move every parameter straight to ``destination``. Returns None, as in PySyft 0.2."""
    dest = WORLD.resolve(destination, "move")
    params = _remote_parameters(self)
    if not params:
        raise UnsupportedRemoteValueError(
            f"This {type(self).__name__} is local; send it first with model.send({dest.id!r})."
        )
    moved: list[tuple[Any, Any]] = []
    grads = 0
    with WORLD.step("move_module", module=type(self).__name__, source=str(self.location.id),  # type: ignore[union-attr]
                    destination=str(dest.id), count=len(params)) as step:  # fmt: skip
        try:
            for p in params:
                source = p.location
                grads += p._move(dest)[1]
                moved.append((p, source))
        except BaseException:
            for p, source in moved:  # all or nothing
                p.move(source)
            raise
        step.note(grads=grads)  # the gradients that went along: a fast loop's batch keeps the count
