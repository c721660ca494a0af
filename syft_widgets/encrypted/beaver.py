"""Multiplication of shared values with Beaver triples the crypto provider deals (SPDZ style).

To multiply shared x and y, the crypto provider makes a random triple a, b, c = a·b (or a @ b) of the
operands' shapes and gives each holder additive shares of it. The holders reveal δ = x − a and
ε = y − b to each other: both are uniform, because a and b are, so they say nothing about x or y.
Each holder then computes its share of x·y = c + δ·b + a·ε + δ·ε (one holder adds δ·ε). The crypto
provider sees only shapes; the holders see only their shares, δ and ε; ``me`` sees nothing.

A fixed-point product carries the scale twice: each holder then divides its own share by the scale
(SecureML's local truncation, Mohassel and Zhang 2017). With two holders the result is off by at
most one unit of the last digit (0.001), and wrong only with probability about |x·y|/2^63; with
more holders that is not so, and truncation is refused (``shared_tensor`` says so).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .party import DEALERS, PROGRAMS, Opening, Party, Program
from .ring import random_ring, split_additive

__all__ = ["OPERATIONS", "deal_beaver", "multiply", "truncate"]

# Products that Beaver triples can stand in for: bilinear in their two operands.
OPERATIONS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mul": torch.mul,
    "matmul": torch.matmul,
}

BeaverSpec = tuple[str, tuple[int, ...], tuple[int, ...]]


def deal_beaver(spec: BeaverSpec, holders: int) -> list[tuple[torch.Tensor, ...]]:
    """The crypto provider's part: a fresh triple for ``spec`` = (operation, shape of x, shape of y)."""
    op, shape_x, shape_y = spec
    a, b = random_ring(shape_x), random_ring(shape_y)
    c = OPERATIONS[op](a, b)
    return list(
        zip(split_additive(a, holders), split_additive(b, holders), split_additive(c, holders), strict=True)
    )


def multiply(party: Party, x: torch.Tensor, y: torch.Tensor, op: str) -> Program:
    """One holder's part of a Beaver multiplication; returns its share of ``op(x, y)``."""
    a, b, c = party.take("beaver")
    delta, epsilon = yield Opening("add", (x - a, y - b))
    product = OPERATIONS[op]
    z = c + product(delta, b) + product(a, epsilon)
    if party.leads:
        z = z + product(delta, epsilon)
    return (z,)


def truncate(party: Party, share: torch.Tensor, scale: int) -> torch.Tensor:
    """Divide a two-holder shared value by ``scale``, each holder on its own share (SecureML).

    The first holder rounds its share down, the second rounds the negation of its share down and
    negates it back; the two errors cancel to within one unit.
    """
    if party.leads:
        return torch.div(share, scale, rounding_mode="floor")
    return -torch.div(-share, scale, rounding_mode="floor")


def _multiply_then_truncate(party: Party, x: torch.Tensor, y: torch.Tensor, op: str, scale: int) -> Program:
    (z,) = yield from multiply(party, x, y, op)
    return (truncate(party, z, scale) if scale > 1 else z,)


DEALERS["beaver"] = deal_beaver
PROGRAMS["beaver"] = _multiply_then_truncate
