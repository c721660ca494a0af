"""The registry: every worker of this session by id, the learner's live pointers, and snapshots.

:class:`world.World` builds on it; the core reaches both through the one ``WORLD``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from .errors import InvalidWorkerIdError, NotAWorkerError, UnknownWorkerError, WorkerIdConflictError
from .snapshot import ModuleView, ObjectView, WorkerView, WorldSnapshot

if TYPE_CHECKING:
    import torch

    from .store import ObjectStore
    from .workers import BaseWorker

__all__ = ["Registry", "check_worker_id"]


def check_worker_id(worker_id: object) -> Hashable:
    """``worker_id`` if it can name a worker (a non-empty string or an int), else a clear error."""
    if isinstance(worker_id, bool) or not isinstance(worker_id, (str, int)) or worker_id == "":
        raise InvalidWorkerIdError(
            f"A worker id must be a non-empty string or an int, like id='bob'; got {worker_id!r} "
            f"({type(worker_id).__name__})."
        )
    return worker_id


class Registry:
    """Workers by id, how to find one, the local worker's pointers, and what everyone holds."""

    def __init__(self) -> None:
        self.workers: dict[Hashable, BaseWorker] = {}
        self.local_worker: BaseWorker | None = None
        # Live pointers held by the local worker, so diagrams can draw the learner's variables.
        self._local_pointers: dict[int, weakref.ref] = {}
        # Pointers .get() spent during the open step: its snapshot draws them once, marked spent.
        self._spent_views: list[ObjectView] = []
        self.modules: weakref.WeakValueDictionary[int, torch.nn.Module] = weakref.WeakValueDictionary()
        # Ways to find a worker this process has not met, e.g. a Ray actor started elsewhere.
        self.resolvers: list[Callable[[Hashable], BaseWorker | None]] = []

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
        return None if old is None else old.object_store

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

    def resolve(self, value: Any, action: str) -> BaseWorker:
        """The worker ``value`` names: a worker object, or the id of a known worker.

        ``action`` is the method that asked (``"move"``), to name it in the error.
        """
        if hasattr(value, "send_msg"):  # a worker (a worker is anything that takes messages)
            return self.workers.get(value.id, value)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return self.worker(value)
        raise NotAWorkerError(
            f".{action}() needs a worker, like bob = sy.VirtualWorker(hook, id='bob'), or a worker's id; "
            f"got {value!r} ({type(value).__name__})."
        )

    def resolve_one(self, workers: tuple, action: str) -> BaseWorker:
        """The one worker in ``workers`` (the arguments of ``x.send(bob)``)."""
        if len(workers) != 1:
            raise NotAWorkerError(
                f".{action}() takes exactly one worker, like x.{action}(bob); got {len(workers)}. "
                "Sending to several workers at once is not supported."
            )
        return self.resolve(workers[0], action)

    def track_pointer(self, pointer: Any) -> None:
        """Remember a new local pointer, weakly; it calls :meth:`forget_pointer` when it dies.

        So this dict only ever holds live pointers, in the order they were made. Forgetting in the
        pointer's ``__del__``, rather than in a weak reference's callback, saves a callback per
        pointer: ~0.3 µs of a pointer operation's ~8.
        """
        # A weak reference without a callback is made once per object: tracking again is harmless.
        self._local_pointers[id(pointer)] = weakref.ref(pointer)

    def forget_pointer(self, pointer: Any) -> None:
        """``pointer`` is dying, or stopped being a pointer (a model's parameter fetched back)."""
        self._local_pointers.pop(id(pointer), None)

    def retire_twins(self, pointer: Any) -> None:
        """Spend every other local pointer object with ``pointer``'s id and target.

        ``.get()`` (or ``.move()``) uses up a pointer id, not one Python object: a twin made by
        ``pointer_to_x_ptr.get()``, or an old object kept alive by Jupyter's ``Out`` cache, would
        otherwise still claim data that is no longer there.
        """
        key = (pointer.id, str(pointer.location.id), pointer.id_at_location)
        # Runs on every .get(): the pointer's own id rules out almost every other pointer at once,
        # without building the list of live pointers.
        for ref in list(self._local_pointers.values()):
            other = ref()
            if (
                other is not None
                and other is not pointer
                and other.__dict__.get("id") == key[0]
                and other.is_live_pointer
                and (other.id, str(other.location.id), other.id_at_location) == key
            ):
                other._retire()

    def local_pointers(self) -> list[Any]:
        """The local worker's live pointers, oldest first."""
        found: list[Any] = [r() for r in list(self._local_pointers.values())]
        # A Parameter brought back by .get() stops being a pointer, hence the is_pointer check.
        return [p for p in found if getattr(p, "is_pointer", False) and p.is_live_pointer]

    # --- snapshots -----------------------------------------------------------------------------
    def snapshot(self) -> WorldSnapshot:
        """What every worker holds right now, as immutable views (no tensor is referenced)."""
        views = []
        for worker in self.workers.values():
            pointers: tuple = ()
            if worker is self.local_worker:
                pointers = tuple(p.object_view() for p in self.local_pointers()) + tuple(self._spent_views)
            views.append(
                WorkerView(
                    str(worker.id),
                    worker.kind,
                    worker.online,
                    worker.object_views(),
                    pointers,
                    getattr(worker, "placement", None),  # where a Ray worker runs, for its badge
                )
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
