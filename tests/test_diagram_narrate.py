"""Narration: one sentence per step, in English and Bengali."""

from __future__ import annotations

import pytest

from syft_widgets.diagram import narrate
from syft_widgets.events import MessageSent, ObjectRemoved, ObjectStored, Step
from syft_widgets.snapshot import ModuleView, ObjectView, WorkerView, WorldSnapshot
from tests.samples import tensor, tutorial_steps

STEPS = tutorial_steps()

TUTORIAL = [
    (0, "me sent tensor #101 to bob", "me bob-কে টেন্সর #101 পাঠিয়েছে"),
    (1, "me sent pointer #201 to alice", "me alice-কে পয়েন্টার #201 পাঠিয়েছে"),
    (2, "me fetched pointer #201 from alice", "me alice-এর কাছ থেকে পয়েন্টার #201 ফিরিয়ে এনেছে"),
    (3, "me fetched tensor #101 from bob", "me bob-এর কাছ থেকে টেন্সর #101 ফিরিয়ে এনেছে"),
    (
        6,
        "me asked alice to run + (add), alice asked bob to run + (add); bob stored tensor #105, "
        "alice stored pointer #104",
        "me alice-কে + (যোগ) চালাতে বলেছে, alice bob-কে + (যোগ) চালাতে বলেছে; bob টেন্সর #105 সংরক্ষণ "
        "করেছে, alice পয়েন্টার #104 সংরক্ষণ করেছে",
    ),
    (7, "me fetched pointer #104 from alice", "me alice-এর কাছ থেকে পয়েন্টার #104 ফিরিয়ে এনেছে"),
    (8, "me fetched tensor #105 from bob", "me bob-এর কাছ থেকে টেন্সর #105 ফিরিয়ে এনেছে"),
    (10, "me moved tensor #107 from bob to alice", "me bob-এর কাছ থেকে টেন্সর #107 alice-এর কাছে সরিয়েছে"),
    (11, "me sent Linear (2 parameters) to bob", "me bob-কে Linear (২টি প্যারামিটার) পাঠিয়েছে"),
    (12, "garbage collection: alice deleted tensor #107", "গার্বেজ কালেকশন: alice টেন্সর #107 মুছে ফেলেছে"),
]


@pytest.mark.parametrize(("index", "en", "bn"), TUTORIAL, ids=[f"{i}-{STEPS[i].op}" for i, _, _ in TUTORIAL])
def test_tutorial_step_is_narrated_in_both_languages(index, en, bn):
    assert narrate(STEPS[index]) == en
    assert narrate(STEPS[index], "bn") == bn


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
                ObjectStored("alice", tensor(12, [1, 2])),
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
        narrate(STEPS[0], "de")
