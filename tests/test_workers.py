"""Workers and the hook (spec MUST 1-6, MUST NOT 2 and 6)."""

from __future__ import annotations

from typing import Any

import torch

import syft_widgets as sy
from syft_widgets.events import MessageSent
from syft_widgets.world import WORLD


def test_hook_creates_the_local_worker_me_once(env, capsys) -> None:
    hook = sy.TorchHook(torch)
    assert hook.local_worker is sy.local_worker is env.me
    assert env.me.id == "me" and env.me.kind == "local"
    assert sy.TorchHook(torch).local_worker is env.me
    sy.VirtualWorker(hook, id="dora")
    assert capsys.readouterr() == ("", ""), "nothing is printed on hooking or creating workers"


def test_worker_repr_counts_objects_and_clear_objects_returns_the_worker(env) -> None:
    assert repr(env.bob) == "<VirtualWorker id:bob #objects:0>" and env.bob._objects == {}
    x = torch.tensor([1]).send(env.bob)
    assert repr(env.bob) == "<VirtualWorker id:bob #objects:1>"
    assert env.bob.clear_objects() is env.bob and env.bob._objects == {}
    del x


def test_default_worker_id_is_zero(env) -> None:
    assert repr(sy.VirtualWorker(env.hook)).startswith("<VirtualWorker id:0 #objects:")


def test_recreating_a_worker_keeps_its_store_and_old_pointers_work(env) -> None:
    x = torch.tensor([1, 2]).send(env.bob)
    bob2 = sy.VirtualWorker(env.hook, id="bob")
    assert bob2 is not env.bob and bob2._objects is env.bob._objects
    y = torch.tensor([3, 4]).send(bob2)
    assert (x + y).get().tolist() == [4, 6]
    assert len(bob2._objects) == 2


def test_the_local_worker_never_stores_anything(env) -> None:
    x_ptr = torch.tensor([1]).send(env.bob)
    _ = x_ptr + x_ptr
    _ = x_ptr.send(env.alice)
    assert env.me._objects == {}


def test_worker_equality_is_identity(env) -> None:
    x = torch.tensor([1]).send(env.bob)
    assert (x.location == env.bob) is True and (x.owner == env.me) is True
    assert x.location != env.alice


# --- the fast path: with nobody watching, a virtual worker is called without a message ---------------
def _lesson(env: Any) -> list[Any]:
    """Every operation that has a direct call, and some that do not, with what each leaves behind."""
    seen: list[Any] = []

    def stores() -> dict[str, list[Any]]:
        return {
            str(w.id): sorted(
                ("pointer", o.location.id) if getattr(o, "is_pointer", False) else ("tensor", o.tolist())
                for o in w._objects.values()
            )
            for w in (env.bob, env.alice)
        }

    x = torch.tensor([1.0, 2.0]).send(env.bob)  # send
    y = x + x  # a torch call
    y.add_(1)  # in place
    seen += [y.shape, stores()]
    w = torch.tensor([0.5, 0.5], requires_grad=True).send(env.bob)
    (w * x).sum().backward()
    seen += [w.grad is not None, stores()]  # reading .grad
    seen.append(w.grad.get().tolist())
    w.grad = None  # setting .grad
    seen += [w.grad, stores()]
    chain = y.send(env.alice)  # a pointer to a pointer
    seen += [(chain + chain).get().get().tolist(), stores()]
    del y, chain, w  # deletes, the chain's cascading
    seen.append(stores())
    x.move(env.alice)
    seen += [x.get().tolist(), stores()]
    return seen


def test_with_or_without_a_listener_every_operation_leaves_the_same_world(env) -> None:
    """Nobody listening, operations call the worker directly; a listener gets them as messages."""
    assert env.me.calls_directly(env.bob)
    quiet = _lesson(env)
    events: list[Any] = []
    unsubscribe = WORLD.bus.subscribe(events.append)
    try:
        assert not env.me.calls_directly(env.bob)
        watched = _lesson(env)
    finally:
        unsubscribe()
    assert watched == quiet
    sent = {(e.message, e.op) for e in events if isinstance(e, MessageSent)}
    assert sent >= {("send object", "send"), ("command", "add"), ("command", "add_"), ("command", "read grad"),
                    ("command", "set grad"), ("request object", "get"), ("delete object", "delete")}  # fmt: skip
    assert env.bob._objects == {} and env.alice._objects == {}


def test_a_worker_that_delivers_messages_its_own_way_is_never_called_directly(env, monkeypatch) -> None:
    """A Ray worker replaces receive; so does a test that loses messages: both must see every one."""
    received: list[str] = []
    deliver = sy.VirtualWorker.receive

    def receive(self: Any, message: Any, sender: Any) -> Any:
        received.append(type(message).__name__)
        return deliver(self, message, sender)

    monkeypatch.setattr(sy.VirtualWorker, "receive", receive)
    assert not env.me.calls_directly(env.bob)
    x = torch.tensor([1.0]).send(env.bob)
    (x + x).get()
    del x
    assert received == ["SendObject", "RunCommand", "RequestObject", "DeleteObject"]
