"""Model-based test: random sequences of operations, checked after every step against a reference model.

The reference model knows, for every pointer the test holds, the chain of workers it goes through and
the value at its end. After each step: every live pointer resolves to the right value, every worker
holds exactly the objects the model expects (nothing lost, nothing duplicated, nothing leaked), the
local worker stores nothing, and the diagram's snapshot agrees with the stores. At the end, dropping
every pointer leaves every store empty (except objects a clear_objects() orphaned, which it counts).
"""

from __future__ import annotations

import gc
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import syft_widgets as sy
from syft_widgets import errors
from syft_widgets.world import WORLD
from tests.helpers import reset_world

WORKERS = ["bob", "alice", "carol", "dave"]


@dataclass(eq=False)  # compared by identity: == on pointers runs remotely, elementwise
class Handle:
    pointer: Any
    path: list[str]  # workers the chain passes through; the data is on the last one
    value: list[int]


@dataclass
class Reference:
    handles: list[Handle] = field(default_factory=list)
    # Chains cut by clear_objects(): their path is the part still reachable from the test's pointer,
    # which deletes itself when the pointer is dropped, up to the gap.
    graveyard: list[Handle] = field(default_factory=list)
    # Objects nobody can reach any more: clear_objects() forgets, it does not cascade.
    orphans: Counter = field(default_factory=Counter)
    module_at: str | None = None

    def expected_counts(self) -> Counter:
        counts = Counter(self.orphans)
        for handle in self.handles + self.graveyard:
            counts.update(handle.path)
        if self.module_at is not None:
            counts[self.module_at] += 2
        return counts


class PointerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.hook = sy.TorchHook(torch)
        reset_world()
        self.workers = {w: sy.VirtualWorker(self.hook, id=w) for w in WORKERS}
        self.ref = Reference()
        self.model = torch.nn.Linear(2, 1)

    def handle(self, index: int) -> Handle:
        return self.ref.handles[index % len(self.ref.handles)]

    def forget(self, handle: Handle) -> None:
        self.ref.handles.remove(handle)

    @rule(worker=st.sampled_from(WORKERS), value=st.lists(st.integers(-5, 5), min_size=3, max_size=3))
    def send(self, worker: str, value: list[int]) -> None:
        pointer = torch.tensor(value).send(self.workers[worker])
        self.ref.handles.append(Handle(pointer, [worker], value))

    @precondition(lambda self: self.ref.handles)
    @rule(index=st.integers(0, 50), worker=st.sampled_from(WORKERS))
    def send_pointer(self, index: int, worker: str) -> None:
        handle = self.handle(index)
        if worker == handle.path[0]:
            with pytest.raises(errors.PointerCycleError):
                handle.pointer.send(self.workers[worker])
            return
        new = handle.pointer.send(self.workers[worker])
        self.forget(handle)
        self.ref.handles.append(Handle(new, [worker, *handle.path], handle.value))

    @precondition(lambda self: self.ref.handles)
    @rule(index=st.integers(0, 50))
    def get(self, index: int) -> None:
        handle = self.handle(index)
        result = handle.pointer.get()
        self.forget(handle)
        if len(handle.path) == 1:
            assert result.tolist() == handle.value
        else:
            self.ref.handles.append(Handle(result, handle.path[1:], handle.value))

    @precondition(lambda self: self.ref.handles)
    @rule(index=st.integers(0, 50), worker=st.sampled_from(WORKERS))
    def move(self, index: int, worker: str) -> None:
        handle = self.handle(index)
        if worker == handle.path[0]:
            # Already there: nothing moves.
            assert handle.pointer.move(self.workers[worker]) is handle.pointer
            return
        if len(handle.path) > 1 and worker == handle.path[1]:
            with pytest.raises(errors.PointerCycleError):
                handle.pointer.move(self.workers[worker])
            return
        assert handle.pointer.move(self.workers[worker]) is handle.pointer
        handle.path[0] = worker

    @precondition(lambda self: self.ref.handles)
    @rule(index=st.integers(0, 50))
    def remote_get(self, index: int) -> None:
        handle = self.handle(index)
        if len(handle.path) == 1:
            with pytest.raises(errors.InvalidTensorForRemoteGet):
                handle.pointer.remote_get()
            return
        handle.pointer.remote_get()
        del handle.path[1]
        if len(handle.path) > 1 and handle.path[1] == handle.path[0]:
            del handle.path[1]  # a chain that came back (bob -> alice -> bob): bob keeps the data itself

    @precondition(lambda self: self.ref.handles)
    @rule(a=st.integers(0, 50), b=st.integers(0, 50))
    def add(self, a: int, b: int) -> None:
        first, second = self.handle(a), self.handle(b)
        if first.path != second.path:
            with pytest.raises(errors.TensorsNotCollocatedException):
                _ = first.pointer + second.pointer
            return
        result = first.pointer + second.pointer
        value = [x + y for x, y in zip(first.value, second.value, strict=True)]
        self.ref.handles.append(Handle(result, list(first.path), value))

    @precondition(lambda self: self.ref.handles)
    @rule(index=st.integers(0, 50), amount=st.integers(-3, 3))
    def add_in_place(self, index: int, amount: int) -> None:
        handle = self.handle(index)
        assert handle.pointer.add_(amount) is handle.pointer
        handle.value = [v + amount for v in handle.value]

    @precondition(lambda self: self.ref.handles)
    @rule(index=st.integers(0, 50))
    def delete(self, index: int) -> None:
        self.forget(self.handle(index))

    @rule(worker=st.sampled_from(WORKERS))
    def recreate_worker(self, worker: str) -> None:
        self.workers[worker] = sy.VirtualWorker(self.hook, id=worker)

    @rule(worker=st.sampled_from(WORKERS))
    def clear_objects(self, worker: str) -> None:
        assert self.workers[worker].clear_objects() is self.workers[worker]
        self.ref.orphans[worker] = 0
        for handle in [h for h in self.ref.handles if worker in h.path]:
            self.forget(handle)
            self.ref.graveyard.append(handle)
        for handle in self.ref.graveyard:
            if worker in handle.path:
                cut = handle.path.index(worker)
                self.ref.orphans.update(w for w in handle.path[cut + 1 :] if w != worker)
                handle.path = handle.path[:cut]
        if self.ref.module_at == worker:
            self.ref.module_at = None
            self.model = torch.nn.Linear(2, 1)  # its parameters now point at nothing: start afresh

    @rule(worker=st.sampled_from(WORKERS))
    def send_module(self, worker: str) -> None:
        if self.ref.module_at is not None:
            with pytest.raises(errors.UnsupportedRemoteValueError):
                self.model.send(self.workers[worker])
            return
        assert self.model.send(self.workers[worker]) is self.model
        self.ref.module_at = worker

    @precondition(lambda self: self.ref.module_at is not None)
    @rule()
    def get_module(self) -> None:
        assert self.model.get() is self.model
        self.ref.module_at = None

    @precondition(lambda self: self.ref.module_at is not None)
    @rule(worker=st.sampled_from(WORKERS))
    def move_module(self, worker: str) -> None:
        assert self.model.move(self.workers[worker]) is None
        self.ref.module_at = worker

    @invariant()
    def every_live_pointer_resolves_to_its_value(self) -> None:
        for handle in self.ref.handles:
            obj: Any = handle.pointer
            for worker in handle.path:
                assert obj.location.id == worker
                obj = WORLD.workers[worker].object_store.objects[obj.id_at_location]
            assert not getattr(obj, "is_pointer", False) and obj.tolist() == handle.value

    @invariant()
    def stores_hold_exactly_what_the_model_expects(self) -> None:
        # No gc.collect() here: reference counting alone must free pointers (no cycles keep them).
        expected = self.ref.expected_counts()
        actual = Counter({w: len(WORLD.workers[w].object_store.objects) for w in WORKERS})
        assert +actual == +expected
        assert WORLD.local_worker._objects == {}

    @invariant()
    def snapshot_agrees_with_the_stores(self) -> None:
        snapshot = WORLD.snapshot()
        for view in snapshot.workers:
            if view.id in WORKERS:
                assert [o.id for o in view.objects] == list(WORLD.workers[view.id].object_store.objects)
        shown = {p.id for p in snapshot.worker("me").pointers}
        assert {h.pointer.id for h in self.ref.handles} <= shown

    def teardown(self) -> None:
        self.ref.handles.clear()
        self.ref.graveyard.clear()
        self.model = None  # type: ignore[assignment]
        gc.collect()
        leftovers = Counter({w: len(WORLD.workers[w].object_store.objects) for w in WORKERS})
        assert +leftovers == +self.ref.orphans, "dropping every pointer deletes all but the orphans"
        reset_world()


PointerMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=200,  # hundreds of operations per sequence
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
test_random_operation_sequences_lose_and_leak_nothing = PointerMachine.TestCase
