"""How long ``to_dot`` takes for a small world (200 objects) and a large, folded one (10,000).

Run from the repository root: ``python benchmarks/bench_diagram.py`` (with the package installed,
or ``PYTHONPATH=.``). Each world has 20 local pointers spread over the stores and a step that adds
the last object of every worker, so highlights and pointers into folded stores are measured too.
"""

from __future__ import annotations

import statistics
import time

from syft_widgets.diagram import narrate, to_dot
from syft_widgets.diagram.samples import synthetic_snapshot, synthetic_step, tutorial_steps

# (objects in the world, goal in milliseconds): the widget redraws on every step, so DOT must be cheap.
CASES = [(200, 20.0), (10_000, 200.0)]
REPEATS = 30


def best_and_median(fn, repeats: int = REPEATS) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), statistics.median(times)


def main() -> None:
    print(f"{'case':<28} {'best ms':>8} {'median ms':>10} {'goal ms':>8} {'median/goal':>12}")
    for objects, goal in CASES:
        snapshot = synthetic_snapshot(objects)
        step = synthetic_step(snapshot)
        limit = max(objects, 40) if objects <= 200 else 40  # the small world is drawn in full
        for lang in ("en", "bn"):
            best, median = best_and_median(
                lambda s=snapshot, step=step, lang=lang, limit=limit: to_dot(
                    s, step=step, lang=lang, max_objects_per_worker=limit
                )
            )
            name = f"to_dot {objects} objects {lang}"
            print(f"{name:<28} {best:8.2f} {median:10.2f} {goal:8.0f} {median / goal:12.3f}")
    steps = tutorial_steps()
    best, median = best_and_median(lambda: [narrate(s, "bn") for s in steps])
    print(f"{'narrate 13 steps bn':<28} {best:8.2f} {median:10.2f}")


if __name__ == "__main__":
    main()
