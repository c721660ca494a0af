"""Memory of a long session with a live view open: 100,000 pointer operations (issue 6, bounded memory).

Run: ``.venv/bin/python benchmarks/bench_memory.py``; exits 1 if memory grows or objects are left
behind. Prints the heap held (tracemalloc, after gc) after 10,000, 50,000 and 100,000 operations
(once the view's history is full), twice: in a tight loop (the core groups steps into batches) and
with every operation recorded as its own step (the view's history keeps the newest 500).
"""

from __future__ import annotations

import gc
import sys
import tracemalloc

import torch
from _timing import Goal, Row, Table

import syft_widgets as sy
from syft_widgets import world
from syft_widgets.widgets import show
from syft_widgets.widgets._hub import on_cell_end

# What the view's full history holds moves by some tens of KiB from one moment to the next (it
# depends on which kinds of steps are in it, and on the dropped steps' narrations the timeline has not
# forgotten yet: live.FORGET_DROPPED_STEPS_EVERY); a leak of 10 bytes per operation adds 488 KiB over
# the last 50,000 operations, and one of 20 bytes about 1 MB.
GROWTH_GOAL_KIB = 512


def session(bob: sy.VirtualWorker, ops: int) -> None:
    x = torch.tensor([1.0, 2.0, 3.0]).send(bob)
    for i in range(ops):
        y = x + x
        if i % 1000 == 0:
            on_cell_end()  # as if a cell ended now and then
    del y, x


def heap_row(name: str, bob: sy.VirtualWorker, how: str) -> Row:
    session(bob, 20_000)  # fill the view's history up to its cap first: it is meant to fill up to it
    gc.collect()
    tracemalloc.start()
    held = []
    for ops in (10_000, 40_000, 50_000):
        session(bob, ops)
        gc.collect()
        held.append(tracemalloc.get_traced_memory()[0] / 1024)
    peak = tracemalloc.get_traced_memory()[1] / 1024
    tracemalloc.stop()
    growth = held[2] - held[1]
    return Row(
        name,
        f"{growth:+.0f} KiB (held {' / '.join(f'{h:.0f}' for h in held)} KiB, peak {peak:.0f} KiB)",
        "after 10,000 / 50,000 / 100,000 ops",
        growth,
        Goal(GROWTH_GOAL_KIB, unit="KiB"),
        how=how,
    )


def main() -> int:
    hook = sy.TorchHook(torch)
    bob = sy.VirtualWorker(hook, id="bob")
    view = show()
    table = Table("Memory of a long session with a live view (benchmarks/bench_memory.py)")
    common = (
        "`x + x` on a pointer to 3 floats on bob, a cell end every 1,000 ops; heap held by Python "
        "(tracemalloc, after gc.collect()) after 10,000, 50,000 and 100,000 ops, once 20,000 ops "
        "have filled the view's 500-step history; the goal bounds the growth over the last 50,000"
    )
    table.add(heap_row("heap growth, live view, tight loop (steps batched)", bob, how=common + "."))
    saved = world.BURST_STEPS
    world.BURST_STEPS = 10**9  # record every operation as its own step
    try:
        table.add(
            heap_row(
                "heap growth, live view, one step per operation",
                bob,
                how=common + ", with batching off (every add and delete is a step).",
            )
        )
    finally:
        world.BURST_STEPS = saved
    left = len(bob._objects)
    table.add(
        Row(
            "objects left on bob after 240,000 ops",
            str(left),
            "",
            left,
            Goal(0, unit="objects"),
            how="every result's pointer was dropped, so garbage collection must have deleted it on bob.",
        )
    )
    steps_kept = len(view.steps)
    view.close()
    code = table.report()
    print(f"steps kept by the view: {steps_kept}")
    return code


if __name__ == "__main__":
    sys.exit(main())
