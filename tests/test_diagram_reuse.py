"""While a page is saved the diagram remembers each object's DOT line between pictures
(``dot.remembering_object_lines``): a remembered line must be exactly the line drawing the object afresh
writes, whatever was drawn before it; outside that block nothing is remembered."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from syft_widgets.diagram import dot, remembering_object_lines, to_dot
from syft_widgets.events import Step
from tests.recorded import SeedTutorial


def drawn_afresh(step: Step, lang: str, names: Mapping[int, str] | None) -> str:
    assert dot._OBJECT_LINES is None  # nothing remembered outside the block
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
        assert dot._OBJECT_LINES, "lines were remembered"
    assert one_after_another == [drawn_afresh(s, lang, n) for s, n in runs]
    count = len(seed_tutorial)
    named, unnamed = one_after_another[:count], one_after_another[count : 2 * count]
    assert any("x_ptr" in d for d in named), "the names are drawn"
    assert not any("x_ptr" in d for d in unnamed), "and only where given"


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
