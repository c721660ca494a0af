"""Pointers that only IPython's output cache keeps alive are not the learner's variables.

A cell that ends in ``x_ptr`` puts that pointer in ``Out[n]``, ``_n`` and ``_``. When the learner later
rebinds ``x_ptr``, the old object lives on in the cache; drawn, it would be a pointer the learner no
longer has. The core knows nothing of IPython, so this filter lives with the widgets and runs when a
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


def _cache_references(shell: Any) -> Counter[int]:
    """How many references the output cache holds to each object, by ``id()``."""
    held: Counter[int] = Counter()
    user_ns = getattr(shell, "user_ns", None)
    if not isinstance(user_ns, dict):
        return held
    out = user_ns.get("Out")
    out = out if isinstance(out, dict) else {}
    for value in out.values():
        if getattr(value, "is_pointer", False):
            held[id(value)] += 1
    # IPython's displayhook writes _, __, ___ and _<n> into the namespace and into the hidden copy of
    # it that %who ignores, and keeps _, __, ___ as its own attributes too.
    names = [*_CACHE_NAMES, *(f"_{n}" for n in out)]
    for namespace in (user_ns, getattr(shell, "user_ns_hidden", None)):
        if isinstance(namespace, dict):
            for name in names:
                value = namespace.get(name)
                if getattr(value, "is_pointer", False):
                    held[id(value)] += 1
    displayhook = getattr(shell, "displayhook", None)
    for attr in _CACHE_NAMES:
        value = getattr(displayhook, attr, None)
        if getattr(value, "is_pointer", False):
            held[id(value)] += 1
    # The last cell's value, kept by its ExecutionResult (and by the displayhook's, if it is another).
    results = [getattr(shell, "last_execution_result", None), getattr(displayhook, "exec_result", None)]
    if results[0] is results[1]:
        results.pop()
    for result in results:
        value = getattr(result, "result", None)
        if getattr(value, "is_pointer", False):
            held[id(value)] += 1
    return held


def cache_only_ids(pointers: list[Any], shell: Any) -> set[int]:
    """Pointer ids whose every live object is referenced by the output cache and by nothing else.

    ``pointers`` must be a list that nothing else holds items of, such as ``World.local_pointers()``:
    the reference count of each item is compared with what the cache explains.
    """
    if shell is None:
        return set()
    held = _cache_references(shell)
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
