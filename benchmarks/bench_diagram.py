"""How long ``to_dot`` takes for a small world (200 objects) and a large, folded one (10,000).

Run: ``.venv/bin/python benchmarks/bench_diagram.py``; exits 1 if a goal is missed. The worlds are
built by the real core: workers, tensors sent to them, 20 local pointers spread over the stores,
and a recorded step (a move from bob to alice), so highlights, message arrows and pointers into
folded stores are all measured. The widget redraws on every step, so DOT must be cheap.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from _timing import Goal, Row, Table, median_seconds, require_bound
from torch import nn

import syft_widgets as sy
from syft_widgets.diagram import narrate, to_dot
from syft_widgets.events import Step

POINTERS = 20  # local pointers the learner holds, drawn in me's box with arrows into the stores
# (objects in the world, goal in milliseconds per drawing)
CASES = [(200, 20.0), (10_000, 200.0)]


@contextmanager
def recorded_steps() -> Iterator[list[Step]]:
    """The steps the core records while the block runs (subscribed as a live view would be)."""
    steps: list[Step] = []
    stop = sy.WORLD.bus.subscribe_steps(steps.append)
    try:
        yield steps
    finally:
        stop()
        sy.WORLD.flush_steps()


def world_of(objects: int, workers: list[sy.VirtualWorker]) -> Step:
    """Fill ``workers`` with ``objects`` 8-element tensors; return a move between them as a recorded step.

    The remote objects outlive their pointers (``garbage_collect_data=False``), as tensors a
    worker keeps do; the learner holds ``POINTERS`` pointers spread evenly over them.
    """
    for w in workers:
        w.clear_objects()
    spread = max(1, objects // POINTERS)
    held = []
    for i in range(objects):
        ptr = torch.arange(i, i + 8.0).send(workers[i % len(workers)], garbage_collect_data=False)
        if i % spread == 0 and len(held) < POINTERS:
            held.append(ptr)
    with recorded_steps() as steps:
        held[0] = held[0].move(workers[1])  # bob's first tensor goes to alice: two messages
    return steps[-1]  # its snapshot holds the world as drawn; the pointers may go now


def dot_row(objects: int, goal_ms: float, workers: list[sy.VirtualWorker]) -> Row:
    step = world_of(objects, workers)
    limit = max(objects, 40) if objects <= 200 else 40  # the small world is drawn in full
    medians = {}
    for lang in ("en", "bn"):
        draw: Callable[[], object] = lambda s=step, lang=lang, limit=limit: to_dot(  # noqa: E731
            s.snapshot, step=s, lang=lang, max_objects_per_worker=limit
        )
        require_bound(draw)
        medians[lang] = median_seconds(draw, repeats=30) * 1000
    return Row(
        f"DOT for {objects:,} objects" + (" (folded)" if objects > limit * len(workers) else ""),
        " / ".join(f"{ms:.1f} ms" for ms in medians.values()) + " (en / bn)",
        "",
        max(medians.values()),
        Goal(goal_ms, unit="ms"),
        how=f"median of 30 `to_dot` calls, English and Bengali, for {objects:,} tensors sent to "
        f"{len(workers)} workers by the core, {POINTERS} local pointers, and a recorded move "
        f"(bob → alice) highlighted; at most {limit} objects drawn per worker; the slower language "
        "must meet the goal.",
    )


def tutorial_steps(bob: sy.VirtualWorker, alice: sy.VirtualWorker) -> list[Step]:
    """Tutorial Part 3's steps, recorded from the real core."""
    for w in (bob, alice):
        w.clear_objects()
    with recorded_steps() as steps:
        x_ptr = torch.tensor([1, 2, 3, 4]).send(bob)
        pointer_to_x_ptr = x_ptr.send(alice)
        x_ptr = pointer_to_x_ptr.get()
        x_ptr.get()
        p2p2x = torch.tensor([1, 2, 3, 4, 5]).send(bob).send(alice)
        y = p2p2x + p2p2x
        y.get().get()
        x = torch.tensor([1, 2, 3, 4, 5]).send(bob)
        x = x.move(alice)
        model = nn.Linear(2, 1).send(bob)
        del x, model
    return steps


def narrate_row(steps: list[Step]) -> Row:
    seconds = median_seconds(lambda steps=steps: [narrate(s, "bn") for s in steps], repeats=30)
    return Row(
        f"narration of {len(steps)} tutorial steps (bn)",
        f"{seconds * 1000:.2f} ms",
        "",
        None,
        how="median of 30 runs of `narrate(step, 'bn')` over the steps the core records for tutorial "
        "Part 3 (send, send on, get, get, send, send on, add, get, get, send, move, send model, and the "
        "garbage collections at the end).",
    )


def main() -> int:
    hook = sy.TorchHook(torch)
    workers = [sy.VirtualWorker(hook, id=name) for name in ("bob", "alice", "secure_worker")]
    table = Table("Drawing a step (benchmarks/bench_diagram.py)")
    for objects, goal_ms in CASES:
        table.add(dot_row(objects, goal_ms, workers))
    table.add(narrate_row(tutorial_steps(workers[0], workers[1])))
    return table.report()


if __name__ == "__main__":
    sys.exit(main())
