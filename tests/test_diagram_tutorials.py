"""Every step of tutorials Parts 1, 2 and 4, recorded by the real core, draws and narrates in both
languages, and the pictures put each object in the right worker's box."""

from __future__ import annotations

from syft_widgets.diagram import narrate, to_dot
from syft_widgets.events import Step
from syft_widgets.world import WORLD
from tests.dot_reader import parse_dot, render_svg
from tests.helpers import DATA_OLD, SETUP, TRAIN_OLD, assert_drawn_where_it_happened, run_cell
from tests.helpers import PART4_CELLS as PART4


def clusters(dot: str) -> dict[str, set[str]]:
    """Which object nodes each worker's cluster holds, read from the DOT text."""
    parsed = parse_dot(dot)
    return {
        name.removeprefix("cluster_"): {n for n in parsed.in_cluster(name) if n.startswith("obj_")}
        for name in parsed.clusters
    }


def check_every_step(steps: list[Step]) -> None:
    """Every step draws every one of its events where it happened, lays out cleanly, and is told."""
    assert steps
    for step in steps:
        assert_drawn_where_it_happened(step)
        for lang in ("en", "bn"):
            render_svg(to_dot(step.snapshot, step=step, lang=lang))
            assert narrate(step, lang).strip()


def cell(ns: dict, source: str) -> None:
    """Run a cell; its end closes any batch of grouped steps, as the live view does in Jupyter."""
    run_cell(ns, source)
    WORLD.flush_steps()


def test_part1_steps_draw_in_both_languages(steps) -> None:
    ns: dict = {}
    cell(ns, "import torch\nimport syft_widgets as sy\nhook = sy.TorchHook(torch)")
    cell(ns, 'bob = sy.VirtualWorker(hook, id="bob")\nx = torch.tensor([1,2,3,4,5]).send(bob)\ny = x + x')
    cell(ns, "z = (x + y).sum()\nz.get()")
    check_every_step(steps)
    last = steps[-1]
    bob_nodes = clusters(to_dot(last.snapshot, step=last))["bob"]
    assert f"obj_{ns['x'].id_at_location}" in bob_nodes and f"obj_{ns['y'].id_at_location}" in bob_nodes


def test_part2_training_draws_the_model_visiting_each_worker(steps) -> None:
    ns: dict = {}
    cell(ns, SETUP + DATA_OLD)
    cell(ns, TRAIN_OLD.replace("range(10)", "range(1)"))
    check_every_step(steps)
    sends = [s for s in steps if s.op == "send_module"]
    assert [s.detail["destination"] for s in sends] == ["bob", "alice"]
    assert any("Linear" in narrate(s) for s in sends)


def test_part4_moves_both_models_to_the_secure_worker_box(steps) -> None:
    ns: dict = {}
    for source, _ in PART4[:7]:
        cell(ns, source.replace("range(10)", "range(2)"))
    check_every_step(steps)
    moved = [s for s in steps if s.op == "move_module"]
    assert [s.detail["source"] for s in moved] == ["alice", "bob"]
    boxes = clusters(to_dot(moved[-1].snapshot, step=moved[-1]))
    for model in ("alices_model", "bobs_model"):
        for p in ns[model].parameters():
            assert f"obj_{p.id_at_location}" in boxes["secure_worker"]
    messages = {
        (e.sender, e.receiver) for e in moved[-1].events if type(e).__name__ == "MessageSent" and e.nbytes
    }
    assert messages == {("bob", "secure_worker")}, "the parameters travel bob → secure_worker directly"
