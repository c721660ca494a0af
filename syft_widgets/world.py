"""The world: every worker of this session, the event bus, and the grouping of events into steps."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .errors import UnknownWorkerError, WorkerIdConflictError
from .events import Event, EventBus, Step
from .snapshot import ModuleView, WorkerView, WorldSnapshot
from .views import view_of

if TYPE_CHECKING:
    import torch

    from .store import ObjectStore
    from .workers import BaseWorker

__all__ = ["WORLD", "World"]


class World:
    """Registry of workers by id, plus the bookkeeping that turns core activity into steps."""

    def __init__(self) -> None:
        self.bus = EventBus()
        self.workers: dict[Hashable, BaseWorker] = {}
        self.stores: dict[Hashable, ObjectStore] = {}
        self.local_worker: BaseWorker | None = None
        # Live pointers held by the local worker, so diagrams can draw the learner's variables.
        self._local_pointers: list[weakref.ref] = []
        self._live_pointers_seen = 0
        self.modules: weakref.WeakSet[torch.nn.Module] = weakref.WeakSet()
        # Ways to find a worker this process has not met, e.g. a Ray actor started elsewhere.
        self.resolvers: list[Callable[[Hashable], BaseWorker | None]] = []
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
        refs = self._local_pointers
        refs.append(weakref.ref(pointer))
        # Prune now and then, so a loop of a million temporaries (or a model sent a thousand
        # times) keeps this list as small as the number of live pointers.
        if len(refs) > 2 * self._live_pointers_seen + 256:
            live = self.local_pointers()
            refs[:] = [weakref.ref(p) for p in live]
            self._live_pointers_seen = len(refs)

    def local_pointers(self) -> list[Any]:
        """The local worker's live pointers, oldest first, each once."""
        seen: set[int] = set()
        live = []
        for ref in self._local_pointers:
            p = ref()
            # A Parameter brought back by .get() stops being a pointer, hence the is_pointer check.
            if p is not None and getattr(p, "is_pointer", False) and p.is_live_pointer and id(p) not in seen:
                seen.add(id(p))
                live.append(p)
        return live

    # --- events and steps ----------------------------------------------------------------------
    @property
    def listening(self) -> bool:
        """True when events are wanted; the core skips building them otherwise, to stay fast."""
        return self.bus.active

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
            self._step_events = []

    def end_step(self, always: bool = False) -> None:
        self._depth -= 1
        if self._depth or self._step_events is None:
            return
        events, self._step_events = tuple(self._step_events), None
        if self.bus.wants_steps and (events or always):
            step = Step(next(self._step_index), self._step_op, self._step_detail, events, self.snapshot())
            self.bus.emit_step(step)

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
                pointers = tuple(p.object_view() for p in self.local_pointers())
            views.append(
                WorkerView(str(worker.id), worker.kind, worker.online, worker.object_views(), pointers)
            )
        return WorldSnapshot(tuple(views), self._module_views())

    def _module_views(self) -> tuple[ModuleView, ...]:
        found = []
        for module in list(self.modules):
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

    def store_views(self, store: ObjectStore) -> tuple:
        return tuple(view_of(k, o) for k, o in store.items())


WORLD = World()
