"""The ring Z_2^64 as int64 tensors: uniformly random elements and splitting a value into shares.

torch's int64 arithmetic wraps around on overflow, so ``+``, ``-`` and ``*`` of int64 tensors are
exactly the ring's operations. Randomness comes from the operating system (``os.urandom``), never
from torch's generator: shares cannot be predicted from a seed, and ``torch.manual_seed`` streams
(Part 10's shuffles) are left as they were.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch

__all__ = ["random_bits", "random_ring", "split_additive", "split_xor", "xor_all"]


# OS randomness is read in chunks and handed out once each: one system call serves many small
# tensors (a comparison needs dozens). Large requests read the OS directly.
_CHUNK = 1 << 16
_pool = bytearray()
_used = 0


def _random_bytes(nbytes: int) -> bytearray:
    global _pool, _used
    if nbytes > _CHUNK // 4:
        return bytearray(os.urandom(nbytes))
    if _used + nbytes > len(_pool):
        _pool, _used = bytearray(os.urandom(_CHUNK)), 0
    start, _used = _used, _used + nbytes
    return _pool[start:_used]  # a copy: no byte is handed out twice


def random_ring(shape: Sequence[int]) -> torch.Tensor:
    """A tensor of uniformly random int64 values (every 64-bit pattern equally likely).

    >>> random_ring((2, 3)).shape, random_ring(()).dtype
    (torch.Size([2, 3]), torch.int64)
    """
    count = 1
    for size in shape:
        count *= size
    if not count:
        return torch.zeros(tuple(shape), dtype=torch.int64)
    flat = torch.frombuffer(_random_bytes(8 * count), dtype=torch.int64, count=count)
    return flat if len(shape) == 1 else flat.reshape(tuple(shape))


def random_bits(shape: Sequence[int]) -> torch.Tensor:
    """Uniformly random 0/1 values as int64."""
    return random_ring(shape) & 1


def split_additive(secret: torch.Tensor, parts: int) -> list[torch.Tensor]:
    """``parts`` int64 tensors that add up to ``secret`` (mod 2^64); any ``parts - 1`` are uniform.

    The first ``parts - 1`` are fresh random values and the last is the secret minus their sum.

    >>> shares = split_additive(torch.tensor([25]), 3)
    >>> sum(shares[1:], shares[0])
    tensor([25])
    """
    shares = [random_ring(secret.shape) for _ in range(parts - 1)]
    last = secret if secret.dtype == torch.int64 else secret.to(torch.int64)
    for share in shares:
        last = last - share
    return [*shares, last]


def split_xor(secret: torch.Tensor, parts: int) -> list[torch.Tensor]:
    """``parts`` int64 tensors whose bitwise XOR is ``secret``: the bits of a value, shared.

    >>> xor_all(split_xor(torch.tensor([-5, 7]), 2))
    tensor([-5,  7])
    """
    shares = [random_ring(secret.shape) for _ in range(parts - 1)]
    last = secret.to(torch.int64)
    for share in shares:
        last = last ^ share
    return [*shares, last]


def xor_all(values: Sequence[torch.Tensor]) -> torch.Tensor:
    """The bitwise XOR of all ``values``."""
    result = values[0]
    for value in values[1:]:
        result = result ^ value
    return result
