"""The diagram and narration of steps steps by the real core, for the seed tutorial's cells."""

from __future__ import annotations

import torch

import syft_widgets as sy
from syft_widgets.diagram import narrate, to_dot
from tests.test_diagram_support import parse_dot, render_svg


def test_move_of_the_seed_tutorial_is_drawn_and_told(steps):
    hook = sy.TorchHook(torch)
    bob = sy.VirtualWorker(hook, id="diag_bob")
    alice = sy.VirtualWorker(hook, id="diag_alice")
    x = torch.tensor([1, 2, 3, 4, 5]).send(bob)
    x = x.move(alice)
    move = steps[-1]
    assert move.op == "move"
    dot = parse_dot(to_dot(move.snapshot, step=move))
    node = f"obj_{x.id_at_location}"
    assert dot.cluster_of[node] == "cluster_diag_alice"
    assert "moved" in dot.classes(node)
    assert narrate(move) == f"diag_bob sent tensor #{x.id_at_location} to diag_alice"
    assert narrate(move, "bn") == f"diag_bob diag_alice-কে টেন্সর #{x.id_at_location} পাঠিয়েছে"
    del x


def test_every_step_of_a_pointer_chain_draws(steps):
    hook = sy.TorchHook(torch)
    bob = sy.VirtualWorker(hook, id="diag_bob2")
    alice = sy.VirtualWorker(hook, id="diag_alice2")
    p2p2x = torch.tensor([1, 2, 3, 4, 5]).send(bob).send(alice)
    y = p2p2x + p2p2x
    assert y.get().get().tolist() == [2, 4, 6, 8, 10]
    ops = [s.op for s in steps]
    assert ops[-4:] == ["send", "command", "get", "get"]
    for step in steps:
        source = to_dot(step.snapshot, step=step, lang="bn", id_prefix="t_")
        parse_dot(source)
        assert narrate(step, "bn")
        render_svg(source)  # skips the test when the dot program is missing
