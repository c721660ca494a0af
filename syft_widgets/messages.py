"""The messages workers exchange. Workers talk only through these, in one process or over a network.

Every field is plain data (ints, strings, tensors, tuples of those), so a message can be encoded
without pickling code. Messages are never changed after they are made; they are not declared frozen
only because frozen dataclasses are several times slower to create, and one is made per operation.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

import torch

__all__ = [
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
    "TensorMeta",
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
        # issubclass, not isinstance: Parameter's metaclass makes isinstance slow, and this runs per op.
        return TensorMeta(tuple(t.shape), t.dtype, t.requires_grad, issubclass(type(t), torch.nn.Parameter))


@dataclass(slots=True)
class PointerDescription:
    """A pointer in transit: the receiver builds its own pointer object from it."""

    id: int
    location: Hashable
    id_at_location: int
    meta: TensorMeta
    point_to_attr: str | None = None


Payload = torch.Tensor | PointerDescription


@dataclass(slots=True)
class SendObject:
    """Store ``payload`` under ``obj_id``."""

    obj_id: int
    payload: Payload


@dataclass(slots=True)
class RequestObject:
    """Send back the object (and forget it), or a copy of one of its attributes."""

    ref: ObjectRef


@dataclass(slots=True)
class DeleteObject:
    """Forget ``obj_id``; a pointer forgotten this way deletes what it points to (chains cascade)."""

    obj_id: int


@dataclass(slots=True)
class RunCommand:
    """Call the torch function ``func`` on stored objects and store a tensor result as ``return_id``."""

    func: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    return_id: int = 0
    grad_enabled: bool = True


@dataclass(slots=True)
class ForwardObject:
    """Send object ``obj_id`` straight to worker ``destination`` and forget it (``move``)."""

    obj_id: int
    destination: Hashable


@dataclass(slots=True)
class RemoteGet:
    """The stored object is a pointer: fetch what it points to and keep that instead."""

    obj_id: int


@dataclass(slots=True)
class SetAttribute:
    """Set ``attr`` of a stored object, e.g. ``p.grad = None`` from an optimizer's ``zero_grad``."""

    ref: ObjectRef
    attr: str
    value: object


@dataclass(slots=True)
class QueryAttribute:
    """Ask for an attribute of a stored object: its metadata if a tensor, else its plain value."""

    ref: ObjectRef
    attr: str


@dataclass(slots=True)
class ClearObjects:
    """Forget every stored object."""


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
