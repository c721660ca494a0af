"""The diagram of the Part 3 tutorial, step by step, read back from the DOT text."""

from __future__ import annotations

import pytest

from syft_widgets.diagram import to_dot
from syft_widgets.diagram.samples import (
    TUTORIAL_NAMES,
    pointer,
    synthetic_snapshot,
    synthetic_step,
    tensor,
    tutorial_steps,
)
from syft_widgets.events import MessageSent, ObjectChanged, ObjectRemoved, ObjectStored, Step
from syft_widgets.snapshot import WorkerView, WorldSnapshot
from tests.test_diagram_support import HAVE_DOT, label_text, parse_dot, render_svg, svg_texts

STEPS = tutorial_steps()
SEND_X, SEND_X_PTR, GET_X_PTR, GET_X, _, _, ADD, GET_Y, GET_Y2, _, MOVE, SEND_MODULE, GC = range(13)


def draw(index: int, **kwargs):
    step = STEPS[index]
    kwargs.setdefault("names", TUTORIAL_NAMES)
    return parse_dot(to_dot(step.snapshot, step=step, **kwargs))


def messages(dot):
    """(sender's cluster, receiver's cluster, label) of every message arrow, in order."""
    return dot.messages()


def test_clusters_follow_snapshot_order_with_me_first():
    dot = draw(SEND_X)
    workers = [name for name in dot.clusters if name != "cluster_legend"]
    assert workers == ["cluster_me", "cluster_bob", "cluster_alice"]
    assert {dot.clusters[c]["id"] for c in workers} == {"cluster_me", "cluster_bob", "cluster_alice"}


def test_send_puts_tensor_on_bob_highlighted_and_pointer_on_me():
    dot = draw(SEND_X)
    assert "obj_101" in dot.in_cluster("cluster_bob")
    assert dot.classes("obj_101") == {"tensor", "added"}
    assert label_text(dot.nodes["obj_101"]["label"]) == ["tensor #101", "[1, 2, 3, 4]", "4 · int64"]
    assert dot.cluster_of["obj_201"] == "cluster_me"
    assert label_text(dot.nodes["obj_201"]["label"]) == ["x_ptr", "pointer #201", "→ bob:101"]
    assert dot.edges_between("obj_201", "obj_101")
    assert messages(dot) == [("cluster_me", "cluster_bob", "send object · 32 B")]


def test_sending_a_pointer_draws_the_chain_me_alice_bob():
    dot = draw(SEND_X_PTR)
    # alice stores the pointer under its own id; me's x_ptr has the same id and gets a longer node id
    assert dot.cluster_of["obj_201"] == "cluster_alice"
    assert dot.classes("obj_201") == {"pointer", "added"}
    assert dot.cluster_of["obj_201_me"] == "cluster_me"
    assert dot.cluster_of["obj_202"] == "cluster_me"
    assert label_text(dot.nodes["obj_202"]["label"])[0] == "pointer_to_x_ptr"
    assert dot.edges_between("obj_202", "obj_201")  # me → alice
    assert dot.edges_between("obj_201", "obj_101")  # alice → bob
    assert "x_ptr" not in dot.nodes["obj_201"]["label"], "names belong to the local worker's pointers only"
    assert messages(dot) == [("cluster_me", "cluster_alice", "send object")]


def test_pointer_to_pointer_add_shows_two_hops_and_new_objects():
    dot = draw(ADD)
    assert messages(dot) == [
        ("cluster_me", "cluster_alice", "__add__"),
        ("cluster_alice", "cluster_bob", "__add__"),
    ]
    assert dot.cluster_of["obj_105"] == "cluster_bob"
    assert dot.classes("obj_105") == {"tensor", "added"}
    assert dot.cluster_of["obj_104"] == "cluster_alice"
    assert dot.classes("obj_104") == {"pointer", "added"}
    assert dot.edges_between("obj_206", "obj_104")
    assert dot.edges_between("obj_104", "obj_105")


def test_first_get_brings_alices_pointer_home_as_a_move():
    dot = draw(GET_Y)
    assert dot.cluster_of["obj_104"] == "cluster_me"
    assert dot.classes("obj_104") == {"pointer", "moved"}
    assert not [n for n in dot.nodes if "removed" in dot.classes(n) and not n.startswith("legend")]
    assert messages(dot) == [("cluster_me", "cluster_alice", "request object")]


def test_second_get_leaves_a_ghost_where_the_tensor_was():
    dot = draw(GET_Y2)
    assert dot.cluster_of["obj_105"] == "cluster_bob"
    assert dot.classes("obj_105") == {"tensor", "removed"}
    assert "dashed" in dot.nodes["obj_105"]["style"]
    assert label_text(dot.nodes["obj_105"]["label"]) == ["tensor #105", "removed"]
    assert messages(dot) == [("cluster_me", "cluster_bob", "request object · 40 B")]


def test_move_goes_from_bob_to_alice_without_passing_through_me():
    before, after = draw(MOVE - 1), draw(MOVE)
    assert before.cluster_of["obj_107"] == "cluster_bob"
    assert after.cluster_of["obj_107"] == "cluster_alice"  # same node id: the browser animates the move
    assert after.classes("obj_107") == {"tensor", "moved"}
    assert "obj_107" not in after.in_cluster("cluster_bob")
    assert messages(after) == [
        ("cluster_me", "cluster_bob", "remote_send"),
        ("cluster_bob", "cluster_alice", "send object · 40 B"),
    ]
    assert after.edges_between("obj_208", "obj_107")


def test_module_is_drawn_on_me_with_edges_to_its_parameter_pointers():
    dot = draw(SEND_MODULE)
    assert dot.cluster_of["module_300"] == "cluster_me"
    assert label_text(dot.nodes["module_300"]["label"]) == ["Linear", "module #300", "→ bob"]
    assert [a["label"] for a in dot.edges_between("module_300", "obj_311")] == ["weight"]
    assert [a["label"] for a in dot.edges_between("module_300", "obj_312")] == ["bias"]
    assert dot.classes("obj_301") == {"parameter", "added"}
    assert "requires_grad" in dot.nodes["obj_301"]["label"]
    assert dot.edges_between("obj_311", "obj_301")


@pytest.mark.parametrize("index", range(len(STEPS)), ids=[f"{s.index}-{s.op}" for s in STEPS])
def test_every_node_edge_and_cluster_has_a_unique_prefixed_id(index):
    step = STEPS[index]
    dot = parse_dot(to_dot(step.snapshot, step=step, names=TUTORIAL_NAMES, id_prefix="v7_"))
    ids = dot.all_ids()
    assert len(ids) == len(set(ids))
    assert all(i.startswith("v7_") for i in ids)
    assert all(name.startswith("cluster_") for name in dot.clusters)
    assert set(dot.nodes) == {a["id"] for a in dot.nodes.values()}, "node names equal their ids"


@pytest.mark.parametrize("index", range(len(STEPS)), ids=[f"{s.index}-{s.op}" for s in STEPS])
def test_every_tutorial_step_lays_out_with_dot(index):
    if not HAVE_DOT:
        pytest.skip("the dot program is not installed")
    step = STEPS[index]
    for lang in ("en", "bn"):
        render_svg(to_dot(step.snapshot, step=step, names=TUTORIAL_NAMES, lang=lang))


def test_bengali_diagram_uses_catalog_words():
    dot = draw(GET_Y2, lang="bn")
    assert label_text(dot.nodes["obj_105"]["label"]) == ["টেন্সর #105", "মুছে গেছে"]
    assert messages(dot) == [("cluster_me", "cluster_bob", "অবজেক্ট চাওয়া · ৪০ বাইট")]
    assert dot.clusters["cluster_legend"]["label"] == "চিহ্নের ব্যাখ্যা"


def test_legend_explains_kinds_and_highlights_and_can_be_left_out():
    dot = draw(SEND_X)
    legend = {
        label_text(dot.nodes[n]["label"])[0]
        for n in dot.in_cluster("cluster_legend")
        if dot.nodes[n].get("label")
    }
    assert legend == {
        "tensor",
        "parameter",
        "pointer",
        "module",
        "added",
        "moved",
        "changed",
        "removed",
        "offline",
    }
    assert any(a.get("label") == "message" for _, _, a in dot.edges)
    assert "cluster_legend" not in draw(SEND_X, legend=False).clusters


def test_offline_worker_is_dashed_and_labelled():
    snap = WorldSnapshot((WorkerView("me", "local", True, ()), WorkerView("bob", "virtual", False, ())))
    dot = parse_dot(to_dot(snap, lang="bn"))
    assert "dashed" in dot.clusters["cluster_bob"]["style"]
    assert dot.clusters["cluster_bob"]["label"] == "bob (অফলাইন)"


def test_large_store_folds_but_keeps_what_the_step_touched():
    snap = synthetic_snapshot(10_000, workers=2, pointers=20)
    dot = parse_dot(to_dot(snap, step=synthetic_step(snap), max_objects_per_worker=40))
    w0 = {n for n in dot.in_cluster("cluster_w0") if n.startswith("obj_")}
    assert len(w0) == 41  # the first 40 and the object the step just added
    assert dot.classes(f"obj_{snap.workers[1].objects[-1].id}") == {"tensor", "added"}
    assert label_text(dot.nodes["more_w0"]["label"]) == ["… and 4,959 more"]
    # pointers whose target is folded away point at the fold note
    assert any(h == "more_w0" for t, h, _ in dot.edges if t.startswith("obj_1"))


def test_fold_note_is_translated():
    snap = synthetic_snapshot(100, workers=1, pointers=0)
    dot = parse_dot(to_dot(snap, lang="bn", max_objects_per_worker=10))
    assert label_text(dot.nodes["more_w0"]["label"]) == ["… আরও ৯০টি"]


@pytest.mark.parametrize(
    ("target", "where"),
    [
        pytest.param(pointer(9, "bob", 12345), "cluster_bob", id="missing-object"),
        pytest.param(pointer(9, "carol", 1), None, id="unknown-worker"),
    ],
)
def test_pointer_without_target_gets_a_dangling_marker(target, where):
    snap = WorldSnapshot(
        (WorkerView("me", "local", True, (), (target,)), WorkerView("bob", "virtual", True, ()))
    )
    dot = parse_dot(to_dot(snap))
    [(_, head, attrs)] = [e for e in dot.edges if e[0] == "obj_9"]
    assert "dangling" in dot.classes(head)
    assert dot.cluster_of[head] == where
    assert attrs["style"] == "dashed"
    assert label_text(dot.nodes[head]["label"])[1] == "missing target"


def test_changed_and_duplicate_objects_are_highlighted_and_kept_apart():
    t = tensor(5, [1.5], dtype="float32")
    snap = WorldSnapshot(
        (
            WorkerView("me", "local", True, ()),
            WorkerView("bob", "virtual", True, (t,)),
            WorkerView("alice", "virtual", True, (t,)),
        )
    )
    step = Step(0, "command", {"func": "add_"}, (ObjectChanged("bob", t),), snap)
    dot = parse_dot(to_dot(snap, step=step))
    assert dot.classes("obj_5") == {"tensor", "changed"}
    assert dot.cluster_of["obj_5"] == "cluster_bob"
    assert dot.cluster_of["obj_5_alice"] == "cluster_alice"
    assert dot.classes("obj_5_alice") == {"tensor"}


def test_message_to_a_worker_missing_from_the_snapshot_gets_a_stand_in():
    snap = WorldSnapshot((WorkerView("me", "local", True, ()),))
    step = Step(0, "send", {}, (MessageSent("me", "ghost", "send object", "send", (1,), "tensor", 8),), snap)
    dot = parse_dot(to_dot(snap, step=step))
    [(tail, head, attrs)] = [e for e in dot.edges if e[2].get("class") == "message"]
    assert (tail, head) == ("anchor_me", "worker_ghost")
    assert "lhead" not in attrs


def test_object_stored_then_removed_in_one_step_is_a_ghost_not_an_addition():
    snap = WorldSnapshot((WorkerView("me", "local", True, ()), WorkerView("bob", "virtual", True, ())))
    events = (ObjectStored("bob", tensor(3, [1])), ObjectRemoved("bob", 3, "tensor", "delete"))
    dot = parse_dot(to_dot(snap, step=Step(0, "command", {}, events, snap)))
    assert dot.classes("obj_3") == {"tensor", "removed"}


def test_unknown_language_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"'fr'.*'en', 'bn'"):
        to_dot(STEPS[0].snapshot, lang="fr")


def test_svg_shows_bengali_labels_as_text():
    if not HAVE_DOT:
        pytest.skip("the dot program is not installed")
    step = STEPS[SEND_X]
    texts = svg_texts(render_svg(to_dot(step.snapshot, step=step, lang="bn", names=TUTORIAL_NAMES)))
    assert "টেন্সর #101" in texts
    assert "x_ptr" in texts
