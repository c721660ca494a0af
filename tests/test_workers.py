"""Workers and the hook (spec MUST 1-6, MUST NOT 2 and 6)."""

from __future__ import annotations

import torch

import syft_widgets as sy


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
