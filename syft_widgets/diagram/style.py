"""Colours, shapes and fonts of the diagram, in one place so the legend and the drawing agree."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "ANCHOR",
    "BUNDLE",
    "CHANGE",
    "CHANGE_STYLE",
    "CLUSTER",
    "COLLECTION",
    "DANGLING",
    "DANGLING_EDGE",
    "EDGE",
    "FOLD",
    "FONT",
    "GRAPH",
    "KIND",
    "LOCAL_CLUSTER",
    "MESSAGE",
    "MODULE_PARAM",
    "NODE",
    "OFFLINE",
    "POINTS_TO",
    "SPENT",
    "SPENT_EDGE",
]

# A list of families: the browser (SVG) and fontconfig both take the first one that is installed,
# and Noto Sans Bengali carries the Bengali glyphs that many Latin fonts lack.
FONT = "Noto Sans, Noto Sans Bengali, DejaVu Sans, sans-serif"

Attrs = Mapping[str, str]

# Left to right reads like the pointer chains: me → alice → bob.
GRAPH: Attrs = {
    "rankdir": "LR",
    "compound": "true",
    "fontname": FONT,
    "fontsize": "12",
    "nodesep": "0.25",
    "ranksep": "0.6",
    "bgcolor": "transparent",
}
NODE: Attrs = {"fontname": FONT, "fontsize": "11", "shape": "box", "style": "rounded,filled", "penwidth": "1"}
EDGE: Attrs = {"fontname": FONT, "fontsize": "10", "arrowsize": "0.7"}

CLUSTER: Attrs = {"style": "rounded,filled", "fillcolor": "#f6f7f9", "color": "#9aa5b1", "fontsize": "13"}
LOCAL_CLUSTER: Attrs = {"fillcolor": "#eef4fb"}
OFFLINE: Attrs = {"style": "rounded,dashed", "color": "#9e9e9e", "fontcolor": "#757575"}

# Kinds differ by shape as well as colour, so the picture also reads in grey-scale.
KIND: Mapping[str, Attrs] = {
    "tensor": {"shape": "box", "fillcolor": "#fff3c4", "color": "#b08900"},
    "parameter": {"shape": "box3d", "style": "filled", "fillcolor": "#eadcf8", "color": "#7b4fa6"},
    # The arrow-shaped box is drawn tight around its text; a larger margin keeps the name clear of it.
    "pointer": {
        "shape": "cds",
        "style": "filled",
        "fillcolor": "#d8e9fb",
        "color": "#3b6ea8",
        "margin": "0.14,0.1",
    },
    "module": {"shape": "component", "style": "filled", "fillcolor": "#dff0d8", "color": "#3c763d"},
}

# Changes of the last step: each has its own colour *and* line, for readers who cannot tell colours apart.
CHANGE: Mapping[str, Attrs] = {
    "added": {"color": "#1b8a3a", "penwidth": "3"},
    "moved": {"color": "#1565c0", "penwidth": "2", "peripheries": "2"},
    "changed": {"color": "#e65100", "penwidth": "3"},
    "removed": {"color": "#b0b0b0", "fontcolor": "#9e9e9e", "fillcolor": "#f4f4f4"},
}
# Line styles added to the kind's own style (its shape stays, so a ghost still shows what it was).
CHANGE_STYLE: Mapping[str, str] = {"changed": "diagonals", "removed": "dashed"}

POINTS_TO: Attrs = {"color": "#3b6ea8", "arrowhead": "normal"}
DANGLING: Attrs = {"shape": "box", "style": "rounded,dashed", "color": "#c62828", "fontcolor": "#c62828"}
DANGLING_EDGE: Attrs = {"color": "#c62828", "style": "dashed"}
# A pointer .get() just used up: faded and dashed, shown only in the step that spent it.
SPENT: Attrs = {"style": "filled,dashed", "fillcolor": "#f1f3f5", "color": "#9e9e9e", "fontcolor": "#757575"}
SPENT_EDGE: Attrs = {"color": "#b0b0b0", "style": "dashed"}
# Messages take part in the layout, so the receiver's box sits after the sender's (see dot.py).
MESSAGE: Attrs = {
    "color": "#d81b60",
    "fontcolor": "#ad1457",
    "penwidth": "2",
    "style": "bold",
    "constraint": "true",
}
MODULE_PARAM: Attrs = {"color": "#3c763d", "style": "dotted", "arrowhead": "odot"}
ANCHOR: Attrs = {"shape": "point", "style": "invis", "width": "0.01", "height": "0.01", "label": ""}
FOLD: Attrs = {"shape": "note", "style": "filled", "fillcolor": "#ffffff", "color": "#9aa5b1"}
# A learner's list of pointers, folded: a folder in the pointers' blue; its arrows are the pointers'
# arrows bundled, one per worker, drawn thicker.
COLLECTION: Attrs = {
    "shape": "folder",
    "style": "filled",
    "fillcolor": "#d8e9fb",
    "color": "#3b6ea8",
    "penwidth": "2",
}
BUNDLE: Attrs = {"color": "#3b6ea8", "fontcolor": "#3b6ea8", "penwidth": "2.5", "arrowhead": "normal"}
