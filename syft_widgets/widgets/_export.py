"""Saving a view: SVG and PNG through the `dot` program, HTML as a self-contained offline replay."""

from __future__ import annotations

import html
import json
import pathlib
import re
from typing import TYPE_CHECKING, Any

import graphviz

from . import _deps
from ._drawing import legend_dot
from ._labels import labels, language_names

if TYPE_CHECKING:
    from .live import LiveView

__all__ = ["SUFFIXES", "html_page", "render", "replay_data", "save", "static_svg", "text_fallback"]

SUFFIXES = (".svg", ".png", ".html")


def render(dot: str, fmt: str) -> bytes:
    """``dot`` laid out by Graphviz's `dot` program as ``fmt`` ("svg" or "png")."""
    try:
        return bytes(graphviz.Source(dot).pipe(format=fmt))
    except graphviz.ExecutableNotFound as exc:
        raise RuntimeError(
            f"saving as .{fmt} needs Graphviz's `dot` program on PATH (Debian: apt-get install "
            "graphviz; conda: conda install graphviz); view.save('diagram.html') works without it"
        ) from exc


def save(view: LiveView, path: pathlib.Path) -> pathlib.Path:
    """Write ``view`` to ``path``; the suffix picks the format."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        allowed = ", ".join(SUFFIXES)
        raise ValueError(
            f"cannot save {str(path)!r}: the file name must end in one of {allowed}, "
            "e.g. view.save('part3.svg')"
        )
    if suffix == ".html":
        path.write_text(html_page(view, title=path.stem), encoding="utf-8")
    else:
        dot = view.dot_for(view.shown_step(), view.lang, view._hub.names)
        path.write_bytes(render(dot, suffix[1:]))
    return path


def static_svg(view: LiveView) -> str:
    """SVG of the step shown, with ids of its own so it cannot clash with a live view on the page."""
    # Graphviz writes "-" in ids as "&#45;": keep the prefix to letters, digits and "_".
    prefix = "syfts" + re.sub(r"[^A-Za-z0-9]", "", view.model_id)[:8] + "_"
    dot = view.dot_for(view.shown_step(), view.lang, view._hub.names, id_prefix=prefix)
    return render(dot, "svg").decode("utf-8")


def text_fallback(view: LiveView) -> str:
    """A plain-text stand-in for the view: what it is and what its step did."""
    step = view.shown_step()
    try:
        if step is None:
            said = labels(view.lang)["empty"]
        else:
            said = view.narration(step, view.lang)
    except Exception:
        said = ""
    return f"{view!r}\n{said}".rstrip()


def replay_data(view: LiveView) -> dict[str, Any]:
    """Every recorded step drawn and narrated in every language, for the offline page."""
    names = view._hub.names
    steps = view.steps
    languages = {}
    for lang in _deps.supported_languages():
        languages[lang] = {
            "labels": labels(lang),
            "steps_meta": view.steps_meta_for(lang),
            "dots": [view.dot_for(s, lang, names) for s in steps],
            "empty_dot": "" if steps else view.dot_for(None, lang, names),
            "legend_dot": legend_dot(lang),
        }
    shown = view.shown_step()
    return {
        "lang": view.lang,
        "step": shown.index if shown is not None else -1,
        "language_names": language_names(),
        "languages": languages,
    }


def _script_json(value: object) -> str:
    # JSON inside <script> must not contain "</script>" or an HTML comment opener.
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body {{ margin: 16px; background: #fff; color: #222; }}</style>
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


def html_page(view: LiveView, title: str) -> str:
    """One offline page that replays every recorded step with the live view's own controls."""
    from .live import BUNDLE

    if not BUNDLE.is_file():
        raise RuntimeError(
            f"saving as .html needs the front-end bundle {BUNDLE}, which is missing; "
            "reinstall with `pip install -e .` (needs Node.js >= 18 and npm)"
        )
    return _PAGE.format(
        lang=html.escape(view.lang),
        title=html.escape(title),
        data=_script_json(replay_data(view)),
        bundle=_script_json(BUNDLE.read_text(encoding="utf-8")),
    )
