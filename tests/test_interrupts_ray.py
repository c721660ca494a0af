"""The stop button with Ray workers: an interrupted call completes or has no effect; deletes arrive.

The driver waits for an actor's answer with the interrupt held, so a call that went out completes
and its result is adopted (or dropped, which deletes it). A read of a store first delivers the
deletes waiting to ride along with the next message; an interrupt during that read loses none.
Interrupts come as real SIGINTs, as in ``test_interrupts.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch

import syft_widgets as sy
from tests.conftest import Env
from tests.helpers import workers_set_aside
from tests.interrupting import AtCall, Timer, alarms, flush_owed_interrupt, random_run

ray = pytest.importorskip("ray")

pytestmark = [pytest.mark.ray, pytest.mark.slow]

IDS = ("bob", "alice", "secure_worker")


@pytest.fixture(scope="module")
def ray_env() -> Iterator[Env]:
    """Three Ray workers with the tutorial's ids; the world's workers are put back afterwards."""
    hook = sy.TorchHook(torch)
    with workers_set_aside(*IDS):
        sy.ray.init()
        workers = [sy.RayWorker(hook, id=worker_id) for worker_id in IDS]
        yield Env(hook, hook.local_worker, *workers)
        sy.ray.shutdown()


@pytest.fixture
def timer() -> Iterator[Timer]:
    with alarms() as source:
        yield source


@pytest.fixture
def clean(ray_env: Env) -> Env:
    for worker in (ray_env.bob, ray_env.alice, ray_env.secure_worker):
        worker.clear_objects()
    return ray_env


def test_randomly_interrupted_operations_on_ray_workers_lose_nothing(clean: Env, timer: Timer) -> None:
    report = random_run(clean, timer, seed=21, count=300, revisit=False)
    assert report.failures == [], (report.failures, report.kinds)
    assert report.caught == report.sent
    assert report.sent > report.ops // 4, report


def _garbage(env: Env) -> list[Any]:
    """Pointers kept, after dropping others whose deletes now wait to ride along (chains included)."""
    kept = [torch.tensor([1.0, 2.0]).send(env.bob), torch.tensor([3.0]).send(env.alice).send(env.bob)]
    for i in range(3):
        dropped = torch.tensor([float(i)]).send(env.bob)
        del dropped
    chain = torch.tensor([9.0]).send(env.alice).send(env.bob)
    del chain
    return kept


def test_an_interrupted_read_of_a_ray_store_loses_no_delete(clean: Env) -> None:
    """``bob._objects`` delivers waiting deletes first; interrupted at any moment, none is lost."""
    counter = AtCall(None)
    kept = _garbage(clean)
    counter.run(lambda: clean.bob._objects)
    expected = {"bob": 2, "alice": 1}  # kept: a tensor and a pointer on bob, a tensor on alice
    del kept
    tried = 0
    for k in range(0, counter.seen, max(1, counter.seen // 40)):
        for worker in (clean.bob, clean.alice):
            worker.clear_objects()
        kept = _garbage(clean)
        inject = AtCall(k)
        interrupted, _ = inject.run(lambda: clean.bob._objects)
        owed = flush_owed_interrupt()
        if not inject.sent:
            break
        tried += 1
        assert interrupted + owed == 1, f"moment {k}: the interrupt did not reach the learner once"
        held = {"bob": len(clean.bob._objects), "alice": len(clean.alice._objects)}
        assert held == expected, f"moment {k}/{counter.seen}: {held}"
        del kept
    assert tried > 10
