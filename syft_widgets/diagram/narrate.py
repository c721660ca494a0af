"""One sentence per step, in English or Bengali: what the learner's last line of code made happen."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from babel.lists import format_list

from ..events import MessageSent, ObjectRemoved, ObjectStored, Step
from .labels import module_text
from .operations import operation_word
from .shares import fixed_point_text, short_share_value
from .words import N_, format_number, plural_translator, translator

__all__ = ["narrate"]

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]

# Step names, for the sentence of a step that changed nothing this view shows.
_OP_WORDS = {
    "send": N_("send"),
    "get": N_("get"),
    "move": N_("move"),
    "command": N_("command"),
    "remote_get": N_("remote get"),
    "send_module": N_("send a model"),
    "get_module": N_("get a model"),
    "move_module": N_("move a model"),
    "clear": N_("clear objects"),
    "worker": N_("new worker"),
    "module_call": N_("run a model"),
    "optimizer_step": N_("optimizer step"),
    "zero_grad": N_("clear gradients"),
    "gc": N_("garbage collection"),
    "share": N_("share"),
    "reconstruct": N_("reconstruct"),
    "shared_op": N_("compute on shares"),
}
# Why a step failed, by events.ErrorKind; the exception's own English text follows.
_ERROR_WORDS = {
    "shape": N_("the shapes do not fit"),
    "index": N_("the index is out of range"),
    "missing": N_("the object is not there"),
    "type": N_("the types do not fit"),
    "interrupted": N_("it was interrupted"),
    "unfinished": N_("it stopped before it finished"),
    "other": N_("it raised an error"),
}
_KIND_WORDS = {"tensor": N_("tensor"), "parameter": N_("parameter"), "pointer": N_("pointer")}


class _Words:
    """The catalog of one language, with the phrases every sentence is made of."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._ = translator(lang)
        self.ngettext: Ngettext = plural_translator(lang)

    def number(self, value: int) -> str:
        """A count in the view's digits (Bengali digits in bn); object ids never come here."""
        return format_number(value, self.lang)

    def operation(self, name: str) -> str:
        return operation_word(name, self._)

    def layer(self, label: str) -> str:
        """A model call's ``Linear(2 → 1)``, its sizes in the view's digits."""
        return module_text(label, self.lang)

    def thing(self, kind: str | None, obj_id: int | None) -> str:
        _ = self._
        word = _(_KIND_WORDS[kind]) if kind in _KIND_WORDS else _("object")
        if obj_id is None:
            return word
        return _("{kind} #{id}").format(kind=word, id=obj_id)

    def module(self, class_name: str, count: int) -> str:
        text = self.ngettext("{module} ({count} parameter)", "{module} ({count} parameters)", count)
        return text.format(module=class_name, count=self.number(count))

    def message(self, m: MessageSent, what: str | None = None) -> str:
        _ = self._
        what = what or self.thing(m.kind, m.obj_ids[0] if m.obj_ids else None)
        if m.message == "send object":
            return _("{sender} sent {what} to {receiver}").format(
                sender=m.sender, what=what, receiver=m.receiver
            )
        if m.message == "request object":
            return _("{worker} fetched {what} from {owner}").format(
                worker=m.sender, what=what, owner=m.receiver
            )
        if m.message == "delete object":
            return _("{sender} asked {receiver} to delete {what}").format(
                sender=m.sender, receiver=m.receiver, what=what
            )
        return _("{sender} asked {receiver} to run {op}").format(
            sender=m.sender, receiver=m.receiver, op=self.operation(m.op)
        )

    def stored(self, e: ObjectStored) -> str:
        return self._("{worker} stored {what}").format(worker=e.worker, what=self.thing(e.obj.kind, e.obj.id))

    def deleted(self, e: ObjectRemoved) -> str:
        return self._("{worker} deleted {what}").format(worker=e.worker, what=self.thing(e.kind, e.obj_id))

    def workers(self, names: Sequence[object]) -> str:
        """``bob and alice`` (``bob এবং alice``): a list of workers as the language writes it."""
        return format_list([str(n) for n in names], locale=self.lang) if names else "?"


def _sentence(first: Iterable[str], then: Iterable[str] = ()) -> str:
    # "me asked alice to run __add__, alice asked bob to run __add__; bob stored tensor #15"
    parts = [", ".join(first), ", ".join(then)]
    return "; ".join(p for p in parts if p)


def _messages(step: Step, *kinds: str) -> list[MessageSent]:
    return [e for e in step.events if isinstance(e, MessageSent) and (not kinds or e.message in kinds)]


def _of(step: Step, cls: type) -> list:
    return [e for e in step.events if isinstance(e, cls)]


def _thing_of(step: Step, words: _Words, m: MessageSent) -> str | None:
    # The removal or store event knows the kind best (a message may carry kind=None).
    for e in step.events:
        if isinstance(e, ObjectRemoved) and m.obj_ids and e.obj_id == m.obj_ids[0]:
            return words.thing(e.kind, e.obj_id)
        if isinstance(e, ObjectStored) and m.obj_ids and e.obj.id == m.obj_ids[0]:
            return words.thing(e.obj.kind, e.obj.id)
    return None


def _send(step: Step, w: _Words) -> str:
    sends = _messages(step, "send object")
    if sends:
        return _sentence(w.message(m, _thing_of(step, w, m)) for m in sends)
    return _get(step, w)  # move to the local worker is a get


def _move(step: Step, w: _Words) -> str:
    # The learner asked for a move, so say that first: "me moved tensor #5 from bob to alice".
    # The arrows show how (a short command to bob, the data straight from bob to alice).
    sends = _messages(step, "send object")
    if not sends:
        return _get(step, w)  # move to the local worker is a get
    m = sends[0]
    what = _thing_of(step, w, m) or w.thing(m.kind, m.obj_ids[0] if m.obj_ids else None)
    return w._("{worker} moved {what} from {source} to {target}").format(
        worker=_messages(step)[0].sender, what=what, source=m.sender, target=m.receiver
    )


def _get(step: Step, w: _Words) -> str:
    requests = _messages(step, "request object")
    if requests:
        return _sentence(w.message(m, _thing_of(step, w, m)) for m in requests)
    # Part 10: .get() of a value a worker shared brings me the pointers to its shares, not a value.
    handed = [m for m in _messages(step, "protocol") if m.op == "get"]
    if handed:
        return w._(
            "{worker} fetched the shared value from {owner}: the pointers to its shares, no value"
        ).format(worker=handed[0].sender, owner=handed[0].receiver)
    return _generic(step, w)


def _command(step: Step, w: _Words) -> str:
    if step.detail.get("func") in ("fix_precision", "float_precision"):
        return _precision(step, w)
    hops = [w.message(m) for m in _messages(step, "command")]
    return _sentence(hops, (w.stored(e) for e in _of(step, ObjectStored)))


def _gc(step: Step, w: _Words) -> str:
    removed = [w.deleted(e) for e in _of(step, ObjectRemoved)]
    if not removed:
        return ""
    secret, holders = step.detail.get("secret"), _holders(step)
    if isinstance(secret, int) and holders:  # a shared value dropped: its shares go, one per holder
        text = w.ngettext(
            "garbage collection: the {count} share of secret #{id} on {holders} was deleted",
            "garbage collection: the {count} shares of secret #{id} on {holders} were deleted",
            len(removed),
        )
        return text.format(count=w.number(len(removed)), id=secret, holders=w.workers(holders))
    return w._("garbage collection: {actions}").format(actions=", ".join(removed))


def _clear(step: Step, w: _Words) -> str:
    workers = dict.fromkeys(e.worker for e in _of(step, ObjectRemoved))
    if not workers and isinstance(step.detail.get("worker"), str):
        workers = {str(step.detail["worker"]): None}
    return _sentence(w._("{worker} removed all its objects").format(worker=name) for name in workers)


def _worker(step: Step, w: _Words) -> str:
    name = step.detail.get("id", step.detail.get("worker"))
    if name is None and step.snapshot.workers:
        name = step.snapshot.workers[-1].id
    return w._("worker {worker} joined").format(worker=name) if name is not None else ""


def _module_words(step: Step, w: _Words) -> str:
    detail = step.detail
    view = next((m for m in step.snapshot.modules if m.id == detail.get("module_id")), None)
    class_name = detail.get("class_name") or detail.get("module") or (view.class_name if view else None)
    count = detail.get("count", detail.get("parameters"))
    if not isinstance(count, int):
        if view is not None:
            count = len(view.parameters)
        else:
            ids = {e.obj.id for e in _of(step, ObjectStored) if e.obj.kind == "parameter"}
            ids |= {e.obj_id for e in _of(step, ObjectRemoved) if e.kind == "parameter"}
            count = len(ids)
    return w.module(str(class_name) if class_name else w._("module"), count)


def _module(step: Step, w: _Words) -> str:
    what = _module_words(step, w)
    sends = _messages(step, "send object")
    requests = _messages(step, "request object")
    if step.op == "move_module" and sends:
        everyone = _messages(step)
        return w._("{worker} moved {what} from {source} to {target}").format(
            worker=everyone[0].sender, what=what, source=sends[0].sender, target=sends[0].receiver
        )
    if step.op == "get_module" and requests:
        return w.message(requests[0], what)
    if sends:
        return w.message(sends[0], what)
    if requests:
        return w.message(requests[0], what)
    return what


def _holder(step: Step) -> str:
    return str(step.detail.get("holder") or step.detail.get("worker") or "?")


def _module_call(step: Step, w: _Words) -> str:
    # One sentence for the whole call, however many commands its layers sent.
    inputs = step.detail.get("inputs", ())
    what = ", ".join(w.thing("tensor", int(i)) for i in inputs) if isinstance(inputs, tuple) else ""
    module = w.layer(str(step.detail["module"])) if "module" in step.detail else w._("module")
    ran = (
        w._("{worker} ran {module} on {what}").format(worker=_holder(step), module=module, what=what)
        if what
        else w._("{worker} ran {module}").format(worker=_holder(step), module=module)
    )
    return _sentence([ran], (w.stored(e) for e in _of(step, ObjectStored)))


def _count(step: Step) -> int:
    count = step.detail.get("count", 0)
    return count if isinstance(count, int) else 0


def _optimizer_step(step: Step, w: _Words) -> str:
    count = _count(step)
    text = w.ngettext(
        "{worker} ran an optimizer step ({optimizer}) on {count} parameter",
        "{worker} ran an optimizer step ({optimizer}) on {count} parameters",
        count,
    )
    return text.format(
        worker=_holder(step), optimizer=step.detail.get("optimizer", "?"), count=w.number(count)
    )


def _zero_grad(step: Step, w: _Words) -> str:
    count = _count(step)
    text = w.ngettext(
        "zero_grad: the gradient of {count} parameter on {worker} was cleared",
        "zero_grad: the gradients of {count} parameters on {worker} were cleared",
        count,
    )
    return text.format(worker=_holder(step), count=w.number(count))


def _action(step: Step, w: _Words) -> str:
    """What the learner asked for, as a short name: ``@ (matrix multiply)``, ``Linear(2 → 1)``."""
    detail = step.detail
    if step.op in ("command", "shared_op") and "func" in detail:
        return w.operation(str(detail["func"]))
    if step.op == "module_call" and "module" in detail:
        return w.layer(str(detail["module"]))
    if step.op == "optimizer_step":
        return w._("an optimizer step ({optimizer})").format(optimizer=detail.get("optimizer", "?"))
    return w._(_OP_WORDS[step.op]) if step.op in _OP_WORDS else step.op


def _failed(step: Step, w: _Words) -> str:
    """``bob could not run @ (matrix multiply): the shapes do not fit (RuntimeError: ...)``."""
    error = step.error
    assert error is not None
    if error.kind == "interrupted":
        return _interrupted(step, w)
    # Where it failed: the last worker a message reached (the end of a chain), else the holder.
    messages = _messages(step)
    worker = messages[-1].receiver if messages else _holder(step)
    action, reason = _action(step, w), w._(_ERROR_WORDS[error.kind])
    if not error.type_name:
        return w._("{worker} could not run {action}: {reason}").format(
            worker=worker, action=action, reason=reason
        )
    original = f"{error.type_name}: {error.message}" if error.message else error.type_name
    return w._("{worker} could not run {action}: {reason} ({error})").format(
        worker=worker, action=action, reason=reason, error=original
    )


def _interrupted(step: Step, w: _Words) -> str:
    """The stop button (■) is not a worker's failure: say it stopped, and that nothing was lost.

    An interrupted operation happened entirely or not at all (interrupts.py); the step the core
    records is the undoing. A ``.get()`` is undone by sending the object back to its worker, so the
    learner's pointer still reaches it: ``interrupted (■): me did not finish fetching tensor #12
    from bob; it is still on bob``.
    """
    messages = _messages(step)
    if step.op == "get" and messages and messages[0].message == "send object":
        back = messages[0]
        what = _thing_of(step, w, back) or w.thing(back.kind, back.obj_ids[0] if back.obj_ids else None)
        return w._(
            "interrupted (■): {worker} did not finish fetching {what} from {owner}; it is still on {owner}"
        ).format(worker=back.sender, what=what, owner=back.receiver)
    where = messages[0].receiver if messages else step.detail.get("destination") or _holder(step)
    return w._("interrupted (■): {action} did not finish; nothing on {worker} was left half done").format(
        action=_action(step, w), worker=where
    )


def _generic(step: Step, w: _Words) -> str:
    return _sentence(
        (w.message(m, _thing_of(step, w, m)) for m in _messages(step)),
        [*(w.stored(e) for e in _of(step, ObjectStored)), *(w.deleted(e) for e in _of(step, ObjectRemoved))],
    )


def _batch(step: Step, w: _Words) -> str:
    # A fast loop's steps, grouped by the core: say how many operations of each kind ran.
    ops = step.detail.get("ops", {})
    count = _count(step)
    parts = ", ".join(
        f"{_batch_word(str(key), w)} ×{w.number(int(n))}"
        for key, n in dict(ops).items()  # type: ignore[call-overload]
    )
    text = w.ngettext(
        "a fast loop ran {count} operation, grouped into one step: {ops}",
        "a fast loop ran {count} operations, grouped into one step: {ops}",
        count,
    )
    return text.format(count=w.number(count), ops=parts)


def _batch_word(key: str, w: _Words) -> str:
    # Keys come from world.batch_key: a step op ("gc"), or "op:what" for a call ("command:add").
    op, _colon, what = key.partition(":")
    if op == "command" and what:
        return w.operation(what)
    if op == "module_call" and what:
        return w.layer(what)
    if op == "optimizer_step" and what:
        return w._("an optimizer step ({optimizer})").format(optimizer=what)
    if op in _OP_WORDS:
        return w._(_OP_WORDS[op])
    return w.operation(key)


# --- encrypted programs (Parts 9 and 10): shares, reconstruction, computing on shares ---------------
# Values in these sentences are previews as torch prints them ("[25]"); counts use the view's digits.


def _holders(step: Step) -> tuple[object, ...]:
    holders = step.detail.get("holders", ())
    return holders if isinstance(holders, tuple) else ()


def _fixed(step: Step, w: _Words) -> str:
    precision = step.detail.get("precision")
    return f" ({fixed_point_text(precision, w._, w.lang)})" if isinstance(precision, int) else ""


def _share(step: Step, w: _Words) -> str:
    """``me split [25] into 2 shares: bob [3439…] and alice [-3439…]``."""
    holders = _holders(step)
    shares = {e.worker: e.obj.preview for e in _of(step, ObjectStored) if e.obj.share is not None}
    pieces = w.workers(
        [f"{h} {short_share_value(shares[str(h)])}" if str(h) in shares else str(h) for h in holders]
    )
    count, owner, value = len(holders), str(step.detail.get("owner", "me")), step.detail.get("value")
    if value:
        text = w.ngettext(
            "{owner} split {value} into {count} share: {shares}",
            "{owner} split {value} into {count} shares: {shares}",
            count,
        )
    else:
        text = w.ngettext(
            "{owner} split a secret into {count} share: {shares}",
            "{owner} split a secret into {count} shares: {shares}",
            count,
        )
    said = text.format(owner=owner, value=value, count=w.number(count), shares=pieces)
    return said + _fixed(step, w)


def _reconstruct(step: Step, w: _Words) -> str:
    """``me fetched 2 shares from bob and alice and added them up: [125]``."""
    holders = _holders(step)
    requests = _messages(step, "request object")
    worker = requests[0].sender if requests else "me"
    text = w.ngettext(
        "{worker} fetched {count} share from {holders} and added them up: {value}",
        "{worker} fetched {count} shares from {holders} and added them up: {value}",
        len(holders),
    )
    value = str(step.detail.get("value", ""))
    said = text.format(worker=worker, count=w.number(len(holders)), holders=w.workers(holders), value=value)
    return said + _fixed(step, w)


_COMPARISONS = frozenset({"gt", "lt", "ge", "le", "eq", "ne"})


def _shared_op(step: Step, w: _Words) -> str:
    """``bob and alice multiplied their shares with a triple from crypto_provider``."""
    detail, _ = step.detail, w._
    func = str(detail.get("func", "?"))
    holders, provider = w.workers(_holders(step)), str(detail.get("crypto_provider") or "?")
    op = w.operation(func)
    protocol = detail.get("protocol")
    if protocol == "beaver" and func == "mul":
        text = _("{holders} multiplied their shares with a triple from {provider}")
    elif protocol == "beaver":
        text = _("{holders} computed {op} on their shares with a triple from {provider}")
    elif protocol == "comparison" and func in _COMPARISONS:
        text = _(
            "{holders} compared their shares with {op} using masks from {provider}; the answer is shared too"
        )
    elif protocol == "comparison":
        text = _(
            "{holders} computed {op} of their shares with masks from {provider}; the answer is shared too"
        )
    else:  # local: each holder works on its own share, no messages between holders
        text = _("{holders} each computed {op} on their own shares, without a message to each other")
    return text.format(holders=holders, provider=provider, op=op)


def _precision(step: Step, w: _Words) -> str:
    """``bob turned tensor #12 into fixed point ×1,000`` / ``… back into floats``."""
    holder = _holder(step)
    stored = _of(step, ObjectStored)
    what = w.thing(stored[0].obj.kind, stored[0].obj.id) if stored else w.thing(None, None)
    if step.detail.get("func") == "float_precision":
        return w._("{worker} turned {what} back into floats").format(worker=holder, what=what)
    precision = stored[0].obj.precision if stored else None
    scale = fixed_point_text(precision if precision is not None else 3, w._, w.lang)
    return w._("{worker} turned {what} into {scale}").format(worker=holder, what=what, scale=scale)


_NARRATORS: dict[str, Callable[[Step, _Words], str]] = {
    "batch": _batch,
    "send": _send,
    "move": _move,
    "get": _get,
    "command": _command,
    "gc": _gc,
    "clear": _clear,
    "worker": _worker,
    "send_module": _module,
    "get_module": _module,
    "move_module": _module,
    "module_call": _module_call,
    "optimizer_step": _optimizer_step,
    "zero_grad": _zero_grad,
    "share": _share,
    "reconstruct": _reconstruct,
    "shared_op": _shared_op,
}


def narrate(step: Step, lang: str = "en") -> str:
    """One sentence that says what ``step`` did, built from its messages and store events.

    >>> from syft_widgets.snapshot import ObjectView, WorldSnapshot
    >>> x = ObjectView(101, "tensor", "[1, 2, 3, 4]", (4,), "int64")
    >>> sent = MessageSent("me", "bob", "send object", "send", (101,), "tensor", 32)
    >>> first = Step(0, "send", {}, (sent, ObjectStored("bob", x)), WorldSnapshot(()))
    >>> narrate(first)
    'me sent tensor #101 to bob'
    >>> narrate(first, "bn")
    'me bob-কে টেন্সর #101 পাঠিয়েছে'
    """
    w = _Words(lang)
    if step.error is not None:
        return _failed(step, w)
    text = _NARRATORS.get(step.op, _generic)(step, w) or _generic(step, w)
    op = w._(_OP_WORDS[step.op]) if step.op in _OP_WORDS else step.op
    return text or w._("{op}: nothing changed").format(op=op)
