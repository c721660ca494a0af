"""What a worker actor sends back: a reply or an error, plus the events it emitted, all as data.

Errors travel as (class name, text) and are rebuilt only as classes from a fixed list, so a peer can
make us raise a ``ValueError`` but never construct an object of its choosing.
"""

from __future__ import annotations

import builtins
from collections.abc import Hashable, Sequence
from typing import Any

from .. import codec, errors
from .. import messages as m
from ..events import Event

__all__ = ["failed", "ok", "open_reply", "open_request", "request"]

_ALLOWED_ERRORS: dict[str, type[BaseException]] = {
    **{name: getattr(errors, name) for name in errors.__all__},
    "CodecError": codec.CodecError,
    **{
        name: getattr(builtins, name)
        for name in (
            "ValueError", "TypeError", "RuntimeError", "LookupError", "IndexError", "KeyError",
            "AttributeError", "ArithmeticError", "ZeroDivisionError", "OverflowError",
            "NotImplementedError", "AssertionError", "ConnectionError",
        )
    },
}  # fmt: skip


def request(sender: Hashable, listening: bool, deletes: tuple[int, ...], message: m.Message) -> bytes:
    """One argument for the actor: Ray serializes each argument separately, and each one costs."""
    return codec.encode(["req", sender, listening, deletes, message])


def open_request(data: bytes) -> tuple[Hashable, bool, tuple[int, ...], m.Message]:
    tree = codec.decode(data)
    if type(tree) is list and len(tree) == 5 and tree[0] == "req":
        _, sender, listening, deletes, message = tree
        if (
            isinstance(sender, (str, int))
            and type(listening) is bool
            and type(deletes) is tuple
            and all(type(d) is int for d in deletes)
            and type(message) in _MESSAGES
        ):
            return sender, listening, deletes, message
    raise codec.CodecError("a request of an unknown shape: expected (sender, listening, deletes, message)")


_MESSAGES = frozenset(
    {m.SendObject, m.RequestObject, m.DeleteObject, m.RunCommand, m.ForwardObject, m.RemoteGet,
     m.SetAttribute, m.QueryAttribute, m.ClearObjects}
)  # fmt: skip


def ok(value: Any, events: Sequence[Event]) -> bytes:
    return codec.encode(["ok", value, tuple(events)])


def failed(exc: BaseException, events: Sequence[Event]) -> bytes:
    """Encode an exception by its nearest allowed class, its text, its notes and its lookup details."""
    name = next(
        (c.__name__ for c in type(exc).__mro__ if _ALLOWED_ERRORS.get(c.__name__) is c), "RuntimeError"
    )
    text = str(exc) if name == type(exc).__name__ else f"{type(exc).__name__}: {exc}"
    notes = tuple(str(n) for n in getattr(exc, "__notes__", ()))
    details = (getattr(exc, "obj_id", None), _plain_id(getattr(exc, "worker_id", None)))
    return codec.encode(["error", name, text, notes, details, tuple(events)])


def _plain_id(value: object) -> object:
    return value if isinstance(value, (str, int)) else None


def open_reply(data: bytes) -> tuple[Any, tuple[Event, ...], BaseException | None]:
    """(value, events, exception to raise or None) from an actor's encoded reply."""
    tree = codec.decode(data)
    if type(tree) is list and len(tree) == 3 and tree[0] == "ok":
        return tree[1], tuple(tree[2]), None
    if type(tree) is list and len(tree) == 6 and tree[0] == "error":
        _, name, text, notes, details, events = tree
        return None, tuple(events), _rebuild(str(name), str(text), notes, details)
    raise codec.CodecError("a worker actor sent a reply of an unknown shape")


def _rebuild(name: str, text: str, notes: Any, details: Any) -> BaseException:
    cls = _ALLOWED_ERRORS.get(name, RuntimeError)
    # Built without calling __init__, whose signature differs between classes; the text is kept whole.
    exc = cls.__new__(cls)
    BaseException.__init__(exc, text)
    if isinstance(exc, KeyError):
        exc.args = (text,)
    obj_id, worker_id = details if isinstance(details, tuple) and len(details) == 2 else (None, None)
    if isinstance(exc, errors.ObjectNotFoundError):
        exc.obj_id = obj_id if isinstance(obj_id, int) else -1
        exc.worker_id = worker_id
    for note in notes if isinstance(notes, tuple) else ():
        exc.add_note(str(note))
    return exc
