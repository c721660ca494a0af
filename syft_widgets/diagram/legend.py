"""The legend: one small sample of every shape, highlight and arrow, in the chosen language."""

from __future__ import annotations

from collections.abc import Callable

import graphviz

from . import style
from .labels import safe_text
from .shares import add_share_legend

__all__ = ["add_legend"]


def add_legend(graph: graphviz.Digraph, _: Callable[[str], str], id_prefix: str = "") -> None:
    """Add ``cluster_legend`` to ``graph``: kinds in one column, the step's highlights in the next."""
    p = id_prefix
    with graph.subgraph(name=f"cluster_{p}legend") as legend:
        legend.attr(
            id=f"{p}legend",
            label=safe_text(_("Legend")),
            style="rounded,dashed",
            color="#c0c7d0",
            fontsize="11",
        )
        kinds = ["tensor", "parameter", "pointer", "module"]
        highlights = ["added", "moved", "changed", "removed"]
        for kind, change in zip(kinds, highlights, strict=True):
            legend.node(
                f"{p}legend_{kind}", label=safe_text(_(kind)), id=f"{p}legend_{kind}", **style.KIND[kind]
            )
            attrs = {**style.KIND["tensor"], **style.CHANGE[change]}
            if change in style.CHANGE_STYLE:
                attrs["style"] = f"rounded,filled,{style.CHANGE_STYLE[change]}"
            legend.node(f"{p}legend_{change}", label=safe_text(_(change)), id=f"{p}legend_{change}", **attrs)
            # Invisible edges put each highlight beside a kind: two short columns, not one tall one.
            legend.edge(
                f"{p}legend_{kind}", f"{p}legend_{change}", style="invis", id=f"{p}legend_{kind}_{change}"
            )
        # A pointer .get() used up: drawn in the step that spent it, next to the kinds' column.
        legend.node(
            f"{p}legend_spent",
            label=safe_text(_("retrieved")),
            id=f"{p}legend_spent",
            **{**style.KIND["pointer"], **style.SPENT},
        )
        legend.edge(f"{p}legend_module", f"{p}legend_spent", style="invis", id=f"{p}legend_module_spent")
        legend.node(
            f"{p}legend_offline",
            label=safe_text(_("offline")),
            id=f"{p}legend_offline",
            **style.OFFLINE,
            shape="box",
        )
        legend.node(f"{p}legend_message_end", id=f"{p}legend_message_end", **style.ANCHOR)
        legend.edge(
            f"{p}legend_offline", f"{p}legend_message_end", style="invis", id=f"{p}legend_offline_message"
        )
        legend.node(f"{p}legend_message_start", id=f"{p}legend_message_start", **style.ANCHOR)
        legend.edge(
            f"{p}legend_message_start",
            f"{p}legend_message_end",
            label=safe_text(_("message")),
            id=f"{p}legend_message",
            **{**style.MESSAGE, "constraint": "true"},
        )
        # A big world: a learner's list of pointers folded into one node, a store's summary note.
        legend.node(
            f"{p}legend_collection",
            label=safe_text(_("list of pointers")),
            id=f"{p}legend_collection",
            **style.COLLECTION,
        )
        legend.node(
            f"{p}legend_summary", label=safe_text(_("summary")), id=f"{p}legend_summary", **style.FOLD
        )
        legend.edge(
            f"{p}legend_collection", f"{p}legend_summary", style="invis", id=f"{p}legend_collection_summary"
        )
        add_share_legend(legend, _, p)  # shares of one secret, a Beaver triple (shares.py)
