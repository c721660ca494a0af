"""What the core announces: store changes, messages between workers, and user-level steps.

The core calls :meth:`EventBus.emit`; listeners (history, live views) subscribe. A listener that
raises is reported with a warning and never breaks the learner's code.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .snapshot import ObjectKind, ObjectView, WorldSnapshot

__all__ = [
    "UNFINISHED",
    "Event",
    "EventBus",
    "MessageSent",
    "ObjectChanged",
    "ObjectRemoved",
    "ObjectStored",
    "Step",
    "StepError",
    "StepOp",
    "error_kind",
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

    ``message`` is the message's label ("send object", "request object", "delete object", "command",
    "reply"); ``op`` the operation it carries ("add", "move", "set grad", ...), ``obj_ids`` the ids of
    the objects it names and ``nbytes`` the size of the tensor values it carries. Each message class
    says these once, in its ``summary()`` (see ``messages.Summary``).
    """

    sender: str
    receiver: str
    message: str
    op: str
    obj_ids: tuple[int, ...]
    kind: ObjectKind | None
    nbytes: int


Event = ObjectStored | ObjectRemoved | ObjectChanged | MessageSent


# What kind of failure an exception is, so a view can explain it in the learner's language while
# the exception itself stays in English.
ErrorKind = Literal["shape", "index", "missing", "type", "interrupted", "unfinished", "other"]

_SHAPE_WORDS = ("shape", "size of tensor", "must match the size", "cannot be multiplied", "dimension")


def error_kind(exc: BaseException) -> ErrorKind:
    """Sort an exception into a kind a learner can be told about.

    >>> error_kind(RuntimeError("mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"))
    'shape'
    >>> error_kind(IndexError("index 5 is out of bounds for dimension 0 with size 3"))
    'index'
    """
    if isinstance(exc, IndexError):
        return "index"
    if isinstance(exc, LookupError):
        return "missing"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    text = str(exc).lower()
    if isinstance(exc, (RuntimeError, ValueError)) and any(w in text for w in _SHAPE_WORDS):
        return "shape"
    if isinstance(exc, TypeError) or "dtype" in text or "scalar type" in text:
        return "type"
    return "other"


@dataclass(frozen=True, slots=True)
class StepError:
    """Why a step failed: the exception's type name, its English message, and its kind."""

    type_name: str
    message: str
    kind: ErrorKind

    @classmethod
    def of(cls, exc: BaseException) -> StepError:
        # str(exc) leaves out the notes ("raised on worker 'bob' ..."); the step says where instead.
        return cls(type(exc).__name__, str(exc), error_kind(exc))


# A step torch opened and never closed (an optimizer step that raised, a KeyboardInterrupt inside
# a model call): it failed, but the exception had gone before anyone could read it.
UNFINISHED = StepError("", "", "unfinished")


# What a step is: one thing the learner did. "internal" is torch acting on its own (a property read,
# a grad write): it folds into the step that caused it and is never a step of its own.
StepOp = Literal[
    "send",
    "get",
    "move",
    "remote_get",
    "command",
    "module_call",
    "optimizer_step",
    "zero_grad",
    "send_module",
    "get_module",
    "move_module",
    "clear",
    "gc",
    "worker",
    "batch",
    "internal",
    "share",  # syft_widgets.encrypted: a value split into shares
    "reconstruct",  # .get() of a shared value: its shares come home and add up
    "shared_op",  # an operation on shared values (its func says which)
]


@dataclass(frozen=True, slots=True)
class Step:
    """One user-level operation and everything it caused.

    ``op`` names what the learner did: "send", "get", "move", "remote_get", "command" (one torch
    call on pointers, ``{"func": "add"}``), "module_call" (one top-level ``model(data)``),
    "optimizer_step", "zero_grad", "send_module", "get_module", "move_module", "clear", "gc",
    "worker", or "batch" (a fast loop's steps, grouped). What torch does underneath folds into the
    step that caused it. ``snapshot`` is the world right after the step.

    ``detail`` holds the step's parameters, under these keys: ``destination`` (where data goes:
    send, move, send_module, move_module), ``source`` (where it came from: move, move_module),
    ``holder`` (the worker that holds the data and runs the call: get, remote_get, command,
    module_call, optimizer_step, zero_grad, get_module, gc), ``worker`` (the worker a worker or
    clear step is about), ``kind`` (send, move and get: tensor, parameter or pointer), ``grads``
    (send, move, get and their module forms: how many gradients travelled with the values), ``func``
    (command: the torch function), ``module`` (module_call: ``Linear(2 → 1)``; send_module and
    friends: the class), ``inputs`` (module_call: ids of its pointer arguments where the data is),
    ``optimizer`` and ``count`` (the optimizer's class and how many parameters it holds there),
    and for a batch ``count`` and ``ops`` (see ``world.batch_key``). The encrypted ops "share",
    "reconstruct" and "shared_op" and their detail keys are described in ``docs/encrypted.md``.

    ``error`` is set when the step failed: the exception still reached the learner, and the
    snapshot shows what the stores hold (a failed command changes none).
    """

    index: int
    op: str
    detail: Mapping[str, object]
    events: tuple[Event, ...]
    snapshot: WorldSnapshot = field(repr=False)
    error: StepError | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


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
