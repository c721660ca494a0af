"""The data-only codec: every message type round-trips; pickles and unknown classes are refused."""

from __future__ import annotations

import io
import math
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from syft_widgets import events as ev
from syft_widgets import messages as m
from syft_widgets.ray import codec
from syft_widgets.snapshot import ObjectView

# --- strategies: the values a message can hold -------------------------------------------------
ids = st.integers(min_value=0, max_value=10**11 - 1)
worker_ids = st.one_of(st.text(min_size=1, max_size=12), st.integers(min_value=0, max_value=10**6))
names = st.text(min_size=1, max_size=20)
dtypes = st.sampled_from([torch.float32, torch.float64, torch.int64, torch.int32, torch.bool, torch.uint8])
shapes = st.lists(st.integers(min_value=0, max_value=4), max_size=3).map(tuple)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=10),
    st.binary(max_size=10),
    st.complex_numbers(allow_nan=False),
    st.just(Ellipsis),
    dtypes,
    shapes.map(torch.Size),
    st.builds(slice, st.none() | st.integers(), st.none() | st.integers()),
)


@st.composite
def tensors(draw: Any) -> torch.Tensor:
    dtype = draw(st.sampled_from([torch.float32, torch.float64, torch.int64, torch.bool]))
    shape = draw(shapes)
    t = (torch.rand(shape) * 10).to(dtype)
    if dtype.is_floating_point and draw(st.booleans()):
        t = torch.nn.Parameter(t) if draw(st.booleans()) else t.requires_grad_()
        if draw(st.booleans()):
            t.grad = torch.rand(shape, dtype=dtype)
    return t


metas = st.builds(m.TensorMeta, shapes, dtypes, st.booleans(), st.booleans())
refs = st.builds(m.ObjectRef, ids, st.none() | st.sampled_from(["grad", "data", "grad.data"]))
args = st.recursive(
    st.one_of(scalars, refs),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=5), inner, max_size=3),
    ),
    max_leaves=8,
)
descriptions = st.builds(m.PointerDescription, ids, worker_ids, ids, metas, st.none() | st.just("grad"))
views = st.builds(
    ObjectView,
    ids,
    st.sampled_from(["tensor", "parameter", "pointer"]),
    st.text(max_size=20),
    shapes,
    st.sampled_from(["float32", "int64"]),
    st.booleans(),
    st.none() | st.text(max_size=5),
    st.none() | ids,
    st.none() | st.just("grad"),
)
events = st.one_of(
    st.builds(ev.ObjectStored, st.text(max_size=8), views),
    st.builds(ev.ObjectRemoved, st.text(max_size=8), ids, st.sampled_from(["tensor", "pointer"]), names),
    st.builds(ev.ObjectChanged, st.text(max_size=8), views),
    st.builds(
        ev.MessageSent,
        st.text(max_size=8),
        st.text(max_size=8),
        names,
        names,
        st.tuples(ids),
        st.none() | st.just("tensor"),
        st.integers(min_value=0),
    ),
)
MESSAGE_STRATEGIES = {
    m.SendObject: st.builds(m.SendObject, ids, st.one_of(tensors(), descriptions)),
    m.RequestObject: st.builds(m.RequestObject, refs),
    m.DeleteObject: st.builds(m.DeleteObject, ids),
    m.RunCommand: st.builds(
        m.RunCommand,
        names,
        st.lists(args, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=5), args, max_size=2),
        ids,
        st.booleans(),
    ),
    m.ForwardObject: st.builds(m.ForwardObject, ids, worker_ids),
    m.RemoteGet: st.builds(m.RemoteGet, ids),
    m.SetAttribute: st.builds(m.SetAttribute, refs, names, st.one_of(refs, scalars)),
    m.QueryAttribute: st.builds(m.QueryAttribute, refs, names),
    m.ClearObjects: st.builds(m.ClearObjects),
    m.Stored: st.builds(m.Stored, ids, metas, st.booleans()),
    m.InPlace: st.builds(m.InPlace, refs, metas),
}


# --- equality that understands tensors and NaN -------------------------------------------------
def same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return (
            isinstance(b, torch.Tensor)
            and type(a) is type(b)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.requires_grad == b.requires_grad
            and torch.equal(a.detach(), b.detach())
            and (a.grad is None) == (b.grad is None)
            and (a.grad is None or torch.equal(a.grad, b.grad))
        )
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, slice):
        return same((a.start, a.stop, a.step), (b.start, b.stop, b.step))
    if hasattr(a, "__dataclass_fields__"):
        return all(same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    return bool(a == b)


@pytest.mark.parametrize("cls", list(MESSAGE_STRATEGIES), ids=lambda c: c.__name__)
def test_every_message_and_reply_type_round_trips(cls: type) -> None:
    @settings(max_examples=40, deadline=None)
    @given(MESSAGE_STRATEGIES[cls])
    def check(message: Any) -> None:
        back = codec.decode(codec.encode(message))
        assert type(back) is cls
        assert same(message, back)

    check()


@settings(max_examples=60, deadline=None)
@given(events)
def test_every_event_round_trips(event: Any) -> None:
    assert same(codec.decode(codec.encode(event)), event)


def test_every_message_class_has_a_strategy() -> None:
    covered = set(MESSAGE_STRATEGIES) | {ObjectView, m.ObjectRef, m.TensorMeta, m.PointerDescription}
    covered |= {ev.ObjectStored, ev.ObjectRemoved, ev.ObjectChanged, ev.MessageSent}
    assert set(codec.DATA_CLASSES.values()) == covered


@pytest.mark.parametrize(
    ("value", "fmt"),
    [(m.DeleteObject(3), b"J"), (m.SendObject(3, torch.ones(2)), b"T"), (b"raw", b"T")],
    ids=["small command as JSON", "tensor via torch.save", "bytes via torch.save"],
)
def test_format_is_json_without_tensors_and_torch_save_with_them(value: Any, fmt: bytes) -> None:
    assert codec.encode(value)[:1] == fmt


def test_a_view_travels_as_its_values_only() -> None:
    base = torch.arange(1000)
    data = codec.encode(m.SendObject(1, base[:2]))
    assert len(data) < len(codec.encode(m.SendObject(1, base))) / 4
    assert torch.equal(codec.decode(data).payload, torch.tensor([0, 1]))


class Explode:
    """Unpickling this would create a directory: the codec must never do it."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> Any:
        return (os.mkdir, (self.path,))


def _torch_saved(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "make",
    [
        lambda p: pickle.dumps(Explode(p)),
        lambda p: b"T" + pickle.dumps(Explode(p)),
        lambda p: b"T" + _torch_saved([Explode(p)]),
        lambda p: b"T" + _torch_saved({"payload": Explode(p)}),
        lambda p: b"J" + pickle.dumps(Explode(p)),
    ],
    ids=[
        "plain pickle",
        "pickle behind the torch byte",
        "torch.save of a reducer",
        "reducer in a dict",
        "pickle behind the json byte",
    ],
)
def test_a_crafted_pickle_is_refused_and_never_run(tmp_path: Path, make: Any) -> None:
    target = tmp_path / "pwned"
    with pytest.raises(codec.CodecError):
        codec.decode(make(str(target)))
    assert not target.exists()


@pytest.mark.parametrize(
    "payload",
    [
        b'J["@","Popen","ls"]',
        b'J["@","SendObject",1]',
        b'J["x",1]',
        b"J[1,2]",
        b'J["dt","Tensor"]',
        b'J["dt","__class__"]',
        b"J{}",
        b"",
        b"Xabc",
        b"T" + _torch_saved(torch.ones(2)),
        b"T" + _torch_saved(["T", torch.ones(2, dtype=torch.int64), True, False, None]),
    ],
    ids=[
        "unknown class",
        "wrong field count",
        "unknown tag",
        "untagged list",
        "not a dtype",
        "dunder name",
        "json object",
        "empty",
        "unknown format",
        "bare tensor",
        "int tensor asking for grad",
    ],
)
def test_malformed_payloads_are_refused_with_codec_error(payload: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.decode(payload)


@pytest.mark.parametrize(
    "value", [object(), lambda: 1, {1, 2}, Explode("x")], ids=["object", "lambda", "set", "reducer"]
)
def test_encoding_anything_but_data_fails_clearly(value: Any) -> None:
    with pytest.raises(codec.CodecError, match="cannot encode"):
        codec.encode(value)
