"""Workers: each holds an object store and answers messages from other workers."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, ClassVar, Literal

import torch

from . import interrupts
from . import messages as m
from ._ids import new_id, set_tensor_id
from .errors import (
    InvalidTensorForRemoteGet,
    ObjectNotFoundError,
    PointerCycleError,
    UnsupportedRemoteValueError,
)
from .events import MessageSent
from .functions import resolve_function, short_name
from .pointers import pointer_from_description
from .registry import check_worker_id
from .snapshot import ObjectView
from .store import ObjectStore
from .transit import pack
from .world import WORLD

__all__ = ["BaseWorker", "VirtualWorker", "WorkerKind"]

WorkerKind = Literal["local", "virtual", "ray"]


class BaseWorker:
    """A party that holds objects and runs commands sent to it.

    Workers never call each other's methods directly: they send :mod:`messages`, so the same code
    works in one process (:class:`VirtualWorker`) and across processes (``sy.RayWorker``).
    """

    worker_kind: ClassVar[WorkerKind] = "virtual"

    def __init__(self, hook: Any, id: Hashable = 0, is_client_worker: bool = False) -> None:
        self.hook = hook
        self.id = check_worker_id(id)
        self.is_client_worker = is_client_worker
        shared = WORLD.add_worker(self)
        self.object_store = shared if shared is not None else ObjectStore(self.id, WORLD)
        if WORLD.recording:
            with WORLD.step("worker", always=True, worker=str(self.id)):
                pass

    # --- what users see ------------------------------------------------------------------------
    @property
    def _objects(self) -> dict[int, object]:
        return self.object_store.objects

    @property
    def online(self) -> bool:
        return True

    @property
    def kind(self) -> WorkerKind:
        """ "local" for your own worker ``me``; otherwise the transport ("virtual", "ray")."""
        return "local" if self.is_client_worker else self.worker_kind

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id:{self.id} #objects:{len(self.object_store)}>"

    def clear_objects(self) -> BaseWorker:
        """Forget every object; returns the worker (so a notebook cell shows it, as in PySyft)."""
        with interrupts.Held(), WORLD.step("clear", always=True, worker=str(self.id)):
            self.send_msg(m.ClearObjects(), self)
        return self

    def object_views(self) -> tuple[ObjectView, ...]:
        return self.object_store.views()

    # --- sending -------------------------------------------------------------------------------
    def send_msg(self, message: m.Message, location: BaseWorker) -> Any:
        """Deliver ``message`` to ``location`` and return its reply."""
        if WORLD.recording:
            WORLD.emit(MessageSent(str(self.id), str(location.id), *message.summary()))
        return location.receive(message, self.id)

    def calls_directly(self, location: BaseWorker) -> bool:
        """True when a message to ``location`` would only be a Python call that nobody watches.

        That is: no events are recorded (nobody listens, or a live view's fast loop is being
        batched, which counts steps and never reads a message), and neither side delivers
        messages its own way (a Ray worker sends them to another process; a test may replace
        ``receive`` to lose one). Then the hottest operations (sending a tensor, ``.get()``, a
        torch call on pointers, a dropped pointer's delete, reading and setting ``.grad``) call
        the method that answers their message (``store_object``, ``request_object``,
        ``run_command``, ``delete_object``, ``query_attribute``, ``set_attribute``) directly,
        with no message object: the same work, in about a third less time for a small tensor.
        They open their step only if someone listens (``WORLD.bus.active``), so a batch counts
        every operation as the message path would.
        """
        return not WORLD.recording and type(self).send_msg is _SEND_MSG and type(location).receive is _RECEIVE

    # --- receiving -----------------------------------------------------------------------------
    def receive(self, message: m.Message, sender: Hashable) -> Any:
        """Handle one message from worker ``sender`` and return the reply."""
        return _HANDLERS[type(message)](self, message, sender)

    def _resolve(self, value: Any, found: list[tuple[m.ObjectRef, Any]] | None = None) -> Any:
        """Replace every ObjectRef in a command's arguments by the stored object it names.

        ``found`` collects (reference, object) pairs, so a result can be recognised as one of the
        operands (an in-place operation) without walking the arguments again.
        """
        kind = type(value)
        if kind is m.ObjectRef:
            try:
                obj = self.object_store.objects[value.obj_id]
            except KeyError:
                raise ObjectNotFoundError(value.obj_id, self.id) from None
            if value.attr:
                for part in value.attr.split("."):
                    obj = getattr(obj, part)
            if found is not None:
                found.append((value, obj))
            return obj
        if kind is tuple or kind is list:
            objects = self.object_store.objects
            resolved = []
            for v in value:
                # A whole stored object (no attribute), the usual argument, is looked up right here.
                if type(v) is m.ObjectRef and not v.attr and v.obj_id in objects:
                    obj = objects[v.obj_id]
                    if found is not None:
                        found.append((v, obj))
                    resolved.append(obj)
                else:
                    resolved.append(self._resolve(v, found))
            return kind(resolved)
        if kind is dict:
            return {k: self._resolve(v, found) for k, v in value.items()}
        return value

    def _store(self, obj_id: int, obj: Any, adopt_id: bool = True) -> int:
        """Store an arriving object; an id already in use gets a fresh one instead of overwriting."""
        if obj_id in self.object_store.objects:
            obj_id = new_id()
        if getattr(obj, "is_pointer", False):
            obj.adopt_id(obj_id)
        elif adopt_id and isinstance(obj, torch.Tensor):
            set_tensor_id(obj, obj_id)  # an arriving tensor's t.id is the key it is stored under
        self.object_store.register(obj_id, obj)
        return obj_id

    def _handle_send(self, msg: m.SendObject, sender: Hashable) -> int:
        return self.store_object(msg.obj_id, msg.payload)

    def store_object(self, obj_id: int, payload: m.Payload) -> int:
        """What a SendObject asks: keep ``payload`` (a description becomes a pointer); returns its key."""
        if isinstance(payload, m.PointerDescription):
            return self._store(obj_id, pointer_from_description(payload, owner=self, obj_id=obj_id))
        return self._store(obj_id, payload)

    def _handle_request(self, msg: m.RequestObject, sender: Hashable) -> m.Payload:
        ref = msg.ref
        payload = self.request_object(ref)
        if WORLD.recording and not ref.attr:
            # A fetched object travels back: that is the message a diagram draws, with its bytes.
            kind, nbytes = m.payload_kind(payload), m.payload_nbytes(payload)
            WORLD.emit(MessageSent(str(self.id), str(sender), "reply", "get", (ref.obj_id,), kind, nbytes))
        return payload

    def request_object(self, ref: m.ObjectRef) -> m.Payload:
        """What a RequestObject asks: the object, which this worker forgets, or a copy of its attribute."""
        if ref.attr:  # an attribute (x.grad) is copied; its parent stays
            value = self._resolve(ref)
            if value is None:
                raise LookupError(f"{ref.attr} of object {ref.obj_id} on worker {self.id!r} is None")
            return pack(value)
        obj = self.object_store.get(ref.obj_id)
        payload = pack(obj)
        self.object_store.remove(ref.obj_id, "get")
        return payload

    def _handle_delete(self, msg: m.DeleteObject, sender: Hashable) -> None:
        self.delete_object(msg.obj_id)

    def delete_object(self, obj_id: int) -> None:
        """What a DeleteObject asks: forget ``obj_id``; a pointer forgotten deletes what it points to."""
        # Garbage collection of something already gone (fetched, cleared) is normal, not an error.
        if obj_id in self.object_store.objects:
            obj: Any = self.object_store.remove(obj_id, "delete")
            if getattr(obj, "is_pointer", False):
                obj.garbage_collect_data = True  # deleting a chain deletes all of it
            del obj

    def _handle_clear(self, msg: m.ClearObjects, sender: Hashable) -> None:
        removed: list[Any] = self.object_store.clear()
        for obj in removed:
            if getattr(obj, "is_pointer", False):
                obj.garbage_collect_data = False  # clear_objects forgets; it does not reach further
        del removed

    def _handle_forward(self, msg: m.ForwardObject, sender: Hashable) -> tuple[int, str, int]:
        destination = WORLD.worker(msg.destination)
        obj: Any = self.object_store.get(msg.obj_id)
        if getattr(obj, "is_pointer", False) and obj.location.id == destination.id:
            raise PointerCycleError(
                f"Worker {self.id!r} holds a pointer to {destination.id!r}; moving it there would make "
                f"{destination.id!r} point to itself. Call .remote_get() first to bring the data one hop "
                "closer, then move."
            )
        # Send first, forget second: if the send fails, nothing is lost.
        gc_flag = getattr(obj, "garbage_collect_data", None)
        payload = pack(obj)
        try:
            new_id = self.send_msg(m.SendObject(msg.obj_id, payload), destination)
        except BaseException:
            if gc_flag is not None:
                obj.garbage_collect_data = gc_flag
            raise
        self.object_store.remove(msg.obj_id, "move")
        # What moved: a value (and its gradient, if any), or a pointer (a chain).
        return int(new_id), m.payload_kind(payload), m.payload_grads(payload)

    def _handle_remote_get(self, msg: m.RemoteGet, sender: Hashable) -> m.TensorMeta:
        obj: Any = self.object_store.get(msg.obj_id)
        if not getattr(obj, "is_pointer", False):
            raise InvalidTensorForRemoteGet(
                f"remote_get() needs a pointer to a pointer, but worker {self.id!r} holds a tensor "
                f"under {msg.obj_id}, not a pointer. Call .get() to fetch it instead."
            )
        value = obj.get()
        here = getattr(value, "is_pointer", False) and value.location.id == self.id
        if here and not value.point_to_attr:
            # The chain came back here (bob → alice → bob): what arrived points into this very store.
            # By id, not identity: a worker made again under the same id shares this store.
            # Keep the data itself under the pointer's key, as one hop closer means; a pointer to
            # itself would delete the data when dropped, and the learner's pointer would dangle.
            data = self.object_store.remove(value.id_at_location, "get")
            value.garbage_collect_data = False  # the data lives on under the new key
            value = data
        self.object_store.remove(msg.obj_id, "get")
        self._store(msg.obj_id, value)
        return m.TensorMeta.of(value)

    def _handle_set_attribute(self, msg: m.SetAttribute, sender: Hashable) -> None:
        self.set_attribute(msg.ref, msg.attr, msg.value)

    def set_attribute(self, ref: m.ObjectRef, attr: str, value: Any) -> None:
        """What a SetAttribute asks: set ``attr`` of the object ``ref`` names to ``value`` (resolved)."""
        target = self._resolve(ref)
        value = self._resolve(value)
        # As torch.no_grad() does, without making its two objects: this runs twice per zero_grad().
        grad_was_enabled = torch.is_grad_enabled()
        torch._C._set_grad_enabled(False)
        try:
            setattr(target, attr, value)
        finally:
            torch._C._set_grad_enabled(grad_was_enabled)
        self.object_store.changed(ref.obj_id)

    def _handle_query(self, msg: m.QueryAttribute, sender: Hashable) -> Any:
        return self.query_attribute(msg.ref, msg.attr)

    def query_attribute(self, ref: m.ObjectRef, attr: str) -> Any:
        """What a QueryAttribute asks: a tensor attribute's metadata, or another attribute's plain value."""
        value = getattr(self._resolve(ref), attr)
        if isinstance(value, torch.Tensor):
            return m.TensorMeta.of(value)
        return _plain(value, attr, self.id)

    def _handle_command(self, msg: m.RunCommand, sender: Hashable) -> Any:
        func = resolve_function(msg.func)
        if torch.is_grad_enabled() == msg.grad_enabled:
            return self.run_command(func, msg.func, msg.args, msg.kwargs, msg.return_id)
        with torch.set_grad_enabled(msg.grad_enabled):
            return self.run_command(func, msg.func, msg.args, msg.kwargs, msg.return_id)

    def run_command(
        self, func: Callable[..., Any], name: str, args: tuple, kwargs: dict, return_id: int
    ) -> Any:
        """Run ``func`` (named ``name``) on the stored objects ``args`` and ``kwargs`` refer to.

        What a RunCommand asks; returns its reply: ``Stored``, ``InPlace``, a plain value, or a
        tuple of those.
        """
        operands: list[tuple[m.ObjectRef, Any]] = []
        resolved = self._resolve(args, operands)
        resolved_kwargs = self._resolve(kwargs, operands) if kwargs else {}
        try:
            result = func(*resolved, **resolved_kwargs)
        except Exception as exc:
            exc.add_note(f"(raised on worker {self.id!r} while running {short_name(name)})")
            raise
        return self._reply_for(result, name, return_id, operands)

    def _reply_for(self, result: Any, func: str, return_id: int, operands: list) -> Any:
        if isinstance(result, torch.Tensor):
            for ref, operand in operands:
                if result is operand:
                    self.object_store.changed(ref.obj_id)
                    return m.InPlace(ref, _meta(result))
            # A result's id is the store key only; giving the tensor an id of its own would cost a
            # weak reference per operation for nothing the tutorials use.
            obj_id = self._store(return_id, result, adopt_id=False)
            if getattr(result, "is_pointer", False):  # the worker ran it on a pointer (a chain)
                return m.Stored(obj_id, result.meta, True)  # type: ignore[attr-defined]
            return m.Stored(obj_id, m.TensorMeta.of(result), False)
        if isinstance(result, (tuple, list)) and any(isinstance(r, torch.Tensor) for r in result):
            return tuple(
                self._reply_for(r, func, new_id() if i else return_id, operands)
                if isinstance(r, torch.Tensor)
                else _plain(r, short_name(func), self.id)
                for i, r in enumerate(result)
            )
        return _plain(result, short_name(func), self.id)


# What calls_directly compares with: the plain delivery above, unless a subclass (or a test) replaces it.
_SEND_MSG = BaseWorker.send_msg
_RECEIVE = BaseWorker.receive


class VirtualWorker(BaseWorker):
    """A worker that lives in this Python process, as in the PySyft 0.2 tutorials."""


def _meta(t: torch.Tensor) -> m.TensorMeta:
    if getattr(t, "is_pointer", False):
        return t.meta  # type: ignore[attr-defined]
    return m.TensorMeta.of(t)


def _plain(value: Any, what: str, worker_id: Hashable) -> Any:
    if isinstance(value, m.PLAIN_TYPES):
        return value
    if isinstance(value, (tuple, list)) and all(isinstance(v, m.PLAIN_TYPES) for v in value):
        return value
    raise UnsupportedRemoteValueError(
        f"{what} on worker {worker_id!r} gave a {type(value).__name__}, which cannot travel between "
        "workers (only tensors and plain values can). Bring the tensor back with .get() and call it "
        "locally."
    )


# How a worker answers each message (the table in messages.py's docstring).
_HANDLERS: dict[type, Callable[[Any, Any, Hashable], Any]] = {
    m.SendObject: BaseWorker._handle_send,
    m.RequestObject: BaseWorker._handle_request,
    m.DeleteObject: BaseWorker._handle_delete,
    m.RunCommand: BaseWorker._handle_command,
    m.ForwardObject: BaseWorker._handle_forward,
    m.RemoteGet: BaseWorker._handle_remote_get,
    m.SetAttribute: BaseWorker._handle_set_attribute,
    m.ClearObjects: BaseWorker._handle_clear,
    m.QueryAttribute: BaseWorker._handle_query,
}

if set(_HANDLERS) != set(m.MESSAGE_TYPES):  # a new message type needs a handler, and no more
    raise TypeError(
        "workers._HANDLERS and messages.Message disagree: "
        + ", ".join(sorted(t.__name__ for t in set(_HANDLERS) ^ set(m.MESSAGE_TYPES)))
    )
