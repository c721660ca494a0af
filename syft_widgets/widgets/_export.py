"""Saving a view: SVG and PNG through the `dot` program, HTML as a self-contained offline replay.

Everything here takes data (DOT text, the replay's steps) and never a view, so it can be read and
tested on its own. The front end's files live here too: the live view and the saved page use both.
"""

from __future__ import annotations

import html
import json
import pathlib
import re
from collections.abc import Hashable, Mapping
from typing import Any

import graphviz

from ..diagram.ids import worker_slug
from ..diagram.privacy import WorkerSeenLike, add_seen_note
from ..diagram.words import translator
from ..snapshot import WorldSnapshot

__all__ = [
    "BUNDLE",
    "STYLESHEET",
    "SUFFIXES",
    "PrivacyNotes",
    "check_suffix",
    "expandable_keys",
    "fit_svg",
    "front_end",
    "html_page",
    "pack_replay",
    "render",
    "static_id_prefix",
]

STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"
BUNDLE = STATIC / "widget.js"
"""The front end, built from js/ by the package build (hatch_build.py)."""
STYLESHEET = STATIC / "widget.css"
"""The front end's look, built next to the bundle from js/src/widget.css."""

SUFFIXES = (".svg", ".png", ".html")

# Shown only by a development checkout whose front end was never built.
_MISSING_BUNDLE_ESM = """
export default { render({ el }) {
  el.textContent = "syft-widgets: the front-end bundle is missing; " +
    "run `pip install -e .` (needs Node.js >= 18 and npm).";
} };
"""


def front_end() -> tuple[pathlib.Path | str, pathlib.Path | str]:
    """The widget's ``_esm`` and ``_css``: the built files, or a note that says how to build them."""
    if not BUNDLE.is_file():
        return _MISSING_BUNDLE_ESM, ""
    return BUNDLE, STYLESHEET if STYLESHEET.is_file() else ""


def check_suffix(path: pathlib.Path) -> str:
    """The format ``path`` asks for (".svg", ".png" or ".html"), or a ValueError that lists them."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        allowed = ", ".join(SUFFIXES)
        raise ValueError(
            f"cannot save {str(path)!r}: the file name must end in one of {allowed}, "
            "e.g. view.save('part3.svg')"
        )
    return suffix


def render(dot: str, fmt: str) -> bytes:
    """``dot`` laid out by Graphviz's `dot` program as ``fmt`` ("svg" or "png")."""
    try:
        return bytes(graphviz.Source(dot).pipe(format=fmt))
    except graphviz.ExecutableNotFound as exc:
        raise RuntimeError(
            f"saving as .{fmt} needs Graphviz's `dot` program on PATH (Debian: apt-get install "
            "graphviz; conda: conda install graphviz); view.save('diagram.html') works without it"
        ) from exc


# The static picture fits a notebook's output area and a screen, like the live view (widget.css).
FIT_WIDTH_PX = 1300
FIT_HEIGHT_PX = 900
_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def fit_svg(svg: str, max_width: float = FIT_WIDTH_PX, max_height: float = FIT_HEIGHT_PX) -> str:
    """``svg`` from `dot` scaled down to fit ``max_width`` × ``max_height`` px, never enlarged.

    Only the outer size changes: the viewBox keeps every shape, so a viewer can still zoom in, and the
    picture also shrinks with a narrower page.

    >>> fit_svg('<svg width="300pt" height="1500pt" viewBox="0 0 300 1500">')
    '<svg width="180px" height="900px" style="max-width: 100%; height: auto" viewBox="0 0 300 1500">'
    >>> fit_svg('<svg width="30pt" height="15pt" viewBox="0 0 30 15">')
    '<svg width="40px" height="20px" style="max-width: 100%; height: auto" viewBox="0 0 30 15">'
    """
    found = _SVG_SIZE.search(svg)
    if found is None:
        return svg
    width, height = (float(v) * 4 / 3 for v in found.groups())  # points to CSS pixels
    scale = min(1.0, max_width / width, max_height / height) if width and height else 1.0
    size = (
        f'<svg width="{round(width * scale)}px" height="{round(height * scale)}px" '
        'style="max-width: 100%; height: auto"'
    )
    return svg[: found.start()] + size + svg[found.end() :]


_EXPANDABLE_ID = re.compile(r'id="expand:([^"]+)"')


def expandable_keys(dot: str) -> list[str]:
    """The keys of the stores and collections that ``dot`` (drawn without an id prefix) can unfold.

    The diagram layer gives each such node the id ``expand:<key>`` (and the class ``sw-expandable``).

    >>> expandable_keys('a [id="expand:store:bob" class="fold sw-expandable"] b [id="obj_7"]')
    ['store:bob']
    """
    return list(dict.fromkeys(_EXPANDABLE_ID.findall(dot)))


# ---- the privacy overlay of a saved page, without drawing every step twice ----------------------------
# The overlay adds one note to each worker's box, written after everything else in the picture, box by
# box (diagram/shares.py, ShareLook.draw_extras, through privacy.add_seen_note): a step's picture with
# the overlay is its plain picture with the notes' statements before the closing brace. A page of 500
# steps carries both pictures of every step in two languages; writing only the notes, each once while
# its worker's record stays the same, costs a small part of drawing every picture again.
# tests/test_widget_export.py compares the result with full drawings, step by step.

_CLOSE = "}\n"  # how a picture's DOT text ends


class PrivacyNotes:
    """Adds the privacy overlay's notes to plain pictures, writing each note once per saved page."""

    def __init__(self) -> None:
        self._notes: dict[tuple[str, object, str], str] = {}

    def picture(
        self, plain: str, snapshot: WorldSnapshot, seen: Mapping[str, WorkerSeenLike], lang: str
    ) -> str | None:
        """``plain`` (the picture of ``snapshot`` in ``lang``, no id prefix) with the overlay ``seen``.

        None when that cannot be done (two workers with one slug, a record that cannot be remembered,
        pictures of another form): the caller then draws the overlay picture in full.
        """
        worker_ids = [w.id for w in snapshot.workers]
        if len({worker_slug(w) for w in worker_ids}) < len(worker_ids) or not plain.endswith(_CLOSE):
            return None
        notes = []
        for worker_id in worker_ids:
            record = seen.get(worker_id)
            if record is None:  # a worker the record never heard of gets no note
                continue
            if not isinstance(record, Hashable):  # a record of another kind, which cannot be remembered
                return None
            try:
                notes.append(self._note(worker_id, record, lang))
            except TypeError:  # hashable in form only (a field that is not)
                return None
        return plain[: -len(_CLOSE)] + "".join(notes) + _CLOSE

    def _note(self, worker_id: str, seen: WorkerSeenLike, lang: str) -> str:
        # The statements of the note ``seen`` in ``worker_id``'s box, written by the overlay's own
        # function. A box's DOT name is "cluster_<worker slug>" in any picture without an id prefix
        # whose workers have distinct slugs (diagram/ids.py), so its note is written the same whatever
        # else the picture holds.
        key = (worker_id, seen, lang)
        note = self._notes.get(key)
        if note is None:
            graph = graphviz.Digraph()
            box = f"cluster_{worker_slug(worker_id)}"
            add_seen_note(graph, box, worker_id, seen, translator(lang), lang)
            note = self._notes[key] = "".join(graph.body)
        return note


def pack_replay(replay: Mapping[str, Any]) -> dict[str, Any]:
    """``replay`` as a saved page stores it: each privacy picture as the notes its plain picture lacks.

    A privacy picture that is not its plain one plus notes stays whole; js/src/replay.js reads both.

    >>> table = {"dots": ["a {\\n}\\n"], "privacy_dots": ["a {\\n\\tnote\\n}\\n"]}
    >>> pack_replay({"languages": {"en": table}})["languages"]["en"]["privacy_dots"]
    [{'notes': '\\tnote\\n}\\n'}]
    """
    languages = {}
    for lang, table in replay["languages"].items():
        packed = dict(table)
        if "privacy_dots" in table:
            packed["privacy_dots"] = [
                _overlay_notes(plain, overlaid)
                for plain, overlaid in zip(table["dots"], table["privacy_dots"], strict=True)
            ]
        languages[lang] = packed
    return {**replay, "languages": languages}


def _overlay_notes(plain: str, overlaid: str) -> str | dict[str, str]:
    head = plain[: -len(_CLOSE)]
    if plain.endswith(_CLOSE) and overlaid.startswith(head):
        return {"notes": overlaid[len(head) :]}
    return overlaid


def static_id_prefix(model_id: str) -> str:
    """A prefix for the ids of a static picture, so it cannot clash with a live view on the page."""
    # Graphviz writes "-" in ids as "&#45;": keep the prefix to letters, digits and "_".
    return "syfts" + re.sub(r"[^A-Za-z0-9]", "", model_id)[:8] + "_"


def _script_json(value: object) -> str:
    # JSON inside <script> must not contain "</script>" or an HTML comment opener ("<!--"); both start
    # with "<", so that is the one character written as \u003c (">" and "&" mean nothing there, and
    # every DOT arrow "->" would grow by five bytes).
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body {{ margin: 16px; background: #fff; color: #222; }}</style>
<style>{stylesheet}</style>
</head>
<body>
<div id="syft-root"></div>
<script type="application/json" id="syft-replay">{data}</script>
<script type="application/json" id="syft-bundle">{bundle}</script>
<script type="module">
// The bundle travels as text and loads from a blob: URL, so the page needs no server and no network.
const read = (id) => JSON.parse(document.getElementById(id).textContent);
const url = URL.createObjectURL(new Blob([read("syft-bundle")], {{ type: "text/javascript" }}));
const widget = await import(url);
const model = widget.replayModel(read("syft-replay"));
widget.default.render({{ model, el: document.getElementById("syft-root") }});
</script>
</body>
</html>
"""


def html_page(replay: Mapping[str, Any], title: str) -> str:
    """One offline page that replays ``replay`` (``LiveView.replay_data()``) with the view's own controls."""
    if not BUNDLE.is_file():
        raise RuntimeError(
            f"saving as .html needs the front-end bundle {BUNDLE}, which is missing; "
            "reinstall with `pip install -e .` (needs Node.js >= 18 and npm)"
        )
    stylesheet = STYLESHEET.read_text(encoding="utf-8") if STYLESHEET.is_file() else ""
    return _PAGE.format(
        lang=html.escape(str(replay["lang"])),
        title=html.escape(title),
        stylesheet=stylesheet,
        data=_script_json(pack_replay(replay)),
        bundle=_script_json(BUNDLE.read_text(encoding="utf-8")),
    )
