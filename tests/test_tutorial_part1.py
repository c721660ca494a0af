"""Tutorial Part 1 (The Basic Tools of Private Deep Learning), cell by cell, against the spec."""

from __future__ import annotations

import re

import torch

from tests.helpers import run_cell

POINTER = re.compile(r"^\(Wrapper\)>\[PointerTensor \| me:\d+ -> bob:(\d+)\]$")


def test_part1_cells_show_and_store_what_pysyft_did(env: object) -> None:
    ns: dict = {}
    shown, _ = run_cell(
        ns, "import torch\nimport syft_widgets as sy\nhook = sy.TorchHook(torch)\ntorch.tensor([1,2,3,4,5])"
    )
    assert repr(shown) == "tensor([1, 2, 3, 4, 5])"
    _, printed = run_cell(ns, "x = torch.tensor([1,2,3,4,5])\ny = x + x\nprint(y)")
    assert printed == "tensor([ 2,  4,  6,  8, 10])\n"
    run_cell(ns, 'bob = sy.VirtualWorker(hook, id="bob")')
    bob = ns["bob"]
    run_cell(ns, "x = torch.tensor([1,2,3,4,5])\ny = torch.tensor([1,1,1,1,1])")
    run_cell(ns, "x_ptr = x.send(bob)\ny_ptr = y.send(bob)")
    x_id, y_id = ns["x"].id, ns["y"].id
    assert list(bob._objects) == [x_id, y_id]
    shown, _ = run_cell(ns, "x_ptr")
    assert POINTER.match(repr(shown)).group(1) == str(x_id)
    assert repr(run_cell(ns, "bob._objects")[0]) == (
        f"{{{x_id}: tensor([1, 2, 3, 4, 5]), {y_id}: tensor([1, 1, 1, 1, 1])}}"
    )
    run_cell(ns, "z = x_ptr + x_ptr")
    assert len(bob._objects) == 3
    r_id = list(bob._objects)[2]
    assert POINTER.match(repr(run_cell(ns, "z")[0])).group(1) == str(r_id)
    assert repr(run_cell(ns, "x_ptr.location")[0]) == "<VirtualWorker id:bob #objects:3>"
    assert repr(run_cell(ns, "bob")[0]) == "<VirtualWorker id:bob #objects:3>"
    assert run_cell(ns, "bob == x_ptr.location")[0] is True
    assert run_cell(ns, "x_ptr.id_at_location")[0] == x_id
    assert repr(run_cell(ns, "x_ptr.owner")[0]) == "<VirtualWorker id:me #objects:0>"
    assert repr(run_cell(ns, "me = sy.local_worker\nme")[0]) == "<VirtualWorker id:me #objects:0>"
    assert run_cell(ns, "me == x_ptr.owner")[0] is True
    assert repr(run_cell(ns, "x_ptr.get()")[0]) == "tensor([1, 2, 3, 4, 5])"
    assert x_id not in bob._objects
    assert repr(run_cell(ns, "y_ptr.get()")[0]) == "tensor([1, 1, 1, 1, 1])"
    assert repr(run_cell(ns, "z.get()")[0]) == "tensor([ 2,  4,  6,  8, 10])"
    assert run_cell(ns, "bob._objects")[0] == {}

    run_cell(ns, "x = torch.tensor([1,2,3,4,5]).send(bob)\ny = torch.tensor([1,1,1,1,1]).send(bob)")
    assert len(bob._objects) == 2
    run_cell(ns, "z = x + y")
    assert len(bob._objects) == 3
    assert repr(run_cell(ns, "z.get()")[0]) == "tensor([2, 3, 4, 5, 6])"
    assert len(bob._objects) == 2
    shown, _ = run_cell(ns, "z = torch.add(x,y)\nz")
    assert POINTER.match(repr(shown)) and len(bob._objects) == 3
    assert repr(run_cell(ns, "z.get()")[0]) == "tensor([2, 3, 4, 5, 6])"
    assert len(bob._objects) == 2

    run_cell(
        ns,
        "x = torch.tensor([1,2,3,4,5.], requires_grad=True).send(bob)\ny = torch.tensor([1,1,1,1,1.], requires_grad=True).send(bob)",
    )
    assert len(bob._objects) == 2, "the old x and y were dropped, so bob deleted them"
    run_cell(ns, "z = (x + y).sum()")
    assert len(bob._objects) == 3, "the temporary x + y was deleted again"
    assert repr(bob._objects[ns["z"].id_at_location]) == "tensor(20., grad_fn=<SumBackward0>)"
    shown, _ = run_cell(ns, "z.backward()")
    assert shown is None, "deviation: PySyft 0.2.9 showed a dangling pointer here"
    run_cell(ns, "x = x.get()")
    assert repr(run_cell(ns, "x")[0]) == "tensor([1., 2., 3., 4., 5.], requires_grad=True)"
    assert repr(run_cell(ns, "x.grad")[0]) == "tensor([1., 1., 1., 1., 1.])"
    assert ns["me"]._objects == {}
    assert torch.equal(ns["y"].grad.get(), torch.ones(5)), "remote leaves got gradients too"
