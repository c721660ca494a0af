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
from . import comparison as _comparison
from . import linear as _linear
from .errors import (
    CryptoProviderError,
    HoldersMismatchError,
    MixedSharedError,
    PrecisionMismatchError,
    SharedValueError,
    SpentSharedTensorError,
    UnsupportedSharedOperationError,
)
from .fixed_precision import BASE, PRECISION, FixedPrecisionTensor, encode, encode_number, scale_of
from .protocol import run_program, run_quietly
from .sharing import reconstruct

__all__ = ["MaxResult", "SharedTensor"]

_EMPTY = torch.empty(0, dtype=torch.int64)
_ZERO = torch.zeros((), dtype=torch.int64)
FIELD = 2**64


class _SharedMethods:
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
    ) -> SharedTensor:
        """A shared value whose shares are stored on ``holders`` under ``share_ids`` (in that order)."""
        shared: Any = torch.Tensor._make_subclass(SharedTensor, _EMPTY, False)
        shared.__dict__.update(
            holders=holders, share_ids=share_ids, crypto_provider=crypto_provider, precision=precision,
            base=base, secret_id=secret_id, _shape=torch.Size(shape), _spent=False, _pointers=None,
            _holder_ids=holder_ids or tuple(str(h.id) for h in holders),
        )  # fmt: skip
        if WORLD.bus.active:  # someone draws: me's pointers to the shares should be there to draw
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

    def _refs(self, holder_ids: tuple[str, ...]) -> list[m.ObjectRef]:
        """References to this value's shares, in the order of ``holder_ids`` (same workers, any order)."""
        if holder_ids == self._holder_ids:
            return [m.ObjectRef(obj_id) for obj_id in self.share_ids]
        where = dict(zip(self._holder_ids, self.share_ids, strict=True))
        return [m.ObjectRef(where[h]) for h in holder_ids]

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
        detail: dict[str, object] = {
            "secret": self.secret_id,
            "holders": self._holder_ids,
            "precision": self.precision,
        }
        return reconstruct(self, detail)

    def _release(self) -> None:
        """Delete the shares now (as dropping the last reference would) and mark this value spent."""
        if not self._spent:
            self.__dict__["_spent"] = True
            with WORLD.step(
                "gc", holder=self._holder_ids[0], holders=self._holder_ids, secret=self.secret_id
            ):
                _delete_shares(self)

    # --- fixed precision -----------------------------------------------------------------------
    def fix_precision(
        self, base: int = BASE, precision_fractional: int = PRECISION, **_: Any
    ) -> SharedTensor:
        """Encode shared integers as fixed-point numbers (each share times base**precision)."""
        self._check_usable("fix_precision")
        if self.precision is not None:
            raise PrecisionMismatchError("This shared value is already fixed-point; use it as it is.")
        scale = scale_of(base, precision_fractional)
        (result,) = self._run("fix_precision", "scale", [], (scale, 1), [], [precision_fractional], "local")
        result.__dict__["base"] = base
        return result

    fix_prec = fix_precision

    def float_precision(self) -> Any:
        self._check_usable("float_precision")
        raise SharedValueError(
            "A shared value cannot be decoded while it is shared: nobody holds the number. Bring it back "
            "first, then decode: x.get().float_precision()."
        )

    float_prec = float_precision

    # --- arithmetic ----------------------------------------------------------------------------
    def add(self, other: Any) -> SharedTensor:
        return self._linear("add", other, 1)

    def sub(self, other: Any) -> SharedTensor:
        return self._linear("sub", other, -1)

    def __add__(self, other: Any) -> SharedTensor:
        return self.add(other)

    __radd__ = __add__

    def __sub__(self, other: Any) -> SharedTensor:
        return self.sub(other)

    def __rsub__(self, other: Any) -> SharedTensor:
        constant = self._public_number(other, "-")
        (result,) = self._run("sub", "affine", [], (-1, constant), [], [self.precision], "local", public=True)
        return result

    def neg(self) -> SharedTensor:
        (result,) = self._run("neg", "affine", [], (-1, 0), [], [self.precision], "local")
        return result

    __neg__ = neg

    def mul(self, other: Any) -> SharedTensor:
        if type(other) is SharedTensor:
            return self._product("mul", other)
        return self._scaled("mul", other)

    def __mul__(self, other: Any) -> SharedTensor:
        return self.mul(other)

    __rmul__ = __mul__

    def matmul(self, other: Any) -> SharedTensor:
        if type(other) is not SharedTensor:
            raise MixedSharedError(
                f"x.mm(y) needs y shared too (among {self._holder_ids}); got {type(other).__name__}. "
                f"Share it first: y.share({', '.join(self._holder_ids)}, crypto_provider=...)."
            )
        return self._product("matmul", other)

    mm = matmul
    __matmul__ = matmul

    def __rmatmul__(self, other: Any) -> SharedTensor:
        raise MixedSharedError(
            "A plain tensor @ a shared value is not supported: share both among the same workers."
        )

    def div(self, other: Any, rounding_mode: str | None = None) -> SharedTensor:
        """Division by a public integer (fixed-point: any public number), each holder on its share."""
        if type(other) is SharedTensor:
            raise UnsupportedSharedOperationError(
                "Division by a shared value is not supported; divide by a public number."
            )
        if self.precision is not None and isinstance(other, float) and not other.is_integer():
            return self._scaled("div", 1 / other)
        if (
            isinstance(other, bool)
            or not isinstance(other, (int, float))
            or other != int(other)
            or int(other) == 0
        ):
            raise MixedSharedError(
                f"A shared integer can only be divided by a nonzero whole number; got {other!r}."
            )
        self._need_two_holders("division")
        (result,) = self._run("div", "scale", [], (1, int(other)), [], [self.precision], "local", public=True)
        return result

    __truediv__ = div
    __floordiv__ = div

    def sum(self, *args: Any, **kwargs: Any) -> SharedTensor:
        return self._reshape("sum", args, kwargs)

    # --- comparisons ---------------------------------------------------------------------------
    def gt(self, other: Any) -> SharedTensor:
        return self._compare("gt", other)

    def ge(self, other: Any) -> SharedTensor:
        return self._compare("ge", other)

    def lt(self, other: Any) -> SharedTensor:
        return self._compare("lt", other)

    def le(self, other: Any) -> SharedTensor:
        return self._compare("le", other)

    def eq(self, other: Any) -> SharedTensor:
        return self._compare("eq", other)

    def ne(self, other: Any) -> SharedTensor:
        return (
            1 - self._compare("eq", other) if self.precision is None else self._compare("eq", other).neg() + 1
        )

    __gt__ = gt
    __ge__ = ge
    __lt__ = lt
    __le__ = le

    # == with something that is no number (None, a string) is Python's identity test, not a protocol.
    def __eq__(self, other: Any) -> Any:
        return self.eq(other) if isinstance(other, (int, float, torch.Tensor)) else NotImplemented

    def __ne__(self, other: Any) -> Any:
        return self.ne(other) if isinstance(other, (int, float, torch.Tensor)) else NotImplemented

    def max(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The largest value (``dim=None``), or ``MaxResult(values, indices)`` along ``dim``."""
        return self._tournament("max", 1, dim, keepdim)

    def min(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return self._tournament("min", -1, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> SharedTensor:
        return self._tournament("argmax", 1, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> SharedTensor:
        return self._tournament("argmin", -1, dim, keepdim)

    # --- reshaping -----------------------------------------------------------------------------
    def view(self, *shape: Any) -> SharedTensor:
        return self._reshape("view", shape, {})

    def reshape(self, *shape: Any) -> SharedTensor:
        return self._reshape("reshape", shape, {})

    def t(self) -> SharedTensor:
        return self._reshape("t", (), {})

    def transpose(self, dim0: int, dim1: int) -> SharedTensor:
        return self._reshape("transpose", (dim0, dim1), {})

    def flatten(self, *args: Any) -> SharedTensor:
        return self._reshape("flatten", args, {})

    def squeeze(self, *args: Any) -> SharedTensor:
        return self._reshape("squeeze", args, {})

    def unsqueeze(self, dim: int) -> SharedTensor:
        return self._reshape("unsqueeze", (dim,), {})

    def permute(self, *dims: Any) -> SharedTensor:
        return self._reshape("permute", dims, {})

    def __getitem__(self, index: Any) -> SharedTensor:
        if isinstance(index, torch.Tensor):
            raise MixedSharedError("Index a shared value with numbers or slices, not with a tensor.")
        return self._reshape("__getitem__", (index,), {})

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

    def _partner(self, other: SharedTensor, action: str) -> None:
        other._check_usable(action)
        if other._holder_ids != self._holder_ids and sorted(other._holder_ids) != sorted(self._holder_ids):
            raise HoldersMismatchError(
                f"These shared values live on different workers: {list(self._holder_ids)} and "
                f"{list(other._holder_ids)}, so their shares cannot be combined. Share both among the same "
                "workers (the order does not matter)."
            )
        if other.precision != self.precision:
            raise PrecisionMismatchError(
                f"One shared value is {_encoding(self)} and the other {_encoding(other)}: their shares are "
                "on different scales. Encode both the same way before sharing: t.fix_precision().share(...)."
            )

    def _public_number(self, value: Any, op: str) -> Any:
        """A public operand of + - or a comparison, encoded like this value."""
        if isinstance(value, (bool, int)):
            return (
                int(value) * scale_of(self.base, self.precision) if self.precision is not None else int(value)
            )
        if isinstance(value, float):
            if self.precision is None:
                raise MixedSharedError(
                    f"This shared value holds integers, so {op} {value!r} cannot be exact. Use a whole "
                    "number, or share fixed-point values: x.fix_precision().share(...)."
                )
            return encode_number(value, self.base, self.precision)
        if isinstance(value, torch.Tensor):
            what = "pointer" if getattr(value, "is_pointer", False) else "plain tensor"
            raise MixedSharedError(
                f"Shared value {op} a {what}: a plain tensor is visible to everyone and a pointer lives on "
                "one worker, so neither mixes with shares. Share it among the same workers first: "
                f"t.share({', '.join(self._holder_ids)}), or use a Python number."
            )
        raise MixedSharedError(
            f"Cannot combine a shared value with {type(value).__name__} {value!r} using {op}."
        )

    def _linear(self, func: str, other: Any, sign: int) -> SharedTensor:
        self._check_usable(func)
        if type(other) is SharedTensor:
            self._partner(other, func)
            (result,) = self._run(func, func, [other], (), [], [self.precision], "local")
        else:
            constant = self._public_number(other, "+" if sign == 1 else "-")
            (result,) = self._run(
                func, "affine", [], (1, sign * constant), [], [self.precision], "local", public=True
            )
        return result

    def _scaled(self, func: str, other: Any) -> SharedTensor:
        """Multiplication by a public number or integer tensor (no crypto provider needed)."""
        self._check_usable(func)
        if getattr(other, "is_pointer", False) or isinstance(other, FixedPrecisionTensor):
            raise MixedSharedError(
                "Multiply a shared value by a Python number, or by a value shared the same way."
            )
        if isinstance(other, torch.Tensor):
            if other.is_floating_point():
                if self.precision is None:
                    raise MixedSharedError(
                        "A shared integer times a float tensor: share fixed-point values instead."
                    )
                self._need_two_holders("multiplication by a fraction")
                factor: Any = encode(other, self.base, self.precision)
                divisor = scale_of(self.base, self.precision)
            else:
                factor, divisor = other.to(torch.int64), 1
        elif isinstance(other, (bool, int)):
            factor, divisor = int(other), 1
        elif isinstance(other, float):
            if self.precision is None:
                if not other.is_integer():
                    raise MixedSharedError(
                        f"This shared value holds integers; multiplying by {other!r} would not be exact "
                        "(PySyft 0.2.9 silently gave 0). Encode first: x.fix_precision().share(...), or use "
                        "an integer."
                    )
                factor, divisor = int(other), 1
            elif other.is_integer():
                factor, divisor = int(other), 1
            else:
                self._need_two_holders("multiplication by a fraction")
                factor, divisor = (
                    encode_number(other, self.base, self.precision),
                    scale_of(self.base, self.precision),
                )
        else:
            raise MixedSharedError(f"Cannot multiply a shared value by {type(other).__name__}.")
        (result,) = self._run(
            func, "scale", [], (factor, divisor), [], [self.precision], "local", public=True
        )
        return result

    def _product(self, op: str, other: SharedTensor) -> SharedTensor:
        self._check_usable(op)
        self._partner(other, op)
        provider = self._provider_for(op, other)
        scale = 1
        if self.precision is not None:
            self._need_two_holders("a fixed-point product")
            scale = scale_of(self.base, self.precision)
        try:  # shapes are checked before anything is sent (on zero-stride tensors: no data to read)
            # (torch.broadcast_shapes would import sympy, a second's wait on the first product)
            getattr(torch, op)(_ZERO.expand(tuple(self.shape)), _ZERO.expand(tuple(other.shape)))
        except RuntimeError as exc:
            raise ValueError(
                f"{op} of shared values of shapes {tuple(self.shape)} and {tuple(other.shape)}: {exc}"
            ) from None
        plan = [("beaver", (op, tuple(self.shape), tuple(other.shape)))]
        (result,) = self._run(
            op, "beaver", [other], (op, scale), plan, [self.precision], "beaver", provider=provider
        )
        return result

    def _compare(self, op: str, other: Any) -> SharedTensor:
        self._check_usable(op)
        scale = 1 if self.precision is None else scale_of(self.base, self.precision)
        if type(other) is SharedTensor:
            self._partner(other, op)
            provider = self._provider_for(op, other)
            shape = tuple((_ZERO.expand(tuple(self.shape)) + _ZERO.expand(tuple(other.shape))).shape)
            others: list[SharedTensor] = [other]
            public: tuple = (op, scale, False)
            is_public = False
        else:
            provider = self._provider_for(op, None)
            constant = self._public_number(other, op)
            shape, others, public, is_public = tuple(self.shape), [], (constant, op, scale, True), True
        plan = [("comparison", (2, *shape) if op == "eq" else shape)]
        (result,) = self._run(op, "compare", others, public, plan, [self.precision], "comparison",
                              provider=provider, public=is_public)  # fmt: skip
        return result

    def _tournament(self, func: str, sign: int, dim: int | None, keepdim: bool) -> Any:
        self._check_usable(func)
        provider = self._provider_for(func, None)
        last: tuple[int, ...] = (self.numel(),)
        if dim is not None:
            moved = list(self.shape)
            dim = dim % len(moved) if moved else 0
            last = (*moved[:dim], *moved[dim + 1 :], moved[dim])
        if last[-1] == 0:
            raise ValueError(f"{func}() of an empty shared value")
        want = (
            "values"
            if func in ("max", "min") and dim is None
            else "indices"
            if func.startswith("arg")
            else "both"
        )
        outputs: list[int | None] = {  # type: ignore[assignment]
            "values": [self.precision],
            "indices": [None],
            "both": [self.precision, None],
        }[want]
        plan = _comparison.tournament_plan(last)
        results = self._run(
            func, "tournament", [], (dim, keepdim, sign, want), plan, outputs, "comparison", provider=provider
        )
        if want == "both":
            return MaxResult((results[0], results[1]))
        return results[0]

    def _reshape(self, name: str, args: tuple, kwargs: dict) -> SharedTensor:
        self._check_usable(name)
        if name not in _linear.RESHAPES:
            raise UnsupportedSharedOperationError(f"{name} is not supported on shared values.")
        (result,) = self._run(name, "apply", [], (name, args, kwargs), [], [self.precision], "local")
        return result

    def _provider_for(self, op: str, other: SharedTensor | None) -> Any:
        provider = (
            self.crypto_provider
            if self.crypto_provider is not None
            else getattr(other, "crypto_provider", None)
        )
        if provider is None:
            raise CryptoProviderError(
                f"{op} of shared values needs a crypto provider, a separate worker that deals the random "
                "material (Beaver triples, comparison masks) and never sees the inputs. Share with one: "
                "crypto_provider = sy.VirtualWorker(hook, id='crypto_provider'); "
                "x.share(bob, alice, crypto_provider=crypto_provider)."
            )
        return provider

    def _need_two_holders(self, what: str) -> None:
        if len(self.holders) != 2:
            raise UnsupportedSharedOperationError(
                f"{what} of a shared fixed-point value needs exactly two holders (the local truncation it "
                f"uses is only correct for two); this one has {len(self.holders)}: {list(self._holder_ids)}."
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
        per_value = [value._refs(self._holder_ids) for value in inputs]
        refs = [tuple(refs[i] for refs in per_value) for i in range(len(holders))]
        provider = provider if provider is not None else self.crypto_provider
        keeper = self.crypto_provider or provider
        if not plan and not WORLD.bus.active:  # a local operation nobody watches: the short way
            provider_id = None if provider is None else str(provider.id)
            secret_ids, stored = run_quietly(
                holders, self._holder_ids, provider_id, program, refs, public_args, outputs
            )
            return [
                SharedTensor.make(holders, tuple(i for i, _ in per_holder), keeper, outputs[j], secret_ids[j],
                                  per_holder[0][1], self.base, self._holder_ids)
                for j, per_holder in enumerate(stored)
            ]  # fmt: skip
        detail: dict[str, object] = {
            "func": func, "inputs": tuple(value.secret_id for value in inputs), "holders": self._holder_ids,
            "crypto_provider": "" if provider is None else str(provider.id), "protocol": protocol,
            "public": public,
        }  # fmt: skip
        stored = run_program(holders, provider, program, refs, public_args, plan, outputs, detail)
        secrets: Any = detail["secrets"]
        return [
            SharedTensor.make(
                holders,
                tuple(obj_id for obj_id, _ in per_holder),
                keeper,
                outputs[j],
                secrets[j],
                per_holder[0][1],
                self.base,
            )
            for j, per_holder in enumerate(stored)
        ]

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
                holder.delete_object(obj_id)
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


class MaxResult(tuple):
    """``x.max(dim=0)``: a pair (values, indices) of shared values, as ``torch.max`` returns.

    It works both ways the tutorials use it: ``values, indices = x.max(dim=0)`` unpacks it (the
    Bengali Part 9), and ``x.max(dim=0).get()`` brings back the values (the English Part 9); that
    ``.get()`` also forgets the indices' shares, which nobody can reach afterwards.
    """

    @property
    def values(self) -> SharedTensor:
        return self[0]

    @property
    def indices(self) -> SharedTensor:
        return self[1]

    def get(self) -> torch.Tensor:
        values = self.values.get()
        self.indices._release()
        return values

    def __repr__(self) -> str:
        return f"MaxResult(\nvalues={self.values!r},\nindices={self.indices!r})"


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


def _encoding(value: _SharedMethods) -> str:
    return "integer" if value.precision is None else f"fixed-point ({value.precision} digits)"


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
