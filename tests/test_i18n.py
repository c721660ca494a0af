"""The message catalogs: same msgids in every language, nothing left untranslated, nothing missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from syft_widgets.diagram import words
from syft_widgets.diagram.words import (
    SUPPORTED_LANGUAGES,
    catalog_path,
    plural_translator,
    translator,
)

PACKAGE = Path(words.__file__).parents[1]  # syft_widgets/: every layer that shows words
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def catalog(lang: str):
    with catalog_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def msgids(lang: str) -> set[str | tuple[str, ...]]:
    return {m.id for m in catalog(lang) if m.id}


def used_msgids() -> set[str | tuple[str, ...]]:
    """Every msgid the package's code asks for, found by Babel's extractor (``_``, ``N_``, ``ngettext``)."""
    found = extract_from_dir(str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS)
    return {message for _file, _line, message, _comments, _context in found}


def test_catalogs_have_exactly_the_same_msgids():
    assert msgids("bn") == msgids("en")


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_every_msgid_used_in_code_is_in_the_catalog(lang):
    missing = used_msgids() - msgids(lang)
    assert not missing, f"add these to {catalog_path(lang)}: {sorted(map(str, missing))}"


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_no_message_is_empty_or_fuzzy(lang):
    for message in catalog(lang):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{lang}: empty msgstr for {message.id!r}"
        assert not message.fuzzy, f"{lang}: fuzzy msgstr for {message.id!r}"


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_translations_keep_every_placeholder(lang):
    import string

    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}

    for message in catalog(lang):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(fields(i) for i in ids))
        for s in strings:
            assert fields(s) == expected, f"{lang}: {message.id!r} -> {s!r}"


def test_the_widgets_controls_are_all_translated_to_bengali():
    from syft_widgets.widgets._labels import LABEL_MSGIDS

    _ = translator("bn")
    untranslated = [m for m in LABEL_MSGIDS.values() if _(m) == m]
    assert untranslated == []


@pytest.mark.parametrize(
    ("msgid", "bn"),
    [
        pytest.param("pointer", "পয়েন্টার", id="pointer"),
        pytest.param("tensor", "টেন্সর", id="tensor"),
        pytest.param("Step {index} of {count}", "ধাপ {index} (মোট {count})", id="step-counter"),
        pytest.param("Loading diagram…", "ডায়াগ্রাম লোড হচ্ছে…", id="loading"),
    ],
)
def test_translator_returns_bengali(msgid, bn):
    assert translator("bn")(msgid) == bn
    assert translator("en")(msgid) == msgid


def test_unknown_msgid_falls_back_to_english():
    assert translator("bn")("no such message") == "no such message"


@pytest.mark.parametrize(
    ("n", "en"), [(1, "{module} ({count} parameter)"), (2, "{module} ({count} parameters)")]
)
def test_plural_translator_picks_the_form(n, en):
    assert plural_translator("en")("{module} ({count} parameter)", "{module} ({count} parameters)", n) == en


@pytest.mark.parametrize("bad", ["fr", "", "EN", "bn_BD"])
def test_unknown_language_error_names_it_and_the_choices(bad):
    with pytest.raises(ValueError) as info:
        translator(bad)
    assert repr(bad) in str(info.value)
    assert "'en', 'bn'" in str(info.value)


def test_catalogs_are_read_once():
    assert translator("bn").__self__ is translator("bn").__self__  # type: ignore[attr-defined]
