"""Events and steps: every store change and message is announced; user operations group into steps."""

from __future__ import annotations

import pytest
import torch

from syft_widgets.events import MessageSent, ObjectRemoved, ObjectStored, Step
from syft_widgets.world import WORLD


def messages(step: Step) -> list[tuple[str, str, str, str]]:
    return [(e.sender, e.receiver, e.message, e.op) for e in step.events if isinstance(e, MessageSent)]


def test_send_is_one_step_with_a_message_and_a_stored_object(env, steps) -> None:
    x = torch.tensor([1, 2, 3, 4])
    x_ptr = x.send(env.bob)
    (step,) = steps
    assert step.op == "send" and step.detail["destination"] == "bob" and step.detail["kind"] == "tensor"
    sent, stored = step.events
    assert sent == MessageSent("me", "bob", "send object", "send", (x.id,), "tensor", 32)
    assert isinstance(stored, ObjectStored) and stored.worker == "bob" and stored.obj.id == x.id
    assert stored.obj.preview == "[1, 2, 3, 4]" and stored.obj.shape == (4,) and stored.obj.dtype == "int64"
    me = step.snapshot.worker("me")
    assert [p.id for p in me.pointers] == [x_ptr.id], "the step's picture already has the new pointer"
    assert [o.id for o in step.snapshot.worker("bob").objects] == [x.id]


def test_chain_add_is_one_step_with_two_hops(env, steps) -> None:
    p2p2x = torch.tensor([1, 2, 3, 4, 5]).send(env.bob).send(env.alice)
    steps.clear()
    y = p2p2x + p2p2x
    (step,) = steps
    # Torch hands ``a + b`` to __torch_function__ as Tensor.add, so that is the operation's name.
    assert step.op == "command" and step.detail["func"] == "add"
    assert messages(step) == [("me", "alice", "command", "add"), ("alice", "bob", "command", "add")]
    stored = [(e.worker, e.obj.kind) for e in step.events if isinstance(e, ObjectStored)]
    assert stored == [("bob", "tensor"), ("alice", "pointer")]
    del y


def test_get_of_a_chain_is_two_steps(env, steps) -> None:
    y = torch.tensor([1]).send(env.bob).send(env.alice)
    steps.clear()
    y.get().get()
    assert [s.op for s in steps] == ["get", "get"]
    assert messages(steps[0]) == [("me", "alice", "request object", "get"), ("alice", "me", "reply", "get")]
    assert messages(steps[1])[0] == ("me", "bob", "request object", "get")


def test_move_goes_from_bob_to_alice_without_passing_through_me(env, steps) -> None:
    x = torch.tensor([1, 2, 3]).send(env.bob)
    steps.clear()
    x.move(env.alice)
    (step,) = steps
    assert step.op == "move" and (step.detail["source"], step.detail["destination"]) == ("bob", "alice")
    assert messages(step) == [("me", "bob", "command", "move"), ("bob", "alice", "send object", "send")]
    data = [e for e in step.events if isinstance(e, MessageSent) and e.nbytes]
    assert [(e.sender, e.receiver, e.nbytes) for e in data] == [("bob", "alice", 24)]
    removed = [e for e in step.events if isinstance(e, ObjectRemoved)]
    assert [(e.worker, e.reason) for e in removed] == [("bob", "move")]


def test_dropping_a_pointer_is_a_garbage_collection_step(env, steps) -> None:
    x = torch.tensor([1]).send(env.bob)
    steps.clear()
    del x
    (step,) = steps
    assert step.op == "gc" and messages(step) == [("me", "bob", "delete object", "delete")]
    assert step.snapshot.worker("me").pointers == ()


def test_in_place_operation_announces_a_change_not_a_new_object(env, steps) -> None:
    a = torch.tensor([1.0]).send(env.bob)
    steps.clear()
    a.add_(1)
    kinds = [type(e).__name__ for e in steps[0].events]
    assert kinds == ["MessageSent", "ObjectChanged"]
    assert steps[0].events[1].obj.preview == "[2]"


def test_snapshots_hold_no_tensor(env, steps) -> None:
    import gc
    import weakref

    t = torch.tensor([1.0, 2.0])
    ptr = t.send(env.bob)
    remote = env.bob._objects[t.id]
    ref = weakref.ref(remote)
    del remote, ptr
    gc.collect()
    assert ref() is None, "recorded steps must not keep remote tensors alive"


def test_a_failing_listener_warns_and_never_breaks_the_learners_code(env) -> None:
    def broken(event: object) -> None:
        raise ValueError("boom")

    unsubscribe = WORLD.bus.subscribe(broken)
    try:
        with pytest.warns(RuntimeWarning, match="boom"):
            x = torch.tensor([1]).send(env.bob)
        assert x.get().tolist() == [1]
    finally:
        unsubscribe()
    assert not WORLD.bus.active


def test_nothing_is_recorded_when_nobody_listens(env) -> None:
    assert not WORLD.bus.active
    x = torch.tensor([1]).send(env.bob)
    assert WORLD._step_events is None
    del x


def test_a_new_worker_is_a_step_so_its_empty_box_appears(env, steps) -> None:
    import syft_widgets as sy

    sy.VirtualWorker(env.hook, id="carol")
    (step,) = steps
    assert step.op == "worker" and "carol" in [w.id for w in step.snapshot.workers]
