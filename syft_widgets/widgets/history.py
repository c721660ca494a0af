"""The recorded steps a live view can replay: the newest ``capacity`` of them, oldest first.

Each step holds an immutable, data-free snapshot of the world, so the cap bounds memory by the
number of objects in view, not by tensor sizes. Older steps are dropped silently.
"""

from __future__ import annotations

from collections import deque

from ..events import Step

__all__ = ["DEFAULT_CAPACITY", "StepHistory"]

DEFAULT_CAPACITY = 500


class StepHistory:
    """The most recent steps, at most ``capacity`` of them, in the order they happened."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"a step history needs a capacity of at least 1, got {capacity!r}")
        self._steps: deque[Step] = deque(maxlen=capacity)
        self.dropped = 0

    @property
    def capacity(self) -> int:
        """How many steps are kept before the oldest is dropped."""
        assert self._steps.maxlen is not None
        return self._steps.maxlen

    def record(self, step: Step) -> None:
        """Keep ``step``, dropping the oldest one when full; cheap, it runs inside the learner's cell."""
        if len(self._steps) == self._steps.maxlen:
            self.dropped += 1
        self._steps.append(step)

    @property
    def steps(self) -> tuple[Step, ...]:
        """The kept steps, oldest first."""
        return tuple(self._steps)

    @property
    def latest(self) -> Step | None:
        """The newest step, or None before the first one."""
        return self._steps[-1] if self._steps else None

    def find(self, index: int) -> Step | None:
        """The kept step whose ``Step.index`` is ``index``, or None when it was dropped or never was."""
        # Steps arrive in increasing index order, so search from the newest end, where views look.
        for step in reversed(self._steps):
            if step.index == index:
                return step
            if step.index < index:
                return None
        return None

    def __len__(self) -> int:
        return len(self._steps)

    def __repr__(self) -> str:
        return f"<StepHistory {len(self._steps)}/{self.capacity} steps, {self.dropped} dropped>"
