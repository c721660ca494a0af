"""What a share holder and the crypto provider do when a protocol message arrives.

Each interactive protocol is written once, as a *program* that one holder runs on its own shares:
a Python generator that ``yield``s an :class:`Opening` whenever the holders must reveal a masked
value to each other, and receives the revealed value back. :func:`advance` sends the holder's part
of each opening straight to the other holders (``SendCrypto`` "open"); ``me`` only says when to go
on (``RunProtocol`` "resume"), so nothing masked or revealed ever passes through ``me``.

The crypto provider runs no program: asked to ``deal`` (with shapes only), it makes the random
material a plan needs and sends each holder its share of it. Per-run state (material, openings,
the program) lives in ``worker.crypto_store`` — never in ``_objects`` — and is dropped when the run
ends or fails.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Hashable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch

from .._ids import new_id
from ..snapshot import ShareTag
from ..world import WORLD
from .messages import HANDLERS, RunProtocol, SendCrypto, SendShare, send

__all__ = [
    "DEALERS",
    "PROGRAMS",
    "STEPS",
    "Opening",
    "Output",
    "Party",
    "Program",
    "ProgramCall",
    "crypto_store",
    "mark_share",
    "store_share",
]


class Opening(NamedTuple):
    """Values the holders reveal together: each gives its part; all get the sum (or XOR) of the parts."""

    mode: str  # "add" (mod 2^64) or "xor"
    values: tuple[torch.Tensor, ...]


Program = Generator[Opening, tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]


class Output(NamedTuple):
    """Where a program's result share goes: its store id, its secret's id, and its fixed-point precision."""

    return_id: int
    secret: int
    precision: int | None


class ProgramCall(NamedTuple):
    """What ``me`` asks one holder to run: the argument of RunProtocol "local" and "start".

    Ids, names and public numbers only (a tuple, so a check that walks a message's arguments for
    tensors walks this too).
    """

    program: str  # a name in PROGRAMS
    refs: tuple  # this holder's input shares: ObjectRefs into its store
    public: tuple  # the program's public arguments
    holder_index: int  # this holder's place among the holders
    holders: tuple[str, ...]  # every holder's id, in order
    outputs: tuple[Output, ...]  # where each result share goes
    crypto_provider: str | None

    def tag(self, secret: int) -> ShareTag:
        """The mark of this holder's share of the result ``secret``."""
        return ShareTag(secret, self.holder_index, self.holders, self.crypto_provider)


class Party:
    """One holder's view of one protocol run: who it is among the holders, and its material."""

    __slots__ = ("holders", "index", "material")

    def __init__(self, index: int, holders: tuple[str, ...], material: deque | None = None) -> None:
        self.index = index
        self.holders = holders
        self.material: deque = deque() if material is None else material

    @property
    def leads(self) -> bool:
        """The first holder adds public constants (exactly one holder must)."""
        return self.index == 0

    def take(self, kind: str) -> tuple[torch.Tensor, ...]:
        """The next piece of material the crypto provider dealt for this run; it must be ``kind``."""
        item = self.material.popleft()
        if item[0] != kind:
            raise RuntimeError(f"protocol out of step: expected {kind} material, got {item[0]}")
        return tuple(item[1:])


@dataclass
class _Run:
    """A protocol run's state on one worker (in its crypto_store, under the run's key)."""

    party: Party = field(default_factory=lambda: Party(0, ()))  # filled in by _start
    call: ProgramCall | None = None  # what me asked (set by _start)
    program: Program | None = None
    pending: Opening | None = None
    round: int = 0
    inbox: dict[int, list[tuple[torch.Tensor, ...]]] = field(default_factory=dict)


# Per-party programs by name, and the crypto provider's material makers by kind (filled by beaver.py
# and comparison.py). A maker gets the spec and the number of holders; it returns one tuple per holder.
# A program returns its results at once (a local operation) or is a generator (an interactive one).
PROGRAMS: dict[str, Callable[..., Program | tuple[torch.Tensor, ...]]] = {}
DEALERS: dict[str, Callable[[Any, int], list[tuple[Any, ...]]]] = {}
STEPS: dict[str, Callable[..., Any]] = {}

PENDING = "open"  # a holder's reply while its program waits for an opening


def crypto_store(worker: Any) -> dict[int, Any]:
    """The worker's store of protocol state: material and openings of runs in progress."""
    store: dict[int, Any] | None = worker.__dict__.get("crypto_store")
    if store is None:
        store = worker.__dict__["crypto_store"] = {}
    return store


def _run(worker: Any, key: int) -> _Run:
    store = crypto_store(worker)
    run = store.get(key)
    if run is None:
        run = store[key] = _Run()
    return run


def mark_share(share: torch.Tensor, tag: ShareTag, precision: int | None) -> torch.Tensor:
    """Mark a tensor as a share (snapshot.view_of reads these marks for diagrams)."""
    marks = share.__dict__
    marks["share_tag"] = tag
    if precision is not None:
        marks["precision_fractional"] = precision
    return share


# --- the three handlers ------------------------------------------------------------------------------
def _handle_send_share(worker: Any, msg: SendShare, sender: Hashable) -> int:
    return store_share(worker, msg.obj_id, msg.share, msg.tag, msg.precision)


def store_share(worker: Any, obj_id: int, share: torch.Tensor, tag: ShareTag, precision: int | None) -> int:
    """What a SendShare asks: keep the share, marked; returns its key."""
    # Straight into the store: a share is never a pointer, and needs no tensor id of its own.
    store = worker.object_store
    if obj_id in store.objects:  # an id already in use gets a fresh one (as worker._store does)
        obj_id = new_id()
    store.register(obj_id, mark_share(share, tag, precision))
    return obj_id


def _handle_crypto(worker: Any, msg: SendCrypto, sender: Hashable) -> None:
    run = _run(worker, msg.key)
    if msg.what == "open":
        run.inbox.setdefault(msg.round, []).append(msg.values)
    else:
        run.party.material.extend(msg.values)


def _handle_protocol(worker: Any, msg: RunProtocol, sender: Hashable) -> Any:
    return STEPS[msg.step](worker, sender, msg.key, *msg.args)


HANDLERS[SendShare] = _handle_send_share
HANDLERS[SendCrypto] = _handle_crypto
HANDLERS[RunProtocol] = _handle_protocol


# --- protocol steps ----------------------------------------------------------------------------------
def _deal(worker: Any, sender: Hashable, key: int, plan: tuple, holders: tuple[str, ...]) -> None:
    """The crypto provider makes the material of ``plan`` and sends each holder its shares of it."""
    per_holder: list[list[tuple[Any, ...]]] = [[] for _ in holders]
    for kind, spec in plan:
        for i, part in enumerate(DEALERS[kind](spec, len(holders))):
            per_holder[i].append((kind, *part))
    what = "triple" if all(kind == "beaver" for kind, _ in plan) else "comparison mask"
    for holder, material in zip(holders, per_holder, strict=True):
        send(worker, SendCrypto(key, what, tuple(material)), WORLD.worker(holder))


def _local(worker: Any, sender: Hashable, key: int, call: ProgramCall) -> tuple:
    """Run a local program (no openings, no material) on this holder's shares; store the results."""
    inputs = worker._resolve(call.refs)
    results = run_local(call.program, Party(call.holder_index, call.holders), inputs, call.public)
    return _store_results(worker, results, call)


def run_local(program: str, party: Party, inputs: Any, public: tuple) -> tuple[torch.Tensor, ...]:
    """One holder's results of a local program (one that needs no material and no opening)."""
    results = PROGRAMS[program](party, *inputs, *public)
    if not isinstance(results, tuple):  # an interactive program with nothing to do (max of one value)
        try:
            next(results)
            raise RuntimeError(f"protocol out of step: {program} needs material it was not dealt")
        except StopIteration as done:
            results = done.value
    return results


def _start(worker: Any, sender: Hashable, key: int, call: ProgramCall) -> Any:
    """Start an interactive program: it runs until its first opening (or to its end)."""
    run = _run(worker, key)
    run.party.index, run.party.holders = call.holder_index, call.holders
    run.call = call
    inputs = worker._resolve(call.refs)
    started = PROGRAMS[call.program](run.party, *inputs, *call.public)
    if isinstance(started, tuple):  # no opening after all: the result is ready
        return _finish(worker, key, run, started)
    run.program = started
    return _advance(worker, key, run, ())


def _resume(worker: Any, sender: Hashable, key: int) -> Any:
    run = _run(worker, key)
    assert run.pending is not None
    parts = run.inbox.pop(run.round)
    if len(parts) != len(run.party.holders) - 1:
        raise RuntimeError(f"protocol out of step: {len(parts)} openings arrived for round {run.round}")
    combined = []
    for position, own in enumerate(run.pending.values):
        total = own
        for part in parts:
            total = total + part[position] if run.pending.mode == "add" else total ^ part[position]
        combined.append(total)
    return _advance(worker, key, run, tuple(combined))


def _advance(worker: Any, key: int, run: _Run, revealed: tuple[torch.Tensor, ...]) -> Any:
    assert run.program is not None
    try:
        opening = run.program.send(revealed) if revealed else next(run.program)
    except StopIteration as done:
        return _finish(worker, key, run, done.value)
    run.round += 1
    run.pending = opening
    me = worker.id
    for holder in run.party.holders:
        if holder != str(me):
            send(worker, SendCrypto(key, "open", opening.values, run.round), WORLD.worker(holder))
    return PENDING


def _finish(worker: Any, key: int, run: _Run, results: tuple[torch.Tensor, ...]) -> tuple:
    crypto_store(worker).pop(key, None)  # the run's material and openings are gone with it
    assert run.call is not None
    return _store_results(worker, results, run.call)


def _store_results(
    worker: Any, results: tuple[torch.Tensor, ...], call: ProgramCall
) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """Store each result share, marked; the reply is (store id, shape) per result."""
    replies = []
    for result, (return_id, secret, precision) in zip(results, call.outputs, strict=True):
        obj_id = worker._store(return_id, mark_share(result, call.tag(secret), precision), adopt_id=False)
        replies.append((obj_id, tuple(result.shape)))
    return tuple(replies)


def _forget(worker: Any, sender: Hashable, key: int) -> None:
    crypto_store(worker).pop(key, None)


STEPS.update({"deal": _deal, "local": _local, "start": _start, "resume": _resume, "forget": _forget})
