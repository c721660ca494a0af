"""The messages workers exchange. Workers talk only through these, in one process or over a network.

Each message says once what it is: its ``label`` (the kind of message a diagram draws) and, in
``summary()``, the operation it carries and the objects it names. Everything else is derived:
``MESSAGE_TYPES`` from the ``Message`` union, the workers' handler table (checked against it when
``workers`` is imported), and the event a diagram draws (``events.MessageSent``). Adding a message
is one class here and one handler in ``workers``.

Which verb sends which message, and which handler answers it (``workers.BaseWorker``):

=================================  ========================  ================================
verb                               message                   handler
=================================  ========================  ================================
``t.send(bob)``, ``ptr.send(..)``  :class:`SendObject`       ``_handle_send``
``ptr.get()``                      :class:`RequestObject`    ``_handle_request``
``ptr.move(alice)``                :class:`ForwardObject`    ``_handle_forward`` (sends on)
``ptr.remote_get()``               :class:`RemoteGet`        ``_handle_remote_get``
``ptr + 1``, ``model(ptr)``        :class:`RunCommand`       ``_handle_command``
``ptr.grad``                       :class:`QueryAttribute`   ``_handle_query``
``ptr.grad = None``                :class:`SetAttribute`     ``_handle_set_attribute``
dropping the last pointer          :class:`DeleteObject`     ``_handle_delete``
``bob.clear_objects()``            :class:`ClearObjects`     ``_handle_clear``
=================================  ========================  ================================

Every field is plain data (ints, strings, tensors, tuples of those), so a message can be encoded
without pickling code. Messages are never changed after they are made; they are not declared frozen
only because frozen dataclasses are several times slower to create, and one is made per operation.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple, get_args

import torch

from .functions import short_name
from .snapshot import ObjectKind

__all__ = [
    "MESSAGE_TYPES",
    "PLAIN_TYPES",
    "ClearObjects",
    "DeleteObject",
    "ForwardObject",
    "InPlace",
    "Message",
    "ObjectRef",
    "Payload",
    "PointerDescription",
    "QueryAttribute",
    "RemoteGet",
    "RequestObject",
    "RunCommand",
    "SendObject",
    "SetAttribute",
    "Stored",
    "Summary",
    "TensorMeta",
    "payload_grads",
    "payload_kind",
    "payload_nbytes",
]


# Values that may travel as command arguments or results besides tensors: plain data only.
PLAIN_TYPES: tuple[type, ...] = (
    int, float, bool, complex, str, bytes, type(None), slice, type(Ellipsis),
    torch.dtype, torch.Size, torch.device, torch.memory_format, torch.layout,
)  # fmt: skip


@dataclass(slots=True)
class ObjectRef:
    """Names an object in the receiver's store, or one of its attributes (``x.grad``)."""

    obj_id: int
    attr: str | None = None


@dataclass(slots=True)
class TensorMeta:
    """What a pointer caches about its remote tensor, so ``ptr.shape`` costs no message."""

    shape: tuple[int, ...]
    dtype: torch.dtype
    requires_grad: bool
    is_parameter: bool = False

    @staticmethod
    def of(t: torch.Tensor) -> TensorMeta:
        # Runs for every operation's result, and a loop makes the same kind of tensor again and
        # again: metadata is never changed once made, so equal metadata is shared (half the cost).
        key = (t.shape, t.dtype, t.requires_grad, type(t))
        meta = _METAS.get(key)
        if meta is None:
            # issubclass, not isinstance: Parameter's metaclass makes isinstance slow.
            meta = TensorMeta(tuple(key[0]), key[1], key[2], issubclass(key[3], torch.nn.Parameter))
            if len(_METAS) >= _METAS_KEPT:
                _METAS.clear()  # many shapes (a loop over batch sizes): start again rather than grow
            _METAS[key] = meta
        return meta


_METAS: dict[tuple, TensorMeta] = {}  # TensorMeta.of's shared metadata, by (shape, dtype, grad, class)
_METAS_KEPT = 256


@dataclass(slots=True)
class PointerDescription:
    """A pointer in transit: the receiver builds its own pointer object from it."""

    id: int
    location: Hashable
    id_at_location: int
    meta: TensorMeta
    point_to_attr: str | None = None


Payload = torch.Tensor | PointerDescription


def payload_kind(payload: Payload) -> ObjectKind:
    """What travels: a "pointer" (its description), a "parameter" or a "tensor"."""
    kind = type(payload)
    if kind is PointerDescription:
        return "pointer"
    # issubclass, not isinstance: Parameter's metaclass makes isinstance slow, and this runs per send.
    return "parameter" if issubclass(kind, torch.nn.Parameter) else "tensor"


def payload_grads(payload: object) -> int:
    """How many gradients travel with a value: 1 for a leaf tensor whose ``.grad`` is set, else 0.

    A pointer (or its description) carries none; its ``.grad`` is not even read, as that would ask
    its worker.
    """
    if not isinstance(payload, torch.Tensor) or getattr(type(payload), "is_pointer", False):
        return 0
    # A non-leaf tensor has no stored gradient (and reading its .grad would warn).
    return int(payload.is_leaf and payload.grad is not None)


def payload_nbytes(payload: object) -> int:
    """The bytes of tensor values that travel (a pointer's description carries none)."""
    if isinstance(payload, torch.Tensor):
        return payload.numel() * payload.element_size()
    return 0


class Summary(NamedTuple):
    """What a message is, as a diagram draws it (the fields of ``events.MessageSent`` after its ends)."""

    label: str  # the kind of message: "send object", "request object", "delete object", "command"
    op: str  # the operation it carries: "send", "get", "add", "move", "set grad", ...
    obj_ids: tuple[int, ...]  # the objects it names
    kind: ObjectKind | None = None  # what travels with it, if anything
    nbytes: int = 0  # the size of the tensor values that travel


@dataclass(slots=True)
class SendObject:
    """Store ``payload`` under ``obj_id``."""

    label: ClassVar = "send object"
    obj_id: int
    payload: Payload

    def summary(self) -> Summary:
        payload = self.payload
        return Summary(self.label, "send", (self.obj_id,), payload_kind(payload), payload_nbytes(payload))


@dataclass(slots=True)
class RequestObject:
    """Send back the object (and forget it), or a copy of one of its attributes."""

    label: ClassVar = "request object"
    ref: ObjectRef

    def summary(self) -> Summary:
        return Summary(self.label, "get", (self.ref.obj_id,))


@dataclass(slots=True)
class DeleteObject:
    """Forget ``obj_id``; a pointer forgotten this way deletes what it points to (chains cascade)."""

    label: ClassVar = "delete object"
    obj_id: int

    def summary(self) -> Summary:
        return Summary(self.label, "delete", (self.obj_id,))


@dataclass(slots=True)
class RunCommand:
    """Call the torch function ``func`` on stored objects and store a tensor result as ``return_id``."""

    label: ClassVar = "command"
    func: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    return_id: int = 0
    grad_enabled: bool = True

    def summary(self) -> Summary:
        return Summary(self.label, short_name(self.func), (self.return_id,))


@dataclass(slots=True)
class ForwardObject:
    """Send object ``obj_id`` straight to worker ``destination`` and forget it (``move``).

    The reply says what moved: the object's new id, its kind and how many gradients went with it.
    """

    label: ClassVar = "command"
    obj_id: int
    destination: Hashable

    def summary(self) -> Summary:
        return Summary(self.label, "move", (self.obj_id,))


@dataclass(slots=True)
class RemoteGet:
    """The stored object is a pointer: fetch what it points to and keep that instead."""

    label: ClassVar = "command"
    obj_id: int

    def summary(self) -> Summary:
        return Summary(self.label, "remote_get", (self.obj_id,))


@dataclass(slots=True)
class SetAttribute:
    """Set ``attr`` of a stored object, e.g. ``p.grad = None`` from an optimizer's ``zero_grad``."""

    label: ClassVar = "command"
    ref: ObjectRef
    attr: str
    value: object

    def summary(self) -> Summary:
        return Summary(self.label, f"set {self.attr}", (self.ref.obj_id,))


@dataclass(slots=True)
class QueryAttribute:
    """Ask for an attribute of a stored object: its metadata if a tensor, else its plain value."""

    label: ClassVar = "command"
    ref: ObjectRef
    attr: str

    def summary(self) -> Summary:
        return Summary(self.label, f"read {self.attr}", (self.ref.obj_id,))


@dataclass(slots=True)
class ClearObjects:
    """Forget every stored object."""

    label: ClassVar = "command"

    def summary(self) -> Summary:
        return Summary(self.label, "clear_objects", ())


@dataclass(slots=True)
class Stored:
    """Reply to a command: a tensor result now lives on the worker under ``obj_id``."""

    obj_id: int
    meta: TensorMeta
    is_pointer: bool = False


@dataclass(slots=True)
class InPlace:
    """Reply to a command: the result is the argument ``ref`` itself (``x.add_(1)``)."""

    ref: ObjectRef
    meta: TensorMeta


Message = (
    SendObject
    | RequestObject
    | DeleteObject
    | RunCommand
    | ForwardObject
    | RemoteGet
    | SetAttribute
    | QueryAttribute
    | ClearObjects
)

MESSAGE_TYPES: tuple[type[Message], ...] = get_args(Message)
"""Every message type, from the union above: the one list the handler table is checked against."""
