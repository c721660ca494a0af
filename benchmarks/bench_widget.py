"""How much a live view slows the learner's code: pointer adds with and without one, side by side.

Run: ``.venv/bin/python benchmarks/bench_widget.py``; exits 1 if a goal is missed. Outside a kernel
the widget's messages go nowhere, so this measures what the kernel pays (recording steps,
snapshots, throttled drawing); the browser's share is measured by the browser tests.

Two rows, because a tight loop is not drawn step by step: past ``world.BURST_STEPS`` steps within
``world.BURST_WINDOW`` seconds the core groups operations into one "batch" step per
``world.BATCH_SECONDS`` (counts of each operation and the world after them) until the cell ends.
The first row is that default (goal ≤ 1.5x); the second turns batching off, so every add is its
own step with its events and snapshot, which is what the batching saves (information, no goal).
The third has no view at all, only a step subscriber that does nothing: what the core's step
recording costs whenever anyone listens, so the first row's cost splits into the core's share and
the view's own (information, no goal).

Inside a batch no events are recorded, so operations on virtual workers call the worker directly,
with no message objects, as they do with no listener (``workers.BaseWorker.calls_directly``). What
the first and third rows still pay over the baseline is the steps themselves (an add is a counted
step, ``World.open_counted_step`` and ``close_counted_step``, and its dropped result's delete is
counted with one call: under ten Python calls in all, against about fifty for a whole add and drop)
and the first ``BURST_STEPS`` steps of each cell, recorded one by one with events and snapshots.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial

import torch
from _timing import Goal, Row, Table, compare, format_seconds

import syft_widgets as sy
from syft_widgets import world
from syft_widgets.widgets import show
from syft_widgets.widgets._hub import on_cell_end

OPS = 1000  # adds per timed block, like one cell with a loop


@contextmanager
def live_view(steps_recorded: list[int]) -> Iterator[None]:
    """A live view open over one block of adds; the cell ends after it (untimed), as in IPython."""
    seen = [0]  # a count only: keeping the steps themselves would keep their snapshots alive

    def count(_step: object, seen: list[int] = seen) -> None:
        seen[0] += 1

    stop_counting = sy.WORLD.bus.subscribe_steps(count)
    view = show()
    try:
        yield
        on_cell_end()
        steps_recorded.append(seen[0])
    finally:
        view.close()
        stop_counting()


@contextmanager
def live_view_one_step_per_op(steps_recorded: list[int]) -> Iterator[None]:
    """The same, with batching switched off: no burst is ever long enough to start a batch."""
    saved = world.BURST_STEPS
    world.BURST_STEPS = 10**9
    try:
        with live_view(steps_recorded):
            yield
    finally:
        world.BURST_STEPS = saved


@contextmanager
def step_subscriber_only(steps_recorded: list[int]) -> Iterator[None]:
    """No view: one step subscriber that only counts, so the core records steps as for a view."""
    seen = [0]

    def count(_step: object, seen: list[int] = seen) -> None:
        seen[0] += 1

    stop = sy.WORLD.bus.subscribe_steps(count)
    try:
        yield
        sy.WORLD.flush_steps()  # what a view does when the cell ends (untimed)
        steps_recorded.append(seen[0])
    finally:
        stop()


def view_row(
    name: str,
    bob: sy.VirtualWorker,
    around: Callable[[], AbstractContextManager[object]],
    goal: Goal | None,
    how: str,
) -> Row:
    x_ptr = torch.tensor([1.0, 2.0, 3.0]).send(bob)
    add = lambda x=x_ptr: x + x  # noqa: E731  (the result is dropped: its delete is a step too)
    result = compare(add, add, calls=OPS, around_case=around)
    return Row(
        name,
        format_seconds(result.case_s * OPS),
        f"{format_seconds(result.base_s * OPS)} (no view)",
        result.ratio,
        goal,
        how=how,
    )


def main() -> int:
    hook = sy.TorchHook(torch)
    bob = sy.VirtualWorker(hook, id="bob")
    table = Table("A live view's cost to the learner's loop (benchmarks/bench_widget.py)")
    batched: list[int] = []
    table.add(
        view_row(
            "1,000 pointer adds with a live view open (tight loop: steps batched)",
            bob,
            partial(live_view, batched),
            Goal(1.5),
            how=f"{OPS} `x_ptr + x_ptr` on a 3-element tensor on bob, each result dropped, with one live "
            "view open (the default: after 30 quick steps the core records one batch step per 0.1 s) against "
            "the same adds with no view; the redraw when the cell ends is not timed.",
        )
    )
    unbatched: list[int] = []
    table.add(
        view_row(
            "1,000 pointer adds with a live view, one step per operation",
            bob,
            partial(live_view_one_step_per_op, unbatched),
            None,
            how="as above with batching off (`world.BURST_STEPS` set out of reach for this row only), so "
            "every add and every delete is a step with its events and a snapshot; no goal: information.",
        )
    )
    subscribed: list[int] = []
    table.add(
        view_row(
            "1,000 pointer adds with a do-nothing step subscriber and no view",
            bob,
            partial(step_subscriber_only, subscribed),
            None,
            how="as the first row, with no view: one step subscriber that only counts the steps, so the "
            "core records (and batches) steps as it does for a view; the gap to the first row is the "
            "view's own cost. No goal: information.",
        )
    )
    code = table.report()
    print(
        f"steps recorded per {OPS} adds (median over blocks): {sorted(batched)[len(batched) // 2]} with "
        f"batching, {sorted(unbatched)[len(unbatched) // 2]} with one step per operation"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
