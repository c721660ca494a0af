"""Object views and worlds built by hand, for diagram tests of one feature (folding, escaping, ...).

These are not the core's steps: tests of what a tutorial step looks like draw the steps recorded
from the real core (tests/recorded.py). Hand-made views suit what the core cannot easily be made to
produce on demand, such as 10,000 objects or a worker id full of control characters.
"""

from __future__ import annotations

from collections.abc import Sequence

from syft_widgets.events import Event, MessageSent, ObjectStored, Step
from syft_widgets.snapshot import ObjectView, WorkerView, WorldSnapshot

__all__ = ["pointer", "synthetic_snapshot", "synthetic_step", "tensor"]


def tensor(obj_id: int, values: Sequence[int | float], dtype: str = "int64") -> ObjectView:
    """A one-dimensional tensor's view, as the core's snapshot would hold it."""
    preview = "[" + ", ".join(str(v) for v in values) + "]"
    return ObjectView(obj_id, "tensor", preview, (len(values),), dtype)


def pointer(obj_id: int, location: str, id_at_location: int) -> ObjectView:
    return ObjectView(obj_id, "pointer", "", (), "", location=location, id_at_location=id_at_location)


def synthetic_snapshot(objects: int, workers: int = 3, pointers: int = 20) -> WorldSnapshot:
    """A world of ``objects`` tensors spread over ``workers`` remote workers, plus local pointers."""
    names = [f"w{i}" for i in range(workers)]
    stores: list[list[ObjectView]] = [[] for _ in names]
    for i in range(objects):
        stores[i % workers].append(ObjectView(1000 + i, "tensor", f"[{i}, {i + 1}, …]", (8,), "float32"))
    # Pointers aim all over the stores, so in a folded world most of them point into the fold.
    spread = max(1, objects // max(1, pointers))
    local = tuple(
        pointer(10 + i, names[(i * spread) % workers], 1000 + i * spread)
        for i in range(min(pointers, objects))
    )
    views = [WorkerView("me", "local", True, (), local)]
    views += [WorkerView(n, "virtual", True, tuple(s)) for n, s in zip(names, stores, strict=True)]
    return WorldSnapshot(tuple(views))


def synthetic_step(snapshot: WorldSnapshot) -> Step:
    """A step that added the last object of every remote worker, with one message each."""
    events: list[Event] = []
    for w in snapshot.workers[1:]:
        if w.objects:
            last = w.objects[-1]
            events.append(MessageSent("me", w.id, "send object", "send", (last.id,), "tensor", 32))
            events.append(ObjectStored(w.id, last))
    return Step(0, "send", {}, tuple(events), snapshot)
