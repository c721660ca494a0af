"""One listener per world that records steps and pushes every open view together, throttled.

Steps arrive synchronously inside the learner's cell, so recording must be cheap: drawing happens
at most once per throttle interval, once more shortly after a burst ends, and always when the cell
ends (IPython's ``post_run_cell``), when variable names are final too.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from torch.nn import Module

from ..diagram.collections import PointerCollection
from ..events import EventBus, Step
from ..pointers import PointerTensor
from ..snapshot import WorldSnapshot
from ._drawing import pointer_names
from ._outcache import without_cache_only_pointers
from ._throttle import Throttle, TrailingCall
from .history import DEFAULT_CAPACITY, StepHistory

try:
    from IPython import get_ipython as _get_ipython
except ImportError:  # plain Python: no cells, no variable names
    _get_ipython = None

__all__ = ["LiveHub", "View", "World", "hub_for", "on_cell_end", "pointer_collections"]


class World(Protocol):
    """What a hub needs from the world: its event bus, a snapshot of it now, and its grouped steps."""

    bus: EventBus

    def snapshot(self) -> WorldSnapshot: ...

    def flush_steps(self) -> None: ...


class View(Protocol):
    """What a hub needs from a view it pushes to (``LiveView``)."""

    def refresh(self, names: dict[int, str]) -> None: ...

    def show_error(self, exc: BaseException) -> None: ...


_HUBS: dict[int, LiveHub] = {}
_CELL_HOOKED: set[int] = set()


class LiveHub:
    """Subscribes to a world's steps while at least one view is open."""

    def __init__(self, world: World, capacity: int = DEFAULT_CAPACITY, throttle: Throttle | None = None):
        self.world = world
        self.capacity = capacity
        self.throttle = throttle or Throttle()
        self.history = StepHistory(capacity)
        self.views: list[View] = []
        self.dirty = False
        self.pushes = 0
        self._unsubscribe: Any = None
        self._trailing = TrailingCall(self._trailing_push, name="syft-widgets-trailing-push")
        self._last_names: dict[int, str] | None = None
        self._last_collections: tuple[PointerCollection, ...] = ()
        # Pushes come from the learner's thread and from the trailing timer; never both at once.
        self.lock = threading.RLock()

    def attach(self, view: View) -> None:
        """Start sending steps to ``view``; the first view subscribes to the world's bus."""
        with self.lock:
            if not self.views:
                self.history = StepHistory(self.capacity)
                self._unsubscribe = self.world.bus.subscribe_steps(self.on_step)
            self.views.append(view)
        _hook_cell_end()

    def detach(self, view: View) -> None:
        """Stop sending to ``view``; the last view leaving unsubscribes, so the core runs unobserved."""
        with self.lock:
            if view in self.views:
                self.views.remove(view)
            if not self.views:
                if self._unsubscribe is not None:
                    self._unsubscribe()
                    self._unsubscribe = None
                self._trailing.cancel()

    def on_step(self, step: Step) -> None:
        """Record ``step``; draw now if the throttle allows, else soon after."""
        if sys.is_finalizing():  # no drawing (and no timer threads) while Python exits
            return
        with self.lock:
            self.history.record(self._learners_view(step))
            self.dirty = True
            wait = self.throttle.wait_time()
            if wait == 0.0:
                self.push(names=self._names())
            else:
                self._trailing.schedule(wait)

    def _learners_view(self, step: Step) -> Step:
        # Decided now, while the cell runs: later the cell's own references to its pointers are gone.
        local_pointers = getattr(self.world, "local_pointers", None)
        ip = _ipython()
        if ip is None or local_pointers is None:
            return step
        return without_cache_only_pointers(step, local_pointers(), ip)

    def catch_up(self) -> None:
        """Record the steps a fast loop grouped (they are emitted on flush) and draw the newest."""
        with self.lock:
            self.world.flush_steps()
            if self.dirty and self.views:
                self.push()

    def on_cell_end(self) -> None:
        """Draw the cell's last step, with the variable names the cell just assigned."""
        with self.lock:
            self.world.flush_steps()
            names = self._names()
            if self.dirty or names != self._last_names or self._collections() != self._last_collections:
                self.push(names=names)

    def push(self, names: dict[int, str] | None = None) -> None:
        """Redraw every open view from the history, each as one batched update."""
        with self.lock:
            self._trailing.cancel()
            names = self._names() if names is None else names
            self._last_names = names
            self._last_collections = self._collections()
            for view in tuple(self.views):
                view.refresh(names)
            self.throttle.mark()
            self.dirty = False
            self.pushes += 1

    @property
    def names(self) -> dict[int, str]:
        """The variable names used by the last push."""
        return dict(self._last_names or {})

    @property
    def collections(self) -> tuple[PointerCollection, ...]:
        """The learner's lists, tuples and dicts of pointers, as of the last push (drawn folded)."""
        return self._last_collections

    def _trailing_push(self) -> None:
        # This runs on the trailing thread: it only draws what is recorded. Closing the core's batch
        # of grouped steps is left to the learner's thread (cell end), since the core is not thread-safe.
        with self.lock:
            if self.dirty and self.views:
                try:
                    self.push()
                except Exception as exc:  # shown in the views, as at a cell's end; the thread lives on
                    for view in tuple(self.views):
                        view.show_error(exc)

    @staticmethod
    def _names() -> dict[int, str]:
        ip = _ipython()
        return pointer_names(getattr(ip, "user_ns", None))

    @staticmethod
    def _collections() -> tuple[PointerCollection, ...]:
        ip = _ipython()
        return pointer_collections(getattr(ip, "user_ns", None), getattr(ip, "user_ns_hidden", None))


# How deep nested containers are searched (Part 4's list of (data, target) tuples is two deep), and
# how many items of a container are looked at before one without pointers is given up: a list of a
# million numbers must not slow every cell down.
_DEPTH = 3
_PROBE = 16


def pointer_collections(
    user_ns: Mapping[str, Any] | None,
    hidden: Mapping[str, Any] | None = None,
    pointer_type: type = PointerTensor,
) -> tuple[PointerCollection, ...]:
    """The learner's variables that hold a list, tuple or dict with pointers inside, in namespace order.

    ``hidden`` is IPython's ``user_ns_hidden``: what the shell put there itself (``Out``, ``In``) is
    not the learner's, unless the learner rebound the name. Names starting with ``_`` are skipped,
    as for ``pointer_names``.
    """
    if user_ns is None:
        return ()
    hidden = hidden or {}
    found: list[PointerCollection] = []
    # A copy of the items: the learner's namespace may change under a background push.
    for name, value in list(user_ns.items()):
        if name.startswith("_") or not isinstance(value, list | tuple | dict):
            continue
        if name in hidden and hidden[name] is value:
            continue
        members: list[tuple[str, int]] = []
        modules: list[int] = []
        _collect(value, "", pointer_type, members, modules, _DEPTH)
        if members:
            kind = "dict" if isinstance(value, dict) else "tuple" if isinstance(value, tuple) else "list"
            found.append(PointerCollection(name, kind, len(value), tuple(members), tuple(modules)))
    return tuple(found)


def _collect(
    value: Any,
    path: str,
    pointer_type: type,
    out: list[tuple[str, int]],
    modules: list[int],
    depth: int,
) -> None:
    """Append ``(path, pointer id)`` for every pointer in ``value``, nested containers included.

    A model sent to a worker adds its parameters' pointers (``[0].weight``) and its id to ``modules``.
    """
    is_dict = isinstance(value, dict)
    before = len(out)
    try:
        for i, (key, item) in enumerate(value.items() if is_dict else enumerate(value)):
            if i == _PROBE and len(out) == before:
                return  # no pointer among the first items: a collection of something else
            here = f"{path}[{key!r}]" if is_dict else f"{path}[{key}]"
            if isinstance(item, pointer_type):
                pid = getattr(item, "id", None)
                if isinstance(pid, int):
                    out.append((here, pid))
            elif isinstance(item, Module) and isinstance(
                module_id := item.__dict__.get("_syft_module_id"), int
            ):
                params = [(n, getattr(p, "id", None)) for n, p in item.named_parameters() if _is_pointer(p)]
                pointers = [(f"{here}.{n}", pid) for n, pid in params if isinstance(pid, int)]
                if pointers:  # a model sent away: its parameters are pointers
                    out.extend(pointers)
                    modules.append(module_id)
            elif depth > 1 and isinstance(item, list | tuple | dict):
                _collect(item, here, pointer_type, out, modules, depth - 1)
    except RuntimeError:  # the learner's thread changed a dict under a background push: next push
        return


def _is_pointer(value: object) -> bool:
    return getattr(value, "is_pointer", False) is True


def hub_for(world: World) -> LiveHub:
    """The hub of ``world``, made on first use."""
    hub = _HUBS.get(id(world))
    if hub is None or hub.world is not world:
        hub = _HUBS[id(world)] = LiveHub(world)
    return hub


def on_cell_end(*_args: object) -> None:
    """IPython ``post_run_cell`` callback: bring every open view up to date."""
    for hub in tuple(_HUBS.values()):
        if hub.views:
            try:
                hub.on_cell_end()
            except Exception as exc:
                for view in tuple(hub.views):
                    view.show_error(exc)


def _ipython() -> Any:
    # Looked up once: an import statement here ran IPython's module __getattr__ on every step.
    return None if _get_ipython is None else _get_ipython()


def _hook_cell_end() -> None:
    ip = _ipython()
    if ip is None or id(ip) in _CELL_HOOKED:
        return
    ip.events.register("post_run_cell", on_cell_end)
    _CELL_HOOKED.add(id(ip))
