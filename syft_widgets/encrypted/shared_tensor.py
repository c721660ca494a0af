"""The learner's shared value: ``x.share(bob, alice, crypto_provider=cp)`` returns a ``SharedTensor``.

It holds no data, only one pointer per holder to that holder's share, and it prints as PySyft 0.2
printed its wrapper. Every operation makes a new shared value (new shares, new secret id) by running
a program on the holders (:mod:`.protocol`): share by share for ``+ - sum view`` (:mod:`.linear`),
with a Beaver triple for ``* mm`` (:mod:`.beaver`), with the comparison protocol for ``> < == max``
(:mod:`.comparison`). ``.get()`` is the only way a value comes out.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable
from typing import Any

import torch

from .. import interrupts
from .. import messages as m
from ..pointers import make_pointer
from ..world import WORLD
from . import beaver as _beaver  # noqa: F401  (registers its programs)
from .errors import (
    MixedSharedError,
    SharedValueError,
    SpentSharedTensorError,
    UnsupportedSharedOperationError,
)
from .fixed_precision import BASE
from .operations import MaxResult, SharedOperations
from .protocol import run_program, run_quietly
from .sharing import reconstruct

__all__ = ["MaxResult", "SharedTensor"]

_EMPTY = torch.empty(0, dtype=torch.int64)
_ZERO = torch.zeros((), dtype=torch.int64)
FIELD = 2**64


class _SharedMethods(SharedOperations):
    """Everything a shared value is and does (the class body of :class:`SharedTensor`)."""

    holders: tuple[Any, ...]
    share_ids: tuple[int, ...]
    crypto_provider: Any
    precision: int | None
    base: int
    secret_id: int
    _spent: bool
    _shape: torch.Size
    _pointers: dict[Hashable, Any] | None
    _holder_ids: tuple[str, ...]

    # --- making one ---------------------------------------------------------------------------
    @staticmethod
    def make(
        holders: tuple[Any, ...],
        share_ids: tuple[int, ...],
        crypto_provider: Any,
        precision: int | None,
        secret_id: int,
        shape: tuple[int, ...],
        base: int = BASE,
        holder_ids: tuple[str, ...] | None = None,
        pointers: bool = True,
    ) -> SharedTensor:
        """A shared value whose shares are stored on ``holders`` under ``share_ids`` (in that order).

        ``pointers``: make ``me``'s pointers to the shares now if someone draws (else on first use).
        """
        if holder_ids is None:
            holder_ids = tuple(str(h.id) for h in holders)
        shared: Any = torch.Tensor._make_subclass(SharedTensor, _EMPTY, False)
        # A new object's attributes, as one dict made at its full size (no keyword dict to copy from).
        shared.__dict__ = {
            "holders": holders, "share_ids": share_ids, "crypto_provider": crypto_provider,
            "precision": precision, "base": base, "secret_id": secret_id, "_shape": torch.Size(shape),
            "_spent": False, "_pointers": None, "_holder_ids": holder_ids,
        }  # fmt: skip
        if pointers and WORLD.bus.active:  # someone draws: me's pointers to the shares should be there
            _ = shared.shares
        return shared

    @property
    def shares(self) -> dict[Hashable, Any]:
        """Holder id -> the pointer to its share (made on first use; they delete the shares when dropped)."""
        pointers: dict[Hashable, Any] | None = self._pointers
        if pointers is None:
            me: Any = WORLD.local_worker
            meta = m.TensorMeta(tuple(self.shape), torch.int64, False)
            pairs = [] if self._spent else zip(self.holders, self.share_ids, strict=True)
            pointers = {h.id: make_pointer(me, h, obj_id, meta) for h, obj_id in pairs}
            self._pointers = pointers
        return pointers

    def _ids_in(self, holder_ids: tuple[str, ...]) -> tuple[int, ...]:
        """This value's share ids in the order of ``holder_ids`` (the same workers, in any order)."""
        if holder_ids == self._holder_ids:
            return self.share_ids
        where = dict(zip(self._holder_ids, self.share_ids, strict=True))
        return tuple(where[h] for h in holder_ids)

    # --- what it is ----------------------------------------------------------------------------
    @property
    def shape(self) -> torch.Size:
        return self._shape

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return len(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def numel(self) -> int:
        return self.shape.numel()

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    @property
    def dtype(self) -> torch.dtype:
        return torch.int64

    @property
    def requires_grad(self) -> bool:
        return False

    @property
    def location(self) -> Any:
        raise AttributeError(
            "A shared value has no one location: its shares are on "
            f"{', '.join(repr(h.id) for h in self.holders)}. See x.holders, or x.shares for the pointers."
        )

    @property
    def is_fixed_precision(self) -> bool:
        return self.precision is not None

    @property
    def child(self) -> _AdditiveSharing:
        """PySyft 0.2's AdditiveSharingTensor fields: ``child`` (the pointers), ``locations``, ``field``..."""
        return _AdditiveSharing(self)

    def __repr__(self) -> str:
        head = (
            "(Wrapper)>FixedPrecisionTensor>[AdditiveSharingTensor]"
            if self.precision is not None
            else ("(Wrapper)>[AdditiveSharingTensor]")
        )
        lines = [head]
        for holder_id, pointer in self.shares.items():
            where = f"{holder_id}:{pointer.id_at_location}"
            lines.append(f"\t-> [PointerTensor | {pointer.owner.id}:{pointer.id} -> {where}]")
        provider = self.crypto_provider
        lines.append(f"\t*crypto provider: {None if provider is None else provider.id}*")
        if self._spent:
            lines.append("\t(retrieved with .get(): its shares are gone)")
        return "\n".join(lines)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(repr(self), spec)

    def __hash__(self) -> int:
        return id(self)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(type(self))) | set(self.__dict__))

    # --- the one way out ------------------------------------------------------------------------
    def get(self) -> torch.Tensor:
        """Bring every share back and add them up; the holders forget their shares.

        Returns an int64 tensor, or a ``FixedPrecisionTensor`` for a fixed-point value (decode it
        with ``.float_precision()``). The shared value cannot be used afterwards.
        """
        self._check_usable("get")
        return reconstruct(self)

    def _release(self) -> None:
        """Delete the shares now (as dropping the last reference would) and mark this value spent."""
        if not self._spent:
            self.__dict__["_spent"] = True
            with WORLD.step(
                "gc", holder=self._holder_ids[0], holders=self._holder_ids, secret=self.secret_id
            ):
                _delete_shares(self)

    # --- what a shared value cannot give -----------------------------------------------------
    def _no_value(self, what: str) -> Any:
        raise SharedValueError(
            f"Additive shared tensors can't be converted to {what}: nobody holds the value. "
            "You should decrypt it first: x.get()."
        )

    def __bool__(self) -> bool:
        return self._no_value("boolean values")

    def item(self) -> Any:
        return self._no_value("Python numbers")

    def tolist(self) -> Any:
        return self._no_value("lists")

    def numpy(self, *args: Any, **kwargs: Any) -> Any:
        return self._no_value("numpy arrays")

    def __int__(self) -> int:
        return self._no_value("int")

    def __float__(self) -> float:
        return self._no_value("float")

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise SharedValueError(
            "A shared value cannot be pickled: its shares live on workers. Call .get() first."
        )

    def share(self, *workers: Any, **kwargs: Any) -> Any:
        raise MixedSharedError(
            "This value is already shared. To share it among other workers: x.get().share(...)."
        )

    def send(self, *workers: Any, **kwargs: Any) -> Any:
        raise MixedSharedError("A shared value cannot be sent: its shares already live on the workers.")

    # --- torch functions on shared values -----------------------------------------------------
    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        name = _TORCH_FUNCTIONS.get(func)
        if name is not None:
            first = args[0]
            if type(first) is SharedTensor:
                return getattr(first, name)(*args[1:], **kwargs)
            if name in ("add", "mul"):  # torch.add(3, x): the same as x + 3
                return getattr(args[1], name)(first, **kwargs)
        if getattr(func, "__name__", "") == "__get__":  # a property torch reads by itself
            with torch._C.DisableTorchFunctionSubclass():
                return func(*args, **kwargs)
        raise UnsupportedSharedOperationError(
            f"{getattr(func, '__name__', func)} is not supported on shared values: it has no secure "
            "version here. Supported: + - * / @ mm matmul sum > >= < <= == max min argmax argmin, and "
            "view/reshape/t/transpose/indexing. Or bring the value back with .get()."
        )

    # --- running programs on the holders ------------------------------------------------------
    @property
    def _provider_id(self) -> str | None:
        return None if self.crypto_provider is None else str(self.crypto_provider.id)

    def _check_usable(self, action: str) -> None:
        if self._spent:
            raise SpentSharedTensorError(
                "This shared value was already brought back with .get(), which removed its shares from "
                f"{', '.join(repr(h) for h in self._holder_ids)}; .{action} cannot reach them. Use the "
                "tensor .get() returned, or share it again."
            )

    def _run(
        self,
        func: str,
        program: str,
        others: list[SharedTensor],
        public_args: tuple,
        plan: list,
        outputs: list[int | None],
        protocol: str,
        provider: Any = None,
        public: bool = False,
    ) -> list[SharedTensor]:
        """Run ``program`` on every holder with this value's (and ``others``') shares; wrap the results."""
        inputs = [self, *others]
        holders = self.holders
        share_ids = [value._ids_in(self._holder_ids) for value in inputs]
        provider = provider if provider is not None else self.crypto_provider
        keeper = self.crypto_provider or provider
        if not plan and not WORLD.bus.active:  # a local operation nobody watches: the short way
            provider_id = None if provider is None else str(provider.id)
            secret_ids, stored, shapes = run_quietly(
                holders, self._holder_ids, provider_id, program, share_ids, public_args, outputs
            )
            return [
                SharedTensor.make(holders, tuple(ids), keeper, outputs[j], secret_ids[j], shapes[j],
                                  self.base, self._holder_ids)
                for j, ids in enumerate(stored)
            ]  # fmt: skip
        refs = [tuple(m.ObjectRef(ids[i]) for ids in share_ids) for i in range(len(holders))]
        detail: dict[str, object] = {
            "func": func, "inputs": tuple(value.secret_id for value in inputs), "holders": self._holder_ids,
            "crypto_provider": "" if provider is None else str(provider.id), "protocol": protocol,
            "public": public,
        }  # fmt: skip

        def wrap(
            stored: list[list[tuple[int, tuple[int, ...]]]], secrets: tuple[int, ...]
        ) -> list[SharedTensor]:
            return [
                SharedTensor.make(holders, tuple(obj_id for obj_id, _ in per_holder), keeper, outputs[j],
                                  secrets[j], per_holder[0][1], self.base, self._holder_ids)
                for j, per_holder in enumerate(stored)
            ]  # fmt: skip

        return run_program(holders, provider, program, refs, public_args, plan, outputs, detail, wrap)

    @interrupts.finalizer  # Python ignores what __del__ raises: an interrupt here waits for the next op
    def __del__(self) -> None:
        # Dropping a shared value deletes its shares: one step for all of them.
        try:
            # At interpreter exit the workers go with the process (and deletes could hang it).
            if self._spent or sys.is_finalizing():
                return
            self._spent = True
            if WORLD.bus.active:
                holders = self._holder_ids
                with WORLD.step("gc", holder=holders[0], holders=holders, secret=self.secret_id):
                    _delete_shares(self)
            else:
                _delete_shares(self)
        except Exception:
            pass


def _delete_shares(shared: Any) -> None:
    """Delete a shared value's shares: its pointers do it as they go, or a delete message per holder."""
    pointers = shared._pointers
    shared._pointers = {}
    if pointers is not None:
        pointers.clear()  # each pointer's __del__ sends its delete
        return
    me: Any = WORLD.local_worker
    for holder, obj_id in zip(shared.holders, shared.share_ids, strict=True):
        try:
            if me.calls_directly(holder):  # nobody watches: the delete without a message (workers.py)
                store = holder.object_store  # (a share is never a pointer: nothing further to delete)
                if obj_id in store.objects:
                    store.remove(obj_id, "delete")
            else:
                me.send_msg(m.DeleteObject(obj_id), holder)
        except Exception:
            pass  # a holder gone: nothing left to delete there


class SharedTensor(_SharedMethods, torch.Tensor):  # type: ignore[misc, override]
    """A value split into additive shares, one on each holder; nobody holds it whole.

    ``secret_id`` is shared by this value's shares (diagrams group them by it), ``holders`` are the
    workers in the order given, ``shares`` maps each holder's id to the pointer to its share, and
    ``precision`` is the number of fractional digits of a fixed-point value (None for integers).
    """


class _AdditiveSharing:
    """The fields of PySyft 0.2's AdditiveSharingTensor, read from a shared value (``x.child``)."""

    field = FIELD
    dtype = "long"
    protocol = "snn"

    def __init__(self, shared: _SharedMethods) -> None:
        self.child = dict(shared.shares)
        self.locations = list(shared.holders)
        self.crypto_provider = shared.crypto_provider

    def __repr__(self) -> str:
        return f"[AdditiveSharingTensor] on {[w.id for w in self.locations]}"


# torch functions (torch.matmul(x, y), torch.max(x)) and the SharedTensor method each one is.
_TORCH_FUNCTIONS: dict[Any, str] = {}
for _name, _method in {
    "add": "add", "sub": "sub", "mul": "mul", "matmul": "matmul", "mm": "matmul", "gt": "gt", "ge": "ge",
    "lt": "lt", "le": "le", "eq": "eq", "ne": "ne", "max": "max", "min": "min", "argmax": "argmax",
    "argmin": "argmin", "sum": "sum", "neg": "neg", "div": "div", "reshape": "reshape", "t": "t",
    "transpose": "transpose", "flatten": "flatten", "squeeze": "squeeze", "unsqueeze": "unsqueeze",
    "permute": "permute", "greater": "gt", "less": "lt", "greater_equal": "ge", "less_equal": "le",
}.items():  # fmt: skip
    for _namespace in (torch, torch.Tensor):
        if hasattr(_namespace, _name):
            _TORCH_FUNCTIONS[getattr(_namespace, _name)] = _method
