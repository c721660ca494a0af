"""How long saving a long lesson's offline replay takes: ``view.save("lesson.html")`` after 500 steps.

Run: ``.venv/bin/python benchmarks/bench_export.py``; exits 1 if a goal is missed. The lesson is run
cell by cell in an IPython shell (so the learner's variables and lists are found as in a notebook), by
the real core with one step per operation (batching off, as ``bench_widget.py``'s second row does): a
loop over three workers that sends tensors, keeps every pointer in one list ``ptrs`` (so the stores
grow past 8 objects and fold, and ``ptrs`` folds too), moves some on and fetches some back. A saved
page carries, per step and per language, the folded picture, the privacy overlay's notes, each folded
store and collection unfolded (for clicks in the page; the newest steps, within a size budget) and
the narration; this times making all of that and writing the page. Outside a kernel the widget's
messages go nowhere, so only the kernel's work is timed.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from _timing import Goal, Row, Table
from IPython.core.interactiveshell import InteractiveShell

import syft_widgets as sy
from syft_widgets import world
from syft_widgets.widgets import LiveView, show

STEPS = 500  # a long lesson: the live view's history keeps the newest 500 steps
GOAL_S = 2.0
REPEATS = 5


# The learner's loop, one cell per round as a lesson runs it. Every pointer stays in the list `ptrs`, so
# the stores grow past 8 objects and fold, and `ptrs` is drawn as one folded collection.
LOOP_CELL = """
ptr = torch.arange(i, i + 4.0).send(workers[i % 3])
ptrs.append(ptr)
if i % 5 == 4:  # now and then a tensor moves on to the next worker...
    ptrs[-2] = ptrs[-2].move(workers[(i + 1) % 3])
if i % 7 == 6:  # ...and one comes back to me
    ptrs.pop(0).get()
i += 1
"""


def record_session(shell: InteractiveShell, steps: int) -> LiveView:
    """Run the loop in ``shell`` with a view open until the view has recorded ``steps`` steps."""
    assert shell.run_cell("view = sy.show()\nptrs = []\ni = 0").success
    view: LiveView = shell.user_ns["view"]
    while len(view.steps) < steps:
        assert shell.run_cell(LOOP_CELL).success
    return view


def time_saves() -> tuple[list[float], int]:
    """Seconds of each save, and the page's size in bytes.

    Each save is made by a view opened just before it, so nothing is left from an earlier save; it
    shares the lesson's recorded steps, and narrates them in its own language on opening, as a view
    open during the lesson has done. The diagram remembers object lines and arrows only while one
    page is saved, so every save starts cold.
    """
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lesson.html"
        for _ in range(REPEATS):
            fresh = show()
            start = time.perf_counter()
            fresh.save(path)
            times.append(time.perf_counter() - start)
            fresh.close()
        return times, path.stat().st_size


def save_row(shell: InteractiveShell) -> Row:
    saved = world.BURST_STEPS
    world.BURST_STEPS = 10**9  # one step per operation, as bench_widget.py's second row
    try:
        view = record_session(shell, STEPS)
    finally:
        world.BURST_STEPS = saved
    steps = len(view.steps)
    stores = [w.id for w in view.steps[-1].snapshot.workers if len(w.objects) > 8]
    times, size = time_saves()
    seconds = statistics.median(times)
    print("seconds per save:", ", ".join(f"{t:.2f}" for t in times))
    return Row(
        f'`view.save("lesson.html")` after {steps} steps',
        f"{seconds:.2f} s ({seconds / steps * 1000:.2f} ms per step), {size / 1e6:.1f} MB",
        "",
        seconds,
        Goal(GOAL_S, unit="s"),
        how=f"median of {REPEATS} saves, each by a view opened just before it and with nothing remembered "
        f"from earlier drawings, of {steps} steps recorded "
        "one per operation in an IPython shell: a loop over 3 workers (send, every 5th round a move on, "
        "every 7th a get back), every pointer kept in one list `ptrs`; at the end the stores of "
        f"{', '.join(stores)} and `ptrs` are folded. Each save draws every step in English and Bengali "
        "(folded, the privacy overlay's notes, the newest steps' stores unfolded), narrates it and "
        "writes the page.",
    )


def main() -> int:
    hook = sy.TorchHook(torch)
    workers = [sy.VirtualWorker(hook, id=name) for name in ("bob", "alice", "secure_worker")]
    shell = InteractiveShell.instance()
    shell.user_ns.update(torch=torch, sy=sy, workers=workers)
    table = Table("Saving the replay (benchmarks/bench_export.py)")
    try:
        table.add(save_row(shell))
    finally:
        if "view" in shell.user_ns:
            shell.user_ns["view"].close()
    return table.report()


if __name__ == "__main__":
    sys.exit(main())
