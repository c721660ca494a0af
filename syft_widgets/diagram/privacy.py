"""The privacy overlay: in each worker's box, a note of what that worker has seen in the clear.

The record is ``syft_widgets.encrypted.seen``'s, a fold over the recorded steps: per worker, the plain
values it saw (its own values, plain tensors it received, results it revealed) and how many
random-looking shares and masked values passed through it, which reveal nothing. A view keeps the
record as it was after each step, so a replay shows what each worker had seen *then*. Here it
becomes words (one note per worker, "saw nothing" or a short list) and plain data for ``view.seen``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import graphviz

from .ids import worker_slug
from .labels import join_lines, safe_text
from .statements import node as write_node
from .statements import subgraph
from .words import N_, format_number, plural_translator

__all__ = [
    "SEEN_NOTE",
    "SEEN_NOTHING",
    "SeenEntryLike",
    "SeenRecord",
    "WorkerSeenLike",
    "add_seen_note",
    "seen_lines",
    "seen_record",
    "seen_text",
]

# How many of a worker's latest clear values its note lists; the rest are counted.
SHOWN_ENTRIES = 4

# A note in the worker's box. "Saw nothing" is green and solid, "saw values" orange and bold: the
# words say it too, so the colours are never the only cue.
SEEN_NOTE: Mapping[str, str] = {
    "shape": "note",
    "style": "filled,bold",
    "fillcolor": "#fff8e1",
    "color": "#e65100",
    "fontcolor": "#4e2a00",
}
SEEN_NOTHING: Mapping[str, str] = {**SEEN_NOTE, "style": "filled", "fillcolor": "#e8f5e9", "color": "#1b8a3a"}

_HOW = {
    "own": N_("its own value {value}"),
    "received": N_("{value} from {source}"),
    "revealed": N_("{value}, revealed from shares"),
}


class SeenEntryLike(Protocol):
    """One value a worker saw in the clear (``encrypted.seen.SeenEntry``)."""

    @property
    def how(self) -> str: ...  # "own", "received" or "revealed"
    @property
    def source(self) -> str: ...
    @property
    def obj_id(self) -> int: ...
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def dtype(self) -> str: ...
    @property
    def preview(self) -> str: ...


class WorkerSeenLike(Protocol):
    """What one worker has seen (``encrypted.seen.WorkerSeen``)."""

    @property
    def worker(self) -> str: ...
    @property
    def clear(self) -> tuple[SeenEntryLike, ...]: ...
    @property
    def clear_count(self) -> int: ...
    @property
    def shares(self) -> int: ...
    @property
    def masked(self) -> int: ...


def seen_lines(
    seen: WorkerSeenLike, _: Callable[[str], str], lang: str, shown: int = SHOWN_ENTRIES
) -> list[str]:
    """The note's lines, plain text (not yet made safe for DOT): a heading, then what was seen.

    The latest ``shown`` values are listed; earlier ones are counted.

    >>> from types import SimpleNamespace as S
    >>> from syft_widgets.diagram.words import translator
    >>> bob = S(worker="bob", clear=(), clear_count=0, shares=2, masked=6)
    >>> seen_lines(bob, translator("en"), "en")
    ['saw nothing in the clear', '2 shares (random-looking)', '6 masked values (random-looking)']
    >>> own = S(how="own", source="me", preview="[25]")
    >>> me = S(worker="me", clear=(own,), clear_count=1, shares=0, masked=0)
    >>> seen_lines(me, translator("bn"), "bn")
    ['সরাসরি দেখেছে:', 'নিজের মান [25]']
    """
    ngettext = plural_translator(lang)
    if seen.clear_count == 0:
        lines = [_("saw nothing in the clear")]
        # What did pass through it is random-looking: say how much, so "nothing" is not "idle".
        if seen.shares:
            text = ngettext("{count} share (random-looking)", "{count} shares (random-looking)", seen.shares)
            lines.append(text.format(count=format_number(seen.shares, lang)))
        if seen.masked:
            text = ngettext(
                "{count} masked value (random-looking)", "{count} masked values (random-looking)", seen.masked
            )
            lines.append(text.format(count=format_number(seen.masked, lang)))
        return lines
    lines = [_("saw in the clear:")]
    listed = seen.clear[-shown:] if shown > 0 else ()
    earlier = seen.clear_count - len(listed)
    if earlier > 0:
        lines.append(_("… and {count} earlier").format(count=format_number(earlier, lang)))
    for entry in listed:
        template = _(_HOW.get(entry.how, "{value}"))
        lines.append(template.format(value=entry.preview, source=entry.source))
    return lines


def add_seen_note(
    graph: graphviz.Digraph,
    box: str,
    worker_id: str,
    seen: WorkerSeenLike,
    _: Callable[[str], str],
    lang: str,
    id_prefix: str = "",
) -> None:
    """One note node in ``worker_id``'s box (the subgraph named ``box``) that says what it has seen.

    It is written after everything else in the picture, so a saved page can add the notes to a
    picture drawn without them (widgets/_export.py, PrivacyNotes).
    """
    node = f"{id_prefix}seen_{worker_slug(worker_id)}"
    nothing = seen.clear_count == 0
    attrs = SEEN_NOTHING if nothing else SEEN_NOTE
    label = join_lines([safe_text(line, limit=60) for line in seen_lines(seen, _, lang)])
    classes = "seen nothing" if nothing else "seen clear"
    with subgraph(graph, box) as sub:  # the box again: graphviz adds the note to the box drawn before
        write_node(sub, node, {"label": label, "id": node, **attrs, "class": classes})


class SeenRecord(dict[str, dict[str, object]]):
    """``view.seen``: a plain dict (worker id -> what it saw) that prints as one sentence per worker.

    A learner reads it in a cell's output, so it prints in the view's language, with the words of the
    overlay's notes: ``bob: saw nothing in the clear; 2 shares (random-looking)``.
    """

    def __init__(self, data: Mapping[str, dict[str, object]], text: str) -> None:
        super().__init__(data)
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's display of a cell's value
        printer.text(self.text)


def seen_text(seen: Mapping[str, WorkerSeenLike], _: Callable[[str], str], lang: str) -> str:
    """One line per worker: its id, then its note's lines (every value the record keeps).

    >>> from types import SimpleNamespace as S
    >>> from syft_widgets.diagram.words import translator
    >>> bob = S(worker="bob", clear=(), clear_count=0, shares=2, masked=0)
    >>> print(seen_text({"bob": bob}, translator("bn"), "bn"))
    bob: সরাসরি কিছুই দেখেনি; ২টি ভাগ (এলোমেলো দেখতে)
    """
    lines = []
    for worker, s in seen.items():
        heading, *rest = seen_lines(s, _, lang, shown=len(s.clear))
        joint = " " if heading.endswith(":") else "; "
        lines.append(f"{worker}: {heading}{joint if rest else ''}{'; '.join(rest)}")
    return "\n".join(lines)


def seen_record(seen: Mapping[str, WorkerSeenLike], _: Callable[[str], str], lang: str) -> SeenRecord:
    """The same record as plain data (``view.seen``): per worker, what it saw and how much else.

    >>> from types import SimpleNamespace as S
    >>> entry = S(how="received", source="me", obj_id=5, shape=(4,), dtype="int64", preview="[1, 2, 3, 4]")
    >>> bob = S(worker="bob", clear=(entry,), clear_count=1, shares=0, masked=0)
    >>> from syft_widgets.diagram.words import translator
    >>> record = seen_record({"bob": bob}, translator("en"), "en")
    >>> record
    bob: saw in the clear: [1, 2, 3, 4] from me
    >>> record = record["bob"]
    >>> record["clear"][0]["preview"], record["saw_nothing"]
    ('[1, 2, 3, 4]', False)
    """
    data = {
        worker: {
            "saw_nothing": s.clear_count == 0,
            "clear": [
                {
                    "how": e.how,
                    "source": e.source,
                    "obj_id": e.obj_id,
                    "shape": tuple(e.shape),
                    "dtype": e.dtype,
                    "preview": e.preview,
                }
                for e in s.clear
            ],
            "clear_count": s.clear_count,
            "shares": s.shares,
            "masked": s.masked,
        }
        for worker, s in seen.items()
    }
    return SeenRecord(data, seen_text(seen, _, lang))
