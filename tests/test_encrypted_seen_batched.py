"""The seen ledger inside a fast loop (issue 13): a worker that receives plain tensors saw them.

Past a burst of quick steps the core groups steps into "batch" steps that carry no events, and a
plain send then calls the worker directly with no message. The ledger must still record that the
worker saw values in the clear: the privacy overlay must never say "saw nothing" because a loop
was fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from syft_widgets import world as world_module
from syft_widgets.encrypted.seen import KEEP, SeenLedger, WorkerSeen
from syft_widgets.events import Step
from syft_widgets.messages import payload_grads
from syft_widgets.world import WORLD
from tests.conftest import Env

LOOP = 200


def _record(steps: list[Step], monkeypatch: pytest.MonkeyPatch, fast: bool, loop: Callable[[], Any]) -> dict:
    """The ledger after ``loop``, its steps grouped into batches from the third on (``fast``) or never."""
    WORLD.flush_steps()
    steps.clear()
    monkeypatch.setattr(world_module, "BURST_STEPS", 2 if fast else 10**9)
    monkeypatch.setattr(world_module, "BURST_WINDOW", 60.0)
    monkeypatch.setattr(world_module, "BATCH_SECONDS", 60.0)
    monkeypatch.setattr(WORLD, "_window_start", float("-inf"))
    loop()
    WORLD.flush_steps()
    assert any(s.op == "batch" for s in steps) == fast
    ledger = SeenLedger()
    for step in steps:
        ledger.add_step(step)
    return ledger.as_dict()


def _sources(seen: WorkerSeen) -> list[tuple[str, str]]:
    return [(e.how, e.source) for e in seen.clear]


def test_a_worker_that_receives_plain_tensors_in_a_fast_loop_saw_them(
    env: Env, steps: list[Step], monkeypatch: pytest.MonkeyPatch
) -> None:
    def loop() -> None:
        for i in range(LOOP):
            torch.tensor([i, i + 1]).send(env.bob)  # the pointer is dropped: bob forgets the copy

    fast = _record(steps, monkeypatch, True, loop)
    slow = _record(steps, monkeypatch, False, loop)
    for record in (fast, slow):
        bob = record["bob"]
        assert not bob.saw_nothing
        assert bob.clear_count == LOOP
        assert _sources(bob) == [("received", "me")] * len(bob.clear)
        assert record["alice"].saw_nothing and record["alice"].shares == 0
    assert slow["bob"].clear[-1].preview == f"[{LOOP - 1}, {LOOP}]"  # the values, when steps are recorded


def test_a_worker_that_receives_a_model_in_a_fast_loop_saw_its_parameters(
    env: Env, steps: list[Step], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = nn.Linear(2, 1)

    def loop() -> None:
        for _ in range(20):
            model.send(env.bob)
            model.move(env.alice)  # alice gets every parameter in the clear from bob
            model.get()

    fast = _record(steps, monkeypatch, True, loop)
    slow = _record(steps, monkeypatch, False, loop)
    for worker, source in (("bob", "me"), ("alice", "bob")):
        assert fast[worker].clear_count == slow[worker].clear_count == 2 * 20  # weight and bias each time
        assert (
            _sources(fast[worker])
            == _sources(slow[worker])
            == [("received", source)] * len(fast[worker].clear)
        )


def test_a_worker_that_a_tensor_is_moved_to_in_a_fast_loop_saw_it_and_a_moved_pointer_shows_nothing(
    env: Env, steps: list[Step], monkeypatch: pytest.MonkeyPatch
) -> None:
    def loop() -> None:
        for i in range(LOOP // 4):
            torch.tensor([i]).send(env.bob).move(env.alice)  # alice gets the value from bob
            chain = torch.tensor([i]).send(env.bob).send(env.secure_worker)
            chain.move(env.alice)  # secure_worker's pointer moves to alice: no value travels

    fast = _record(steps, monkeypatch, True, loop)
    slow = _record(steps, monkeypatch, False, loop)
    for record in (fast, slow):
        assert record["alice"].clear_count == LOOP // 4
        assert _sources(record["alice"]) == [("received", "bob")] * len(record["alice"].clear)
        assert record["secure_worker"].saw_nothing  # it only ever held a pointer


def test_me_saw_what_it_fetched_in_a_fast_loop_and_a_fetched_pointer_shows_nothing(
    env: Env, steps: list[Step], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = nn.Linear(2, 1)  # no gradients: a fetched model's values are its two parameters

    def loop() -> None:
        for i in range(LOOP // 4):
            torch.tensor([i]).send(env.bob).get()  # a value from bob
            torch.tensor([i]).send(env.bob).send(env.alice).get()  # alice's pointer: no value
            model.send(env.bob)
            model.get()  # weight and bias from bob

    fast = _record(steps, monkeypatch, True, loop)
    slow = _record(steps, monkeypatch, False, loop)
    for record in (fast, slow):
        assert record["me"].clear_count == 3 * (LOOP // 4)  # one tensor and two parameters a round
        assert _sources(record["me"]) == [("received", "bob")] * KEEP  # the latest KEEP are kept


def _attrs(seen: WorkerSeen) -> list[str]:
    return [e.attr for e in seen.clear]


def test_the_gradients_that_come_with_values_in_a_fast_loop_are_seen_too(
    env: Env, steps: list[Step], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Part 10's leak: a parameter's .grad travels with it, and whoever receives it sees it. Step by
    # step each gradient is an entry of its own; a fast loop's batch must count it too.
    model = nn.Linear(2, 1)
    model(torch.ones(1, 2)).sum().backward()  # weight and bias now have gradients
    weight = nn.Parameter(torch.ones(2))
    weight.grad = torch.ones(2)

    def loop() -> None:
        for _ in range(10):
            model.send(env.bob)  # bob: 2 parameters, 2 gradients
            model.move(env.alice)  # alice: the same from bob
            model.get()  # me: the same from alice
            pointer = weight.send(env.bob)  # bob: 1 and 1
            pointer.move(env.alice)  # alice: 1 and 1 from bob
            pointer.get()  # me: 1 and 1 from alice
            torch.ones(2).send(env.bob).get()  # a tensor with no gradient: bob 1, me 1

    fast = _record(steps, monkeypatch, True, loop)
    slow = _record(steps, monkeypatch, False, loop)
    # A round: bob gets 2 parameters + 2 gradients, 1 + 1, and a plain tensor; alice 2 + 2 and 1 + 1;
    # me the same from alice, and the plain tensor back from bob.
    for worker, per_round in (("bob", 7), ("alice", 6), ("me", 7)):
        assert fast[worker].clear_count == slow[worker].clear_count == 10 * per_round, worker
        # The latest entries: the same gradients, in the same places, with or without a batch.
        assert _attrs(fast[worker]) == _attrs(slow[worker]), worker
        assert "grad" in _attrs(fast[worker]), worker


def test_a_pointer_carries_no_gradient_and_its_worker_is_not_asked(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    weight = nn.Parameter(torch.ones(2))
    weight.grad = torch.ones(2)
    assert payload_grads(weight) == 1 and payload_grads(torch.ones(2)) == 0
    pointer = weight.send(env.bob)
    asked: list[object] = []
    query = env.bob.query_attribute
    monkeypatch.setattr(env.bob, "query_attribute", lambda *args: asked.append(args) or query(*args))
    assert payload_grads(pointer) == 0
    assert asked == []
    assert pointer.grad is not None and asked  # reading the pointer's .grad asks bob


def test_shares_sent_in_a_fast_loop_are_still_no_plain_values(
    env: Env, steps: list[Step], monkeypatch: pytest.MonkeyPatch
) -> None:
    def loop() -> None:
        for i in range(50):
            torch.tensor([i]).share(env.bob, env.alice, crypto_provider=env.secure_worker).get()

    fast = _record(steps, monkeypatch, True, loop)
    for worker in ("bob", "alice", "secure_worker"):
        assert fast[worker].saw_nothing
    assert fast["bob"].shares == fast["alice"].shares == 50
