"""Operation names as a learner writes them (``+``, ``**``, ``@``), never as torch's dunder names.

The core names a command by torch's function (``__add__``, ``add``, ``__rpow__``, ``matmul``);
a view says it through the catalog, in the view's language.
"""

from __future__ import annotations

from collections.abc import Callable

from .words import N_

__all__ = ["operation_word"]

# One word per operation; the dunder forms (__add__, __radd__, __iadd__) and aliases map here.
_WORDS: dict[str, str] = {
    "add": N_("+ (add)"),
    "sub": N_("- (subtract)"),
    "mul": N_("* (multiply)"),
    "div": N_("/ (divide)"),
    "pow": N_("** (power)"),
    "matmul": N_("@ (matrix multiply)"),
    "neg": N_("- (negate)"),
    "getitem": N_("[] (index)"),
    "setitem": N_("[]= (set by index)"),
    "gt": N_("> (greater than)"),
    "lt": N_("< (less than)"),
    "ge": N_(">= (at least)"),
    "le": N_("<= (at most)"),
    "eq": N_("== (equal)"),
    "ne": N_("!= (not equal)"),
    "backward": N_("backward (compute gradients)"),
    "move": N_("move"),
    "remote_get": N_("remote get"),
    "clear_objects": N_("clear objects"),
}
_ALIASES = {"truediv": "div", "mm": "matmul", "subtract": "sub", "multiply": "mul", "divide": "div"}
# Messages that read or write an attribute: "read grad", "set requires_grad".
_ATTRIBUTE_WORDS = {"read": N_("read {attribute}"), "set": N_("set {attribute}")}


def _canonical(name: str) -> str:
    if name.startswith("__") and name.endswith("__") and len(name) > 4:
        inner = name[2:-2]
        if inner in _WORDS or inner in _ALIASES:
            name = inner
        elif inner[:1] in ("r", "i") and (inner[1:] in _WORDS or inner[1:] in _ALIASES):
            name = inner[1:]  # __radd__ is 2 + x, __iadd__ is x += 2: both still "+"
        else:
            name = inner
    return _ALIASES.get(name, name)


def operation_word(name: str, _: Callable[[str], str]) -> str:
    """What a learner calls the operation ``name``, in the language of ``_``.

    Other torch functions keep their own names (``sum``, ``linear``, ``add_``): that is how a
    learner writes them.

    >>> from syft_widgets.diagram.words import translator
    >>> en = translator("en")
    >>> operation_word("__add__", en), operation_word("__rpow__", en), operation_word("mm", en)
    ('+ (add)', '** (power)', '@ (matrix multiply)')
    >>> operation_word("sum", en), operation_word("read grad", translator("bn"))
    ('sum', 'grad পড়া')
    """
    verb, _space, attribute = name.partition(" ")
    if attribute and verb in _ATTRIBUTE_WORDS:
        return _(_ATTRIBUTE_WORDS[verb]).format(attribute=attribute)
    canonical = _canonical(name)
    return _(_WORDS[canonical]) if canonical in _WORDS else canonical
