"""Garbage collection: dropping the last pointer deletes the remote object (spec MUST 24-26)."""

from __future__ import annotations

import gc

import torch


def test_dropping_a_pointer_deletes_its_remote_object(env) -> None:
    x = torch.tensor([1]).send(env.bob)
    assert len(env.bob._objects) == 1
    del x
    assert env.bob._objects == {}


def test_rebinding_a_name_deletes_the_old_object(env) -> None:
    x = torch.tensor([1]).send(env.bob)
    x = torch.tensor([2]).send(env.bob)
    assert len(env.bob._objects) == 1 and x.get().tolist() == [2]


def test_temporaries_are_deleted_as_soon_as_their_pointer_dies(env) -> None:
    a = torch.tensor([1.0, 2.0]).send(env.bob)
    total = (a + a).sum()
    assert len(env.bob._objects) == 2
    assert total.get().item() == 6.0


def test_handing_a_pointer_on_hands_over_the_duty_to_delete(env) -> None:
    x_ptr = torch.tensor([1]).send(env.bob)
    p = x_ptr.send(env.alice)
    del x_ptr
    assert len(env.bob._objects) == 1, "deleting the older pointer must not delete the data"
    del p
    assert env.bob._objects == {} and env.alice._objects == {}, "deleting the chain deletes all of it"


def test_deleting_a_result_on_a_chain_cascades_to_the_data(env) -> None:
    p2p2x = torch.tensor([1, 2]).send(env.bob).send(env.alice)
    y = p2p2x + p2p2x
    del y
    assert len(env.bob._objects) == 1 and len(env.alice._objects) == 1
    del p2p2x
    assert env.bob._objects == {} and env.alice._objects == {}


def test_a_spent_pointer_deletes_nothing(env) -> None:
    x = torch.tensor([1]).send(env.bob)
    x.get()
    other = torch.tensor([2]).send(env.bob)
    del x
    gc.collect()
    assert list(env.bob._objects) == [other.id_at_location]


def test_a_moved_pointer_deletes_at_its_new_location(env) -> None:
    x = torch.tensor([1]).send(env.bob)
    x.move(env.alice)
    del x
    assert env.bob._objects == {} and env.alice._objects == {}


def test_a_sent_model_is_deleted_with_its_last_reference(env) -> None:
    model = torch.nn.Linear(2, 1).send(env.bob)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    del model
    assert len(env.bob._objects) == 2, "the optimizer still holds the parameters"
    del opt
    gc.collect()
    assert env.bob._objects == {}


def test_clear_objects_forgets_without_reaching_further(env) -> None:
    x_ptr = torch.tensor([1]).send(env.bob)
    p = x_ptr.send(env.alice)
    assert env.alice.clear_objects() is env.alice
    assert env.alice._objects == {} and len(env.bob._objects) == 1
    del p
    x_ptr.garbage_collect_data = True
    del x_ptr
    assert env.bob._objects == {}
