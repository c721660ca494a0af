"""A snapshot of the world (and the step that led to it) as DOT text, built with ``graphviz``."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import graphviz

from ..events import MessageSent, ObjectRemoved, Step
from ..snapshot import ObjectView, WorkerView, WorldSnapshot
from . import style
from .changes import Changes, step_changes
from .collections import SMALL, CollectionPlan, PointerCollection, plan_collections
from .fold import Fold, fold_store
from .ids import IdAllocator, worker_slug
from .labels import (
    collection_label,
    ghost_label,
    join_lines,
    kind_id,
    module_text,
    object_label,
    pointer_label,
    safe_text,
    spent_pointer_label,
    summary_label,
)
from .legend import add_legend
from .operations import operation_word
from .privacy import WorkerSeenLike
from .shares import ShareLook, crypto_message_word
from .statements import RememberedWhileSaving, attributes, digraph, source, subgraph
from .statements import edge as write_edge
from .statements import node as write_node
from .words import N_, format_number, plural_translator, translator

__all__ = [
    "MESSAGE_WORDS",
    "message_label",
    "messages_label",
    "remembering_object_lines",
    "to_dot",
    "to_dots",
]

# Message types the core names (events.MessageSent.message); a command shows its operation instead.
MESSAGE_WORDS: Mapping[str, str] = {
    "send object": N_("send object"),
    "request object": N_("request object"),
    "delete object": N_("delete object"),
    "command": N_("command"),
    "reply": N_("reply"),
}


def message_label(message: MessageSent, _: Callable[[str], str], lang: str = "en") -> str:
    """``+ (add) · 32 B``: the operation for commands, the message type otherwise, and the bytes.

    The byte count is written in ``lang``'s digits.

    >>> from syft_widgets.diagram.words import translator
    >>> m = MessageSent("me", "bob", "send object", "send", (1,), "tensor", 1032)
    >>> message_label(m, translator("en")), message_label(m, translator("bn"), "bn")
    ('send object · 1,032 B', 'অবজেক্ট পাঠানো · ১,০৩২ বাইট')
    """
    return _with_bytes(_message_word(message, _), message.nbytes, _, lang)


def messages_label(messages: Sequence[MessageSent], lang: str = "en", command_word: str | None = None) -> str:
    """One arrow's label for every message a step sent from one worker to another.

    One message keeps its own label; several of one kind are counted (``send object ×2``); several
    kinds (a model call's commands with the queries torch makes on its own) are only counted, so the
    picture shows how many messages went, never torch's internal names. Bytes are added up.
    ``command_word`` names every command instead of torch's function (``Linear(2 → 1)`` for the
    ``linear`` a model call sends).

    >>> m = MessageSent("me", "bob", "send object", "send", (1,), "tensor", 8)
    >>> q = MessageSent("me", "bob", "command", "is_sparse", (), "tensor", 0)
    >>> messages_label([m, m], "en"), messages_label([m, q, q], "bn")
    ('send object ×2 · 16 B', '৩টি বার্তা · ৮ বাইট')
    """
    _ = translator(lang)
    count = len(messages)
    words = {
        command_word if command_word and m.message == "command" else _message_word(m, _) for m in messages
    }
    if count == 1 or len(words) == 1:
        what = words.pop() if count == 1 else f"{words.pop()} ×{format_number(count, lang)}"
    else:
        text = plural_translator(lang)("{count} message", "{count} messages", count)
        what = text.format(count=format_number(count, lang))
    return _with_bytes(what, sum(m.nbytes for m in messages), _, lang)


def _message_word(message: MessageSent, _: Callable[[str], str]) -> str:
    if (crypto := crypto_message_word(message, _)) is not None:  # "Beaver triple", shares.py
        return safe_text(crypto)
    if message.message == "command" and message.op:
        return safe_text(operation_word(message.op, _))  # "** (power)", never "__pow__"
    if message.message in MESSAGE_WORDS:
        return safe_text(_(MESSAGE_WORDS[message.message]))
    return safe_text(message.message)


def _with_bytes(what: str, nbytes: int, _: Callable[[str], str], lang: str) -> str:
    if nbytes <= 0:
        return what
    return _("{label} · {nbytes} B").format(label=what, nbytes=format_number(nbytes, lang))


@dataclass
class _Cluster:
    """What one worker's cluster will hold, decided before anything is written."""

    worker: WorkerView
    dom_id: str  # the cluster's SVG id, with the view's prefix
    name: str  # the subgraph's DOT name: graphviz draws a box only for names starting "cluster"
    anchor: str
    fold: Fold  # what the store draws, and the summary of what it does not
    local_ids: frozenset[int]  # ids of the worker's own pointers (WorkerView.pointers)
    node_of: dict[int, str] = field(default_factory=dict)  # object id -> node id, for shown objects
    ghosts: list[tuple[str, ObjectRemoved]] = field(default_factory=list)  # (node id, removal)
    ghost_of: dict[int, str] = field(default_factory=dict)  # removed object id -> its ghost's node
    summary: str | None = None  # the summary node of a folded store (or the handle that folds it again)
    expanded: bool = False  # a store above the limit drawn in full because the learner asked
    dangling: list[tuple[str, str]] = field(default_factory=list)  # (node id, label)


class _Drawing:
    """Plans one picture, then writes it in each language asked for (``plan``, then ``write``).

    Kept as a class only to share its lookup tables between small methods.
    """

    def __init__(
        self,
        snapshot: WorldSnapshot,
        step: Step | None,
        lang: str,
        names: Mapping[int, str] | None,
        limit: int,
        id_prefix: str,
        collections: Sequence[PointerCollection] = (),
        expanded: Collection[str] = (),
        seen: Mapping[str, WorkerSeenLike] | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.shares = ShareLook(snapshot, step, lang, seen)  # shares, crypto messages, overlay
        self.step = step
        self.changes: Changes = step_changes(step)
        self.failed = step is not None and step.failed
        self._ = translator(lang)
        self.names: Mapping[int, str] = names or {}
        self.variables = self.names  # pointers in variables of their own (names grows collection places)
        self.limit = limit
        # An unfolded collection draws this many of its pointers in me's box (one per worker for four
        # workers), so me stays as tall as the other boxes; me's note counts and unfolds the rest.
        self.shown_members = max(1, limit // 2)
        self.sampled = False  # an unfolded collection draws only some of its pointers
        self.collections = collections
        self.expanded = frozenset(expanded)
        self.collection_plans: list[tuple[str, CollectionPlan]] = []  # (node id, plan)
        self.folded_modules: set[int] = set()  # models inside a folded collection: not drawn
        self.lang = lang
        self.ids = IdAllocator(id_prefix)
        self.clusters: dict[str, _Cluster] = {}
        self._store_ids: dict[str, frozenset[int]] = {}
        self.module_nodes: dict[int, str] = {}
        self._outside_nodes: dict[str, str] = {}  # stand-ins for workers missing from the snapshot
        self._planned_ids = self.ids  # the ids once planned: each language's picture starts from them
        self.graph: graphviz.Digraph  # each language's picture gets its own (_start_writing)

    # ---- deciding -------------------------------------------------------------------------------

    def plan(self) -> None:
        touched: dict[str, set[int]] = {}
        for w, obj_id in self.changes.added | self.changes.changed | self.changes.moved:
            touched.setdefault(w, set()).add(obj_id)
        # Objects the drawn pointers aim at, by worker: a store shows them before its newest objects.
        wanted: dict[str, set[int]] = {}
        for worker in self.snapshot.workers:
            slug = worker_slug(worker.id)
            pointers = _one_per_id(worker.pointers) if worker.pointers else []
            keep = touched.get(worker.id, set())
            if pointers and self.collections and worker.kind == "local":
                pointers, keep = self._fold_collections(pointers, keep, f"store:{slug}" in self.expanded)
            items = [*worker.objects, *pointers] if pointers else worker.objects
            expanded = f"store:{slug}" in self.expanded
            limit = max(self.limit, len(items)) if expanded else self.limit
            if pointers:  # pointers in variables of their own are always drawn, as the learner named them
                keep = keep | {p.id for p in pointers if p.id in self.variables}
            if self.sampled and worker.kind == "local" and not expanded:
                limit = min(limit, len(keep) + 1)  # me draws the sample and its note, no newest fill
            fold = fold_store(items, limit, keep, wanted.get(worker.id, ()))
            if worker.kind == "local" and self.collection_plans:
                self._fold_models_not_shown(fold)
            for o in fold.shown:
                if o.kind == "pointer" and o.location is not None and o.id_at_location is not None:
                    wanted.setdefault(o.location, set()).add(o.id_at_location)
            local_ids = frozenset(p.id for p in worker.pointers)
            dom_id = self.ids.take(f"cluster_{slug}")
            name = "cluster_" + self.ids.prefix + dom_id[len(self.ids.prefix) + len("cluster_") :]
            self.clusters[worker.id] = _Cluster(
                worker, dom_id, name, self.ids.take(f"anchor_{slug}"), fold, local_ids
            )
            if fold.hidden or (expanded and len(items) > self.limit):
                self.clusters[worker.id].summary = self.ids.take(f"expand_store_{slug}")
                self.clusters[worker.id].expanded = not fold.hidden
        # Stored objects claim the plain ``obj_<id>`` first, then local pointers: when the same id
        # lives in two places (a pointer sent on keeps its id), the stored one keeps the stable id.
        for stored_pass in (True, False):
            for c in self.clusters.values():
                slug = worker_slug(c.worker.id)
                for obj in c.fold.shown:
                    if (obj.id in c.local_ids) == stored_pass or obj.id in c.node_of:
                        continue
                    c.node_of[obj.id] = self.ids.take(f"obj_{obj.id}", f"obj_{obj.id}_{slug}")
        # Ghosts of what the step removed: a spent pointer's arrow ends at the ghost of what it fetched.
        for ghost in self.changes.removed:
            gc = self.clusters.get(ghost.worker)
            if gc is None:
                continue
            slug = worker_slug(gc.worker.id)
            node = self.ids.take(f"obj_{ghost.obj_id}", f"ghost_{ghost.obj_id}_{slug}")
            gc.ghosts.append((node, ghost))
            gc.ghost_of.setdefault(ghost.obj_id, node)
        for m in self.snapshot.modules:
            if m.id not in self.folded_modules:
                self.module_nodes[m.id] = self.ids.take(f"module_{m.id}")
        self._planned_ids = self.ids.copy()

    def _fold_collections(
        self, pointers: list[ObjectView], touched: set[int], all_of_me: bool
    ) -> tuple[list[ObjectView], set[int]]:
        """The local pointers left to draw once the learner's collections are folded, and those to keep.

        Kept are the pointers the step touched and those of an expanded collection: unfolding ``ptrs``
        shows a few of its pointers per worker (at most the limit; ``spread_members``) and ``me``'s
        note counts the rest; with ``me``'s store unfolded too (``all_of_me``) it shows them all.
        """
        # A pointer whose target the step just stored or moved is part of the step: drawn on its own.
        targets = self.changes.added | self.changes.moved | self.changes.changed
        touched = touched | {p.id for p in pointers if (p.location, p.id_at_location) in targets}
        plans, folded, member_names = plan_collections(
            self.collections,
            pointers,
            self.names,
            touched,
            self.expanded,
            None if all_of_me else self.shown_members,
        )
        self.names = {**member_names, **self.names}  # a variable of its own names a pointer first
        self.sampled = any(len(plan.sample) < len(plan.drawn) for plan in plans)
        keep = set(touched)
        for plan in plans:
            if plan.folded:
                self.folded_modules.update(plan.collection.modules)
            if plan.folded or plan.pointers > SMALL:  # an expanded collection keeps its node
                node = self.ids.take(f"collection_{worker_slug(plan.collection.name)}")
                self.collection_plans.append((node, plan))
            if not plan.folded:
                keep.update(plan.sample)
        return ([p for p in pointers if p.id not in folded] if folded else pointers), keep

    def _fold_models_not_shown(self, fold: Fold) -> None:
        # A model of an unfolded list whose parameters' pointers me's box does not draw (they are
        # counted in me's note) is not drawn either: a model box with no arrow says nothing.
        shown = {o.id for o in fold.shown}
        unfolded = {
            m for _node, plan in self.collection_plans if not plan.folded for m in plan.collection.modules
        }
        for m in self.snapshot.modules:
            if m.id in unfolded and m.parameters and not any(pid in shown for _name, pid in m.parameters):
                self.folded_modules.add(m.id)

    # ---- writing --------------------------------------------------------------------------------

    def write(self, lang: str, legend: bool) -> str:
        """The planned picture in ``lang``: plan() first, then once per language."""
        self._start_writing(lang)
        pointer_edges = [edge for c in self.clusters.values() for edge in self._pointer_edges(c)]
        local = self._local_cluster()
        for c in self.clusters.values():
            self._draw_cluster(c, local=c is local)
        for tail, head, attrs in pointer_edges:
            write_edge(self.graph, tail, head, attrs)  # graphviz's text, cheaper (statements.py)
        self._draw_bundles()
        if local is not None:
            self._draw_module_edges(local)
        self._draw_messages()
        self.shares.draw_extras(self.graph, self.clusters, local, self.ids.prefix)
        if legend:
            add_legend(self.graph, self._, self.ids.prefix)
        return source(self.graph)

    def _start_writing(self, lang: str) -> None:
        # What writing a picture adds to the plan (ids and boxes of missing targets, stand-ins for
        # workers not shown) starts again from the plan, so each language's picture is written alike.
        if lang != self.lang:
            self.lang, self._ = lang, translator(lang)
            self.shares = self.shares.in_language(lang)
        self.ids = self._planned_ids.copy()
        self._outside_nodes = {}
        for c in self.clusters.values():
            c.dangling = []
        # graphviz's text, written cheaper (statements.py): a saved page draws thousands of pictures.
        self.graph = digraph(f"{self.ids.prefix}world", style.GRAPH, style.NODE, style.EDGE)
        attributes(self.graph, {"id": f"{self.ids.prefix}world"})

    def _local_cluster(self) -> _Cluster | None:
        # The snapshot lists the local worker first; its kind says "local" when the core knows it.
        for c in self.clusters.values():
            if c.worker.kind == "local":
                return c
        return next(iter(self.clusters.values()), None)

    def _draw_cluster(self, c: _Cluster, local: bool) -> None:
        _ = self._
        w = c.worker
        label = safe_text(w.id)
        attrs = dict(style.CLUSTER)
        if local:
            attrs.update(style.LOCAL_CLUSTER)
        if not w.online:
            attrs.update(style.OFFLINE)
            label = _("{worker} (offline)").format(worker=label)
        if w.placement:  # the badge: where a worker in another process runs
            label = join_lines([label, _("Ray · node {node}").format(node=safe_text(w.placement))])
        with subgraph(self.graph, c.name) as sub:
            attributes(sub, {"id": c.dom_id, "label": label, **attrs})
            write_node(sub, c.anchor, {"id": c.anchor, **style.ANCHOR})
            drawn: set[str] = set()
            for obj in c.fold.shown:
                node = c.node_of[obj.id]
                if node in drawn:  # the same id twice in one store: draw it once
                    continue
                drawn.add(node)
                self._draw_object(sub, w.id, obj, node, obj.id in c.local_ids)
            for node, ghost in c.ghosts:
                ghost_text = ghost_label(ghost.obj_id, safe_text(_(ghost.kind)), _)
                ghost_attrs = {**_with_change(ghost.kind, "removed"), "class": f"{ghost.kind} removed"}
                write_node(sub, node, {"label": ghost_text, "id": node, **ghost_attrs})
            if c.summary:
                self._draw_summary(sub, c, c.summary)
            grid = [c.node_of[o.id] for o in c.fold.shown] + ([c.summary] if c.summary else [])
            # Not me's box: its pointers' arrows run to the right, from one column, not across rows.
            if len(grid) > GRID_COLUMNS and not local:
                _grid(sub, grid, c.dom_id)
            for node, text in c.dangling:
                write_node(sub, node, {"label": text, "id": node, **style.DANGLING, "class": "dangling"})
            if local:
                for node, plan in self.collection_plans:
                    self._draw_collection(sub, node, plan)
                for m in self.snapshot.modules:
                    if m.id not in self.module_nodes:  # a model inside a folded collection
                        continue
                    node = self.module_nodes[m.id]
                    lines = [safe_text(m.class_name), kind_id(safe_text(_("module")), m.id, _)]
                    if m.location:
                        lines.append("→ " + safe_text(m.location))
                    module_attrs = {
                        "label": join_lines(lines),
                        "id": node,
                        **style.KIND["module"],
                        "class": "module",
                    }
                    write_node(sub, node, module_attrs)

    def _draw_summary(self, sub: graphviz.Digraph, c: _Cluster, node: str) -> None:
        # The summary of a folded store, or the handle that folds an expanded one again: the front end
        # finds it by its id (expand:store:<worker>) and class (sw-expandable); docs/diagram.md.
        _ = self._
        if c.expanded:
            label, tip, classes = safe_text(_("show fewer")), _("click to show fewer"), "sw-expanded"
        else:
            label, tip, classes = summary_label(c.fold.groups, self.lang), _("click to show all"), ""
        attrs = {
            "id": self._expand_id(f"store:{worker_slug(c.worker.id)}"),
            "tooltip": safe_text(tip),
            **style.FOLD,
            "class": f"fold sw-expandable {classes}".strip(),
        }
        write_node(sub, node, {"label": label, **attrs})

    def _draw_collection(self, sub: graphviz.Digraph, node: str, plan: CollectionPlan) -> None:
        c = plan.collection
        label = collection_label(c.name, c.kind, c.length, plan.pointers, self.lang)
        tip = self._("click to show all") if plan.folded else self._("click to show fewer")
        classes = "collection sw-expandable" + ("" if plan.folded else " sw-expanded")
        attrs = {
            "id": self._expand_id(c.key),
            "tooltip": safe_text(tip),
            **style.COLLECTION,
            "class": classes,
        }
        write_node(sub, node, {"label": label, **attrs})

    def _draw_bundles(self) -> None:
        # One arrow per worker a folded collection points into, labelled with how many pointers.
        for node, plan in self.collection_plans:
            if not plan.folded:
                continue
            slug = worker_slug(plan.collection.name)
            for worker_id, count in plan.targets.items():
                attrs = {
                    "id": f"{self.ids.prefix}bundle_{slug}_{worker_slug(worker_id)}",
                    "label": "×" + format_number(count, self.lang),
                    **style.BUNDLE,
                    "class": "bundle",
                }
                target = self.clusters.get(worker_id)
                if target is not None:
                    attrs["lhead"] = target.name
                write_edge(self.graph, node, self._worker_anchor(worker_id), attrs)

    def _expand_id(self, key: str) -> str:
        """The SVG id the front end finds an expandable node by: ``<id_prefix>expand:<key>``."""
        return f"{self.ids.prefix}expand:{key}"

    def _draw_object(
        self, sub: graphviz.Digraph, worker_id: str, obj: ObjectView, node: str, is_local_pointer: bool
    ) -> None:
        # While a page is saved (remembering_object_lines), a step's picture redraws mostly the
        # objects of the step before, so an object's line is remembered by all it depends on. Not in
        # a picture with shares: their colours depend on every secret in it.
        lines = _OBJECT_LINES.table
        if lines is None or self.shares.tags:
            self._write_object(sub, worker_id, obj, node, is_local_pointer)
            return
        name = self.names.get(obj.id) if is_local_pointer else None
        key = (node, worker_id, obj, name, self.changes.status((worker_id, obj.id)), self.lang)
        line = lines.get(key)
        if line is None:
            self._write_object(sub, worker_id, obj, node, is_local_pointer)
            line = sub.body[-1]
            lines.remember(key, line)
        else:
            sub.body.append(line)

    def _write_object(
        self, sub: graphviz.Digraph, worker_id: str, obj: ObjectView, node: str, is_local_pointer: bool
    ) -> None:
        _ = self._
        kind_word = safe_text(_(obj.kind))
        if obj.kind == "pointer":
            name = self.names.get(obj.id) if is_local_pointer else None
            if obj.spent:
                label = spent_pointer_label(obj, kind_word, name, _)
                attrs = {**style.KIND["pointer"], **style.SPENT}
                write_node(sub, node, {"label": label, "id": node, **attrs, "class": "pointer spent"})
                return
            label = pointer_label(obj, kind_word, name, _)
        else:
            label = object_label(obj, kind_word, _, self.lang)
        change = self.changes.status((worker_id, obj.id))
        classes = f"{obj.kind} {change}" if change else obj.kind
        attrs = {**_with_change(obj.kind, change), "class": classes}
        write_node(sub, node, {"id": node, **self.shares.node(worker_id, obj, label, attrs)})

    def _pointer_edges(self, c: _Cluster) -> list[tuple[str, str, dict[str, str]]]:
        edges = []
        for obj in c.fold.shown:
            if obj.kind != "pointer" or obj.location is None or obj.id_at_location is None:
                continue
            tail = c.node_of.get(obj.id)
            if tail is None:
                continue
            head = self._target_node(obj.location, obj.id_at_location)
            attrs = {"id": f"{tail}_to", **style.POINTS_TO}
            if obj.spent:
                # What it fetched is gone from the worker: point at the ghost, or nowhere. A spent
                # pointer never makes a "missing target": the data was not lost, it came home.
                target = self.clusters.get(obj.location)
                head = head or (target.ghost_of.get(obj.id_at_location) if target else None)
                if head is not None:
                    edges.append((tail, head, {**attrs, **style.SPENT_EDGE}))
                continue
            if head is None:
                head = self.ids.take(f"missing_{worker_slug(obj.location)}_{obj.id_at_location}")
                text = join_lines(
                    [f"{safe_text(obj.location)}:{obj.id_at_location}", safe_text(self._("missing target"))]
                )
                target_cluster = self.clusters.get(obj.location)
                if target_cluster is not None:
                    target_cluster.dangling.append((head, text))
                else:
                    write_node(
                        self.graph, head, {"label": text, "id": head, **style.DANGLING, "class": "dangling"}
                    )
                attrs.update(style.DANGLING_EDGE)
            edges.append((tail, head, attrs))
        return edges

    def _target_node(self, location: str, obj_id: int) -> str | None:
        c = self.clusters.get(location)
        if c is None:
            return None
        node = c.node_of.get(obj_id)
        if node is not None:
            return node
        if c.summary and not c.expanded and obj_id in self._ids_in(c.worker):
            return c.summary  # the target exists but is folded away: point at the store's summary
        return None

    def _ids_in(self, worker: WorkerView) -> frozenset[int]:
        # Built only when a pointer aims into a folded store; then once per worker.
        if worker.id not in self._store_ids:
            self._store_ids[worker.id] = frozenset(o.id for o in (*worker.objects, *worker.pointers))
        return self._store_ids[worker.id]

    def _draw_module_edges(self, local: _Cluster) -> None:
        for m in self.snapshot.modules:
            module_node = self.module_nodes.get(m.id)
            if module_node is None:
                continue
            for i, (param_name, pointer_id) in enumerate(m.parameters):
                head = local.node_of.get(pointer_id)
                if head is None and m.location:
                    head = self._target_node(m.location, pointer_id)
                if head is None:
                    continue
                attrs = {"label": safe_text(param_name), "id": f"{module_node}_p{i}", **style.MODULE_PARAM}
                write_edge(self.graph, module_node, head, attrs)

    def _draw_messages(self) -> None:
        # Message arrows take part in the layout (constraint=true): the receiver's box is placed after
        # the sender's, so the arrow runs straight from box to box with its label beside it. A reply
        # runs against its request; it is written as an edge the same way round with its arrowhead at
        # the tail (dir=back), else Graphviz loops one of the two around the boxes. All messages of
        # the step from one worker to another share one arrow: ten fanned-out arrows of one optimizer
        # step read as a tangle, one arrow "10 messages" at a glance.
        # A model call's commands are named by the model the learner called, not by torch's function.
        module = self.step.detail.get("module") if self.step and self.step.op == "module_call" else None
        command_word = safe_text(module_text(str(module), self.lang)) if module else None
        groups: dict[tuple[str, str], list[MessageSent]] = {}
        for msg in self.changes.messages:
            groups.setdefault((msg.sender, msg.receiver), []).append(msg)
        written: set[tuple[str, str]] = set()
        for i, ((sender_id, receiver_id), sent) in enumerate(groups.items()):
            sender, receiver = self.clusters.get(sender_id), self.clusters.get(receiver_id)
            # The arrow starts at what it carries or asks for, when the sender's box draws it: the
            # tensor sent, the ghost of what a reply took away, the pointer a request was made with.
            tail = self._message_source(sender, receiver_id, sent) or self._worker_anchor(sender_id)
            head = self._worker_anchor(receiver_id)
            attrs = {
                "id": f"{self.ids.prefix}msg_{i}",
                "label": messages_label(sent, self.lang, command_word),
                **style.MESSAGE,
                "class": "message",
                **self.shares.message(sent),
            }
            if self.failed:
                _mark_failed(attrs)
            asker = self._pointer_aiming(receiver, sender_id, sent)
            if asker is not None and sender is not None and sender is not receiver:
                # A reply comes home to the pointer that asked for it. Written the way its request
                # runs (pointer -> what it took), arrowhead at the pointer, it lies beside the request
                # instead of looping round the boxes; an end at the sender's anchor stops at its border.
                attrs["dir"] = "back"
                if tail == sender.anchor:
                    attrs["lhead"] = sender.name
                written.add((asker, tail))
                write_edge(self.graph, asker, tail, attrs)
                continue
            if (head, tail) in written and (tail, head) not in written:
                tail, head, sender, receiver = head, tail, receiver, sender
                attrs["dir"] = "back"
            written.add((tail, head))
            # The arrowhead ends at the receiver's border, so it reads as "→ bob", not "→ some node".
            # The arrow starts at the sender's anchor inside its box, not at its border: clipped there,
            # its label (placed halfway along the whole edge) would float inside a big sender box.
            if sender is not None and receiver is not None and sender is not receiver:
                if attrs.get("dir") == "back":  # the arrowhead is at the written tail
                    attrs["ltail"] = sender.name
                else:
                    attrs["lhead"] = receiver.name
            write_edge(self.graph, tail, head, attrs)

    def _message_source(
        self, sender: _Cluster | None, receiver_id: str, sent: list[MessageSent]
    ) -> str | None:
        """The node in ``sender``'s box that ``sent`` concerns, if the box draws one."""
        if sender is None:
            return None
        ids = list(dict.fromkeys(i for m in sent for i in m.obj_ids))
        # A request names the object it asks for: the pointer that aims at it there, or (a move, which
        # keeps the id) at its new place.
        aiming = [o for o in sender.fold.shown if o.kind == "pointer" and o.id_at_location in ids]
        if aiming:
            return sender.node_of.get(min(aiming, key=lambda o: o.location != receiver_id).id)
        for obj_id in ids:
            node = sender.node_of.get(obj_id) or sender.ghost_of.get(obj_id)
            if node is not None:
                return node
        return None

    def _pointer_aiming(self, holder: _Cluster | None, worker_id: str, sent: list[MessageSent]) -> str | None:
        """The node of ``holder``'s pointer at an object of ``worker_id`` that ``sent`` names, if drawn."""
        if holder is None:
            return None
        ids = {i for m in sent for i in m.obj_ids}
        for obj in holder.fold.shown:
            if obj.kind == "pointer" and obj.location == worker_id and obj.id_at_location in ids:
                return holder.node_of.get(obj.id)
        return None

    def _worker_anchor(self, worker_id: str) -> str:
        c = self.clusters.get(worker_id)
        if c is not None:
            return c.anchor
        # A message from or to a worker the snapshot does not show: a plain labelled node stands in.
        slug = worker_slug(worker_id)
        if worker_id not in self._outside_nodes:
            node = self.ids.take(f"worker_{slug}")
            self._outside_nodes[worker_id] = node
            attrs = {"label": safe_text(worker_id), "id": node, "shape": "box", "style": "dashed"}
            write_node(self.graph, node, attrs)
        return self._outside_nodes[worker_id]


# Object nodes' DOT lines, by (node id, worker, object, variable name, change, language), while a
# page of many pictures is drawn.
_OBJECT_LINES: RememberedWhileSaving[tuple[object, ...], str] = RememberedWhileSaving(2048)


def remembering_object_lines() -> AbstractContextManager[None]:
    """Within this block, each object's DOT line is remembered for the pictures drawn after it.

    Saving a replay draws every step in every language, folded and unfolded: mostly the same objects,
    which are then written once (about a third of a saved page's drawing). Forgotten afterwards.
    """
    return _OBJECT_LINES.remembering()


# A box of more than this many nodes is drawn in rows of at least this many, not one tall column:
# four workers' boxes of 8 nodes each, one under the other, then fit a screen (about 1300 × 900 px).
GRID_COLUMNS = 4


def _grid(sub: graphviz.Digraph, nodes: list[str], owner: str) -> None:
    """Lay ``nodes`` out in rows: invisible edges chain each row from left to right (rankdir LR)."""
    nodes = list(dict.fromkeys(nodes))  # one id may be shown twice (a stored object and a pointer)
    columns = max(GRID_COLUMNS, math.isqrt(len(nodes) - 1) + 1)
    for i in range(1, len(nodes)):
        if i % columns:
            write_edge(sub, nodes[i - 1], nodes[i], {"id": f"{owner}_row_{i}", "style": "invis"})


def _one_per_id(pointers: tuple[ObjectView, ...]) -> list[ObjectView]:
    """The local pointers with one view per pointer id, a live one where there is one.

    Two Python objects can carry one pointer id (the twin ``pointer_to_x_ptr.get()`` returns, or an old
    copy Jupyter's output cache keeps): in the picture they are one pointer, one node, one arrow.
    """
    by_id: dict[int, ObjectView] = {}
    for p in pointers:
        if p.id not in by_id or (by_id[p.id].spent and not p.spent):
            by_id[p.id] = p
    return list(by_id.values())


# --- a failed step (issue 9 §3) ------------------------------------------------------------------
# Its messages are drawn red and marked ✗; its stores are unchanged, so nothing else is highlighted.
FAILED_MESSAGE = {"color": "#c62828", "fontcolor": "#c62828", "penwidth": "2"}


def _mark_failed(attrs: dict[str, str]) -> None:
    attrs.update(FAILED_MESSAGE)
    attrs["label"] = "✗ " + attrs["label"]
    attrs["class"] += " failed"


def _with_change(kind: str, change: str | None) -> dict[str, str]:
    attrs = dict(style.KIND.get(kind, style.KIND["tensor"]))
    if change is None:
        return attrs
    attrs.update(style.CHANGE[change])
    extra = style.CHANGE_STYLE.get(change)
    if extra:
        attrs["style"] = f"{attrs.get('style', style.NODE['style'])},{extra}"
    return attrs


def to_dot(
    snapshot: WorldSnapshot,
    *,
    step: Step | None = None,
    lang: str = "en",
    names: Mapping[int, str] | None = None,
    collections: Sequence[PointerCollection] = (),
    expanded: Collection[str] = (),
    max_objects_per_worker: int = 8,
    id_prefix: str = "",
    legend: bool = True,
    seen: Mapping[str, WorkerSeenLike] | None = None,
) -> str:
    """DOT text for ``snapshot``: one cluster per worker, highlights and messages of ``step``.

    ``names`` maps local pointer ids to the learner's variable names; ``collections`` are the
    learner's lists, tuples and dicts of pointers, each folded into one node. ``id_prefix`` keeps
    the SVG ids of several views on one page apart. Stores above ``max_objects_per_worker`` are
    summarised. ``expanded`` holds the keys (``store:bob``, ``collection:ptrs``) of what the learner
    unfolded; each expandable node has the id ``<id_prefix>expand:<key>`` and the class
    ``sw-expandable`` (docs/diagram.md, "Folding"). ``seen`` (what each worker has seen in the clear,
    by worker id: ``encrypted.seen``'s record as of the step) adds the privacy overlay (privacy.py).

    >>> from syft_widgets.snapshot import WorkerView, WorldSnapshot
    >>> world = WorldSnapshot((WorkerView("me", "local", True, ()), WorkerView("bob", "virtual", True, ())))
    >>> to_dot(world, legend=False).splitlines()[0]
    'digraph world {'
    """
    return to_dots(
        snapshot,
        (lang,),
        step=step,
        names=names,
        collections=collections,
        expanded=expanded,
        max_objects_per_worker=max_objects_per_worker,
        id_prefix=id_prefix,
        legend=legend,
        seen=seen,
    )[lang]


def to_dots(
    snapshot: WorldSnapshot,
    langs: Sequence[str],
    *,
    step: Step | None = None,
    names: Mapping[int, str] | None = None,
    collections: Sequence[PointerCollection] = (),
    expanded: Collection[str] = (),
    max_objects_per_worker: int = 8,
    id_prefix: str = "",
    legend: bool = True,
    seen: Mapping[str, WorkerSeenLike] | None = None,
) -> dict[str, str]:
    """``to_dot`` of one picture in each of ``langs``, by language, planned once for all of them.

    What a picture shows, where and under which ids does not depend on its words, so a saved page,
    which draws every step in every language, decides it once per picture.

    >>> from syft_widgets.snapshot import WorkerView, WorldSnapshot
    >>> world = WorldSnapshot((WorkerView("me", "local", True, ()),))
    >>> dots = to_dots(world, ("en", "bn"))
    >>> dots == {"en": to_dot(world, lang="en"), "bn": to_dot(world, lang="bn")}, dots["en"] == dots["bn"]
    (True, False)
    """
    if not langs:
        return {}
    drawing = _Drawing(
        snapshot,
        step,
        langs[0],
        names,
        max_objects_per_worker,
        id_prefix,
        collections=collections,
        expanded=expanded,
        seen=seen,
    )
    drawing.plan()
    return {lang: drawing.write(lang, legend) for lang in langs}
