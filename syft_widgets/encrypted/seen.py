"""Who has seen what in the clear: the privacy record of a session, built from its steps.

A worker has *seen in the clear* a value it owns and shares ("own"), a plain tensor another worker
sent it or sent back to it ("received"), and a secret it put back together with ``.get()``
("revealed"). Shares, triples and masked openings are random-looking: they are counted, but they
reveal nothing. The record is a fold over recorded steps (``events.Step``): :class:`SeenLedger`
takes steps one by one (a live view feeds it the steps it records), and ``SEEN`` is one ledger
that follows the world's steps from ``SEEN.start()`` on.

A fast loop's steps are grouped into "batch" steps that carry no events (``world.py``), so a batch
keeps the details of the steps this record needs (``WORLD.batch_keeps``): the encrypted steps, whose
details say everything, and the steps that hand a worker plain values (``PLAIN_TRANSFERS``), whose
details say who received how many values from whom, but not the values: those entries show
``UNRECORDED`` instead of a preview. A worker that saw values in a fast loop never reads "saw
nothing".
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from ..events import MessageSent, ObjectRemoved, ObjectStored, Step
from ..snapshot import ObjectView
from ..world import WORLD

__all__ = ["KEEP", "PLAIN_TRANSFERS", "SEEN", "UNRECORDED", "SeenEntry", "SeenLedger", "WorkerSeen", "seen"]

KEEP = 20  # entries kept per worker (the latest); clear_count counts them all

# Steps that give a worker plain values (their details name the receiver, the sender and how many):
# a tensor or a parameter sent by me, moved from one worker to another or fetched by me (``kind``
# "tensor" or "parameter"; "pointer" gives no value), a model's parameters sent, moved or fetched
# (``count`` of them), and the gradients that came with them (``grads``).
PLAIN_TRANSFERS = frozenset({"send", "move", "get", "send_module", "move_module", "get_module"})
_FETCHES = ("get", "get_module")  # me receives from the step's holder
UNRECORDED = "…"  # the preview of a value that passed inside a batch: its value was not recorded

# What a batch keeps for this record: the encrypted steps and the plain transfers.
WORLD.batch_keeps.update(("share", "reconstruct", "shared_op", *PLAIN_TRANSFERS))

How = Literal["own", "received", "revealed"]


@dataclass(frozen=True, slots=True)
class SeenEntry:
    """One value a worker saw in the clear: how, from whom, and what it looked like."""

    how: How
    source: str  # the worker it came from (the worker itself for "own" and "revealed")
    obj_id: int  # the object's id (for "own"/"revealed": the secret's id)
    shape: tuple[int, ...]
    dtype: str
    preview: str
    attr: str = ""  # "grad": the gradient that came with a received parameter (Part 10's leak)


@dataclass(frozen=True, slots=True)
class WorkerSeen:
    """What one worker has seen: values in the clear, and how many shares and masked values."""

    worker: str
    clear: tuple[SeenEntry, ...]  # the latest KEEP, oldest first
    clear_count: int
    shares: int  # shares it received or kept (each alone is uniformly random)
    masked: int  # triple shares, masks and masked openings it received during protocols

    @property
    def saw_nothing(self) -> bool:
        """True when this worker never held anything in the clear."""
        return self.clear_count == 0


class SeenLedger:
    """The record, step by step: ``add_step(step)``; ``as_dict()`` gives it as plain data."""

    def __init__(self) -> None:
        self.version = 0  # grows on every change
        self._clear: dict[str, deque[SeenEntry]] = {}
        self._counts: dict[str, list[int]] = {}  # worker -> [clear, shares, masked]
        self._order: list[str] = []
        # The last known view of every stored object, to say what a fetched object looked like.
        self._views: dict[tuple[str, int], ObjectView] = {}
        self._unsubscribe: Callable[[], None] | None = None

    # --- following the world -----------------------------------------------------------------
    def start(self) -> SeenLedger:
        """Follow the world's steps from now on (a step listener; events are recorded for it)."""
        if self._unsubscribe is None:
            self._unsubscribe = WORLD.bus.subscribe_steps(self.add_step)
        return self

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def reset(self) -> None:
        """Forget everything recorded so far."""
        self.__init__()  # type: ignore[misc]
        self.version += 1

    # --- recording ---------------------------------------------------------------------------
    def _worker(self, worker: str) -> list[int]:
        counts = self._counts.get(worker)
        if counts is None:
            counts = self._counts[worker] = [0, 0, 0]
            self._clear[worker] = deque(maxlen=KEEP)
            self._order.append(worker)
        return counts

    def _saw(self, worker: str, entry: SeenEntry) -> None:
        self._worker(worker)[0] += 1
        self._clear[worker].append(entry)

    def add_step(self, step: Step) -> None:
        """Fold one step into the record."""
        if step.error is None and step.op in ("share", "reconstruct"):
            self._values(step.op, step.detail)
        elif step.op == "batch":  # a fast loop's grouped steps: the encrypted ones' details were kept
            kept = step.detail.get("kept", ())
            for op, detail in kept if isinstance(kept, tuple) else ():
                if op in PLAIN_TRANSFERS:
                    self._transferred(op, detail)
                else:
                    self._values(op, detail)
                    self._counts_of(op, detail)
        detail = step.detail
        events = step.events
        for i, event in enumerate(events):
            if isinstance(event, ObjectStored):
                self._views[(event.worker, event.obj.id)] = event.obj
                if event.obj.share is not None and step.op == "share" and event.worker == detail.get("owner"):
                    self._worker(event.worker)[1] += 1  # the owner keeps a share of its own value
            elif isinstance(event, ObjectRemoved):
                pass
            elif isinstance(event, MessageSent):
                self._message(step, event, events[i + 1 :])
        for worker in step.snapshot.workers:
            self._worker(worker.id)
            for view in worker.objects:
                self._views[(worker.id, view.id)] = view
        self.version += 1

    def _values(self, op: str, detail: Mapping[str, object]) -> None:
        """The values a share or reconstruct step shows in the clear: the owner's, or what me got."""
        secret, shape = _int(detail.get("secret")), _shape(detail.get("shape"))
        if op == "share":
            own = detail.get("value", detail.get("owner_value"))  # me's value, or a worker's own (Part 10)
            if own is not None:
                owner = str(detail["owner"])
                self._saw(owner, SeenEntry("own", owner, secret, shape, "int64", str(own)))
        elif op == "reconstruct" and "value" in detail:
            who = _me()
            self._saw(who, SeenEntry("revealed", who, secret, shape, "int64", str(detail["value"])))

    def _counts_of(self, op: str, detail: Mapping[str, object]) -> None:
        """The shares and masked values of a step grouped in a batch (its messages were not recorded)."""
        holders = detail.get("holders", ())
        if op == "share":  # each holder got (or, the owner, kept) one share
            for holder in holders if isinstance(holders, tuple) else ():
                self._worker(str(holder))[1] += 1
        elif op == "reconstruct" and isinstance(holders, tuple):  # every share came home to me
            self._worker(_me())[1] += len(holders)
        elif op == "shared_op":
            masked = detail.get("masked", ())
            for worker, count in masked if isinstance(masked, tuple) else ():
                self._worker(str(worker))[2] += count

    def _transferred(self, op: str, detail: Mapping[str, object]) -> None:
        """Plain values a step grouped in a batch gave a worker: who got how many, from whom."""
        if op in _FETCHES:
            receiver, source = _me(), str(detail.get("holder", ""))
        else:  # moved from a worker, or sent by me
            receiver, source = str(detail.get("destination", "")), str(detail.get("source", _me()))
        if not receiver or not source:  # a step counted without its detail: nothing to say who got what
            return
        if op in ("send", "move", "get"):  # one tensor or parameter (a pointer carries no value)
            count = 1 if detail.get("kind") in ("tensor", "parameter") else 0
        else:  # a model's parameters, each one a value
            count = _int(detail.get("count"))
        grads = _int(detail.get("grads"))  # gradients that came with the values (Part 10's leak)
        for i in range(count):
            # Each value with its gradient, in the order a step's own messages tell them.
            self._saw(receiver, SeenEntry("received", source, 0, (), "", UNRECORDED))
            if i < grads:
                self._saw(receiver, SeenEntry("received", source, 0, (), "", UNRECORDED, "grad"))

    def _message(self, step: Step, event: MessageSent, after: tuple) -> None:
        receiver = event.receiver
        counts = self._worker(receiver)
        if event.message == "send share":
            counts[1] += 1
        elif event.message == "crypto":
            counts[2] += 1
        elif event.message == "send object" and event.kind in ("tensor", "parameter"):
            view = next((e.obj for e in after if isinstance(e, ObjectStored) and e.worker == receiver), None)
            self._received(receiver, event.sender, view, event.obj_ids)
        elif event.message == "reply" and event.kind in ("tensor", "parameter"):
            view = self._views.get((event.sender, event.obj_ids[0])) if event.obj_ids else None
            if step.op == "reconstruct" or (view is not None and view.share is not None):
                counts[1] += 1  # a share coming home: .get() of a shared value adds them up
            else:
                self._received(receiver, event.sender, view, event.obj_ids)

    def _received(
        self, receiver: str, sender: str, view: ObjectView | None, obj_ids: tuple[int, ...]
    ) -> None:
        if view is not None and view.share is not None:
            self._worker(receiver)[1] += 1
            return
        obj_id = view.id if view is not None else (obj_ids[0] if obj_ids else 0)
        entry = SeenEntry(
            "received",
            sender,
            obj_id,
            view.shape if view else (),
            view.dtype if view else "",
            view.preview if view else "",
        )
        self._saw(receiver, entry)
        if view is not None and view.grad is not None:  # a parameter's .grad comes with it (model.get())
            self._saw(
                receiver, SeenEntry("received", sender, obj_id, view.shape, view.dtype, view.grad, "grad")
            )

    # --- reading -----------------------------------------------------------------------------
    def as_dict(self, workers: Iterable[str] | None = None) -> dict[str, WorkerSeen]:
        """Worker id -> what it has seen; every worker the world knows (in its order), then others."""
        order = [str(w) for w in WORLD.workers] if workers is None else [str(w) for w in workers]
        order += [w for w in self._order if w not in order]
        result = {}
        for worker in order:
            clear, shares, masked = self._counts.get(worker, [0, 0, 0])
            result[worker] = WorkerSeen(worker, tuple(self._clear.get(worker, ())), clear, shares, masked)
        return result


def _me() -> str:
    me = WORLD.local_worker
    return str(me.id) if me is not None else "me"


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _shape(value: object) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, tuple) else ()


SEEN = SeenLedger()
"""The session's ledger: ``SEEN.start()`` makes it follow every step; ``seen()`` reads it."""


def seen() -> dict[str, WorkerSeen]:
    """What each worker has seen in the clear since ``SEEN.start()`` (see :class:`WorkerSeen`)."""
    return SEEN.as_dict()
