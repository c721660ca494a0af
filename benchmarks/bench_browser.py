"""In the browser: how soon after its cell ends a step of a 1,000-object world is on screen (issue 14).

Run: ``.venv/bin/python benchmarks/bench_browser.py`` (about a minute: it starts its own offline
JupyterLab 4 and Debian's headless Chromium, as the browser tests do; never ``playwright install``).
Exits 1 if the goal is missed. Not part of the pytest run, which only collects this module's doctests.

It runs ``tests/browser/notebooks/thousand_pointers.ipynb``: four workers, a live view (bn), a list
of 1,000 pointers, then one cell that moves ``ptrs[0]`` to the next worker, run ``MOVES`` times. For
each run the page records, with ``performance.now()``, when the cell's prompt turned into ``[n]``
and when the view had drawn the new step and its animation had ended (the ``syft-rendered`` event).
The row reports the median and the slowest of those times against the goal.
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import sys
from typing import Any

from _timing import Goal, Row, Table

MOVES = 9
GOAL_MS = 1500
NOTEBOOK = "thousand_pointers.ipynb"
SETUP, VIEW, PTRS, ROUND = 1, 2, 3, 7  # cells of the notebook (0 is markdown)


def percentile_row(settled_ms: list[float], drawn_ms: list[float]) -> Row:
    """The benchmark's row: the median time to a settled picture, against the goal.

    >>> row = percentile_row([900.0, 1100.0, 1000.0], [10.0, 30.0, 20.0])
    >>> row.value, row.verdict()
    (1000.0, 'ok')
    >>> percentile_row([1600.0, 1700.0, 1800.0], [1.0, 2.0, 3.0]).verdict()
    'MISSED'
    """
    median = statistics.median(settled_ms)
    return Row(
        "a step of a 1,000-object world drawn in the browser after its cell ends (animation included)",
        f"{median:.0f} ms median, {max(settled_ms):.0f} ms slowest",
        f"new step first in the SVG {statistics.median(drawn_ms):.0f} ms after the cell ended",
        median,
        Goal(GOAL_MS, unit="ms"),
        how=f"{len(settled_ms)} runs of one `move` cell on a world of 1,000 tensors on four workers and a "
        "1,000-pointer list, with a live view (bn) open, in JupyterLab 4 and headless Chromium; from the "
        "cell's prompt turning into [n] to the view's animation to the new step having ended, timed in the "
        "page.",
    )


def measure() -> tuple[list[float], list[float]]:
    """Run the notebook in a fresh JupyterLab and time each move; (settled ms, first drawn ms)."""
    from playwright.sync_api import sync_playwright

    from tests.browser.lab_page import LATENCY_JS, open_notebook, serve
    from tests.helpers import CHROMIUM_FLAGS

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("bench_browser.py needs Debian's chromium on PATH (scripts/setup.sh installs it)")
    settled: list[float] = []
    drawn: list[float] = []
    with contextlib.contextmanager(serve)("lab") as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
            page.set_default_timeout(60000)
            nb = open_notebook(page, lab, NOTEBOOK)
            for cell in (SETUP, VIEW, PTRS):
                nb.run(cell)
            nb.settled(what="the 1,000 pointers")
            for _ in range(MOVES):
                times: dict[str, Any] = page.evaluate(LATENCY_JS, ROUND)
                nb.wait_idle()
                nb.settled(what="the move")
                if "svg" not in times or "done" not in times:
                    raise RuntimeError(f"the view never drew the move: {times}")
                settled.append(times["svg"] - times["done"])
                drawn.append(times["drawn"] - times["done"])
        finally:
            browser.close()
    return settled, drawn


def main() -> int:
    settled, drawn = measure()
    table = Table("A step of a big world in the browser (benchmarks/bench_browser.py)")
    table.add(percentile_row(settled, drawn))
    print("each run, cell end -> animation ended (ms):", ", ".join(f"{ms:.0f}" for ms in settled))
    return table.report()


if __name__ == "__main__":
    sys.exit(main())
