"""A rate limit for pushing diagrams to the browser while a cell runs, and the trailing push after it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["DEFAULT_INTERVAL", "Throttle", "TrailingCall"]

# About ten pictures a second: smooth enough to watch, far below what floods the browser.
DEFAULT_INTERVAL = 0.1


class Throttle:
    """Lets one push through per ``interval`` seconds and says how long the next one must wait."""

    def __init__(self, interval: float = DEFAULT_INTERVAL, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self._clock = clock
        self._last: float | None = None

    def wait_time(self) -> float:
        """Seconds until a push may go out; 0 when one may go now."""
        if self._last is None:
            return 0.0
        return max(0.0, self._last + self.interval - self._clock())

    def mark(self) -> None:
        """Record that a push just went out."""
        self._last = self._clock()


class TrailingCall:
    """Calls ``action`` on a background thread ``delay`` seconds after :meth:`schedule`.

    A live view schedules one at the start of every burst of steps (each fast loop), to draw the
    burst's last step while the cell still runs. A new ``threading.Timer`` per burst would make the
    learner's loop wait for a thread to start (0.1 to 0.5 ms on two busy cores); instead one daemon
    thread, started on first use, sleeps until the next deadline, and scheduling is a lock and a notify.
    """

    def __init__(self, action: Callable[[], object], name: str = "syft-widgets-trailing-call") -> None:
        self._action = action
        self._name = name
        self._wake = threading.Condition()
        self._due: float | None = None  # time.monotonic() when the action is to run; None: nothing due
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> bool:
        """True while a call is scheduled and has not started."""
        return self._due is not None

    def schedule(self, delay: float) -> None:
        """Run the action ``delay`` seconds from now, unless a run is already pending."""
        with self._wake:
            if self._due is not None:
                return
            self._due = time.monotonic() + delay
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            else:
                self._wake.notify()

    def cancel(self) -> None:
        """Forget the pending call, if any (the thread finds nothing due when it wakes)."""
        with self._wake:
            self._due = None

    def stop(self) -> None:
        """Cancel, and let the thread end; a later :meth:`schedule` starts a new one."""
        with self._wake:
            self._due = None
            self._thread = None
            self._wake.notify()

    def _run(self) -> None:
        me = threading.current_thread()
        with self._wake:
            while self._thread is me:  # stop() (or a newer thread) ends this one
                if self._due is None:
                    self._wake.wait()
                    continue
                remaining = self._due - time.monotonic()
                if remaining > 0:
                    self._wake.wait(remaining)
                    continue
                self._due = None
                self._wake.release()  # the action takes the view's lock: never hold both
                try:
                    self._action()
                finally:
                    self._wake.acquire()
