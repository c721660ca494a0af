"""Narration: one sentence per step, in English and Bengali."""

from __future__ import annotations

import pytest

from syft_widgets.diagram import narrate
from syft_widgets.events import MessageSent, ObjectRemoved, ObjectStored, Step
from syft_widgets.snapshot import ModuleView, ObjectView, WorkerView, WorldSnapshot
from tests.recorded import SeedTutorial

# The seed tutorial's steps as the real core records them (tests/recorded.py): (cell, which of its
# steps, English, Bengali). Ids come from the learner's pointers at the end of each cell.
TUTORIAL = [
    ("send x", 0, "me sent tensor #{x} to bob", "me bob-কে টেন্সর #{x} পাঠিয়েছে"),
    ("send pointer", 0, "me sent pointer #{x_ptr} to alice", "me alice-কে পয়েন্টার #{x_ptr} পাঠিয়েছে"),
    (
        "get pointer",
        0,
        "me fetched pointer #{x_ptr} from alice",
        "me alice-এর কাছ থেকে পয়েন্টার #{x_ptr} ফিরিয়ে এনেছে",
    ),
    ("get x", 0, "me fetched tensor #{x} from bob", "me bob-এর কাছ থেকে টেন্সর #{x} ফিরিয়ে এনেছে"),
    ("chain", 1, "me sent pointer #{chain} to alice", "me alice-কে পয়েন্টার #{chain} পাঠিয়েছে"),
    (
        "add",
        0,
        "me asked alice to run + (add), alice asked bob to run + (add); bob stored tensor #{sum}, "
        "alice stored pointer #{y}",
        "me alice-কে + (যোগ) চালাতে বলেছে, alice bob-কে + (যোগ) চালাতে বলেছে; bob টেন্সর #{sum} সংরক্ষণ "
        "করেছে, alice পয়েন্টার #{y} সংরক্ষণ করেছে",
    ),
    ("get y", 0, "me fetched pointer #{y} from alice", "me alice-এর কাছ থেকে পয়েন্টার #{y} ফিরিয়ে এনেছে"),
    ("get y", 1, "me fetched tensor #{sum} from bob", "me bob-এর কাছ থেকে টেন্সর #{sum} ফিরিয়ে এনেছে"),
    (
        "move",
        0,
        "me moved tensor #{moved} from bob to alice",
        "me bob-এর কাছ থেকে টেন্সর #{moved} alice-এর কাছে সরিয়েছে",
    ),
    ("send model", 0, "me sent Linear (2 parameters) to bob", "me bob-কে Linear (২টি প্যারামিটার) পাঠিয়েছে"),
    (
        "del x",
        0,
        "garbage collection: alice deleted tensor #{moved}",
        "গার্বেজ কালেকশন: alice টেন্সর #{moved} মুছে ফেলেছে",
    ),
]


def tutorial_ids(seed: SeedTutorial) -> dict[str, int]:
    def pointer(cell: str, name: str):
        return seed.last(cell).pointers[name]

    # The sum bob computed is the one object the + step stored on bob.
    (total,) = [
        e.obj.id for e in seed.last("add").step.events if isinstance(e, ObjectStored) and e.worker == "bob"
    ]
    return {
        "x": pointer("send x", "x_ptr").id_at_location,
        "x_ptr": pointer("send pointer", "pointer_to_x_ptr").id_at_location,
        "chain": pointer("chain", "p2p2x").id_at_location,
        "y": pointer("add", "y").id_at_location,
        "sum": total,
        "moved": pointer("move", "x").id_at_location,
    }


@pytest.mark.parametrize(("cell", "which", "en", "bn"), TUTORIAL, ids=[f"{c}-{i}" for c, i, _, _ in TUTORIAL])
def test_tutorial_step_is_narrated_in_both_languages(seed_tutorial, cell, which, en, bn):
    ids = tutorial_ids(seed_tutorial)
    step = seed_tutorial.in_cell(cell)[which].step
    assert narrate(step) == en.format(**ids)
    assert narrate(step, "bn") == bn.format(**ids)


EMPTY = WorldSnapshot((WorkerView("me", "local", True, ()), WorkerView("bob", "virtual", True, ())))
WEIGHT = ObjectView(31, "parameter", "[1.0]", (1,), "float32", True)


def step(op, events=(), detail=None, snapshot=EMPTY):
    return Step(0, op, detail or {}, tuple(events), snapshot)


OTHER = [
    pytest.param(
        step("worker", detail={"id": "carol"}),
        "worker carol joined",
        "কর্মী carol যোগ দিয়েছে",
        id="new-worker",
    ),
    pytest.param(
        step(
            "clear", [ObjectRemoved("bob", 1, "tensor", "clear"), ObjectRemoved("bob", 2, "tensor", "clear")]
        ),
        "bob removed all its objects",
        "bob তার সব অবজেক্ট মুছে ফেলেছে",
        id="clear",
    ),
    pytest.param(
        step(
            "get_module",
            [
                MessageSent("me", "bob", "request object", "get", (31,), "parameter", 4),
                ObjectRemoved("bob", 31, "parameter", "get"),
            ],
            {"class_name": "Linear"},
        ),
        "me fetched Linear (1 parameter) from bob",
        "me bob-এর কাছ থেকে Linear (১টি প্যারামিটার) ফিরিয়ে এনেছে",
        id="get-module-singular",
    ),
    pytest.param(
        step(
            "move_module",
            [
                MessageSent("me", "bob", "command", "move", (31,), None, 0),
                MessageSent("bob", "secure", "send object", "send", (31,), "parameter", 4),
            ],
            snapshot=WorldSnapshot(EMPTY.workers, (ModuleView(9, "Net", "secure", (("w", 31),)),)),
            detail={"module_id": 9},
        ),
        "me moved Net (1 parameter) from bob to secure",
        "me bob-এর কাছ থেকে Net (১টি প্যারামিটার) secure-এর কাছে সরিয়েছে",
        id="move-module",
    ),
    pytest.param(
        step(
            "gc",
            [
                MessageSent("me", "alice", "delete object", "delete", (7,), "pointer", 0),
                ObjectRemoved("alice", 7, "pointer", "delete"),
                MessageSent("alice", "bob", "delete object", "delete", (12,), "tensor", 0),
                ObjectRemoved("bob", 12, "tensor", "delete"),
            ],
        ),
        "garbage collection: alice deleted pointer #7, bob deleted tensor #12",
        "গার্বেজ কালেকশন: alice পয়েন্টার #7 মুছে ফেলেছে, bob টেন্সর #12 মুছে ফেলেছে",
        id="gc-cascade",
    ),
    pytest.param(
        step(
            "remote_get",
            [
                MessageSent("me", "alice", "command", "remote_get", (7,), None, 0),
                MessageSent("alice", "bob", "request object", "get", (12,), "tensor", 8),
                ObjectStored("alice", ObjectView(12, "tensor", "[1, 2]", (2,), "int64", False)),
            ],
        ),
        "me asked alice to run remote get, alice fetched tensor #12 from bob; alice stored tensor #12",
        "me alice-কে কর্মীর কাছেই ফিরিয়ে আনা (remote get) চালাতে বলেছে, alice bob-এর কাছ থেকে টেন্সর #12 ফিরিয়ে এনেছে; "
        "alice টেন্সর #12 সংরক্ষণ করেছে",
        id="unlisted-op-told-from-its-events",
    ),
    pytest.param(
        step("command", [ObjectStored("bob", WEIGHT)]),
        "bob stored parameter #31",
        "bob প্যারামিটার #31 সংরক্ষণ করেছে",
        id="command-without-messages",
    ),
    pytest.param(step("send"), "send: nothing changed", "পাঠানো (send): কিছুই বদলায়নি", id="no-events"),
]


@pytest.mark.parametrize(("the_step", "en", "bn"), OTHER)
def test_other_steps_are_narrated_from_their_events(the_step, en, bn):
    assert narrate(the_step) == en
    assert narrate(the_step, "bn") == bn


def test_narrate_refuses_unknown_language():
    with pytest.raises(ValueError, match=r"unsupported language .de."):
        narrate(step("send"), "de")


def test_a_layers_sizes_are_counts_in_the_views_digits(env, steps):
    # A real model call through the core: the step keeps "Linear(2 → 1)" as plain data (it is also a
    # batch's key); Bengali narration writes the sizes in Bengali digits, the tensor id stays ASCII.
    import torch

    model = torch.nn.Linear(2, 1).send(env.bob)
    data = torch.tensor([[1.0, 2.0]]).send(env.bob)
    model(data)
    (call,) = [s for s in steps if s.op == "module_call"]
    assert call.detail["module"] == "Linear(2 → 1)"
    english, bengali = narrate(call), narrate(call, "bn")
    assert english.startswith(f"bob ran Linear(2 → 1) on tensor #{data.id_at_location}"), english
    assert "Linear(২ → ১)" in bengali and f"#{data.id_at_location}" in bengali, bengali
    assert "2 → 1" not in bengali, bengali


# --- the stop button (■): an interrupted step is told as interrupted, not as a worker's failure ------
def press_stop_during(monkeypatch, module, name: str) -> None:
    """Make ``module.name`` press ■ (a real SIGINT, as the kernel sends it) each time it runs."""
    import signal

    original = getattr(module, name)

    def pressed(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)  # held by the operation, raised when it ends
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, pressed)


def test_an_interrupted_get_says_the_data_is_still_on_the_worker(env, steps, monkeypatch):
    import torch

    from syft_widgets import pointers

    x_ptr = torch.tensor([1, 2]).send(env.bob)
    steps.clear()
    press_stop_during(monkeypatch, pointers, "_materialize")
    with pytest.raises(KeyboardInterrupt):
        x_ptr.get()
    # The get happened, then was put back (interrupts.py): the failed step is the putting back.
    interrupted = [s for s in steps if s.error is not None]
    assert [(s.op, s.error.kind) for s in interrupted] == [("get", "interrupted")]
    x = f"#{x_ptr.id_at_location}"
    assert narrate(interrupted[0]) == (
        f"interrupted (■): me did not finish fetching tensor {x} from bob; it is still on bob"
    )
    assert narrate(interrupted[0], "bn") == (
        f"থামানো হয়েছে (■): me bob-এর কাছ থেকে টেন্সর {x} ফিরিয়ে আনা শেষ করেনি; সেটি এখনও bob-এর কাছে আছে"
    )
    monkeypatch.undo()
    assert x_ptr.get().tolist() == [1, 2]  # and so it is


def test_an_interrupted_pointer_send_says_nothing_was_left_half_done(env, steps, monkeypatch):
    import torch

    from syft_widgets import pointers

    x_ptr = torch.tensor([1, 2]).send(env.bob)
    steps.clear()
    press_stop_during(monkeypatch, pointers, "make_pointer")
    with pytest.raises(KeyboardInterrupt):
        x_ptr.send(env.alice)
    interrupted = [s for s in steps if s.error is not None]
    assert [(s.op, s.error.kind) for s in interrupted] == [("send", "interrupted")]
    english, bengali = narrate(interrupted[0]), narrate(interrupted[0], "bn")
    assert english == "interrupted (■): send did not finish; nothing on alice was left half done"
    assert bengali == "থামানো হয়েছে (■): পাঠানো (send) শেষ হয়নি; alice-এ কিছুই আধাআধি হয়ে থাকেনি"
    assert "could not" not in english and "পারেনি" not in bengali
