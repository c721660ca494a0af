"""Operations each holder does alone on its own share: no message between holders, no crypto provider.

Additive sharing is linear: the shares of x + y are the sums of the shares, the shares of 3·x are
3 times the shares, and a public constant is added by one holder only. A reshaping or a sum moves
or adds share values the same way on every holder.
"""

from __future__ import annotations

from typing import Any

import torch

from ..functions import resolve_function
from .beaver import truncate
from .party import PROGRAMS, Party

__all__ = ["RESHAPES"]

# Functions that act on a shared value share by share (linear, or only moving values around).
RESHAPES = frozenset(
    {"view", "reshape", "t", "transpose", "__getitem__", "flatten", "squeeze", "unsqueeze", "permute", "sum"}
)


def _add(party: Party, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, ...]:
    return (x + y,)


def _sub(party: Party, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, ...]:
    return (x - y,)


def _affine(party: Party, x: torch.Tensor, factor: int, constant: Any) -> tuple[torch.Tensor, ...]:
    """factor·x + constant, the constant added by the first holder only."""
    y = x * factor if factor != 1 else x.clone()
    return (y + constant if party.leads else y,)


def _scale(party: Party, x: torch.Tensor, factor: Any, divisor: int) -> tuple[torch.Tensor, ...]:
    """x · factor / divisor (the division by local truncation, two holders only)."""
    y = x * factor
    return (truncate(party, y, divisor) if divisor > 1 else y,)


def _apply(party: Party, x: torch.Tensor, name: str, args: tuple, kwargs: dict) -> tuple[torch.Tensor, ...]:
    if name not in RESHAPES:  # checked here too: a holder computes nothing else on its share alone
        raise ValueError(f"{name} is not an operation a holder may run on its share alone")
    result = resolve_function(f"Tensor.{name}")(x, *args, **kwargs)
    return (result.clone() if result._is_view() else result,)  # a share of its own, not a view


PROGRAMS.update({"add": _add, "sub": _sub, "affine": _affine, "scale": _scale, "apply": _apply})
