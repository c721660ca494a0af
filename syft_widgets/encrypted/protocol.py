"""``me``'s side of a protocol run: ask the crypto provider to deal, start every holder, resume them.

``me`` coordinates but never sees a value: the messages it sends carry ids, shapes and public
numbers, and the replies are store ids. A run that fails anywhere is undone everywhere: every worker
forgets the run's material, and result shares already stored are deleted, so stores are as before.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from .. import interrupts
from .. import messages as m
from .._ids import new_id
from ..world import WORLD, StepBlock
from .messages import RunProtocol, send
from .party import PENDING, Output

__all__ = ["open_step", "run_program"]


def open_step(op: Any, detail: dict[str, object]) -> Any:
    """A step whose ``detail`` dict may still be filled in before it closes (e.g. a revealed value)."""
    return StepBlock(WORLD, op, detail, False) if WORLD.bus.active else WORLD.step(op)


def run_program(
    holders: Sequence[Any],
    crypto_provider: Any,
    program: str,
    refs: Mapping[Hashable, tuple],
    public: tuple,
    plan: Sequence[tuple[str, object]],
    outputs: Sequence[int | None],
    detail: dict[str, object],
) -> list[dict[Hashable, m.Stored]]:
    """Run ``program`` on every holder; returns, per output, each holder's stored result share.

    ``refs[worker_id]`` are that holder's input shares (ObjectRefs); ``plan`` is the material the
    crypto provider deals first (none for a local operation); ``outputs`` gives each result's
    fixed-point precision (None for integers).
    """
    me = WORLD.local_worker
    assert me is not None
    key = new_id()
    holder_ids = tuple(str(h.id) for h in holders)
    provider_id = None if crypto_provider is None else str(crypto_provider.id)
    results = tuple(Output(new_id(), new_id(), precision) for precision in outputs)
    detail["secrets"] = tuple(out.secret for out in results)
    detail["secret"] = results[0].secret
    op = str(detail.get("func", program))
    replies: dict[Hashable, Any] = {}  # per holder: PENDING, or its stored results once done
    with interrupts.Held(), open_step("shared_op", detail):
        try:
            if plan:
                send(me, RunProtocol("deal", key, (tuple(plan), holder_ids), op="deal"), crypto_provider)
            for i, h in enumerate(holders):
                args = (program, refs[h.id], public, i, holder_ids, results, provider_id)
                replies[h.id] = send(me, RunProtocol("start", key, args, op), h)
            while any(reply == PENDING for reply in replies.values()):
                for h in holders:
                    replies[h.id] = send(me, RunProtocol("resume", key, (), "resume"), h)
        except BaseException:
            _undo(me, key, holders, crypto_provider, replies)
            raise
    return [{h.id: replies[h.id][j] for h in holders} for j in range(len(results))]


def _undo(me: Any, key: int, holders: Sequence[Any], crypto_provider: Any, replies: dict) -> None:
    """Forget the run everywhere and delete result shares some holders already stored."""
    everyone = [*holders, *([crypto_provider] if crypto_provider is not None else [])]
    for worker in everyone:
        try:
            send(me, RunProtocol("forget", key, (), "forget"), worker)
        except Exception:
            pass  # keep undoing the others
    for worker in holders:
        reply = replies.get(worker.id)
        if isinstance(reply, tuple):
            for stored in reply:
                try:
                    me.send_msg(m.DeleteObject(stored.obj_id), worker)
                except Exception:
                    pass
