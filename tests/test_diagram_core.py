"""The diagram and narration of steps recorded by the real core: every event shows up where it happened."""

from __future__ import annotations

import torch

import syft_widgets as sy
from syft_widgets.diagram import narrate, to_dot
from syft_widgets.events import MessageSent
from tests.dot_reader import parse_dot, render_svg
from tests.helpers import assert_drawn_where_it_happened
from tests.recorded import SeedTutorial


def test_every_event_of_every_seed_step_is_drawn_where_it_happened(seed_tutorial: SeedTutorial) -> None:
    for r in seed_tutorial:
        assert [e for e in r.step.events if isinstance(e, MessageSent)], f"{r.cell}: no message"
        assert_drawn_where_it_happened(r.step, r.names)


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
    assert narrate(move) == f"me moved tensor #{x.id_at_location} from diag_bob to diag_alice"
    assert (
        narrate(move, "bn") == f"me diag_bob-এর কাছ থেকে টেন্সর #{x.id_at_location} diag_alice-এর কাছে সরিয়েছে"
    )
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
