"""The diagram of the Part 3 tutorial, step by step, read back from the DOT text.

The tutorial's steps are recorded from the real core (tests/recorded.py); ids are the real ones.
"""

from __future__ import annotations

import re

import pytest

from syft_widgets.diagram import to_dot
from syft_widgets.diagram.words import translator
from syft_widgets.events import MessageSent, ObjectChanged, ObjectRemoved, ObjectStored, Step
from syft_widgets.snapshot import WorkerView, WorldSnapshot
from tests.builders import pointer, synthetic_snapshot, synthetic_step, tensor
from tests.dot_reader import label_text, parse_dot, render_svg, svg_texts
from tests.recorded import SEED_CELLS, Recorded, SeedTutorial

ME, BOB, ALICE = "cluster_me", "cluster_bob", "cluster_alice"
BENGALI = re.compile("[\u0980-\u09ff]")


def draw(r: Recorded, **kwargs):
    kwargs.setdefault("names", r.names)
    return parse_dot(to_dot(r.step.snapshot, step=r.step, **kwargs))


def held_by(r: Recorded, worker: str, obj_id: int):
    """The view of object ``obj_id`` in ``worker``'s store in the step's snapshot (core data)."""
    [found] = [o for o in r.step.snapshot.worker(worker).objects if o.id == obj_id]
    return found


def test_clusters_follow_snapshot_order_with_me_first(seed_tutorial: SeedTutorial):
    dot = draw(seed_tutorial.last("send x"))
    workers = [name for name in dot.clusters if name != "cluster_legend"]
    assert workers == [ME, BOB, ALICE]
    assert [dot.clusters[c]["id"] for c in workers] == workers


def test_send_puts_tensor_on_bob_highlighted_and_pointer_on_me(seed_tutorial: SeedTutorial):
    r = seed_tutorial.last("send x")
    x_ptr = r.pointers["x_ptr"]
    x, p = f"obj_{x_ptr.id_at_location}", f"obj_{x_ptr.id}"
    dot = draw(r)
    assert dot.cluster_of[x] == BOB
    assert dot.classes(x) == {"tensor", "added"}
    assert label_text(dot.nodes[x]["label"]) == [
        f"tensor #{x_ptr.id_at_location}",
        "[1, 2, 3, 4]",
        "4 · int64",
    ]
    assert dot.cluster_of[p] == ME
    assert label_text(dot.nodes[p]["label"]) == [
        "x_ptr",
        f"pointer #{x_ptr.id}",
        f"→ bob:{x_ptr.id_at_location}",
    ]
    assert dot.edges_between(p, x)
    assert dot.messages() == [(ME, BOB, "send object · 32 B")]


def test_sending_a_pointer_draws_the_chain_me_alice_bob(seed_tutorial: SeedTutorial):
    r = seed_tutorial.last("send pointer")
    x_ptr, outer = r.pointers["x_ptr"], r.pointers["pointer_to_x_ptr"]
    assert (outer.location, outer.id_at_location) == ("alice", x_ptr.id)
    dot = draw(r)
    # alice stores the pointer under its own id; me's x_ptr has the same id and gets a longer node id
    on_alice, x = f"obj_{x_ptr.id}", f"obj_{x_ptr.id_at_location}"
    assert dot.cluster_of[on_alice] == ALICE
    assert dot.classes(on_alice) == {"pointer", "added"}
    assert dot.cluster_of[f"obj_{x_ptr.id}_me"] == ME
    assert dot.cluster_of[f"obj_{outer.id}"] == ME
    assert label_text(dot.nodes[f"obj_{outer.id}"]["label"])[0] == "pointer_to_x_ptr"
    assert dot.edges_between(f"obj_{outer.id}", on_alice)  # me → alice
    assert dot.edges_between(on_alice, x)  # alice → bob
    assert dot.cluster_of[x] == BOB and "added" not in dot.classes(x), "the data did not move"
    assert "x_ptr" not in dot.nodes[on_alice]["label"], "names belong to the local worker's pointers only"
    assert dot.messages() == [(ME, ALICE, "send object")]


def test_pointer_to_pointer_add_shows_two_hops_and_new_objects(seed_tutorial: SeedTutorial):
    r = seed_tutorial.last("add")
    y = r.pointers["y"]
    assert y.location == "alice"
    total = held_by(r, "alice", y.id_at_location).id_at_location  # alice's pointer aims at the sum on bob
    dot = draw(r)
    assert dot.messages() == [(ME, ALICE, "+ (add)"), (ALICE, BOB, "+ (add)")]  # as the learner wrote it
    assert dot.cluster_of[f"obj_{total}"] == BOB
    assert dot.classes(f"obj_{total}") == {"tensor", "added"}
    assert label_text(dot.nodes[f"obj_{total}"]["label"])[1] == "[2, 4, 6, 8, 10]"
    assert dot.cluster_of[f"obj_{y.id_at_location}"] == ALICE
    assert dot.classes(f"obj_{y.id_at_location}") == {"pointer", "added"}
    assert dot.edges_between(f"obj_{y.id}", f"obj_{y.id_at_location}")
    assert dot.edges_between(f"obj_{y.id_at_location}", f"obj_{total}")


def chain(r: Recorded, var: str) -> tuple[int, int]:
    """For a pointer variable me → alice → bob: the id of alice's pointer and of bob's tensor."""
    on_alice = r.pointers[var].id_at_location
    return on_alice, held_by(r, "alice", on_alice).id_at_location


def two_gets(seed_tutorial: SeedTutorial, cell: str) -> tuple[Recorded, Recorded]:
    """The two steps of ``a.get().get()``: the first brings alice's pointer home, the second the data."""
    first, second = seed_tutorial.in_cell(cell)
    assert (first.step.op, second.step.op) == ("get", "get")
    return first, second


def test_first_get_brings_alices_pointer_home_as_a_move(seed_tutorial: SeedTutorial):
    first, _ = two_gets(seed_tutorial, "get y")
    on_alice, _ = chain(seed_tutorial.last("add"), "y")
    dot = draw(first)
    assert dot.cluster_of[f"obj_{on_alice}"] == ME
    assert dot.classes(f"obj_{on_alice}") == {"pointer", "moved"}
    assert f"obj_{on_alice}" not in dot.in_cluster(ALICE)
    assert dot.messages() == [(ME, ALICE, "request object"), (ALICE, ME, "reply")]


def test_second_get_leaves_a_ghost_where_the_tensor_was(seed_tutorial: SeedTutorial):
    _, second = two_gets(seed_tutorial, "get y")
    _, total = chain(seed_tutorial.last("add"), "y")
    dot = draw(second)
    node = f"obj_{total}"
    assert dot.cluster_of[node] == BOB
    assert dot.classes(node) == {"tensor", "removed"}
    assert "dashed" in dot.nodes[node]["style"]
    assert label_text(dot.nodes[node]["label"]) == [f"tensor #{total}", "removed"]
    assert dot.messages() == [(ME, BOB, "request object"), (BOB, ME, "reply · 40 B")]


def test_getting_p2p2x_twice_draws_the_same_two_hops(seed_tutorial: SeedTutorial):
    first, second = two_gets(seed_tutorial, "get p2p2x")
    on_alice, data = chain(seed_tutorial.last("chain"), "p2p2x")
    dot = draw(first)
    assert dot.cluster_of[f"obj_{on_alice}"] == ME and dot.classes(f"obj_{on_alice}") == {"pointer", "moved"}
    assert dot.messages() == [(ME, ALICE, "request object"), (ALICE, ME, "reply")]
    dot = draw(second)
    assert dot.classes(f"obj_{data}") == {"tensor", "removed"} and dot.cluster_of[f"obj_{data}"] == BOB
    assert dot.messages() == [(ME, BOB, "request object"), (BOB, ME, "reply · 40 B")]


def test_move_goes_from_bob_to_alice_without_passing_through_me(seed_tutorial: SeedTutorial):
    sent, moved = seed_tutorial.last("send x again"), seed_tutorial.last("move")
    x_before, x_after = sent.pointers["x"], moved.pointers["x"]
    assert (x_before.location, x_after.location) == ("bob", "alice")
    assert (x_after.id, x_after.id_at_location) == (x_before.id, x_before.id_at_location)
    node = f"obj_{x_after.id_at_location}"
    before, after = draw(sent), draw(moved)
    assert before.cluster_of[node] == BOB
    assert after.cluster_of[node] == ALICE  # same node id: the browser animates the move
    assert after.classes(node) == {"tensor", "moved"}
    assert node not in after.in_cluster(BOB)
    assert after.messages() == [(ME, BOB, "move"), (BOB, ALICE, "send object · 40 B")]
    assert after.edges_between(f"obj_{x_after.id}", node)


def test_module_is_drawn_on_me_with_edges_to_its_parameter_pointers(seed_tutorial: SeedTutorial):
    r = seed_tutorial.last("send model")
    [module] = r.step.snapshot.modules
    pointers = {p.id: p for p in r.step.snapshot.worker("me").pointers}
    dot = draw(r)
    node = f"module_{module.id}"
    assert dot.cluster_of[node] == ME
    assert label_text(dot.nodes[node]["label"]) == ["Linear", f"module #{module.id}", "→ bob"]
    assert [name for name, _ in module.parameters] == ["weight", "bias"]
    for name, pointer_id in module.parameters:
        assert [a["label"] for a in dot.edges_between(node, f"obj_{pointer_id}")] == [name]
        param = f"obj_{pointers[pointer_id].id_at_location}"
        assert dot.cluster_of[param] == BOB
        assert dot.classes(param) == {"parameter", "added"}
        assert "requires_grad" in dot.nodes[param]["label"]
        assert dot.edges_between(f"obj_{pointer_id}", param)
    assert dot.messages() == [(ME, BOB, "send object ×2 · 12 B")]  # one arrow for both parameters


def test_deleting_the_last_pointer_deletes_the_data_where_it_moved(seed_tutorial: SeedTutorial):
    r = seed_tutorial.last("del x")
    x = seed_tutorial.last("move").pointers["x"]
    dot = draw(r)
    assert dot.classes(f"obj_{x.id_at_location}") == {"tensor", "removed"}
    assert dot.cluster_of[f"obj_{x.id_at_location}"] == ALICE
    assert f"obj_{x.id}" not in dot.nodes, "the deleted pointer is gone from me"
    assert dot.messages() == [(ME, ALICE, "delete object")]


CELLS = [name for name, _ in SEED_CELLS]


@pytest.mark.parametrize("cell", CELLS)
def test_every_node_edge_and_cluster_has_a_unique_prefixed_id(seed_tutorial: SeedTutorial, cell):
    for r in seed_tutorial.in_cell(cell):
        dot = parse_dot(to_dot(r.step.snapshot, step=r.step, names=r.names, id_prefix="v7_"))
        ids = dot.all_ids()
        assert len(ids) == len(set(ids))
        assert all(i.startswith("v7_") for i in ids)
        assert all(name.startswith("cluster_") for name in dot.clusters)
        assert set(dot.nodes) == {a["id"] for a in dot.nodes.values()}, "node names equal their ids"


@pytest.mark.parametrize("cell", CELLS)
def test_every_tutorial_step_lays_out_with_dot(seed_tutorial: SeedTutorial, cell):
    recorded = seed_tutorial.in_cell(cell)
    assert recorded, f"{cell} recorded no step"
    for r in recorded:
        for lang in ("en", "bn"):
            render_svg(to_dot(r.step.snapshot, step=r.step, names=r.names, lang=lang))


def test_bengali_diagram_uses_catalog_words(seed_tutorial: SeedTutorial):
    _, second = two_gets(seed_tutorial, "get y")
    _, total = chain(seed_tutorial.last("add"), "y")
    dot = draw(second, lang="bn")
    _ = translator("bn")
    words = [_("tensor"), _("removed"), _("request object"), _("reply"), _("Legend")]
    assert all(BENGALI.search(w) for w in words), f"the catalog translates every word: {words}"
    assert label_text(dot.nodes[f"obj_{total}"]["label"]) == [f"{_('tensor')} #{total}", _("removed")]
    reply = _("{label} · {nbytes} B").format(label=_("reply"), nbytes="৪০")  # sizes in Bengali digits
    assert dot.messages() == [(ME, BOB, _("request object")), (BOB, ME, reply)]
    assert dot.clusters["cluster_legend"]["label"] == _("Legend")


def test_legend_explains_kinds_and_highlights_and_can_be_left_out(seed_tutorial: SeedTutorial):
    r = seed_tutorial.last("send x")
    dot = draw(r)
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
        "retrieved",
        "offline",
        "list of pointers",  # a big world: a folded collection, a store's summary note
        "summary",
        "share",  # shares of a secret, a value .get() revealed, the privacy overlay's notes (shares.py)
        "revealed",
        "saw nothing in the clear",
        "saw in the clear:",
    }
    assert any(a.get("label") == "message" for _, _, a in dot.edges)
    assert "cluster_legend" not in draw(r, legend=False).clusters


def test_offline_worker_is_dashed_and_labelled():
    snap = WorldSnapshot((WorkerView("me", "local", True, ()), WorkerView("bob", "virtual", False, ())))
    dot = parse_dot(to_dot(snap, lang="bn"))
    assert "dashed" in dot.clusters["cluster_bob"]["style"]
    assert dot.clusters["cluster_bob"]["label"] == "bob (অফলাইন)"


def test_large_store_folds_but_keeps_what_the_step_touched():
    snap = synthetic_snapshot(10_000, workers=2, pointers=20)
    dot = parse_dot(to_dot(snap, step=synthetic_step(snap), max_objects_per_worker=40))
    w0 = {n for n in dot.in_cluster("cluster_w0") if n.startswith("obj_")}
    assert len(w0) == 39  # 40 nodes at most: 39 objects and the summary
    assert dot.classes(f"obj_{snap.workers[1].objects[-1].id}") == {"tensor", "added"}
    assert label_text(dot.nodes["expand_store_w0"]["label"]) == ["4,961 more tensors · 8 · float32"]
    # the objects the local pointers aim at are drawn before the newest ones
    targets = {f"obj_{p.id_at_location}" for p in snap.workers[0].pointers if p.location == "w0"}
    assert targets <= w0


def test_fold_note_is_translated():
    snap = synthetic_snapshot(100, workers=1, pointers=0)
    dot = parse_dot(to_dot(snap, lang="bn", max_objects_per_worker=10))
    assert label_text(dot.nodes["expand_store_w0"]["label"]) == ["আরও ৯১টি টেন্সর · ৮ · float32"]


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


def test_unknown_language_is_refused_with_the_choices(seed_tutorial: SeedTutorial):
    with pytest.raises(ValueError, match=r"'fr'.*'en', 'bn'"):
        to_dot(seed_tutorial[0].step.snapshot, lang="fr")


def test_svg_shows_bengali_labels_as_text(seed_tutorial: SeedTutorial):
    r = seed_tutorial.last("send x")
    x_ptr = r.pointers["x_ptr"]
    texts = svg_texts(render_svg(to_dot(r.step.snapshot, step=r.step, lang="bn", names=r.names)))
    assert f"টেন্সর #{x_ptr.id_at_location}" in texts
    assert "x_ptr" in texts


# ---- the DOT text is graphviz's own (statements.py writes it without graphviz's per-call cost) ----------

AWKWARD_TEXT = [
    "obj_12",
    "",
    "node",
    "Graph",
    "-4.2",
    ".5",
    "4.",
    "rounded,filled",
    "#3b6ea8",
    '"quoted"',
    'a \\"b\\" c',
    "a\\\\b",
    "<<b>html</b>>",
    "টেন্সর #১২\\n[0, 1]",
    "x:y",
    "expand:store:bob",
    "tab\tand\nnewline",
]


@pytest.mark.parametrize("text", AWKWARD_TEXT)
def test_nodes_and_edges_are_written_as_graphviz_writes_them(text: str) -> None:
    import graphviz

    from syft_widgets.diagram import statements

    attrs = {"label": text, "id": text, "class": f"{text} pointer", "style": text, "z": None, "a": "1"}
    ours, theirs = graphviz.Digraph(), graphviz.Digraph()
    for _ in range(2):  # the second time from the table of quoted strings
        statements.node(ours, text or "empty", attrs)
        theirs.node(text or "empty", **attrs)
        statements.edge(ours, text or "empty", "obj_1", attrs)
        theirs.edge(text or "empty", "obj_1", **attrs)
        statements.node(ours, "plain", {})
        theirs.node("plain")
        assert ours.source == theirs.source
