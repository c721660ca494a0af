"""The words of the view's controls, translated on the Python side and sent as one trait."""

from __future__ import annotations

from babel import Locale

from . import _deps

__all__ = ["LABEL_MSGIDS", "labels", "language_names"]

# Front-end key -> catalog msgid. The front end fills {index}, {count} and {error} itself.
LABEL_MSGIDS: dict[str, str] = {
    "previous": "Previous step",
    "next": "Next step",
    "play": "Play",
    "pause": "Pause",
    "step_of": "Step {index} of {count}",
    "language": "Language",
    "live": "Live",
    "replay": "Replay",
    "save": "Save",
    "legend": "Legend",
    "empty": "No steps yet: run a cell that sends a tensor.",
    "drawing_failed": "Drawing failed: {error}",
    "loading": "Loading diagram…",
    "latest": "Go to the latest step",
}


def labels(lang: str) -> dict[str, str]:
    """Every control's label in ``lang``."""
    _ = _deps.gettext_for(lang)
    return {key: _(msgid) for key, msgid in LABEL_MSGIDS.items()}


def language_names() -> dict[str, str]:
    """Each supported language named in itself ("English", "বাংলা"), from CLDR through Babel."""
    names = {}
    for code in _deps.supported_languages():
        try:
            names[code] = Locale.parse(code).get_display_name(code) or code
        except (ValueError, LookupError):
            names[code] = code
    return names
