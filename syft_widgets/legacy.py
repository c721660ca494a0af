"""Run unmodified PySyft 0.2 notebooks: make ``import syft`` give syft_widgets, if opted in.

In IPython or Jupyter: ``%load_ext syft_widgets.legacy``, then the notebook's own
``import syft as sy`` works. A real PySyft installation is never shadowed.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from typing import Any

__all__ = ["install_syft_alias", "load_ipython_extension"]

_ALIASES = {
    "syft": "syft_widgets",
    "syft.federated": "syft_widgets.federated",
    "syft.federated.floptimizer": "syft_widgets.federated.floptimizer",
    "syft.exceptions": "syft_widgets.errors",
}


def _real_syft_installed() -> bool:
    current = sys.modules.get("syft")
    if current is not None:
        return getattr(current, "__name__", "") != "syft_widgets"
    return importlib.util.find_spec("syft") is not None


def install_syft_alias() -> bool:
    """Alias ``syft`` to ``syft_widgets``; returns False (and changes nothing) if PySyft is installed."""
    if _real_syft_installed():
        warnings.warn(
            "PySyft is installed, so 'import syft' keeps importing it. To use syft_widgets, write "
            "'import syft_widgets as sy' or uninstall syft.",
            stacklevel=2,
        )
        return False
    for alias, target in _ALIASES.items():
        sys.modules[alias] = importlib.import_module(target)
    return True


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext syft_widgets.legacy``."""
    install_syft_alias()
