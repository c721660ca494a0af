"""Every exception the library raises, each saying what went wrong and which call fixes it."""

from __future__ import annotations

__all__ = [
    "InvalidRayOptionsError",
    "InvalidTensorForRemoteGet",
    "InvalidWorkerIdError",
    "NotAPointerError",
    "NotAWorkerError",
    "ObjectNotFoundError",
    "PointerCycleError",
    "RemoteValueError",
    "SpentPointerError",
    "SyftWidgetsError",
    "TensorsNotCollocatedException",
    "UnknownWorkerError",
    "UnsupportedRemoteValueError",
    "WorkerIdConflictError",
    "WorkerOfflineError",
]


class SyftWidgetsError(Exception):
    """Base class of every error raised by syft_widgets."""


class TensorsNotCollocatedException(SyftWidgetsError, ValueError):
    """An operation mixed tensors that live on different workers."""


class ObjectNotFoundError(SyftWidgetsError, LookupError):
    """A worker was asked for an object id it does not hold."""

    def __init__(self, obj_id: int, worker_id: object) -> None:
        self.obj_id = obj_id
        self.worker_id = worker_id
        super().__init__(
            f'Object "{obj_id}" not found on worker! Worker {worker_id!r} holds no object with id '
            f"{obj_id}. The most common reason is that .get() was already called on a pointer to it "
            f"(which removes the remote object), or that {worker_id!r}.clear_objects() ran. To use "
            f"the data there again, send the tensor again (x_ptr = x.send({worker_id!r})) and use "
            "the new pointer."
        )


class SpentPointerError(SyftWidgetsError, AttributeError):
    """A pointer was used after ``.get()`` already brought its object back."""


class NotAWorkerError(SyftWidgetsError, TypeError):
    """Something that is not a worker was given where a worker is needed."""


class UnknownWorkerError(SyftWidgetsError, LookupError):
    """A worker id that no worker in this session has."""


class InvalidWorkerIdError(SyftWidgetsError, TypeError):
    """A worker id that is not a non-empty string or an int."""


class WorkerIdConflictError(SyftWidgetsError, RuntimeError):
    """A worker id already taken by a worker of another type."""


class PointerCycleError(SyftWidgetsError, ValueError):
    """Sending a pointer to the worker it points to (or to its own owner) would make a loop."""


class RemoteValueError(SyftWidgetsError, RuntimeError):
    """A Python value (``.item()``, ``bool()``, ``.tolist()``) was asked of a remote tensor."""


class InvalidTensorForRemoteGet(SyftWidgetsError, TypeError):
    """``remote_get()`` was called on something that is not a pointer to a pointer."""


class UnsupportedRemoteValueError(SyftWidgetsError, TypeError):
    """A value that cannot travel between workers (only tensors and plain data can)."""


class WorkerOfflineError(SyftWidgetsError, ConnectionError):
    """A worker in another process stopped answering."""


class InvalidRayOptionsError(SyftWidgetsError, ValueError):
    """A ``ray_options`` entry a worker's actor cannot use, or one Ray itself refuses."""


class NotAPointerError(SyftWidgetsError, AttributeError):
    """A pointer-only call (``.get()``, ``.move()``) on a local tensor."""
