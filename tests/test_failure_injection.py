"""A send that fails midway loses nothing: the data stays on exactly one worker and pointers keep working.

Each test breaks the link into one worker for one message of one type (the message never arrives,
as when a network connection drops), runs an operation that needs that message, and checks that
the failure reached the learner and that every store is as it was before the call.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch import nn

import syft_widgets as sy
from syft_widgets import messages as m
from tests.helpers import store_state


class LinkDown(ConnectionError):
    """The failure these tests inject: a message that never reaches its worker."""


@dataclass
class Outage:
    """The link into ``worker_id`` drops the message of type ``kind`` that comes after ``passes`` others."""

    worker_id: object
    kind: type
    passes: int
    seen: int = 0
    fired: int = 0


BreakLink = Callable[..., Outage]


@pytest.fixture
def break_link(monkeypatch: pytest.MonkeyPatch) -> Iterator[BreakLink]:
    """``break_link(alice, m.SendObject, passes=1)``: the second SendObject to alice fails to arrive."""

    def arm(worker: Any, kind: type, *, passes: int = 0) -> Outage:
        outage = Outage(worker.id, kind, passes)
        cls = type(worker)
        deliver = cls.receive

        def receive(self: Any, message: Any, sender: Any) -> Any:
            if self.id == outage.worker_id and type(message) is kind:
                outage.seen += 1
                if outage.seen == outage.passes + 1:
                    outage.fired += 1
                    raise LinkDown(f"{type(message).__name__} to {self.id!r} was lost (injected by the test)")
            return deliver(self, message, sender)

        monkeypatch.setattr(cls, "receive", receive)
        return outage

    yield arm


def contents(*workers: Any) -> dict[str, dict[int, Any]]:
    """Stores by key and value, without object identity: what a worker holds, not which Python object."""
    return {w: {k: v[:1] + v[2:] for k, v in store.items()} for w, store in store_state(*workers).items()}


def pointer_state(ptr: Any) -> tuple[Any, ...]:
    return (ptr.location.id, ptr.id_at_location, ptr.garbage_collect_data, ptr._spent)


# --- tensors and pointers --------------------------------------------------------------------------


def test_a_tensor_send_that_fails_stores_nothing_and_keeps_the_tensor(env, break_link) -> None:
    x = torch.tensor([1, 2, 3])
    outage = break_link(env.bob, m.SendObject)
    with pytest.raises(LinkDown):
        x.send(env.bob)
    assert outage.fired == 1
    assert env.bob._objects == {}
    assert not getattr(x, "is_pointer", False) and x.tolist() == [1, 2, 3]
    assert x.send(env.bob).get().tolist() == [1, 2, 3], "the link is back: the same send works"


def test_a_move_that_fails_keeps_the_data_on_the_source_and_the_pointer_usable(env, break_link) -> None:
    x = torch.tensor([1, 2, 3, 4, 5]).send(env.bob)
    before, pointer_before = store_state(env.me, env.bob, env.alice), pointer_state(x)
    outage = break_link(env.alice, m.SendObject)  # bob's forward to alice never arrives
    with pytest.raises(LinkDown):
        x.move(env.alice)
    assert outage.fired == 1
    assert store_state(env.me, env.bob, env.alice) == before, "bob still holds x; alice got nothing"
    assert pointer_state(x) == pointer_before
    assert x.move(env.alice) is x
    assert env.bob._objects == {} and len(env.alice._objects) == 1
    assert x.get().tolist() == [1, 2, 3, 4, 5]


def test_moving_a_pointer_that_fails_keeps_the_chain_and_its_duty_to_delete(env, break_link) -> None:
    x_ptr = torch.tensor([7, 8]).send(env.bob)
    p2p = x_ptr.send(env.alice)  # alice holds the pointer to bob's tensor
    before, pointer_before = store_state(env.me, env.bob, env.alice, env.secure_worker), pointer_state(p2p)
    outage = break_link(env.secure_worker, m.SendObject)
    with pytest.raises(LinkDown):
        p2p.move(env.secure_worker)
    assert outage.fired == 1
    # store_state includes the stored pointer's garbage_collect_data: alice is still the one to delete
    assert store_state(env.me, env.bob, env.alice, env.secure_worker) == before
    assert pointer_state(p2p) == pointer_before
    del x_ptr, p2p
    gc.collect()
    assert env.alice._objects == {} and env.bob._objects == {}, "dropping the chain still deletes all of it"


def test_a_pointer_send_that_fails_leaves_the_pointer_in_charge(env, break_link) -> None:
    x_ptr = torch.tensor([1.5]).send(env.bob)
    before, pointer_before = store_state(env.me, env.bob, env.alice), pointer_state(x_ptr)
    outage = break_link(env.alice, m.SendObject)
    with pytest.raises(LinkDown):
        x_ptr.send(env.alice)
    assert outage.fired == 1
    assert store_state(env.me, env.bob, env.alice) == before
    assert pointer_state(x_ptr) == pointer_before, "x_ptr still deletes bob's tensor when dropped"
    del x_ptr
    gc.collect()
    assert env.bob._objects == {}


def test_a_get_that_fails_keeps_the_data_and_the_pointer(env, break_link) -> None:
    x = torch.tensor([4, 5, 6]).send(env.bob)
    before, pointer_before = store_state(env.me, env.bob), pointer_state(x)
    outage = break_link(env.bob, m.RequestObject)
    with pytest.raises(LinkDown):
        x.get()
    assert outage.fired == 1
    assert store_state(env.me, env.bob) == before
    assert pointer_state(x) == pointer_before, "the pointer is not spent"
    assert x.get().tolist() == [4, 5, 6]
    assert env.bob._objects == {}


# --- modules ---------------------------------------------------------------------------------------


def trained_model() -> tuple[nn.Linear, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """A small model with gradients, and independent copies of its values and gradients."""
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    model(torch.ones(2, 3)).sum().backward()
    values = {n: p.detach().clone() for n, p in model.named_parameters()}
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}  # type: ignore[union-attr]
    return model, values, grads


def assert_local_and_unchanged(model: nn.Module, params: list[Any], values: dict, grads: dict) -> None:
    assert all(a is b for a, b in zip(model.parameters(), params, strict=True)), "the same Parameter objects"
    for name, p in model.named_parameters():
        assert type(p) is nn.Parameter, f"{name} is local again"
        assert torch.equal(p.detach(), values[name]), name
        assert p.grad is not None and torch.equal(p.grad, grads[name]), f"{name}.grad came back"
    assert model.location is None


@pytest.mark.parametrize("passes", [0, 1], ids=["first-parameter-lost", "second-parameter-lost"])
def test_a_module_send_that_fails_midway_brings_back_what_went(env, break_link, passes) -> None:
    model, values, grads = trained_model()
    params = list(model.parameters())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    outage = break_link(env.bob, m.SendObject, passes=passes)
    with pytest.raises(LinkDown):
        model.send(env.bob)
    assert outage.fired == 1
    assert env.bob._objects == {}, "all or nothing: bob keeps no parameter"
    assert_local_and_unchanged(model, params, values, grads)
    assert optimizer.param_groups[0]["params"][0] is params[0]
    # nothing is left half-done: the same model can be sent and fetched again
    model.send(env.bob).get()
    assert_local_and_unchanged(model, params, values, grads)


@pytest.mark.parametrize("passes", [0, 1], ids=["first-parameter-lost", "second-parameter-lost"])
def test_a_module_move_that_fails_midway_moves_back_what_went(env, break_link, passes) -> None:
    model, values, grads = trained_model()
    params = list(model.parameters())
    model.send(env.bob)
    before = contents(env.me, env.bob, env.alice)
    outage = break_link(env.alice, m.SendObject, passes=passes)
    with pytest.raises(LinkDown):
        model.move(env.alice)
    assert outage.fired == 1
    assert contents(env.me, env.bob, env.alice) == before, "all or nothing: every parameter is on bob"
    assert env.alice._objects == {}
    assert model.location is env.bob
    assert all(p.location is env.bob and p.id_at_location in env.bob._objects for p in params)
    model.get()
    assert_local_and_unchanged(model, params, values, grads)


@pytest.mark.parametrize("passes", [0, 1], ids=["first-parameter-lost", "second-parameter-lost"])
def test_a_module_get_that_fails_midway_sends_back_what_came(env, break_link, passes) -> None:
    model, values, grads = trained_model()
    params = list(model.parameters())
    model.send(env.bob)
    before = contents(env.me, env.bob)
    pointers_before = [(*pointer_state(p), p.id) for p in params]
    outage = break_link(env.bob, m.RequestObject, passes=passes)
    with pytest.raises(LinkDown):
        model.get()
    assert outage.fired == 1
    # All or nothing, like send and move: every parameter is on bob again, behind the same pointer.
    assert contents(env.me, env.bob) == before
    assert [(*pointer_state(p), p.id) for p in params] == pointers_before
    assert all(type(p) is sy.PointerParameter for p in model.parameters())
    assert model.location is env.bob
    model.get()
    assert env.bob._objects == {}
    assert_local_and_unchanged(model, params, values, grads)
