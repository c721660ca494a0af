"""The seed: tutorial Part 3 (Advanced Remote Execution Tools), cell by cell, against the spec's table.

The cells are the tutorial's own code with only ``import syft as sy`` changed. After each cell the
shown value and every worker's ``_objects`` are checked against PySyft 0.2.9's recorded behaviour.
"""

from __future__ import annotations

import re

import torch

from tests.helpers import run_cell

POINTER = re.compile(r"^\(Wrapper\)>\[PointerTensor \| (\w+):(\d+) -> (\w+):(\d+)\]$")


def parse(pointer: object) -> tuple[str, int, str, int]:
    match = POINTER.match(repr(pointer))
    assert match, repr(pointer)
    owner, pid, location, target = match.groups()
    return owner, int(pid), location, int(target)


def test_part3_cells_show_and_store_what_pysyft_did(env: object) -> None:
    ns: dict = {}
    run_cell(ns, "import torch\nimport syft_widgets as sy\nhook = sy.TorchHook(torch)")
    run_cell(ns, "bob = sy.VirtualWorker(hook, id='bob')\nalice = sy.VirtualWorker(hook, id='alice')")
    bob, alice = ns["bob"], ns["alice"]
    assert bob._objects == {} and alice._objects == {}

    shown, _ = run_cell(ns, "# this is a local tensor\nx = torch.tensor([1,2,3,4])\nx")
    assert repr(shown) == "tensor([1, 2, 3, 4])"

    shown, _ = run_cell(ns, "x_ptr = x.send(bob)\n\n# this is now a pointer\nx_ptr")
    owner, p, location, x_id = parse(shown)
    assert (owner, location) == ("me", "bob")
    assert x_id == ns["x"].id and p != x_id
    assert list(bob._objects) == [x_id] and alice._objects == {}
    assert torch.equal(bob._objects[x_id], torch.tensor([1, 2, 3, 4]))

    shown, _ = run_cell(ns, "pointer_to_x_ptr = x_ptr.send(alice)\n\npointer_to_x_ptr")
    owner, _, location, target = parse(shown)
    assert (owner, location, target) == ("me", "alice", p)
    assert list(bob._objects) == [x_id], "the data stays on bob"
    assert list(alice._objects) == [p]

    shown, _ = run_cell(ns, "bob._objects")
    assert repr(shown) == f"{{{x_id}: tensor([1, 2, 3, 4])}}"
    shown, _ = run_cell(ns, "alice._objects")
    assert repr(shown) == f"{{{p}: (Wrapper)>[PointerTensor | alice:{p} -> bob:{x_id}]}}"

    shown, _ = run_cell(ns, "x_ptr = pointer_to_x_ptr.get()\nx_ptr")
    assert parse(shown) == ("me", p, "bob", x_id), "the same ids as cell 4"
    assert list(bob._objects) == [x_id] and alice._objects == {}

    shown, _ = run_cell(ns, "x = x_ptr.get()\nx")
    assert repr(shown) == "tensor([1, 2, 3, 4])"
    assert run_cell(ns, "bob._objects")[0] == {} and run_cell(ns, "alice._objects")[0] == {}

    run_cell(ns, "p2p2x = torch.tensor([1,2,3,4,5]).send(bob).send(alice)\n\ny = p2p2x + p2p2x")
    assert len(bob._objects) == 2 and len(alice._objects) == 2
    t_id, r_id = list(bob._objects)
    assert repr(bob._objects[t_id]) == "tensor([1, 2, 3, 4, 5])"
    assert repr(bob._objects[r_id]) == "tensor([ 2,  4,  6,  8, 10])"
    p1, p2 = list(alice._objects)
    assert repr(alice._objects[p1]) == f"(Wrapper)>[PointerTensor | alice:{p1} -> bob:{t_id}]"
    assert repr(alice._objects[p2]) == f"(Wrapper)>[PointerTensor | alice:{p2} -> bob:{r_id}]"
    assert parse(ns["y"])[2:] == ("alice", p2)
    assert ns["hook"].local_worker._objects == {}

    shown, _ = run_cell(ns, "y.get().get()")
    assert repr(shown) == "tensor([ 2,  4,  6,  8, 10])"
    assert list(bob._objects) == [t_id] and list(alice._objects) == [p1]

    shown, _ = run_cell(ns, "p2p2x.get().get()")
    assert repr(shown) == "tensor([1, 2, 3, 4, 5])"
    assert bob._objects == {} and alice._objects == {}

    run_cell(
        ns,
        "# x is now a pointer to the data which lives on Bob's machine\nx = torch.tensor([1,2,3,4,5]).send(bob)",
    )
    _, before_id, _, t2 = parse(ns["x"])
    _, printed = run_cell(ns, "print('  bob:', bob._objects)\nprint('alice:',alice._objects)")
    assert printed == f"  bob: {{{t2}: tensor([1, 2, 3, 4, 5])}}\nalice: {{}}\n"

    shown, _ = run_cell(ns, "x = x.move(alice)")
    assert shown is None
    _, printed = run_cell(ns, "print('  bob:', bob._objects)\nprint('alice:',alice._objects)")
    assert printed == f"  bob: {{}}\nalice: {{{t2}: tensor([1, 2, 3, 4, 5])}}\n"

    shown, _ = run_cell(ns, "x")
    assert parse(shown) == ("me", before_id, "alice", t2), "same pointer id; only the location changed"
    assert ns["x"].location is alice
    assert repr(ns["x"].get()) == "tensor([1, 2, 3, 4, 5])"
    assert alice._objects == {} and bob._objects == {}
