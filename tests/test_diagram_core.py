"""The diagram and narration of steps recorded by the real core: every event shows up where it happened."""

from __future__ import annotations

from collections.abc import Mapping

import torch

import syft_widgets as sy
from syft_widgets.diagram import narrate, to_dot
from syft_widgets.diagram.ids import worker_slug
from syft_widgets.events import MessageSent, ObjectRemoved, ObjectStored, Step
from tests.dot_reader import Dot, parse_dot, render_svg
from tests.recorded import SeedTutorial


def nodes_for(dot: Dot, obj_id: int, worker: str) -> set[str]:
    """The nodes drawing object ``obj_id`` in ``worker``'s box (``obj_<id>``, or ``obj_<id>_<worker>``)."""
    names = {f"obj_{obj_id}", f"obj_{obj_id}_{worker_slug(worker)}"}
    return {n for n in dot.in_cluster(f"cluster_{worker_slug(worker)}") if n in names}


def assert_drawn_where_it_happened(step: Step, names: Mapping[int, str] | None = None) -> None:
    """Read from the core's events alone: the messages from one worker to another one arrow between
    the right boxes, in the order of their first message;
    each stored object a node in its worker's box; each removal a ghost there, or the same id drawn
    as moved into another box (a pointer fetched home, a tensor moved on)."""
    dot = parse_dot(to_dot(step.snapshot, step=step, names=names))
    where = f"step {step.index} ({step.op})"
    sent = [e for e in step.events if isinstance(e, MessageSent)]
    pairs = [(f"cluster_{worker_slug(m.sender)}", f"cluster_{worker_slug(m.receiver)}") for m in sent]
    assert [(t, h) for t, h, _ in dot.messages()] == list(dict.fromkeys(pairs)), where
    stored = {(e.worker, e.obj.id) for e in step.events if isinstance(e, ObjectStored)}
    for worker, obj_id in stored:
        assert nodes_for(dot, obj_id, worker), f"{where}: {obj_id} not drawn on {worker}"
    for e in step.events:
        if isinstance(e, ObjectRemoved) and (e.worker, e.obj_id) not in stored:
            ghosts = [n for n in nodes_for(dot, e.obj_id, e.worker) if "removed" in dot.classes(n)]
            arrived = [  # fetched or moved: the same id drawn "moved" in another box
                n
                for n in (f"obj_{e.obj_id}", f"obj_{e.obj_id}_me")
                if n in dot.nodes
                and dot.cluster_of[n] != f"cluster_{worker_slug(e.worker)}"
                and "moved" in dot.classes(n)
            ]
            assert len(ghosts) + len(arrived) == 1, f"{where}: {e} drawn as {ghosts} {arrived}"


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
