"""The methods ``sy.TorchHook(torch)`` adds for encrypted programs: ``share``, ``fix_precision``, ...

On a local tensor they work here; on a pointer they ask the worker holding the data (Part 10:
``ptr.fix_precision().share(bob, alice, crypto_provider=james).get()``). ``SharedTensor`` and
``FixedPrecisionTensor`` define their own versions.
"""

from __future__ import annotations

from typing import Any

import torch

from .. import interrupts
from .._ids import new_id
from ..pointers import make_pointer
from ..workers import BaseWorker
from ..world import WORLD
from . import seen as _seen  # noqa: F401  (the steps a fast loop's batch keeps for the privacy record)
from .errors import MixedSharedError, PrecisionMismatchError
from .fixed_precision import BASE, PRECISION, FixedPrecisionTensor, encode
from .messages import RunProtocol, send
from .shared_tensor import SharedTensor
from .sharing import check_workers, share_here, share_there

__all__ = ["RemoteShared", "install"]


def tensor_share(
    self: torch.Tensor, *workers: Any, crypto_provider: Any = None, protocol: str = "snn", **_: Any
) -> Any:
    """Split this tensor into additive shares, one per worker (``x.share(bob, alice, crypto_provider=cp)``).

    ``protocol`` ("snn" or "fss") is accepted as in PySyft 0.2 and changes nothing: comparisons here
    always use the dealer-assisted protocol of ``comparison.py``.
    """
    chosen = check_workers(workers, crypto_provider)
    holders, provider, holder_ids = chosen.holders, chosen.provider, chosen.holder_ids
    if getattr(self, "is_pointer", False):
        self._check_usable("share")  # type: ignore[attr-defined]
        secret, share_ids, precision = share_there(self, chosen)
        # me's pointers to the shares come with the hand-over (RemoteShared.get), not before.
        shared = SharedTensor.make(
            holders, share_ids, provider, precision, secret, tuple(self.shape), holder_ids=holder_ids,
            pointers=False,
        )  # fmt: skip
        return RemoteShared(shared, self.location)  # type: ignore[attr-defined]
    fixed = type(self) is FixedPrecisionTensor  # (isinstance on a tensor costs a metaclass check)
    precision = self.precision_fractional if fixed else None  # type: ignore[attr-defined]
    base = self.base if fixed else BASE  # type: ignore[attr-defined]
    # A fixed-point tensor's shape read on its plain view: on the subclass it costs a torch dispatch.
    shape = (self.encoded if fixed else self).shape  # type: ignore[attr-defined]
    return share_here(
        self,
        chosen,
        precision,
        base,
        lambda secret, share_ids: SharedTensor.make(
            holders, share_ids, provider, precision, secret, shape, base, holder_ids
        ),
    )


def tensor_fix_precision(
    self: torch.Tensor, base: int = BASE, precision_fractional: int = PRECISION, **_: Any
) -> Any:
    """Fixed-point encoding (base 10, 3 fractional digits, truncated toward zero, as PySyft 0.2)."""
    if type(self) is FixedPrecisionTensor:  # (isinstance on a tensor costs a metaclass check)
        raise PrecisionMismatchError("This tensor is already fixed-point; use it as it is.")
    if getattr(self, "is_pointer", False):
        return _remote(self, "fix_precision", (base, precision_fractional))
    return FixedPrecisionTensor.of(encode(self, base, precision_fractional), base, precision_fractional)


def tensor_float_precision(self: torch.Tensor) -> Any:
    """Decode a fixed-point tensor (here, or on the worker a pointer points to)."""
    if getattr(self, "is_pointer", False):
        return _remote(self, "float_precision", ())
    raise MixedSharedError(
        f"float_precision() decodes a fixed-point tensor; this is a plain {self.dtype} tensor. "
        "Encode one with x.fix_precision()."
    )


def tensor_encrypt(self: torch.Tensor, workers: Any = (), crypto_provider: Any = None, **kwargs: Any) -> Any:
    """``fix_precision()`` then ``share(*workers, crypto_provider=...)`` (PySyft 0.2's ``encrypt``)."""
    encoded = self if self.dtype in (torch.int64, torch.int32, torch.bool) else tensor_fix_precision(self)
    return tensor_share(encoded, *workers, crypto_provider=crypto_provider)


def _remote(pointer: Any, step: str, args: tuple) -> Any:
    pointer._check_usable(step)
    me, location = pointer.owner, pointer.location
    return_id = new_id()
    with interrupts.Held(), WORLD.step("command", func=step, holder=str(location.id)):
        stored = send(me, RunProtocol(step, return_id, (pointer._ref, *args)), location)
        return make_pointer(me, location, stored.obj_id, stored.meta)


class RemoteShared:
    """A shared value its owner made (``ptr.share(...)`` in Part 10); ``.get()`` brings it to ``me``.

    The shares are already on their holders; what ``.get()`` brings is the shared value itself (its
    pointers to the shares), never the secret.
    """

    def __init__(self, shared: SharedTensor, owner: Any) -> None:
        self._shared: SharedTensor | None = shared
        self.location = owner

    def get(self) -> SharedTensor:
        shared = self._shared
        if shared is None:
            raise MixedSharedError(
                "This shared value was already brought here with .get(); use what it returned."
            )
        me = WORLD.local_worker
        assert me is not None
        with interrupts.Held(), WORLD.step("get", holder=str(self.location.id)):
            send(me, RunProtocol("hand over", shared.secret_id, (), "get"), self.location)
            if WORLD.bus.active:  # someone draws: me's pointers to the shares, in this step's picture
                _ = shared.shares
        self._shared = None
        return shared

    def __repr__(self) -> str:
        if self._shared is None:
            return f"(Wrapper)>[shared value made by {self.location.id}] (retrieved with .get())"
        return f"(Wrapper)>[shared value made by {self.location.id}] .get() brings:\n{self._shared!r}"


def _worker_tensors(self: BaseWorker) -> dict[int, object]:
    """The tensors in this worker's store (``bob._tensors`` in Part 9): everything but pointers."""
    return {
        k: v
        for k, v in self._objects.items()
        if isinstance(v, torch.Tensor) and not getattr(v, "is_pointer", False)
    }


def install() -> None:
    """Add the methods to ``torch.Tensor`` (and ``_tensors`` to workers); ``sy.TorchHook`` calls this."""
    tensor: Any = torch.Tensor
    tensor.share = tensor_share
    tensor.fix_precision = tensor.fix_prec = tensor_fix_precision
    tensor.float_precision = tensor.float_prec = tensor_float_precision
    tensor.encrypt = tensor_encrypt
    worker: Any = BaseWorker
    if not hasattr(worker, "_tensors"):
        worker._tensors = property(_worker_tensors)
