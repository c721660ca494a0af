"""The errors of encrypted computation; each leaves every worker's store as it was."""

from __future__ import annotations

from ..errors import SyftWidgetsError

__all__ = [
    "CryptoProviderError",
    "FixedPrecisionOverflowError",
    "FloatShareError",
    "HoldersMismatchError",
    "MixedSharedError",
    "PrecisionMismatchError",
    "SharedValueError",
    "SpentSharedTensorError",
    "UnsupportedSharedOperationError",
]


class FloatShareError(SyftWidgetsError, TypeError):
    """A float tensor was shared without a fixed-point encoding first."""


class CryptoProviderError(SyftWidgetsError, ValueError):
    """A multiplication or comparison needs a crypto provider, and none (or an unusable one) was given."""


class HoldersMismatchError(SyftWidgetsError, ValueError):
    """Two shared values were combined whose shares live on different workers."""


class PrecisionMismatchError(SyftWidgetsError, TypeError):
    """A fixed-point shared value was combined with an integer one (or another precision)."""


class MixedSharedError(SyftWidgetsError, TypeError):
    """A shared value was combined with a plain tensor, a pointer or a value it cannot take."""


class SpentSharedTensorError(SyftWidgetsError, AttributeError):
    """A shared value was used after ``.get()`` brought it back (and removed its shares)."""


class SharedValueError(SyftWidgetsError, RuntimeError):
    """A Python value (``bool()``, ``.item()``) was asked of a shared value nobody can read."""


class FixedPrecisionOverflowError(SyftWidgetsError, OverflowError):
    """A number too large for the fixed-point encoding in the 64-bit ring."""


class UnsupportedSharedOperationError(SyftWidgetsError, TypeError):
    """A torch function that has no secure version on shared values here."""
