"""Tutorial Part 2 (Intro to Federated Learning), both variants the spec describes."""

from __future__ import annotations

import re

import pytest
import torch

from tests.helpers import DATA_OLD, SETUP, TRAIN_OLD, run_cell

DATA_NEW = """
data = torch.tensor([[0,0],[0,1],[1,0],[1,1.]])
target = torch.tensor([[0],[0],[1],[1.]])
data_bob = data[0:2].send(bob)
target_bob = target[0:2].send(bob)
data_alice = data[2:].send(alice)
target_alice = target[2:].send(alice)
datasets = [(data_bob,target_bob),(data_alice,target_alice)]
from syft_widgets.federated.floptimizer import Optims
workers = ['bob', 'alice']
model = nn.Linear(2,1)
optims = Optims(workers, optim=optim.Adam(params=model.parameters(),lr=0.1))
"""

TRAIN_NEW = """
def train():
    for iter in range(10):
        for data,target in datasets:
            model.send(data.location)
            opt = optims.get_optim(data.location.id)
            opt.zero_grad()
            pred = model(data)
            loss = ((pred - target)**2).sum()
            loss.backward()
            opt.step()
            model.get()
            print(loss.get().data)
train()
"""


@pytest.mark.parametrize(
    ("data_cell", "train_cell", "line", "left"),
    [
        (DATA_OLD, TRAIN_OLD, r"^tensor\((\d+\.\d+(e-\d+)?), requires_grad=True\)$", 2),
        # Adam keeps two moment buffers per parameter; they live where the parameter was trained.
        (DATA_NEW, TRAIN_NEW, r"^tensor\((\d+\.\d+(e-\d+)?)\)$", 2 + 2 * 2),
    ],
    ids=["bengali-old-sgd", "english-v0.2.9-optims-adam"],
)
def test_part2_trains_on_both_workers_and_prints_twenty_losses(
    env, data_cell, train_cell, line, left
) -> None:
    ns: dict = {}
    run_cell(ns, SETUP)
    run_cell(ns, data_cell)
    bob, alice = ns["bob"], ns["alice"]
    assert len(bob._objects) == 2 and len(alice._objects) == 2
    weight = ns["model"].weight
    _, printed = run_cell(ns, train_cell)
    lines = printed.splitlines()
    assert len(lines) == 20
    losses = [float(re.match(line, text).group(1)) for text in lines]
    assert losses[-2] < losses[0] and losses[-1] < losses[1], "training lowers both workers' loss"
    assert ns["model"].weight is weight, "send/get keep the same Parameter objects"
    assert not getattr(ns["model"].weight, "is_pointer", False)
    assert len(bob._objects) == left and len(alice._objects) == left, "the data (and optimizer state)"
    if "optims" in ns:
        del ns["optims"]
        assert len(bob._objects) == 2, "dropping the optimizers deletes their remote state"


def test_part2_remote_training_matches_local_training(env) -> None:
    ns: dict = {}
    run_cell(ns, SETUP + DATA_OLD)
    local = torch.nn.Linear(2, 1)
    local.load_state_dict(ns["model"].state_dict())
    run_cell(ns, TRAIN_OLD)
    data = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1.0]])
    target = torch.tensor([[0], [0], [1], [1.0]])
    opt = torch.optim.SGD(local.parameters(), lr=0.1)
    for _ in range(10):
        for part in (slice(0, 2), slice(2, 4)):
            opt.zero_grad()
            ((local(data[part]) - target[part]) ** 2).sum().backward()
            opt.step()
    assert torch.allclose(local.weight, ns["model"].weight) and torch.allclose(local.bias, ns["model"].bias)
