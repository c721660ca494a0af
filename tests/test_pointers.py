"""Pointers: send/get/move, pointer chains, remote operations and autograd (spec section 5, MUST 7-14)."""

from __future__ import annotations

import copy
import io
import re

import pytest
import torch
import torch.nn.functional as F

import syft_widgets as sy
from syft_widgets import PointerTensor

REPR = re.compile(r"^\(Wrapper\)>\[PointerTensor \| (\w+):(\d+) -> (\w+):(\d+)\]$")


def test_send_copies_the_tensor_to_the_worker_under_its_own_id(env) -> None:
    x = torch.tensor([1, 2, 3, 4])
    x_ptr = x.send(env.bob)
    assert list(env.bob._objects) == [x.id] == [x_ptr.id_at_location]
    assert torch.equal(env.bob._objects[x.id], x)
    assert env.bob._objects[x.id] is not x, "the worker holds an independent copy"
    x.add_(10)
    assert env.bob._objects[x.id].tolist() == [1, 2, 3, 4]
    assert x_ptr.location is env.bob and x_ptr.owner is env.me and x_ptr.id != x.id
    assert repr(x_ptr) == f"(Wrapper)>[PointerTensor | me:{x_ptr.id} -> bob:{x.id}]"
    assert isinstance(x_ptr, torch.Tensor) and isinstance(x_ptr, PointerTensor)


def test_get_returns_the_data_removes_it_and_spends_the_pointer(env) -> None:
    x_ptr = torch.tensor([1.0, 2.0], requires_grad=True).send(env.bob)
    got = x_ptr.get()
    assert torch.equal(got, torch.tensor([1.0, 2.0])) and got.requires_grad
    assert env.bob._objects == {}
    assert repr(x_ptr).endswith("(retrieved)")


def test_sending_the_same_tensor_twice_keeps_two_independent_copies(env) -> None:
    """Deviation from PySyft 0.2.9, which overwrote one entry and left a pointer dangling."""
    x = torch.tensor([1, 2])
    first, second = x.send(env.bob), x.send(env.bob)
    assert len(env.bob._objects) == 2 and first.id_at_location != second.id_at_location
    assert first.get().tolist() == [1, 2] and second.get().tolist() == [1, 2]


def test_pointer_to_pointer_leaves_the_data_where_it_is(env) -> None:
    x_ptr = torch.tensor([1, 2, 3, 4]).send(env.bob)
    p = x_ptr.send(env.alice)
    stored = env.alice._objects[x_ptr.id]
    assert list(env.alice._objects) == [x_ptr.id]
    assert stored.location is env.bob and stored.owner is env.alice
    assert stored.id_at_location == x_ptr.id_at_location
    assert REPR.match(repr(p)).groups() == ("me", str(p.id), "alice", str(x_ptr.id))
    assert not x_ptr.garbage_collect_data and p.garbage_collect_data and stored.garbage_collect_data


def test_getting_a_chain_returns_the_original_pointer_which_now_owns_the_data(env) -> None:
    x_ptr = torch.tensor([1, 2, 3, 4]).send(env.bob)
    original = repr(x_ptr)
    back = x_ptr.send(env.alice).get()
    assert repr(back) == original and env.alice._objects == {}
    assert back.garbage_collect_data, "PySyft 0.2.9 left this False and leaked bob's tensor"
    del back, x_ptr
    assert env.bob._objects == {}


def test_chain_arithmetic_adds_one_object_on_each_worker_and_none_locally(env) -> None:
    p2p2x = torch.tensor([1, 2, 3, 4, 5]).send(env.bob).send(env.alice)
    y = p2p2x + p2p2x
    assert len(env.bob._objects) == 2 and len(env.alice._objects) == 2 and env.me._objects == {}
    assert y.id_at_location in env.alice._objects
    assert y.get().get().tolist() == [2, 4, 6, 8, 10]
    assert p2p2x.get().get().tolist() == [1, 2, 3, 4, 5]
    assert env.bob._objects == {} and env.alice._objects == {}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a + b", [5.0, 7.0, 9.0]),
        ("torch.add(a, b)", [5.0, 7.0, 9.0]),
        ("a - b", [-3.0, -3.0, -3.0]),
        ("a * 2", [2.0, 4.0, 6.0]),
        ("a + 1", [2.0, 3.0, 4.0]),
        ("2 ** a", [2.0, 4.0, 8.0]),
        ("a.sum()", 6.0),
        ("(a + b).sum()", 21.0),
        ("a.view(3, 1)", [[1.0], [2.0], [3.0]]),
        ("(-a).abs()", [1.0, 2.0, 3.0]),
        ("F.relu(a - 2)", [0.0, 0.0, 1.0]),
        ("a[0]", 1.0),
        ("a[1:]", [2.0, 3.0]),
        ("a == b", [False, False, False]),
        ("torch.cat([a, b])", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        ("a.copy()", [1.0, 2.0, 3.0]),
        ("a.clone()", [1.0, 2.0, 3.0]),
    ],
)
def test_operations_run_where_the_data_is_and_return_pointers(env, expression, expected) -> None:
    a, b = torch.tensor([1.0, 2.0, 3.0]).send(env.bob), torch.tensor([4.0, 5.0, 6.0]).send(env.bob)
    result = eval(expression, {"a": a, "b": b, "torch": torch, "F": F})
    assert isinstance(result, PointerTensor) and result.location is env.bob
    assert len(env.bob._objects) == 3, "one new entry per live result pointer, temporaries gone"
    assert result.get().tolist() == expected
    assert env.me._objects == {}


def test_in_place_operations_return_the_same_pointer_and_create_nothing(env) -> None:
    a = torch.tensor([-1.0, 2.0]).send(env.bob)
    assert a.abs_() is a and a.add_(1) is a
    a += 1
    assert len(env.bob._objects) == 1 and a.get().tolist() == [3.0, 4.0]


def test_max_with_dim_returns_a_pointer_per_result(env) -> None:
    a = torch.tensor([[1.0, 5.0], [7.0, 2.0]]).send(env.bob)
    values, indices = torch.max(a, dim=1)
    assert values.get().tolist() == [5.0, 7.0] and indices.get().tolist() == [1, 0]


def test_shape_size_len_and_dtype_answer_without_a_message(env) -> None:
    a = torch.zeros(3, 2, dtype=torch.float64).send(env.bob)
    assert a.shape == torch.Size([3, 2]) and a.size() == torch.Size([3, 2]) and a.size(1) == 2
    assert len(a) == 3 and a.dim() == 2 and a.dtype == torch.float64 and a.numel() == 6
    assert a.view(-1).shape == torch.Size([6]), "results carry their remote shape"
    a.unsqueeze_(0)
    assert a.shape == torch.Size([1, 3, 2]), "in-place shape changes update the cached shape"


def test_backward_on_a_remote_loss_leaves_gradients_on_the_remote_leaves(env) -> None:
    x = torch.tensor([1.0, 2, 3, 4, 5], requires_grad=True).send(env.bob)
    y = torch.tensor([1.0, 1, 1, 1, 1], requires_grad=True).send(env.bob)
    assert x.grad is None, "no gradient yet (PySyft 0.2 showed a pointer here)"
    z = (x + y).sum()
    assert z.backward() is None
    grad = x.grad
    assert repr(grad).endswith("::grad") and grad.location is env.bob
    assert grad.get().tolist() == [1.0] * 5, "getting an attribute copies it"
    assert x.grad.clone().get().tolist() == [1.0] * 5, "PySyft fetched the parent tensor here"
    assert len(env.bob._objects) == 3
    assert x.get().grad.tolist() == [1.0] * 5, ".grad travels with the tensor"


def test_data_attribute_pointer_supports_arithmetic_on_the_worker(env) -> None:
    w = torch.tensor([2.0, 4.0], requires_grad=True).send(env.bob)
    half = (w.data / 2).get()
    assert half.tolist() == [1.0, 2.0] and not half.requires_grad and len(env.bob._objects) == 1


def test_move_sends_the_data_straight_to_the_destination(env) -> None:
    x = torch.tensor([1, 2, 3]).send(env.bob)
    pointer_id, target = x.id, x.id_at_location
    moved = x.move(env.alice)
    assert moved is x and x.id == pointer_id and x.id_at_location == target and x.location is env.alice
    assert env.bob._objects == {} and list(env.alice._objects) == [target]
    assert x.move(env.alice) is x, "moving to where it already is changes nothing"
    assert x.move(env.me).tolist() == [1, 2, 3], "moving to me is .get()"
    assert env.alice._objects == {}


def test_moving_a_chain_moves_the_middle_pointer_one_hop(env) -> None:
    x_ptr = torch.tensor([7]).send(env.bob)
    p = x_ptr.send(env.alice)
    p.move(env.secure_worker)
    assert env.alice._objects == {} and len(env.bob._objects) == 1
    (middle,) = env.secure_worker._objects.values()
    assert middle.location is env.bob and middle.owner is env.secure_worker
    assert p.get().get().tolist() == [7]


def test_remote_get_pulls_the_data_one_hop_closer(env) -> None:
    x_ptr = torch.tensor([1, 2]).send(env.bob)
    p = x_ptr.send(env.alice)
    assert p.remote_get() is p
    assert env.bob._objects == {} and list(env.alice._objects) == [x_ptr.id]
    assert torch.equal(env.alice._objects[x_ptr.id], torch.tensor([1, 2]))
    assert p.get().tolist() == [1, 2]


def test_remote_get_on_a_chain_that_comes_back_keeps_the_data_and_no_pointer_to_itself(env) -> None:
    p = torch.tensor([1, 2]).send(env.bob).send(env.alice).send(env.bob)  # me → bob → alice → bob
    p.remote_get()
    # bob fetched alice's pointer, which pointed back into bob's own store: bob now holds the data
    # under the key the learner's pointer names, and no pointer to itself.
    assert env.alice._objects == {} and list(env.bob._objects) == [p.id_at_location]
    assert torch.equal(env.bob._objects[p.id_at_location], torch.tensor([1, 2]))
    assert p.get().tolist() == [1, 2]
    assert env.bob._objects == {}


def test_a_chain_that_comes_back_to_a_worker_made_again_keeps_the_data_too(env) -> None:
    # Running `bob = sy.VirtualWorker(hook, id="bob")` again, as a notebook cell run twice does,
    # makes a second worker object sharing bob's store: the chain still comes back to bob.
    p = torch.tensor([1, 2]).send(env.bob).send(env.alice).send(env.bob)  # me → bob → alice → bob
    sy.VirtualWorker(env.hook, id="bob")
    p.remote_get()
    assert env.alice._objects == {} and list(env.bob._objects) == [p.id_at_location]
    assert torch.equal(env.bob._objects[p.id_at_location], torch.tensor([1, 2]))
    assert p.get().tolist() == [1, 2]
    assert env.bob._objects == {}


def test_iterating_a_pointer_gives_pointers_to_its_rows(env) -> None:
    a = torch.tensor([[1, 2], [3, 4]]).send(env.bob)
    assert [row.get().tolist() for row in a] == [[1, 2], [3, 4]]


def test_send_with_garbage_collection_off_keeps_the_remote_object(env) -> None:
    x = torch.tensor([1]).send(env.bob, garbage_collect_data=False)
    del x
    assert len(env.bob._objects) == 1


def test_a_tensors_id_stays_with_it_and_never_with_a_copy(env) -> None:
    """The id a tensor got is kept by that tensor only: deepcopy, copy and torch.save copy its
    ``__dict__``, and a copy that shared the id would be stored under its original's key."""
    x = torch.tensor([1.0, 2.0])
    first = x.id
    assert x.id == first and env.me._objects == {}
    copies = [copy.deepcopy(x), copy.copy(x), x.clone()]
    buffer = io.BytesIO()
    torch.save(x, buffer)
    buffer.seek(0)
    copies.append(torch.load(buffer, weights_only=True))
    ids = [c.id for c in copies]
    assert first not in ids and len(set(ids)) == len(ids)
    assert [c.id for c in copies] == ids, "each copy keeps the id it drew"
    x_ptr = x.send(env.bob)
    assert list(env.bob._objects) == [first] and env.bob._objects[first].id == first
    assert x_ptr.get().id == first
