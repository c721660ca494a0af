"""The stop button never cuts a pointer operation in half: KeyboardInterrupt waits for its end.

Python raises ``KeyboardInterrupt`` in the main thread at almost any bytecode. A pointer operation
changes two places, a worker's store and the learner's pointers, so an interrupt between the two
would leave an object no pointer reaches, or a pointer whose object is gone. So each operation is
*held*: while one runs, the SIGINT handler installed here only notes that ■ was pressed; when the
outermost operation ends, the interrupt is raised as usual (by the handler that was there before,
normally Python's own, so the learner sees a plain ``KeyboardInterrupt``). The few operations that
would lose something by stopping right after their end take themselves back first (``undo``): a
``.get()`` puts the object back on its worker, sending a pointer takes the remote pointer back.

Why this way:
- Holding costs a counter per operation. Blocking the signal (``pthread_sigmask``) or swapping the
  handler around every operation costs system calls, microseconds each: too slow for the core.
- Catching ``KeyboardInterrupt`` and repairing would not do: the repair itself can be interrupted.
- Only the main thread is held; Python delivers signals to no other thread.
- A pointer dropped by Python (its ``__del__``) cannot raise at all:
  Python prints and ignores exceptions raised there. Such code is registered with
  :func:`finalizer`; an interrupt landing in it is kept and raised when the next operation starts.
- An operation that keeps the interrupt waiting for more than ``FORCE_AFTER`` seconds (a Ray
  worker that does not answer) lets a second press through at once: ■ always works in the end.
"""

from __future__ import annotations

import _signal  # signal.getsignal wraps this in an enum conversion costing ~1.5 µs per call
import functools
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any, ParamSpec, TypeVar

__all__ = ["FORCE_AFTER", "Held", "finalizer", "held", "hold", "pending", "release"]

FORCE_AFTER = 2.0  # seconds an interrupt may wait before a second press goes through at once

_MAIN_THREAD = threading.main_thread().ident
_get_ident = threading.get_ident
_getsignal = _signal.getsignal
SIGINT = signal.SIGINT

Handler = Callable[[int, FrameType | None], Any]
P = ParamSpec("P")
R = TypeVar("R")


class _State:
    """Held operations of the main thread, and the interrupt they keep waiting."""

    __slots__ = ("delivering", "depth", "pending", "previous", "since")

    def __init__(self) -> None:
        self.depth = 0  # how many operations are running in the main thread (they nest)
        self.pending = False  # ■ was pressed while one ran, or while Python dropped a pointer
        self.since = 0.0  # when the waiting interrupt came
        self.previous: Handler = signal.default_int_handler  # what an interrupt normally does
        self.delivering = False


_state = _State()
_finalizer_codes: set[CodeType] = set()


def finalizer(func: Any) -> Any:
    """Mark ``func`` as run by Python's garbage collection: an interrupt inside it waits.

    Used as a decorator on ``__del__``; returns ``func`` unchanged, so it costs nothing per call.
    """
    _finalizer_codes.add(func.__code__)
    return func


def hold() -> bool:
    """Start an operation that an interrupt must not split; True when it was held (main thread).

    Pass the result to :func:`release` when the operation ends, also when it fails.
    """
    if _get_ident() != _MAIN_THREAD:
        return False
    if _getsignal(SIGINT) is not _on_sigint:
        _install()
    if _state.pending and not _state.depth:
        _deliver(sys._getframe(1))  # an interrupt kept from a dropped pointer: raise it first
    _state.depth += 1
    return True


def release(held: bool, undo: Callable[[], object] | None = None) -> None:
    """End an operation started by :func:`hold`; the outermost one raises a waiting interrupt.

    ``undo`` takes the operation back first, for operations whose result an interrupt right after
    them would lose (the data ``.get()`` fetched). Call ``release`` last, just before ``return``:
    CPython runs signal handlers after calls into C and on entering functions, not on returning
    from a Python function, so nothing can slip in between ``release`` and the caller getting its
    result. (A ``with`` block's ``__exit__`` is called through C: the interrupt can come right
    after it, which is why :class:`Held` has no ``undo``.)
    """
    if held:
        # No call between the test and the decrement: no interrupt can slip in unseen between them.
        if _state.pending and _state.depth == 1:
            _stop(undo, sys._getframe(1))
        else:
            _state.depth -= 1


def pending() -> bool:
    """True when an interrupt is waiting for the running operation (or the next one) to end."""
    return _state.pending


class Held:
    """``with Held():`` runs an operation held; the interrupt comes right after it, if at all.

    For operations that lose nothing when interrupted just after their end (moving, in-place
    changes, a result that is a pointer: dropping it deletes what it points to).
    """

    __slots__ = ("held",)

    def __enter__(self) -> Held:
        self.held = hold()
        return self

    def __exit__(self, *exc_info: object) -> None:
        release(self.held)


def held(operation: Callable[P, R]) -> Callable[P, R]:
    """Decorator: the whole of ``operation`` runs held, as in ``with Held():``."""

    @functools.wraps(operation)
    def run_held(*args: P.args, **kwargs: P.kwargs) -> R:
        with Held():
            return operation(*args, **kwargs)

    return run_held


def _stop(undo: Callable[[], object] | None, frame: FrameType | None) -> None:
    """The outermost operation ends and an interrupt waits: raise it, taking the operation back."""
    try:
        _deliver(frame)  # normally raises KeyboardInterrupt; still held meanwhile
    except BaseException:
        if undo is not None:
            undo()  # still held, so the take-back itself runs to its end
        raise
    finally:
        _state.depth = 0
        _state.pending = False  # pressed again meanwhile: one KeyboardInterrupt is enough


# --- the handler ----------------------------------------------------------------------------------
def _on_sigint(signum: int, frame: FrameType | None) -> Any:
    """SIGINT while an operation runs: note it. Otherwise do what the previous handler does."""
    if _state.depth or _in_finalizer(frame):
        now = time.monotonic()
        if not _state.pending:
            _state.pending, _state.since = True, now
            return None
        if not _state.depth or now - _state.since < FORCE_AFTER:
            return None
        # Pressed again long after the first press, while an operation still runs: let it through.
    return _deliver(frame)


def _deliver(frame: FrameType | None) -> Any:
    _state.pending = False
    handler = _state.previous
    if _state.delivering:  # a handler that calls back into ours: do not go round in a circle
        raise KeyboardInterrupt
    _state.delivering = True
    try:
        return handler(SIGINT, frame)
    finally:
        _state.delivering = False


def _in_finalizer(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code in _finalizer_codes:
            return True
        frame = frame.f_back
    return False


def _install() -> None:
    """Put our handler in front of the current one (IPython sets its own before every cell)."""
    current = _getsignal(SIGINT)
    if not callable(current):
        return  # SIGINT is ignored, or left to the operating system: no KeyboardInterrupt to hold
    try:
        signal.signal(SIGINT, _on_sigint)
    except ValueError:  # an embedding that does not let Python handle signals
        return
    _state.previous = current
