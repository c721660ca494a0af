"""The diagram layer: pure functions from a snapshot of the world (and its last step) to DOT and words."""

from .changes import Changes, step_changes
from .dot import to_dot
from .narrate import narrate

__all__ = ["Changes", "narrate", "step_changes", "to_dot"]
