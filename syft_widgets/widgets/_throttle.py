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
    learner's loop wait for a thread to start (0.1 to 0.5 ms on two busy cores). Instead one daemon
    thread, started on first use and kept (a live view closed and opened again, as in a lesson,
    finds it there), waits for the next deadline. Waking it costs the learner's thread a switch of
    the interpreter lock too, so while calls come often (within ``IDLE_AFTER`` seconds of the last)
    it looks for a new deadline every ``POLL`` seconds by itself and scheduling only writes the
    deadline; after that it sleeps, using no time at all, until the next :meth:`schedule` wakes it.
    """

    POLL = 0.05
    IDLE_AFTER = 2.0

    def __init__(self, action: Callable[[], object], name: str = "syft-widgets-trailing-call") -> None:
        self._action = action
        self._name = name
        self._wake = threading.Condition()
        self._due: float | None = None  # time.monotonic() when the action is to run; None: nothing due
        self._scheduled_at = 0.0  # when schedule() last set a deadline
        self._asleep = False  # the thread waits for a notify, not for its next look
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> bool:
        """True while a call is scheduled and has not started."""
        return self._due is not None

    def schedule(self, delay: float) -> None:
        """Run the action ``delay`` seconds from now, unless a run is already pending."""
        if self._due is not None:  # the usual case inside a burst: read without the lock
            return
        with self._wake:
            if self._due is not None:
                return
            now = time.monotonic()
            self._due, self._scheduled_at = now + delay, now
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            elif self._asleep:
                self._wake.notify()

    def cancel(self) -> None:
        """Forget the pending call, if any (the thread finds nothing due when it looks)."""
        with self._wake:
            self._due = None

    @property
    def asleep(self) -> bool:
        """True while the thread waits for the next :meth:`schedule` (no calls for ``IDLE_AFTER`` s)."""
        return self._asleep

    def _run(self) -> None:
        with self._wake:
            while True:  # a daemon thread: it ends with the process
                now = time.monotonic()
                if self._due is None:
                    if now - self._scheduled_at > self.IDLE_AFTER:
                        self._asleep = True
                        self._wake.wait()  # until schedule() notifies
                        self._asleep = False
                    else:
                        self._wake.wait(self.POLL)
                    continue
                remaining = self._due - now
                if remaining > 0:
                    self._wake.wait(remaining)
                    continue
                self._due = None
                self._wake.release()  # the action takes the view's lock: never hold both
                try:
                    self._action()
                finally:
                    self._wake.acquire()
