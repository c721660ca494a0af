"""Live, replayable Jupyter diagrams of the workers: ``sy.show()`` and the history behind it."""

from .history import DEFAULT_CAPACITY, StepHistory
from .live import LiveView, UnsupportedLanguageError, show

__all__ = ["DEFAULT_CAPACITY", "LiveView", "StepHistory", "UnsupportedLanguageError", "show"]
