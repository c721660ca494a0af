"""Fixed-point numbers in the 64-bit ring: ``t.fix_precision()`` and ``.float_precision()``.

A float v is encoded as the integer trunc(v · base^precision), PySyft 0.2's rule (base 10, 3
fractional digits, truncation toward zero): 0.0019 → 1, -1.25 → -1250, 3 → 3000. Sums of encodings
are exact; a product carries the scale twice and is divided by it once (see :mod:`.beaver`).
"""

from __future__ import annotations

from typing import Any

import torch

from .errors import FixedPrecisionOverflowError, PrecisionMismatchError

__all__ = ["BASE", "PRECISION", "FixedPrecisionTensor", "decode", "encode", "encode_number", "scale_of"]

BASE = 10
PRECISION = 3
# Encodings must stay well inside int64 so that sums and products of a few of them do not wrap
# around unnoticed; beyond this, encoding refuses (PySyft 0.2.9 wrapped silently).
_LIMIT = 2.0**62
_DEFAULT_SCALE = BASE**PRECISION


def scale_of(base: int, precision: int) -> int:
    """The factor between a number and its encoding: ``scale_of(10, 3) == 1000``."""
    return _DEFAULT_SCALE if base == BASE and precision == PRECISION else int(base) ** int(precision)


# A scale as a 0-d tensor, per (scale, dtype). torch wraps a Python number in a new tensor on every
# operation; a ready 0-d tensor of the other operand's dtype gives the same result (same dtype
# rules, the same arithmetic) in about half the time. Where the scale is not exact in that dtype,
# the entry is the number itself.
_SCALES: dict[tuple[int, torch.dtype], torch.Tensor | int] = {}


def _scale_tensor(scale: int, dtype: torch.dtype) -> torch.Tensor | int:
    """``scale`` as a 0-d CPU tensor of ``dtype`` (made once), or the number itself if not exact there."""
    found = _SCALES.get((scale, dtype))
    if found is None:
        ready = torch.tensor(float(scale), dtype=dtype, device="cpu")
        found = _SCALES[(scale, dtype)] = ready if float(ready) == scale else scale
    return found


def encode(t: torch.Tensor, base: int = BASE, precision: int = PRECISION) -> torch.Tensor:
    """The int64 encoding of ``t`` (truncated toward zero).

    >>> encode(torch.tensor([0.5, -1.25, 0.0019, -0.0019]))
    tensor([  500, -1250,     1,    -1])
    """
    data = t.detach() if t.requires_grad else t
    if data.dtype == torch.bool:
        data = data.long()
    scale = scale_of(base, precision)
    largest = 0.0
    if data.numel():  # the extremes of the input, in one pass (NaN and inf fail the test below)
        low, high = torch.aminmax(data)
        low_value, high_value = float(low), float(high)
        nan = low_value != low_value or high_value != high_value
        largest = float("nan") if nan else max(-low_value, high_value) * scale
    if not largest < _LIMIT:
        too_big = ~(data.double().abs() * scale < _LIMIT)
        worst = data[too_big].reshape(-1)[0].item()
        if worst != worst or worst in (float("inf"), float("-inf")):
            raise FixedPrecisionOverflowError(f"{worst!r} has no fixed-point encoding; finite numbers only.")
        raise FixedPrecisionOverflowError(
            f"{worst!r} is too large for fix_precision(base={base}, precision_fractional={precision}): "
            f"its encoding must stay below 2**62 in absolute value (so |value| < {_LIMIT / scale:.3g}). "
            "Scale the data down first, or use fewer fractional digits: "
            "x.fix_precision(precision_fractional=2)."
        )
    if data.is_floating_point():
        return (data * _scale_tensor(scale, data.dtype)).long()
    return data.long() * scale


def encode_number(value: float, base: int = BASE, precision: int = PRECISION) -> int:
    """One Python number's encoding (for public constants such as ``x + 0.5``)."""
    return int(encode(torch.tensor([value], dtype=torch.float64), base, precision).item())


def decode(encoded: torch.Tensor, base: int = BASE, precision: int = PRECISION) -> torch.Tensor:
    """Floats (float32) from an encoding, as PySyft's ``float_precision()``.

    >>> decode(torch.tensor([500, -1250]))
    tensor([ 0.5000, -1.2500])
    """
    plain = encoded.encoded if type(encoded) is FixedPrecisionTensor else encoded
    # int64 / a scale of the default float dtype: floats of that dtype (as int64 / int), in one pass
    floats = plain / _scale_tensor(scale_of(base, precision), torch.get_default_dtype())
    return floats if floats.dtype == torch.float32 else floats.to(torch.float32)


# torch functions after which a fixed-point tensor is still the same encoding (moved, not computed)
_KEEPS_ENCODING = frozenset(
    {
        torch.Tensor.clone, torch.Tensor.detach, torch.Tensor.__getitem__, torch.Tensor.view,
        torch.Tensor.reshape, torch.Tensor.t, torch.Tensor.flatten, torch.Tensor.squeeze,
        torch.Tensor.unsqueeze, torch.Tensor.sum, torch.Tensor.neg, torch.Tensor.__neg__,
        torch.clone, torch.reshape, torch.t, torch.sum, torch.neg,
    }
)  # fmt: skip
_ADDS = frozenset({torch.Tensor.add, torch.Tensor.__add__, torch.Tensor.__radd__, torch.add})
_SUBS = frozenset({torch.Tensor.sub, torch.Tensor.__sub__, torch.sub})


class FixedPrecisionTensor(torch.Tensor):
    """A tensor of fixed-point encodings (int64), printed as PySyft printed it.

    ``base`` and ``precision_fractional`` say how it was encoded. ``.float_precision()`` decodes.
    Sums and differences of two encodings stay encodings; anything else gives plain int64 tensors.
    """

    base: int = BASE
    precision_fractional: int = PRECISION
    encoded: torch.Tensor  # the encodings as a plain int64 tensor

    @staticmethod
    def of(encoded: torch.Tensor, base: int = BASE, precision: int = PRECISION) -> FixedPrecisionTensor:
        plain = encoded.as_subclass(torch.Tensor) if type(encoded) is not torch.Tensor else encoded
        fpt: Any = plain.as_subclass(FixedPrecisionTensor)
        # Instance attributes: snapshot.view_of finds precision_fractional in the instance dict.
        # ``encoded`` is the same numbers as a plain tensor (as_subclass would cost a dispatch).
        fpt.__dict__.update(base=int(base), precision_fractional=int(precision), encoded=plain)
        return fpt

    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        first = next(a for a in args if isinstance(a, FixedPrecisionTensor))
        base, precision = first.base, first.precision_fractional
        if func in _ADDS or func in _SUBS:
            _check_same_encoding(args)
        with torch._C.DisableTorchFunctionSubclass():
            result = func(*args, **(kwargs or {}))
        if func in _KEEPS_ENCODING or func in _ADDS or func in _SUBS:
            return FixedPrecisionTensor.of(result, base, precision)
        return result

    def float_precision(self) -> torch.Tensor:
        """The floats this encodes (float32)."""
        return decode(self, self.base, self.precision_fractional)

    float_prec = float_precision

    def __repr__(self, *, tensor_contents: Any = None) -> str:  # type: ignore[override]
        return "(Wrapper)>FixedPrecisionTensor>" + repr(self.as_subclass(torch.Tensor))

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (
            FixedPrecisionTensor.of,
            (self.as_subclass(torch.Tensor), self.base, self.precision_fractional),
        )


def _check_same_encoding(args: tuple) -> None:

    encodings = {(a.base, a.precision_fractional) for a in args if isinstance(a, FixedPrecisionTensor)}
    plain = [a for a in args if isinstance(a, torch.Tensor) and not isinstance(a, FixedPrecisionTensor)]
    if len(encodings) > 1 or plain or any(isinstance(a, float) for a in args):
        raise PrecisionMismatchError(
            "Adding a fixed-point tensor to a plain number or tensor, or to another encoding, would mix "
            "scales. Encode both the same way first: y.fix_precision()."
        )
