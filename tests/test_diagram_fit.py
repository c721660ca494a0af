"""Pictures that stay readable at any size (issue 14): summarised stores, folded collections, expansion.

Every world here is built by the real core (tensors sent to four workers, a ``move`` recorded), and
the learner's collections are found by the same function the live view uses.
"""

from __future__ import annotations

import gc
import re
import time
from typing import Any

import pytest
import torch

import syft_widgets as sy
from syft_widgets.diagram import narrate, to_dot
from syft_widgets.diagram.collections import PointerCollection
from syft_widgets.diagram.ids import worker_slug
from syft_widgets.events import MessageSent, Step
from syft_widgets.widgets import _hub
from syft_widgets.widgets._drawing import pointer_names
from syft_widgets.widgets._hub import LiveHub, pointer_collections
from syft_widgets.world import BURST_WINDOW
from tests.dot_reader import HAVE_DOT, Dot, label_text, parse_dot, render_svg

WORKERS = 4
# What the live view has for one picture (the output area's width, a screen's height), in CSS px.
SCREEN_PX = (1300, 900)
SMALLEST_FONT_PT = 10  # edge labels; nodes use 11 pt


def end_of_loop() -> None:
    """Close the batch a fast loop is grouped into and wait out the burst: the next step is its own."""
    sy.WORLD.flush_steps()
    time.sleep(BURST_WINDOW + 0.05)


def last(steps: list[Step], op: str) -> Step:
    sy.WORLD.flush_steps()  # steps of a fast loop are grouped and recorded on flush
    return [s for s in steps if s.op == op][-1]


@pytest.fixture(autouse=True)
def earlier_pointers_collected() -> None:
    """Pointers an earlier test left in reference cycles are collected: me's box starts empty."""
    gc.collect()


@pytest.fixture
def workers(env) -> list[Any]:
    return [sy.VirtualWorker(env.hook, id=f"w{i}") for i in range(WORKERS)]


def loop_world(workers: list[Any], steps: list[Step], objects: int) -> tuple[dict[str, Any], Step]:
    """A learner's loop: ``objects`` tensors sent round-robin into ``ptrs``, then one ``move``.

    Returns the learner's namespace (as IPython's ``user_ns`` would hold it) and the move's step.
    """
    ptrs = [torch.tensor([i, i + 1]).send(workers[i % len(workers)]) for i in range(objects)]
    x_ptr = torch.tensor([1.0, 2.0, 3.0]).send(workers[2])
    end_of_loop()
    ptrs[0] = ptrs[0].move(workers[1])
    return {"ptrs": ptrs, "x_ptr": x_ptr}, last(steps, "move")


def draw(ns: dict[str, Any], step: Step, **kwargs: Any) -> str:
    kwargs.setdefault("legend", False)
    return to_dot(
        step.snapshot, step=step, names=pointer_names(ns), collections=pointer_collections(ns), **kwargs
    )


def expandable(dot: Dot) -> dict[str, set[str]]:
    """Node id -> classes of every node the front end can click to expand or fold."""
    return {a["id"]: dot.classes(n) for n, a in dot.nodes.items() if "sw-expandable" in dot.classes(n)}


def summary_counts(label: str) -> list[int]:
    """The counts a summary node's lines start with (``4,961 more tensors · …``)."""
    return [int(re.match(r"([\d,]+) more", line)[1].replace(",", "")) for line in label_text(label)]


# ---- the picture fits ---------------------------------------------------------------------------


@pytest.mark.skipif(not HAVE_DOT, reason="the dot program is not installed")
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_a_thousand_objects_on_four_workers_fit_one_screen_with_legible_text(workers, steps, lang) -> None:
    ns, step = loop_world(workers, steps, 1000)
    check_fits_one_screen(draw(ns, step, lang=lang))


@pytest.mark.skipif(not HAVE_DOT, reason="the dot program is not installed")
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_unfolding_a_list_of_a_thousand_pointers_still_fits_one_screen(workers, steps, lang) -> None:
    ns, step = loop_world(workers, steps, 1000)
    dot = draw(ns, step, lang=lang, expanded=["collection:ptrs"])
    check_fits_one_screen(dot)
    drawn = parse_dot(dot)
    # every worker still gets its pointers' arrows: two of ptrs's pointers into each
    targets = {
        drawn.cluster_of[h] for t, h, _a in drawn.edges if t.startswith("obj_") and h in drawn.cluster_of
    }
    assert {f"cluster_w{i}" for i in range(WORKERS)} <= targets
    pointers = [n for n in drawn.nodes if "pointer" in drawn.classes(n)]
    assert len(pointers) == WORKERS + 1  # one per worker, and x_ptr (a variable of its own)


def check_fits_one_screen(dot: str) -> None:
    svg = render_svg(dot)
    width_px, height_px = (float(svg.get(k).removesuffix("pt")) * 4 / 3 for k in ("width", "height"))
    assert 1 / 3 <= width_px / height_px <= 3, f"{width_px:.0f} × {height_px:.0f} px"
    # The front end scales the picture down to fit (never up); the smallest text must stay >= 10 px.
    scale = min(1.0, SCREEN_PX[0] / width_px, SCREEN_PX[1] / height_px)
    assert SMALLEST_FONT_PT * 4 / 3 * scale >= 10, (
        f"{width_px:.0f} × {height_px:.0f} px needs scale {scale:.2f}"
    )
    titles = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}title")}
    assert {"cluster_me", *(f"cluster_w{i}" for i in range(WORKERS))} <= titles


def test_node_count_depends_on_the_limit_not_on_the_world(workers, steps) -> None:
    counts, boxes = [], {}
    for objects in (100, 1000):
        ns, step = loop_world(workers, steps, objects)
        dot = parse_dot(draw(ns, step))
        counts.append(len(dot.nodes))
        boxes = {c: len(dot.in_cluster(c)) for c in dot.clusters}
        del ns, step  # the learner drops the first world's pointers and starts again
        gc.collect()
        for w in workers:
            w.clear_objects()
    assert counts[0] == counts[1]
    # (limit + anchor) per worker's box (the fixture's bob, alice… are empty boxes), and the ptrs node
    assert counts[1] <= len(boxes) * (8 + 1) + 1, boxes


def test_a_summarised_store_is_laid_out_in_rows_not_one_column(workers, steps) -> None:
    ns, step = loop_world(workers, steps, 200)
    dot = parse_dot(draw(ns, step))
    rows = [
        (t, h) for t, h, a in dot.edges if a.get("style") == "invis" and dot.cluster_of[t] == "cluster_w3"
    ]
    assert len(rows) == 6  # 8 nodes in rows of 4: three invisible links per row


# ---- stores summarise ----------------------------------------------------------------------------


def test_summary_counts_every_object_it_hides_by_kind_shape_and_dtype(env, steps) -> None:
    kept = [torch.tensor([i, i]).send(env.bob) for i in range(20)]
    kept += [torch.zeros(2, 3).send(env.bob) for _ in range(5)]
    kept += [torch.tensor([7]).send(env.alice).send(env.bob) for _ in range(2)]  # bob holds pointers
    end_of_loop()
    kept.append(torch.tensor([7]).send(env.alice).send(env.bob))
    step = last(steps, "send")
    dot = parse_dot(to_dot(step.snapshot, step=step, legend=False))
    shown = {int(n.removeprefix("obj_")) for n in dot.in_cluster("cluster_bob") if n.startswith("obj_")}
    hidden = [o for o in step.snapshot.worker("bob").objects if o.id not in shown]
    assert len(shown) == 7 and len(hidden) == len(step.snapshot.worker("bob").objects) - 7
    # one line per kind, shape and dtype, largest first; pointers are counted by kind alone
    expected = {
        "20 more tensors · 2 · int64": sum(o.shape == (2,) for o in hidden),
        "1 more tensor · 2×3 · float32": sum(o.shape == (2, 3) for o in hidden),
    }
    assert label_text(dot.nodes["expand_store_bob"]["label"]) == [k for k, n in expected.items() if n]
    assert sum(summary_counts(dot.nodes["expand_store_bob"]["label"])) == len(hidden)
    # the last step's pointer is among the shown: the step added it
    assert "added" in dot.classes(f"obj_{kept[-1].id_at_location}")
    del kept


def test_summary_is_bilingual_with_the_locales_digits(workers, steps) -> None:
    ns, step = loop_world(workers, steps, 1000)
    bn = parse_dot(draw(ns, step, lang="bn"))
    en = parse_dot(draw(ns, step, lang="en"))
    assert label_text(en.nodes["expand_store_w3"]["label"]) == ["243 more tensors · 2 · int64"]
    assert label_text(bn.nodes["expand_store_w3"]["label"]) == ["আরও ২৪৩টি টেন্সর · ২ · int64"]
    assert label_text(bn.nodes["collection_ptrs"]["label"]) == ["ptrs", "list (১,০০০টি)", "১,০০০টি পয়েন্টার"]


def test_the_last_steps_change_is_drawn_in_a_summarised_store(workers, steps) -> None:
    ns, step = loop_world(workers, steps, 1000)
    dot = parse_dot(draw(ns, step))
    moved = ns["ptrs"][0].id_at_location
    assert dot.cluster_of[f"obj_{moved}"] == "cluster_w1"
    assert "moved" in dot.classes(f"obj_{moved}")
    # ...and the pointer the learner moved it with, named after its place in the list
    (pointer,) = [n for n, a in dot.nodes.items() if label_text(a.get("label", ""))[0] == "ptrs[0]"]
    assert dot.edges_between(pointer, f"obj_{moved}")


# ---- collections are one thing -------------------------------------------------------------------


def test_a_list_of_pointers_is_one_node_with_one_arrow_per_worker(workers, steps) -> None:
    ns, step = loop_world(workers, steps, 200)
    dot = parse_dot(draw(ns, step))
    assert label_text(dot.nodes["collection_ptrs"]["label"]) == ["ptrs", "list of 200", "200 pointers"]
    assert dot.cluster_of["collection_ptrs"] == "cluster_me"
    bundles = {dot.cluster_of[h]: a["label"] for t, h, a in dot.edges if t == "collection_ptrs"}
    assert bundles == {"cluster_w0": "×49", "cluster_w1": "×51", "cluster_w2": "×50", "cluster_w3": "×50"}
    assert all(a["lhead"] == dot.cluster_of[h] for t, h, a in dot.edges if t == "collection_ptrs")
    # me holds the list node, ptrs[0] (the step moved its target) and x_ptr (a variable of its own)
    me_pointers = [n for n in dot.in_cluster("cluster_me") if "pointer" in dot.classes(n)]
    names = sorted(label_text(dot.nodes[n]["label"])[0] for n in me_pointers)
    assert names == ["ptrs[0]", "x_ptr"]


def test_part4_list_of_data_target_pairs_is_one_node_and_named_pointers_stay(env, steps) -> None:
    data_bob = torch.tensor([[1.0, 1]]).send(env.bob)
    target_bob = torch.tensor([[1.0]]).send(env.bob)
    data_alice = torch.tensor([[0.0, 1]]).send(env.alice)
    target_alice = torch.tensor([[0.0]]).send(env.alice)
    datasets = [(data_bob, target_bob), (data_alice, target_alice)]
    ns = {k: v for k, v in locals().items() if k not in ("env", "steps")}
    step = last(steps, "send")
    dot = parse_dot(draw(ns, step))
    assert label_text(dot.nodes["collection_datasets"]["label"]) == ["datasets", "list of 2", "4 pointers"]
    bundles = {dot.cluster_of[h]: a["label"] for t, h, a in dot.edges if t == "collection_datasets"}
    assert bundles == {"cluster_bob": "×2", "cluster_alice": "×2"}
    names = {label_text(dot.nodes[f"obj_{p.id}"]["label"])[0] for p in (data_bob, target_bob, data_alice)}
    assert names == {"data_bob", "target_bob", "data_alice"}


def test_a_collection_of_three_pointers_stays_drawn_one_by_one(env, steps) -> None:
    pair = {"x": torch.tensor([1]).send(env.bob), "y": torch.tensor([2]).send(env.alice)}
    step = last(steps, "send")
    dot = parse_dot(draw({"pair": pair}, step))
    assert "collection_pair" not in dot.nodes
    assert {label_text(dot.nodes[f"obj_{p.id}"]["label"])[0] for p in pair.values()} == {
        "pair['x']",
        "pair['y']",
    }


def test_a_list_of_models_sent_away_is_one_node_and_their_boxes_fold_with_it(workers, steps) -> None:
    models = [torch.nn.Linear(2, 1).send(workers[i % WORKERS]) for i in range(12)]
    step = last(steps, "send_module")
    dot = parse_dot(draw({"models": models}, step))
    assert label_text(dot.nodes["collection_models"]["label"]) == ["models", "list of 12", "24 pointers"]
    bundles = {dot.cluster_of[h]: a["label"] for t, h, a in dot.edges if t == "collection_models"}
    assert bundles == {f"cluster_w{i}": "×6" for i in range(WORKERS)}
    assert not [n for n in dot.nodes if "module" in dot.classes(n)], "the models are inside the folder"
    # Unfolded: one model per worker (8 pointers, me's limit), whole models, each with its box; the
    # note in me unfolds every model.
    unfolded = parse_dot(draw({"models": models}, step, expanded=["collection:models"]))
    # models[11], sent last, is drawn too: the step touched it.
    shown = (0, 1, 2, 3, 11)
    assert len([n for n in unfolded.nodes if "module" in unfolded.classes(n)]) == len(shown)
    assert pointer_names_drawn(unfolded) == {f"models[{i}].{p}" for i in shown for p in ("weight", "bias")}
    everything = parse_dot(draw({"models": models}, step, expanded=["collection:models", "store:me"]))
    assert len([n for n in everything.nodes if "module" in everything.classes(n)]) == 12
    assert pointer_names_drawn(everything) == {
        f"models[{i}].{p}" for i in range(12) for p in ("weight", "bias")
    }


def test_a_full_store_of_six_is_laid_out_in_rows_too(env, steps) -> None:
    kept = [torch.tensor([i]).send(env.bob) for i in range(6)]
    step = last(steps, "send")
    dot = parse_dot(to_dot(step.snapshot, step=step, legend=False))
    rows = [a for t, _h, a in dot.edges if a.get("style") == "invis" and dot.cluster_of[t] == "cluster_bob"]
    assert len(rows) == 4  # 6 objects in rows of 4: 3 + 1 links
    assert not [n for n in dot.nodes if "fold" in dot.classes(n)]
    del kept


# ---- expansion: the contract with the front end ----------------------------------------------------


def test_expandable_nodes_carry_the_key_in_their_id_and_the_class(workers, steps) -> None:
    ns, step = loop_world(workers, steps, 200)
    dot = parse_dot(draw(ns, step, id_prefix="v7_"))
    assert expandable(dot) == {
        "v7_expand:collection:ptrs": {"collection", "sw-expandable"},
        **{f"v7_expand:store:w{i}": {"fold", "sw-expandable"} for i in range(WORKERS)},
    }
    ids = dot.all_ids()
    assert len(ids) == len(set(ids)) and all(i.startswith("v7_") for i in ids)


def test_an_expanded_store_is_drawn_in_full_with_a_handle_to_fold_it_again(workers, steps) -> None:
    ns, step = loop_world(workers, steps, 200)
    dot = parse_dot(draw(ns, step, expanded=["store:w2"]))
    w2 = step.snapshot.worker("w2")
    assert {n for n in dot.in_cluster("cluster_w2") if n.startswith("obj_")} == {
        f"obj_{o.id}" for o in w2.objects
    }
    assert expandable(dot)["expand:store:w2"] == {"fold", "sw-expandable", "sw-expanded"}
    assert label_text(dot.nodes["expand_store_w2"]["label"]) == ["show fewer"]
    assert expandable(dot)["expand:store:w0"] == {"fold", "sw-expandable"}  # the others stay folded


def pointer_names_drawn(dot: Dot) -> set[str]:
    return {label_text(a["label"])[0] for n, a in dot.nodes.items() if "pointer" in dot.classes(n)}


def test_an_expanded_collection_draws_a_few_pointers_per_worker_named_by_their_place(workers, steps) -> None:
    ns, step = loop_world(workers, steps, 40)
    dot = parse_dot(draw(ns, step, expanded=["collection:ptrs"]))
    # x_ptr (a variable of its own) is always drawn; then one pointer into each worker, the first of
    # the list: ptrs[0] (moved to w1 by the step, so w1 comes first), ptrs[2], ptrs[3], ptrs[4].
    assert pointer_names_drawn(dot) == {"x_ptr", "ptrs[0]", "ptrs[2]", "ptrs[3]", "ptrs[4]"}
    assert expandable(dot)["expand:collection:ptrs"] == {"collection", "sw-expandable", "sw-expanded"}
    assert not [a for t, _h, a in dot.edges if t == "collection_ptrs"], "no bundles once expanded"
    # me's note counts the others and unfolds them all (the key store:me)
    assert expandable(dot)["expand:store:me"] == {"fold", "sw-expandable"}
    assert summary_counts(dot.nodes["expand_store_me"]["label"]) == [40 - 4]
    everything = parse_dot(draw(ns, step, expanded=["collection:ptrs", "store:me"]))
    assert pointer_names_drawn(everything) == {f"ptrs[{i}]" for i in range(40)} | {"x_ptr"}


def test_an_odd_worker_ids_store_key_is_its_slug(env, steps) -> None:
    odd = sy.VirtualWorker(env.hook, id='bob "the" <builder>')
    kept = [torch.tensor([i]).send(odd) for i in range(12)]
    step = last(steps, "send")
    key = f"store:{worker_slug(odd.id)}"
    assert re.fullmatch(r"store:w_[0-9a-f]{8}", key)
    folded = parse_dot(to_dot(step.snapshot, step=step, legend=False))
    assert expandable(folded)[f"expand:{key}"] == {"fold", "sw-expandable"}
    unfolded = parse_dot(to_dot(step.snapshot, step=step, legend=False, expanded=[key]))
    assert expandable(unfolded)[f"expand:{key}"] == {"fold", "sw-expandable", "sw-expanded"}
    del kept


def test_unknown_expansion_keys_change_nothing(workers, steps) -> None:
    ns, step = loop_world(workers, steps, 100)
    assert draw(ns, step, expanded=["store:carol", "collection:gone", "nonsense"]) == draw(ns, step)


# ---- narration and bytes stay exact however much is folded -----------------------------------------


def test_narration_and_message_bytes_are_exact_in_a_folded_world(workers, steps) -> None:
    ns, step = loop_world(workers, steps, 200)
    moved = ns["ptrs"][0].id_at_location
    assert narrate(step) == f"me moved tensor #{moved} from w0 to w1"
    folded, full = parse_dot(draw(ns, step)), parse_dot(draw(ns, step, max_objects_per_worker=10_000))
    assert folded.messages() == full.messages()
    sent = sum(e.nbytes for e in step.events if isinstance(e, MessageSent))
    shown = sum(int(m[1]) for *_ends, label in folded.messages() if (m := re.search(r"· ([\d,]+) B", label)))
    assert sent > 0 and shown == sent


# ---- finding the learner's collections -------------------------------------------------------------


class Ptr:
    """Stands in for a pointer: pointer_collections tells pointers by type, as pointer_names does."""

    def __init__(self, pid: int) -> None:
        self.id = pid


@pytest.mark.parametrize(
    ("ns", "expected"),
    [
        pytest.param({"ptrs": [Ptr(1), Ptr(2)]}, [("ptrs", "list", 2, (("[0]", 1), ("[1]", 2)))], id="list"),
        pytest.param(
            {"datasets": [(Ptr(1), Ptr(2)), (Ptr(3), Ptr(4))]},
            [("datasets", "list", 2, (("[0][0]", 1), ("[0][1]", 2), ("[1][0]", 3), ("[1][1]", 4)))],
            id="part4-pairs",
        ),
        pytest.param(
            {"d": {"bob": Ptr(1), 2: Ptr(2)}}, [("d", "dict", 2, (("['bob']", 1), ("[2]", 2)))], id="dict"
        ),
        pytest.param({"t": (1, "a", Ptr(5))}, [("t", "tuple", 3, (("[2]", 5),))], id="mixed"),
        pytest.param({"_private": [Ptr(1)], "numbers": [*range(100), Ptr(9)]}, [], id="skipped"),
        pytest.param({"deep": [[[[Ptr(1)]]]]}, [], id="deeper-than-three"),
    ],
)
def test_pointer_collections_are_found_in_the_namespace(ns, expected) -> None:
    found = pointer_collections(ns, pointer_type=Ptr)
    assert [(c.name, c.kind, c.length, c.members) for c in found] == expected


def test_ipythons_own_out_cache_is_not_a_collection() -> None:
    out = {3: Ptr(1), 4: Ptr(2)}
    ns = {"Out": out, "mine": [Ptr(1), Ptr(2)]}
    assert [c.name for c in pointer_collections(ns, hidden={"Out": out}, pointer_type=Ptr)] == ["mine"]


def test_collection_key_is_id_safe() -> None:
    assert PointerCollection("ptrs", "list", 0, ()).key == "collection:ptrs"
    assert re.fullmatch(r"collection:w_[0-9a-f]{8}", PointerCollection("বব", "list", 0, ()).key)


def test_hub_offers_the_collections_of_its_last_push(env, monkeypatch) -> None:
    ptrs = [torch.tensor([i]).send(env.bob) for i in range(5)]

    class Shell:
        def __init__(self) -> None:
            self.user_ns = {"ptrs": ptrs}
            self.user_ns_hidden: dict[str, Any] = {}

    monkeypatch.setattr(_hub, "_ipython", Shell)
    hub = LiveHub(sy.WORLD)
    assert hub.collections == ()
    hub.push()
    [ptrs_found] = hub.collections
    assert [pid for _path, pid in ptrs_found.members] == [p.id for p in ptrs]


# ---- a list only the output cache keeps is not the learner's ------------------------------------------


def test_in_ipython_a_shown_list_rebound_leaves_its_pointers_to_the_cache(env, monkeypatch) -> None:
    import comm
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setattr(comm, "create_comm", lambda *a, **k: type("C", (), {
        "comm_id": "c", "kernel": "k", "open": lambda *a, **k: None, "on_msg": lambda *a, **k: None,
        "send": lambda *a, **k: None, "close": lambda *a, **k: None})())  # fmt: skip
    shell = InteractiveShell.instance()
    try:
        shell.user_ns.update(torch=torch, bob=env.bob, alice=env.alice, sy=sy)
        for source in (
            "view = sy.show()",
            "ptrs = [torch.tensor([i]).send(bob) for i in range(6)]\nptrs",  # shown: Out[n] holds the list
            "pairs = [(torch.tensor([i]).send(alice), torch.tensor([i]).send(alice)) for i in range(3)]\npairs",
            "ptrs = ptrs[:2]\npairs = None",  # rebound: the cache alone holds the old lists
            "kept = torch.tensor([9]).send(bob)",
        ):
            assert shell.run_cell(source, store_history=True).success, source
        old_ptrs, old_pairs = (v for v in shell.user_ns["Out"].values())
        view = shell.user_ns["view"]
        drawn = {p.id for p in view.steps[-1].snapshot.worker("me").pointers}
        still_held = {p.id for p in shell.user_ns["ptrs"]} | {shell.user_ns["kept"].id}
        only_cached = {p.id for p in old_ptrs[2:]} | {p.id for pair in old_pairs for p in pair}
        assert still_held <= drawn
        assert not only_cached & drawn
        assert all(p.is_live_pointer for p in old_ptrs), "the cache keeps them alive; they are just not drawn"
        assert [c.name for c in view._hub.collections] == ["ptrs"]
    finally:
        if "view" in shell.user_ns:
            shell.user_ns["view"].close()  # even when an assertion failed: no view may outlive its test
        shell.reset(new_session=False)
        shell.user_ns.clear()
        InteractiveShell.clear_instance()
