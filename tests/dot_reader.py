"""A small reader for the DOT that graphviz writes, shared by the diagram and widget tests.

The graphviz package writes one statement per line, so a line reader is enough to tell which node
sits in which ``subgraph cluster_...`` block and what attributes each node and edge carries. Its own
tests are in test_dot_reader.py.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest

__all__ = ["HAVE_DOT", "Dot", "label_text", "parse_dot", "render_svg", "svg_texts"]

HAVE_DOT = shutil.which("dot") is not None

_TOKEN = re.compile(
    r'\s*(?:(?P<q>"(?:[^"\\]|\\.)*")|(?P<html><[^\n]*>)|(?P<op>->|[\[\]{}=;])|(?P<id>[^\s\[\]{}=;"]+))'
)


def _tokens(line: str) -> list[str]:
    out, pos = [], 0
    line = line.rstrip()
    while pos < len(line):
        m = _TOKEN.match(line, pos)
        assert m is not None and m.end() > pos, f"cannot read DOT at {line[pos:]!r}"
        if m.group("html"):
            raise AssertionError(f"HTML-like label or id in DOT: {line!r}")
        out.append(m.group("q") or m.group("op") or m.group("id"))
        pos = m.end()
    return out


def _unquote(token: str) -> str:
    if token.startswith('"'):
        return token[1:-1].replace('\\"', '"')
    return token


def _attrs(tokens: list[str]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        if tokens[i] in "[]":
            i += 1
            continue
        assert tokens[i + 1] == "=", f"expected key=value in {tokens!r}"
        attrs[_unquote(tokens[i])] = _unquote(tokens[i + 2])
        i += 3
    return attrs


@dataclass
class Dot:
    """Nodes with their attributes and enclosing cluster, edges, and clusters with their attributes."""

    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    cluster_of: dict[str, str | None] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    clusters: dict[str, dict[str, str]] = field(default_factory=dict)
    graph_attrs: dict[str, str] = field(default_factory=dict)

    def in_cluster(self, cluster: str) -> set[str]:
        return {n for n, c in self.cluster_of.items() if c == cluster}

    def edge(self, edge_id: str) -> tuple[str, str, dict[str, str]]:
        matches = [e for e in self.edges if e[2].get("id") == edge_id]
        assert len(matches) == 1, f"edge {edge_id!r}: {matches}"
        return matches[0]

    def edges_between(self, tail: str, head: str) -> list[dict[str, str]]:
        return [a for t, h, a in self.edges if (t, h) == (tail, head)]

    def classes(self, node: str) -> set[str]:
        return set(self.nodes[node].get("class", "").split())

    def messages(self) -> list[tuple[str, str, str]]:
        """(sender's cluster, receiver's cluster, label) of every message arrow, in order.

        The ends are read from the edge itself: the cluster holding its tail node and its head node
        (a node outside every cluster, such as a stand-in for an unknown worker, stands for itself).
        ``dir=back`` swaps what the arrowhead shows; ``ltail``/``lhead``, when present, must clip
        the arrow at those same clusters, or Graphviz draws it from the wrong box.
        """
        found = []
        for tail, head, attrs in self.edges:
            if "message" not in attrs.get("class", "").split():
                continue
            direction = attrs.get("dir", "forward")
            assert direction in ("forward", "back"), f"message arrow {attrs.get('id')} has dir={direction}"
            ends = [self.cluster_of.get(tail) or tail, self.cluster_of.get(head) or head]
            for key, end in (("ltail", ends[0]), ("lhead", ends[1])):
                if key in attrs:
                    assert attrs[key] == end, (
                        f"{attrs.get('id')}: {key}={attrs[key]} but the edge ends in {end}"
                    )
            if direction == "back":
                ends.reverse()
            found.append((ends[0], ends[1], attrs.get("label", "")))
        return found

    def all_ids(self) -> list[str]:
        ids = [a["id"] for a in self.nodes.values()] + [a["id"] for _, _, a in self.edges]
        return ids + [a["id"] for a in self.clusters.values()]


def _endpoint(tokens: list[str]) -> tuple[str, str | None]:
    """An edge end ``node`` or ``node:port`` (``"node":port``) as (node, port or None)."""
    if len(tokens) == 1 and not tokens[0].startswith('"') and ":" in tokens[0]:
        node, port = tokens[0].split(":", 1)
        return node, port
    assert len(tokens) in (1, 2), f"cannot read edge end {tokens!r}"
    port = tokens[1].removeprefix(":") if len(tokens) == 2 else None
    return _unquote(tokens[0]), port


def _edge(tokens: list[str]) -> tuple[str, str, dict[str, str]]:
    arrow = tokens.index("->")
    attrs_at = tokens.index("[") if "[" in tokens else len(tokens)
    tail, tail_port = _endpoint(tokens[:arrow])
    head, head_port = _endpoint(tokens[arrow + 1 : attrs_at])
    attrs = _attrs(tokens[attrs_at:])
    # ``a:e -> b:w`` means the same as ``a -> b [tailport=e headport=w]``.
    if tail_port:
        attrs.setdefault("tailport", tail_port)
    if head_port:
        attrs.setdefault("headport", head_port)
    return tail, head, attrs


def parse_dot(source: str) -> Dot:
    dot = Dot()
    stack: list[str] = []
    for raw in source.split("\n"):  # not splitlines(): U+2028 etc. are not DOT line ends
        tokens = _tokens(raw)
        if not tokens:
            continue
        if tokens[0] in ("digraph", "graph") and tokens[-1] == "{" and not stack:
            stack.append("")
        elif tokens[0] == "subgraph":
            name = _unquote(tokens[1])
            stack.append(name)
            dot.clusters.setdefault(name, {})
        elif tokens == ["}"]:
            stack.pop()
        elif tokens[0] in ("graph", "node", "edge") and tokens[1] == "[":
            if tokens[0] == "graph":
                dot.graph_attrs.update(_attrs(tokens[1:]))
        elif len(tokens) >= 3 and tokens[1] == "=":
            target = dot.clusters[stack[-1]] if len(stack) > 1 else dot.graph_attrs
            target.update(_attrs(tokens))
        elif "->" in tokens:
            dot.edges.append(_edge(tokens))
        else:
            name = _unquote(tokens[0])
            assert name not in dot.nodes, f"node {name!r} declared twice"
            dot.nodes[name] = _attrs(tokens[1:])
            dot.cluster_of[name] = stack[-1] if len(stack) > 1 else None
    assert stack == [], "unbalanced braces in DOT"
    return dot


def label_text(label: str) -> list[str]:
    r"""The lines a label shows: DOT's ``\n`` splits lines, ``\\`` is one backslash, entities decoded."""
    lines = re.split(r"(?<!\\)((?:\\\\)*)\\n", label)
    # re.split keeps the captured even runs of backslashes; glue them back to the text before them.
    merged = [lines[0]]
    for i in range(1, len(lines), 2):
        merged[-1] += lines[i]
        merged.append(lines[i + 1])
    return [html.unescape(line.replace("\\\\", "\\")) for line in merged]


def render_svg(source: str) -> ET.Element:
    """Lay out with the ``dot`` program; fail on any error or warning it prints.

    Graphviz reports most mistakes (an arrow clipped at the wrong cluster, an unknown attribute)
    only as a warning on stderr and still exits 0, so anything at all on stderr fails the test.
    """
    if not HAVE_DOT:
        pytest.skip("the dot program is not installed")
    run = subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=60)
    printed = run.stderr.decode("utf-8", "replace")
    assert run.returncode == 0, printed
    assert not printed.strip(), f"dot printed warnings:\n{printed}"
    return ET.fromstring(run.stdout)


def svg_texts(svg: ET.Element) -> list[str]:
    return [(t.text or "").replace("\xa0", " ") for t in svg.iter("{http://www.w3.org/2000/svg}text")]
