"""The privacy overlay's record for a view: what each worker had seen in the clear after each step.

``encrypted.seen.SeenLedger`` folds steps into the record; a view feeds it the steps it recorded, in
order, and keeps the record as it was after each one, so the overlay of an older step (on the slider,
in a saved page) shows what was seen *then*. Nothing is folded until someone asks (the Privacy button,
``view.seen``, a saved page), so a view whose overlay is never used costs nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..encrypted.seen import SeenLedger, WorkerSeen
from ..events import Step

__all__ = ["SeenHistory"]


class SeenHistory:
    """The ledger of one view's recorded steps, with its state after each of them."""

    def __init__(self) -> None:
        self._ledger = SeenLedger()
        self._after: dict[int, dict[str, WorkerSeen]] = {}  # step index -> the record right after it
        self._last = -1  # the index of the last step folded in

    def after(self, steps: Sequence[Step], step: Step | None = None) -> Mapping[str, WorkerSeen]:
        """The record right after ``step`` of the recorded ``steps`` (the newest when None).

        Steps newer than the last one folded in are folded in first, in order; the records of steps
        no longer in ``steps`` (dropped from a capped history) are forgotten.
        """
        for s in steps:
            if s.index > self._last:
                self._ledger.add_step(s)
                self._after[s.index] = self._ledger.as_dict()
                self._last = s.index
        if len(self._after) > len(steps):
            kept = {s.index for s in steps}
            self._after = {i: r for i, r in self._after.items() if i in kept}
        found = self._after.get(step.index) if step is not None else None
        return found if found is not None else self._ledger.as_dict()
