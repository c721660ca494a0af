"""Pointers that only IPython's output cache keeps alive are not the learner's variables.

A cell that ends in ``x_ptr`` puts that pointer in ``Out[n]``, ``_n`` and ``_``. When the learner later
rebinds ``x_ptr``, the old object lives on in the cache; drawn, it would be a pointer the learner no
longer has. The same holds for a list of pointers a cell showed (``ptrs``), once ``ptrs`` is
rebound: its pointers are the cache's too, unless another list or variable of the learner holds them.
The core knows nothing of IPython, so this filter lives with the widgets and runs when a
step is recorded, while the cell's own references (locals, temporaries) still count as the learner's.
"""

from __future__ import annotations

import dataclasses
import sys
from collections import Counter
from typing import Any

from ..events import Step

__all__ = ["cache_only_ids", "without_cache_only_pointers"]

_CACHE_NAMES = ("_", "__", "___")


def _base_refs() -> int:
    # References every object has inside cache_only_ids' loop: the list, the loop variable, and
    # getrefcount's own argument. Measured, not assumed, so another Python version stays right.
    items = [object()]
    for item in items:
        return sys.getrefcount(item)
    raise AssertionError("unreachable")


_BASE_REFS = _base_refs()


def _base_container_refs() -> int:
    # References a cached container has inside _held_through_containers: the dict of them, the loop
    # variable, and getrefcount's own argument. Measured, as _base_refs is.
    found = {0: [object()]}
    for container in found.values():
        return sys.getrefcount(container)
    raise AssertionError("unreachable")


_BASE_CONTAINER_REFS = _base_container_refs()
_CONTAINERS = (list, tuple, dict)
_DEPTH = 3  # as deep as the live view looks for collections (widgets/_hub.py)
_PROBE = 16  # items looked at before a container without pointers is given up, as in _hub.py


class _Cache:
    """References the output cache holds: to pointers, and to lists, tuples and dicts (by ``id()``)."""

    def __init__(self) -> None:
        self.pointers: Counter[int] = Counter()
        self.containers: Counter[int] = Counter()
        self.container_objects: dict[int, Any] = {}

    def note(self, value: Any) -> None:
        if getattr(value, "is_pointer", False):
            self.pointers[id(value)] += 1
        elif isinstance(value, _CONTAINERS):
            self.containers[id(value)] += 1
            self.container_objects[id(value)] = value


def _held_through_containers(cache: _Cache) -> None:
    """Count as the cache's the pointers inside containers that only the cache holds.

    A container only the cache holds passes its references on to its items: a pointer in it, held
    by nothing else, is the cache's alone. Nested containers count when only their parent holds them.
    """
    for container_id, refs in cache.containers.items():
        container = cache.container_objects[container_id]
        if sys.getrefcount(container) - _BASE_CONTAINER_REFS - refs <= 0:
            _count_items(container, cache.pointers, _DEPTH)


def _count_items(container: Any, held: Counter[int], depth: int) -> int:
    """Count the pointers in ``container`` (and in nested containers only it holds) as held; how many."""
    counted = 0
    try:
        seen = 0  # not enumerate(): its reused result tuple would hold one more reference to the item
        for item in container.values() if isinstance(container, dict) else container:
            if seen == _PROBE and not counted:
                return 0  # no pointer among the first items: a container of something else
            seen += 1
            if getattr(item, "is_pointer", False):
                held[id(item)] += 1
                counted += 1
            # While iterated, an item's references are the container's, the loop's and getrefcount's
            # own, as in _base_refs: nothing else holds a nested container that has no more.
            elif depth > 1 and isinstance(item, _CONTAINERS) and sys.getrefcount(item) <= _BASE_REFS:
                counted += _count_items(item, held, depth - 1)
    except RuntimeError:  # a dict changed size under a background push: count it next time
        pass
    return counted


def _cache_held(shell: Any) -> Counter[int]:
    """How many references the output cache holds to each pointer, by ``id()``, through containers too."""
    cache = _cache_references(shell)
    # Only now, with _cache_references' frame gone: its loop variables would be references too.
    _held_through_containers(cache)
    return cache.pointers


def _cache_references(shell: Any) -> _Cache:
    """The references the output cache holds to pointers and containers."""
    cache = _Cache()
    user_ns = getattr(shell, "user_ns", None)
    if not isinstance(user_ns, dict):
        return cache
    out = user_ns.get("Out")
    out = out if isinstance(out, dict) else {}
    for value in out.values():
        cache.note(value)
    # IPython's displayhook writes _, __, ___ and _<n> into the namespace and into the hidden copy of
    # it that %who ignores, and keeps _, __, ___ as its own attributes too.
    names = [*_CACHE_NAMES, *(f"_{n}" for n in out)]
    for namespace in (user_ns, getattr(shell, "user_ns_hidden", None)):
        if isinstance(namespace, dict):
            for name in names:
                if name in namespace:
                    cache.note(namespace[name])
    displayhook = getattr(shell, "displayhook", None)
    for attr in _CACHE_NAMES:
        cache.note(getattr(displayhook, attr, None))
    # The last cell's value, kept by its ExecutionResult (and by the displayhook's, if it is another).
    results = [getattr(shell, "last_execution_result", None), getattr(displayhook, "exec_result", None)]
    if results[0] is results[1]:
        results.pop()
    for result in results:
        cache.note(getattr(result, "result", None))
    return cache


def cache_only_ids(pointers: list[Any], shell: Any) -> set[int]:
    """Pointer ids whose every live object is referenced by the output cache and by nothing else.

    ``pointers`` must be a list that nothing else holds items of, such as ``World.local_pointers()``:
    the reference count of each item is compared with what the cache explains.
    """
    if shell is None:
        return set()
    held = _cache_held(shell)
    if not held:
        return set()
    cache_only: set[int] = set()
    learners: set[int] = set()
    for item in pointers:
        others = sys.getrefcount(item) - _BASE_REFS - held.get(id(item), 0)
        (learners if others > 0 else cache_only).add(item.id)
    return cache_only - learners


def without_cache_only_pointers(step: Step, pointers: list[Any], shell: Any) -> Step:
    """``step`` with the local worker's cache-only pointers left out of its snapshot."""
    hidden = cache_only_ids(pointers, shell)
    if not hidden:
        return step
    workers = tuple(
        dataclasses.replace(w, pointers=tuple(p for p in w.pointers if p.spent or p.id not in hidden))
        if w.kind == "local" and w.pointers
        else w
        for w in step.snapshot.workers
    )
    return dataclasses.replace(step, snapshot=dataclasses.replace(step.snapshot, workers=workers))
