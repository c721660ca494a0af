"""Tutorial Part 4 (Federated Learning via Trusted Aggregator): object counts after every cell."""

from __future__ import annotations

import pytest
import torch
from torch import nn, optim

from syft_widgets.errors import TensorsNotCollocatedException
from syft_widgets.events import MessageSent, ObjectStored
from syft_widgets.world import WORLD
from tests.helpers import PART4_CELLS as CELLS
from tests.helpers import run_cell

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


def trained_locally(start: dict[str, torch.Tensor], data: torch.Tensor, target: torch.Tensor) -> nn.Linear:
    """The tutorial's ten training steps of one worker, in plain torch: the reference for the average."""
    model = nn.Linear(2, 1)
    model.load_state_dict(start)
    opt = optim.SGD(params=model.parameters(), lr=0.1)
    for _ in range(10):
        opt.zero_grad()
        ((model(data) - target) ** 2).sum().backward()
        opt.step()
    return model


def test_averaging_gives_the_mean_of_two_locally_trained_models(env) -> None:
    ns: dict = {}
    for source, _ in CELLS[:3]:
        run_cell(ns, source)
    start = {k: v.clone() for k, v in ns["model"].state_dict().items()}
    for source, _ in CELLS[3:]:
        run_cell(ns, source)
    data, target = ns["data"].detach(), ns["target"].detach()
    bobs = trained_locally(start, data[0:2], target[0:2])
    alices = trained_locally(start, data[2:], target[2:])
    for name in ("weight", "bias"):
        expected = (getattr(alices, name).detach() + getattr(bobs, name).detach()) / 2
        assert torch.allclose(getattr(ns["model"], name).detach(), expected, rtol=1e-6, atol=1e-7), name
        assert not torch.equal(expected, start[name]), (
            "training moved the weights, so the check means something"
        )


def test_averaging_sends_only_the_average_back(env) -> None:
    ns: dict = {}
    for source, _ in CELLS[:7]:
        run_cell(ns, source)
    on_secure_worker = dict(ns["secure_worker"]._objects)
    events: list = []
    unsubscribe = WORLD.bus.subscribe(events.append)
    try:
        run_cell(ns, CELLS[7][0])
    finally:
        unsubscribe()
    sent = [e for e in events if isinstance(e, MessageSent)]
    carrying_data = [(e.sender, e.receiver, e.message, e.nbytes) for e in sent if e.nbytes]
    model = ns["model"]
    size = model.weight.element_size()
    assert carrying_data == [
        ("secure_worker", "me", "reply", model.weight.numel() * size),
        ("secure_worker", "me", "reply", model.bias.numel() * size),
    ], "the only values that leave the secure worker are the averaged weight and bias"
    averages = {e.obj.id for e in events if isinstance(e, ObjectStored) and e.worker == "secure_worker"}
    fetched = {i for e in sent if e.message == "request object" for i in e.obj_ids}
    assert len(fetched) == 2 and fetched <= averages, "what came back was computed in this cell"
    assert not fetched & set(on_secure_worker), "no parameter of alice's or bob's model was fetched"
    assert set(on_secure_worker) <= set(ns["secure_worker"]._objects), "both models stay on secure_worker"
