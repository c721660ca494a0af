"""The diagram layer: pure functions from a snapshot of the world (and its last step) to DOT and words."""

from .changes import Changes, step_changes
from .dot import remembering_object_lines, to_dot, to_dots
from .narrate import narrate
from .statements import remembering_arrows

__all__ = [
    "Changes",
    "narrate",
    "remembering_arrows",
    "remembering_object_lines",
    "step_changes",
    "to_dot",
    "to_dots",
]
