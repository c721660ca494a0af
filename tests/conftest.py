"""Shared fixtures: one hooked torch per test session, and workers with empty stores per test."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch

import syft_widgets as sy
from syft_widgets.world import WORLD


@dataclass
class Env:
    hook: Any
    me: Any
    bob: Any
    alice: Any
    secure_worker: Any


def _reset_world() -> None:
    gc.collect()
    for store in WORLD.stores.values():
        for obj in store.objects.values():
            if getattr(obj, "is_pointer", False):
                obj.garbage_collect_data = False
        store.objects.clear()


@pytest.fixture
def env() -> Iterator[Env]:
    """A hooked torch and three empty workers, as at the top of a tutorial notebook."""
    hook = sy.TorchHook(torch)
    _reset_world()
    yield Env(
        hook,
        hook.local_worker,
        sy.VirtualWorker(hook, id="bob"),
        sy.VirtualWorker(hook, id="alice"),
        sy.VirtualWorker(hook, id="secure_worker"),
    )
    _reset_world()


def store_state(*workers: Any) -> dict[str, dict[int, Any]]:
    """A comparable picture of stores: keys, object identity, and values of tensors."""
    state: dict[str, dict[int, Any]] = {}
    for w in workers:
        entries = {}
        for key, obj in w._objects.items():
            if getattr(obj, "is_pointer", False):
                entries[key] = (
                    "pointer",
                    id(obj),
                    obj.location.id,
                    obj.id_at_location,
                    obj.garbage_collect_data,
                )
            else:
                entries[key] = ("tensor", id(obj), obj.detach().clone().tolist(), obj.requires_grad)
        state[str(w.id)] = entries
    return state
