"""Ray workers: the tutorials give the same results and object counts as with virtual workers; events
reach the driver; a killed worker is reported offline quickly while the others keep working.

One Ray session serves the whole module (starting Ray costs seconds on a small machine).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch

import syft_widgets as sy
from syft_widgets import messages as m
from syft_widgets.errors import ObjectNotFoundError, TensorsNotCollocatedException, WorkerOfflineError
from syft_widgets.events import MessageSent, ObjectStored, Step
from syft_widgets.world import WORLD
from tests.helpers import workers_set_aside
from tests.ray_tutorial import PART3, counts, ray_worker, run_cell, run_part3, swapped, virtual_worker

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.ray

TUTORIAL_IDS = ("bob", "alice", "secure_worker")


@pytest.fixture(scope="module")
def hook() -> Iterator[Any]:
    """One Ray session for the module; the world's workers are put back as they were afterwards."""
    hook = sy.TorchHook(torch)
    with workers_set_aside(*TUTORIAL_IDS):
        sy.ray.init()
        yield hook
        sy.ray.shutdown()


def test_seed_part3_cells_show_and_store_the_same_as_with_virtual_workers(hook: Any) -> None:
    with swapped("bob", "alice"):
        virtual = run_part3(virtual_worker(hook))
    with swapped("bob", "alice"):
        on_ray = run_part3(ray_worker(hook))
    assert on_ray == virtual
    # A few of the spec's landmarks, so the comparison cannot pass by both being wrong alike.
    shown, stores = virtual[0::2], virtual[1::2]
    assert shown[PART3.index("y.get().get()")] == [2, 4, 6, 8, 10]
    assert shown[-1] == ("pointer", "me", "alice")
    assert shown[-2] == [("tensor", [1, 2, 3, 4, 5])] and shown[-3] == []
    assert stores[-1] == (0, 1)


def test_part3_ids_and_reprs_follow_pysyft_on_ray(hook: Any) -> None:
    with swapped("bob", "alice"):
        bob, alice = ray_worker(hook)("bob"), ray_worker(hook)("alice")
        x = torch.tensor([1, 2, 3, 4])
        x_ptr = x.send(bob)
        p2p = x_ptr.send(alice)
        assert list(bob._objects) == [x.id] == [x_ptr.id_at_location]
        assert (
            repr(alice._objects)
            == f"{{{x_ptr.id}: (Wrapper)>[PointerTensor | alice:{x_ptr.id} -> bob:{x.id}]}}"
        )
        assert repr(bob) == "<RayWorker id:bob #objects:1>"
        back = p2p.get()
        assert (back.id, back.id_at_location) == (x_ptr.id, x.id)
        assert torch.equal(back.get(), x)
        with pytest.raises(ObjectNotFoundError, match="not found on worker"):
            bob.receive(m.RequestObject(m.ObjectRef(12345)), "me")


# --- tutorial Part 4: model averaging with a trusted aggregator ---------------------------------
PART4 = [
    "bob = W('bob')\nalice = W('alice')\nsecure_worker = W('secure_worker')\n"
    "data = torch.tensor([[0,0],[0,1],[1,0],[1,1.]], requires_grad=True)\n"
    "target = torch.tensor([[0],[0],[1],[1.]], requires_grad=True)\n"
    "bobs_data = data[0:2].send(bob)\nbobs_target = target[0:2].send(bob)\n"
    "alices_data = data[2:].send(alice)\nalices_target = target[2:].send(alice)",
    "torch.manual_seed(0)\nmodel = nn.Linear(2,1)\n"
    "bobs_model = model.copy().send(bob)\nalices_model = model.copy().send(alice)\n"
    "bobs_opt = optim.SGD(params=bobs_model.parameters(), lr=0.1)\n"
    "alices_opt = optim.SGD(params=alices_model.parameters(), lr=0.1)",
    "losses = []\nfor i in range(10):\n"
    "    bobs_opt.zero_grad()\n    bobs_pred = bobs_model(bobs_data)\n"
    "    bobs_loss = ((bobs_pred - bobs_target)**2).sum()\n    bobs_loss.backward()\n"
    "    bobs_opt.step()\n    bobs_loss = bobs_loss.get().data\n"
    "    alices_opt.zero_grad()\n    alices_pred = alices_model(alices_data)\n"
    "    alices_loss = ((alices_pred - alices_target)**2).sum()\n    alices_loss.backward()\n"
    "    alices_opt.step()\n    alices_loss = alices_loss.get().data\n"
    "    losses.append((bobs_loss.item(), alices_loss.item()))",
    "alices_model.move(secure_worker)",
    "bobs_model.move(secure_worker)",
    "with torch.no_grad():\n"
    "    model.weight.set_(((alices_model.weight.data + bobs_model.weight.data) / 2).get())\n"
    "    model.bias.set_(((alices_model.bias.data + bobs_model.bias.data) / 2).get())",
]
PART4_COUNTS = [(2, 2, 0), (4, 4, 0), (5, 5, 0), (5, 3, 2), (3, 3, 4), (3, 3, 4)]


def run_part4(make: Callable[[str], Any]) -> tuple[list[tuple[int, ...]], Any, list[float]]:
    from torch import nn, optim

    ns: dict[str, Any] = {"torch": torch, "nn": nn, "optim": optim, "W": make}
    seen = []
    for cell in PART4:
        assert run_cell(ns, cell) is None
        seen.append(counts(ns, "bob", "alice", "secure_worker"))
    weights = torch.cat([ns["model"].weight.detach().flatten(), ns["model"].bias.detach()]).tolist()
    return seen, weights, ns["losses"]


def test_part4_averaging_gives_the_same_model_and_object_counts_as_virtual_workers(hook: Any) -> None:
    with swapped(*TUTORIAL_IDS):
        virtual = run_part4(virtual_worker(hook))
    with swapped(*TUTORIAL_IDS):
        on_ray = run_part4(ray_worker(hook))
    assert virtual[0] == PART4_COUNTS
    assert on_ray[0] == PART4_COUNTS
    assert on_ray[2] == virtual[2], "the same losses, step by step"
    assert on_ray[1] == virtual[1], "the same averaged model"


def test_averaging_before_the_move_is_refused_as_with_virtual_workers(hook: Any) -> None:
    with swapped("bob", "alice"):
        bob, alice = ray_worker(hook)("bob"), ray_worker(hook)("alice")
        with pytest.raises(TensorsNotCollocatedException):
            torch.ones(2).send(bob) + torch.ones(2).send(alice)


# --- pointers, autograd, modules, garbage collection -------------------------------------------
def test_autograd_runs_on_the_worker_and_grad_comes_back(hook: Any) -> None:
    with swapped("bob"):
        bob = ray_worker(hook)("bob")
        x = torch.tensor([1, 2, 3, 4, 5.0], requires_grad=True).send(bob)
        y = torch.tensor([1, 2, 3, 4, 5.0], requires_grad=True).send(bob)
        z = (x + y).sum()
        z.backward()
        x = x.get()
        assert x.requires_grad and torch.equal(x.grad, torch.ones(5))
        assert torch.equal(torch.nn.functional.relu(y - 3).get(), torch.tensor([0, 0, 0, 1, 2.0]))


def test_a_module_is_sent_trained_moved_and_fetched_in_place(hook: Any) -> None:
    with swapped("bob", "alice"):
        bob, alice = ray_worker(hook)("bob"), ray_worker(hook)("alice")
        torch.manual_seed(1)
        model = torch.nn.Linear(2, 1)
        weight = model.weight
        model.send(bob)
        assert model.location is bob and len(bob._objects) == 2
        model.move(alice)
        assert model.location is alice and counts({"b": bob, "a": alice}, "b", "a") == (0, 2)
        model.get()
        assert model.weight is weight and not model.weight.is_pointer
        assert counts({"b": bob, "a": alice}, "b", "a") == (0, 0)


def test_dropping_pointers_deletes_remote_objects_without_waiting(hook: Any) -> None:
    with swapped("bob", "alice"):
        bob, alice = ray_worker(hook)("bob"), ray_worker(hook)("alice")
        keep = torch.ones(3).send(bob)
        start = time.perf_counter()
        for _ in range(100):
            temp = keep + 1
        del temp
        elapsed = time.perf_counter() - start
        chain = torch.ones(2).send(bob).send(alice)
        assert counts({"b": bob, "a": alice}, "b", "a") == (2, 1)
        del chain
        # Exact at once: reading a store first delivers alice's delete and its cascade to bob.
        assert counts({"b": bob, "a": alice}, "b", "a") == (1, 0)
        assert elapsed < 100 * 0.05


def test_a_second_worker_with_the_same_id_attaches_to_the_running_actor(hook: Any) -> None:
    with swapped("bob"):
        bob = ray_worker(hook)("bob")
        x_ptr = torch.tensor([7]).send(bob)
        again = sy.RayWorker(hook, id="bob")
        assert again.pid == bob.pid
        assert list(again._objects) == [x_ptr.id_at_location]
        assert again.kind == "ray" and WORLD.workers["bob"] is again


# --- events reach the driver's bus --------------------------------------------------------------
def test_move_is_one_step_whose_message_goes_from_bob_to_alice(hook: Any) -> None:
    with swapped("bob", "alice"):
        bob, alice = ray_worker(hook)("bob"), ray_worker(hook)("alice")
        x = torch.tensor([1, 2, 3, 4, 5]).send(bob)
        steps: list[Step] = []
        unsubscribe = WORLD.bus.subscribe_steps(steps.append)
        try:
            x = x.move(alice)
            del x
        finally:
            unsubscribe()
        move = next(s for s in steps if s.op == "move")
        messages = [(e.sender, e.receiver, e.message) for e in move.events if isinstance(e, MessageSent)]
        assert ("me", "bob", "command") in messages
        assert ("bob", "alice", "send object") in messages, messages
        assert any(isinstance(e, ObjectStored) and e.worker == "alice" for e in move.events)
        views = {w.id: w for w in move.snapshot.workers}
        assert views["bob"].kind == "ray" and views["bob"].online and views["bob"].objects == ()
        assert [o.preview for o in views["alice"].objects] == ["[1, 2, 3, 4, 5]"]
        gc = [s for s in steps if s.op == "gc"]
        assert gc and not gc[-1].snapshot.worker("alice").objects, "garbage collection shows in the diagram"


def test_with_a_live_view_and_no_event_wait_gc_is_fire_and_forget(hook: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(sy.ray.settings, "gc_event_wait_s", 0.0)
    with swapped("bob"):
        bob = ray_worker(hook)("bob")
        ptr = torch.ones(2).send(bob)
        steps: list[Step] = []
        unsubscribe = WORLD.bus.subscribe_steps(steps.append)
        try:
            del ptr
        finally:
            unsubscribe()
        assert [s.op for s in steps] == ["gc"]
        assert steps[0].snapshot.worker("bob").objects == (), "the snapshot is taken after the delete"


# --- faults ------------------------------------------------------------------------------------
def _wait_until_gone(pid: int, timeout: float = 10.0) -> None:
    """Return once process ``pid`` has ended (gone, or a zombie its parent has not reaped yet)."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.02)
    raise AssertionError(f"the worker's process {pid} was still running {timeout} s after it was killed")


@pytest.mark.parametrize("how", ["ray.kill", "SIGKILL"])
def test_a_killed_worker_is_reported_offline_quickly_and_others_keep_working(hook: Any, how: str) -> None:
    with swapped("bob", "victim"):
        bob, victim = ray_worker(hook)("bob"), ray_worker(hook)("victim")
        on_bob = torch.tensor([1, 2]).send(bob)
        on_victim = torch.tensor([3, 4]).send(victim)
        if how == "ray.kill":
            ray.kill(victim.actor)
        else:
            os.kill(victim.pid, signal.SIGKILL)
        # ray.kill only asks Ray to end the actor: a call made at once may still reach it alive and
        # succeed. The promise is about a worker that has died, so wait until its process has ended.
        _wait_until_gone(victim.pid)
        start = time.perf_counter()
        with pytest.raises(WorkerOfflineError, match="victim"):
            on_victim + on_victim
        assert time.perf_counter() - start < 2.0
        assert not victim.online
        assert repr(victim) == "<RayWorker id:victim offline>"
        snapshot = WORLD.snapshot()
        assert not snapshot.worker("victim").online and snapshot.worker("bob").online
        del on_victim  # garbage collection towards a dead worker neither raises nor waits
        assert torch.equal((on_bob * 2).get(), torch.tensor([2, 4]))
        with pytest.raises(WorkerOfflineError, match="victim"):
            torch.ones(1).send(victim)


# --- loopback only -----------------------------------------------------------------------------
def test_local_ray_listens_on_loopback_only(hook: Any) -> None:
    import ipaddress

    import psutil

    node = ray._private.worker._global_node
    pids = {info.process.pid for infos in node.all_processes.values() for info in infos if info.process}
    procs = [psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)]
    for proc in list(procs):
        procs.extend(proc.children(recursive=True))
    listening = [
        (proc.name(), c.laddr.ip, c.laddr.port)
        for proc in procs
        if proc.is_running()
        for c in proc.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert listening, "found no listening Ray process to check"
    exposed = [
        entry for entry in listening if not ipaddress.ip_address(entry[1].removeprefix("::ffff:")).is_loopback
    ]
    assert not exposed, f"Ray listens beyond loopback: {exposed}"
    assert ipaddress.ip_address(ray.util.get_node_ip_address()).is_loopback


# --- shutdown (last: it ends the module's Ray session) ------------------------------------------
def test_zz_shutdown_with_a_dead_worker_is_quick_and_leaves_workers_offline(hook: Any) -> None:
    with swapped("victim"):
        victim = ray_worker(hook)("victim")
        ptr = torch.ones(1).send(victim)
        ray.kill(victim.actor)
        start = time.perf_counter()
        sy.ray.shutdown()
        assert time.perf_counter() - start < sy.ray.settings.shutdown_timeout_s + 1
        assert not victim.online
        with pytest.raises(WorkerOfflineError):
            ptr + ptr
        del ptr
