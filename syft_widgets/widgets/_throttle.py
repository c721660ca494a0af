"""A rate limit for pushing diagrams to the browser while a cell runs."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["DEFAULT_INTERVAL", "Throttle"]

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
