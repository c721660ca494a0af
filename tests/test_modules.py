"""``nn.Module`` send/get/move/copy in place, and optimizers on remote models (spec MUST 15-19)."""

from __future__ import annotations

import torch
from torch import nn, optim

from syft_widgets import PointerParameter


def test_send_and_get_keep_the_same_parameter_objects(env) -> None:
    model = nn.Linear(2, 1)
    weight, bias = model.weight, model.bias
    values = weight.detach().clone()
    assert model.send(env.bob) is model
    assert (
        model.weight is weight and isinstance(weight, PointerParameter) and isinstance(weight, nn.Parameter)
    )
    assert len(env.bob._objects) == 2 and model.location is env.bob and model.owner is env.me
    assert repr(weight).startswith("Parameter containing:\n(Wrapper)>[PointerTensor | me:")
    assert model.get() is model and model.weight is weight and model.bias is bias
    assert type(weight) is nn.Parameter and torch.equal(weight.detach(), values)
    assert env.bob._objects == {} and model.location is None


def test_an_optimizer_built_before_send_trains_the_remote_copy(env) -> None:
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    reference = nn.Linear(2, 1)
    reference.load_state_dict(model.state_dict())
    data, target = torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0]])
    for net, opt, where in (
        (model, optim.SGD(model.parameters(), lr=0.1), env.bob),
        (reference, optim.SGD(reference.parameters(), lr=0.1), None),
    ):
        for _ in range(3):
            if where is not None:
                net.send(where)
                x, y = data.send(where), target.send(where)
            else:
                x, y = data, target
            opt.zero_grad()
            ((net(x) - y) ** 2).sum().backward()
            opt.step()
            if where is not None:
                net.get()
    assert torch.allclose(model.weight, reference.weight) and torch.allclose(model.bias, reference.bias)
    assert model.weight.grad is not None, "gradients come back with the parameters"


def test_module_move_moves_every_parameter_and_returns_none(env) -> None:
    model = nn.Linear(2, 1).send(env.bob)
    weight = model.weight
    assert model.move(env.alice) is None
    assert model.weight is weight and model.location is env.alice
    assert env.bob._objects == {} and len(env.alice._objects) == 2


def test_copy_is_an_independent_model_with_new_ids(env) -> None:
    model = nn.Linear(2, 1)
    twin = model.copy()
    assert twin.weight.id != model.weight.id and torch.equal(twin.weight, model.weight)
    twin.send(env.bob)
    assert not getattr(model.weight, "is_pointer", False)


def test_copy_of_a_remote_model_copies_on_the_worker(env) -> None:
    model = nn.Linear(2, 1).send(env.bob)
    twin = model.copy()
    assert len(env.bob._objects) == 4 and twin.location is env.bob
    assert torch.equal(twin.get().weight.detach(), model.get().weight.detach())


def test_adam_state_lives_with_the_parameters(env) -> None:
    model = nn.Linear(2, 1).send(env.bob)
    opt = optim.Adam(model.parameters(), lr=0.1)
    loss = (model(torch.ones(1, 2).send(env.bob)) ** 2).sum()
    loss.backward()
    opt.step()
    assert len(env.bob._objects) == 2 + 1 + 4, "parameters, data, two moment buffers per parameter"
