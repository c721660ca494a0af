"""A worker's object store: a dict from object id to object, announcing every change."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Protocol

from .errors import ObjectNotFoundError
from .events import Event, ObjectChanged, ObjectRemoved, ObjectStored
from .snapshot import ObjectView, kind_of, view_of

__all__ = ["ObjectStore", "Recorder"]


class Recorder(Protocol):
    """Where a store announces its changes (the world): only while ``recording`` is True."""

    recording: bool

    def emit(self, event: Event) -> None: ...


_MISSING = object()


class ObjectStore:
    """Objects one worker holds. ``objects`` is the very dict shown as ``worker._objects``.

    Workers test and read ``objects`` directly on their hot paths (one dict lookup instead of a
    method call per operand); every change goes through ``register``/``remove``/``changed``, which
    announce it.
    """

    def __init__(self, worker_id: Hashable, recorder: Recorder) -> None:
        self.worker_id = worker_id
        self.objects: dict[int, object] = {}
        self._recorder = recorder
        # Bumped on every change, so views of an unchanged store are reused from one step to the next.
        self.version = 0
        self._views: tuple[int, tuple[ObjectView, ...]] = (-1, ())
        self._view_cache: dict[int, tuple[int, int, ObjectView]] = {}

    def __len__(self) -> int:
        return len(self.objects)

    def items(self) -> Iterator[tuple[int, object]]:
        return iter(list(self.objects.items()))

    def get(self, obj_id: int) -> object:
        try:
            return self.objects[obj_id]
        except KeyError:
            raise ObjectNotFoundError(obj_id, self.worker_id) from None

    def views(self) -> tuple[ObjectView, ...]:
        """How every stored object looks now, in insertion order (cached while nothing changes)."""
        version, views = self._views
        # The length guards against code that edits worker._objects (the very dict) by hand.
        if version != self.version or len(views) != len(self.objects):
            cache = self._view_cache
            views = tuple(view_of(k, o, cache) for k, o in self.objects.items())
            self._views = (self.version, views)
        return views

    def register(self, obj_id: int, obj: object) -> None:
        self.objects[obj_id] = obj
        self.version += 1
        if self._recorder.recording:
            self._recorder.emit(ObjectStored(str(self.worker_id), view_of(obj_id, obj, self._view_cache)))

    def changed(self, obj_id: int) -> None:
        """Announce that an in-place operation changed a stored object."""
        self.version += 1
        if self._recorder.recording and obj_id in self.objects:
            view = view_of(obj_id, self.objects[obj_id], self._view_cache)
            self._recorder.emit(ObjectChanged(str(self.worker_id), view))

    def remove(self, obj_id: int, reason: str) -> object:
        obj = self.objects.pop(obj_id, _MISSING)
        if obj is _MISSING:
            raise ObjectNotFoundError(obj_id, self.worker_id)
        self.version += 1
        self._view_cache.pop(obj_id, None)
        if self._recorder.recording:
            self._recorder.emit(ObjectRemoved(str(self.worker_id), obj_id, kind_of(obj), reason))
        return obj

    def clear(self) -> list[object]:
        """Forget everything; returns the objects so the caller decides when they are dropped."""
        removed = []
        for obj_id in list(self.objects):
            removed.append(self.remove(obj_id, "clear"))
        return removed
