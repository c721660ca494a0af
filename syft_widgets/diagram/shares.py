"""Shares of a secret drawn as what they are: random-looking pieces, grouped across workers by colour.

Each share sits in its holder's box like any stored tensor, but its value is cut to a few digits (the
full 19-digit number says nothing more: it is uniformly random), and its outline and fill take the
colour of its secret, with the secret's id written on it, so the shares of one secret read as one group
across boxes even without colour; dotted lines in that colour join them. The crypto provider's
messages are drawn as what they carry (a Beaver triple, comparison masks), and the step of a
``.get()`` draws the shares coming home into the value ``me`` now holds.

``dot.py`` calls in here through :class:`ShareLook`, one object per picture.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

import graphviz

from ..events import MessageSent, ObjectRemoved, Step
from ..snapshot import ObjectView, WorkerView, WorldSnapshot
from . import style
from .labels import join_lines, kind_id, safe_text, shape_text
from .operations import operation_word
from .privacy import SEEN_NOTE, SEEN_NOTHING, WorkerSeenLike, add_seen_note
from .words import N_, format_number, translator

__all__ = [
    "CRYPTO_WORDS",
    "SECRET_COLOURS",
    "ShareLook",
    "add_share_legend",
    "crypto_message_word",
    "secret_colours",
    "short_share_value",
]

# Okabe and Ito's palette for colour-blind readers (outline, light fill of the same hue). The group
# is also written on every share ("secret #57"), so colour is never the only cue.
SECRET_COLOURS: tuple[tuple[str, str], ...] = (
    ("#0072B2", "#d6e9f5"),  # blue
    ("#D55E00", "#f8e0cf"),  # vermillion
    ("#009E73", "#d2efe6"),  # bluish green
    ("#CC79A7", "#f5e1ec"),  # reddish purple
    ("#E69F00", "#fbecc8"),  # orange
    ("#56B4E9", "#ddf0fb"),  # sky blue
)

# What the messages of the encrypted protocols carry (encrypted-model: messages.py), by (type, op).
# The protocol's own steps (me telling the holders what to do next) carry names and shapes only.
CRYPTO_WORDS: Mapping[tuple[str, str], str] = {
    ("crypto", "triple"): N_("Beaver triple"),
    ("crypto", "comparison mask"): N_("comparison mask"),
    ("crypto", "open"): N_("masked value"),
    ("send share", "share"): N_("share"),
    ("protocol", "deal"): N_("please deal"),
    ("protocol", "resume"): N_("next round"),
    ("protocol", "forget"): N_("forget"),
    ("protocol", "hand over"): N_("hand over"),
    ("protocol", "share"): N_("share"),
    ("protocol", "fix_precision"): N_("fixed point"),
}
_CRYPTO_TYPES = frozenset(kind for kind, _op in CRYPTO_WORDS)

_LONG_INTEGER = re.compile(r"-?\d{6,}")

# Looks of this module's shapes and lines, kept here with the legend samples that show them. A share
# is a rounded box like a tensor, but drawn bold in its secret's colour (fill and outline come per
# secret); the dotted line joins a secret's shares; crypto messages are dashed and violet.
SHARE: Mapping[str, str] = {"shape": "box", "style": "rounded,filled,bold", "penwidth": "2"}
SECRET_LINK: Mapping[str, str] = {
    "style": "dotted",
    "penwidth": "2",
    "dir": "none",
    "constraint": "false",
}
CRYPTO_MESSAGE: Mapping[str, str] = {
    "color": "#5e35b1",
    "fontcolor": "#4527a0",
    "penwidth": "2",
    "style": "dashed",
    "constraint": "true",
}
SHARE_HOME: Mapping[str, str] = {"style": "dashed", "penwidth": "1.5", "constraint": "false"}
REVEALED: Mapping[str, str] = {
    "shape": "box",
    "style": "rounded,filled,bold",
    "penwidth": "3",
    "fillcolor": "#ffffff",
}


def short_share_value(preview: str, digits: int = 4) -> str:
    """``preview`` with every long integer cut to its first ``digits`` digits and ``…``.

    A share is a uniformly random 64-bit number; its first digits are enough to see that it is
    random and that two shares differ.

    >>> short_share_value("[3439384283388423451, -2327796750129825181]")
    '[3439…, -2327…]'
    >>> short_share_value("[25]")
    '[25]'
    """
    return _LONG_INTEGER.sub(lambda m: m.group(0)[: digits + m.group(0).startswith("-")] + "…", preview)


def secret_colours(secret_ids: Iterable[int]) -> Mapping[int, tuple[str, str]]:
    """A colour (outline, fill) for each secret, keyed to its id so it stays put from step to step.

    A secret takes the palette entry its id points at, or the next free one when a secret with a
    smaller id already has it; colours repeat only with more secrets than colours.

    >>> c = secret_colours([13, 7, 14])
    >>> c[7] == SECRET_COLOURS[1], c[13] == SECRET_COLOURS[2], c[14] == SECRET_COLOURS[3]
    (True, True, True)
    """
    n = len(SECRET_COLOURS)
    taken: set[int] = set()
    chosen: dict[int, tuple[str, str]] = {}
    for secret in sorted(set(secret_ids)):
        slot = secret % n
        free = [s for s in range(slot, slot + n) if s % n not in taken]
        slot = free[0] % n if free else slot
        taken.add(slot)
        chosen[secret] = SECRET_COLOURS[slot]
    return chosen


def crypto_message_word(message: MessageSent, _: Callable[[str], str]) -> str | None:
    """What an encrypted protocol's message carries, in the view's language; None for other messages.

    >>> m = MessageSent("crypto_provider", "bob", "crypto", "triple", (), "tensor", 24)
    >>> crypto_message_word(m, translator("en")), crypto_message_word(m, translator("bn"))
    ('Beaver triple', 'বিভার ট্রিপল')
    """
    word = CRYPTO_WORDS.get((message.message, message.op))
    if word is not None:
        return _(word)
    if message.message == "protocol" and message.op:
        return operation_word(message.op, _)  # "* (multiply)", "> (greater than)"
    return None


def fixed_point_text(precision: int, _: Callable[[str], str], lang: str) -> str:
    """``fixed point ×1000``: the value is stored as an integer, ``precision`` decimal digits shifted.

    >>> fixed_point_text(3, translator("bn"), "bn")
    'স্থির দশমিক ×১,০০০'
    """
    return _("fixed point ×{scale}").format(scale=format_number(10**precision, lang))


class _Cluster(Protocol):
    """What :class:`ShareLook` reads of one of dot.py's worker clusters."""

    worker: WorkerView
    name: str
    node_of: dict[int, str]
    ghost_of: dict[int, str]


class ShareLook:
    """How one picture draws shares, fixed-point values, crypto messages and the privacy overlay."""

    def __init__(
        self,
        snapshot: WorldSnapshot,
        step: Step | None,
        lang: str,
        seen: Mapping[str, WorkerSeenLike] | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.step = step
        self.lang = lang
        self.seen = seen  # the privacy overlay's record, or None for no overlay
        self._ = translator(lang)
        # Where each share lives: (worker, object id) -> its tag; the colours follow the secrets.
        self.tags = {
            (w.id, o.id): o.share for w in snapshot.workers for o in w.objects if o.share is not None
        }
        # The step's own secrets count too: the value a .get() revealed keeps its shares' colour.
        secrets = {tag.secret for tag in self.tags.values()} | _step_secrets(step)
        self.colours = secret_colours(secrets)

    def in_language(self, lang: str) -> ShareLook:
        """The same look (shares, colours, overlay) with the words of ``lang``."""
        twin = copy.copy(self)
        twin.lang, twin._ = lang, translator(lang)
        return twin

    # ---- one node ------------------------------------------------------------------------------

    def node(self, worker_id: str, obj: ObjectView, label: str, attrs: Mapping[str, str]) -> dict[str, str]:
        """The attributes (``label`` included) of ``obj``'s node: a share, a pointer to one, or as given."""
        _ = self._
        extra: list[str] = []
        out = {**attrs, "label": label}
        tag = obj.share
        if obj.kind == "pointer" and obj.location is not None and obj.id_at_location is not None:
            tag = self.tags.get((obj.location, obj.id_at_location))
        if tag is not None:
            outline, fill = self.colours[tag.secret]
            place = f"{format_number(tag.index + 1, self.lang)}/{format_number(len(tag.holders), self.lang)}"
            group = _("secret #{id} · {place}").format(id=tag.secret, place=place)
            out["color"] = outline
            out["class"] = f"{attrs.get('class', obj.kind)} share secret_{tag.secret}"
            if obj.kind == "pointer":  # me's side of the shared value: the pointer keeps its look
                extra.append(group)
            else:
                lines = [
                    kind_id(safe_text(_("share")), obj.id, _),
                    safe_text(short_share_value(obj.preview)),
                    shape_text(obj, _, self.lang),
                    group,
                ]
                out.update(SHARE, fillcolor=fill, color=outline)
                if "penwidth" in attrs and attrs["penwidth"] != style.NODE["penwidth"]:
                    out["penwidth"] = str(float(attrs["penwidth"]) + 0.5)  # a change stays visible
                out["label"] = join_lines(lines)
        if obj.precision is not None and obj.kind != "pointer":
            extra.append(safe_text(fixed_point_text(obj.precision, _, self.lang)))
            out["class"] = out.get("class", obj.kind) + " fixed"
        if extra:
            out["label"] = join_lines([out["label"], *extra])
        return out

    # ---- one message arrow ---------------------------------------------------------------------

    def message(self, sent: Sequence[MessageSent]) -> dict[str, str]:
        """Extra attributes of one message arrow: crypto material reads differently from data."""
        kinds = {m.message for m in sent}
        if not kinds & _CRYPTO_TYPES:
            return {}
        ops = {m.op for m in sent if m.message == "crypto"}
        classes = ["message"]
        if ops:
            classes.append("crypto")
            classes += sorted(op.replace(" ", "_") for op in ops)
            return {**CRYPTO_MESSAGE, "class": " ".join(classes)}
        classes.append("protocol" if "protocol" in kinds else "share")
        return {"class": " ".join(classes)}

    # ---- after the clusters and messages -------------------------------------------------------

    def draw_extras(
        self,
        graph: graphviz.Digraph,
        clusters: Mapping[str, _Cluster],
        local: _Cluster | None,
        id_prefix: str,
    ) -> None:
        """Join the shares of each secret, draw a ``.get()``'s value appearing, and the overlay."""
        self._draw_links(graph, clusters, id_prefix)
        if local is not None:
            self._draw_reveal(graph, clusters, local, id_prefix)
        if self.seen is not None:
            for c in clusters.values():
                seen = self.seen.get(c.worker.id)
                if seen is None:  # a worker the record never heard of: nothing is claimed about it
                    continue
                add_seen_note(graph, c.name, c.worker.id, seen, self._, self.lang, id_prefix)

    def _draw_links(self, graph: graphviz.Digraph, clusters: Mapping[str, _Cluster], prefix: str) -> None:
        # One dotted line from each share of a secret to the next holder's share: the group at a glance.
        by_secret: dict[int, list[tuple[int, str]]] = {}
        for (worker_id, obj_id), tag in self.tags.items():
            c = clusters.get(worker_id)
            node = c.node_of.get(obj_id) if c is not None else None
            if node is not None:
                by_secret.setdefault(tag.secret, []).append((tag.index, node))
        for secret, nodes in sorted(by_secret.items()):
            nodes.sort()
            outline, _fill = self.colours[secret]
            for i, ((_a, tail), (_b, head)) in enumerate(itertools.pairwise(nodes)):
                graph.edge(
                    tail,
                    head,
                    id=f"{prefix}secret_{secret}_{i}",
                    color=outline,
                    **SECRET_LINK,
                    **{"class": f"secret-link secret_{secret}"},
                )

    def _draw_reveal(
        self, graph: graphviz.Digraph, clusters: Mapping[str, _Cluster], local: _Cluster, prefix: str
    ) -> None:
        # .get() of a shared value: the shares leave their holders (ghosts), come home, and the value
        # appears in me's box for this step only (me keeps it in a variable, not in a store).
        step = self.step
        if step is None or step.op != "reconstruct" or step.failed:
            return
        detail = step.detail
        secret = detail.get("secret")
        holders = detail.get("holders", ())
        if not isinstance(secret, int) or not isinstance(holders, tuple):
            return
        _ = self._
        node = f"{prefix}revealed_{secret}"
        lines = [safe_text(_("revealed")), safe_text(detail.get("value", ""))]
        precision = detail.get("precision")
        if isinstance(precision, int):
            lines.append(safe_text(fixed_point_text(precision, _, self.lang)))
        outline, _fill = self.colours[secret]
        with graph.subgraph(name=local.name) as sub:
            sub.node(
                node,
                label=join_lines(lines),
                id=node,
                **{**REVEALED, "color": outline, "class": f"revealed secret_{secret}"},
            )
        removed = {(e.worker, e.obj_id) for e in _removals(step)}
        for holder in holders:
            c = clusters.get(str(holder))
            if c is None:
                continue
            for obj_id, ghost in c.ghost_of.items():
                if (str(holder), obj_id) in removed:
                    graph.edge(
                        ghost,
                        node,
                        id=f"{ghost}_home",
                        color=outline,
                        **SHARE_HOME,
                        **{"class": f"share-home secret_{secret}"},
                    )


def _step_secrets(step: Step | None) -> set[int]:
    if step is None:
        return set()
    detail = step.detail
    found = [detail.get("secret"), *_tuple(detail.get("secrets")), *_tuple(detail.get("inputs"))]
    return {s for s in found if isinstance(s, int)}


def _tuple(value: object) -> tuple[object, ...]:
    return value if isinstance(value, tuple) else ()


def _removals(step: Step) -> list[ObjectRemoved]:
    return [e for e in step.events if isinstance(e, ObjectRemoved)]


def add_share_legend(legend: graphviz.Digraph, _: Callable[[str], str], p: str = "") -> None:
    """Legend samples: two shares of one secret joined by its dotted line, a Beaver triple's arrow,
    a value revealed by ``.get()``, and the privacy overlay's two notes."""
    outline, fill = SECRET_COLOURS[0]
    for i in (1, 2):
        legend.node(
            f"{p}legend_share{i}",
            label=join_lines([safe_text(_("share")), safe_text(_("secret #{id}").format(id=7))]),
            id=f"{p}legend_share{i}",
            **{**SHARE, "fillcolor": fill, "color": outline},
        )
    legend.edge(
        f"{p}legend_share1",
        f"{p}legend_share2",
        id=f"{p}legend_secret_link",
        label=safe_text(_("one secret: one colour, one number")),
        color=outline,
        **{**SECRET_LINK, "constraint": "true"},
    )
    legend.node(
        f"{p}legend_revealed",
        label=safe_text(_("revealed")),
        id=f"{p}legend_revealed",
        **{**REVEALED, "color": outline},
    )
    legend.edge(
        f"{p}legend_share2", f"{p}legend_revealed", id=f"{p}legend_share_home", color=outline, **SHARE_HOME
    )
    legend.node(f"{p}legend_crypto_start", id=f"{p}legend_crypto_start", **style.ANCHOR)
    legend.node(f"{p}legend_crypto_end", id=f"{p}legend_crypto_end", **style.ANCHOR)
    legend.edge(
        f"{p}legend_crypto_start",
        f"{p}legend_crypto_end",
        label=safe_text(_("Beaver triple")),
        id=f"{p}legend_crypto",
        **{**CRYPTO_MESSAGE, "constraint": "true"},
    )
    for key, text, look in (
        ("nothing", _("saw nothing in the clear"), SEEN_NOTHING),
        ("clear", _("saw in the clear:"), SEEN_NOTE),
    ):
        legend.node(f"{p}legend_seen_{key}", label=safe_text(text), id=f"{p}legend_seen_{key}", **look)
    legend.edge(f"{p}legend_seen_nothing", f"{p}legend_seen_clear", style="invis", id=f"{p}legend_seen")
