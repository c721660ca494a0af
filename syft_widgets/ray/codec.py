"""The Ray backend's wire format: messages to bytes and back, accepting only data.

Never code, never an arbitrary pickle from a peer. ``envelope.py`` puts every request and reply
between the driver and a worker actor in this format.

A value is turned into a tree of primitives (None, bool, int, float, str, bytes), tensors and lists
whose first item is a type tag. A tree without tensors or bytes travels as JSON, which is fast for
the many small commands; any other tree travels as ``torch.save`` output and is read back with
``torch.load(weights_only=True)``, which refuses every global outside torch's small safe list.
Dataclasses are rebuilt only from the fixed table below, by field position.

>>> import torch
>>> from syft_widgets.messages import ObjectRef
>>> encode(ObjectRef(7, "grad"))[:1]  # no tensor inside: JSON
b'J'
>>> decode(encode(ObjectRef(7, "grad")))
ObjectRef(obj_id=7, attr='grad')
>>> decode(encode(torch.tensor([1.0, 2.0])))
tensor([1., 2.])
"""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import warnings
from typing import Any

import torch

from .. import events as ev
from .. import messages as m
from ..errors import SyftWidgetsError
from ..snapshot import ObjectView

__all__ = ["DATA_CLASSES", "CodecError", "decode", "encode"]

_JSON = b"J"
_TORCH = b"T"

DATA_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        *m.MESSAGE_TYPES,  # every message, from the one list in messages.py
        m.ObjectRef, m.TensorMeta, m.PointerDescription, m.Stored, m.InPlace, ObjectView,
        ev.ObjectStored, ev.ObjectRemoved, ev.ObjectChanged, ev.MessageSent,
    )
}  # fmt: skip
"""Every class a peer may ask us to build: messages, replies, object views and events."""

_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in DATA_CLASSES.items()}
_SCALARS = (type(None), bool, int, float, str)
_TORCH_ENUMS = {"dt": torch.dtype, "mf": torch.memory_format, "ly": torch.layout}


# One encoder and decoder for every message: json.dumps with options builds a new encoder per call,
# which costs more than encoding a small command. A tree is built fresh here, so it has no cycles.
_json_text = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
_json_scan = json.JSONDecoder().raw_decode  # decode() also scans for whitespace, which we never write


def _json_tree(text: str) -> Any:
    tree, end = _json_scan(text)
    if end != len(text):
        raise CodecError("trailing bytes after a message")
    return tree


class CodecError(SyftWidgetsError, ValueError):
    """Bytes that are not a message this library wrote: refused, never executed."""


# --- encoding ----------------------------------------------------------------------------------
def encode(value: Any) -> bytes:
    """Bytes for a message, reply or event tree; raises CodecError for anything that is not data."""
    flags = [False]  # set when the tree needs torch.save (tensors or bytes)
    tree = _tree(value, flags)
    if not flags[0]:
        return _JSON + _json_text(tree).encode()
    buffer = io.BytesIO()
    torch.save(tree, buffer)
    return _TORCH + buffer.getvalue()


def _tree(v: Any, flags: list[bool]) -> Any:
    kind = type(v)
    if kind in _SCALARS:
        return v
    encoder = _ENCODERS.get(kind)
    if encoder is not None:
        return encoder(v, flags)
    if isinstance(v, torch.Tensor):
        flags[0] = True
        return _tensor_tree(v, flags)
    if v is Ellipsis:
        return ["E"]
    raise CodecError(
        f"cannot encode a {kind.__name__}: only messages, tensors and plain values (numbers, strings, "
        "shapes, dtypes, slices, tuples, lists, dicts) can travel between workers"
    )


def _dataclass_encoder(name: str) -> Any:
    fields = _FIELDS[name]

    def encode_fields(v: Any, flags: list[bool]) -> list:
        out: list[Any] = ["@", name]
        for f in fields:
            x = getattr(v, f)
            out.append(x if type(x) in _SCALARS else _tree(x, flags))
        return out

    return encode_fields


def _bytes(v: bytes, flags: list[bool]) -> list:
    # As a uint8 tensor: torch's safe loader refuses the global that plain pickles use for bytes.
    flags[0] = True
    return [
        "b",
        torch.frombuffer(bytearray(v), dtype=torch.uint8) if v else torch.empty(0, dtype=torch.uint8),
    ]


# One function per type, looked up by exact type: the encoder runs for every message, so it avoids
# a chain of isinstance checks.
_ENCODERS: dict[type, Any] = {
    tuple: lambda v, f: ["t", *[x if type(x) in _SCALARS else _tree(x, f) for x in v]],
    list: lambda v, f: ["l", *[_tree(x, f) for x in v]],
    dict: lambda v, f: ["d", *[[_tree(k, f), _tree(x, f)] for k, x in v.items()]],
    bytes: _bytes,
    torch.dtype: lambda v, f: ["dt", str(v).removeprefix("torch.")],
    torch.Size: lambda v, f: ["Sz", *[int(d) for d in v]],
    torch.device: lambda v, f: ["dv", str(v)],
    torch.memory_format: lambda v, f: ["mf", str(v).removeprefix("torch.")],
    torch.layout: lambda v, f: ["ly", str(v).removeprefix("torch.")],
    complex: lambda v, f: ["c", v.real, v.imag],
    slice: lambda v, f: ["s", _tree(v.start, f), _tree(v.stop, f), _tree(v.step, f)],
    **{cls: _dataclass_encoder(name) for name, cls in DATA_CLASSES.items()},
}


def _tensor_tree(t: torch.Tensor, flags: list[bool]) -> list:
    if getattr(t, "is_pointer", False):
        raise CodecError("a pointer tensor cannot be encoded; send its description (describe()) instead")
    data = t.detach()
    # torch.save writes a view's whole storage; a compact copy sends only the values.
    if data.untyped_storage().nbytes() != data.numel() * data.element_size() or not data.is_contiguous():
        data = data.clone()
    grad = t.grad if t.is_leaf else None
    return [
        "T",
        data,
        bool(t.requires_grad),
        issubclass(type(t), torch.nn.Parameter),
        None if grad is None else _tensor_tree(grad, flags),
    ]


# --- decoding ----------------------------------------------------------------------------------
def decode(data: bytes) -> Any:
    """The value ``encode`` made; raises CodecError for anything else (never runs code from it)."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) < 1:
        raise CodecError(f"expected encoded bytes, got {type(data).__name__}")
    head, body = bytes(data[:1]), data[1:]
    try:
        if head == _JSON:
            tree = _json_tree(bytes(body).decode())
        elif head == _TORCH:
            with warnings.catch_warnings():  # torch warns about odd pickles before refusing them
                warnings.simplefilter("ignore")
                tree = torch.load(io.BytesIO(body), weights_only=True)
        else:
            raise CodecError(
                f"unknown format byte {head!r}: this is not a syft_widgets message (plain pickles are "
                "refused on purpose)"
            )
        return _value(tree)
    except CodecError:
        raise
    except (pickle.UnpicklingError, ValueError, RuntimeError, EOFError, TypeError, AttributeError,
            IndexError, KeyError, RecursionError) as exc:  # fmt: skip
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CodecError(f"refused a payload that is not plain data: {first}") from None


def _value(node: Any) -> Any:
    kind = type(node)
    if kind in _SCALARS:
        return node
    if kind is not list or not node:
        raise CodecError(f"malformed node of type {kind.__name__}")
    decoder = _DECODERS.get(node[0]) if type(node[0]) is str else None
    if decoder is None:
        raise CodecError(f"malformed or unknown tag {node[0]!r}")
    return decoder(node)


def _enum(node: list) -> Any:
    tag, rest = node[0], node[1:]
    if len(rest) == 1 and type(rest[0]) is str:
        found = getattr(torch, rest[0], None)
        if isinstance(found, _TORCH_ENUMS[tag]):
            return found
    raise CodecError(f"{rest!r} is not a torch {_TORCH_ENUMS[tag].__name__}")


def _checked(ok: Any, build: Any) -> Any:
    def decode_node(node: list) -> Any:
        rest = node[1:]
        if not ok(rest):
            raise CodecError(f"malformed {node[0]!r} node")
        return build(rest)

    return decode_node


_DECODERS: dict[str, Any] = {
    "t": lambda n: tuple([x if type(x) in _SCALARS else _value(x) for x in n[1:]]),
    "l": lambda n: [x if type(x) in _SCALARS else _value(x) for x in n[1:]],
    "d": lambda n: {_value(_pair(p)[0]): _value(p[1]) for p in n[1:]},
    "@": lambda n: _dataclass(n[1:]),
    "T": lambda n: _tensor(n[1:]),
    "b": _checked(
        lambda r: (
            len(r) == 1 and type(r[0]) is torch.Tensor and r[0].dtype == torch.uint8 and r[0].dim() == 1
        ),
        lambda r: r[0].numpy().tobytes(),
    ),
    "dt": _enum,
    "mf": _enum,
    "ly": _enum,
    "Sz": _checked(lambda r: all(type(d) is int for d in r), torch.Size),
    "dv": _checked(lambda r: len(r) == 1 and type(r[0]) is str, lambda r: torch.device(r[0])),
    "c": _checked(lambda r: len(r) == 2 and all(type(x) in (int, float) for x in r), lambda r: complex(*r)),
    "s": _checked(lambda r: len(r) == 3, lambda r: slice(*(_value(x) for x in r))),
    "E": _checked(lambda r: not r, lambda r: Ellipsis),
}


def _pair(p: Any) -> list:
    if type(p) is not list or len(p) != 2:
        raise CodecError("malformed dict entry")
    return p


def _dataclass(rest: list) -> Any:
    if not rest or type(rest[0]) is not str or rest[0] not in DATA_CLASSES:
        raise CodecError(f"refused to build {rest[0] if rest else None!r}: not a known message class")
    name, fields = rest[0], rest[1:]
    if len(fields) != len(_FIELDS[name]):
        raise CodecError(f"{name} needs {len(_FIELDS[name])} fields, got {len(fields)}")
    return DATA_CLASSES[name](*[f if type(f) in _SCALARS else _value(f) for f in fields])


def _tensor(rest: list) -> torch.Tensor:
    if len(rest) != 4 or type(rest[0]) is not torch.Tensor or type(rest[1]) is not bool:
        raise CodecError("malformed tensor node")
    data, requires_grad, is_parameter, grad = rest
    t: torch.Tensor = (
        torch.nn.Parameter(data, requires_grad=requires_grad)
        if is_parameter is True
        else (data.requires_grad_() if requires_grad else data)
    )
    if grad is not None:
        t.grad = _tensor(grad[1:]) if type(grad) is list and grad[:1] == ["T"] else _bad_grad()
    return t


def _bad_grad() -> torch.Tensor:
    raise CodecError("malformed gradient node")
