"""The live view in a real JupyterLab 4 and Notebook 7: the seed lesson drawn step by step, bn and en.

Run with ``pytest -m browser tests/browser -s`` (``-s`` shows the measured latency); one at a time with
``-k "lab and bn"``. What the page shows is compared with what the kernel recorded (narration, step
count, the learner's pointers, spent pointers), and message arrows are measured in the SVG.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from syft_widgets.diagram.words import format_number, translator
from tests.browser.lab_page import (
    BENGALI,
    BENGALI_DIGITS,
    KERNEL_PRINT_JS,
    LATENCY_JS,
    Notebook,
    check_digits,
    eventually,
    objects_in,
    open_notebook,
    screenshot,
)

pytestmark = pytest.mark.browser

# Every message arrow drawn, measured in the SVG: its path length, the straight distance between its
# ends, where its arrowhead and label are, and the boxes of the visible nodes and of the clusters.
GEOMETRY_JS = r"""
(root) => {
  const prefix = `syftv${root.dataset.view}-`;
  const strip = (id) => (id.startsWith(prefix) ? id.slice(prefix.length) : id);
  const svg = root.querySelector(".syft-graph svg");
  const plain = (b) => ({ x: b.x, y: b.y, width: b.width, height: b.height });
  const union = (a, b) => {
    if (!a) return plain(b);
    const x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
    return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x,
             height: Math.max(a.y + a.height, b.y + b.height) - y };
  };
  const nodes = [];
  for (const n of svg.querySelectorAll("g.node")) {
    let box = null;
    for (const shape of n.querySelectorAll("polygon, path, ellipse")) box = union(box, shape.getBBox());
    if (box) nodes.push({ id: strip(n.id), box });
  }
  const clusters = [];
  for (const c of svg.querySelectorAll("g.cluster")) {
    const outline = c.querySelector("path, polygon");
    if (outline) clusters.push({ id: strip(c.id), box: plain(outline.getBBox()) });
  }
  const messages = [];
  for (const e of svg.querySelectorAll("g.edge")) {
    if (!(e.getAttribute("class") || "").split(/\s+/).includes("message")) continue;
    const path = e.querySelector("path");
    const total = path.getTotalLength();
    const a = path.getPointAtLength(0), b = path.getPointAtLength(total);
    let label = null;
    for (const t of e.querySelectorAll("text")) label = union(label, t.getBBox());
    const head = e.querySelector("polygon");
    messages.push({
      id: strip(e.id), total, straight: Math.hypot(b.x - a.x, b.y - a.y),
      start: { x: a.x, y: a.y }, end: { x: b.x, y: b.y }, label,
      head: head ? plain(head.getBBox()) : null,
      text: [...e.querySelectorAll("text")].map((t) => t.textContent).join(" "),
    });
  }
  return { nodes, clusters, messages };
}
"""


def named(state: dict[str, Any], worker: str, name: str) -> list[str]:
    """Pointers in ``worker``'s cluster labelled with the variable ``name``."""
    return [n for n in objects_in(state, worker, "pointer") if name in state["nodes"][n]["text"].split()]


def points_to(state: dict[str, Any], node: str) -> str | None:
    """The node that ``node``'s pointer arrow ends at, from the edge's <title> "a->b"."""
    edge = state["edges"].get(f"{node}_to")
    return edge["title"].split("->")[1] if edge else None


# Cell indices in notebooks/part3_live.ipynb (cell 0 is markdown).
SETUP, VIEW, WORKERS, X, SEND, SEND_PTR, BOB_OBJS, ALICE_OBJS, GET_PTR, GET_X = range(1, 11)
CHAIN, Y_GET, P2P_GET, X_BOB, MOVE, PRINT, Z, SAVE = range(11, 19)
LESSON = range(WORKERS, SAVE)  # every cell from the workers to the last operation

# What the kernel recorded, printed as JSON: every step's op, narration, failure and spent pointers,
# and the learner's live pointers now: their variables (an Out-cache copy is not one, nor a spent
# pointer) and the parameters of their models that live elsewhere.
KERNEL_FACTS = """(lambda ip, json, nn: print(json.dumps({
    "indices": [s.index for s in view.steps],
    "ops": [s.op for s in view.steps],
    "failed": [s.error is not None for s in view.steps],
    "narrations": [view.narration(s, view.lang) for s in view.steps],
    "spent": [[p.id for p in s.snapshot.worker("me").pointers if p.spent] for s in view.steps],
    "held": [sorted({p.id for p in s.snapshot.worker("me").pointers if not p.spent}) for s in view.steps],
    "pointers": {str(v.id): k for k, v in list(ip.user_ns.items())
                 if not k.startswith("_") and getattr(v, "is_pointer", False) and v.is_live_pointer},
    "parameters": [p.id for m in list(ip.user_ns.values()) if isinstance(m, nn.Module)
                   for p in m.parameters() if getattr(p, "is_pointer", False) and p.is_live_pointer],
})))(get_ipython(), __import__("json"), __import__("torch").nn)"""

NO_TARGET = {"en": "missing target", "bn": "লক্ষ্য অনুপস্থিত"}
RETRIEVED = {"en": "retrieved", "bn": "ফিরিয়ে আনা হয়েছে"}


def kernel_facts(page: Any) -> dict[str, Any]:
    out = str(page.evaluate(KERNEL_PRINT_JS, KERNEL_FACTS))
    assert out.startswith("{"), out
    return dict(json.loads(out))


def counter_text(lang: str, index: int, count: int) -> str:
    """The counter as the catalog writes it, with the numbers in the language's digits."""
    template = translator(lang)("Step {index} of {count}")
    return template.format(index=format_number(index, lang), count=format_number(count, lang))


def node_object_id(node: str) -> int | None:
    found = re.fullmatch(r"obj_(\d+)(?:_\w+)?", node)
    return int(found.group(1)) if found else None


def spent_ids(state: dict[str, Any]) -> list[int]:
    return sorted(
        node_object_id(n) or -1
        for n in state["clusters"].get("cluster_me", [])
        if "spent" in state["nodes"][n]["cls"].split()
    )


def check_drawn_step(state: dict[str, Any], facts: dict[str, Any], pos: int, lang: str) -> None:
    """The page shows step ``pos`` exactly as the kernel recorded it."""
    count = len(facts["indices"])
    assert state["step"] == facts["indices"][pos]
    assert state["narration"] == facts["narrations"][pos], (pos, state["narration"])
    assert state["counter"] == counter_text(lang, pos + 1, count)
    dangling = [n for n, v in state["nodes"].items() if "dangling" in v["cls"].split()]
    assert not dangling, f"step {pos + 1}: {dangling}"
    assert not [n for n, v in state["nodes"].items() if NO_TARGET[lang] in v["text"]]
    assert spent_ids(state) == sorted(facts["spent"][pos]), f"step {pos + 1}: spent pointers"
    held = sorted(
        node_object_id(n) or -1
        for n in objects_in(state, "me", "pointer")
        if "spent" not in state["nodes"][n]["cls"]
    )
    assert held == facts["held"][pos], f"step {pos + 1}: me's pointers {held} != {facts['held'][pos]}"
    assert len(state["ids"]) == len(set(state["ids"])), f"step {pos + 1}: duplicate SVG ids"
    for n in state["clusters"].get("cluster_me", []):
        if "spent" in state["nodes"][n]["cls"].split():
            assert RETRIEVED[lang] in state["nodes"][n]["text"], state["nodes"][n]


def check_pointers_on_me(state: dict[str, Any], facts: dict[str, Any]) -> None:
    """After a cell: me's box holds exactly the learner's live pointer variables, each named."""
    drawn: dict[int, str] = {}
    for n in objects_in(state, "me", "pointer"):
        if "spent" not in state["nodes"][n]["cls"].split():
            drawn[node_object_id(n) or -1] = state["nodes"][n]["text"]
    expected = {int(k): name for k, name in facts["pointers"].items()}
    parameters = set(facts["parameters"])
    assert set(drawn) == set(expected) | parameters, (drawn, expected, parameters, facts["narrations"][-2:])
    for pid, name in expected.items():
        assert name in drawn[pid].split(), (name, drawn[pid])


def ends_of(message: dict[str, Any], clusters: list[dict[str, Any]]) -> tuple[str, str]:
    """(sender, receiver) of a drawn message arrow: the arrowhead marks the receiver's end."""

    def nearest(point: dict[str, float]) -> str:
        def gap(box: dict[str, float]) -> float:
            dx = max(box["x"] - point["x"], 0, point["x"] - box["x"] - box["width"])
            dy = max(box["y"] - point["y"], 0, point["y"] - box["y"] - box["height"])
            return float(math.hypot(dx, dy))

        return str(min(clusters, key=lambda c: gap(c["box"]))["id"]).removeprefix("cluster_")

    head = message["head"]
    tip = {"x": head["x"] + head["width"] / 2, "y": head["y"] + head["height"] / 2}
    start, end = message["start"], message["end"]
    if math.dist((tip["x"], tip["y"]), (end["x"], end["y"])) <= math.dist(
        (tip["x"], tip["y"]), (start["x"], start["y"])
    ):
        return nearest(start), nearest(end)
    return nearest(end), nearest(start)


def check_message_arrows(geometry: dict[str, Any], where: str) -> int:
    """Every message arrow runs nearly straight and no label sits on a node; returns how many."""
    for m in geometry["messages"]:
        assert m["straight"] > 1, (where, m)
        assert m["total"] <= 1.6 * m["straight"], (
            f"{where}: {m['id']} drawn {m['total']:.0f}, ends {m['straight']:.0f} apart"
        )
        label = m["label"]
        if label is None:
            continue
        for n in geometry["nodes"]:
            b = n["box"]
            overlap_x = min(label["x"] + label["width"], b["x"] + b["width"]) - max(label["x"], b["x"])
            overlap_y = min(label["y"] + label["height"], b["y"] + b["height"]) - max(label["y"], b["y"])
            assert overlap_x <= 1 or overlap_y <= 1, f"{where}: label {m['text']!r} overlaps node {n['id']}"
    return len(geometry["messages"])


def show_step(nb: Notebook, pos: int, facts: dict[str, Any], lang: str) -> dict[str, Any]:
    """Move the view's slider to ``pos`` as a learner would; the page must show that step exactly."""
    nb.views().nth(0).locator(".syft-slider").fill(str(pos))
    return eventually(nb, lambda s: check_drawn_step(s, facts, pos, lang), f"step {pos + 1} on the slider")


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_seed_lesson_is_drawn_step_by_step(
    server: Any, page_and_watch: Any, artifacts: Path, lang: str
) -> None:
    page, watch = page_and_watch
    name = "part3_live.ipynb" if lang == "bn" else "part3_live_en.ipynb"
    nb = open_notebook(page, server, name)
    tag = f"{server.frontend}_{lang}"
    for cell in (SETUP, VIEW):
        nb.run(cell)
    state = nb.settled(what="the empty view")
    assert state["error"] == ""
    assert bool(BENGALI.search(state["prevTitle"] + state["legend"])) == (lang == "bn"), state

    # Cell by cell: the page shows the kernel's newest step, its words and numbers, and me's pointers.
    seen_spent = False
    for cell in LESSON:
        nb.run(cell)
        facts = kernel_facts(page)
        last = len(facts["indices"]) - 1

        def after_cell(state: dict[str, Any], facts: dict[str, Any] = facts, last: int = last) -> None:
            check_drawn_step(state, facts, last, lang)
            check_pointers_on_me(state, facts)
            check_digits(state, lang)

        state = eventually(nb, after_cell, f"after cell {cell}")
        seen_spent = seen_spent or bool(facts["spent"][last])
        if cell == SEND_PTR:
            (on_alice,) = objects_in(state, "alice", "pointer")
            (p2p,) = named(state, "me", "pointer_to_x_ptr")
            (x_ptr,) = named(state, "me", "x_ptr")
            (x_on_bob,) = objects_in(state, "bob", "tensor")
            assert points_to(state, p2p) == on_alice and points_to(state, on_alice) == x_on_bob
            assert points_to(state, x_ptr) == x_on_bob
            screenshot(page, nb.views().nth(0), artifacts / f"seed_{tag}_pointer_chain.png")
        if cell == GET_X:
            # x = x_ptr.get(): x_ptr is drawn spent, once, with its name; nothing is "missing".
            (spent,) = [n for n in state["clusters"]["cluster_me"] if "spent" in state["nodes"][n]["cls"]]
            assert "x_ptr" in state["nodes"][spent]["text"].split()
            screenshot(page, nb.views().nth(0), artifacts / f"seed_{tag}_get_spent.png")
        if cell == CHAIN:
            screenshot(page, nb.views().nth(0), artifacts / f"seed_{tag}_chain_add.png")
        if cell == MOVE:
            geometry = nb.views().nth(0).evaluate(GEOMETRY_JS)
            arrows = [ends_of(m, geometry["clusters"]) for m in geometry["messages"]]
            assert ("bob", "alice") in arrows and ("me", "alice") not in arrows, arrows
            assert len(objects_in(state, "alice", "tensor")) == 1 and not objects_in(state, "bob", "tensor")
            screenshot(page, nb.views().nth(0), artifacts / f"seed_{tag}_move.png")
    assert seen_spent, "the lesson's .get() cells drew no spent pointer"

    # Every recorded step again, through the slider: its words, its counter, no phantom, and every
    # message arrow measured.
    facts = kernel_facts(page)
    count = len(facts["indices"])
    assert count >= 15, facts["narrations"]
    arrows = 0
    for pos in range(count):
        show_step(nb, pos, facts, lang)
        arrows += check_message_arrows(nb.views().nth(0).evaluate(GEOMETRY_JS), f"step {pos + 1}")
    assert arrows >= 20, arrows
    root = nb.views().nth(0)
    root.locator(".syft-live").click()
    nb.settled(ok=lambda s: s["step"] == facts["indices"][-1] and s["livePressed"] == "true", what="live")

    if lang == "bn":
        check_controls_and_saved_replay(page, nb, server, artifacts, tag, facts)
    assert not watch.our_page_errors(), watch.page_errors
    assert not watch.console_errors, watch.console_errors
    assert not watch.outside_requests, watch.outside_requests


def check_controls_and_saved_replay(
    page: Any, nb: Notebook, server: Any, artifacts: Path, tag: str, facts: dict[str, Any]
) -> None:
    """Language toggle, replay, legend, latency, and the saved page replaying offline."""
    root = nb.views().nth(0)
    last = facts["indices"][-1]
    root.locator('.syft-lang[data-lang="en"]').click()
    s = nb.settled(ok=lambda s: s["prevTitle"] == "Previous step", what="English labels")
    assert not BENGALI.search(s["narration"] + s["counter"] + s["liveText"] + s["legend"]), s
    assert s["counter"] == counter_text("en", len(facts["indices"]), len(facts["indices"]))
    screenshot(page, root, artifacts / f"seed_{tag}_switched_to_en.png")
    root.locator(".syft-prev").click()
    s = nb.settled(ok=lambda s: s["step"] < last, what="one step back")
    assert s["livePressed"] == "false"
    root.locator(".syft-next").click()
    nb.settled(ok=lambda s: s["step"] == last, what="forward again")
    root.locator(".syft-live").click()
    nb.settled(ok=lambda s: s["livePressed"] == "true", what="live again")
    root.locator('.syft-lang[data-lang="bn"]').click()
    s = nb.settled(ok=lambda s: bool(BENGALI.search(s["prevTitle"])), what="Bengali again")
    assert s["narration"] == facts["narrations"][-1]
    root.locator(".syft-legend summary").click()
    page.wait_for_selector(".syft-legend-graph svg g.node")
    screenshot(page, root, artifacts / f"seed_{tag}_legend.png")
    root.locator(".syft-legend summary").click()

    nb.run(PRINT)
    latency = page.evaluate(LATENCY_JS, Z)
    assert "svg" in latency and "done" in latency, latency
    nb.wait_idle()
    print(
        f"\n{tag} live view latency: cell prompt [n] -> new step in the SVG "
        f"{latency['drawn'] - latency['done']:.0f} ms, -> animation settled {latency['svg'] - latency['done']:.0f} ms"
    )
    assert latency["svg"] - latency["start"] < 3000

    nb.run(SAVE)
    assert (server.root / "part3.html").is_file() and (server.root / "part3.svg").is_file()
    svg_text = (server.root / "part3.svg").read_text(encoding="utf-8")
    assert BENGALI_DIGITS.search(svg_text) and NO_TARGET["bn"] not in svg_text
    assert nb.views().count() == 1
    ids = nb.state()["ids"]
    assert all(i.startswith("syftv") for i in ids), ids[:5]
    assert len(ids) == len(set(ids)), "duplicate SVG ids"
    facts = kernel_facts(page)

    # The saved page replays offline with the same controls, words and digits.
    page.goto((server.root / "part3.html").as_uri())
    page.wait_for_selector(".syft-view .syft-graph svg g.node", timeout=30000)
    offline = Notebook(page)
    s = offline.settled(what="the saved page")
    assert s["error"] == "" and s["narration"] == facts["narrations"][-1]
    count = len(facts["indices"])
    assert s["counter"] == counter_text("bn", count, count)
    check_digits(s, "bn")
    page.locator(".syft-prev").click()
    back = offline.settled(ok=lambda x: x["step"] < s["step"], what="saved page replays back")
    assert back["narration"] == facts["narrations"][-2]
    assert back["counter"] == counter_text("bn", count - 1, count)
    page.locator('.syft-lang[data-lang="en"]').click()
    offline.settled(ok=lambda x: x["prevTitle"] == "Previous step" and x["step"] == back["step"], what="en")
    screenshot(page, page.locator(".syft-view"), artifacts / f"seed_{tag}_saved_html_en.png")


# Cells of notebooks/part2_live.ipynb: one learner action each, from the data to loss.get(), then a
# pointer only the output cache keeps (a cell that shows it, never names it) and one more send.
P2_LESSON = range(3, 16)
P2_SHOWN_ONLY = 14  # its own step draws the new pointer (the cell holds it); the next one must not
P2_FAILS = 11  # model(bad): 3 features into Linear(2 → 1), fails on bob
LEARNER_OPS = {
    "send",
    "send_module",
    "zero_grad",
    "module_call",
    "command",
    "optimizer_step",
    "get_module",
    "get",
    "gc",
}
# What torch does underneath must never be a step or a word of one.
TORCH_WORDS = re.compile(r"__\w+__|is_sparse|is_leaf|set grad|grad_fn|_module\b|requires_grad_|\blinear\b")


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_part2_training_steps_are_learner_actions(
    server: Any, page_and_watch: Any, artifacts: Path, lang: str
) -> None:
    page, watch = page_and_watch
    nb = open_notebook(page, server, "part2_live.ipynb" if lang == "bn" else "part2_live_en.ipynb")
    tag = f"{server.frontend}_{lang}"
    for cell in (1, 2):
        nb.run(cell)
    for cell in P2_LESSON:
        nb.run(cell)
        facts = kernel_facts(page)
        last = len(facts["indices"]) - 1
        assert facts["failed"][last] == (cell == P2_FAILS), (cell, facts["narrations"][last])

        def after_cell(
            state: dict[str, Any], facts: dict[str, Any] = facts, last: int = last, cell: int = cell
        ) -> None:
            check_drawn_step(state, facts, last, lang)
            if cell != P2_SHOWN_ONLY:
                check_pointers_on_me(state, facts)

        state = eventually(nb, after_cell, f"after cell {cell}")
        if facts["ops"][last] == "module_call" and not facts["failed"][last]:
            screenshot(page, nb.views().nth(0), artifacts / f"part2_{tag}_model_call.png")
        if facts["ops"][last] == "optimizer_step":
            screenshot(page, nb.views().nth(0), artifacts / f"part2_{tag}_optimizer_step.png")
        if cell == P2_FAILS:
            # The failed call is said and drawn red: its message arrows carry the "failed" class.
            messages = [e for e in state["edges"].values() if "message" in e["cls"].split()]
            assert messages and all("failed" in e["cls"].split() for e in messages), messages
            screenshot(page, nb.views().nth(0), artifacts / f"part2_{tag}_failed.png")

    facts = kernel_facts(page)
    assert set(facts["ops"]) <= LEARNER_OPS, facts["ops"]
    learner = [op for op in facts["ops"] if op != "gc"]
    assert learner[:4] == ["send", "send", "send_module", "zero_grad"], learner
    assert learner.count("module_call") == 2 and learner[-4:] == ["get_module", "get", "send", "send"], (
        learner
    )
    assert "optimizer_step" in learner
    for text in facts["narrations"]:
        assert not TORCH_WORDS.search(text), text
    arrows = 0
    for pos in range(len(facts["indices"])):
        state = show_step(nb, pos, facts, lang)
        arrows += check_message_arrows(nb.views().nth(0).evaluate(GEOMETRY_JS), f"step {pos + 1}")
        for edge in state["edges"].values():
            if "message" in edge["cls"].split():
                assert not TORCH_WORDS.search(edge["label"]), (pos, edge)
    assert arrows >= len(facts["indices"]), arrows
    assert not watch.our_page_errors(), watch.page_errors
    assert not watch.console_errors, watch.console_errors
    assert not watch.outside_requests, watch.outside_requests


def test_several_views_of_one_world_stay_in_step(lab: Any, page_and_watch: Any, artifacts: Path) -> None:
    page, watch = page_and_watch
    nb = open_notebook(page, lab, "several_views.ipynb")
    for cell in range(1, 6):
        nb.run(cell)
    assert nb.views().count() == 3
    states = [nb.settled(i, ok=lambda s: s["step"] >= 0, what=f"view {i}") for i in range(3)]
    assert len({s["step"] for s in states}) == 1
    everyone, only_bob, again = states
    assert "cluster_alice" in everyone["clusters"] and "cluster_alice" not in only_bob["clusters"]
    assert "cluster_bob" in only_bob["clusters"]
    assert everyone["clusters"].keys() == again["clusters"].keys()
    assert BENGALI.search(only_bob["prevTitle"]) and not BENGALI.search(everyone["prevTitle"])
    all_ids = [i for s in states for i in s["ids"]]
    assert len(all_ids) == len(set(all_ids)), "two views share SVG ids"

    # A loop of 1000 sends: the kernel pushes about ten times a second, and every view keeps up.
    nb.run(6)
    out = nb.output_text(6)
    pushes, seconds = (float(v) for v in re.findall(r"pushes (\d+) seconds ([\d.]+)", out)[0])
    print(f"\n1000 sends in {seconds} s with 3 views: {pushes:.0f} pushes")
    assert pushes <= seconds * 10 + 3
    nb.run(7)
    final = [
        nb.settled(i, ok=lambda s: objects_in(s, "alice", "tensor") != [], what=f"z in view {i}")
        for i in (0, 2)
    ]
    assert final[0]["step"] == final[1]["step"]
    nb.settled(1, ok=lambda s: s["step"] == final[0]["step"], what="the bob-only view in step")
    for i in range(3):
        screenshot(page, nb.views().nth(i), artifacts / f"several_views_{i}.png")
    assert not watch.our_page_errors(), watch.page_errors
    assert not [e for e in watch.console_errors if re.search("too late|syft|graphviz", e, re.I)], (
        watch.console_errors
    )
    assert not watch.outside_requests, watch.outside_requests
