"""How long drawing a step takes: a small world drawn in full (200 objects), and a learner's loop of
10,000 pointers in a list, summarised (issue 14).

Run: ``.venv/bin/python benchmarks/bench_diagram.py``; exits 1 if a goal is missed. The worlds are
built by the real core: workers, tensors sent to them, local pointers, and a recorded step (a move
from bob to alice), so highlights, message arrows and pointers into folded stores are all measured.
In the large world the learner holds every pointer in one list, ``ptrs``: the picture is found
(``pointer_collections``, as the live view does at each push) and drawn (``to_dot``) with the
defaults the live view uses (stores summarised past 8 objects, ``ptrs`` folded into one node).
The widget redraws on every step, so this must be cheap.
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
from syft_widgets.widgets._hub import pointer_collections

POINTERS = 20  # local pointers the small world's learner holds, drawn in me's box with arrows
LARGE = 10_000  # objects in the large world; the learner holds a pointer to each, in a list
SMALL_GOAL_MS = 20.0
LARGE_GOAL_MS = 200.0  # issue 14: the picture of a 10,000-object world in Python


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
    """The small world, every object drawn."""
    step = world_of(objects, workers)
    medians = {}
    for lang in ("en", "bn"):
        draw: Callable[[], object] = lambda s=step, lang=lang, limit=objects: to_dot(  # noqa: E731
            s.snapshot, step=s, lang=lang, max_objects_per_worker=limit
        )
        require_bound(draw)
        medians[lang] = median_seconds(draw, repeats=30) * 1000
    return Row(
        f"DOT for {objects:,} objects",
        " / ".join(f"{ms:.1f} ms" for ms in medians.values()) + " (en / bn)",
        "",
        max(medians.values()),
        Goal(goal_ms, unit="ms"),
        how="median of 30 `to_dot` calls, English and "
        f"Bengali, for {objects:,} tensors sent to {len(workers)} workers by the core, {POINTERS} local "
        "pointers, and a recorded move (bob → alice) highlighted; every object drawn; the slower "
        "language must meet the goal.",
    )


def loop_world(objects: int, workers: list[sy.VirtualWorker]) -> tuple[dict[str, object], Step]:
    """A learner's loop: ``objects`` tensors sent round-robin, every pointer kept in ``ptrs``; a move.

    Returns the learner's namespace and the recorded move (its snapshot holds the 10,000 stored
    tensors and the 10,000 local pointers).
    """
    for w in workers:
        w.clear_objects()
    ptrs = [torch.arange(i, i + 8.0).send(workers[i % len(workers)]) for i in range(objects)]
    sy.WORLD.flush_steps()
    with recorded_steps() as steps:
        ptrs[0] = ptrs[0].move(workers[1])  # bob's first tensor goes to alice: two messages
    return {"ptrs": ptrs}, steps[-1]


def picture(namespace: dict[str, object], step: Step, lang: str) -> str:
    """What the live view does per push and step: find the learner's collections, then draw."""
    return to_dot(
        step.snapshot, step=step, lang=lang, collections=pointer_collections(namespace), legend=False
    )


def large_row(workers: list[sy.VirtualWorker]) -> Row:
    """Issue 14's goal: the picture of a 10,000-object world, summarised, in Python."""
    namespace, step = loop_world(LARGE, workers)
    medians = {}
    for lang in ("en", "bn"):
        draw: Callable[[], object] = lambda ns=namespace, s=step, lang=lang: picture(ns, s, lang)  # noqa: E731
        require_bound(draw)
        medians[lang] = median_seconds(draw, repeats=30) * 1000
    nodes = picture(namespace, step, "en").count(" [label=")
    return Row(
        f"picture of {LARGE:,} objects in a list `ptrs` (summarised)",
        " / ".join(f"{ms:.1f} ms" for ms in medians.values()) + f" (en / bn), {nodes} nodes",
        "",
        max(medians.values()),
        Goal(LARGE_GOAL_MS, unit="ms"),
        how=f"median of 30 runs of `pointer_collections` + `to_dot` with the live view's defaults, "
        f"English and Bengali, for {LARGE:,} tensors sent to {len(workers)} workers by the core, all "
        "held in one list `ptrs`, and a recorded move (bob → alice) highlighted; stores summarised "
        "past 8 objects, `ptrs` folded into one node; the slower language must meet the goal.",
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
    table.add(dot_row(200, SMALL_GOAL_MS, workers))
    table.add(large_row(workers))
    table.add(narrate_row(tutorial_steps(workers[0], workers[1])))
    return table.report()


if __name__ == "__main__":
    sys.exit(main())
