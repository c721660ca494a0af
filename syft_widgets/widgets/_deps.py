"""The layers the widgets draw on, imported on first use so that importing widgets stays cheap."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..events import EventBus, Step
from ..snapshot import WorldSnapshot

__all__ = [
    "World",
    "default_world",
    "gettext_for",
    "narrate",
    "pointer_type",
    "supported_languages",
    "to_dot",
]


class World(Protocol):
    """What a live view needs from the world: its event bus and a snapshot of it now."""

    bus: EventBus

    def snapshot(self) -> WorldSnapshot: ...

    def flush_steps(self) -> None: ...


def default_world() -> World:
    """The process-wide world that ``sy.TorchHook`` and the workers report to."""
    from ..world import WORLD

    return WORLD


def to_dot(
    snapshot: WorldSnapshot,
    *,
    step: Step | None,
    lang: str,
    names: Mapping[int, str] | None,
    id_prefix: str = "",
    legend: bool = False,
) -> str:
    """The diagram layer's DOT for ``snapshot`` (see syft_widgets.diagram).

    The view shows the legend in a fold of its own, so drawings leave it out when the diagram
    layer allows that.
    """
    from ..diagram import to_dot as diagram_to_dot

    kwargs: dict[str, Any] = {"step": step, "lang": lang, "names": names, "id_prefix": id_prefix}
    if _accepts_legend(diagram_to_dot):
        kwargs["legend"] = legend
    return str(diagram_to_dot(snapshot, **kwargs))


def _accepts_legend(func: Callable[..., object]) -> bool:
    try:
        return "legend" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def narrate(step: Step, lang: str) -> str:
    """One sentence telling what ``step`` did, in ``lang``."""
    from ..diagram import narrate as diagram_narrate

    return str(diagram_narrate(step, lang=lang))


def gettext_for(lang: str) -> Callable[[str], str]:
    """The message catalog's gettext for ``lang``."""
    from ..diagram.words import translator

    return translator(lang)


def supported_languages() -> tuple[str, ...]:
    """Language codes the catalog covers, such as ("en", "bn")."""
    from ..diagram.words import SUPPORTED_LANGUAGES

    return tuple(SUPPORTED_LANGUAGES)


def pointer_type() -> type[Any] | None:
    """The PointerTensor class, or None while the core is not importable."""
    try:
        from ..pointers import PointerTensor
    except ImportError:
        return None
    return PointerTensor
