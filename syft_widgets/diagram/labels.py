"""Label text: user strings made safe for DOT and for HTML, and the lines each kind of node shows."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from ..snapshot import ObjectView
from .fold import Group
from .words import N_, format_number, plural_translator, translator

__all__ = [
    "MAX_TEXT",
    "collection_label",
    "fold_label",
    "ghost_label",
    "join_lines",
    "kind_id",
    "module_text",
    "object_label",
    "pointer_label",
    "safe_text",
    "shape_text",
    "spent_pointer_label",
    "summary_label",
]

MAX_TEXT = 40

# Control characters become their visible "control pictures" (newline shows as ␊, the Unicode line
# separators as ␤), so a worker id can never break a label or a DOT statement into lines, and text
# that XML cannot hold becomes the replacement mark.
_CONTROL = {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421, 0x2028: 0x2424, 0x2029: 0x2424}


def _printable(text: str) -> str:
    out = text.translate(_CONTROL)
    if out.isprintable() or not any(_bad_for_xml(ch) for ch in out):
        return out
    return "".join("\ufffd" if _bad_for_xml(ch) else ch for ch in out)


def _bad_for_xml(ch: str) -> bool:
    code = ord(ch)
    return 0x80 <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF)


def safe_text(text: object, limit: int = MAX_TEXT) -> str:
    r"""``text`` as a piece of a quoted DOT label that shows exactly that text, and nothing more.

    HTML-escaping means no user text can start an HTML-like label or a tag in the SVG; graphviz turns
    the entities back into characters when it draws. Backslashes are doubled so that DOT escapes
    such as ``\N`` or ``\l`` in user text stay literal.

    >>> print(safe_text('bob"];x[label="'))
    bob&quot;];x[label=&quot;
    >>> print(safe_text("<img src=x onerror=alert(1)>"))
    &lt;img src=x onerror=alert(1)&gt;
    >>> print(safe_text("a\\Nb\nc"))
    a\\Nb␊c
    >>> safe_text("x" * 50, limit=5)
    'xxxx…'
    """
    s = _printable(str(text))
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return html.escape(s, quote=True).replace("\\", "\\\\")


def join_lines(lines: Sequence[str]) -> str:
    r"""Join already-safe lines with DOT's centred line break ``\n``."""
    return "\\n".join(lines)


# A picture of 200 tensors writes the same few sizes 200 times; Babel takes 0.1 ms for each.
_dimension = lru_cache(maxsize=1024)(format_number)


def shape_text(view: ObjectView, _: Callable[[str], str], lang: str = "en") -> str:
    """``4 · int64``, ``2×3 · float32`` or ``scalar · float32``, plus a gradient mark.

    Sizes are counts, so they are written in ``lang``'s digits (``২×৩`` in Bengali).
    """
    dims = "×".join(_dimension(d, lang) for d in view.shape) if view.shape else _("scalar")
    parts = [dims, safe_text(view.dtype)]
    if view.requires_grad:
        parts.append("requires_grad")
    return " · ".join(parts)


# torch_steps.module_label writes a layer as "Linear(2 → 1)"; the step keeps that plain text (it is
# also the batch's key), and only what a learner reads is written in the view's digits.
_MODULE_SIZES = re.compile(r"^(?P<name>[^()]*)\((?P<n_in>[0-9]+) → (?P<n_out>[0-9]+)\)$")


def module_text(label: str, lang: str = "en") -> str:
    """A model's label with its layer sizes in ``lang``'s digits; the class name stays as it is.

    >>> module_text("Linear(2 → 1)", "bn"), module_text("Conv2d(1 → 8)", "bn"), module_text("ReLU", "bn")
    ('Linear(২ → ১)', 'Conv2d(১ → ৮)', 'ReLU')
    """
    match = _MODULE_SIZES.match(label)
    if match is None:
        return label
    n_in, n_out = (_dimension(int(match[key]), lang) for key in ("n_in", "n_out"))
    return f"{match['name']}({n_in} → {n_out})"


def kind_id(kind_word: str, obj_id: int, _: Callable[[str], str]) -> str:
    """``tensor #12`` in the chosen language."""
    return _("{kind} #{id}").format(kind=kind_word, id=obj_id)


def object_label(view: ObjectView, kind_word: str, _: Callable[[str], str], lang: str = "en") -> str:
    """A tensor or parameter: kind and id, value preview (as torch prints it), shape and dtype."""
    lines = [kind_id(kind_word, view.id, _), safe_text(view.preview), shape_text(view, _, lang)]
    return join_lines(lines)


def pointer_label(view: ObjectView, kind_word: str, name: str | None, _: Callable[[str], str]) -> str:
    """A pointer: the learner's variable name if any, its own id, and where it points."""
    target = f"→ {safe_text(view.location)}:{view.id_at_location}"
    if view.point_to_attr:
        target += "::" + safe_text(view.point_to_attr)
    lines = [kind_id(kind_word, view.id, _), target]
    if name:
        lines.insert(0, safe_text(name))
    return join_lines(lines)


def spent_pointer_label(view: ObjectView, kind_word: str, name: str | None, _: Callable[[str], str]) -> str:
    """A pointer ``.get()`` just used up: as before, marked retrieved."""
    return join_lines([pointer_label(view, kind_word, name, _), safe_text(_(N_("retrieved")))])


def fold_label(hidden: int, _: Callable[[str], str], lang: str = "en") -> str:
    """``… and 5 more`` (``… আরও ৫টি``): how many objects a large store folds away.

    >>> from syft_widgets.diagram.words import translator
    >>> fold_label(5, translator("bn"), "bn")
    '… আরও ৫টি'
    """
    return safe_text("… " + _("and {count} more").format(count=format_number(hidden, lang)))


# The largest groups get a line each in a store's summary; the rest are counted on one last line.
SUMMARY_LINES = 4


def summary_label(groups: Sequence[tuple[Group, int]], lang: str = "en") -> str:
    r"""A folded store's summary: one line per kind, shape and dtype, largest first.

    >>> groups = [(("tensor", (2,), "int64"), 48), (("pointer", (), ""), 3)]
    >>> summary_label(groups)
    '48 more tensors · 2 · int64\\n3 more pointers'
    >>> summary_label(groups, "bn")
    'আরও ৪৮টি টেন্সর · ২ · int64\\nআরও ৩টি পয়েন্টার'
    """
    _ = translator(lang)
    ngettext = plural_translator(lang)
    lines = []
    for (kind, shape, dtype), count in groups[:SUMMARY_LINES]:
        n = format_number(count, lang)
        if kind == "pointer":
            lines.append(ngettext("{count} more pointer", "{count} more pointers", count).format(count=n))
            continue
        if kind == "parameter":
            text = ngettext("{count} more parameter", "{count} more parameters", count)
        else:
            text = ngettext("{count} more tensor", "{count} more tensors", count)
        view = ObjectView(0, "tensor", "", shape, dtype)
        lines.append(f"{text.format(count=n)} · {shape_text(view, _, lang)}")
    rest = sum(count for _group, count in groups[SUMMARY_LINES:])
    if rest:
        lines.append(fold_label(rest, _, lang))
    return join_lines(lines)


def collection_label(name: str, kind: str, length: int, pointers: int, lang: str = "en") -> str:
    r"""A folded collection: the learner's variable, what it is, and how many pointers it holds.

    >>> collection_label("ptrs", "list", 200, 200)
    'ptrs\\nlist of 200\\n200 pointers'
    >>> collection_label("datasets", "list", 2, 4, "bn")
    'datasets\\nlist (২টি)\\n৪টি পয়েন্টার'
    """
    _ = translator(lang)
    ngettext = plural_translator(lang)
    what = _("{kind} of {count}").format(kind=safe_text(kind), count=format_number(length, lang))
    count = ngettext("{count} pointer", "{count} pointers", pointers).format(
        count=format_number(pointers, lang)
    )
    return join_lines([safe_text(name), what, count])


def ghost_label(obj_id: int, kind_word: str, _: Callable[[str], str]) -> str:
    """What is left of a removed object: its kind and id, marked removed."""
    return join_lines([kind_id(kind_word, obj_id, _), _("removed")])
