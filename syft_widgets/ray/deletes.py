"""Garbage collection for Ray workers: a delete never makes a loop wait, and every read of a store is exact.

A dead pointer's delete is not sent at once. It waits in a list per actor and rides along with the
next message to that actor, or goes out on its own once 32 are pending (its answer is collected
later). A worker's handling may delete objects on other workers: alice, forgetting a pointer to
bob's tensor, deletes that tensor too. An actor never sends such a delete itself; it returns it
with its reply, as the reply's *cascade*, and the driver delivers it like one of its own. So no actor
ever waits for another, and :func:`settle`, which every read of a store (``_objects``, ``repr``, a
diagram's snapshot) calls first, can deliver every pending delete and wait for the cascades, round
after round, until nothing is left.

With a live view open, a delete goes out at once and the driver waits up to
``settings.gc_event_wait_s`` for the actor's events, so the diagram can draw the removal.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from .. import interrupts
from .. import messages as m
from ..world import WORLD
from . import envelope, session

if TYPE_CHECKING:
    from .worker import RayWorker

__all__ = [
    "CollectingCascade",
    "clear",
    "delete_later",
    "forget_actor",
    "keep_handle",
    "route",
    "settle",
    "take",
]

_BATCH = 32  # pending deletes per actor before they go out on their own
_ROUNDS = 16  # settle() follows a cascade this many hops at most

_pending: dict[str, list[int]] = {}  # actor key -> object ids to delete with its next message
# Ray ends a non-detached actor once its creator holds no handle to it; proxies come and go (a cell
# re-run replaces bob), so the session keeps one handle per actor until shutdown or its death.
_handles: dict[str, Any] = {}
_inflight: list[Any] = []  # answers of deletes sent but not yet read: they may carry cascades
_outbox: list[tuple[Hashable, int]] | None = None  # in an actor, while it handles a message


def keep_handle(key: str, handle: Any) -> None:
    _handles.setdefault(key, handle)


def forget_actor(key: str) -> None:
    """A dead actor: drop its pending deletes and its handle (which frees its name in Ray)."""
    _pending.pop(key, None)
    _handles.pop(key, None)


def clear() -> None:
    _pending.clear()
    _handles.clear()
    _inflight.clear()


def take(key: str) -> tuple[int, ...]:
    """The deletes pending for one actor, to ride along with a message to it."""
    pending = _pending.pop(key, None)
    return tuple(pending) if pending else ()


class CollectingCascade:
    """In an actor: ``with CollectingCascade() as cascade:`` collects the deletes its handling causes on
    other workers, for its reply.

    A class rather than a ``@contextmanager`` generator: an actor enters one for every message it
    handles, and a generator costs several times more to start and close.
    """

    __slots__ = ("outer",)

    def __enter__(self) -> list[tuple[Hashable, int]]:
        global _outbox
        self.outer, _outbox = _outbox, []
        return _outbox

    def __exit__(self, *exc_info: object) -> None:
        global _outbox
        _outbox = self.outer


def delete_later(worker: RayWorker, obj_id: int, sender: Hashable) -> None:
    """Garbage collection of ``obj_id`` on ``worker``: never waits long, never raises."""
    try:
        if _outbox is not None:  # an actor handling a message: its reply carries the delete
            _outbox.append((worker.id, obj_id))
        elif not session.is_active():
            return
        elif session.in_actor():  # an actor collecting garbage between messages: send, never wait
            worker.actor.forget.remote((obj_id,))
        elif WORLD.bus.active:  # a diagram watches: delete now, and draw the removal if it comes quickly
            _delete_now(worker, obj_id, sender)
        else:
            pending = _pending.setdefault(worker.actor_key, [])
            pending.append(obj_id)
            if len(pending) >= _BATCH:
                _send(worker.actor_key)
    except Exception:  # garbage collection must never raise into a destructor
        pass


def route(cascade: envelope.Cascade, sender: Hashable) -> None:
    """Deliver the deletes an actor's handling caused elsewhere (in an actor: pass them up)."""
    for worker_id, obj_id in cascade:
        if _outbox is not None:
            _outbox.append((worker_id, obj_id))
            continue
        try:
            target = WORLD.worker(worker_id)
        except LookupError:  # a worker this process never met and cannot find: nothing to do
            continue
        if target.kind == "ray":
            target.receive(m.DeleteObject(obj_id), sender)


@interrupts.held  # a read of a store calls it; an interrupt (■) midway would lose deletes
def settle() -> None:
    """Deliver every pending delete and every cascade it causes, waiting for the answers.

    Afterwards every store reflects every delete made so far. Gives up waiting on an actor that does
    not answer within ``settings.probe_timeout_s``; reads then show what it holds at that moment.
    """
    if session.in_actor():
        return
    for _ in range(_ROUNDS):
        for key in list(_pending):
            _send(key)
        if not _inflight or not _collect(session.settings.probe_timeout_s):
            return


def _send(key: str) -> None:
    ids, handle = take(key), _handles.get(key)
    if ids and handle is not None:
        _inflight.append(handle.forget.remote(ids))
        if len(_inflight) > _BATCH:  # keep the list short in a long loop: read the answers that came
            _collect(0)


def _collect(timeout: float) -> bool:
    """Read the answers that arrive within ``timeout``; route their cascades. False if none came."""
    ray = session.require_ray()
    refs = list(_inflight)
    _inflight.clear()
    ready, waiting = ray.wait(refs, num_returns=len(refs), timeout=timeout)
    _inflight.extend(waiting)
    for ref in ready:
        reply = _open(ray, ref)
        if reply is not None and reply.cascade:
            route(reply.cascade, "gc")
    return bool(ready)


def _delete_now(worker: RayWorker, obj_id: int, sender: Hashable) -> None:
    ray = session.require_ray()
    request = envelope.request(sender, True, take(worker.actor_key), m.DeleteObject(obj_id))
    ref = worker.actor.handle.remote(request)
    wait_s = session.settings.gc_event_wait_s
    if wait_s <= 0 or not ray.wait([ref], timeout=wait_s)[0]:
        _inflight.append(ref)  # settle() reads it; the removal shows in the next snapshot
        return
    reply = _open(ray, ref)
    if reply is None:
        return
    for event in reply.events:
        WORLD.emit(event)
    if reply.cascade:
        route(reply.cascade, worker.id)


def _open(ray: Any, ref: Any) -> envelope.Reply | None:
    try:
        return envelope.open_reply(ray.get(ref, timeout=0))
    except Exception:  # a dead actor's deletes are moot; the next call to it reports it offline
        return None
