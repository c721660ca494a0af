"""Running a torch call on pointers: send it to the worker holding their data, return pointers back.

``PointerMixin.__torch_function__`` hands every call here. Pointers become references that the
remote worker resolves in its store; a local tensor, or a pointer to another worker, is refused,
because all operands must live on one machine.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import torch

from . import interrupts
from . import messages as m
from ._ids import new_id
from .errors import TensorsNotCollocatedException, UnsupportedRemoteValueError
from .events import StepOp
from .functions import function_name, short_name
from .world import INTERNAL, WORLD

if TYPE_CHECKING:
    from .workers import BaseWorker

__all__ = ["MakePointer", "check_collocated", "run_remote", "to_refs"]

_PLAIN = frozenset(m.PLAIN_TYPES)
_PROPERTY = ("__get__", "__set__")  # function names of property reads and writes

# Builds a pointer from (owner, location, id_at_location, meta); pointers.py passes make_pointer.
MakePointer = Callable[["BaseWorker", "BaseWorker", int, m.TensorMeta], Any]


def run_remote(func: Any, args: tuple, kwargs: dict | None, make_pointer: MakePointer) -> Any:
    """Send one torch call on pointers to the worker that holds their data."""
    operands: list[Any] = []
    name = function_name(func)
    refs = []
    for arg in args:
        # The usual argument, a usable pointer, is encoded here: this runs for every torch call.
        if getattr(type(arg), "is_pointer", False) and not arg._spent:
            operands.append(arg)
            refs.append(arg._ref)
        else:
            refs.append(to_refs(arg, operands, name))
    encoded_args = tuple(refs)
    encoded_kwargs = {k: to_refs(v, operands, name) for k, v in kwargs.items()} if kwargs else {}
    first = operands[0]
    owner, location = first.owner, first.location
    for other in operands:  # almost always the very same worker object: checked in full only if not
        if other.location is not location:
            check_collocated(first, operands, short_name(name))
            break
    return_id = new_id()
    # Held: an interrupt waits until the reply has become a pointer (see interrupts.py). Raised
    # then, it drops the result as Python drops any value an interrupt cuts off, which deletes it.
    held = interrupts.hold()
    try:
        direct = owner.calls_directly(location)  # no message: no events are recorded (workers.py)
        if direct and not WORLD.bus.active:
            # Nobody listens: the worker runs the call without a message or a step (the fast path).
            reply = location.run_command(func, name, encoded_args, encoded_kwargs, return_id)
            if type(reply) is m.Stored:
                return make_pointer(owner, location, reply.obj_id, reply.meta)
            return _build_result(reply, operands, owner, location, make_pointer)
        # A property read (is_sparse, is_leaf) is torch asking on its own: never a step by itself.
        op: StepOp = INTERNAL if name.endswith(_PROPERTY) else "command"
        func_name, holder = short_name(name), str(location.id)
        if direct and op != INTERNAL and WORLD.open_counted_step():
            detail = {"func": func_name, "holder": holder}
            # A fast loop's batch: the step is only counted, so no message either. Written out
            # rather than as a ``with WORLD.step(...)`` block: this runs once per operation.
            try:
                reply = location.run_command(func, name, encoded_args, encoded_kwargs, return_id)
                if type(reply) is m.Stored:
                    result = make_pointer(owner, location, reply.obj_id, reply.meta)
                else:
                    result = _build_result(reply, operands, owner, location, make_pointer)
            except BaseException as exc:
                WORLD.close_counted_step(op, detail, exc)
                raise
            WORLD.close_counted_step(op, detail)
            return result
        with WORLD.step(op, func=func_name, holder=holder):
            if direct:  # the batch ended meanwhile, or the step nests in another: no message either
                reply = location.run_command(func, name, encoded_args, encoded_kwargs, return_id)
            else:
                command = m.RunCommand(name, encoded_args, encoded_kwargs, return_id, torch.is_grad_enabled())
                reply = owner.send_msg(command, location)
            if type(reply) is m.Stored:  # the usual reply: one new tensor on the worker
                return make_pointer(owner, location, reply.obj_id, reply.meta)
            return _build_result(reply, operands, owner, location, make_pointer)
    finally:
        interrupts.release(held)


def _build_result(
    reply: Any, operands: list[Any], owner: BaseWorker, location: BaseWorker, make_pointer: MakePointer
) -> Any:
    kind = type(reply)
    if kind is m.Stored:
        return make_pointer(owner, location, reply.obj_id, reply.meta)
    if kind is m.InPlace:
        for pointer in operands:
            if pointer._ref == reply.ref:
                pointer.__dict__["meta"] = reply.meta
                return pointer
    if kind is tuple and any(type(r) in (m.Stored, m.InPlace) for r in reply):
        return tuple(_build_result(r, operands, owner, location, make_pointer) for r in reply)
    return reply


def to_refs(value: Any, operands: list[Any], name: str) -> Any:
    """Replace pointers by references the remote worker resolves; refuse local tensors."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if getattr(kind, "is_pointer", False):
        if value._spent:
            value._check_usable(short_name(name))
        operands.append(value)
        return value._ref
    if isinstance(value, torch.Tensor):
        raise TensorsNotCollocatedException(
            f"You tried to call {short_name(name)} involving a pointer and a local tensor. The local "
            "tensor is on me while the pointer's data is on another worker. Send the local tensor there "
            "first (t.send(bob)), or bring the pointer's data here with .get()."
        )
    if kind in (tuple, list):
        return kind([to_refs(v, operands, name) for v in value])
    if kind is dict:
        return {k: to_refs(v, operands, name) for k, v in value.items()}
    if isinstance(value, m.PLAIN_TYPES):
        return value
    raise UnsupportedRemoteValueError(
        f"{short_name(name)} got a {type(value).__name__}, which cannot travel to another worker: "
        "only pointers and plain values (numbers, strings, shapes, dtypes) can. Use a pointer or a plain "
        "value instead, or bring the data here with .get() and call it locally."
    )


def check_collocated(first: Any, operands: list[Any], op: str) -> None:
    where: Hashable = first.location.id
    for other in operands:
        if other.location.id != where:
            raise TensorsNotCollocatedException(
                f"You tried to call {op} involving two tensors which are not on the same machine! One "
                f"tensor is on {where!r} while the other is on {other.location.id!r}. Use .move() to bring "
                f"them together first, e.g. ptr.move({where!r}), or .get() both."
            )
