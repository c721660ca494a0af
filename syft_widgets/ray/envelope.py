"""What a worker actor sends back: a reply or an error, the events it emitted and the deletes it left
for the driver to deliver (its cascade), all as data; or word that its node is gone.

Errors travel as (class name, text) and are rebuilt only as classes from a fixed list, so a peer can
make us raise a ``ValueError`` but never construct an object of its choosing.
"""

from __future__ import annotations

import builtins
from collections.abc import Hashable, Sequence
from typing import Any, NamedTuple

from .. import errors
from .. import messages as m
from ..events import Event
from . import codec

__all__ = ["Cascade", "NodeGone", "Reply", "failed", "gone", "ok", "open_reply", "open_request", "request"]

Cascade = tuple[tuple[Hashable, int], ...]
"""Deletes an actor's handling caused on other workers, as (worker id, object id): the driver sends
them, so no actor ever waits for another and every later read of a store sees them."""


class Reply(NamedTuple):
    value: Any
    events: tuple[Event, ...]
    error: BaseException | None
    cascade: Cascade


class NodeGone(Exception):
    """The actor answered that the Ray node under it died (its raylet is gone): it is offline."""


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


_MESSAGES = frozenset(m.MESSAGE_TYPES)  # every message type, from the one list in messages.py


def ok(value: Any, events: Sequence[Event] = (), cascade: Cascade = ()) -> bytes:
    return codec.encode(["ok", value, tuple(events), cascade])


def gone(why: str) -> bytes:
    """The answer of an actor whose node died: it must not take on any more work."""
    return codec.encode(["gone", why])


def failed(exc: BaseException, events: Sequence[Event], cascade: Cascade = ()) -> bytes:
    """Encode an exception by its nearest allowed class, its text, its notes and its lookup details."""
    name = next(
        (c.__name__ for c in type(exc).__mro__ if _ALLOWED_ERRORS.get(c.__name__) is c), "RuntimeError"
    )
    text = str(exc) if name == type(exc).__name__ else f"{type(exc).__name__}: {exc}"
    notes = tuple(str(n) for n in getattr(exc, "__notes__", ()))
    details = (getattr(exc, "obj_id", None), _plain_id(getattr(exc, "worker_id", None)))
    return codec.encode(["error", name, text, notes, details, tuple(events), cascade])


def _plain_id(value: object) -> object:
    return value if isinstance(value, (str, int)) else None


def open_reply(data: bytes) -> Reply:
    """The value, events, exception to raise (or None) and cascade of an actor's encoded reply.

    Raises NodeGone when the actor says its node died.
    """
    tree = codec.decode(data)
    if type(tree) is list and len(tree) == 4 and tree[0] == "ok":
        return Reply(tree[1], tuple(tree[2]), None, _cascade(tree[3]))
    if type(tree) is list and len(tree) == 7 and tree[0] == "error":
        _, name, text, notes, details, events, cascade = tree
        return Reply(None, tuple(events), _rebuild(str(name), str(text), notes, details), _cascade(cascade))
    if type(tree) is list and len(tree) == 2 and tree[0] == "gone":
        raise NodeGone(str(tree[1]))
    raise codec.CodecError("a worker actor sent a reply of an unknown shape")


def _cascade(tree: Any) -> Cascade:
    if type(tree) is tuple and all(
        type(pair) is tuple and len(pair) == 2 and isinstance(pair[0], (str, int)) and type(pair[1]) is int
        for pair in tree
    ):
        return tree
    raise codec.CodecError("a worker actor sent a cascade of an unknown shape")


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
