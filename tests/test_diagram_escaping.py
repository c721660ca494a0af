"""User text (worker ids, variable names, previews) can never break the DOT or inject into the SVG."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syft_widgets.diagram import to_dot
from syft_widgets.diagram.labels import MAX_TEXT
from syft_widgets.events import MessageSent, ObjectStored, Step
from syft_widgets.snapshot import ObjectView, WorkerView, WorldSnapshot
from tests.builders import pointer
from tests.dot_reader import label_text, parse_dot, render_svg, svg_texts

SVG = "{http://www.w3.org/2000/svg}"
ALLOWED_SVG_TAGS = {
    f"{SVG}{t}" for t in ("svg", "g", "title", "text", "polygon", "path", "ellipse", "polyline", "a")
}


def world(worker: str, name: str, preview: str = "[1]") -> tuple[WorldSnapshot, Step, dict[int, str]]:
    """``me`` holds pointer 1 (named ``name``) to object 2 on a worker called ``worker``."""
    obj = ObjectView(2, "tensor", preview, (1,), "int64")
    snap = WorldSnapshot(
        (
            WorkerView("me", "local", True, (), (pointer(1, worker, 2),)),
            WorkerView(worker, "virtual", True, (obj,)),
        )
    )
    events = (MessageSent("me", worker, "send object", "send", (2,), "tensor", 8), ObjectStored(worker, obj))
    return snap, Step(0, "send", {}, events, snap), {1: name}


# Characters a label shows instead of the ones that would break it (see labels.safe_text).
PICTURES = {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421, 0x2028: 0x2424, 0x2029: 0x2424}


def shown(text: str) -> str:
    """What a label shows for ``text``: control pictures, U+FFFD for what XML cannot hold, cut at MAX_TEXT."""
    out = "".join(
        "\ufffd"
        if 0x80 <= ord(ch) <= 0x9F or 0xD800 <= ord(ch) <= 0xDFFF or ord(ch) in (0xFFFE, 0xFFFF)
        else ch
        for ch in text.translate(PICTURES)
    )
    return out if len(out) <= MAX_TEXT else out[: MAX_TEXT - 1] + "…"


def check(worker: str, name: str, preview: str = "[1]") -> None:
    snap, step, names = world(worker, name, preview)
    source = to_dot(snap, step=step, names=names, id_prefix="p_")
    dot = parse_dot(source)  # fails on HTML-like labels and on unbalanced or unreadable statements
    worker_cluster = next(c for n, c in dot.clusters.items() if n not in ("cluster_p_me", "cluster_p_legend"))
    assert worker_cluster["id"].startswith("p_cluster_")
    assert dot.cluster_of["p_obj_2"] != "cluster_p_me"
    assert dot.edges_between("p_obj_1", "p_obj_2"), "the pointer still points at its target"
    # no user control character reaches the DOT text (they are shown as ␊, ␀, ...)
    assert not [ch for ch in source if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t"]
    # every label round-trips to the text the learner should see, for every input
    assert label_text(worker_cluster["label"]) == [shown(worker)]
    name_line = [shown(name)] if name else []  # an empty variable name adds no line
    assert label_text(dot.nodes["p_obj_1"]["label"]) == [*name_line, "pointer #1", f"→ {shown(worker)}:2"]
    assert label_text(dot.nodes["p_obj_2"]["label"])[1] == shown(preview)
    svg = render_svg(source)  # skips the rest when the dot program is missing
    for element in svg.iter():
        assert element.tag in ALLOWED_SVG_TAGS, f"unexpected SVG element {element.tag}"
    texts = {" ".join(t.split()) for t in svg_texts(svg)}
    for text in (worker, preview):
        drawn = " ".join(shown(text).split())  # Graphviz trims and collapses spaces when it draws
        assert drawn in texts or drawn == "", "only an empty (or blank) text draws nothing"


NASTY = [
    pytest.param('bob"];x[label="', id="dot-injection"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-tag"),
    pytest.param("<script>alert(1)</script>", id="script-tag"),
    pytest.param("<<b>bold</b>>", id="html-like-label"),
    pytest.param("trailing backslash\\", id="trailing-backslash"),
    pytest.param("\\N \\G \\l \\n", id="dot-escapes"),
    pytest.param("{a; b=c}", id="braces"),
    pytest.param("&amp; &lt;b&gt; &#60;", id="entities"),
    pytest.param("বব কর্মী", id="bengali"),
    pytest.param("🐍 bob 👩‍💻", id="emoji"),
    pytest.param("a\nb\tc\x00d\x1b[31m", id="control-characters"),
    pytest.param("\ud800 lone surrogate", id="surrogate"),
    pytest.param("graph", id="dot-keyword"),
    pytest.param("", id="empty"),
    pytest.param("x" * 500, id="very-long"),
]


@pytest.mark.parametrize("text", NASTY)
def test_nasty_worker_id_is_shown_as_text(text):
    check(text, "x_ptr")


@pytest.mark.parametrize("text", NASTY)
def test_nasty_variable_name_and_preview_are_shown_as_text(text):
    check("bob", text, preview=text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worker=st.text(max_size=30), name=st.text(max_size=30))
def test_any_text_as_worker_id_or_name_gives_valid_dot_and_safe_svg(worker, name):
    if worker == "me":
        worker = "me2"  # two workers with one id is not a world the core can make
    check(worker, name, preview=name)
