"""What the last step changed: which objects were added, changed, moved or removed, and its messages."""

from __future__ import annotations

from dataclasses import dataclass

from ..events import MessageSent, ObjectChanged, ObjectRemoved, ObjectStored, Step

__all__ = ["Changes", "step_changes"]

Key = tuple[str, int]  # (worker id, object id)


@dataclass(frozen=True, slots=True)
class Changes:
    """The highlights of one step, keyed by (worker id, object id) where the object is now.

    ``removed`` holds the removals that are not part of a move: they are drawn as ghosts.
    """

    added: frozenset[Key] = frozenset()
    changed: frozenset[Key] = frozenset()
    moved: frozenset[Key] = frozenset()
    removed: tuple[ObjectRemoved, ...] = ()
    messages: tuple[MessageSent, ...] = ()

    def status(self, key: Key) -> str | None:
        """ "added", "moved" or "changed" for an object shown at ``key``, else None."""
        if key in self.moved:
            return "moved"
        if key in self.added:
            return "added"
        if key in self.changed:
            return "changed"
        return None


def step_changes(step: Step | None) -> Changes:
    """Sort a step's events into highlights.

    A move is the same object id removed from one worker and present on another after the step:
    stored there in this step, or (for ``.get()`` of a pointer) now among that worker's pointers.
    """
    if step is None:
        return Changes()
    # The last store event of each object decides its state after the step.
    last: dict[Key, ObjectStored | ObjectChanged | ObjectRemoved] = {}
    messages: list[MessageSent] = []
    stored_at: dict[int, list[str]] = {}
    for event in step.events:
        if isinstance(event, MessageSent):
            messages.append(event)
        elif isinstance(event, ObjectStored | ObjectChanged):
            last[(event.worker, event.obj.id)] = event
            if isinstance(event, ObjectStored):
                stored_at.setdefault(event.obj.id, []).append(event.worker)
        elif isinstance(event, ObjectRemoved):
            last[(event.worker, event.obj_id)] = event

    added: set[Key] = set()
    changed: set[Key] = set()
    moved: set[Key] = set()
    removed: list[ObjectRemoved] = []
    pointer_homes: dict[int, str] | None = None
    for key, final in last.items():
        if isinstance(final, ObjectStored):
            added.add(key)
        elif isinstance(final, ObjectChanged):
            changed.add(key)
        else:
            elsewhere = [w for w in stored_at.get(final.obj_id, ()) if w != final.worker]
            if not elsewhere and final.reason in ("get", "move"):
                if pointer_homes is None:
                    pointer_homes = _pointer_homes(step)
                home = pointer_homes.get(final.obj_id)
                if home is not None and home != final.worker:
                    elsewhere = [home]
            if elsewhere:
                moved.update((w, final.obj_id) for w in elsewhere)
            else:
                removed.append(final)
    return Changes(
        added=frozenset(added - moved),
        changed=frozenset(changed - moved),
        moved=frozenset(moved),
        removed=tuple(removed),
        messages=tuple(messages),
    )


def _pointer_homes(step: Step) -> dict[int, str]:
    # Local pointers are not in any store, so a pointer fetched with .get() shows up only here.
    return {p.id: w.id for w in step.snapshot.workers for p in w.pointers}
