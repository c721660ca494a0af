"""A fast loop's batch counts the same whether its operations are direct calls or messages.

While a live view groups a fast loop into a batch, no events are recorded, so operations on virtual
workers call the worker's methods directly instead of building messages (``calls_directly``). The
batch must not notice: the same counts of the same operations, the same kept details, the same
failure told on its own, the same world in its snapshot. Each test runs one loop twice, on plain
virtual workers (direct calls) and on workers that only take messages (a ``receive`` of their own,
so ``calls_directly`` is False), and compares what the two batches say.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn, optim

import syft_widgets as sy
import syft_widgets.world as world_module
from syft_widgets.events import Step
from syft_widgets.world import WORLD
from tests.helpers import workers_set_aside

WORKER_IDS = ("bob", "alice", "james")


class MessagesOnly(sy.VirtualWorker):
    """A virtual worker that takes every operation as a message: the path a batch had before."""

    def receive(self, message: Any, sender: Any) -> Any:
        return super().receive(message, sender)


def _loop(bob: Any, alice: Any, james: Any) -> None:
    """Every operation with a direct call, inside one fast loop; then a failure, then one more step."""
    torch.manual_seed(0)
    data = torch.tensor([[0, 0], [0, 1.0]]).send(bob)
    target = torch.tensor([[0], [1.0]]).send(bob)
    model = nn.Linear(2, 1)
    opt = optim.SGD(params=model.parameters(), lr=0.1)
    for _ in range(12):
        x = torch.ones(3).send(bob)  # send
        y = (x + x) * 2  # two commands; the intermediate result is dropped (gc)
        y.requires_grad = False  # a command of its own: "set requires_grad"
        y.get()  # get
        chain = torch.ones(2).send(bob).send(alice)  # a pointer to a pointer
        chain + chain  # the result (a chain too) is dropped: one gc, however many hops it deletes
        model.send(bob)  # send_module
        opt.zero_grad()
        loss = ((model(data) - target) ** 2).sum()
        loss.backward()
        assert model.weight.grad is not None  # reading .grad is no step
        opt.step()
        model.get()  # get_module: each parameter's get
        secret = torch.tensor([3, -4]).share(bob, alice, crypto_provider=james)  # kept: share
        (secret + secret).get()  # kept: shared_op, reconstruct
    with pytest.raises(RuntimeError):
        target @ target  # a failure (2×1 @ 2×1): the batch closes, the failure is told on its own
    data.sum()


def _batches(make_worker: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> list[Step]:
    """The steps ``_loop`` records, on workers made by ``make_worker``, the loop grouped into batches."""
    # One batch per loop, however slow the machine: the window and the batch never close by time.
    monkeypatch.setattr(world_module, "BURST_STEPS", 5)
    monkeypatch.setattr(world_module, "BURST_WINDOW", 60.0)
    monkeypatch.setattr(world_module, "BATCH_SECONDS", 60.0)
    monkeypatch.setattr(WORLD, "_window_start", float("-inf"))
    hook = sy.TorchHook(torch)
    recorded: list[Step] = []
    with workers_set_aside(*WORKER_IDS):
        bob, alice, james = (make_worker(hook, id=worker_id) for worker_id in WORKER_IDS)
        unsubscribe = WORLD.bus.subscribe_steps(recorded.append)
        try:
            _loop(bob, alice, james)
            WORLD.flush_steps()
        finally:
            unsubscribe()
            WORLD.flush_steps()
            for worker in (bob, alice, james):
                worker.clear_objects()
    return recorded


def _without_ids(value: Any) -> Any:
    """``value`` with every number in it replaced by its type: object ids differ from run to run."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return type(value).__name__
    if isinstance(value, (tuple, list)):
        return tuple(_without_ids(v) for v in value)
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items()}
    return type(value).__name__  # a tensor's preview, a shape object: compared by kind only


def _stores(step: Step) -> list[tuple]:
    """Each worker's objects and pointers in ``step``'s snapshot, by kind, shape and place."""
    return [
        (
            w.id,
            [(o.kind, o.shape, o.dtype) for o in w.objects],
            [(p.kind, p.location, p.shape) for p in w.pointers],
        )
        for w in step.snapshot.workers
    ]


def test_the_workers_of_the_two_runs_take_the_two_paths(env) -> None:
    # Set aside: another module's tests may have left virtual workers under these ids.
    with workers_set_aside("carol", "dave"):
        plain, messages_only = sy.VirtualWorker(env.hook, id="carol"), MessagesOnly(env.hook, id="dave")
        try:
            WORLD.recording = False  # as in a batch: no events are built
            assert env.me.calls_directly(plain) and not env.me.calls_directly(messages_only)
        finally:
            WORLD._refresh_recording()


def test_a_batch_counts_direct_calls_exactly_as_it_counted_messages(env, monkeypatch) -> None:
    direct = _batches(sy.VirtualWorker, monkeypatch)
    messages = _batches(MessagesOnly, monkeypatch)
    assert [s.op for s in direct] == [s.op for s in messages]
    batches = [(d, m) for d, m in zip(direct, messages, strict=True) if d.op == "batch"]
    assert batches, "the loop was grouped into a batch"
    for d, m in batches:
        assert d.detail["count"] == m.detail["count"] and d.detail["ops"] == m.detail["ops"]
        assert _without_ids(d.detail["kept"]) == _without_ids(m.detail["kept"])
        # The world after the operations: the same stores, object for object (ids aside).
        assert _stores(d) == _stores(m)
    ops = batches[0][0].detail["ops"]
    assert isinstance(ops, dict)
    for key in ("send", "command:add", "command:mul", "command:set requires_grad", "get", "gc", "share"):
        assert ops.get(key, 0) >= 10, (key, ops)  # the first few steps are recorded one by one
    kept_ops = {op for batch, _ in batches for op, _detail in batch.detail["kept"]}  # type: ignore[attr-defined]
    assert {"share", "shared_op", "reconstruct"} <= kept_ops
    # The failure closed the batch and was told on its own, with its operation; then one step per op.
    (at,) = [i for i, s in enumerate(direct) if s.error is not None]
    failed, after = direct[at], direct[at + 1]
    assert (
        failed.detail["func"] == "matmul" and direct[at - 1].op == "batch" and messages[at].error is not None
    )
    assert failed.error is not None and messages[at].error.kind == failed.error.kind  # type: ignore[union-attr]
    assert after.op == "command" and after.detail["func"] == "sum" and after.events
