"""The ring Z_2^64 as int64 tensors: uniformly random elements and splitting a value into shares.

torch's int64 arithmetic wraps around on overflow, so ``+``, ``-`` and ``*`` of int64 tensors are
exactly the ring's operations. Randomness is cryptographically secure and never torch's generator:
shares cannot be predicted from a seed, and ``torch.manual_seed`` streams (Part 10's shuffles) are
left as they were. It is the key stream of the ChaCha20 cipher (RFC 8439, run by OpenSSL through
the ``cryptography`` package) under a 256-bit key from the operating system (``os.urandom``): the
standard way to turn a short secret seed into many random bytes (Linux's own ``getrandom`` is built
the same way), and ten times faster than asking the operating system for every byte.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import torch
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

__all__ = ["random_bits", "random_ring", "split_additive", "split_xor", "xor_all"]


# A new key from the operating system after this many bytes of one key stream (ChaCha20's block
# counter is far from wrapping around then), and in a forked child, so that parent and child never
# draw the same bytes.
_REKEY_BYTES = 1 << 30


class _KeyStream:
    """ChaCha20's key stream under a key from the OS: every byte read once, never handed out twice."""

    def __init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        """A new lock and key (at start, and in a forked child: the parent's lock may be held)."""
        self._lock = threading.Lock()  # one reader at a time: no two threads get the same bytes
        self.rekey()

    def rekey(self) -> None:
        """A fresh key and nonce from the operating system (and after 1 GiB of key stream)."""
        key, nonce = os.urandom(32), os.urandom(16)
        self._encryptor = Cipher(algorithms.ChaCha20(key, nonce), mode=None).encryptor()
        self._left = _REKEY_BYTES

    def read(self, nbytes: int) -> bytearray:
        """``nbytes`` fresh random bytes (a writable buffer, for ``torch.frombuffer``)."""
        out = bytearray(nbytes)
        with self._lock:
            if nbytes > self._left:
                self.rekey()
            self._left -= nbytes
            self._encryptor.update_into(bytes(nbytes), out)  # the key stream: ChaCha20 of zeros
        return out


_STREAM = _KeyStream()
os.register_at_fork(after_in_child=_STREAM.restart)


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
    flat = torch.frombuffer(_STREAM.read(8 * count), dtype=torch.int64, count=count)
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
    whole = secret if secret.dtype == torch.int64 else secret.to(torch.int64)
    if parts == 2:  # the usual case (bob and alice): one random share, one subtraction
        mask = random_ring(whole.shape)
        return [mask, whole - mask]
    shares = [random_ring(whole.shape) for _ in range(parts - 1)]
    last = whole
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
