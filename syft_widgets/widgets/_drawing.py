"""From recorded steps to DOT for one view: worker filtering, variable names, the legend's sample."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from ..diagram import to_dot
from ..encrypted.shared_tensor import SharedTensor
from ..events import Event, MessageSent, Step
from ..pointers import PointerTensor
from ..snapshot import WorldSnapshot

__all__ = ["filter_snapshot", "filter_step", "legend_dot", "pointer_names", "worker_ids"]


def worker_ids(workers: Iterable[object]) -> tuple[str, ...] | None:
    """The ids of ``workers`` (worker objects or id strings); None for "every worker"."""
    ids: list[str] = []
    for w in workers:
        wid = w if isinstance(w, str) else getattr(w, "id", None)
        if not isinstance(wid, str):
            raise TypeError(
                f"sy.show() takes workers or worker ids, got {w!r}; for example sy.show(bob, alice) "
                'or sy.show("bob")'
            )
        ids.append(wid)
    return tuple(ids) or None


def filter_snapshot(snapshot: WorldSnapshot, ids: tuple[str, ...] | None) -> WorldSnapshot:
    """Only the workers in ``ids`` (all when None), in the snapshot's own stable order."""
    if ids is None:
        return snapshot
    keep = set(ids)
    workers = tuple(w for w in snapshot.workers if w.id in keep)
    local = {w.id for w in workers if w.kind == "local"}
    modules = tuple(m for m in snapshot.modules if m.location in keep or (m.location is None and bool(local)))
    return WorldSnapshot(workers=workers, modules=modules)


def _event_workers(event: Event) -> tuple[str, ...]:
    if isinstance(event, MessageSent):
        return (event.sender, event.receiver)
    return (event.worker,)


def filter_step(step: Step, ids: tuple[str, ...] | None) -> Step:
    """``step`` with only the events and workers a view of ``ids`` shows."""
    if ids is None:
        return step
    keep = set(ids)
    events = tuple(e for e in step.events if all(w in keep for w in _event_workers(e)))
    return dataclasses.replace(step, events=events, snapshot=filter_snapshot(step.snapshot, ids))


def pointer_names(user_ns: Mapping[str, Any] | None, pointer_type: type = PointerTensor) -> dict[int, str]:
    """``{pointer.id: variable name}`` for the learner's pointers, so the diagram says ``x_ptr``.

    A shared value (``x = t.share(bob, alice)``) names me's pointers to its shares after it: ``x``.
    """
    if user_ns is None:
        return {}
    names: dict[int, str] = {}
    # A copy of the items: the learner's namespace may change under a background push.
    for name, value in list(user_ns.items()):
        if name.startswith("_"):
            continue
        if isinstance(value, SharedTensor):
            for share_pointer in value.shares.values():
                names.setdefault(share_pointer.id, name)
            continue
        if not isinstance(value, pointer_type):
            continue
        pid = getattr(value, "id", None)
        if isinstance(pid, int):
            names.setdefault(pid, name)
    return names


def legend_dot(lang: str) -> str:
    """DOT of the diagram layer's legend alone, in ``lang`` (the view shows it in a fold of its own)."""
    return to_dot(WorldSnapshot(workers=()), step=None, lang=lang, names=None, legend=True)
