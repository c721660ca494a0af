"""What the core announces: store changes, messages between workers, and user-level steps.

The core calls :meth:`EventBus.emit`; listeners (history, live views) subscribe. A listener that
raises is reported with a warning and never breaks the learner's code.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .snapshot import ObjectKind, ObjectView, WorldSnapshot

__all__ = [
    "Event",
    "EventBus",
    "MessageSent",
    "ObjectChanged",
    "ObjectRemoved",
    "ObjectStored",
    "Step",
]


@dataclass(frozen=True, slots=True)
class ObjectStored:
    """``worker`` registered ``obj`` in its store."""

    worker: str
    obj: ObjectView


@dataclass(frozen=True, slots=True)
class ObjectRemoved:
    """``worker`` removed object ``obj_id`` from its store (``reason``: "get", "delete", "move", "clear")."""

    worker: str
    obj_id: int
    kind: ObjectKind
    reason: str


@dataclass(frozen=True, slots=True)
class ObjectChanged:
    """An in-place operation changed a stored object (``x.add_(1)``, an optimizer step)."""

    worker: str
    obj: ObjectView


@dataclass(frozen=True, slots=True)
class MessageSent:
    """``sender`` sent ``receiver`` one message.

    ``message`` is the message type ("send object", "request object", "delete object", "command",
    "reply"); ``op`` the operation it carries ("__add__", "remote_send", ...), ``obj_ids`` the ids of
    the objects it names and ``nbytes`` the size of the tensor values it carries.
    """

    sender: str
    receiver: str
    message: str
    op: str
    obj_ids: tuple[int, ...]
    kind: ObjectKind | None
    nbytes: int


Event = ObjectStored | ObjectRemoved | ObjectChanged | MessageSent


@dataclass(frozen=True, slots=True)
class Step:
    """One user-level operation and everything it caused.

    ``op`` names the operation ("send", "get", "move", "command", "remote_get", "send_module",
    "get_module", "move_module", "clear", "gc", "worker"); ``detail`` holds its parameters, such as
    ``{"func": "__add__"}``. ``snapshot`` is the world right after the step.
    """

    index: int
    op: str
    detail: Mapping[str, object]
    events: tuple[Event, ...]
    snapshot: WorldSnapshot = field(repr=False)


EventListener = Callable[[Event], None]
StepListener = Callable[[Step], None]


class EventBus:
    """Delivers events synchronously, in order, to every subscriber."""

    def __init__(self) -> None:
        self._event_listeners: list[EventListener] = []
        self._step_listeners: list[StepListener] = []
        # Plain attributes, read on every core operation: True when someone listens, so the core
        # builds events (and snapshots, for steps) only then and stays fast otherwise.
        self.active = False
        self.wants_steps = False
        self.wants_events = False
        self.on_change: Callable[[], None] | None = None  # the world re-reads these flags

    def _update(self) -> None:
        self.active = bool(self._event_listeners or self._step_listeners)
        self.wants_steps = bool(self._step_listeners)
        self.wants_events = bool(self._event_listeners)
        if self.on_change is not None:
            self.on_change()

    def subscribe(self, listener: EventListener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event; returns a function that unsubscribes."""
        self._event_listeners.append(listener)
        self._update()
        return lambda: self._unsubscribe(self._event_listeners, listener)

    def subscribe_steps(self, listener: StepListener) -> Callable[[], None]:
        """Call ``listener(step)`` after every step; returns a function that unsubscribes."""
        self._step_listeners.append(listener)
        self._update()
        return lambda: self._unsubscribe(self._step_listeners, listener)

    def _unsubscribe(self, listeners: list, listener: object) -> None:
        try:
            listeners.remove(listener)
        except ValueError:
            pass
        self._update()

    def emit(self, event: Event) -> None:
        for listener in tuple(self._event_listeners):
            _call_safely(listener, event)

    def emit_step(self, step: Step) -> None:
        for listener in tuple(self._step_listeners):
            _call_safely(listener, step)


def _call_safely(listener: Callable[[Any], None], item: object) -> None:
    # A broken diagram must never break the learner's cell: report and carry on.
    try:
        listener(item)
    except Exception as exc:
        warnings.warn(
            f"syft_widgets: listener {listener!r} failed on {type(item).__name__}: {exc!r}",
            RuntimeWarning,
            stacklevel=3,
        )
