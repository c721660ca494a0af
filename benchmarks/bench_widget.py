"""How much a live view slows the learner's code: 1,000 pointer operations with and without one.

Run: ``.venv/bin/python benchmarks/bench_widget.py``. Outside a kernel the widget's messages go
nowhere, so this measures what the kernel pays (recording steps, snapshots, throttled drawing);
the browser's share is measured by the browser tests. Goal: ratio <= 1.5.
"""

from __future__ import annotations

import statistics
import time

import torch

import syft_widgets as sy
from syft_widgets.widgets import show
from syft_widgets.widgets._hub import on_cell_end

OPS = 1000
REPEATS = 5


def loop(bob: sy.VirtualWorker) -> float:
    """Seconds for OPS additions on a pointer (each one a step: a command and a garbage collection)."""
    x_ptr = torch.tensor([1, 2, 3]).send(bob)
    start = time.perf_counter()
    for _ in range(OPS):
        y = x_ptr + x_ptr
    del y
    elapsed = time.perf_counter() - start
    del x_ptr
    return elapsed


def main() -> None:
    hook = sy.TorchHook(torch)
    bob = sy.VirtualWorker(hook, id="bob")
    loop(bob)  # warm up torch and the core
    bare = [loop(bob) for _ in range(REPEATS)]
    # The core builds events and snapshots only while someone listens: price that apart.
    unsubscribe = sy.WORLD.bus.subscribe_steps(lambda step: None)
    listened = [loop(bob) for _ in range(REPEATS)]
    unsubscribe()
    view = show()
    watched = []
    for _ in range(REPEATS):
        watched.append(loop(bob))
        on_cell_end()  # as IPython would after the cell
    steps, pushes = len(view.steps), view._hub.pushes
    view.close()
    b, n, w = (statistics.median(t) for t in (bare, listened, watched))
    print(f"{OPS} pointer additions, median of {REPEATS}:")
    print(f"  without a view:            {b * 1000:8.1f} ms ({b / OPS * 1e6:.0f} µs per op)")
    print(f"  core steps, idle listener: {n * 1000:8.1f} ms ({n / OPS * 1e6:.0f} µs per op)")
    print(f"  with a live view:          {w * 1000:8.1f} ms ({w / OPS * 1e6:.0f} µs per op)")
    print(f"  ratio view / no view:      {w / b:8.2f}x (goal <= 1.5x)")
    print(f"  ratio view / idle listener:{w / n:8.2f}x (the widget's own share)")
    print(f"  {steps} steps kept, {pushes} pushes")


if __name__ == "__main__":
    main()
