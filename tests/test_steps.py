"""Steps are what the learner did: one step per user-level action, failures said, counts in the view's digits."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn, optim
from torch.nn.modules import module as torch_module

import syft_widgets.world as world_module
from syft_widgets import torch_steps
from syft_widgets.diagram.changes import step_changes
from syft_widgets.diagram.narrate import narrate
from syft_widgets.errors import TensorsNotCollocatedException
from syft_widgets.events import MessageSent
from syft_widgets.world import WORLD
from tests.helpers import DATA_OLD, TRAIN_OLD, run_cell, store_state
from tests.helpers import SETUP as TUTORIAL_SETUP

SETUP = """
import torch
from torch import nn, optim
import syft_widgets as sy
hook = sy.TorchHook(torch)
bob = sy.VirtualWorker(hook, id="bob")
torch.manual_seed(0)
data = torch.tensor([[0, 0], [0, 1.]]).send(bob)
target = torch.tensor([[0], [1.]]).send(bob)
model = nn.Linear(2, 1)
opt = optim.SGD(params=model.parameters(), lr=0.1)
"""

# Tutorial Part 2's loop body, once, on bob.
ITERATION = """
model.send(data.location)
opt.zero_grad()
pred = model(data)
loss = ((pred - target)**2).sum()
loss.backward()
opt.step()
model.get()
loss = loss.get()
"""

# What torch does underneath must never be a word of its own, in either language.
UNDERNEATH = re.compile(r"is_sparse|is_leaf|__\w+__|set grad|read grad|send_module|get_module|move_module")
BENGALI_DIGIT = re.compile(r"[০-৯]")


@pytest.fixture(autouse=True)
def one_step_per_operation(monkeypatch) -> None:
    """Tests here read single steps: a fast machine must not group them into a batch. Batch tests opt in."""
    monkeypatch.setattr(world_module, "BURST_STEPS", 10**9)


def fast_loops_are_batched(monkeypatch) -> None:
    # One batch per loop, however slow the machine: the window and the batch never close by time.
    monkeypatch.setattr(world_module, "BURST_STEPS", 30)
    monkeypatch.setattr(world_module, "BURST_WINDOW", 60.0)
    monkeypatch.setattr(world_module, "BATCH_SECONDS", 60.0)
    # Steps of earlier tests must not count towards this window: the next step opens a new one.
    monkeypatch.setattr(WORLD, "_window_start", float("-inf"))


def part2_iteration(steps: list) -> dict:
    ns: dict = {}
    run_cell(ns, SETUP)
    steps.clear()
    run_cell(ns, ITERATION)
    return ns


def test_a_part2_iteration_records_exactly_the_learners_steps(steps) -> None:
    ns = part2_iteration(steps)
    # The two intermediates of the loss line are dropped by Python as it goes: two garbage collections.
    assert [s.op for s in steps] == [
        "send_module",
        "zero_grad",
        "module_call",
        "command",  # pred - target
        "command",  # (...)**2
        "gc",
        "command",  # .sum()
        "gc",
        "command",  # loss.backward()
        "optimizer_step",
        "get_module",
        "get",
    ]
    assert not any(s.failed for s in steps)
    by_op = {s.op: s for s in steps}
    forward = by_op["module_call"]
    assert forward.detail["module"] == "Linear(2 → 1)"
    assert forward.detail["inputs"] == (ns["data"].id_at_location,)
    assert narrate(forward).startswith(f"bob ran Linear(2 → 1) on tensor #{ns['data'].id_at_location}; ")
    assert narrate(by_op["optimizer_step"]) == "bob ran an optimizer step (SGD) on 2 parameters"
    assert narrate(by_op["optimizer_step"], "bn") == "bob ২টি প্যারামিটারে একটি অপটিমাইজার ধাপ (SGD) চালিয়েছে"
    assert narrate(by_op["zero_grad"]) == "zero_grad: the gradients of 2 parameters on bob were cleared"
    words = [narrate(s, "en") for s in steps[3:5]]
    assert words[0].startswith("me asked bob to run - (subtract);")
    assert words[1].startswith("me asked bob to run ** (power);")


def test_the_tutorials_training_loop_is_the_same_steps_on_each_worker(steps) -> None:
    ns: dict = {}
    run_cell(ns, TUTORIAL_SETUP + DATA_OLD)
    steps.clear()
    run_cell(ns, TRAIN_OLD.replace("range(10)", "range(1)"))
    per_worker = [
        "send_module",
        "zero_grad",
        "module_call",
        "command",
        "command",
        "command",
        "command",
        "optimizer_step",
        "get_module",
        "get",
    ]
    assert [s.op for s in steps if s.op != "gc"] == per_worker * 2
    assert [s.detail["holder"] for s in steps if s.op == "module_call"] == ["bob", "alice"]
    for step in steps:
        for lang in ("en", "bn"):
            assert not UNDERNEATH.search(narrate(step, lang)), narrate(step, lang)


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_no_step_of_an_iteration_names_what_torch_did_underneath(steps, lang) -> None:
    part2_iteration(steps)
    for step in steps:
        text = narrate(step, lang)
        assert not UNDERNEATH.search(text), text


def test_a_folded_step_keeps_every_message_it_sent(steps) -> None:
    sent: list[MessageSent] = []
    unsubscribe = WORLD.bus.subscribe(lambda e: sent.append(e) if isinstance(e, MessageSent) else None)
    try:
        part2_iteration(steps)
    finally:
        unsubscribe()
    in_steps = [e for s in steps for e in s.events if isinstance(e, MessageSent)]
    assert in_steps == sent[-len(in_steps) :] and len(in_steps) == len(sent) - sent.index(in_steps[0])
    optimizer_step = next(s for s in steps if s.op == "optimizer_step")
    ops = [e.op for e in optimizer_step.events if isinstance(e, MessageSent)]
    # SGD asks is_sparse of each gradient and adds in place: one step, every message still there.
    assert ops.count("is_sparse") == 2 and ops.count("add_") == 2


def test_a_model_of_several_layers_is_one_step(env, steps) -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).send(env.bob)
    x = torch.ones(4, 2).send(env.bob)
    steps.clear()
    y = model(x)
    (step,) = steps
    assert step.op == "module_call" and step.detail["module"] == "Sequential"
    commands = [e.op for e in step.events if isinstance(e, MessageSent) and e.message == "command"]
    assert commands == ["linear", "relu", "linear"]
    assert y.location is env.bob
    assert narrate(step, "bn").startswith(f"bob টেন্সর #{x.id_at_location}-এর উপর Sequential চালিয়েছে")


def test_plain_torch_records_nothing_even_while_someone_listens(env, steps) -> None:
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    assert steps == []


# Pointers run these operators without torch's dispatch to __torch_function__ (pointers.py): the
# step, its message and its narration must be what torch's own operator makes.
ARITHMETIC = [
    ("x + y", lambda x, y: x + y, torch.Tensor.__add__, [5.0, 7.0]),
    ("x + 1", lambda x, y: x + 1, lambda x, y: torch.Tensor.__add__(x, 1), [2.0, 3.0]),
    ("1 + x", lambda x, y: 1 + x, lambda x, y: torch.Tensor.__radd__(x, 1), [2.0, 3.0]),
    ("x - y", lambda x, y: x - y, torch.Tensor.__sub__, [-3.0, -3.0]),
    ("x * y", lambda x, y: x * y, torch.Tensor.__mul__, [4.0, 10.0]),
    ("2 * x", lambda x, y: 2 * x, lambda x, y: torch.Tensor.__rmul__(x, 2), [2.0, 4.0]),
    ("x / 2", lambda x, y: x / 2, lambda x, y: torch.Tensor.__truediv__(x, 2), [0.5, 1.0]),
]


@pytest.mark.parametrize(
    ("code", "direct", "through_torch", "value"), ARITHMETIC, ids=[a[0] for a in ARITHMETIC]
)
def test_an_operator_on_pointers_is_the_step_torchs_own_operator_makes(
    env, steps, code, direct, through_torch, value
) -> None:
    x, y = torch.tensor([1.0, 2.0]).send(env.bob), torch.tensor([4.0, 5.0]).send(env.bob)
    told = []
    for operator in (direct, through_torch):
        steps.clear()
        result = operator(x, y)
        assert result.location is env.bob and result.get().tolist() == value, code
        step = steps[0]  # then the get
        messages = [e.op for e in step.events if isinstance(e, MessageSent)]
        narration = [re.sub(r"#\d+", "#id", narrate(step, lang)) for lang in ("en", "bn")]  # new ids
        told.append((step.op, dict(step.detail), messages, narration))
    assert told[0] == told[1], code


def test_an_operator_with_an_operand_no_pointer_can_take_fails_as_torchs_does(env) -> None:
    x = torch.tensor([1.0, 2.0]).send(env.bob)
    with pytest.raises(TypeError, match="unsupported operand"):
        x + "one"
    with pytest.raises(TensorsNotCollocatedException):
        x * torch.tensor([1.0, 2.0])
    assert len(env.bob._objects) == 1


def test_a_property_torch_reads_on_its_own_is_no_step(env, steps) -> None:
    x = torch.tensor([1.0]).send(env.bob)
    steps.clear()
    assert x.is_sparse is False and x.is_leaf is True
    assert steps == []


def test_torch_hooks_are_installed_only_while_steps_are_recorded(env) -> None:
    def ours() -> list:
        hooks = [
            *torch_module._global_forward_pre_hooks.values(),
            *torch_module._global_forward_hooks.values(),
        ]
        return [h for h in hooks if h.__module__ == "syft_widgets.torch_steps"]

    assert ours() == [] and optim.Optimizer.zero_grad is torch_steps._torch_zero_grad
    unsubscribe = WORLD.bus.subscribe_steps(lambda step: None)
    assert len(ours()) == 2 and optim.Optimizer.zero_grad is torch_steps._zero_grad
    unsubscribe()
    assert ours() == [] and optim.Optimizer.zero_grad is torch_steps._torch_zero_grad


# --- failures ---------------------------------------------------------------------------------------
FAILURES = [
    pytest.param(
        lambda a: a @ a,
        "shape",
        "bob could not run @ (matrix multiply): the shapes do not fit (RuntimeError: ",
        "bob @ (ম্যাট্রিক্স গুণ) চালাতে পারেনি: আকৃতি (shape) মেলেনি (RuntimeError: ",
        id="matmul-shape-mismatch",
    ),
    pytest.param(
        lambda a: a[5],
        "index",
        "bob could not run [] (index): the index is out of range (IndexError: ",
        "bob [] (ইনডেক্স) চালাতে পারেনি: ইনডেক্স সীমার বাইরে (IndexError: ",
        id="bad-index",
    ),
]


@pytest.mark.parametrize(("action", "kind", "en", "bn"), FAILURES)
def test_a_failed_operation_is_a_failed_step_that_changed_no_store(env, steps, action, kind, en, bn) -> None:
    local = torch.ones(2, 3)
    with pytest.raises(Exception) as expected:
        action(local)
    a = local.send(env.bob)
    before = store_state(env.me, env.bob)
    steps.clear()
    with pytest.raises(type(expected.value)) as raised:
        action(a)
    # The learner gets torch's own exception, unchanged, in English.
    assert str(raised.value) == str(expected.value)
    (step,) = steps
    assert step.failed and step.error is not None
    assert (step.error.type_name, step.error.message, step.error.kind) == (
        type(expected.value).__name__,
        str(expected.value),
        kind,
    )
    assert narrate(step) == en + str(expected.value) + ")"
    assert narrate(step, "bn") == bn + str(expected.value) + ")"
    assert store_state(env.me, env.bob) == before
    changes = step_changes(step)
    assert not (changes.added or changes.changed or changes.moved or changes.removed)
    assert [o.id for o in step.snapshot.worker("bob").objects] == [a.id_at_location]


def test_a_failed_model_call_is_one_failed_step_and_the_next_step_is_recorded(env, steps) -> None:
    model = nn.Linear(3, 4).send(env.bob)
    x = torch.ones(2, 2).send(env.bob)
    steps.clear()
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        model(x)
    (failed,) = steps
    assert failed.op == "module_call" and failed.error is not None and failed.error.kind == "shape"
    assert narrate(failed).startswith(
        "bob could not run Linear(3 → 4): the shapes do not fit (RuntimeError: "
    )
    y = x + x
    assert [s.op for s in steps] == ["module_call", "command"] and not steps[-1].failed
    assert y.location is env.bob


def test_an_interrupted_model_call_is_closed_as_unfinished(env, steps) -> None:
    class Stops(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x + 1  # a remote command, folded into this call's step
            raise KeyboardInterrupt  # torch runs no closing hook for this

    x = torch.ones(2).send(env.bob)
    steps.clear()
    with pytest.raises(KeyboardInterrupt):
        Stops()(x)
    assert steps == []  # the step is still open: nothing closed it yet
    y = x * 2
    assert [s.op for s in steps] == ["module_call", "command"]
    assert steps[0].error is not None and steps[0].error.kind == "unfinished"
    assert narrate(steps[0]) == "bob could not run Stops: it stopped before it finished"
    assert narrate(steps[0], "bn") == "bob Stops চালাতে পারেনি: শেষ হওয়ার আগেই থেমে গেছে"
    assert y.location is env.bob


def test_an_optimizer_step_that_raises_fails_with_the_cause_from_inside_it(env, steps) -> None:
    class Broken(optim.SGD):
        def step(self, closure=None):  # type: ignore[override]
            p = self.param_groups[0]["params"][0]
            with torch.no_grad():
                p.add_(torch.ones(5).send(p.location))  # a shape mismatch on bob

    model = nn.Linear(2, 1).send(env.bob)
    opt = Broken(model.parameters(), lr=0.1)
    steps.clear()
    with pytest.raises(RuntimeError):
        opt.step()
    steps.clear()  # (the step is closed, as failed, when the next one begins)
    model.get()
    failed = [s for s in steps if s.failed]
    assert [s.op for s in failed] == ["optimizer_step"]
    assert failed[0].error is not None and failed[0].error.kind == "shape"
    assert narrate(failed[0]).startswith(
        "bob could not run an optimizer step (Broken): the shapes do not fit"
    )
    assert steps[-1].op == "get_module" and not steps[-1].failed


# --- batches ----------------------------------------------------------------------------------------
def test_a_fast_loops_batch_line_names_every_operation_in_both_languages(steps, monkeypatch) -> None:
    fast_loops_are_batched(monkeypatch)
    ns: dict = {}
    run_cell(ns, SETUP)
    steps.clear()
    run_cell(ns, "for _ in range(12):\n" + "".join("    " + line + "\n" for line in ITERATION.split("\n")))
    WORLD.flush_steps()
    (batch,) = [s for s in steps if s.op == "batch"]
    ops = batch.detail["ops"]
    assert isinstance(ops, dict) and "command:backward" in ops and "module_call:Linear(2 → 1)" in ops
    en, bn = narrate(batch, "en"), narrate(batch, "bn")
    for text in (en, bn):
        assert not UNDERNEATH.search(text), text
    assert "Linear(2 → 1) ×" in en and "** (power) ×" in en and "an optimizer step (SGD) ×" in en
    assert "** (ঘাত) ×" in bn and "একটি অপটিমাইজার ধাপ (SGD) ×" in bn and "গার্বেজ কালেকশন" in bn
    # Counts in Bengali digits, and no ASCII digit outside the model's own label "Linear(2 → 1)".
    assert BENGALI_DIGIT.search(bn) and not re.search(r"[0-9]", bn.replace("Linear(2 → 1)", ""))
    count = int(batch.detail["count"])  # type: ignore[call-overload]
    assert count == sum(ops.values()) and f"ran {count:,} operations" in en


def test_each_cells_loop_records_its_own_first_steps_one_by_one(env, steps, monkeypatch) -> None:
    # Run-all: cells follow each other within the burst window. A cell's end (the live view's
    # flush) starts the count again, so the second cell's loop is not batched from its first step.
    fast_loops_are_batched(monkeypatch)
    x = torch.ones(2).send(env.bob)
    for _ in range(12):  # 24 steps: one step per operation so far
        y = x + x
    WORLD.flush_steps()  # the first cell ends
    steps.clear()
    for _ in range(12):
        y = x + x
    WORLD.flush_steps()
    assert [s.op for s in steps] == ["command", "gc"] * 12, [s.op for s in steps]
    del y


def test_narration_counts_are_in_bengali_digits_and_ids_stay_ascii(env, steps) -> None:
    model = nn.Linear(2, 12)
    steps.clear()
    model.send(env.bob)
    (sent,) = steps
    assert narrate(sent, "bn") == "me bob-কে Linear (২টি প্যারামিটার) পাঠিয়েছে"
    x = torch.ones(1, 2).send(env.bob)
    steps.clear()
    model(x)
    assert f"#{x.id_at_location}" in narrate(steps[0], "bn")


def test_the_picture_of_a_failed_step_draws_its_message_red(env, steps) -> None:
    from syft_widgets.diagram.dot import FAILED_MESSAGE, to_dot

    a = torch.ones(2, 3).send(env.bob)
    steps.clear()
    with pytest.raises(RuntimeError):
        a @ a
    (failed,) = steps
    dot = to_dot(failed.snapshot, step=failed, legend=False)
    message_lines = [line for line in dot.splitlines() if 'class="message' in line]
    assert message_lines and all('class="message failed"' in line for line in message_lines)
    assert all(f'color="{FAILED_MESSAGE["color"]}"' in line and "✗ " in line for line in message_lines)
    assert "added" not in dot and "removed" not in dot  # no store changed, so nothing is highlighted
    ok = to_dot(steps[-1].snapshot, step=None, legend=False)
    assert "failed" not in ok


def test_a_failure_inside_a_fast_loop_is_told_on_its_own(env, steps, monkeypatch) -> None:
    fast_loops_are_batched(monkeypatch)
    a = torch.ones(2, 3).send(env.bob)
    steps.clear()
    for _ in range(40):
        b = a + a
    with pytest.raises(RuntimeError):
        a @ a
    c = a * 2
    assert [s.op for s in steps[-3:]] == ["batch", "command", "command"]
    batch, failed, after = steps[-3:]
    assert set(batch.detail["ops"]) == {"command:add", "gc"}  # type: ignore[call-overload]
    assert failed.error is not None and failed.error.kind == "shape" and failed.detail["func"] == "matmul"
    assert not after.failed and after.events, "one step per operation again, with its events"
    assert b.location is env.bob and c.location is env.bob


def test_a_failure_at_the_end_of_a_chain_names_the_worker_where_it_failed(env, steps) -> None:
    p2p = torch.ones(2, 3).send(env.bob).send(env.alice)
    before = store_state(env.me, env.bob, env.alice)
    steps.clear()
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        p2p @ p2p
    (step,) = steps
    hops = [(e.sender, e.receiver) for e in step.events if isinstance(e, MessageSent)]
    assert hops == [("me", "alice"), ("alice", "bob")]
    assert narrate(step).startswith("bob could not run @ (matrix multiply): the shapes do not fit")
    assert store_state(env.me, env.bob, env.alice) == before


def test_an_object_the_worker_no_longer_holds_is_said_missing(env, steps) -> None:
    x = torch.ones(2).send(env.bob)
    env.bob.clear_objects()
    steps.clear()
    with pytest.raises(LookupError):
        x + x
    (step,) = steps
    assert step.error is not None and (step.error.type_name, step.error.kind) == (
        "ObjectNotFoundError",
        "missing",
    )
    assert narrate(step).startswith(
        "bob could not run + (add): the object is not there (ObjectNotFoundError: "
    )
    assert narrate(step, "bn").startswith("bob + (যোগ) চালাতে পারেনি: অবজেক্টটি সেখানে নেই (ObjectNotFoundError: ")
