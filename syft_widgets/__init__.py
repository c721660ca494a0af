"""syft_widgets: PySyft 0.2's pointer API, re-built small, with live diagrams of what happens.

>>> import torch, syft_widgets as sy
>>> hook = sy.TorchHook(torch)
>>> bob = sy.VirtualWorker(hook, id="bob")
>>> x_ptr = torch.tensor([1, 2, 3]).send(bob)
>>> (x_ptr + x_ptr).get()
tensor([2, 4, 6])
"""

from __future__ import annotations

import importlib
from typing import Any

from . import errors
from .errors import ObjectNotFoundError, TensorsNotCollocatedException
from .hook import TorchHook
from .pointers import PointerParameter, PointerTensor
from .workers import BaseWorker, VirtualWorker
from .world import WORLD

__all__ = [
    "BaseWorker",
    "ObjectNotFoundError",
    "PointerParameter",
    "PointerTensor",
    "RayWorker",
    "TensorsNotCollocatedException",
    "TorchHook",
    "VirtualWorker",
    "errors",
    "local_worker",
    "show",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Imported lazily: the core must work without Jupyter, and without Ray.
    if name == "local_worker":
        return WORLD.local_worker
    if name == "show":
        from .widgets import show

        return show
    if name == "RayWorker":
        return importlib.import_module(".ray", __name__).RayWorker
    if name == "ray":  # sy.ray.shutdown(), sy.ray.settings; importing it needs no Ray
        return importlib.import_module(".ray", __name__)
    raise AttributeError(f"module 'syft_widgets' has no attribute {name!r}")
