"""A learner's list, tuple or dict of pointers: one node named after the variable, one arrow per worker.

A loop that sends 200 batches leaves ``ptrs = [...]`` with 200 pointers; drawn one by one they bury
everything else. Folded, ``ptrs`` is one node (``ptrs`` / ``list of 200`` / ``200 pointers``) with one
arrow to each worker it points into, labelled with how many (``×50``). A click expands it (the key
``collection:ptrs``). Which pointers a variable holds is found in the learner's namespace by the
widgets layer (``widgets/_hub.py``); this module only decides what to draw.

Pointers the picture must show one by one stay drawn even in a folded collection: those held in a
variable of their own (``data_bob`` in Part 4's ``datasets``) and those the last step touched. A
collection of at most ``SMALL`` pointers is never folded: three pointer nodes read better than one
node plus arrows, and the members are named after the variable (``pair[0]``, ``pair[1]``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from ..snapshot import ObjectView
from .ids import worker_slug

__all__ = ["SMALL", "CollectionPlan", "PointerCollection", "plan_collections", "spread_members"]

SMALL = 3  # collections of at most this many pointers are drawn one by one, never folded


@dataclass(frozen=True, slots=True)
class PointerCollection:
    """What one of the learner's variables holds: a list, tuple or dict with pointers inside.

    ``members`` lists ``(path, pointer id)`` in order, nested containers flattened, so Part 4's
    ``datasets = [(data_bob, target_bob), ...]`` has members ``("[0][0]", id), ("[0][1]", id), ...``.
    ``length`` is ``len()`` of the variable itself (2 for that list), not the number of pointers.
    A model sent to a worker counts by its parameters' pointers (``("[0].weight", id)``), and its id
    is in ``modules``: ``models = [model.copy().send(w) for w in workers]`` folds into one node too.
    """

    name: str
    kind: str  # Python's own word: "list", "tuple" or "dict"
    length: int
    members: tuple[tuple[str, int], ...]
    modules: tuple[int, ...] = ()  # ids of the models it holds (ModuleView.id)

    @property
    def key(self) -> str:
        """The expansion key of this collection, as the front end sends it back (``collection:ptrs``)."""
        return f"collection:{worker_slug(self.name)}"

    def __repr__(self) -> str:  # cheap: a collection may hold 10,000 members
        pointers = len(self.members)
        return f"PointerCollection({self.name!r}, {self.kind}, length={self.length}, pointers={pointers})"


@dataclass
class CollectionPlan:
    """How one collection is drawn: folded into one node, or its pointers one by one."""

    collection: PointerCollection
    folded: bool
    pointers: int = 0  # members live in the snapshot, counted once per pointer id
    targets: dict[str, int] = field(default_factory=dict)  # worker id -> pointers into it, first seen first
    drawn: list[int] = field(default_factory=list)  # ids of its pointers drawn one by one
    # Unfolded, the pointers me's box draws while me's own store is not unfolded: ``drawn``, or for a
    # collection of many pointers the pointers of a few of its items, spread over the workers.
    sample: list[int] = field(default_factory=list)


def plan_collections(
    collections: Sequence[PointerCollection],
    local_pointers: Sequence[ObjectView],
    named: Mapping[int, str],
    touched: Collection[int],
    expanded: Collection[str],
    at_most: int | None = None,
) -> tuple[list[CollectionPlan], set[int], dict[int, str]]:
    """Decide every collection: its plan, the pointer ids folded away, and names for pointers drawn.

    ``local_pointers`` are the local worker's live pointers in the snapshot (one per id); ``named``
    holds the pointers in variables of their own; ``touched`` the pointer ids the last step changed.
    Members not among ``local_pointers`` (spent, or not drawn in this view) are not counted. A pointer
    in two collections is folded only if neither draws it one by one. An unfolded collection of more
    than ``2 * at_most`` pointers gets a ``sample``: the pointers of ``at_most`` items (``spread_members``).

    >>> from syft_widgets.snapshot import ObjectView
    >>> ps = [ObjectView(i, "pointer", "", (), "", location=f"w{i % 2}", id_at_location=i) for i in range(6)]
    >>> ptrs = PointerCollection("ptrs", "list", 6, tuple((f"[{i}]", i) for i in range(6)))
    >>> plans, folded, names = plan_collections([ptrs], ps, {0: "first"}, touched={5}, expanded=())
    >>> plans[0].folded, plans[0].pointers, plans[0].targets, sorted(folded), names
    (True, 6, {'w0': 3, 'w1': 3}, [1, 2, 3, 4], {5: 'ptrs[5]'})
    """
    by_id = {p.id: p for p in local_pointers if not p.spent}
    plans: list[CollectionPlan] = []
    member_names: dict[int, str] = {}
    folded: set[int] = set()
    drawn: set[int] = set()
    for collection in collections:
        plan = CollectionPlan(collection, folded=False)
        seen: set[int] = set()
        for _path, pid in collection.members:
            view = by_id.get(pid)
            if view is None or pid in seen:
                continue
            seen.add(pid)
            plan.pointers += 1
            if view.location is not None:
                plan.targets[view.location] = plan.targets.get(view.location, 0) + 1
        plan.folded = plan.pointers > SMALL and collection.key not in expanded
        for path, pid in collection.members:
            if pid not in seen:
                continue
            if plan.folded and pid not in named and pid not in touched:
                folded.add(pid)
                continue
            drawn.add(pid)
            plan.drawn.append(pid)
            if pid not in named:
                member_names.setdefault(pid, f"{collection.name}{path}")
        plan.sample = plan.drawn
        # 8 pointers in one column still fit a screen beside the other boxes; 1,000 do not.
        if not plan.folded and at_most is not None and len(plan.drawn) > 2 * at_most:
            plan.sample = spread_members(collection, by_id, set(plan.drawn), at_most)
        plans.append(plan)
    return plans, folded - drawn, member_names


def spread_members(
    collection: PointerCollection, pointers: Mapping[int, ObjectView], drawn: Collection[int], at_most: int
) -> list[int]:
    """The pointers of ``at_most`` of ``collection``'s items, taken in turn from each worker.

    Unfolding a list of 1,000 pointers must not draw 1,000 nodes in ``me``'s box (a column
    15,000 px tall that no screen shows legibly). A few pointers per worker show what the list is
    (``ptrs[0] → w0``, ``ptrs[1] → w1``, …); the rest are counted in ``me``'s note, which unfolds
    them all. An item (``models[3]``, ``datasets[1]``) is never split: its pointers come together.

    >>> from syft_widgets.snapshot import ObjectView
    >>> ps = {i: ObjectView(i, "pointer", "", (), "", location=f"w{i // 4}") for i in range(8)}
    >>> ptrs = PointerCollection("ptrs", "list", 8, tuple((f"[{i}]", i) for i in range(8)))
    >>> spread_members(ptrs, ps, set(range(8)), 3)
    [0, 4, 1]
    """
    items: dict[str, list[int]] = {}  # the item's path ("[3]", "['bob']") -> its drawn pointer ids
    for path, pid in collection.members:
        if pid in drawn and pid not in items.get(_item_of(path), ()):
            items.setdefault(_item_of(path), []).append(pid)
    by_worker: dict[str | None, list[list[int]]] = {}  # first-seen order of workers, then item order
    for ids in items.values():
        by_worker.setdefault(pointers[ids[0]].location, []).append(ids)
    chosen: list[int] = []
    taken = turn = 0
    while taken < at_most and any(turn < len(queue) for queue in by_worker.values()):
        for queue in by_worker.values():
            if turn < len(queue) and taken < at_most:
                chosen.extend(pid for pid in queue[turn] if pid not in chosen)
                taken += 1
        turn += 1
    return chosen


def _item_of(path: str) -> str:
    """The top-level item a member belongs to: ``[0]`` for ``[0][1]`` and ``[0].weight``."""
    end = path.find("]")
    return path if end < 0 else path[: end + 1]
