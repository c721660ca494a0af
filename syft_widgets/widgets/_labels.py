"""The words of the view's controls, translated on the Python side and sent as one trait."""

from __future__ import annotations

from babel import Locale

from ..diagram.words import N_, SUPPORTED_LANGUAGES, translator

__all__ = ["LABEL_MSGIDS", "labels", "language_names"]

# Front-end key -> catalog msgid. The front end fills {index}, {count} and {error} itself.
LABEL_MSGIDS: dict[str, str] = {
    "previous": N_("Previous step"),
    "next": N_("Next step"),
    "play": N_("Play"),
    "pause": N_("Pause"),
    "step_of": N_("Step {index} of {count}"),
    "language": N_("Language"),
    "live": N_("Live"),
    "replay": N_("Replay"),
    "save": N_("Save"),
    "legend": N_("Legend"),
    "empty": N_("No steps yet: run a cell that sends a tensor."),
    "drawing_failed": N_("Drawing failed: {error}"),
    "loading": N_("Loading diagram…"),
    "latest": N_("Go to the latest step"),
    "zoom_in": N_("Zoom in"),
    "zoom_out": N_("Zoom out"),
    "fit": N_("Show the whole picture"),
    "graph_hint": N_(
        "Drag to move the picture; Ctrl + wheel or pinch to zoom; double-click to see it whole."
    ),
    "privacy": N_("Privacy"),
    "privacy_tip": N_("Show what each worker has seen in the clear"),
}


def labels(lang: str) -> dict[str, str]:
    """Every control's label in ``lang``."""
    _ = translator(lang)
    return {key: _(msgid) for key, msgid in LABEL_MSGIDS.items()}


def language_names() -> dict[str, str]:
    """Each supported language named in itself ("English", "বাংলা"), from CLDR through Babel."""
    names = {}
    for code in SUPPORTED_LANGUAGES:
        try:
            names[code] = Locale.parse(code).get_display_name(code) or code
        except (ValueError, LookupError):
            names[code] = code
    return names
