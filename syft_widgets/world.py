"""The world: every worker of this session, the event bus, and the grouping of events into steps."""

from __future__ import annotations

import dataclasses
import itertools
import time
import weakref
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .errors import UnknownWorkerError, WorkerIdConflictError
from .events import Event, EventBus, Step
from .snapshot import ModuleView, ObjectView, WorkerView, WorldSnapshot

if TYPE_CHECKING:
    import torch

    from .store import ObjectStore
    from .workers import BaseWorker

__all__ = ["BATCH_SECONDS", "BURST_STEPS", "BURST_WINDOW", "WORLD", "World"]

# A fast loop would otherwise pay for an event list and a snapshot on every step. Past BURST_STEPS
# steps within BURST_WINDOW seconds, steps are grouped: one "batch" step per BATCH_SECONDS, holding
# how many operations of each kind ran and the world after them. A pause, or flush_steps() (which
# the live view calls when a cell ends), closes the batch and returns to one step per operation.
BURST_STEPS = 30
BURST_WINDOW = 0.2
BATCH_SECONDS = 0.1


class World:
    """Registry of workers by id, plus the bookkeeping that turns core activity into steps."""

    def __init__(self) -> None:
        self.bus = EventBus()
        self.workers: dict[Hashable, BaseWorker] = {}
        self.stores: dict[Hashable, ObjectStore] = {}
        self.local_worker: BaseWorker | None = None
        # Live pointers held by the local worker, so diagrams can draw the learner's variables.
        self._local_pointers: dict[int, weakref.ref] = {}
        # Pointers .get() spent during the open step: its snapshot draws them once, marked spent.
        self._spent_views: list[ObjectView] = []
        self.modules: weakref.WeakValueDictionary[int, torch.nn.Module] = weakref.WeakValueDictionary()
        # Ways to find a worker this process has not met, e.g. a Ray actor started elsewhere.
        self.resolvers: list[Callable[[Hashable], BaseWorker | None]] = []
        # True when events are to be built: someone listens and steps are not being batched.
        self.recording = False
        self.bus.on_change = self._refresh_recording
        self._batch: Counter[str] | None = None
        self._batch_start = 0.0
        self._window_start = 0.0
        self._window_count = 0
        self._last_step_end = 0.0
        self._depth = 0
        self._step_op = ""
        self._step_detail: Mapping[str, object] = {}
        self._step_events: list[Event] | None = None
        self._step_index = itertools.count()

    # --- workers -------------------------------------------------------------------------------
    def add_worker(self, worker: BaseWorker) -> ObjectStore | None:
        """Register ``worker``; if its id exists already, return the existing store to share.

        Re-running ``bob = sy.VirtualWorker(hook, id="bob")`` must not lose bob's objects, as in
        PySyft 0.2.9: the new object shares the old one's store.
        """
        old = self.workers.get(worker.id)
        if old is not None and type(old) is not type(worker):
            raise WorkerIdConflictError(
                f"A worker with id {worker.id!r} already exists and is a {type(old).__name__}, not a "
                f"{type(worker).__name__}. Pick another id, or use the existing worker."
            )
        self.workers[worker.id] = worker
        return self.stores.get(worker.id)

    def worker(self, worker_id: Hashable) -> BaseWorker:
        """The worker with this id (the newest object, if the id was re-created)."""
        try:
            return self.workers[worker_id]
        except (KeyError, TypeError):
            for resolve in self.resolvers:
                found = resolve(worker_id)
                if found is not None:
                    return found
            known = ", ".join(repr(k) for k in self.workers) or "none yet"
            raise UnknownWorkerError(
                f"No worker has the id {worker_id!r}. Known workers: {known}. Create it first, e.g. "
                f"sy.VirtualWorker(hook, id={worker_id!r})."
            ) from None

    def track_pointer(self, pointer: Any) -> None:
        key = id(pointer)
        if key not in self._local_pointers:
            # The weak reference's callback forgets the pointer when it dies, so this dict only
            # ever holds live pointers, in the order they were made.
            def forget(_: weakref.ref) -> None:
                self._local_pointers.pop(key, None)

            self._local_pointers[key] = weakref.ref(pointer, forget)

    def retire_twins(self, pointer: Any) -> None:
        """Spend every other local pointer object with ``pointer``'s id and target.

        ``.get()`` (or ``.move()``) uses up a pointer id, not one Python object: a twin made by
        ``pointer_to_x_ptr.get()``, or an old object kept alive by Jupyter's ``Out`` cache, would
        otherwise still claim data that is no longer there.
        """
        key = (pointer.id, str(pointer.location.id), pointer.id_at_location)
        for other in self.local_pointers():
            if other is not pointer and (other.id, str(other.location.id), other.id_at_location) == key:
                other._retire()

    def pointer_retired(self, pointer: Any) -> None:
        """``.get()`` spent ``pointer``: spend its twins, and show it as spent in the open step."""
        self.retire_twins(pointer)
        if self._step_events is not None and pointer.owner is self.local_worker:
            self._spent_views.append(dataclasses.replace(pointer.object_view(), spent=True))

    def local_pointers(self) -> list[Any]:
        """The local worker's live pointers, oldest first."""
        found: list[Any] = [r() for r in list(self._local_pointers.values())]
        # A Parameter brought back by .get() stops being a pointer, hence the is_pointer check.
        return [p for p in found if getattr(p, "is_pointer", False) and p.is_live_pointer]

    # --- events and steps ----------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        if self._step_events is not None:
            self._step_events.append(event)
        self.bus.emit(event)

    def begin_step(self, op: str, detail: Mapping[str, object]) -> None:
        """Open a user-level step; nested calls (a worker forwarding a command) join the open one."""
        self._depth += 1
        if self._depth == 1 and self.bus.active:
            self._step_op = op
            self._step_detail = detail
            if self.recording:
                self._step_events = []

    def end_step(self, always: bool = False) -> None:
        self._depth -= 1
        if self._depth:
            return
        if self._batch is not None:
            self._count_in_batch()
            return
        if self._step_events is None:
            return
        events, self._step_events = tuple(self._step_events), None
        if self.bus.wants_steps and (events or always):
            step = Step(next(self._step_index), self._step_op, self._step_detail, events, self.snapshot())
            self.bus.emit_step(step)
            self._watch_for_bursts()
        self._spent_views = []  # drawn in the step that spent them, and not afterwards

    def flush_steps(self) -> None:
        """Close a batch of grouped steps now (emitting it) and record one step per operation again."""
        if self._batch is not None and self._depth == 0:
            self._emit_batch()
            self._batch = None
            self._window_count = 0
            self._refresh_recording()

    def _watch_for_bursts(self) -> None:
        now = time.monotonic()
        if now - self._window_start > BURST_WINDOW:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        self._last_step_end = now
        if self._window_count >= BURST_STEPS and not self.bus.wants_events:
            self._batch, self._batch_start = Counter(), now
            self._refresh_recording()

    def _count_in_batch(self) -> None:
        assert self._batch is not None
        detail = self._step_detail
        name = str(detail.get("func", "command")) if self._step_op == "command" else self._step_op
        self._batch[name] += 1
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
            detail = {"count": sum(batch.values()), "ops": dict(batch)}
            self.bus.emit_step(Step(next(self._step_index), "batch", detail, (), self.snapshot()))
        if batch is not None:
            batch.clear()

    def _refresh_recording(self) -> None:
        if not self.bus.wants_steps:
            self._batch = None
        self.recording = self.bus.active and self._batch is None

    @contextmanager
    def step(self, op: str, always: bool = False, **detail: object) -> Iterator[None]:
        self.begin_step(op, detail)
        try:
            yield
        finally:
            self.end_step(always)

    # --- snapshots -----------------------------------------------------------------------------
    def snapshot(self) -> WorldSnapshot:
        """What every worker holds right now, as immutable views (no tensor is referenced)."""
        views = []
        for worker in self.workers.values():
            pointers: tuple = ()
            if worker is self.local_worker:
                pointers = tuple(p.object_view() for p in self.local_pointers()) + tuple(self._spent_views)
            views.append(
                WorkerView(str(worker.id), worker.kind, worker.online, worker.object_views(), pointers)
            )
        return WorldSnapshot(tuple(views), self._module_views())

    def _module_views(self) -> tuple[ModuleView, ...]:
        if not self.modules:
            return ()
        found = []
        for module in list(self.modules.values()):
            params = tuple(
                (name, int(getattr(p, "id", 0)))
                for name, p in module.named_parameters()
                if getattr(p, "is_pointer", False)
            )
            if params:
                location: Any = module.location
                found.append(
                    ModuleView(
                        module._syft_module_id,  # type: ignore[arg-type]
                        type(module).__name__,
                        None if location is None else str(location.id),
                        params,
                    )
                )
        return tuple(found)



WORLD = World()
