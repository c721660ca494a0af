"""Messages to bytes and back, accepting only data: never code, never arbitrary pickles from a peer.

A value is turned into a tree of primitives (None, bool, int, float, str, bytes), tensors and lists
whose first item is a type tag. A tree without tensors or bytes travels as JSON, which is fast for
the many small commands; any other tree travels as ``torch.save`` output and is read back with
``torch.load(weights_only=True)``, which refuses every global outside torch's small safe list.
Dataclasses are rebuilt only from the fixed table below, by field position.

>>> decode(encode(ObjectRef(7, "grad")))
ObjectRef(obj_id=7, attr='grad')
"""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
from typing import Any

import torch

from . import events as ev
from . import messages as m
from .errors import SyftWidgetsError
from .snapshot import ObjectView

__all__ = ["CodecError", "encode", "decode", "DATA_CLASSES"]

_JSON = b"J"
_TORCH = b"T"

DATA_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        m.ObjectRef, m.TensorMeta, m.PointerDescription, m.SendObject, m.RequestObject,
        m.DeleteObject, m.RunCommand, m.ForwardObject, m.RemoteGet, m.SetAttribute,
        m.QueryAttribute, m.ClearObjects, m.Stored, m.InPlace, ObjectView,
        ev.ObjectStored, ev.ObjectRemoved, ev.ObjectChanged, ev.MessageSent,
    )
}  # fmt: skip
"""Every class a peer may ask us to build: messages, replies, object views and events."""

_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in DATA_CLASSES.items()}
_SCALARS = (type(None), bool, int, float, str)
_TORCH_ENUMS = {"dt": torch.dtype, "mf": torch.memory_format, "ly": torch.layout}


class CodecError(SyftWidgetsError, ValueError):
    """Bytes that are not a message this library wrote: refused, never executed."""


# --- encoding ----------------------------------------------------------------------------------
def encode(value: Any) -> bytes:
    """Bytes for a message, reply or event tree; raises CodecError for anything that is not data."""
    flags = [False]  # set when the tree needs torch.save (tensors or bytes)
    tree = _tree(value, flags)
    if not flags[0]:
        return _JSON + json.dumps(tree, separators=(",", ":")).encode()
    buffer = io.BytesIO()
    torch.save(tree, buffer)
    return _TORCH + buffer.getvalue()


def _tree(v: Any, flags: list[bool]) -> Any:
    kind = type(v)
    if kind in _SCALARS:
        return v
    if kind is tuple:
        return ["t", *[_tree(x, flags) for x in v]]
    if kind is list:
        return ["l", *[_tree(x, flags) for x in v]]
    if kind is dict:
        return ["d", *[[_tree(k, flags), _tree(x, flags)] for k, x in v.items()]]
    name = kind.__name__
    if DATA_CLASSES.get(name) is kind:
        return ["@", name, *[_tree(getattr(v, f), flags) for f in _FIELDS[name]]]
    if isinstance(v, torch.Tensor):
        flags[0] = True
        return _tensor_tree(v, flags)
    if kind is bytes:
        flags[0] = True
        return ["b", v]
    if kind is torch.dtype:
        return ["dt", str(v).removeprefix("torch.")]
    if kind is torch.Size:
        return ["Sz", *[int(d) for d in v]]
    if kind is torch.device:
        return ["dv", str(v)]
    if kind is torch.memory_format:
        return ["mf", str(v).removeprefix("torch.")]
    if kind is torch.layout:
        return ["ly", str(v).removeprefix("torch.")]
    if kind is complex:
        return ["c", v.real, v.imag]
    if kind is slice:
        return ["s", _tree(v.start, flags), _tree(v.stop, flags), _tree(v.step, flags)]
    if v is Ellipsis:
        return ["E"]
    raise CodecError(
        f"cannot encode a {kind.__name__}: only messages, tensors and plain values (numbers, strings, "
        "shapes, dtypes, slices, tuples, lists, dicts) can travel between workers"
    )


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
            tree = json.loads(bytes(body))
        elif head == _TORCH:
            tree = torch.load(io.BytesIO(body), weights_only=True)
        else:
            raise CodecError(
                f"unknown format byte {head!r}: this is not a syft_widgets message (plain pickles are "
                "refused on purpose)"
            )
    except CodecError:
        raise
    except (pickle.UnpicklingError, ValueError, RuntimeError, EOFError, TypeError, AttributeError) as exc:
        raise CodecError(f"refused a payload that is not plain data: {exc}") from None
    return _value(tree)


def _value(node: Any) -> Any:
    kind = type(node)
    if kind in _SCALARS or kind is torch.Tensor:
        if kind is torch.Tensor:
            raise CodecError("a bare tensor outside its tag")
        return node
    if kind is not list or not node or type(node[0]) is not str:
        raise CodecError(f"malformed node of type {kind.__name__}")
    tag, rest = node[0], node[1:]
    if tag == "t":
        return tuple(_value(x) for x in rest)
    if tag == "l":
        return [_value(x) for x in rest]
    if tag == "d":
        return {_value(_pair(p)[0]): _value(p[1]) for p in rest}
    if tag == "@":
        return _dataclass(rest)
    if tag == "T":
        return _tensor(rest)
    if tag == "b" and len(rest) == 1 and type(rest[0]) is bytes:
        return rest[0]
    if tag in _TORCH_ENUMS and len(rest) == 1 and type(rest[0]) is str:
        found = getattr(torch, rest[0], None)
        if isinstance(found, _TORCH_ENUMS[tag]):
            return found
        raise CodecError(f"{rest[0]!r} is not a torch {_TORCH_ENUMS[tag].__name__}")
    if tag == "Sz" and all(type(d) is int for d in rest):
        return torch.Size(rest)
    if tag == "dv" and len(rest) == 1 and type(rest[0]) is str:
        return torch.device(rest[0])
    if tag == "c" and len(rest) == 2 and all(type(x) in (int, float) for x in rest):
        return complex(rest[0], rest[1])
    if tag == "s" and len(rest) == 3:
        return slice(*(_value(x) for x in rest))
    if tag == "E" and not rest:
        return Ellipsis
    raise CodecError(f"malformed or unknown tag {tag!r}")


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
    return DATA_CLASSES[name](*(_value(f) for f in fields))


def _tensor(rest: list) -> torch.Tensor:
    if len(rest) != 4 or type(rest[0]) is not torch.Tensor or type(rest[1]) is not bool:
        raise CodecError("malformed tensor node")
    data, requires_grad, is_parameter, grad = rest
    t: torch.Tensor = torch.nn.Parameter(data, requires_grad=requires_grad) if is_parameter is True else (
        data.requires_grad_() if requires_grad else data
    )
    if grad is not None:
        t.grad = _tensor(grad[1:]) if type(grad) is list and grad[:1] == ["T"] else _bad_grad()
    return t


def _bad_grad() -> torch.Tensor:
    raise CodecError("malformed gradient node")
