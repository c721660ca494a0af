"""What the diagram reuses to draw many pictures fast must change nothing in them.

While a page is saved the diagram remembers each object's DOT line between pictures
(``dot.remembering_object_lines``): a remembered line must be exactly the line drawing the object afresh
writes, whatever was drawn before it; outside that block nothing is remembered; the same for arrows
(``statements.remembering_arrows``). A picture planned once
for several languages (``dot.to_dots``) must be, in each, the picture drawn in that language alone.
Pictures are written without ``graphviz``'s per-call cost (statements.py), in its own text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
import torch

from syft_widgets.diagram import (
    dot,
    remembering_arrows,
    remembering_object_lines,
    statements,
    to_dot,
    to_dots,
)
from syft_widgets.diagram.words import translator
from syft_widgets.encrypted.seen import SeenLedger
from syft_widgets.events import MessageSent, Step
from syft_widgets.snapshot import WorkerView, WorldSnapshot
from tests.builders import pointer, synthetic_snapshot, synthetic_step, tensor
from tests.recorded import SeedTutorial


def drawn_afresh(step: Step, lang: str, names: Mapping[int, str] | None) -> str:
    assert dot._OBJECT_LINES.table is None  # nothing remembered outside the block
    return to_dot(step.snapshot, step=step, lang=lang, names=names, legend=False)


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_pictures_drawn_one_after_another_are_what_fresh_drawings_make(
    seed_tutorial: SeedTutorial, lang: str
) -> None:
    # Every step with the learner's names, then without names, then with them again: each object's
    # line first comes from a drawing of another step, or of this step with other names.
    runs: list[tuple[Step, Mapping[int, str] | None]] = [(r.step, r.names) for r in seed_tutorial]
    runs += [(r.step, None) for r in seed_tutorial] + runs
    with remembering_object_lines():
        one_after_another = [to_dot(s.snapshot, step=s, lang=lang, names=n, legend=False) for s, n in runs]
        assert dot._OBJECT_LINES.table, "lines were remembered"
    assert one_after_another == [drawn_afresh(s, lang, n) for s, n in runs]
    count = len(seed_tutorial)
    named, unnamed = one_after_another[:count], one_after_another[count : 2 * count]
    assert any("x_ptr" in d for d in named), "the names are drawn"
    assert not any("x_ptr" in d for d in unnamed), "and only where given"


def test_pictures_written_with_remembered_arrows_are_what_fresh_drawings_make(
    seed_tutorial: SeedTutorial,
) -> None:
    # The tutorial's steps in both languages, then worlds whose boxes grow: the same arrow ids (a box's
    # rows "cluster_w0_row_1", a pointer's "obj_10_to") join other nodes from one picture to the next.
    worlds = [synthetic_snapshot(objects, pointers=6) for objects in (12, 40, 12, 90)]
    pictures: list[tuple[WorldSnapshot, dict[str, Any]]] = [
        (r.step.snapshot, {"step": r.step, "names": r.names, "lang": lang})
        for lang in ("en", "bn")
        for r in seed_tutorial
    ]
    pictures += [
        (w, {"step": synthetic_step(w), "expanded": expanded})
        for w in worlds
        for expanded in ((), ("store:w0",))
    ]
    assert statements._ARROWS.table is None
    fresh = [to_dot(snapshot, legend=False, **options) for snapshot, options in pictures]
    with remembering_arrows():
        remembered = [to_dot(snapshot, legend=False, **options) for snapshot, options in pictures]
        assert statements._ARROWS.table, "arrows were remembered"
    assert statements._ARROWS.table is None, "and forgotten after the block"
    assert remembered == fresh
    assert sum("_row_" in d for d in fresh) >= 4, "the folded boxes of 40 and 90 objects are drawn in rows"


# ---- a picture's frame written as graphviz writes it (statements.digraph, subgraph, attributes, source) ----
# Each picture's head, default styles and boxes are written without graphviz's per-call cost (it copies
# the whole graph for every box); the text must stay graphviz's own, byte for byte.

FRAME_TEXT = ["bob", "", "node", "rounded,filled", 'say "hi"', "<<b>html</b>>", "টেন্সর #১২\\n[0, 1]", "a:b"]


@pytest.mark.parametrize("text", FRAME_TEXT)
def test_a_graph_with_boxes_is_written_as_graphviz_writes_it(text: str) -> None:
    import graphviz

    from syft_widgets.diagram import statements

    defaults = {"rankdir": "LR", "label": text, "fontname": text}, {"shape": text}, {"color": text}
    ours = statements.digraph(f"v{text}world", *defaults)
    theirs = graphviz.Digraph(
        name=f"v{text}world", graph_attr=defaults[0], node_attr=defaults[1], edge_attr=defaults[2]
    )
    box = {"label": text, "id": f"cluster_{text}", "style": text, "unset": None, "color": "#3b6ea8"}
    statements.attributes(ours, {"id": text, "unset": None})
    theirs.attr(id=text, unset=None)
    with statements.subgraph(ours, f"cluster_{text}") as sub:
        statements.attributes(sub, box)
        statements.node(sub, "anchor", {"label": text})
        with statements.subgraph(sub, text or "inner") as inner:
            statements.node(inner, "note", {"id": text})
        statements.attributes(sub, {"unset": None})  # graphviz writes an empty statement
    with theirs.subgraph(name=f"cluster_{text}") as sub:
        sub.attr(**box)
        sub.node("anchor", label=text)
        with sub.subgraph(name=text or "inner") as inner:
            inner.node("note", id=text)
        sub.attr(unset=None)
    statements.edge(ours, "anchor", "note", {})
    theirs.edge("anchor", "note")
    assert statements.source(ours) == theirs.source


# ---- one picture planned once, written in each language (dot.to_dots) --------------------------------
# Writing a picture adds to its plan (ids of missing targets, stand-ins for workers not shown): each
# language must start again from the plan, with its own words, whatever language came first.

BOTH_ORDERS = pytest.mark.parametrize("langs", [("en", "bn"), ("bn", "en")], ids=["en-first", "bn-first"])


def planned_once(snapshot: WorldSnapshot, langs: tuple[str, str], **options: Any) -> dict[str, str]:
    together = to_dots(snapshot, langs, **options)
    assert list(together) == list(langs)
    assert together == {lang: to_dot(snapshot, lang=lang, **options) for lang in langs}
    return together


@BOTH_ORDERS
def test_the_tutorials_steps_planned_once_are_in_each_language_what_drawing_it_alone_makes(
    seed_tutorial: SeedTutorial, langs: tuple[str, str]
) -> None:
    differ = 0
    for r in seed_tutorial:
        for expanded in ((), ("store:me",), ("store:bob",)):
            dots = planned_once(r.step.snapshot, langs, step=r.step, names=r.names, expanded=expanded)
            differ += dots["en"] != dots["bn"]
    assert differ, "the languages' words differ"


@BOTH_ORDERS
def test_missing_targets_and_workers_not_shown_planned_once_are_drawn_alike_in_each_language(
    langs: tuple[str, str],
) -> None:
    # A pointer at an object bob no longer has, one at a worker the picture does not show, and a
    # message to another one: each writing adds their nodes (and ids) again.
    me = WorkerView("me", "local", True, (), (pointer(10, "bob", 999), pointer(11, "carol", 5)))
    world = WorldSnapshot((me, WorkerView("bob", "virtual", True, (tensor(1, [1, 2]),))))
    sent = MessageSent("me", "dave", "send object", "send", (1,), "tensor", 8)
    dots = planned_once(world, langs, step=Step(0, "send", {}, (sent,), world))
    assert "missing_bob_999" in dots["en"] and "missing_bob_999_2" not in dots["bn"]
    assert dots["en"] != dots["bn"]


@BOTH_ORDERS
def test_shares_and_the_privacy_overlay_planned_once_speak_each_language(
    env: Any, steps: list[Step], langs: tuple[str, str]
) -> None:
    x = torch.tensor([25]).share(env.bob, env.alice, crypto_provider=env.secure_worker)  # type: ignore[attr-defined]
    (x + x).get()
    ledger = SeenLedger()
    for step in steps:
        ledger.add_step(step)
        dots = planned_once(step.snapshot, langs, step=step, seen=ledger.as_dict())
        assert dots["en"] != dots["bn"]
    for lang in langs:  # the last step reveals the sum, in each language's words
        assert f'label="{translator(lang)("revealed")}' in dots[lang]
