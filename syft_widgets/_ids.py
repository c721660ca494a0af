"""Object ids: PySyft-style 11-digit integers, unique within a process without remembering them."""

from __future__ import annotations

import itertools
import secrets
import weakref

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


# A local tensor gets its id lazily. It is kept beside the tensor rather than in its __dict__, because
# copy.deepcopy copies __dict__ and a copied model must not share ids with the original. The table is
# keyed by id(tensor) (a WeakKeyDictionary would compare tensors with ==, which torch makes
# elementwise); a weak reference's callback drops the entry when the tensor dies.
_tensor_ids: dict[int, tuple[int, weakref.ref]] = {}


def tensor_id(t: torch.Tensor) -> int:
    """The id of a local tensor, drawn on first use."""
    found = _tensor_ids.get(id(t))
    if found is None:
        obj_id = new_id()
        set_tensor_id(t, obj_id)
        return obj_id
    return found[0]


def set_tensor_id(t: torch.Tensor, obj_id: int) -> None:
    key = id(t)
    found = _tensor_ids.get(key)
    if found is not None:
        ref = found[1]
    else:

        def forget(_: weakref.ref) -> None:
            _tensor_ids.pop(key, None)

        ref = weakref.ref(t, forget)
    _tensor_ids[key] = (obj_id, ref)
