"""Timing shared by the benchmarks: side-by-side blocks, a median ratio, and goals that set the exit code.

Every benchmark compares syft_widgets with a baseline (plain torch, no live view, ...) in the same
run. Short blocks of calls alternate between the two sides, so load from other processes on a
shared machine falls on both alike, and the ratio reported is the median of the per-round ratios.

A measured callable must carry its operands with it, as default arguments (``lambda a=a, b=b: a + b``)
or through ``functools.partial``: ``compare`` refuses a closure. A closure reads its variables
when it runs, so a later ``a, b = ...`` in the calling function silently changes what is timed
(this once made a baseline time ``a + <float>`` instead of ``a + <tensor>``).

    >>> def rows():
    ...     a = 1
    ...     return lambda: a + 1
    >>> compare(rows(), lambda: 2, calls=1)
    Traceback (most recent call last):
    TypeError: 'rows.<locals>.<lambda>' reads a from an enclosing function; bind its operands as \
default arguments (lambda a=a: ...) or with functools.partial
    >>> compare(lambda a=1: a + 1, lambda: 2, calls=10, rounds=3).ratio > 0
    True

A table checks each row against its goal; the exit code is 1 if any goal is missed, open or not:

    >>> table = Table("demo")
    >>> table.add(Row("fast enough", "3 µs", "1 µs", 3.0, Goal(4.0)))
    >>> table.add(Row("too slow", "5 µs", "1 µs", 5.0, Goal(4.0, issue=10)))
    >>> table.add(Row("information", "9 µs", "1 µs", 9.0))
    >>> [row.verdict() for row in table.rows]
    ['ok', 'MISSED (open goal, issue 10)', 'information (no goal)']
    >>> table.missed()
    ['too slow']
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import torch

__all__ = [
    "Comparison",
    "Goal",
    "Row",
    "Table",
    "compare",
    "format_seconds",
    "machine_line",
    "median_seconds",
    "require_bound",
    "seconds_per_call",
]


def require_bound(fn: Callable[[], object]) -> None:
    """Refuse ``fn`` if it reads variables of an enclosing function (see the module docstring)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    code = getattr(fn, "__code__", None)
    if code is not None and code.co_freevars:
        raise TypeError(
            f"{getattr(fn, '__qualname__', fn)!r} reads {', '.join(code.co_freevars)} from an enclosing "
            "function; bind its operands as default arguments (lambda a=a: ...) or with functools.partial"
        )


def seconds_per_call(fn: Callable[[], object], calls: int) -> float:
    """Average wall-clock seconds of one call of ``fn`` over ``calls`` calls in a row."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median wall-clock seconds of one call of ``fn`` over ``repeats`` separately timed calls."""
    require_bound(fn)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass(frozen=True)
class Comparison:
    """Seconds per call of each side (median over rounds) and the median of the rounds' ratios."""

    case_s: float
    base_s: float
    ratio: float


def compare(
    case: Callable[[], object],
    base: Callable[[], object],
    *,
    calls: int,
    rounds: int = 15,
    around_case: Callable[[], AbstractContextManager[object]] | None = None,
) -> Comparison:
    """Time ``case`` against ``base`` in ``rounds`` pairs of neighbouring blocks of ``calls`` calls.

    The side that goes first alternates from round to round, so a machine that speeds up or slows
    down during a round does not favour one side. ``around_case`` is entered around every block of
    ``case`` (untimed): it may prepare state that only the case wants, such as an open live view.
    """
    require_bound(case)
    require_bound(base)
    around_case = around_case or contextlib.nullcontext
    with around_case():
        seconds_per_call(case, max(1, calls // 2))  # warm up caches, torch's dispatch, the core
    seconds_per_call(base, max(1, calls // 2))

    def timed_case() -> float:
        with around_case():
            return seconds_per_call(case, calls)

    case_s, base_s, ratios = [], [], []
    for round_ in range(rounds):
        if round_ % 2:
            c, b = timed_case(), seconds_per_call(base, calls)
        else:
            b, c = seconds_per_call(base, calls), timed_case()
        case_s.append(c)
        base_s.append(b)
        ratios.append(c / b)
    return Comparison(statistics.median(case_s), statistics.median(base_s), statistics.median(ratios))


def format_seconds(seconds: float) -> str:
    """A duration with a unit that keeps 3-4 significant digits: ``12.4 µs``, ``3.10 ms``."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


@dataclass(frozen=True)
class Goal:
    """An upper bound: ``limit`` times the baseline (``unit="x"``) or an absolute time or size.

    ``issue`` marks an open goal: known to be missed and tracked in that issue. It is still
    checked, printed as MISSED and makes the benchmark exit non-zero until it is met.
    """

    limit: float
    unit: str = "x"
    issue: int | None = None

    def __str__(self) -> str:
        return f"≤ {self.limit:g}{'x' if self.unit == 'x' else ' ' + self.unit}"


@dataclass(frozen=True)
class Row:
    """One line of a results table, in the README's columns.

    ``value`` is what is compared with the goal: the ratio for ``x`` goals, else a number in the
    goal's unit. ``how`` says how the row is measured (threads, sizes, what the baseline is).
    """

    name: str
    measured: str
    baseline: str
    value: float | None
    goal: Goal | None = None
    pysyft: str = ""
    how: str = ""

    @property
    def met(self) -> bool | None:
        if self.goal is None or self.value is None:
            return None
        return self.value <= self.goal.limit

    def verdict(self) -> str:
        if self.met is None:
            return "information (no goal)"
        if self.met:
            return "ok"
        assert self.goal is not None
        return f"MISSED (open goal, issue {self.goal.issue})" if self.goal.issue else "MISSED"

    def cells(self) -> list[str]:
        # Goals in a unit (ms, KiB) are met by the measured value itself, which has its own column.
        in_unit = self.goal is not None and self.goal.unit != "x"
        shown = "" if self.value is None or in_unit else f"{self.value:.2f}x"
        goal = str(self.goal) if self.goal else "none"
        return [self.name, self.measured, self.baseline, shown, goal, self.pysyft, self.verdict()]


HEADER = ["benchmark", "syft-widgets", "baseline", "ratio", "goal", "PySyft 0.2.9", "verdict"]


@dataclass
class Table:
    """Rows printed as a Markdown table (readable in a terminal, pasteable into the README)."""

    title: str
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def missed(self) -> list[str]:
        return [row.name for row in self.rows if row.met is False]

    def lines(self) -> Iterator[str]:
        table = [HEADER, *(row.cells() for row in self.rows)]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(HEADER))]
        yield f"{self.title}:"
        yield machine_line()
        yield ""
        for n, cells in enumerate(table):
            yield "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
            if n == 0:
                yield "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        yield ""
        yield "How each row is measured:"
        for row in self.rows:
            yield f"- {row.name}: {row.how}"

    def report(self) -> int:
        """Print the table and a summary; return the exit code (1 if any goal was missed)."""
        print("\n".join(self.lines()))
        missed = self.missed()
        if missed:
            print(f"MISSED {len(missed)} goal(s): {'; '.join(missed)}")
            return 1
        print("every goal met")
        return 0


def machine_line() -> str:
    """Date, torch threads and load: what a reader needs to judge how comparable a run is."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    pinned = os.environ.get("OMP_NUM_THREADS")
    threads = f"OMP_NUM_THREADS={pinned}" if pinned else "torch's default"
    return (
        f"{datetime.date.today().isoformat()}; torch {torch.__version__}, {torch.get_num_threads()} "
        f"threads ({threads}); {os.cpu_count()} CPUs; load average {load}"
    )
