"""``me``'s side of a protocol run: ask the crypto provider to deal, start every holder, resume them.

``me`` coordinates but never sees a value: the messages it sends carry ids, shapes and public
numbers, and the replies are store ids. A run that fails anywhere is undone everywhere: every worker
forgets the run's material, and result shares already stored are deleted, so stores are as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .. import interrupts
from .. import messages as m
from .._ids import new_id
from ..snapshot import ShareTag
from ..world import WORLD, StepBlock
from .messages import CRYPTO_TALLIES, RunProtocol, send
from .party import PENDING, PROGRAMS, Output, Party, ProgramCall, mark_share, run_local

__all__ = ["open_step", "run_program", "run_quietly"]

Made = TypeVar("Made")

Stored = list[list[tuple[int, tuple[int, ...]]]]  # per output, each holder's (store id, shape)


def open_step(op: Any, detail: dict[str, object]) -> Any:
    """A step whose ``detail`` dict may still be filled in before it closes (e.g. a revealed value)."""
    return StepBlock(WORLD, op, detail, False) if WORLD.bus.active else WORLD.step(op)


def run_program(
    holders: Sequence[Any],
    crypto_provider: Any,
    program: str,
    refs: Sequence[tuple],
    public: tuple,
    plan: Sequence[tuple[str, object]],
    outputs: Sequence[int | None],
    detail: dict[str, object],
    wrap: Callable[[Stored, tuple[int, ...]], Made],
) -> Made:
    """Run ``program`` on every holder; returns ``wrap(stored, secret ids)``.

    ``refs[i]`` are holder i's input shares (ObjectRefs); ``plan`` is the material the crypto
    provider deals first (none for a local operation, which needs one message per holder);
    ``outputs`` gives each result's fixed-point precision (None for integers). ``stored`` holds,
    per output, each holder's (store id, shape); ``wrap`` runs inside the step, so that what it
    makes (``me``'s pointers to the results) is in the step's own picture.
    """
    me: Any = WORLD.local_worker
    key = new_id()
    holder_ids = tuple(str(h.id) for h in holders)
    provider_id = None if crypto_provider is None else str(crypto_provider.id)
    results = tuple(Output(new_id(), new_id(), precision) for precision in outputs)
    detail["secrets"] = tuple(out.secret for out in results)
    detail["secret"] = results[0].secret
    op = str(detail.get("func", program))
    replies: list[Any] = [PENDING] * len(holders)  # per holder: PENDING, or its stored results once done
    step = "start" if plan else "local"
    tally: Counter[str] | None = None
    if WORLD.bus.active and not WORLD.recording:  # inside a batch: no events, so count for the record
        tally = Counter()
        CRYPTO_TALLIES.append(tally)
    with interrupts.Held(), open_step("shared_op", detail):
        try:
            if plan:
                send(me, RunProtocol("deal", key, (tuple(plan), holder_ids), "deal"), crypto_provider)
            for i, h in enumerate(holders):
                call = ProgramCall(program, refs[i], public, i, holder_ids, results, provider_id)
                replies[i] = send(me, RunProtocol(step, key, (call,), op), h)
            while PENDING in replies:
                for i, h in enumerate(holders):
                    replies[i] = send(me, RunProtocol("resume", key, (), "resume"), h)
        except BaseException:
            _undo(me, key, holders, crypto_provider, replies)
            raise
        finally:
            if tally is not None:
                CRYPTO_TALLIES.remove(tally)
                detail["masked"] = tuple(tally.items())  # (worker, crypto messages it received)
        stored = [[reply[j] for reply in replies] for j in range(len(results))]
        return wrap(stored, tuple(out.secret for out in results))


def run_quietly(
    holders: Sequence[Any],
    holder_ids: tuple[str, ...],
    provider_id: str | None,
    program: str,
    share_ids: Sequence[tuple[int, ...]],
    public: tuple,
    outputs: Sequence[int | None],
) -> tuple[list[int], list[list[int]], list[tuple[int, ...]]]:
    """A local operation nobody watches: each holder runs it directly, with no message and no step.

    The same work as :func:`run_program` without a plan (what ``calls_directly`` does for the
    core's operations): ``share_ids`` has, per input value, its share ids in the order of
    ``holders``. Returns, per output, its secret id, its share ids (in holder order) and its shape.
    """
    local = PROGRAMS[program]
    secrets = [new_id() for _ in outputs]
    stored: list[list[int]] = [[] for _ in outputs]
    shapes: list[tuple[int, ...]] = []
    held = interrupts.hold()  # (as ``with interrupts.Held()``, without a block object per operation)
    try:
        for i, holder in enumerate(holders):
            store = holder.object_store
            try:
                inputs = [store.objects[ids[i]] for ids in share_ids]
            except KeyError:  # a share is gone (a cleared store): the store's own clear error
                inputs = [store.get(ids[i]) for ids in share_ids]
            results = local(Party(i, holder_ids), *inputs, *public)
            if type(results) is not tuple:  # an interactive program (max of one value): the long way
                results = run_local(program, Party(i, holder_ids), inputs, public)
            for j, result in enumerate(results):
                tag = ShareTag(secrets[j], i, holder_ids, provider_id)
                obj_id = new_id()  # unique in the process: no store holds it yet
                store.register(obj_id, mark_share(result, tag, outputs[j]))
                stored[j].append(obj_id)
                if not i:  # every holder's result share has the same shape
                    shapes.append(tuple(result.shape))
    except BaseException:
        for per_holder in stored:  # all or nothing: the result shares already stored go
            for holder, obj_id in zip(holders, per_holder, strict=False):
                holder.delete_object(obj_id)
        raise
    finally:
        interrupts.release(held)
    return secrets, stored, shapes


def _undo(me: Any, key: int, holders: Sequence[Any], crypto_provider: Any, replies: list) -> None:
    """Forget the run everywhere and delete result shares some holders already stored."""
    everyone = [*holders, *([crypto_provider] if crypto_provider is not None else [])]
    for worker in everyone:
        try:
            send(me, RunProtocol("forget", key, (), "forget"), worker)
        except Exception:
            pass  # keep undoing the others
    for worker, reply in zip(holders, replies, strict=True):
        if isinstance(reply, tuple):
            for obj_id, _ in reply:
                try:
                    me.send_msg(m.DeleteObject(obj_id), worker)
                except Exception:
                    pass
