"""Inside a worker actor: a real worker handles each message with the core's own handlers.

The actor's process has its own ``WORLD``. Other workers are reached through ``RayWorker`` proxies
that a resolver creates on first use, so a ``move`` goes from this actor straight to the other one.
The driver's ``RayWorker`` hands that resolver over when it starts the actor: this module never
imports ``worker.py``, which imports it to start actors.
Deletes this worker's handling causes elsewhere (a chain alice -> bob) are not sent from here: they
travel back with the reply as its cascade, and the driver delivers them (see ``worker.py``).
"""

from __future__ import annotations

import gc
import os
import socket
from collections.abc import Callable, Hashable
from typing import Any

import torch

from .. import messages as m
from ..events import Event
from ..snapshot import view_of
from ..workers import BaseWorker
from ..world import WORLD
from . import envelope, session
from .deletes import CollectingCascade

__all__ = ["HostedWorker", "WorkerHost", "actor_class"]

FindPeer = Callable[[Hashable], BaseWorker | None]
"""A resolver for ``WORLD``: a proxy for the running worker actor with this id, else None."""

_actor_class: Any = None


def actor_class() -> Any:
    """The Ray actor class around ``WorkerHost``, made on first use so that importing needs no Ray."""
    global _actor_class
    if _actor_class is None:
        ray = session.require_ray()
        # No CPU of its own: a worker mostly waits, and a 2-core laptop should hold many of them.
        _actor_class = ray.remote(num_cpus=0, max_restarts=0, max_task_retries=0)(WorkerHost)
    return _actor_class


class HostedWorker(BaseWorker):
    """The worker that lives in a Ray actor; the driver talks to it through a ``RayWorker``."""

    worker_kind = "ray"


class WorkerHost:
    """The body of a worker actor (made a Ray actor class by :func:`actor_class`).

    ``find_peer`` is how this actor reaches other worker actors (``worker.attach_running``).
    """

    def __init__(self, worker_id: Hashable, find_peer: FindPeer) -> None:
        session.init_in_actor()
        WORLD.resolvers.append(find_peer)
        self.worker = HostedWorker(None, id=worker_id)
        # Ray starts every worker process from its node's raylet. When the node dies the raylet
        # goes first and this process is re-parented; it lingers a moment before Ray ends it, and
        # must not take on work in that moment (a move into it would be lost with it).
        self._parent = os.getppid()
        # What exists now (torch and this library, about 300,000 objects) lives as long as the actor.
        # Frozen, Python's full garbage collections stop scanning it on every few thousand messages.
        gc.freeze()

    def whereabouts(self) -> bytes:
        """(process id, Ray node id, host name): where this worker runs, for the diagram's badge."""
        ray = session.require_ray()
        return envelope.ok((os.getpid(), ray.get_runtime_context().get_node_id(), socket.gethostname()))

    def handle(self, data: bytes) -> bytes:
        """Handle one encoded request: forget its batched deletes, then answer its message."""
        if self._node_died():
            return envelope.gone("its Ray node died")
        events: list[Event] = []
        unsubscribe = None
        with CollectingCascade() as cascade:
            try:
                sender, listening, pending, message = envelope.open_request(data)
                if pending:
                    self._forget(pending)
                if listening:
                    unsubscribe = WORLD.bus.subscribe(events.append)
                value = self.worker.receive(message, sender)
            except Exception as exc:  # every failure travels back to the caller as data
                return envelope.failed(exc, events, tuple(cascade))
            finally:
                if unsubscribe is not None:
                    unsubscribe()
        return envelope.ok(value, events, tuple(cascade))

    def forget(self, obj_ids: tuple[int, ...]) -> bytes:
        """Garbage collection from dead pointers; answers with the deletes it caused elsewhere."""
        return self._read(obj_ids, lambda: None)

    def views(self, deletes: tuple[int, ...] = ()) -> bytes:
        """What this worker holds, as object views (for diagrams and ``repr``)."""
        return self._read(deletes, self.worker.object_views)

    def objects(self, deletes: tuple[int, ...] = ()) -> bytes:
        """A copy of the store for ``worker._objects``: tensors as copies, pointers as descriptions."""

        def entries() -> tuple[tuple[int, Any], ...]:
            found: list[tuple[int, Any]] = []
            for key, obj in self.worker.object_store.items():
                if getattr(obj, "is_pointer", False):
                    found.append((key, obj.describe()))  # type: ignore[attr-defined]
                elif isinstance(obj, torch.Tensor):
                    found.append((key, obj))
                else:
                    found.append((key, view_of(key, obj)))
            return tuple(found)

        return self._read(deletes, entries)

    # --- helpers ---------------------------------------------------------------------------------
    def _read(self, deletes: tuple[int, ...], read: Any) -> bytes:
        """Apply ``deletes`` first, so the answer reflects every delete sent so far, then ``read()``."""
        if self._node_died():
            return envelope.gone("its Ray node died")
        with CollectingCascade() as cascade:
            if deletes:
                self._forget(deletes)
            value = read()
        return envelope.ok(value, (), tuple(cascade))

    def _forget(self, obj_ids: tuple[int, ...] | list[int]) -> None:
        for obj_id in obj_ids:
            try:
                self.worker.receive(m.DeleteObject(int(obj_id)), "gc")
            except Exception:  # a failed delete must not stop the others; an id already gone is fine
                pass

    def _node_died(self) -> bool:
        return os.getppid() != self._parent
