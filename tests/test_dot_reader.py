"""The DOT reader the diagram tests use (tests/dot_reader.py) reads what graphviz writes, and no more."""

from __future__ import annotations

import pytest

from tests.dot_reader import HAVE_DOT, label_text, parse_dot, render_svg, svg_texts


@pytest.mark.parametrize(
    ("line", "nodes", "edges"),
    [
        pytest.param('digraph g {\n\ta [label="x\\"y"]\n}', {"a": {"label": 'x"y'}}, [], id="escaped-quote"),
        pytest.param("digraph g {\n\ta -> b [id=e]\n}", {}, [("a", "b", {"id": "e"})], id="edge"),
        pytest.param(
            'digraph g {\n\ta:e -> "b c":w\n}',
            {},
            [("a", "b c", {"tailport": "e", "headport": "w"})],
            id="edge-with-ports",
        ),
    ],
)
def test_parse_dot_reads_nodes_and_edges(line, nodes, edges):
    dot = parse_dot(line)
    assert dot.nodes == nodes
    assert dot.edges == edges


def test_parse_dot_rejects_html_like_labels():
    with pytest.raises(AssertionError, match="HTML-like"):
        parse_dot("digraph g {\n\ta [label=<b>]\n}")


@pytest.mark.parametrize(
    ("label", "lines"),
    [
        pytest.param("a\\nb", ["a", "b"], id="line-break"),
        pytest.param("a\\\\nb", ["a\\nb"], id="literal-backslash-n"),
        pytest.param("&lt;img&gt;", ["<img>"], id="entities"),
    ],
)
def test_label_text_undoes_dot_and_html_escaping(label, lines):
    assert label_text(label) == lines


@pytest.mark.skipif(not HAVE_DOT, reason="the dot program is not installed")
@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "digraph g {\n\tcompound=true\n\tsubgraph cluster_a {\n\t\ta\n\t}\n"
            "\tsubgraph cluster_b {\n\t\tb\n\t}\n\ta -> b [lhead=cluster_a ltail=cluster_b]\n}",
            id="arrow-clipped-at-the-wrong-clusters",
        ),
        pytest.param("digraph g {\n\ta [shape=no_such_shape]\n}", id="unknown-shape"),
    ],
)
def test_render_svg_fails_on_a_graphviz_warning(source):
    with pytest.raises(AssertionError, match="dot printed warnings"):
        render_svg(source)


@pytest.mark.skipif(not HAVE_DOT, reason="the dot program is not installed")
def test_render_svg_returns_the_svg_of_a_clean_graph():
    svg = render_svg('digraph g {\n\ta [label="hello"]\n}')
    assert svg_texts(svg) == ["hello"]


MESSAGE_DOT = (
    "digraph g {{\n\tsubgraph cluster_bob {{\n\t\tanchor_bob\n\t}}\n"
    "\tsubgraph cluster_alice {{\n\t\tanchor_alice\n\t}}\n\t{edge} [class=message label=move {extra}]\n}}"
)


@pytest.mark.parametrize(
    ("edge", "extra", "read"),
    [
        pytest.param("anchor_bob -> anchor_alice", "", ("cluster_bob", "cluster_alice"), id="plain"),
        pytest.param(
            "anchor_bob:s -> anchor_alice:n",
            "ltail=cluster_bob lhead=cluster_alice",
            ("cluster_bob", "cluster_alice"),
            id="clipped-with-ports",
        ),
        pytest.param(
            "anchor_alice -> anchor_bob", "dir=back", ("cluster_bob", "cluster_alice"), id="dir-back"
        ),
        pytest.param("anchor_alice -> anchor_bob", "", ("cluster_alice", "cluster_bob"), id="reversed"),
        pytest.param("anchor_bob -> ghost", "", ("cluster_bob", "ghost"), id="node-outside-clusters"),
    ],
)
def test_messages_reads_sender_and_receiver_from_the_edge_ends(edge, extra, read):
    dot = parse_dot(MESSAGE_DOT.format(edge=edge, extra=extra))
    assert dot.messages() == [(*read, "move")]


def test_messages_refuses_an_arrow_clipped_at_the_other_end():
    dot = parse_dot(
        MESSAGE_DOT.format(edge="anchor_alice -> anchor_bob", extra="ltail=cluster_bob lhead=cluster_alice")
    )
    with pytest.raises(AssertionError, match="ltail=cluster_bob but the edge ends in cluster_alice"):
        dot.messages()
