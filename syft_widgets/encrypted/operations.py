"""What a shared value can do: arithmetic, comparisons, max, reshaping (the operations of Part 9).

Each method checks its operands here, before anything is sent (so an error leaves every store as it
was), works out what the holders must run and what the crypto provider must deal, and leaves the
running to ``SharedTensor._run`` (:mod:`.shared_tensor`): share by share for ``+ - sum view``
(:mod:`.linear`), with a Beaver triple for ``* mm`` (:mod:`.beaver`), with the comparison protocol
for ``> < == max`` (:mod:`.comparison`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import torch

from . import comparison as _comparison
from . import linear as _linear
from .errors import (
    CryptoProviderError,
    HoldersMismatchError,
    MixedSharedError,
    PrecisionMismatchError,
    SharedValueError,
    UnsupportedSharedOperationError,
)
from .fixed_precision import BASE, PRECISION, FixedPrecisionTensor, encode, encode_number, scale_of

if TYPE_CHECKING:
    from .shared_tensor import SharedTensor

__all__ = ["MaxResult", "RunProgram", "SharedOperations"]

_ZERO = torch.zeros((), dtype=torch.int64)


def _is_shared(value: object) -> bool:
    # Not isinstance: on a tensor it costs a metaclass check, and this runs for every operand.
    return getattr(type(value), "is_additively_shared", False)


class RunProgram(Protocol):
    """How an operation runs on the holders: ``SharedTensor._run`` (:mod:`.shared_tensor`).

    Runs ``program`` on every holder with this value's (and ``others``') shares, with
    ``public_args``, after the crypto provider dealt ``plan`` (empty for a local operation); returns
    one new shared value per entry of ``outputs`` (each entry its fixed-point precision). ``func``
    and ``protocol`` name the operation for diagrams; ``public``: a public number took part.
    """

    def __call__(
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
    ) -> list[SharedTensor]: ...


class SharedOperations:
    """The operations of a shared value (a base class of ``SharedTensor``).

    What they need of the value itself is declared here and provided by ``SharedTensor``: its
    fields, ``numel``, ``_check_usable`` (refuses a value already brought back with ``.get()``) and
    ``_run`` (a :class:`RunProgram`).
    """

    is_additively_shared = True  # (not is_shared: torch.Tensor has that, for shared memory)
    holders: tuple[Any, ...]
    crypto_provider: Any
    precision: int | None
    base: int
    shape: Any
    _holder_ids: tuple[str, ...]
    numel: Callable[[], int]
    _check_usable: Callable[[str], None]
    _run: RunProgram

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
        return self._linear("add", other, 1)

    __radd__ = __add__

    def __sub__(self, other: Any) -> SharedTensor:
        return self._linear("sub", other, -1)

    def __rsub__(self, other: Any) -> SharedTensor:
        constant = self._public_number(other, "-")
        (result,) = self._run("sub", "affine", [], (-1, constant), [], [self.precision], "local", public=True)
        return result

    def neg(self) -> SharedTensor:
        (result,) = self._run("neg", "affine", [], (-1, 0), [], [self.precision], "local")
        return result

    __neg__ = neg

    def mul(self, other: Any) -> SharedTensor:
        if _is_shared(other):
            return self._product("mul", other)
        return self._scaled("mul", other)

    def __mul__(self, other: Any) -> SharedTensor:
        return self.mul(other)

    __rmul__ = __mul__

    def matmul(self, other: Any) -> SharedTensor:
        if not _is_shared(other):
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
        if _is_shared(other):
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
        if _is_shared(other):
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
        if _is_shared(other):
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


def _encoding(value: SharedOperations) -> str:
    return "integer" if value.precision is None else f"fixed-point ({value.precision} digits)"
