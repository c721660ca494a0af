"""Pointers: tensors with no data of their own that stand for a tensor held by another worker.

A pointer is a real ``torch.Tensor`` subclass. Torch hands every function call on it to
``__torch_function__``, which sends the call to the worker holding the data and returns a new
pointer to the result (``+ - * /`` go there a step sooner: see :func:`_arithmetic`). Pointers to
pointers need nothing special: the worker in the middle holds a pointer, so running the command
there forwards it one hop further.

The verbs come first in :class:`PointerMixin` (``get``, ``send``, ``move``); :mod:`verbs` lists
where each verb lives for tensors, pointers and models.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from . import interrupts
from . import messages as m
from ._ids import new_id, set_tensor_id
from .errors import PointerCycleError, RemoteValueError, SpentPointerError, UnsupportedRemoteValueError
from .events import StepOp
from .remote import check_collocated, run_remote, to_refs
from .snapshot import ObjectView, dtype_name, kind_of
from .transit import pack
from .world import INTERNAL, WORLD

if TYPE_CHECKING:
    from .workers import BaseWorker

__all__ = [
    "PointerParameter",
    "PointerTensor",
    "make_pointer",
    "pointer_from_description",
    "to_local",
    "to_pointer",
]

_EMPTY = torch.empty(0)
_NUMBERS = frozenset({int, float, bool})


def _arithmetic(func: Any, torch_operator: Any) -> Any:
    """A binary operator that hands the usual operands straight to ``run_remote``.

    ``x_ptr + y_ptr`` and ``x_ptr * 2`` are the commonest calls in the tutorials. Torch's own
    operator would reach ``__torch_function__`` with ``func`` and the same two arguments after
    checking every operand for overrides; going straight there is the same call (the same step and
    message), a sixth less time for a 4-element add. Any other operand (a local tensor, a string)
    takes torch's way, with torch's errors.
    """

    def operator(self: Any, other: Any) -> Any:
        if type(other) in _NUMBERS or getattr(type(other), "is_pointer", False):
            return run_remote(func, (self, other), None, make_pointer)
        return torch_operator(self, other)

    operator.__name__ = torch_operator.__name__
    return operator


class PointerMixin:
    """Everything a pointer adds to a tensor; shared by :class:`PointerTensor` and ``PointerParameter``."""

    is_pointer = True
    # Class-level defaults: they shadow the properties the hook adds to torch.Tensor (id, owner,
    # location), so that a pointer's own values live in its instance dict.
    id: int = 0
    owner: Any = None
    location: Any = None
    id_at_location: int = 0
    garbage_collect_data: bool = False
    point_to_attr: str | None = None
    meta: m.TensorMeta = m.TensorMeta((), torch.float32, False)
    _ref: m.ObjectRef = m.ObjectRef(0)
    _spent: bool = False

    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        return run_remote(func, args, kwargs, make_pointer)

    # The functions torch itself would hand __torch_function__ for these operators (1 + x_ptr too).
    __add__ = _arithmetic(torch.Tensor.add, torch.Tensor.__add__)
    __radd__ = _arithmetic(torch.Tensor.add, torch.Tensor.__radd__)
    __sub__ = _arithmetic(torch.Tensor.sub, torch.Tensor.__sub__)
    __mul__ = _arithmetic(torch.Tensor.mul, torch.Tensor.__mul__)
    __rmul__ = _arithmetic(torch.Tensor.mul, torch.Tensor.__rmul__)
    __truediv__ = _arithmetic(torch.Tensor.div, torch.Tensor.__truediv__)

    def _init_pointer(
        self,
        owner: BaseWorker,
        location: BaseWorker,
        id_at_location: int,
        meta: m.TensorMeta,
        ptr_id: int,
        gc: bool,
        attr: str | None = None,
    ) -> None:
        # Item by item: a call with nine keyword arguments costs more than these nine stores, and
        # one pointer is made per operation.
        state = self.__dict__
        state["id"] = ptr_id
        state["owner"] = owner
        state["location"] = location
        state["id_at_location"] = id_at_location
        state["garbage_collect_data"] = gc
        state["point_to_attr"] = attr
        state["meta"] = meta
        state["_ref"] = m.ObjectRef(id_at_location, attr)
        state["_spent"] = False
        if owner.is_client_worker and attr is None:
            WORLD.track_pointer(self)

    # --- moving data around --------------------------------------------------------------------
    def get(self) -> Any:
        """Bring the object back from its worker, which forgets it. The pointer is spent afterwards."""
        self._check_usable("get")
        deletes = self.garbage_collect_data
        owner, location = self.owner, self.location
        held = interrupts.hold()  # an interrupt waits for the release below (see interrupts.py)
        try:
            direct = owner.calls_directly(location)  # no events recorded: no message (workers.py)
            if direct and not WORLD.bus.active:  # nobody listens: no step either
                result = self._arrived(location.request_object(self._ref))
            else:
                # Everything a step changes happens inside it, so the step's snapshot shows the result.
                with WORLD.step("get", holder=str(location.id)) as step:
                    if direct:  # a fast loop's batch only counts the step
                        payload = location.request_object(self._ref)
                    else:
                        payload = owner.send_msg(m.RequestObject(self._ref), location)
                    result = self._arrived(payload)
                    # A value (with its gradient?) or a pointer: a batch keeps it (seen ledger).
                    step.note(kind=kind_of(result), grads=m.payload_grads(payload))
        except BaseException:
            interrupts.release(held)
            raise
        # Interrupted now, the learner would never receive the result: it goes back instead.
        interrupts.release(held, None if self.point_to_attr else lambda: self._put_back(result, deletes))
        return result

    def _arrived(self, payload: m.Payload) -> Any:
        """What ``.get()`` returns, from what arrived. Fetching a whole object spends this pointer."""
        if self.point_to_attr:  # an attribute comes as a copy; its parent stays there
            return payload
        result = _materialize(payload, self.owner, self.id_at_location)
        self._retire()
        WORLD.pointer_retired(self)
        return result

    def send(self, *workers: Any, garbage_collect_data: bool = True) -> Any:
        """Send this pointer to another worker: a pointer to a pointer. The data does not move."""
        self._check_usable("send")
        destination = WORLD.resolve_one(workers, "send")
        if self.point_to_attr:
            raise UnsupportedRemoteValueError(
                f"Cannot send the attribute pointer ::{self.point_to_attr}; send the tensor it belongs to."
            )
        if destination.id == self.location.id:
            raise PointerCycleError(
                f"This pointer already points to {self.location.id!r}; sending it there would make "
                f"{self.location.id!r} point to itself. Keep using the pointer, or send it to another worker."
            )
        if destination.id == self.owner.id:
            raise PointerCycleError(
                f"This pointer already belongs to {self.owner.id!r}. To bring the data here, call .get()."
            )
        held = interrupts.hold()  # an interrupt waits for the release below (see interrupts.py)
        try:
            with WORLD.step("send", kind="pointer", destination=str(destination.id)):
                stored_id = self.owner.send_msg(m.SendObject(self.id, self.describe()), destination)
                # The newest pointer in a chain is the one that deletes the data when it dies.
                deletes, self.garbage_collect_data = self.garbage_collect_data, False
                sent = make_pointer(self.owner, destination, stored_id, self.meta, gc=garbage_collect_data)
        except BaseException:
            interrupts.release(held)
            raise
        # Interrupted now, the new pointer would die at once and delete the data this one reaches.
        interrupts.release(held, lambda: self._take_back(sent, deletes))
        return sent

    def move(self, destination: Any) -> Any:
        """Move the object straight from its worker to ``destination``; returns this pointer.

        Moving it to its owner is a ``.get()``, and returns what ``.get()`` returns.
        """
        return self._move(destination)[0]

    def _move(self, destination: Any) -> tuple[Any, int]:
        """``move()``, and how many gradients went along (a model's move counts them for its step)."""
        self._check_usable("move")
        dest = WORLD.resolve(destination, "move")
        if self.point_to_attr:
            raise UnsupportedRemoteValueError(
                f"Cannot move the attribute pointer ::{self.point_to_attr}; move the tensor it belongs to."
            )
        if dest.id == self.owner.id:
            result = self.get()
            return result, m.payload_grads(result)
        if dest.id == self.location.id:
            return self, 0
        where = str(self.location.id)
        with (
            interrupts.Held(),
            WORLD.step("move", source=where, destination=str(dest.id)) as step,
        ):
            new_id, kind, grads = self.owner.send_msg(
                m.ForwardObject(self.id_at_location, dest.id), self.location
            )
            # Known once moved: a fast loop's batch keeps them (the seen ledger).
            step.note(kind=kind, grads=grads)
            WORLD.retire_twins(self)  # other objects with this id still point at the old place
            self.__dict__.update(location=dest, id_at_location=new_id, _ref=m.ObjectRef(new_id, None))
        return self, grads

    def remote_get(self) -> Any:
        """Ask the worker holding a pointer to fetch what it points to and keep it (one hop closer)."""
        self._check_usable("remote_get")
        with (
            interrupts.Held(),
            WORLD.step("remote_get", holder=str(self.location.id)),
        ):
            meta = self.owner.send_msg(m.RemoteGet(self.id_at_location), self.location)
            self.__dict__["meta"] = meta
        return self

    def copy(self) -> Any:
        """A new remote copy of the tensor, on the same worker."""
        return run_remote(torch.Tensor.clone, (self,), {}, make_pointer)

    def __deepcopy__(self, memo: dict) -> Any:
        # copy.deepcopy on the worker keeps a Parameter a Parameter (model.copy() of a sent model).
        copied = run_remote(copy.deepcopy, (self,), {}, make_pointer)
        memo[id(self)] = copied
        return copied

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise UnsupportedRemoteValueError(
            "A pointer cannot be pickled: it means nothing outside this session. Call .get() first."
        )

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]  # type: ignore[index]

    # --- what it shows -------------------------------------------------------------------------
    def __repr__(self) -> str:
        text = (
            f"(Wrapper)>[PointerTensor | {self.owner.id}:{self.id} -> "
            f"{self.location.id}:{self.id_at_location}]"
        )
        if self.point_to_attr:
            text += f"::{self.point_to_attr}"
        if self._spent:
            text += " (retrieved)"
        return text

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(repr(self), spec)

    def __hash__(self) -> int:
        return id(self)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(type(self))) | set(self.__dict__))

    @property
    def child(self) -> PointerMixin:
        """PySyft 0.2 kept pointer fields on ``.child``; here the wrapper is its own child."""
        return self

    @property
    def is_live_pointer(self) -> bool:
        return not self._spent

    def object_view(self) -> ObjectView:
        """How this pointer appears in a snapshot.

        Every recorded step's snapshot shows every local pointer, so the view is kept with the
        pointer and made again only when what it shows has changed (five times cheaper per step).
        """
        meta, location = self.meta, self.location
        shown = (self.id, meta, location, self.id_at_location, self.point_to_attr)
        kept = self.__dict__.get("_view")
        if kept is not None and kept[0] == shown:
            return kept[1]
        view = ObjectView(
            self.id,
            "pointer",
            f"→ {self.location.id}:{self.id_at_location}",
            meta.shape,
            dtype_name(meta.dtype),
            meta.requires_grad,
            str(location.id),
            self.id_at_location,
            self.point_to_attr,
        )
        self.__dict__["_view"] = (shown, view)
        return view

    def describe(self) -> m.PointerDescription:
        return m.PointerDescription(
            self.id, self.location.id, self.id_at_location, self.meta, self.point_to_attr
        )

    def adopt_id(self, obj_id: int) -> None:
        """A stored pointer's own id is the key it is stored under."""
        self.__dict__["id"] = obj_id

    # --- cached metadata: answering these needs no message ------------------------------------
    @property
    def shape(self) -> torch.Size:
        return torch.Size(self.meta.shape)

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.meta.shape[dim]

    def dim(self) -> int:
        return len(self.meta.shape)

    @property
    def ndim(self) -> int:
        return len(self.meta.shape)

    def numel(self) -> int:
        return self.shape.numel()

    def __len__(self) -> int:
        if not self.meta.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.meta.shape[0]

    @property
    def dtype(self) -> torch.dtype:
        return self.meta.dtype

    @property
    def requires_grad(self) -> bool:
        return self.meta.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        with interrupts.Held():  # the remote flag and the cached one change together
            self._set_remote("requires_grad", bool(value))
            meta = self.meta
            self.__dict__["meta"] = m.TensorMeta(meta.shape, meta.dtype, bool(value), meta.is_parameter)

    # --- attributes of the remote tensor -------------------------------------------------------
    @property
    def grad(self) -> Any:
        """A pointer to the remote tensor's ``.grad``, or None when it has none (unlike PySyft 0.2)."""
        self._check_usable("grad")
        owner, location = self.owner, self.location
        if owner.calls_directly(location):  # no events recorded: no message, and it is no step (workers.py)
            reply = location.query_attribute(self._ref, "grad")
        else:
            reply = owner.send_msg(m.QueryAttribute(self._ref, "grad"), location)
        return None if reply is None else self._attribute_pointer("grad", reply)

    @grad.setter
    def grad(self, value: Any) -> None:
        self._set_remote("grad", value)

    @property
    def data(self) -> Any:
        """A pointer to the remote tensor's ``.data``."""
        self._check_usable("data")
        return self._attribute_pointer("data", self.meta)

    @data.setter
    def data(self, value: Any) -> None:
        self._set_remote("data", value)

    def _attribute_pointer(self, attr: str, meta: m.TensorMeta) -> PointerTensor:
        path = f"{self.point_to_attr}.{attr}" if self.point_to_attr else attr
        # Metadata is never changed once made, so a plain tensor's can be shared as it is.
        plain = m.TensorMeta(meta.shape, meta.dtype, meta.requires_grad, False) if meta.is_parameter else meta
        return make_pointer(
            self.owner, self.location, self.id_at_location, plain, ptr_id=self.id, gc=False, attr=path
        )

    def _set_remote(self, attr: str, value: Any) -> None:
        self._check_usable(attr)
        pointers: list[PointerMixin] = []
        encoded = to_refs(value, pointers, attr)
        check_collocated(self, pointers, f"setting .{attr}")
        owner, location = self.owner, self.location
        held = interrupts.hold()
        try:
            direct = owner.calls_directly(location)  # no events recorded: no message (workers.py)
            if direct and not WORLD.bus.active:  # nobody listens: no step either
                location.set_attribute(self._ref, attr, encoded)
                return
            # Torch writes .grad and .data by itself (zero_grad, optimizers): those fold into its step.
            op: StepOp = INTERNAL if attr in ("grad", "data") else "command"
            with WORLD.step(op, func=f"set {attr}", holder=str(location.id)):
                if direct:  # a fast loop's batch only counts the step
                    location.set_attribute(self._ref, attr, encoded)
                else:
                    owner.send_msg(m.SetAttribute(self._ref, attr, encoded), location)
        finally:
            interrupts.release(held)

    # --- values that only exist where the data is ---------------------------------------------
    def _no_value(self, what: str) -> Any:
        raise RemoteValueError(
            f'Error, Please consider calling ".get" method instead of "{what}": this tensor lives on '
            f"{self.location.id!r}, so its value is not here. "
            f"Use ptr.get(){'' if what == 'bool()' else '.' + what}."
        )

    def item(self) -> Any:
        return self._no_value("item()")

    def tolist(self) -> Any:
        return self._no_value("tolist()")

    def numpy(self, *args: Any, **kwargs: Any) -> Any:
        return self._no_value("numpy()")

    def __bool__(self) -> bool:
        return self._no_value("bool()")

    def __int__(self) -> int:
        return self._no_value("int()")

    def __float__(self) -> float:
        return self._no_value("float()")

    def __index__(self) -> int:
        return self._no_value("index")

    # --- lifetime ------------------------------------------------------------------------------
    def _check_usable(self, action: str) -> None:
        if self._spent:
            where = self.location.id
            raise SpentPointerError(
                f"This pointer was already used with .get(), which brought its tensor back from {where!r} "
                f"and removed it there, so .{action} cannot reach it. Use the tensor that .get() returned "
                f"(x = x_ptr.get()), or send it again with x.send({where!r})."
            )

    def _retire(self) -> None:
        state = self.__dict__  # item by item: cheaper than update() with keywords, once per .get()
        state["_spent"] = True
        state["garbage_collect_data"] = False

    # --- taking an interrupted operation back (see interrupts.py) -------------------------------
    def _put_back(self, result: Any, deletes: bool) -> None:
        """Undo a ``.get()`` the stop button interrupted: the object returns, this pointer works again."""
        with WORLD.step("get", holder=str(self.location.id)):
            WORLD.step_failed(KeyboardInterrupt())
            stored_id = self.owner.send_msg(m.SendObject(self.id_at_location, pack(result)), self.location)
        if getattr(result, "is_pointer", False):
            result._retire()  # its duty to delete went back with it
        self.__dict__.update(
            _spent=False, garbage_collect_data=deletes, id_at_location=stored_id, _ref=m.ObjectRef(stored_id)
        )

    def _take_back(self, sent: PointerMixin, deletes: bool) -> None:
        """Undo sending this pointer: the receiver forgets its copy (fetching it deletes nothing)."""
        location = sent.location
        with WORLD.step("send", kind="pointer", destination=str(location.id)):
            WORLD.step_failed(KeyboardInterrupt())
            self.owner.send_msg(m.RequestObject(sent._ref), location)
        sent._retire()
        self.garbage_collect_data = deletes

    @interrupts.finalizer  # Python ignores what __del__ raises: an interrupt here waits for the next op
    def __del__(self) -> None:
        # Dropping the last pointer deletes the remote object (PySyft's garbage collection).
        try:
            WORLD.forget_pointer(self)
            state = self.__dict__
            # At interpreter exit every worker goes away with the process; sending deletes then
            # would only wake listeners that can no longer start threads (and hang the exit).
            if sys.is_finalizing():
                return
            if state.get("garbage_collect_data") and not state.get("_spent"):
                state["_spent"] = True  # so the step's snapshot no longer shows this pointer
                location, owner = state["location"], state["owner"]
                if owner.calls_directly(location):  # no events recorded: no message (workers.py)
                    location.delete_object(state["id_at_location"])
                    # A fast loop's batch counts the learner's deletes. A worker's own pointer deleted
                    # by this one (a chain) is part of this delete, as it is in a recorded step.
                    if WORLD.bus.active and owner.is_client_worker:
                        WORLD.count_step("gc")
                    return
                with WORLD.step("gc", holder=str(location.id)):
                    try:
                        owner.send_msg(m.DeleteObject(state["id_at_location"]), location)
                    except Exception:
                        pass  # a delete that fails (a worker gone) fails no step: the learner asked for none
        except Exception:
            pass


class PointerTensor(PointerMixin, torch.Tensor):  # type: ignore[misc, override]
    """A pointer to a tensor on another worker; prints as ``(Wrapper)>[PointerTensor | me:1 -> bob:2]``."""


class PointerParameter(PointerMixin, torch.nn.Parameter):  # type: ignore[override]
    """A model parameter whose data lives on another worker.

    ``model.send(bob)`` turns each parameter into one of these *in place*, so optimizers built on the
    model keep working; ``.get()`` turns it back into an ordinary local ``Parameter``.
    """

    def __repr__(self) -> str:  # type: ignore[override]
        return "Parameter containing:\n" + super().__repr__()

    def get(self) -> Any:
        """Bring the data back into this very Parameter object, which becomes local again."""
        self._check_usable("get")
        if self.point_to_attr:
            return super().get()
        owner, location = self.owner, self.location
        held = interrupts.hold()
        try:
            direct = owner.calls_directly(location)  # no events recorded: no message (workers.py)
            if direct and not WORLD.bus.active:  # nobody listens: no step either
                to_local(self, location.request_object(self._ref))
            else:
                with WORLD.step("get", holder=str(location.id)) as step:
                    if direct:  # a fast loop's batch only counts the step
                        payload = location.request_object(self._ref)
                    else:
                        payload = owner.send_msg(m.RequestObject(self._ref), location)
                    to_local(self, payload)
                    # A value (with its gradient?), or a pointer one hop on: a batch keeps it (seen ledger).
                    step.note(kind=m.payload_kind(payload), grads=m.payload_grads(payload))
        finally:
            interrupts.release(held)
        return self


# --- a model's parameter, here or there: the two conversions, done in place -------------------------
# In place, so that an optimizer built on the model keeps working on the very same objects.
def to_pointer(
    param: torch.nn.Parameter,
    owner: BaseWorker,
    location: BaseWorker,
    stored_id: int,
    meta: m.TensorMeta,
    ptr_id: int | None = None,
) -> PointerParameter:
    """Turn a local Parameter, whose copy ``location`` stored under ``stored_id``, into a pointer."""
    # Setting .data is never recorded by autograd: no torch.no_grad() block (it costs ~1 µs).
    param.data = torch.empty(0, dtype=param.dtype)
    param.grad = None
    param.__class__ = PointerParameter
    pointer: Any = param
    pointer._init_pointer(owner, location, stored_id, meta, new_id() if ptr_id is None else ptr_id, True)
    return pointer


def to_local(param: Any, payload: m.Payload) -> None:
    """Turn a PointerParameter into what arrived: a local Parameter, or a pointer one hop on."""
    owner = param.owner
    if isinstance(payload, m.PointerDescription):
        location = WORLD.worker(payload.location)
        param._init_pointer(owner, location, payload.id_at_location, payload.meta, payload.id, True)
        return
    obj_id = param.id_at_location
    param.__dict__.update(_spent=True, garbage_collect_data=False)  # no delete while converting
    WORLD.forget_pointer(param)  # it is no pointer now, and no longer calls __del__ to say so
    for key in ("id", "owner", "location", "id_at_location", "garbage_collect_data", "point_to_attr",
                "meta", "_ref", "_spent"):  # fmt: skip
        param.__dict__.pop(key, None)
    param.__class__ = torch.nn.Parameter
    param.data = payload.data  # not recorded by autograd, as in to_pointer
    param.requires_grad_(payload.requires_grad)
    param.grad = payload.grad
    set_tensor_id(param, obj_id)


def make_pointer(
    owner: BaseWorker,
    location: BaseWorker,
    id_at_location: int,
    meta: m.TensorMeta,
    *,
    ptr_id: int | None = None,
    gc: bool = True,
    attr: str | None = None,
) -> Any:
    pointer: Any
    if meta.is_parameter:  # Parameter's own constructor wants data to wrap
        pointer = torch.Tensor._make_subclass(PointerParameter, _EMPTY, False)
    else:
        pointer = PointerTensor()  # an empty tensor of the pointer's class (a third cheaper to make)
    pointer._init_pointer(
        owner, location, id_at_location, meta, new_id() if ptr_id is None else ptr_id, gc, attr
    )
    return pointer


def pointer_from_description(desc: m.PointerDescription, owner: BaseWorker, obj_id: int) -> Any:
    location = WORLD.worker(desc.location)
    return make_pointer(
        owner, location, desc.id_at_location, desc.meta, ptr_id=obj_id, attr=desc.point_to_attr
    )


def _materialize(payload: m.Payload, owner: BaseWorker, obj_id: int) -> Any:
    if isinstance(payload, m.PointerDescription):
        # A pointer fetched from a chain keeps its id and now deletes the data when dropped
        # (PySyft 0.2.9 left it with garbage collection off: a leak).
        return pointer_from_description(payload, owner, payload.id)
    set_tensor_id(payload, obj_id)
    return payload
