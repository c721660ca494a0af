"""The world: the session's registry of workers, the event bus, and the grouping of events into steps.

What the world knows (workers, the learner's pointers, snapshots) is in :mod:`registry`; this module
records what happens: ``WORLD.step(op, **detail)`` around each operation, the events inside it, and
the batches a fast loop is grouped into.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
import threading
import time
from collections.abc import Callable, Mapping
from types import FrameType, MappingProxyType
from typing import Any, Final

from . import interrupts
from .events import UNFINISHED, Event, EventBus, Step, StepError, StepOp
from .registry import Registry

__all__ = [
    "BATCH_SECONDS",
    "BURST_STEPS",
    "BURST_WINDOW",
    "INTERNAL",
    "WORLD",
    "QuietStepBlock",
    "StepBlock",
    "World",
    "batch_key",
]

# The op of what torch does by itself: property reads (is_sparse, is_leaf), grad and data writes.
# It is never a step of its own, nor a word in a batch; inside a step it folds in with its messages.
INTERNAL: Final = "internal"
_NO_DETAIL: Mapping[str, object] = MappingProxyType({})  # a torch step nobody records needs none

# A fast loop would otherwise pay for an event list and a snapshot on every step. Past BURST_STEPS
# steps within BURST_WINDOW seconds, steps are grouped: one "batch" step per BATCH_SECONDS, holding
# how many operations of each kind ran and the world after them. A pause, or flush_steps() (which
# the live view calls when a cell ends), closes the batch and returns to one step per operation.
BURST_STEPS = 30
BURST_WINDOW = 0.2
BATCH_SECONDS = 0.1


# The detail that names what a batch counts of these ops (see batch_key); other ops count as they are.
_COUNTED_BY: Final = {"command": "func", "module_call": "module", "optimizer_step": "optimizer"}


def batch_key(op: str, detail: Mapping[str, object]) -> str:
    """How a batch counts a step: its op, or for a torch call what was called.

    >>> batch_key("command", {"func": "add"}), batch_key("module_call", {"module": "Linear(2 → 1)"})
    ('command:add', 'module_call:Linear(2 → 1)')
    >>> batch_key("optimizer_step", {"optimizer": "SGD"}), batch_key("gc", {})
    ('optimizer_step:SGD', 'gc')
    """
    what = _COUNTED_BY.get(op)
    return f"{op}:{detail.get(what, '?')}" if what else op


class World(Registry):
    """The registry of workers (see :mod:`registry`), plus the bookkeeping that turns core
    activity into steps: the event bus, steps, and the batching of fast loops."""

    def __init__(self) -> None:
        super().__init__()
        self.bus = EventBus()
        # True when events are to be built: someone listens and steps are not being batched.
        self.recording = False
        self.bus.on_change = self._refresh_recording
        self._batch: dict[str, int] | None = None  # batch_key -> count, while a batch is open
        # Ops whose (op, detail) a batch keeps, in order, in its detail["kept"]: the few facts a
        # record must not lose however fast the loop (the encrypted steps register themselves).
        self.batch_keeps: set[str] = set()
        self._kept: list[tuple[str, Mapping[str, object]]] = []
        self._batch_start = 0.0
        self._window_start = 0.0
        self._window_count = 0
        self._last_step_end = 0.0
        self._depth = 0
        self._step_op = ""
        self._step_detail: Mapping[str, object] = {}
        self._step_events: list[Event] | None = None
        self._step_index = itertools.count()
        # (depth, exception) of the last exception that left an open step; see step_failed.
        self._failure: tuple[int, BaseException | StepError] | None = None
        # Steps torch's hooks opened and have not closed yet: (owner, torch's frame, thread id).
        self._opened_by_torch: list[tuple[object, FrameType, int]] = []
        # Called with True when steps gain their first listener and False when they lose the last:
        # the hook installs torch's global module and optimizer hooks only while someone listens.
        self.step_watchers: list[Callable[[bool], None]] = []
        self._steps_watched = False
        self._quiet_step = QuietStepBlock(self)

    # --- the learner's pointers, as steps draw them ---------------------------------------------
    def pointer_retired(self, pointer: Any) -> None:
        """``.get()`` spent ``pointer``: spend its twins, and show it as spent in the open step."""
        self.retire_twins(pointer)
        if self._step_events is not None and pointer.owner is self.local_worker:
            self._spent_views.append(dataclasses.replace(pointer.object_view(), spent=True))

    # --- events and steps ----------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        if self._step_events is not None:
            self._step_events.append(event)
        self.bus.emit(event)

    def step(self, op: StepOp, always: bool = False, **detail: object) -> StepBlock | QuietStepBlock:
        """``with WORLD.step("get", holder="bob"):`` one user-level step: the one way to open a step.

        Nested steps (a worker forwarding a command) join the open one. ``detail`` names what the
        step is about (see ``events.Step``); it is kept only while someone listens. ``always``
        records the step even when it sent no message (creating a worker, clearing a store).
        """
        if self.bus.active:
            return StepBlock(self, op, detail, always)
        return self._quiet_step  # nobody listens: one shared block, nothing to remember per step

    def count_step(self, op: StepOp) -> None:
        """Count a step that already ran directly in a fast loop's batch and could not fail.

        A dropped pointer's delete is one per pointer operation: this spares it a ``with`` block.
        Inside another step it is part of that step, as it would be with :meth:`step`.
        """
        if self._opened_by_torch:
            self._close_abandoned()
        if not self._depth and self._batch is not None:
            self._count_in_batch(op, _NO_DETAIL)

    # --- the counted step: a step of a fast loop's batch, which only counts it ---------------------
    # A batch runs a step per pointer operation, so its form of a step skips the general open and
    # close. StepBlock uses it, and so does the hottest operation (a torch call on pointers, see
    # remote.run_remote) directly, to spare itself a ``with`` block's four calls.
    def open_counted_step(self) -> bool:
        """Open an outermost step that a fast loop's batch will only count; False when it cannot be one.

        It cannot when no batch is open, or a step is open already (this one then nests in it). If
        True, end it with :meth:`close_counted_step`, also when it fails. Nested steps join it.
        """
        if self._batch is None or self._depth or self._opened_by_torch:
            return False
        self._depth = 1
        self._failure = None
        return True

    def close_counted_step(
        self, op: StepOp, detail: Mapping[str, object], exc: BaseException | None = None
    ) -> None:
        """Close a step :meth:`open_counted_step` opened: count it, or tell its failure as a step."""
        if exc is None and self._depth == 1 and self._batch is not None:
            self._depth = 0
            self._failure = None  # an exception caught inside the step did not fail it
            self._count_in_batch(op, detail)
            return
        # It failed, or the batch ended meanwhile (a pause): the general close tells it as a step.
        self._step_op, self._step_detail = op, detail
        if exc is not None:
            self.step_failed(exc)  # the exception goes on to the learner
        self._close_step()

    def _open_step(self, op: StepOp, detail: Mapping[str, object]) -> None:
        """Open a step (``step`` and torch's hooks do); nested calls join the open one.

        ``op`` INTERNAL marks what torch does by itself (a property read such as ``is_sparse``, a
        grad write): inside a step it folds in like anything else; on its own it is no step at all.
        """
        if self._opened_by_torch:
            self._close_abandoned()
        self._depth += 1
        if self._depth == 1 and self.bus.active:
            self._failure = None
            self._step_op = op
            self._step_detail = detail
            if self.recording and op != INTERNAL:
                self._step_events = []

    def step_failed(self, exc: BaseException) -> None:
        """An exception is leaving the innermost open step; it fails the step if it leaves them all."""
        self._failure = (self._depth, exc)

    def _close_step(self, always: bool = False) -> None:
        self._depth -= 1
        if self._depth:
            return
        failure, self._failure = self._failure, None
        if not self.bus.wants_steps or self._step_op == INTERNAL:
            self._step_events = None  # the fast path: no step is recorded
            if self._spent_views:
                self._spent_views = []
            return
        # Only an exception that left the outermost step failed it; one caught inside did not.
        error = None
        if failure is not None and failure[0] == 1:
            cause = failure[1]
            error = cause if isinstance(cause, StepError) else StepError.of(cause)
        if self._batch is not None:
            if error is None:
                self._count_in_batch(self._step_op, self._step_detail)
                return
            self.flush_steps()  # a failure is told on its own, after the operations before it
            self._emit(events=(), error=error)
        elif self._step_events is not None:
            events, self._step_events = tuple(self._step_events), None
            if events or always or error is not None:
                self._emit(events, error)
                self._watch_for_bursts()
        self._spent_views = []  # drawn in the step that spent them, and not afterwards

    def _emit(self, events: tuple[Event, ...], error: StepError | None) -> None:
        step = Step(next(self._step_index), self._step_op, self._step_detail, events, self.snapshot(), error)
        self.bus.emit_step(step)

    # Torch's own hook points (a module's forward, an optimizer's step) open steps too. Their
    # closing hook does not run when the call raises a KeyboardInterrupt, or an optimizer step
    # raises anything; such a step is found abandoned (its torch frame has left the stack) and
    # closed as failed the next time a step begins, so it never swallows the steps after it.
    def open_torch_step(self, owner: object, op: StepOp, detail: Callable[[], Mapping[str, object]]) -> None:
        """Open a step for a call torch announced; ``detail`` is built only for an outermost step."""
        frame = sys._getframe(2)  # the torch function that called the hook
        with interrupts.Held():  # an interrupt (■) must not come between opening and noting it
            self._open_step(op, detail() if self._depth == 0 and self.bus.wants_steps else _NO_DETAIL)
            self._opened_by_torch.append((owner, frame, threading.get_ident()))

    def close_torch_step(self, owner: object, exc: BaseException | None = None) -> None:
        """Close the step ``open_torch_step`` opened for ``owner`` (failed, if ``exc`` is given)."""
        opened = self._opened_by_torch
        if not opened or opened[-1][0] is not owner:
            return  # hooks installed mid-call: this call opened no step
        with interrupts.Held():  # nor between forgetting the step and closing it
            opened.pop()
            if exc is not None:
                self.step_failed(exc)
            self._close_step()

    def _close_abandoned(self) -> None:
        here = threading.get_ident()
        on_stack: set[int] | None = None
        while self._opened_by_torch and self._opened_by_torch[-1][2] == here:
            if on_stack is None:
                on_stack = set()
                frame: FrameType | None = sys._getframe(1)
                while frame is not None:
                    on_stack.add(id(frame))
                    frame = frame.f_back
            frame_of_step = self._opened_by_torch[-1][1]
            if id(frame_of_step) in on_stack:
                return
            with interrupts.Held():
                self._opened_by_torch.pop()
                if self._depth == 1 and (self._failure is None or self._failure[0] != 1):
                    # An exception that left a command inside the step is the likely cause.
                    self._failure = (1, self._failure[1] if self._failure is not None else UNFINISHED)
                self._close_step()

    def flush_steps(self) -> None:
        """Close a batch of grouped steps now (emitting it) and record one step per operation again.

        The live view calls this when a cell ends: the next cell's loop is a new burst, whose first
        steps are recorded one by one however quickly the cells follow each other.
        """
        if self._opened_by_torch:
            self._close_abandoned()
        if self._depth == 0:
            self._window_count = 0
            if self._batch is not None:
                self._emit_batch()
                self._batch = None
                self._refresh_recording()

    def _watch_for_bursts(self) -> None:
        now = time.monotonic()
        if now - self._window_start > BURST_WINDOW:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        self._last_step_end = now
        if self._window_count >= BURST_STEPS and not self.bus.wants_events:
            self._batch, self._batch_start = {}, now
            self._refresh_recording()

    def _count_in_batch(self, op: str, detail: Mapping[str, object]) -> None:
        # Run once per operation of a fast loop while a view is open, so written for speed:
        # batch_key inlined and a plain dict (a Counter's += takes three times as long).
        batch = self._batch
        assert batch is not None
        what = _COUNTED_BY.get(op)
        key = f"{op}:{detail.get(what, '?')}" if what else op
        batch[key] = batch.get(key, 0) + 1
        if op in self.batch_keeps:
            self._kept.append((op, detail))
        now = time.monotonic()
        paused = now - self._last_step_end > BURST_WINDOW
        self._last_step_end = now
        if paused:
            self.flush_steps()
        elif now - self._batch_start >= BATCH_SECONDS:
            self._emit_batch()
            self._batch_start = now

    def _emit_batch(self) -> None:
        batch = self._batch
        if batch and self.bus.wants_steps:
            detail = {"count": sum(batch.values()), "ops": dict(batch), "kept": tuple(self._kept)}
            self.bus.emit_step(Step(next(self._step_index), "batch", detail, (), self.snapshot()))
        if batch is not None:
            batch.clear()
        self._kept = []

    def _refresh_recording(self) -> None:
        if not self.bus.wants_steps:
            self._batch = None
        self.recording = self.bus.active and self._batch is None
        if self.bus.wants_steps != self._steps_watched:
            self._steps_watched = self.bus.wants_steps
            self._window_count = 0  # a burst is counted among the steps someone watches
            for watcher in self.step_watchers:
                watcher(self._steps_watched)


class StepBlock:
    """The ``with`` block of one step. A class, not a generator: one is made per pointer operation.

    Inside a fast loop's batch an outermost step is a counted step (``World.open_counted_step``).
    Whether it is one is decided on entering, not when the block is made: a pointer's ``__del__``
    may close the batch in between.
    """

    __slots__ = ("always", "counted", "detail", "op", "world")

    def __init__(self, world: World, op: StepOp, detail: Mapping[str, object], always: bool) -> None:
        self.world, self.op, self.detail, self.always = world, op, detail, always
        self.counted = False

    def note(self, **detail: object) -> None:
        """Add to the step's detail what is known only once it ran (what a move carried)."""
        if isinstance(self.detail, dict):
            self.detail.update(detail)

    def __enter__(self) -> StepBlock:
        self.counted = self.op != INTERNAL and self.world.open_counted_step()
        if not self.counted:
            self.world._open_step(self.op, self.detail)
        return self

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        world = self.world
        if self.counted:
            world.close_counted_step(self.op, self.detail, exc)
            return
        if exc is not None:
            world.step_failed(exc)  # the exception goes on to the learner
        world._close_step(self.always)


class QuietStepBlock:
    """The ``with`` block of a step nobody listens to: it only counts how deep steps nest.

    Without a listener a step records nothing (``_open_step`` keeps no op or detail), so one shared
    object serves every such step, nested ones too.
    """

    __slots__ = ("world",)

    def __init__(self, world: World) -> None:
        self.world = world

    def note(self, **detail: object) -> None:
        """Nothing to add: nobody listens."""

    def __enter__(self) -> QuietStepBlock:
        world = self.world
        if world._opened_by_torch:
            world._close_abandoned()
        world._depth += 1
        return self

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        if exc is not None:
            self.world.step_failed(exc)
        self.world._close_step()


WORLD = World()
