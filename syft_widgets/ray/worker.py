"""``sy.RayWorker``: a worker whose store lives in a Ray actor, with the same pointer API as VirtualWorker.

The object here is a proxy. ``receive`` encodes the message, hands it to the actor and decodes the
reply; the actor's events come back with the reply and are announced here, so diagrams draw a Ray
worker like a virtual one. Garbage collection never waits: deletes ride along with the next message
to the same actor, or go out on their own without waiting for an answer.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Hashable
from typing import Any, ClassVar

from .. import codec
from .. import messages as m
from ..errors import UnsupportedRemoteValueError, WorkerOfflineError
from ..snapshot import ObjectView
from ..workers import BaseWorker, WorkerKind, _check_worker_id
from ..world import WORLD
from . import envelope, session

__all__ = ["RayWorker", "actor_class", "actor_name", "attach_running", "in_actor"]

_DELETE_BATCH = 32  # pending deletes per actor before they are sent on their own
_batch_deletes = True  # the driver batches; inside an actor, deletes go out at once (see in_actor)
_actor_class: Any = None
_proxies: weakref.WeakSet[RayWorker] = weakref.WeakSet()
# Ray ends a non-detached actor once its creator holds no handle to it; proxies come and go (a cell
# re-run replaces bob), so the session keeps one handle per actor until shutdown.
_handles: dict[str, Any] = {}
_pending: dict[str, list[int]] = {}  # actor name -> ids to delete with its next message
_probe: dict[str, tuple[int, tuple[ObjectView, ...]]] = {}  # actor name -> (era, views) of an online check
_era = 0  # bumped by every message, so a cached probe is never reused after a change


def actor_name(worker_id: Hashable) -> str:
    """The Ray actor name of a worker: ``syft_widgets:bob`` (ints get a marker, so 0 and "0" differ)."""
    return f"syft_widgets:{worker_id}" if isinstance(worker_id, str) else f"syft_widgets:int:{worker_id}"


def actor_class() -> Any:
    """The Ray actor class, made on first use so that importing this module needs no Ray."""
    global _actor_class
    if _actor_class is None:
        ray = session.require_ray()
        from .host import WorkerHost

        # No CPU of its own: a worker mostly waits, and a 2-core laptop should hold many of them.
        _actor_class = ray.remote(num_cpus=0, max_restarts=0, max_task_retries=0)(WorkerHost)
    return _actor_class


def in_actor() -> None:
    """Called in a worker actor: deletes there go out at once, since no later message may come."""
    global _batch_deletes
    _batch_deletes = False
    session.init_in_actor()


def attach_running(worker_id: Hashable) -> BaseWorker | None:
    """A resolver for ``WORLD``: a proxy for a worker actor someone already started, else None."""
    if not session.is_active() or not isinstance(worker_id, (str, int)) or isinstance(worker_id, bool):
        return None
    ray = session.require_ray()
    try:
        handle = ray.get_actor(actor_name(worker_id), namespace=session.NAMESPACE)
    except ValueError:
        return None
    return RayWorker._attach(worker_id, handle)


def _start_or_attach(ray: Any, worker_id: Hashable, name: str, attempts: int = 4) -> tuple[Any, int]:
    """(handle, pid) of the running actor ``name``, started if there is none.

    get_if_exists makes a second RayWorker with the same id (here or in another process) attach.
    Right after an actor died its name may still be taken for a moment: then wait and start anew.
    """
    error: Exception | None = None
    for attempt in range(attempts):
        handle = (
            actor_class()
            .options(name=name, namespace=session.NAMESPACE, get_if_exists=True)
            .remote(worker_id)
        )
        try:
            return handle, int(ray.get(handle.pid.remote(), timeout=session.settings.timeout_s))
        except ray.exceptions.RayActorError as exc:
            # Ray keeps a dead actor's name while this process holds handles to it: drop them all.
            error, handle = exc, None
            _forget_actor(name)
            time.sleep(0.2 * (attempt + 1))
        except Exception as exc:  # any other failure to start is reported at once
            error = exc
            break
    raise WorkerOfflineError(
        f"Ray worker {worker_id!r} did not start: {str(error).splitlines()[0] if error else ''}. Check "
        "that Ray works (python -c 'import ray; ray.init()'), then try again."
    )


class RayWorker(BaseWorker):
    """A worker in a Ray actor (another process, here or on a cluster): ``<RayWorker id:bob #objects:0>``.

    ``sy.RayWorker(hook, id="bob")`` starts the actor, or attaches to the running actor named
    ``syft_widgets:bob``. By default Ray runs on this machine, reachable from 127.0.0.1 only;
    ``address=`` joins an existing (trusted, authenticated) cluster instead.
    """

    worker_kind: ClassVar[WorkerKind] = "ray"
    _pid: int | None

    def __init__(self, hook: Any, id: Hashable = 0, address: str | None = None) -> None:
        worker_id = _check_worker_id(id)
        ray = session.require_ray()
        session.init(address)
        _register_resolver()
        name = actor_name(worker_id)
        handle, self._pid = _start_or_attach(ray, worker_id, name)
        _handles.setdefault(name, handle)
        self._setup(handle, name)
        super().__init__(hook, id=worker_id)

    @classmethod
    def _attach(cls, worker_id: Hashable, handle: Any) -> RayWorker:
        worker = cls.__new__(cls)
        worker._setup(handle, actor_name(worker_id))
        worker._pid = None
        BaseWorker.__init__(worker, None, id=worker_id)
        return worker

    def _setup(self, handle: Any, name: str) -> None:
        self._actor = handle
        self._name = name
        self._dead = False
        _proxies.add(self)

    # --- what users and diagrams see -----------------------------------------------------------
    @property
    def online(self) -> bool:
        """False once the actor's process is gone; asks the actor (the answer is reused by object_views)."""
        if self._dead:
            return False
        try:
            _probe[self._name] = (_era, self._fetch_views())
        except WorkerOfflineError:
            return False
        return True

    def object_views(self) -> tuple[ObjectView, ...]:
        """What the actor holds; () when it is offline, since diagrams must never raise."""
        cached = _probe.pop(self._name, None)
        if cached is not None and cached[0] == _era:
            return cached[1]
        try:
            return self._fetch_views()
        except WorkerOfflineError:
            return ()

    @property
    def _objects(self) -> dict[int, object]:
        """A snapshot of the actor's store: tensors are copies, pointers are read-only (never collected).

        An offline worker holds nothing anyone can reach, so it shows ``{}`` rather than raising.
        """
        if self._dead:
            return {}
        reply = self._call("objects", self._take_deletes(), timeout=session.settings.timeout_s)
        entries = codec.decode(reply)
        from ..pointers import make_pointer

        found: dict[int, object] = {}
        for key, obj in entries:
            if isinstance(obj, m.PointerDescription):
                location = WORLD.worker(obj.location)
                obj = make_pointer(self, location, obj.id_at_location, obj.meta, ptr_id=key, gc=False,
                                   attr=obj.point_to_attr)  # fmt: skip
            found[key] = obj
        return found

    def __repr__(self) -> str:
        if self._dead:
            return f"<RayWorker id:{self.id} offline>"
        try:
            count = len(self._fetch_views())
        except WorkerOfflineError:
            return f"<RayWorker id:{self.id} offline>"
        return f"<RayWorker id:{self.id} #objects:{count}>"

    @property
    def pid(self) -> int | None:
        """The process id of the actor (None when attached to an actor started elsewhere)."""
        return self._pid

    @property
    def actor(self) -> Any:
        """The Ray actor handle, for tests and for tools that manage actors."""
        return self._actor

    # --- the transport -------------------------------------------------------------------------
    def receive(self, message: m.Message, sender: Hashable) -> Any:
        """Forward one message to the actor and return its reply, announcing the actor's events here."""
        global _era
        _era += 1
        if type(message) is m.DeleteObject:
            self._delete_later(message.obj_id, sender)
            return None
        _check_reachable(message, self)
        listening = WORLD.bus.active
        data = envelope.request(sender, listening, self._take_deletes(), message)
        reply = self._call("handle", data, timeout=session.settings.timeout_s)
        value, events, error = envelope.open_reply(reply)
        if listening:
            for event in events:
                WORLD.emit(event)
        if error is not None:
            raise error
        return value

    def _call(self, method: str, *args: Any, timeout: float) -> Any:
        ray = session.require_ray()
        if self._dead or not session.is_active():
            raise self._offline("it was shut down or its process died earlier")
        try:
            return ray.get(getattr(self._actor, method).remote(*args), timeout=timeout)
        except ray.exceptions.GetTimeoutError:
            raise self._offline(f"it did not answer within {timeout:g} s") from None
        except ray.exceptions.RayActorError as exc:
            self._mark_offline()
            raise self._offline(f"its process died ({type(exc).__name__})") from None
        except ray.exceptions.RaySystemError as exc:
            raise self._offline(f"Ray failed ({exc})") from None

    def _fetch_views(self) -> tuple[ObjectView, ...]:
        views = codec.decode(
            self._call("views", self._take_deletes(), timeout=session.settings.probe_timeout_s)
        )
        return tuple(views)

    def _offline(self, why: str) -> WorkerOfflineError:
        return WorkerOfflineError(
            f"Ray worker {self.id!r} is offline: {why}. Its objects are lost; other workers still work. "
            f"Start it again with sy.RayWorker(hook, id={self.id!r}) and send its data again."
        )

    # --- garbage collection: never waits, never raises -----------------------------------------
    def _delete_later(self, obj_id: int, sender: Hashable) -> None:
        try:
            if self._dead or not session.is_active():
                return
            if WORLD.bus.active and _batch_deletes:
                # A diagram watches the driver: delete now, and draw the removal if it comes quickly.
                # (Inside an actor nothing waits, so two actors can never wait for each other.)
                self._delete_now((obj_id,), wait_s=session.settings.gc_event_wait_s, sender=sender)
                return
            pending = _pending.setdefault(self._name, [])
            pending.append(obj_id)
            if not _batch_deletes or len(pending) >= _DELETE_BATCH:
                self._delete_now(self._take_deletes(), wait_s=0.0)
        except Exception:  # garbage collection must never raise into a destructor
            pass

    def _delete_now(self, obj_ids: tuple[int, ...], wait_s: float, sender: Hashable = "gc") -> None:
        if not obj_ids:
            return
        if wait_s <= 0:
            self._actor.forget.remote(obj_ids + self._take_deletes())
            return
        ray = session.require_ray()
        ref = self._actor.handle.remote(
            envelope.request(sender, True, self._take_deletes(), m.DeleteObject(obj_ids[0]))
        )
        ready, _ = ray.wait([ref], timeout=wait_s)
        if ready:
            _, events, _ = envelope.open_reply(ray.get(ready[0]))
            for event in events:
                WORLD.emit(event)

    def _take_deletes(self) -> tuple[int, ...]:
        pending = _pending.pop(self._name, None)
        return tuple(pending) if pending else ()

    def _mark_offline(self) -> None:
        _forget_actor(self._name)


def _forget_actor(name: str) -> None:
    """Every proxy of a dead actor goes offline and lets go of its handle, which frees the name."""
    for proxy in list(_proxies):
        if proxy._name == name:
            proxy._dead = True
            proxy._actor = None
    _pending.pop(name, None)
    _handles.pop(name, None)


def _check_reachable(message: m.Message, destination: RayWorker) -> None:
    """Refuse pointers and moves between a Ray worker and a worker that lives only in this process."""
    target: Hashable | None = None
    if type(message) is m.SendObject and isinstance(message.payload, m.PointerDescription):
        target = message.payload.location
    elif type(message) is m.ForwardObject:
        target = message.destination
    if target is None:
        return
    other = WORLD.workers.get(target)
    if other is not None and not isinstance(other, RayWorker) and not other.is_client_worker:
        raise UnsupportedRemoteValueError(
            f"Ray worker {destination.id!r} cannot reach {type(other).__name__} {target!r}: that worker "
            "lives only in this Python process. Make both Ray workers (sy.RayWorker) or both virtual."
        )


def _register_resolver() -> None:
    if attach_running not in WORLD.resolvers:
        WORLD.resolvers.append(attach_running)


def _all_offline() -> None:
    for proxy in list(_proxies):
        proxy._dead = True
        proxy._actor = None
    _pending.clear()
    _probe.clear()
    _handles.clear()


session.on_shutdown(_all_offline)
