"""DOT statements written straight into a graph's body: the text ``graphviz`` writes, only cheaper.

A picture of 200 objects makes about 5,000 ``graph.node``/``graph.edge`` calls, and ``graphviz``
checks the arguments of each call and quotes every attribute again, which was half of ``to_dot``'s
time. Most attribute values repeat (colours, shapes, classes), so their quoted form is remembered
here, and the line is appended to the graph's ``body`` (its documented list of DOT lines) as
``graphviz`` itself would append it: attributes sorted by name, ``label`` first, the same quoting.
``tests/test_diagram.py`` compares the text with ``graphviz``'s own, byte for byte.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from typing import Generic, TypeVar

import graphviz
from graphviz import quoting

__all__ = [
    "RememberedWhileSaving",
    "attr_list",
    "attributes",
    "digraph",
    "edge",
    "node",
    "quote",
    "remembering_arrows",
    "source",
    "subgraph",
]

_IS_HTML = quoting.HTML_STRING.match
_IS_ID = quoting.ID.match
_ODD_BACKSLASHES = quoting.FINAL_ODD_BACKSLASHES.search
_ESCAPE_QUOTES = quoting.ESCAPE_UNESCAPED_QUOTES

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Remembered(OrderedDict[K, V], Generic[K, V]):
    """A table of at most ``size`` entries that forgets its oldest first.

    Pictures are drawn again and again in a long session: what one drew is remembered for the next,
    and the memory held stays level once the table is full (clearing it whole made it swing).
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: K, value: V) -> None:
        if len(self) >= self.size:
            self.popitem(last=False)
        self[key] = value


# Quoted strings: style values repeat in every picture; labels are mostly unique.
_QUOTED: Remembered[str, str] = Remembered(1024)


def quote(text: str) -> str:
    """``text`` as a DOT id, quoted when it must be, exactly as ``graphviz.quoting.quote`` does.

    >>> quote("obj_12"), quote("rounded,filled"), quote('say "hi"'), quote("node")
    ('obj_12', '"rounded,filled"', '"say \\\\"hi\\\\""', '"node"')
    """
    found = _QUOTED.get(text)
    if found is not None and type(text) is str:
        return found
    if type(text) is not str or _ODD_BACKSLASHES(text):
        return quoting.quote(text)  # graphviz's own answer, and its warning, for the rare cases
    if _IS_HTML(text) or (_IS_ID(text) and text.lower() not in quoting.KEYWORDS):
        quoted = text
    else:
        quoted = f'"{_ESCAPE_QUOTES(text)}"'
    _QUOTED.remember(text, quoted)
    return quoted


def _quote_edge(name: str) -> str:
    # graphviz reads "node:port:compass" in an edge's ends; our node names never hold ':'.
    if ":" not in name:
        return quote(name)
    return quoting.quote_edge(name)


def attr_list(attrs: Mapping[str, str | None]) -> str:
    """`` [label=… a=… b=…]``: ``label`` first, then the rest sorted by name; ``None`` values left out."""
    label = attrs.get("label")
    parts = [f"label={quote(label)}"] if label is not None else []
    parts += [f"{quote(k)}={quote(v)}" for k, v in sorted(attrs.items()) if v is not None and k != "label"]
    return f" [{' '.join(parts)}]" if parts else ""


def node(graph: graphviz.Digraph, name: str, attrs: Mapping[str, str | None]) -> None:
    """What ``graph.node(name, **attrs)`` writes."""
    graph.body.append(f"\t{quote(name)}{attr_list(attrs)}\n")


def edge(graph: graphviz.Digraph, tail: str, head: str, attrs: Mapping[str, str | None]) -> None:
    """What ``graph.edge(tail, head, **attrs)`` writes (remembered inside ``remembering_arrows``)."""
    arrows = _ARROWS.table
    if arrows is None:
        graph.body.append(_edge_line(tail, head, attrs))
        return
    key = (tail, head, *attrs.items())
    line = arrows.get(key)
    if line is None:
        line = _edge_line(tail, head, attrs)
        arrows.remember(key, line)
    graph.body.append(line)


def _edge_line(tail: str, head: str, attrs: Mapping[str, str | None]) -> str:
    return f"\t{_quote_edge(tail)} -> {_quote_edge(head)}{attr_list(attrs)}\n"


class RememberedWhileSaving(Generic[K, V]):
    """A :class:`Remembered` table that exists only inside :meth:`remembering` blocks.

    Saving a page draws hundreds of pictures that repeat each other's lines; a live view draws one
    picture a push, and a long session's memory must not grow with lines it hardly reuses. So such
    tables are made when a save begins and forgotten when it ends. ``table`` is None outside.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.table: Remembered[K, V] | None = None

    @contextmanager
    def remembering(self) -> Iterator[None]:
        if self.table is not None:  # already remembering (a save inside a save): keep that table
            yield
            return
        self.table = Remembered(self.size)
        try:
            yield
        finally:
            self.table = None


# Arrows' DOT lines by their ends and attributes, while a page of many pictures is drawn.
_ARROWS: RememberedWhileSaving[tuple[object, ...], str] = RememberedWhileSaving(4096)


def remembering_arrows() -> AbstractContextManager[None]:
    """Within this block, each arrow's DOT line is remembered for the pictures written after it.

    An arrow's line depends on nothing but its ends and attributes, and a saved page writes the same
    arrows (a pointer's to its target, the rows of a box) picture after picture and in each language:
    a 500-step page writes about 5,000 different arrows 55,000 times. Forgotten afterwards.
    """
    return _ARROWS.remembering()


def _sorted_pairs(attrs: Mapping[str, str | None]) -> str:
    # ``graph.attr(...)`` and a graph's default attributes: every pair sorted by name, ``label`` too.
    return " ".join(f"{quote(k)}={quote(v)}" for k, v in sorted(attrs.items()) if v is not None)


def attributes(graph: graphviz.Digraph, attrs: Mapping[str, str | None]) -> None:
    """What ``graph.attr(**attrs)`` writes: the attributes of ``graph`` itself."""
    if attrs:  # graphviz writes a line even when every value is None
        graph.body.append(f"\t{_sorted_pairs(attrs)}\n")


@contextmanager
def subgraph(graph: graphviz.Digraph, name: str) -> Iterator[graphviz.Digraph]:
    """What ``with graph.subgraph(name=name) as sub:`` writes.

    ``graphviz`` copies the whole parent graph to make each subgraph; a picture of four boxes made a
    copy of the picture so far for every box.
    """
    sub = graphviz.Digraph()
    yield sub
    graph.body.append(f"\tsubgraph {quote(name)} {{\n")
    graph.body.extend([f"\t{line}" for line in sub.body])
    graph.body.append("\t}\n")


_Pairs = frozenset[tuple[str, str]]


@lru_cache(maxsize=64)
def _default_lines(graph_attr: _Pairs, node_attr: _Pairs, edge_attr: _Pairs) -> tuple[str, ...]:
    # The same styles head every picture: quoted once.
    lines = []
    for kw, attrs in (("graph", graph_attr), ("node", node_attr), ("edge", edge_attr)):
        if attrs:
            pairs = _sorted_pairs(dict(attrs))
            lines.append(f"\t{kw} [{pairs}]\n" if pairs else f"\t{kw}\n")
    return tuple(lines)


def digraph(
    name: str, graph_attr: Mapping[str, str], node_attr: Mapping[str, str], edge_attr: Mapping[str, str]
) -> graphviz.Digraph:
    """A graph whose ``source(graph)`` is what ``graphviz.Digraph(name=name, graph_attr=..., ...)`` writes.

    The default attributes are written as the first lines of its body (where ``graphviz`` writes
    them, right after the head), so they are quoted once, not each time the text is made.
    """
    lines = _default_lines(
        frozenset(graph_attr.items()), frozenset(node_attr.items()), frozenset(edge_attr.items())
    )
    return graphviz.Digraph(name=name, body=lines)


def source(graph: graphviz.Digraph) -> str:
    """``graph.source`` of a graph made by ``digraph`` (no comment, not strict, attributes in its body)."""
    assert not (graph.comment or graph.strict or graph.graph_attr or graph.node_attr or graph.edge_attr)
    return "".join([f"digraph {quote(graph.name)} {{\n", *graph.body, "}\n"])
