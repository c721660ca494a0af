"""Inside a worker actor: a real worker handles each message with the core's own handlers.

The actor's process has its own ``WORLD``. Other workers are reached through ``RayWorker`` proxies
that a resolver creates on first use, so a ``move`` goes from this actor straight to the other one.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import Any

import torch

from .. import codec
from .. import messages as m
from ..events import Event
from ..views import view_of
from ..workers import BaseWorker
from ..world import WORLD
from . import envelope

__all__ = ["HostedWorker", "WorkerHost"]


class HostedWorker(BaseWorker):
    """The worker that lives in a Ray actor; the driver talks to it through a ``RayWorker``."""

    worker_kind = "ray"


class WorkerHost:
    """The body of a worker actor (made a Ray actor class by ``worker.actor_class()``)."""

    def __init__(self, worker_id: Hashable) -> None:
        from . import worker

        worker.in_actor()
        WORLD.resolvers.append(worker.attach_running)
        self.worker = HostedWorker(None, id=worker_id)

    def pid(self) -> int:
        return os.getpid()

    def handle(self, data: bytes) -> bytes:
        """Handle one encoded request: forget its batched deletes, then answer its message."""
        events: list[Event] = []
        unsubscribe = None
        try:
            sender, listening, deletes, message = envelope.open_request(data)
            if deletes:
                self.forget(deletes)
            if listening:
                unsubscribe = WORLD.bus.subscribe(events.append)
            return envelope.ok(self.worker.receive(message, sender), events)
        except Exception as exc:  # every failure travels back to the caller as data
            return envelope.failed(exc, events)
        finally:
            if unsubscribe is not None:
                unsubscribe()

    def forget(self, obj_ids: tuple[int, ...] | list[int]) -> None:
        """Garbage collection from dead pointers; an id already gone is fine."""
        for obj_id in obj_ids:
            try:
                self.worker.receive(m.DeleteObject(int(obj_id)), "gc")
            except Exception:  # a failed delete must not stop the others
                pass

    def views(self, deletes: tuple[int, ...] = ()) -> bytes:
        """What this worker holds, as object views (for diagrams and ``repr``)."""
        if deletes:
            self.forget(deletes)
        return codec.encode(self.worker.object_views())

    def objects(self, deletes: tuple[int, ...] = ()) -> bytes:
        """A copy of the store for ``worker._objects``: tensors as copies, pointers as descriptions."""
        if deletes:
            self.forget(deletes)
        entries: list[tuple[int, Any]] = []
        for key, obj in self.worker.object_store.items():
            if getattr(obj, "is_pointer", False):
                entries.append((key, obj.describe()))  # type: ignore[attr-defined]
            elif isinstance(obj, torch.Tensor):
                entries.append((key, obj))
            else:
                entries.append((key, view_of(key, obj)))
        return codec.encode(tuple(entries))
