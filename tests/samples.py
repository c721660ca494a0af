"""Hand-built steps of the Part 3 tutorial, with small readable ids (101, 201, ...).

Kept only for the narration tests (tests/test_diagram_narrate.py) until they draw on the steps
recorded from the real core (tests/recorded.py): these hand-made steps are close to, but not
exactly, what the core emits. New tests should use tests/recorded.py, or tests/builders.py for
single hand-made views.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from syft_widgets.events import Event, MessageSent, ObjectRemoved, ObjectStored, Step
from syft_widgets.snapshot import ModuleView, ObjectView, WorkerView, WorldSnapshot
from tests.builders import pointer

__all__ = ["StepRecorder", "tensor", "tutorial_steps"]


def tensor(
    obj_id: int,
    values: Sequence[int | float],
    kind: str = "tensor",
    dtype: str = "int64",
    requires_grad: bool = False,
) -> ObjectView:
    """A one-dimensional tensor's view, as the core's snapshot would hold it."""
    preview = "[" + ", ".join(str(v) for v in values) + "]"
    return ObjectView(obj_id, kind, preview, (len(values),), dtype, requires_grad)  # type: ignore[arg-type]


class StepRecorder:
    """Applies store events to a running world and records a Step with the snapshot after them."""

    def __init__(self, workers: Sequence[str] = ("me", "bob", "alice")) -> None:
        self.stores: dict[str, dict[int, ObjectView]] = {w: {} for w in workers}
        self.pointers: dict[int, ObjectView] = {}
        self.modules: tuple[ModuleView, ...] = ()
        self.steps: list[Step] = []
        self.offline: set[str] = set()

    def record(
        self,
        op: str,
        detail: Mapping[str, object],
        events: Sequence[Event],
        *,
        pointers: Sequence[ObjectView] | None = None,
        modules: Sequence[ModuleView] | None = None,
    ) -> Step:
        for e in events:
            if isinstance(e, ObjectStored):
                self.stores[e.worker][e.obj.id] = e.obj
            elif isinstance(e, ObjectRemoved):
                self.stores[e.worker].pop(e.obj_id, None)
        if pointers is not None:
            self.pointers = {p.id: p for p in pointers}
        if modules is not None:
            self.modules = tuple(modules)
        step = Step(len(self.steps), op, dict(detail), tuple(events), self.snapshot())
        self.steps.append(step)
        return step

    def snapshot(self) -> WorldSnapshot:
        workers = tuple(
            WorkerView(
                w,
                "local" if i == 0 else "virtual",
                w not in self.offline,
                tuple(store.values()),
                tuple(self.pointers.values()) if i == 0 else (),
            )
            for i, (w, store) in enumerate(self.stores.items())
        )
        return WorldSnapshot(workers, self.modules)


def tutorial_steps() -> tuple[Step, ...]:
    """The Part 3 tutorial as steps, with small readable ids (the real ones are random).

    Index: 0 x.send(bob) · 1 x_ptr.send(alice) · 2 pointer_to_x_ptr.get() · 3 x_ptr.get() ·
    4, 5 p2p2x = t.send(bob).send(alice) · 6 y = p2p2x + p2p2x · 7, 8 y.get().get() ·
    9 x = t.send(bob) · 10 x.move(alice) · 11 model.send(bob) · 12 del x (garbage collection).
    """
    r = StepRecorder()
    x = tensor(101, [1, 2, 3, 4])
    r.record(
        "send",
        {},
        [MessageSent("me", "bob", "send object", "send", (101,), "tensor", 32), ObjectStored("bob", x)],
        pointers=[pointer(201, "bob", 101)],
    )
    r.record(
        "send",
        {},
        [
            MessageSent("me", "alice", "send object", "send", (201,), "pointer", 0),
            ObjectStored("alice", pointer(201, "bob", 101)),
        ],
        pointers=[pointer(201, "bob", 101), pointer(202, "alice", 201)],
    )
    r.record(
        "get",
        {},
        [
            MessageSent("me", "alice", "request object", "get", (201,), "pointer", 0),
            ObjectRemoved("alice", 201, "pointer", "get"),
        ],
        pointers=[pointer(201, "bob", 101)],
    )
    r.record(
        "get",
        {},
        [
            MessageSent("me", "bob", "request object", "get", (101,), "tensor", 32),
            ObjectRemoved("bob", 101, "tensor", "get"),
        ],
        pointers=[],
    )
    # p2p2x = torch.tensor([1,2,3,4,5]).send(bob).send(alice)
    r.record(
        "send",
        {},
        [
            MessageSent("me", "bob", "send object", "send", (102,), "tensor", 40),
            ObjectStored("bob", tensor(102, [1, 2, 3, 4, 5])),
        ],
        pointers=[pointer(203, "bob", 102)],
    )
    r.record(
        "send",
        {},
        [
            MessageSent("me", "alice", "send object", "send", (203,), "pointer", 0),
            ObjectStored("alice", pointer(203, "bob", 102)),
        ],
        pointers=[pointer(204, "alice", 203)],
    )
    # y = p2p2x + p2p2x: two hops, one message each; bob gains the sum, alice a pointer to it.
    r.record(
        "command",
        {"func": "__add__"},
        [
            MessageSent("me", "alice", "command", "__add__", (203, 203), None, 0),
            MessageSent("alice", "bob", "command", "__add__", (102, 102), None, 0),
            ObjectStored("bob", tensor(105, [2, 4, 6, 8, 10])),
            ObjectStored("alice", pointer(104, "bob", 105)),
        ],
        pointers=[pointer(204, "alice", 203), pointer(206, "alice", 104)],
    )
    # y.get().get(): the first get brings alice's pointer home, the second brings bob's tensor.
    r.record(
        "get",
        {},
        [
            MessageSent("me", "alice", "request object", "get", (104,), "pointer", 0),
            ObjectRemoved("alice", 104, "pointer", "get"),
        ],
        pointers=[pointer(204, "alice", 203), pointer(104, "bob", 105)],
    )
    r.record(
        "get",
        {},
        [
            MessageSent("me", "bob", "request object", "get", (105,), "tensor", 40),
            ObjectRemoved("bob", 105, "tensor", "get"),
        ],
        pointers=[pointer(204, "alice", 203)],
    )
    r.record(
        "send",
        {},
        [
            MessageSent("me", "bob", "send object", "send", (107,), "tensor", 40),
            ObjectStored("bob", tensor(107, [1, 2, 3, 4, 5])),
        ],
        pointers=[pointer(204, "alice", 203), pointer(208, "bob", 107)],
    )
    # x.move(alice): me asks bob, and the data goes bob -> alice without passing through me.
    r.record(
        "move",
        {"destination": "alice"},
        [
            MessageSent("me", "bob", "command", "remote_send", (107,), None, 0),
            MessageSent("bob", "alice", "send object", "send", (107,), "tensor", 40),
            ObjectRemoved("bob", 107, "tensor", "move"),
            ObjectStored("alice", tensor(107, [1, 2, 3, 4, 5])),
        ],
        pointers=[pointer(204, "alice", 203), pointer(208, "alice", 107)],
    )
    weight = ObjectView(301, "parameter", "[0.1, -0.2]", (1, 2), "float32", True)
    bias = ObjectView(302, "parameter", "[0.05]", (1,), "float32", True)
    r.record(
        "send_module",
        {"class_name": "Linear", "module_id": 300},
        [
            MessageSent("me", "bob", "send object", "send", (301,), "parameter", 8),
            ObjectStored("bob", weight),
            MessageSent("me", "bob", "send object", "send", (302,), "parameter", 4),
            ObjectStored("bob", bias),
        ],
        pointers=[
            pointer(204, "alice", 203),
            pointer(208, "alice", 107),
            pointer(311, "bob", 301),
            pointer(312, "bob", 302),
        ],
        modules=[ModuleView(300, "Linear", "bob", (("weight", 311), ("bias", 312)))],
    )
    r.record(
        "gc",
        {},
        [
            MessageSent("me", "alice", "delete object", "delete", (107,), "tensor", 0),
            ObjectRemoved("alice", 107, "tensor", "delete"),
        ],
        pointers=[pointer(204, "alice", 203), pointer(311, "bob", 301), pointer(312, "bob", 302)],
    )
    return tuple(r.steps)
