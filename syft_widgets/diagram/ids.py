"""Stable, unique DOT/SVG ids: the browser animates a shape from one step to the next by its id."""

from __future__ import annotations

import hashlib
import re

__all__ = ["IdAllocator", "worker_slug"]

_SAFE_WORKER = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")


def worker_slug(worker_id: str) -> str:
    """An id-safe token for a worker: its own name when that is plain ASCII, else a short hash.

    Worker ids are user text and end up in SVG ``id`` attributes, so odd ones are hashed, not quoted.

    >>> worker_slug("bob")
    'bob'
    >>> worker_slug('bob"];x[label="')
    'w_8fb8352a'
    """
    if _SAFE_WORKER.fullmatch(worker_id):
        return worker_id
    digest = hashlib.blake2s(worker_id.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    return f"w_{digest}"


class IdAllocator:
    """Hands out ids once each, all with the view's prefix; a taken id falls back to a longer one.

    >>> ids = IdAllocator("v1_")
    >>> ids.take("obj_7"), ids.take("obj_7", "obj_7_alice"), ids.take("obj_7")
    ('v1_obj_7', 'v1_obj_7_alice', 'v1_obj_7_2')
    """

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._taken: set[str] = set()

    def take(self, preferred: str, fallback: str | None = None) -> str:
        for candidate in (preferred, fallback):
            if candidate is not None and self.prefix + candidate not in self._taken:
                return self._claim(self.prefix + candidate)
        base = self.prefix + (fallback or preferred)
        n = 2
        while f"{base}_{n}" in self._taken:
            n += 1
        return self._claim(f"{base}_{n}")

    def copy(self) -> IdAllocator:
        """An allocator with the same prefix and the ids taken so far, that takes its own from here."""
        twin = IdAllocator(self.prefix)
        twin._taken = set(self._taken)
        return twin

    def _claim(self, name: str) -> str:
        self._taken.add(name)
        return name
