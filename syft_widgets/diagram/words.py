"""The message catalog: every word the diagrams and widgets show, in English or Bengali.

Catalogs are gettext ``.po`` files next to this module, in ``locale/<lang>/LC_MESSAGES/syft_widgets.po``,
with English msgids, read at run time with Babel so translators edit text files, not code.

>>> _ = translator("bn")
>>> _("pointer")
'পয়েন্টার'
>>> translator("en")("Step {index} of {count}").format(index=2, count=5)
'Step 2 of 5'
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path

from babel.core import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "N_",
    "SUPPORTED_LANGUAGES",
    "catalog_path",
    "check_language",
    "format_number",
    "plural_translator",
    "translator",
]

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "bn")
DOMAIN = "syft_widgets"
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (translate it where it is shown)."""
    return message


def check_language(lang: str) -> str:
    """Return ``lang`` if it is supported, else raise a ``ValueError`` that lists the choices."""
    if lang not in SUPPORTED_LANGUAGES:
        allowed = ", ".join(repr(code) for code in SUPPORTED_LANGUAGES)
        raise ValueError(f"unsupported language {lang!r}; choose one of {allowed}, e.g. lang='bn'")
    return lang


# CLDR numbering systems that write digits other than 0-9, keyed by their CLDR name. Babel applies a
# locale's grouping and symbols but not its digits, so the digits are substituted here.
_NATIVE_DIGITS: dict[str, str] = {"beng": "০১২৩৪৫৬৭৮৯"}


@cache
def _digit_table(lang: str) -> dict[int, int]:
    digits = _NATIVE_DIGITS.get(Locale.parse(lang).default_numbering_system, "0123456789")
    return str.maketrans("0123456789", digits)


@lru_cache(maxsize=4096, typed=True)  # a picture writes the same counts again and again
def format_number(value: int | float, lang: str) -> str:
    """``value`` written the way ``lang`` writes numbers: CLDR grouping, the locale's own digits.

    Counts and byte sizes go through here; object ids do not (they must match the printed
    ``_objects``).

    >>> format_number(1234, "en"), format_number(40, "bn"), format_number(123456, "bn")
    ('1,234', '৪০', '১,২৩,৪৫৬')
    """
    return format_decimal(value, locale=check_language(lang)).translate(_digit_table(lang))


def catalog_path(lang: str) -> Path:
    """Where the ``.po`` catalog of ``lang`` lives."""
    return LOCALE_DIR / check_language(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _translations(lang: str) -> gettext.GNUTranslations:
    # Babel reads the .po text; writing it to an in-memory .mo lets the standard library do the
    # lookups and plural rules, and drops empty or fuzzy entries so they fall back to English.
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translator(lang: str) -> Callable[[str], str]:
    """A gettext-style ``_`` for ``lang``; unknown msgids come back unchanged (English).

    >>> translator("fr")
    Traceback (most recent call last):
    ...
    ValueError: unsupported language 'fr'; choose one of 'en', 'bn', e.g. lang='bn'
    """
    return _translations(check_language(lang)).gettext


def plural_translator(lang: str) -> Callable[[str, str, int], str]:
    """A gettext-style ``ngettext(singular, plural, n)`` for ``lang``.

    >>> ngettext = plural_translator("en")
    >>> ngettext("{module} ({count} parameter)", "{module} ({count} parameters)", 2)
    '{module} ({count} parameters)'
    """
    return _translations(check_language(lang)).ngettext
