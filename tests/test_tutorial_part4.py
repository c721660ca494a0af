"""Tutorial Part 4 (Federated Learning via Trusted Aggregator): object counts after every cell."""

from __future__ import annotations

import pytest
import torch

from syft_widgets.errors import TensorsNotCollocatedException
from tests.helpers import run_cell

CELLS = [
    (
        "import torch\nimport syft_widgets as sy\nimport copy\nhook = sy.TorchHook(torch)\nfrom torch import nn, optim",
        None,
    ),
    (
        """bob = sy.VirtualWorker(hook, id="bob")
alice = sy.VirtualWorker(hook, id="alice")
secure_worker = sy.VirtualWorker(hook, id="secure_worker")
data = torch.tensor([[0,0],[0,1],[1,0],[1,1.]], requires_grad=True)
target = torch.tensor([[0],[0],[1],[1.]], requires_grad=True)
bobs_data = data[0:2].send(bob)
bobs_target = target[0:2].send(bob)
alices_data = data[2:].send(alice)
alices_target = target[2:].send(alice)""",
        (2, 2, 0),
    ),
    ("model = nn.Linear(2,1)", (2, 2, 0)),
    (
        """bobs_model = model.copy().send(bob)
alices_model = model.copy().send(alice)
bobs_opt = optim.SGD(params=bobs_model.parameters(),lr=0.1)
alices_opt = optim.SGD(params=alices_model.parameters(),lr=0.1)""",
        (4, 4, 0),
    ),
    (
        """for i in range(10):
    bobs_opt.zero_grad()
    bobs_pred = bobs_model(bobs_data)
    bobs_loss = ((bobs_pred - bobs_target)**2).sum()
    bobs_loss.backward()
    bobs_opt.step()
    bobs_loss = bobs_loss.get().data
    alices_opt.zero_grad()
    alices_pred = alices_model(alices_data)
    alices_loss = ((alices_pred - alices_target)**2).sum()
    alices_loss.backward()
    alices_opt.step()
    alices_loss = alices_loss.get().data
    print("Bob:" + str(bobs_loss) + " Alice:" + str(alices_loss))""",
        (5, 5, 0),
    ),
    ("alices_model.move(secure_worker)", (5, 3, 2)),
    ("bobs_model.move(secure_worker)", (3, 3, 4)),
    (
        """with torch.no_grad():
    model.weight.set_(((alices_model.weight.data + bobs_model.weight.data) / 2).get())
    model.bias.set_(((alices_model.bias.data + bobs_model.bias.data) / 2).get())""",
        (3, 3, 4),
    ),
]

LOOP = """
iterations = 10
worker_iters = 5
for a_iter in range(iterations):
    bobs_model = model.copy().send(bob)
    alices_model = model.copy().send(alice)
    bobs_opt = optim.SGD(params=bobs_model.parameters(),lr=0.1)
    alices_opt = optim.SGD(params=alices_model.parameters(),lr=0.1)
    for wi in range(worker_iters):
        bobs_opt.zero_grad()
        bobs_pred = bobs_model(bobs_data)
        bobs_loss = ((bobs_pred - bobs_target)**2).sum()
        bobs_loss.backward()
        bobs_opt.step()
        bobs_loss = bobs_loss.get().data
        alices_opt.zero_grad()
        alices_pred = alices_model(alices_data)
        alices_loss = ((alices_pred - alices_target)**2).sum()
        alices_loss.backward()
        alices_opt.step()
        alices_loss = alices_loss.get().data
    alices_model.move(secure_worker)
    bobs_model.move(secure_worker)
    with torch.no_grad():
        model.weight.set_(((alices_model.weight.data + bobs_model.weight.data) / 2).get())
        model.bias.set_(((alices_model.bias.data + bobs_model.bias.data) / 2).get())
    print("Bob:" + str(bobs_loss) + " Alice:" + str(alices_loss))
    counts.append((len(bob._objects), len(alice._objects), len(secure_worker._objects)))
"""


def counts(ns: dict) -> tuple[int, int, int]:
    return tuple(len(ns[w]._objects) for w in ("bob", "alice", "secure_worker"))  # type: ignore[return-value]


def test_part4_object_counts_follow_the_spec_after_every_cell(env) -> None:
    ns: dict = {}
    for source, expected in CELLS:
        shown, printed = run_cell(ns, source)
        if source.startswith("for i in range(10)"):
            assert len(printed.splitlines()) == 10 and printed.startswith("Bob:tensor(")
        if expected is not None:
            assert counts(ns) == expected, source
        if "move(" in source:
            assert shown is None, "Module.move returns None, as in PySyft 0.2"
    assert ns["alices_model"].location is ns["secure_worker"]
    assert ns["model"].weight.grad is None and not getattr(ns["model"].weight, "is_pointer", False)

    ns["counts"] = []
    _, printed = run_cell(ns, LOOP)
    assert len(printed.splitlines()) == 10
    assert ns["counts"] == [(3, 3, 4)] * 10, "old moved models are collected every round"
    preds = ns["model"](ns["data"])
    loss = ((preds - ns["target"]) ** 2).sum()
    assert loss.item() < 0.3, "the averaged model fits the data"


def test_adding_weights_on_two_workers_names_both_and_suggests_move(env) -> None:
    ns: dict = {}
    for source, _ in CELLS[:4]:
        run_cell(ns, source)
    with pytest.raises(TensorsNotCollocatedException, match=r"'alice'.*'bob'.*\.move\("):
        run_cell(ns, "alices_model.weight.data + bobs_model.weight.data")
    assert counts(ns) == (4, 4, 0)


def test_averaging_sends_only_the_average_back(env) -> None:
    ns: dict = {}
    for source, _ in CELLS[:7]:
        run_cell(ns, source)
    expected = (ns["alices_model"].weight.data.copy().get() + ns["bobs_model"].weight.data.copy().get()) / 2
    run_cell(ns, CELLS[7][0])
    assert torch.allclose(ns["model"].weight.detach(), expected)
