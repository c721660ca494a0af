"""Splitting a value into shares among workers, and putting it back together.

``me`` shares its own tensors (Part 9); a worker shares a value it holds itself when ``me`` asks it
to (Part 10: ``ptr.fix_precision().share(bob, alice)`` makes bob split his own parameter, so ``me``
never sees it). Either way the owner draws n − 1 uniform shares and gives each holder one, keeping
its own if it is a holder. ``.get()`` fetches every share and adds them up; the holders forget them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple, TypeVar

import torch

from .. import interrupts
from .. import messages as m
from .._ids import new_id
from ..events import MessageSent
from ..snapshot import ShareTag, preview
from ..world import WORLD
from .errors import CryptoProviderError, FloatShareError, HoldersMismatchError, MixedSharedError
from .fixed_precision import FixedPrecisionTensor, decode, encode
from .messages import RunProtocol, SendShare, send
from .party import STEPS, mark_share
from .protocol import open_step
from .ring import split_additive

__all__ = ["Workers", "check_workers", "reconstruct", "share_here", "share_there"]

Made = TypeVar("Made")


class Workers(NamedTuple):
    """Who a value is shared among: the holders in order, the crypto provider, and their ids."""

    holders: tuple[Any, ...]
    provider: Any
    holder_ids: tuple[str, ...]  # the shares' marks and the shared value name the holders by id
    provider_id: str | None


# Worker sets already checked, by the identity of the objects given (a notebook shares among the
# same workers again and again): (me, holders..., provider) -> (the Workers, the objects).
# An entry keeps its objects alive, so no other object can have their ids while it exists: a key
# found names exactly the objects it was made for.
_CHECKED: dict[tuple[int, ...], tuple[Workers, tuple[Any, ...]]] = {}


def check_workers(workers: Sequence[Any], crypto_provider: Any) -> Workers:
    """The holders and crypto provider as worker objects, after checking they can work together."""
    me = WORLD.local_worker
    key = (id(me), *map(id, workers), id(crypto_provider))
    found = _CHECKED.get(key)
    if found is not None:
        return found[0]
    given = (*workers, *([crypto_provider] if crypto_provider is not None else []))
    if not all(hasattr(w, "send_msg") for w in given):  # ids or lists of workers: the long way
        return _check_workers(workers, crypto_provider)
    checked = _check_workers(workers, crypto_provider)
    if len(_CHECKED) > 64:  # a bounded memo: it keeps the worker objects alive
        _CHECKED.clear()
    _CHECKED[key] = (checked, (me, *workers, crypto_provider))
    return checked


def _check_workers(workers: Sequence[Any], crypto_provider: Any) -> Workers:
    if any(isinstance(w, (list, tuple)) for w in workers):  # x.share([bob, alice]) as well
        workers = [w for group in workers for w in (group if isinstance(group, (list, tuple)) else [group])]
    holders = tuple(WORLD.resolve(w, "share") for w in workers)
    me = WORLD.local_worker
    ids = [h.id for h in holders]
    if len(holders) < 2:
        raise HoldersMismatchError(
            f"Sharing needs at least two workers, so that no single one holds the value; got {len(holders)}. "
            "Use x.share(bob, alice)."
        )
    if len(set(ids)) != len(ids):
        raise HoldersMismatchError(f"Each worker may hold only one share; {ids} names one twice.")
    if me is not None and me.id in ids:
        raise HoldersMismatchError(
            f"{me.id!r} is your own worker: a share kept here would not be secret from you. Share among "
            "other workers, e.g. x.share(bob, alice)."
        )
    provider = None if crypto_provider is None else WORLD.resolve(crypto_provider, "share")
    if provider is not None and provider.id in ids:
        raise CryptoProviderError(
            f"The crypto provider {provider.id!r} also holds a share: it would know the triples used on its "
            "own share and could learn the secret. Use a separate worker, e.g. "
            "crypto_provider = sy.VirtualWorker(hook, id='crypto_provider')."
        )
    if provider is not None and me is not None and provider.id == me.id:
        raise CryptoProviderError(
            f"{me.id!r} cannot be the crypto provider: it gets every result, and with the triples too it "
            "could work out the inputs. Use a separate worker, e.g. "
            "sy.VirtualWorker(hook, id='crypto_provider')."
        )
    for w in (*holders, *([provider] if provider is not None else [])):
        if getattr(w, "kind", "virtual") == "ray":
            raise MixedSharedError(
                f"{w.id!r} is a Ray worker; encrypted computation runs on workers in this process "
                "(sy.VirtualWorker) only."
            )
    provider_id = None if provider is None else str(provider.id)
    return Workers(holders, provider, tuple(str(i) for i in ids), provider_id)


def _plain_ints(value: torch.Tensor, precision: int | None) -> torch.Tensor:
    if type(value) is FixedPrecisionTensor:
        return value.encoded
    if value.is_floating_point() and precision is None:
        raise FloatShareError(
            f"FloatTensor cannot be additively shared, Use fix_precision. Shares live in the integers mod "
            f"2**64; encode the {value.dtype} values as fixed-point numbers first: "
            "x.fix_precision().share(bob, alice, crypto_provider=crypto_provider), and decode the result "
            "with .get().float_precision()."
        )
    if value.is_complex():
        raise FloatShareError(
            f"A {value.dtype} tensor cannot be shared; share real integers or fixed-point values."
        )
    if value.dtype == torch.int64 and not value.requires_grad:
        return value  # already ring elements (split_additive makes new tensors: this one stays as it was)
    return value.detach().to(torch.int64)


def _tag(secret: int, index: int, holder_ids: tuple[str, ...], provider: Any) -> ShareTag:
    return ShareTag(secret, index, holder_ids, None if provider is None else str(provider.id))


def share_here(
    value: torch.Tensor,
    workers: Workers,
    precision: int | None,
    base: int,
    make: Callable[[int, tuple[int, ...]], Made],
) -> Made:
    """``me`` splits its own ``value`` (fixed-point in ``base`` if ``precision`` is set) and sends
    one share to each holder.

    Returns ``make(secret id, share ids)``, called inside the share step, so that what it makes
    (``me``'s pointers to the shares) is in the step's own picture.
    """
    me = WORLD.local_worker
    holders, _, holder_ids, provider_id = workers
    ints = _plain_ints(value, precision)
    secret = new_id()
    parts = split_additive(ints, len(holders))
    share_ids: list[int] = []
    if not WORLD.bus.active:  # nobody listens: no step and no message, each holder stores its share
        held = interrupts.hold()  # (as ``with interrupts.Held()``, without a block object per share)
        try:
            for i, holder in enumerate(holders):
                obj_id = new_id()  # unique in the process: no store holds it yet
                tag = ShareTag(secret, i, holder_ids, provider_id)
                holder.object_store.register(obj_id, mark_share(parts[i], tag, precision))
                share_ids.append(obj_id)
        except BaseException:
            _delete_sent(me, holders, share_ids)
            raise
        else:
            return make(secret, tuple(share_ids))
        finally:
            interrupts.release(held)
    detail = {  # what the step says, for diagrams; with the owner's own value for the privacy overlay
        "secret": secret, "holders": holder_ids, "owner": str(getattr(me, "id", "me")),
        "crypto_provider": provider_id or "", "precision": precision, "shape": tuple(ints.shape),
        "value": preview(ints if precision is None else decode(ints, base, precision)),
    }  # fmt: skip
    with interrupts.Held(), open_step("share", detail):
        try:
            for i, holder in enumerate(holders):
                tag = ShareTag(secret, i, holder_ids, provider_id)
                share_ids.append(send(me, SendShare(new_id(), parts[i], tag, precision), holder))
        except BaseException:
            _delete_sent(me, holders, share_ids)
            raise
        return make(secret, tuple(share_ids))


def _delete_sent(me: Any, holders: tuple[Any, ...], share_ids: list[int]) -> None:
    """All or nothing: the shares already stored go again."""
    for holder, obj_id in zip(holders, share_ids, strict=False):
        me.send_msg(m.DeleteObject(obj_id), holder)


def share_there(pointer: Any, workers: Workers) -> tuple[int, tuple[int, ...], int | None]:
    """Ask the worker ``pointer`` points to to share its own value among ``workers`` (Part 10).

    Returns the secret's id, the shares' ids (in the order of the holders) and the value's
    fixed-point precision.
    """
    me = WORLD.local_worker
    owner = pointer.location
    secret = new_id()
    holder_ids, provider_id = workers.holder_ids, workers.provider_id
    detail: dict[str, object] = {
        "secret": secret, "holders": holder_ids, "owner": str(owner.id),
        "crypto_provider": provider_id or "", "precision": None, "shape": tuple(pointer.shape),
    }  # fmt: skip
    with interrupts.Held(), open_step("share", detail):
        share_ids, precision = send(
            me, RunProtocol("share", secret, (pointer._ref, holder_ids, provider_id)), owner
        )
        detail["precision"] = precision
        if WORLD.bus.active:  # the owner's own value, for the privacy overlay only: me never receives
            # it, so it is not "value" (which narration tells as what me split)
            detail["owner_value"] = _owner_preview(owner, pointer.id_at_location, precision)
    return secret, share_ids, precision


def _owner_preview(owner: Any, obj_id: int, precision: int | None) -> str:
    """What the owner of a value shared in place sees of it: the record's view, not a message to me."""
    value = owner._objects.get(obj_id)
    if not isinstance(value, torch.Tensor):
        return ""
    if type(value) is FixedPrecisionTensor:
        return preview(decode(value.encoded, value.base, value.precision_fractional))
    return preview(value)


def _share_own(
    worker: Any, sender: Hashable, secret: int, ref: m.ObjectRef, holder_ids: tuple[str, ...],
    provider_id: str | None,
) -> tuple[tuple, int | None]:  # fmt: skip
    """On the owner: split its stored value and hand out the shares (keeping its own, if a holder)."""
    value = worker._resolve(ref)
    if getattr(value, "is_pointer", False):
        raise MixedSharedError(
            "Sharing a value through a chain of pointers is not supported; share it where it is."
        )
    precision = value.precision_fractional if isinstance(value, FixedPrecisionTensor) else None
    ints = _plain_ints(value, precision)
    replies: list[tuple[str, int]] = []
    try:
        for i, (holder_id, part) in enumerate(
            zip(holder_ids, split_additive(ints, len(holder_ids)), strict=True)
        ):
            tag = ShareTag(secret, i, holder_ids, provider_id)
            if holder_id == str(worker.id):
                obj_id = worker._store(new_id(), mark_share(part, tag, precision))
            else:
                obj_id = send(worker, SendShare(new_id(), part, tag, precision), WORLD.worker(holder_id))
            replies.append((holder_id, obj_id))
    except BaseException:
        for holder_id, obj_id in replies:
            worker.send_msg(m.DeleteObject(obj_id), WORLD.worker(holder_id))
        raise
    return tuple(obj_id for _, obj_id in replies), precision


def _hand_over(worker: Any, sender: Hashable, secret: int) -> None:
    """On the owner: the shared value (its pointers to the shares) goes to ``sender`` (``.get()``)."""
    if WORLD.recording:
        WORLD.emit(MessageSent(str(worker.id), str(sender), "reply", "get", (secret,), "pointer", 0))


def _fix_precision(
    worker: Any, sender: Hashable, return_id: int, ref: m.ObjectRef, base: int, precision: int
) -> m.Stored:
    """On a worker: store the fixed-point encoding of one of its tensors (``ptr.fix_precision()``)."""
    value = worker._resolve(ref)
    encoded = FixedPrecisionTensor.of(encode(value, base, precision), base, precision)
    obj_id = worker._store(return_id, encoded, adopt_id=False)
    return m.Stored(obj_id, m.TensorMeta(tuple(encoded.shape), torch.int64, False))


def _float_precision(worker: Any, sender: Hashable, return_id: int, ref: m.ObjectRef) -> m.Stored:
    """On a worker: store the floats a fixed-point tensor of its encodes (``ptr.float_precision()``)."""
    value = worker._resolve(ref)
    if not isinstance(value, FixedPrecisionTensor):
        raise MixedSharedError(
            f"float_precision() decodes a fixed-point tensor, but worker {worker.id!r} holds a plain "
            f"{value.dtype} tensor here. Call it on what fix_precision() returned."
        )
    decoded = value.float_precision()
    obj_id = worker._store(return_id, decoded, adopt_id=False)
    return m.Stored(obj_id, m.TensorMeta.of(decoded))


STEPS.update(
    {
        "share": _share_own,
        "hand over": _hand_over,
        "fix_precision": _fix_precision,
        "float_precision": _float_precision,
    }
)


def reconstruct(shared: Any) -> torch.Tensor:
    """Fetch every share of ``shared`` (each holder forgets its share) and add them up.

    Returns an int64 tensor, or a ``FixedPrecisionTensor`` for a fixed-point value. All or nothing:
    if fetching a share fails, or the stop button is pressed before the result reaches the learner,
    the shares already fetched go back to their holders and ``shared`` can be used again.
    """
    fetched: list[tuple[int, torch.Tensor]] = []
    precision: int | None = shared.precision
    held = interrupts.hold()  # an interrupt waits for the release below (see interrupts.py)
    try:
        if WORLD.bus.active:
            total = _reconstruct_step(shared, fetched)
        else:  # nobody listens: no step to record (as in share_here)
            total = _fetch_shares(shared, fetched)
        result = total if precision is None else FixedPrecisionTensor.of(total, shared.base, precision)
    except BaseException:
        interrupts.release(held)
        raise
    # Interrupted now, the learner would never receive the value: the shares go back instead.
    interrupts.release(held, lambda: _put_back(shared, fetched, reuse=True))
    return result


def _reconstruct_step(shared: Any, fetched: list[tuple[int, torch.Tensor]]) -> torch.Tensor:
    """:func:`_fetch_shares` as a step for the diagrams, which say what ``me`` now sees."""
    precision = shared.precision
    detail: dict[str, object] = {
        "secret": shared.secret_id, "holders": shared._holder_ids, "precision": precision,
        "shape": tuple(shared.shape),
    }  # fmt: skip
    with open_step("reconstruct", detail):
        total = _fetch_shares(shared, fetched)
        # what me now sees, for the diagram and the privacy overlay
        shown = total if precision is None else decode(total, shared.base, precision)
        detail["value"] = preview(shown)
    return total


def _fetch_shares(shared: Any, fetched: list[tuple[int, torch.Tensor]]) -> torch.Tensor:
    """Take every share from its holder (noted in ``fetched``) and add them up; ``shared`` is spent.

    If a share cannot be fetched, those already in ``fetched`` go back first.
    """
    me: Any = WORLD.local_worker
    total: torch.Tensor | None = None
    try:
        for holder, obj_id in zip(shared.holders, shared.share_ids, strict=True):
            if me.calls_directly(holder):
                # Nobody watches: no message (workers.py, calls_directly), and no copy: the
                # holder forgets its share, so the share itself comes to me.
                part = holder.object_store.remove(obj_id, "get")
            else:
                part = me.send_msg(m.RequestObject(m.ObjectRef(obj_id)), holder)
            fetched.append((obj_id, part))
            total = part if total is None else total + part
    except BaseException:
        _put_back(shared, fetched)
        raise
    assert total is not None
    shared._spent = True
    for pointer in (shared._pointers or {}).values():  # spent: drawn faded once, deleting nothing
        if WORLD.bus.active:
            WORLD.pointer_retired(pointer)
        pointer._retire()
    return total


def _put_back(shared: Any, fetched: list[tuple[int, torch.Tensor]], reuse: bool = False) -> None:
    """Return fetched shares to their holders, marked as before; ``reuse``: ``shared`` works again."""
    me: Any = WORLD.local_worker
    ids = list(shared.share_ids)
    for i, (obj_id, part) in enumerate(fetched):
        tag = _tag(shared.secret_id, i, shared._holder_ids, shared.crypto_provider)
        ids[i] = send(me, SendShare(obj_id, part, tag, shared.precision), shared.holders[i])
    shared.share_ids = tuple(ids)
    if reuse:
        shared._spent = False
        for pointer, obj_id in zip((shared._pointers or {}).values(), ids, strict=False):
            pointer.__dict__.update(
                _spent=False, garbage_collect_data=True, id_at_location=obj_id, _ref=m.ObjectRef(obj_id)
            )
