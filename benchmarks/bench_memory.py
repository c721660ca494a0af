"""Memory of a long session with a live view open: 100,000 pointer operations (issue 6, bounded memory).

Run: python benchmarks/bench_memory.py. Prints the heap held (tracemalloc, after gc) after 10,000,
50,000 and 100,000 operations (once the view's history is full), twice: in a tight loop (the core
groups steps into batches) and with every operation recorded as its own step (the view's history
keeps the newest 500). Both must stay flat.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc

import torch

import syft_widgets as sy
from syft_widgets import world
from syft_widgets.widgets import show
from syft_widgets.widgets._hub import on_cell_end


def session(bob: sy.VirtualWorker, ops: int) -> None:
    x = torch.tensor([1.0, 2.0, 3.0]).send(bob)
    for i in range(ops):
        y = x + x
        if i % 1000 == 0:
            on_cell_end()  # as if a cell ended now and then
    del y, x


def measure(label: str, bob: sy.VirtualWorker) -> bool:
    session(bob, 20_000)  # fill the view's history up to its cap first: it is meant to fill up to it
    gc.collect()
    tracemalloc.start()
    held = []
    for ops in (10_000, 40_000, 50_000):
        session(bob, ops)
        gc.collect()
        held.append(tracemalloc.get_traced_memory()[0])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Bounded: what the history holds varies with the kind of steps in it, but the last 50,000
    # operations add nothing lasting (a leak of even 20 bytes per operation would add 1 MB).
    ok = held[2] <= max(held[:2]) * 1.3 + 128 * 1024
    print(
        f"{label:38} held after 10,000 / 50,000 / 100,000 ops: "
        + " / ".join(f"{h / 1024:.0f} KiB" for h in held)
        + f" (peak {peak / 1024:.0f} KiB)  {'ok' if ok else 'GREW'}"
    )
    return ok


def main() -> int:
    hook = sy.TorchHook(torch)
    bob = sy.VirtualWorker(hook, id="bob")
    view = show()
    ok = measure("tight loop (steps grouped in batches)", bob)
    world.BURST_STEPS = 10**9  # record every operation as its own step
    ok &= measure("one step per operation (500 kept)", bob)
    print(f"steps kept by the view: {len(view.steps)}; objects left on bob: {len(bob._objects)}")
    view.close()
    return 0 if ok and not bob._objects else 1


if __name__ == "__main__":
    sys.exit(main())
