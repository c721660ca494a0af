"""Workers in other processes or machines, as Ray actors, with the same pointer API and diagrams.

Importing this package needs no Ray; creating a ``RayWorker`` does (``pip install "syft-widgets[ray]"``).
"""

from __future__ import annotations

from .session import NAMESPACE, init, loopback_only, settings, shutdown
from .worker import RayWorker

__all__ = ["NAMESPACE", "RayWorker", "init", "loopback_only", "settings", "shutdown"]
