"""The live view: a Jupyter widget that draws the world after every step, with a replay timeline."""

from __future__ import annotations

import pathlib
import shutil
from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import Any, TypeVar

import anywidget
import traitlets

from ..diagram import narrate, remembering_arrows, remembering_object_lines, to_dot, to_dots
from ..diagram.privacy import SeenRecord, seen_record
from ..diagram.words import SUPPORTED_LANGUAGES, check_language, translator
from ..events import Step
from ..snapshot import WorldSnapshot
from ..world import WORLD
from . import _export
from ._drawing import filter_snapshot, filter_step, legend_dot, worker_ids
from ._hub import LiveHub, World, hub_for
from ._labels import labels, language_names
from ._privacy import SeenHistory

__all__ = ["LiveView", "UnsupportedLanguageError", "default_world", "show"]


class UnsupportedLanguageError(traitlets.TraitError, ValueError):
    """A language the message catalog does not cover."""


def default_world() -> World:
    """The process-wide world that ``sy.TorchHook`` and the workers report to."""
    return WORLD


_ESM, _CSS = _export.front_end()

# A saved page carries, per language, at most this much DOT for unfolded stores (newest steps first):
# about 2 MB, the pictures of some 40 steps of a 1,000-object world.
REPLAY_EXPANSION_CHARS = 2_000_000
# The timeline's cached narrations of steps the history has dropped are forgotten once this many
# steps have been dropped since the last time: a long session's memory stays level (forgetting only
# when the caches held four times the history made it swing by about 500 KiB).
FORGET_DROPPED_STEPS_EVERY = 50


class LiveView(anywidget.AnyWidget):
    """A live, replayable diagram of the workers' stores; make one with ``sy.show()``."""

    _esm = _ESM
    _css = _CSS

    dot = traitlets.Unicode("", help="DOT text of the step shown, laid out in the browser.").tag(sync=True)
    legend_dot = traitlets.Unicode("", help="DOT of a small example drawn as the legend.").tag(sync=True)
    lang = traitlets.Unicode("en", help="Language of every word in the view: 'en' or 'bn'.").tag(sync=True)
    step = traitlets.Int(-1, help="Step.index of the step shown; -1 before the first step.").tag(sync=True)
    dot_step = traitlets.Int(
        -1, help="Step.index of the step that `dot` depicts, so the browser knows what it drew."
    ).tag(sync=True)
    live = traitlets.Bool(True, help="Follow the newest step while cells run.").tag(sync=True)
    # No per-item trait: validating 500 dicts on every push cost more than drawing the step.
    steps_meta: traitlets.List[dict[str, object]] = traitlets.List(
        help="Per recorded step, a dict: its index, op and narration in lang."
    ).tag(sync=True)
    labels = traitlets.Dict(help="The controls' words in lang, from the message catalog.").tag(sync=True)
    language_names = traitlets.Dict(help="Each language's own name, for the language toggle.").tag(sync=True)
    error = traitlets.Unicode("", help="Why drawing failed, in lang; empty when it worked.").tag(sync=True)
    expanded = traitlets.List(
        traitlets.Unicode(),
        help="Keys of the stores and collections drawn unfolded ('store:bob', 'collection:ptrs'); a click "
        "in the picture toggles one. Keys of things that need no folding are ignored.",
    ).tag(sync=True)
    privacy = traitlets.Bool(
        False, help="Draw the privacy overlay: in each worker's box, what it has seen in the clear."
    ).tag(sync=True)

    def __init__(
        self,
        *,
        workers: tuple[object, ...] = (),
        lang: str = "en",
        world: World | None = None,
        **kwargs: Any,
    ) -> None:
        self._ids = worker_ids(workers)
        self._world = world if world is not None else default_world()
        self._hub: LiveHub = hub_for(self._world)
        self._narrations: dict[tuple[str, int], str] = {}
        self._seen = SeenHistory()  # the privacy overlay's record, folded from the steps when asked
        self._metas: dict[tuple[str, int], dict[str, object]] = {}
        self._cached_from = 0  # the caches may hold steps from this index on (see steps_meta_for)
        self._updating = False
        self._closed = False
        super().__init__(lang=lang, **kwargs)
        self._hub.attach(self)
        self._history = self._hub.history
        with self._hub.lock:
            self.refresh(self._hub.names)

    @traitlets.validate("lang")
    def _check_lang(self, proposal: dict[str, Any]) -> str:
        try:
            return check_language(proposal["value"])
        except ValueError as exc:  # the catalog's own words, as the error traitlets expects
            raise UnsupportedLanguageError(str(exc)) from None

    @traitlets.observe("lang", "step", "live", "expanded", "privacy")
    def _on_view_state(self, change: dict[str, Any]) -> None:
        # The browser moved the timeline, switched language or unfolded a store: redraw this view only.
        if self._updating or self._closed or not hasattr(self, "_history"):
            return
        with self._hub.lock:
            latest = self._history.latest
            moved_back = latest is not None and change["new"] != latest.index
            if change["name"] == "step" and self.live and moved_back:
                # Picking an older step means replaying it, not following the kernel.
                self._updating = True
                try:
                    self.live = False
                finally:
                    self._updating = False
            self.refresh(self._hub.names)

    @property
    def steps(self) -> tuple[Step, ...]:
        """The recorded steps, oldest first (at most the history's capacity, 500 by default)."""
        self._hub.catch_up()
        return self._history.steps

    @property
    def seen(self) -> SeenRecord:
        """What each worker shown has seen in the clear, after the newest step: the privacy overlay's record.

        Plain data, per worker id: ``saw_nothing``; ``clear``, its latest values seen in the clear,
        each with ``how`` ("own": its own value it shared; "received": a plain tensor another worker
        sent it; "revealed": a secret it put back together with ``.get()``), ``source``, ``obj_id``,
        ``shape``, ``dtype`` and ``preview``; ``clear_count``; and how many random-looking ``shares``
        and ``masked`` values passed through it. It covers the steps this view recorded. It prints
        as one sentence per worker, in the view's language.
        """
        self._hub.catch_up()
        record = self._seen.after(self._history.steps)
        shown = {w: s for w, s in record.items() if self._ids is None or w in self._ids}
        return seen_record(shown, translator(self.lang), self.lang)  # prints in the view's language

    @property
    def workers(self) -> tuple[str, ...] | None:
        """The ids of the workers shown, or None when the view shows every worker."""
        return self._ids

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Save the step shown as .svg or .png, or every recorded step as an offline .html replay."""
        path = pathlib.Path(path)
        suffix = _export.check_suffix(path)
        # Saving right after operations (in the same cell, or in a script) must include them.
        self._hub.catch_up()
        if suffix == ".html":
            path.write_text(_export.html_page(self.replay_data(), title=path.stem), encoding="utf-8")
        else:
            dot = self.dot_for(self.shown_step(), self.lang, self._hub.names)
            path.write_bytes(_export.render(dot, suffix[1:]))
        return path

    def close(self) -> None:
        """Stop following the world and close the widget in the browser."""
        # Also reached from __del__ of a view whose __init__ failed half-way.
        hub = getattr(self, "_hub", None)
        if not self._closed and hub is not None:
            self._closed = True
            hub.detach(self)
        super().close()

    # -- drawing ------------------------------------------------------------------------------

    def shown_step(self) -> Step | None:
        """The step the view shows now (None before the first step)."""
        return self._history.find(self.step) if self.step >= 0 else self._history.latest

    def dot_for(
        self,
        step: Step | None,
        lang: str,
        names: dict[int, str],
        id_prefix: str = "",
        expanded: Collection[str] | None = None,
        privacy: bool | None = None,
    ) -> str:
        """DOT of ``step`` for this view's workers, or of the world now when ``step`` is None.

        ``expanded`` lists the stores and collections drawn unfolded; by default the view's own.
        ``privacy`` draws the privacy overlay; by default when the view's toggle is on.
        """
        snapshot, options = self._picture(step, names, id_prefix, expanded, privacy)
        return to_dot(snapshot, lang=lang, **options)

    def dots_for(
        self,
        step: Step | None,
        langs: Sequence[str],
        names: dict[int, str],
        id_prefix: str = "",
        expanded: Collection[str] | None = None,
        privacy: bool | None = None,
    ) -> dict[str, str]:
        """``dot_for`` in each of ``langs``, by language: the picture is planned once for all of them."""
        snapshot, options = self._picture(step, names, id_prefix, expanded, privacy)
        return to_dots(snapshot, langs, **options)

    def _picture(
        self,
        step: Step | None,
        names: dict[int, str],
        id_prefix: str,
        expanded: Collection[str] | None,
        privacy: bool | None,
    ) -> tuple[WorldSnapshot, dict[str, Any]]:
        # What to draw for dot_for and dots_for: the snapshot, and to_dot's options but the language.
        keys = self.expanded if expanded is None else expanded
        overlay = self.privacy if privacy is None else privacy
        seen = self._seen.after(self._history.steps, step) if overlay else None
        # Only this view's workers: the step with the world as it was then, or the world now.
        shown = None if step is None else filter_step(step, self._ids)
        snapshot: WorldSnapshot = (
            filter_snapshot(self._world.snapshot(), self._ids) if shown is None else shown.snapshot
        )
        # The legend has a fold of its own in the view (legend_dot), so drawings leave it out.
        options = {
            "step": shown,
            "names": names,
            "collections": self._hub.collections,
            "expanded": keys,
            "id_prefix": id_prefix,
            "legend": False,
            "seen": seen,
        }
        return snapshot, options

    def expansions_for(
        self,
        steps: Sequence[Step],
        langs: Sequence[str],
        names: dict[int, str],
        folded: Mapping[str, Sequence[str]],
    ) -> dict[str, tuple[list[dict[str, str]], list[dict[str, dict[str, str]]]]]:
        """Per language, per step, its pictures with what can unfold unfolded: a saved page's clicks.

        ``folded`` holds each language's folded pictures of the steps. First, each folded store or
        collection unfolded alone (``{key: picture}``); second, what only appears once one is unfolded
        (me's store, inside an unfolded list) unfolded with it (``{outer key: {inner key: picture}}``).
        The newest steps first, until the pictures of each kind add up to ``REPLAY_EXPANSION_CHARS``
        characters in a language; older steps then carry none in it and stay folded in the page. A
        picture wanted in several languages is drawn in all of them at once (dots_for).
        """
        budget = dict.fromkeys(langs, REPLAY_EXPANSION_CHARS)
        inner_budget = dict.fromkeys(langs, REPLAY_EXPANSION_CHARS)
        found: dict[str, list[dict[str, str]]] = {lang: [] for lang in langs}
        found_inner: dict[str, list[dict[str, dict[str, str]]]] = {lang: [] for lang in langs}
        for back, step in enumerate(reversed(steps), start=1):
            pictures: dict[str, dict[str, str]] = {lang: {} for lang in langs}
            inner: dict[str, dict[str, dict[str, str]]] = {lang: {} for lang in langs}
            outer_keys = {
                lang: _export.expandable_keys(folded[lang][-back]) for lang in langs if budget[lang] > 0
            }
            for key, in_langs in _languages_of(outer_keys).items():
                drawn = self.dots_for(step, in_langs, names, expanded=(key,), privacy=False)
                for lang, picture in drawn.items():
                    pictures[lang][key] = picture
                    budget[lang] -= len(picture)
            inner_keys = {  # (outer key, what only shows once it is unfolded)
                lang: [
                    (key, inside)
                    for key in keys
                    for inside in _export.expandable_keys(pictures[lang][key])
                    if inside not in keys
                ]
                for lang, keys in outer_keys.items()
                if inner_budget[lang] > 0
            }
            for (key, inside), in_langs in _languages_of(inner_keys).items():
                drawn = self.dots_for(step, in_langs, names, expanded=(key, inside), privacy=False)
                for lang, picture in drawn.items():
                    inner[lang].setdefault(key, {})[inside] = picture
                    inner_budget[lang] -= len(picture)
            for lang in langs:
                found[lang].append(pictures[lang])
                found_inner[lang].append(inner[lang])
        return {lang: (found[lang][::-1], found_inner[lang][::-1]) for lang in langs}

    def privacy_dot_for(
        self, step: Step, lang: str, names: dict[int, str], plain: str, notes: _export.PrivacyNotes
    ) -> str:
        """``plain``, the folded picture of ``step``, with the privacy overlay: only its notes are drawn."""
        seen = self._seen.after(self._history.steps, step)
        found = notes.picture(plain, filter_snapshot(step.snapshot, self._ids), seen, lang)
        return found if found is not None else self.dot_for(step, lang, names, expanded=(), privacy=True)

    def narration(self, step: Step, lang: str) -> str:
        """What ``step`` did, in ``lang``; cached because the timeline lists every step."""
        key = (lang, step.index)
        text = self._narrations.get(key)
        if text is None:
            text = self._narrations[key] = narrate(filter_step(step, self._ids), lang=lang)
        return text

    def steps_meta_for(self, lang: str) -> list[dict[str, object]]:
        """The timeline's entries in ``lang``.

        Each entry is made once and reused: a push while a loop runs lists up to 500 steps.
        """
        steps = self._history.steps
        # Step indices only grow, and the history keeps the newest: what it dropped comes before
        # its oldest step.
        oldest = steps[0].index if steps else self._cached_from
        if oldest - self._cached_from >= FORGET_DROPPED_STEPS_EVERY:
            self._narrations = {k: v for k, v in self._narrations.items() if k[1] >= oldest}
            self._metas = {k: v for k, v in self._metas.items() if k[1] >= oldest}
            self._cached_from = oldest
        metas = []
        for s in steps:
            meta = self._metas.get((lang, s.index))
            if meta is None:
                meta = self._metas[lang, s.index] = {
                    "index": s.index,
                    "op": s.op,
                    "narration": self.narration(s, lang),
                }
            metas.append(meta)
        return metas

    def replay_data(self) -> dict[str, Any]:
        """Every recorded step drawn and narrated in every language: what a saved .html page replays."""
        names = self._hub.names
        steps = self._history.steps
        langs = SUPPORTED_LANGUAGES
        languages = {}
        notes = _export.PrivacyNotes()  # each worker's note drawn once while its record stays the same
        # One step's picture redraws mostly the objects and arrows of the last, in each language.
        with remembering_object_lines(), remembering_arrows():
            by_step = [self.dots_for(s, langs, names, expanded=(), privacy=False) for s in steps]
            dots = {lang: [d[lang] for d in by_step] for lang in langs}
            unfolded = self.expansions_for(steps, langs, names, dots)
            for lang in langs:
                expansions, inner_expansions = unfolded[lang]
                languages[lang] = {
                    "labels": labels(lang),
                    "steps_meta": self.steps_meta_for(lang),
                    "dots": dots[lang],
                    "privacy_dots": [
                        self.privacy_dot_for(s, lang, names, d, notes)
                        for s, d in zip(steps, dots[lang], strict=True)
                    ],
                    "expansions": expansions,
                    "inner_expansions": inner_expansions,
                    "empty_dot": "" if steps else self.dot_for(None, lang, names),
                    "legend_dot": legend_dot(lang),
                }
        shown = self.shown_step()
        return {
            "lang": self.lang,
            "step": shown.index if shown is not None else -1,
            "language_names": language_names(),
            "privacy": self.privacy,
            "languages": languages,
        }

    def refresh(self, names: dict[int, str]) -> None:
        """Bring every trait up to date in one message, with ``names`` for the learner's pointers.

        The hub calls it after steps; errors are shown in the view, never raised.
        """
        if self._closed:
            return
        self._updating = True
        try:
            with self.hold_sync():
                try:
                    latest = self._history.latest
                    if self.live or latest is None:
                        self.step = latest.index if latest is not None else -1
                    elif self._history.find(self.step) is None:
                        # The step replayed fell out of the capped history: show the oldest kept.
                        self.step = self._history.steps[0].index
                    lang = self.lang
                    self.labels = labels(lang)
                    self.language_names = language_names()
                    self.steps_meta = self.steps_meta_for(lang)
                    shown = self.shown_step()
                    self.dot = self.dot_for(shown, lang, names)
                    self.dot_step = shown.index if shown is not None else -1
                    if not self.legend_dot or self._legend_lang != lang:
                        self.legend_dot = legend_dot(lang)
                        self._legend_lang = lang
                    self.error = ""
                except Exception as exc:
                    self.show_error(exc)
        finally:
            self._updating = False

    _legend_lang = ""
    _closed = False

    def show_error(self, exc: BaseException) -> None:
        """Show in the view, in its language, that drawing failed and why."""
        message = f"{type(exc).__name__}: {exc}"
        try:
            self.error = translator(self.lang)("Drawing failed: {error}").format(error=message)
        except Exception:
            self.error = message

    # -- outside the live front end ---------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        # nbviewer and GitHub cannot run the widget; they show the richest static entry instead.
        try:
            if shutil.which("dot"):
                data["image/svg+xml"] = self._static_svg()
        except Exception:
            pass
        data["text/plain"] = self._plain_text()
        return data, metadata

    def _static_svg(self) -> str:
        # Ids of its own, so the picture cannot clash with a live view on the same page.
        prefix = _export.static_id_prefix(self.model_id)
        dot = self.dot_for(self.shown_step(), self.lang, self._hub.names, id_prefix=prefix)
        # Fitted like the live picture: a tall world must not become a page-long image.
        return _export.fit_svg(_export.render(dot, "svg").decode("utf-8"))

    def _plain_text(self) -> str:
        # What the view is and what its step did, for a page that shows text only.
        step = self.shown_step()
        try:
            said = labels(self.lang)["empty"] if step is None else self.narration(step, self.lang)
        except Exception:
            said = ""
        return f"{self!r}\n{said}".rstrip()

    def __repr__(self) -> str:
        count = len(self._history) if hasattr(self, "_history") else 0
        return f"<LiveView lang={self.lang!r} step={self.step} steps={count} workers={self._ids or 'all'}>"


K = TypeVar("K", bound=Hashable)


def _languages_of(keys_by_lang: Mapping[str, Sequence[K]]) -> dict[K, list[str]]:
    """Each key, in the order first met, with the languages that want it.

    >>> _languages_of({"en": ["store:bob", "collection:ptrs"], "bn": ["store:bob"]})
    {'store:bob': ['en', 'bn'], 'collection:ptrs': ['en']}
    """
    langs: dict[K, list[str]] = {}
    for lang, keys in keys_by_lang.items():
        for key in keys:
            langs.setdefault(key, []).append(lang)
    return langs


def show(*workers: object, lang: str = "en") -> LiveView:
    """A live diagram of every worker, or only of ``workers``, in ``lang`` ("en" or "bn")."""
    return LiveView(workers=workers, lang=lang)
