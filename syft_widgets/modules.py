"""What a model gains from the hook: ``send``/``get``/``move`` (from :mod:`verbs`), ``copy``, ``location``."""

from __future__ import annotations

import copy
from typing import Any

from torch import nn

from .verbs import module_get, module_move, module_send
from .world import WORLD

__all__ = ["install_module_methods"]


def _module_copy(self: nn.Module) -> nn.Module:
    """An independent deep copy with new parameter ids."""
    copied = copy.deepcopy(self)
    copied.__dict__.pop("_syft_module_id", None)
    return copied


# Both read the whole list of parameters: a generator left unfinished is closed when Python drops
# it, and an interrupt landing there would be printed and ignored instead of raised.
def _module_location(self: nn.Module) -> Any:
    params: list[Any] = list(self.parameters())
    return params[0].location if params and getattr(params[0], "is_pointer", False) else None


def _module_owner(self: nn.Module) -> Any:
    params: list[Any] = list(self.parameters())
    return params[0].owner if params else WORLD.local_worker


def install_module_methods() -> None:
    module: Any = nn.Module
    module.send = module_send
    module.get = module_get
    module.move = module_move
    module.copy = _module_copy
    module.location = property(_module_location)
    module.owner = property(_module_owner)
