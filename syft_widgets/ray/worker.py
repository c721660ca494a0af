"""``sy.RayWorker``: a worker whose store lives in a Ray actor, with the same pointer API as VirtualWorker.

The object here is a proxy. ``receive`` encodes the message, hands it to the actor and decodes the
reply; the actor's events come back with the reply and are announced here, so diagrams draw a Ray
worker like a virtual one. Garbage collection lives in ``deletes.py``: it never waits in a loop, and
every read of a store first delivers every pending delete, cascades included.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

from .. import interrupts
from .. import messages as m
from ..errors import UnsupportedRemoteValueError, WorkerOfflineError
from ..registry import check_worker_id
from ..snapshot import ObjectView
from ..workers import BaseWorker, WorkerKind
from ..world import WORLD
from . import deletes, envelope, session
from .host import actor_class
from .options import check_feasible, check_options

__all__ = ["RayWorker", "actor_name", "attach_running"]

_proxies: weakref.WeakSet[RayWorker] = weakref.WeakSet()
_probe: dict[str, tuple[int, tuple[ObjectView, ...]]] = {}  # actor key -> (era, views) of an online check
_era = 0  # bumped by every message, so a cached probe is never reused after a change


def actor_name(worker_id: Hashable) -> str:
    """The Ray actor name of a worker: ``syft_widgets:bob`` (ints get a marker, so 0 and "0" differ)."""
    return f"syft_widgets:{worker_id}" if isinstance(worker_id, str) else f"syft_widgets:int:{worker_id}"


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


def actor_key(handle: Any) -> str:
    """One actor's identity: a worker started again under the same name is another actor."""
    return str(handle._actor_id.hex())


Whereabouts = tuple[int, str, str]  # (process id, Ray node id, host name)


def _start_or_attach(ray: Any, worker_id: Hashable, options: Mapping[str, Any]) -> tuple[Any, Whereabouts]:
    """(handle, whereabouts) of the running actor for ``worker_id``, started if there is none.

    get_if_exists makes a second RayWorker with the same id (here or in another process) attach. An
    actor whose node just died may still hold the name (Ray notices a dead node only after its
    health checks): such an actor is ended for good, which frees the name, and a new one started.
    """
    name = actor_name(worker_id)
    error: Exception | None = None
    for attempt in range(4):
        handle = (
            actor_class()
            .options(name=name, namespace=session.NAMESPACE, get_if_exists=True, **options)
            .remote(worker_id, attach_running)  # how the actor reaches its peers (a move bob -> alice)
        )
        try:
            reply = ray.get(handle.whereabouts.remote(), timeout=session.settings.start_timeout_s)
            return handle, _whereabouts(envelope.open_reply(reply).value)
        except (envelope.NodeGone, ray.exceptions.RayActorError) as exc:
            error = exc
        except ray.exceptions.GetTimeoutError:  # e.g. no node can place it: do not wait again
            error = TimeoutError(f"no answer within {session.settings.start_timeout_s:g} s")
            _end(ray, handle)
            break
        except Exception as exc:  # any other failure to start is reported at once
            error = exc
            break
        _end(ray, handle)
        time.sleep(0.2 * attempt)
    raise WorkerOfflineError(
        f"Ray worker {worker_id!r} did not start: {str(error).splitlines()[0] if error else ''}. Check that "
        "Ray works (python -c 'import ray; ray.init()') and that a node can place it, then try again."
    )


def _end(ray: Any, handle: Any) -> None:
    """End an actor that cannot serve, and forget it, so its name is free for a new one."""
    deletes.forget_actor(actor_key(handle))
    _mark_offline(actor_key(handle))
    try:
        ray.kill(handle, no_restart=True)
    except Exception:  # already gone
        pass


def _whereabouts(value: Any) -> Whereabouts:
    pid, node_id, host = value
    return int(pid), str(node_id), str(host)


class RayWorker(BaseWorker):
    """A worker in a Ray actor (another process, here or on a cluster): ``<RayWorker id:bob #objects:0>``.

    ``sy.RayWorker(hook, id="bob")`` starts the actor, or attaches to the running actor named
    ``syft_widgets:bob``. By default Ray runs on this machine, reachable from 127.0.0.1 only;
    ``address=`` joins an existing (trusted, authenticated) cluster instead, and ``ray_options``
    places the actor there in Ray's own terms, e.g. ``{"resources": {"site_bob": 1}}`` or
    ``{"scheduling_strategy": NodeAffinitySchedulingStrategy(node_id, soft=False)}``.
    """

    worker_kind: ClassVar[WorkerKind] = "ray"
    _where: Whereabouts | None

    def __init__(
        self,
        hook: Any,
        id: Hashable = 0,
        address: str | None = None,
        ray_options: Mapping[str, Any] | None = None,
    ) -> None:
        worker_id = check_worker_id(id)
        options = check_options(ray_options)  # before Ray starts: a typo costs nothing
        ray = session.require_ray()
        session.init(address)
        _register_resolver()
        check_feasible(ray, options)
        handle, self._where = _start_or_attach(ray, worker_id, options)
        self._setup(handle)
        super().__init__(hook, id=worker_id)

    @classmethod
    def _attach(cls, worker_id: Hashable, handle: Any) -> RayWorker:
        worker = cls.__new__(cls)
        worker._setup(handle)
        worker._where = None
        BaseWorker.__init__(worker, None, id=worker_id)
        return worker

    def _setup(self, handle: Any) -> None:
        self._actor = handle
        self._key = actor_key(handle)
        self._dead = False
        self._why_offline = ""
        deletes.keep_handle(self._key, handle)
        _proxies.add(self)

    # --- what users and diagrams see -----------------------------------------------------------
    @property
    def online(self) -> bool:
        """False once the actor's process or node is gone; asks the actor (object_views reuses the answer)."""
        if self._dead:
            return False
        try:
            _probe[self._key] = (_era, self._fetch_views())
        except WorkerOfflineError:
            return False
        return True

    def object_views(self) -> tuple[ObjectView, ...]:
        """What the actor holds; () when it is offline, since diagrams must never raise."""
        cached = _probe.pop(self._key, None)
        if cached is not None and cached[0] == _era:
            return cached[1]
        try:
            return self._fetch_views()
        except WorkerOfflineError:
            return ()

    @property
    @interrupts.held  # it delivers pending deletes: an interrupt (■) must not lose one midway
    def _objects(self) -> dict[int, object]:
        """A snapshot of the actor's store: tensors are copies, pointers are read-only (never collected).

        It reflects every delete made so far, cascades included. An offline worker holds nothing
        anyone can reach, so it shows ``{}`` rather than raising.
        """
        if self._dead:
            return {}
        deletes.settle()
        reply = self._call("objects", deletes.take(self._key), timeout=session.settings.timeout_s)
        self._after(reply)
        from ..pointers import make_pointer

        found: dict[int, object] = {}
        for key, obj in reply.value:
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
        """The process id of the actor (on its node); None if it never answered."""
        where = self._whereabouts()
        return where[0] if where else None

    @property
    def node_id(self) -> str | None:
        """The id of the Ray node the actor runs on (``ray.nodes()`` lists them); None if unknown."""
        where = self._whereabouts()
        return where[1] if where else None

    @property
    def hostname(self) -> str | None:
        """The host name of the machine the actor runs on; None if unknown."""
        where = self._whereabouts()
        return where[2] if where else None

    @property
    def placement(self) -> str | None:
        """Where the worker runs, as the diagram's badge shows it: the node id's first 8 characters."""
        node = self.node_id
        return node[:8] if node else None

    @property
    def actor(self) -> Any:
        """The Ray actor handle, for tests and for tools that manage actors."""
        return self._actor

    @property
    def actor_key(self) -> str:
        """Its actor's identity (see :func:`actor_key`): pending deletes are kept per actor."""
        return self._key

    def _whereabouts(self) -> Whereabouts | None:
        if self._where is None and not self._dead:
            try:
                reply = self._call("whereabouts", timeout=session.settings.probe_timeout_s)
                self._where = _whereabouts(reply.value)
            except WorkerOfflineError:
                return None
        return self._where

    # --- the transport -------------------------------------------------------------------------
    def receive(self, message: m.Message, sender: Hashable) -> Any:
        """Forward one message to the actor and return its reply, announcing the actor's events here."""
        global _era
        _era += 1
        if type(message) is m.DeleteObject:
            if not self._dead:
                deletes.delete_later(self, message.obj_id, sender)
            return None
        _check_reachable(message, self)
        listening = WORLD.bus.active
        data = envelope.request(sender, listening, deletes.take(self._key), message)
        reply = self._call("handle", data, timeout=session.settings.timeout_s)
        if listening:
            for event in reply.events:
                WORLD.emit(event)
        self._after(reply)
        if reply.error is not None:
            raise reply.error
        return reply.value

    def _after(self, reply: envelope.Reply) -> None:
        if reply.cascade:
            deletes.route(reply.cascade, self.id)

    def _call(self, method: str, *args: Any, timeout: float) -> envelope.Reply:
        ray = session.require_ray()
        if self._dead or not session.is_active():
            raise self._offline(self._why_offline or "it was shut down")
        try:
            return envelope.open_reply(ray.get(getattr(self._actor, method).remote(*args), timeout=timeout))
        except envelope.NodeGone as exc:
            why = str(exc)
        except ray.exceptions.GetTimeoutError:
            raise self._offline(f"it did not answer within {timeout:g} s") from None
        except ray.exceptions.RayActorError as exc:
            why = f"its process or node died ({type(exc).__name__})"
        except ray.exceptions.RaySystemError as exc:
            raise self._offline(f"Ray failed ({exc})") from None
        _mark_offline(self._key, why)
        deletes.forget_actor(self._key)
        raise self._offline(why) from None

    @interrupts.held  # as _objects
    def _fetch_views(self) -> tuple[ObjectView, ...]:
        deletes.settle()
        reply = self._call("views", deletes.take(self._key), timeout=session.settings.probe_timeout_s)
        self._after(reply)
        return tuple(reply.value)

    def _offline(self, why: str) -> WorkerOfflineError:
        current = WORLD.workers.get(self.id)
        if isinstance(current, RayWorker) and current is not self and not current._dead:
            return WorkerOfflineError(
                f"Ray worker {self.id!r} is offline: {why}. Its objects were lost. The worker {self.id!r} "
                "started since is a new actor that does not have them: send the data to it again."
            )
        return WorkerOfflineError(
            f"Ray worker {self.id!r} is offline: {why}. Its objects are lost; other workers still work. "
            f"Start it again with sy.RayWorker(hook, id={self.id!r}) and send its data again."
        )


def _mark_offline(key: str, why: str = "its process or node died") -> None:
    """Every proxy of a dead actor goes offline and lets go of its handle, which frees the name."""
    for proxy in list(_proxies):
        if proxy._key == key and not proxy._dead:
            proxy._dead = True
            proxy._why_offline = why + " earlier"
            proxy._actor = None
            # In an actor, forget the dead proxy, so a worker started again under this id is found.
            if session.in_actor() and WORLD.workers.get(proxy.id) is proxy:
                del WORLD.workers[proxy.id]
    _probe.pop(key, None)


def _check_reachable(message: m.Message, destination: RayWorker) -> None:
    """Refuse pointers and moves towards a worker that is offline or lives only in this process."""
    target: Hashable | None = None
    if type(message) is m.SendObject and isinstance(message.payload, m.PointerDescription):
        target = message.payload.location
    elif type(message) is m.ForwardObject:
        target = message.destination
    if target is None:
        return
    other = WORLD.workers.get(target)
    if isinstance(other, RayWorker) and other._dead:  # known dead here: refuse before bob tries
        raise other._offline(other._why_offline)
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
        proxy._why_offline = "sy.ray.shutdown() ended it"
        proxy._actor = None
    _probe.clear()
    deletes.clear()


session.on_shutdown(_all_offline)
