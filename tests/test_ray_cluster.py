"""Ray workers on a multi-node cluster (simulated on this machine with ``ray.cluster_utils.Cluster``).

A head and one node per site, all on 127.0.0.1. Workers are placed with ``ray_options``; nodes are
killed the way a machine dies (``remove_node(..., allow_graceful=False)``); stores must be exact
after deletes along chains of actors. One cluster serves the whole module: starting nodes costs
seconds each on a small machine, so the tests that kill a node add a node of their own first.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch

import syft_widgets as sy
from syft_widgets.diagram import to_dot
from syft_widgets.errors import InvalidRayOptionsError, WorkerOfflineError
from syft_widgets.events import Step
from syft_widgets.ray import session
from syft_widgets.world import WORLD
from tests.helpers import workers_set_aside
from tests.ray_tutorial import PART3, run_part3, swapped, virtual_worker

ray = pytest.importorskip("ray")
cluster_utils = pytest.importorskip("ray.cluster_utils")

pytestmark = [pytest.mark.ray, pytest.mark.slow]

MB = 1024 * 1024
NODE_ARGS = dict(num_cpus=0, object_store_memory=80 * MB)  # small: every node shares two cores
SITES = ("bob", "alice")
IDS = ("bob", "alice", "carol", "dave", "erin", "frank")


@dataclass
class Site:
    """The module's cluster: the hook, the cluster and its nodes by site name."""

    hook: Any
    cluster: Any
    nodes: dict[str, Any] = field(default_factory=dict)

    def add_node(self, site: str) -> Any:
        with session.loopback_only(ray):
            self.nodes[site] = self.cluster.add_node(resources={f"site_{site}": 1}, **NODE_ARGS)
        self.cluster.wait_for_nodes()
        return self.nodes[site]

    def kill(self, site: str) -> None:
        """The machine of ``site`` dies: its raylet and services are killed at once."""
        self.cluster.remove_node(self.nodes.pop(site), allow_graceful=False)

    def worker(self, worker_id: str, site: str | None = None, **options: Any) -> Any:
        ray_options = {"resources": {f"site_{site or worker_id}": 1}, **options}
        worker = sy.RayWorker(self.hook, id=worker_id, ray_options=ray_options)
        worker.clear_objects()  # an actor outlives a test; start from an empty store
        return worker


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    hook = sy.TorchHook(torch)
    with workers_set_aside(*IDS):
        sy.ray.shutdown()  # a session left by another module would not be this cluster
        with session.loopback_only(ray):
            cluster = cluster_utils.Cluster(
                initialize_head=True,
                head_node_args=dict(include_dashboard=False, resources={"site_head": 4}, **NODE_ARGS),
            )
        found = Site(hook, cluster)
        for name in SITES:
            found.add_node(name)
        sy.ray.init(cluster.address)
        yield found
        sy.ray.shutdown()
        cluster.shutdown()


@pytest.fixture
def bob(site: Site) -> Any:
    return site.worker("bob")


@pytest.fixture
def alice(site: Site) -> Any:
    return site.worker("alice")


# --- placement ---------------------------------------------------------------------------------
def test_each_worker_runs_on_the_node_its_ray_options_ask_for(site: Site, bob: Any, alice: Any) -> None:
    assert bob.node_id == site.nodes["bob"].node_id
    assert alice.node_id == site.nodes["alice"].node_id
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    carol = sy.RayWorker(
        site.hook,
        id="carol",
        ray_options={
            "scheduling_strategy": NodeAffinitySchedulingStrategy(alice.node_id, soft=False),
            "runtime_env": {"env_vars": {"SYFT_SITE": "clinic"}},  # any other actor option passes through
        },
    )
    assert carol.node_id == alice.node_id and carol.pid != alice.pid
    assert ray.get(carol.actor.__ray_call__.remote(lambda host: os.environ.get("SYFT_SITE"))) == "clinic"


def test_the_diagram_badge_names_the_node_of_each_ray_worker(site: Site, bob: Any, alice: Any) -> None:
    torch.ones(2).send(bob)
    snapshot = WORLD.snapshot()
    assert snapshot.worker("bob").placement == site.nodes["bob"].node_id[:8]
    assert snapshot.worker("alice").placement == site.nodes["alice"].node_id[:8]
    assert snapshot.worker("me").placement is None
    english = to_dot(snapshot, lang="en", legend=False)
    bengali = to_dot(snapshot, lang="bn", legend=False)
    for worker in (bob, alice):
        assert f"{worker.id}\\nRay · node {worker.node_id[:8]}" in english
        assert f"Ray · নোড {worker.node_id[:8]}" in bengali


RAY_OPTIONS_REFUSED = [
    ("name", {"name": "mine"}, r"'name'.*syft_widgets:<id>"),
    ("detached", {"lifetime": "detached"}, r"'lifetime'.*sy\.ray\.shutdown"),
    ("restarts", {"max_restarts": 3}, r"'max_restarts'.*empty store"),
    ("task-retries", {"max_task_retries": 1}, r"'max_task_retries'.*twice"),
    ("concurrency", {"max_concurrency": 2}, r"'max_concurrency'.*one message at a time"),
    ("out-of-order", {"allow_out_of_order_execution": True}, r"in the order"),
    ("private", {"_labels": {"a": "b"}}, r"private"),
    ("unknown-key", {"resourcez": {"site_bob": 1}}, r"refused by Ray.*resourcez"),
    ("bad-value", {"num_cpus": "two"}, r"refused by Ray.*num_cpus"),
    ("not-a-dict", ["resources"], r"must be a dict"),
]


@pytest.mark.parametrize(
    ("options", "match"), [c[1:] for c in RAY_OPTIONS_REFUSED], ids=[c[0] for c in RAY_OPTIONS_REFUSED]
)
def test_ray_options_a_worker_cannot_use_are_refused_with_the_reason(
    site: Site, options: Any, match: str
) -> None:
    with pytest.raises(InvalidRayOptionsError, match=match):
        sy.RayWorker(site.hook, id="frank", ray_options=options)
    assert "frank" not in WORLD.workers


def test_a_resource_no_node_has_is_refused_at_once_instead_of_waiting_forever(site: Site) -> None:
    start = time.perf_counter()
    with pytest.raises(InvalidRayOptionsError, match=r"'site_nowhere'.*site_alice.*site_bob"):
        sy.RayWorker(site.hook, id="frank", ray_options={"resources": {"site_nowhere": 1}})
    assert time.perf_counter() - start < 5
    assert "frank" not in WORLD.workers


def test_a_worker_no_node_can_place_gives_up_after_the_start_timeout(site: Site, monkeypatch: Any) -> None:
    monkeypatch.setattr(sy.ray.settings, "start_timeout_s", 2.0)
    start = time.perf_counter()
    with pytest.raises(WorkerOfflineError, match=r"'frank' did not start: no answer within 2 s"):
        sy.RayWorker(site.hook, id="frank", ray_options={"resources": {"site_bob": 5}})  # bob's node has 1
    assert time.perf_counter() - start < 10
    assert "frank" not in WORLD.workers
    with pytest.raises(ValueError):  # the waiting actor was ended, so it cannot start later
        ray.get_actor("syft_widgets:frank", namespace=sy.ray.NAMESPACE)


# --- the seed lesson, with bob and alice on different nodes ----------------------------------
def test_seed_lesson_runs_across_nodes_with_the_same_cells_and_stores_as_virtual_workers(site: Site) -> None:
    cells = [*PART3, "del x", "bob._objects", "alice._objects"]
    with swapped("bob", "alice"):
        virtual = run_part3(virtual_worker(site.hook), cells)
    with swapped("bob", "alice"):
        on_nodes = run_part3(site.worker, cells)
    assert on_nodes == virtual
    assert virtual[-4:] == [[], (0, 0), [], (0, 0)], "the final del empties both stores at once"


# --- exact stores --------------------------------------------------------------------------------
def test_deleting_a_chain_empties_every_store_along_it_at_once(site: Site, bob: Any, alice: Any) -> None:
    p2p2x = torch.tensor([1, 2, 3, 4, 5]).send(bob).send(alice)
    assert (len(bob._objects), len(alice._objects)) == (1, 1)
    del p2p2x
    # No waiting and no polling: the very next read shows alice's delete and its cascade to bob.
    assert bob._objects == {} and alice._objects == {}
    assert repr(bob) == "<RayWorker id:bob #objects:0>"


def test_a_three_hop_chain_and_many_dropped_chains_leave_no_object_behind(
    site: Site, bob: Any, alice: Any
) -> None:
    carol = site.worker("carol", site="head")
    keep = torch.tensor([9]).send(bob)
    chains = [torch.tensor([i]).send(bob).send(alice).send(carol) for i in range(40)]
    assert [len(w._objects) for w in (bob, alice, carol)] == [41, 40, 40]
    del chains  # more deletes than one batch: some go out on their own, the rest wait for a read
    snapshot = WORLD.snapshot()
    assert [len(snapshot.worker(w).objects) for w in ("carol", "alice", "bob")] == [0, 0, 1]
    assert list(bob._objects) == [keep.id_at_location]


def test_with_a_live_view_the_gc_step_shows_the_whole_cascade(site: Site, bob: Any, alice: Any) -> None:
    p2p2x = torch.tensor([1, 2, 3]).send(bob).send(alice)
    steps: list[Step] = []
    unsubscribe = WORLD.bus.subscribe_steps(steps.append)
    try:
        del p2p2x
    finally:
        unsubscribe()
    gc = [s for s in steps if s.op == "gc"]
    assert gc, [s.op for s in steps]
    last = gc[-1].snapshot
    assert last.worker("alice").objects == () and last.worker("bob").objects == ()


# --- node death ----------------------------------------------------------------------------------
def test_a_dead_node_gives_a_clear_error_within_2_s_and_the_rest_keeps_working(site: Site, bob: Any) -> None:
    site.add_node("dave")
    dave = site.worker("dave")
    on_dave = torch.tensor([3, 4]).send(dave)
    x = torch.tensor([1, 2]).send(bob)
    site.kill("dave")
    start = time.perf_counter()
    with pytest.raises(WorkerOfflineError, match=r"'dave' is offline.*node"):
        on_dave + on_dave
    assert time.perf_counter() - start < 2.0
    snapshot = WORLD.snapshot()
    assert not snapshot.worker("dave").online and snapshot.worker("bob").online
    assert snapshot.worker("dave").placement == dave.placement, "the badge still says where it was"
    assert "dave (offline)" in to_dot(snapshot, legend=False)

    with pytest.raises(WorkerOfflineError, match="'dave'"):
        x.move(dave)
    assert [t.tolist() for t in bob._objects.values()] == [[1, 2]], "the source still holds the tensor"
    assert torch.equal((x * 2).get(), torch.tensor([2, 4])), "bob keeps working"

    again = site.worker("dave", site="head")
    assert again.online and again.node_id != dave.node_id
    assert torch.equal((torch.tensor([5]).send(again) + 1).get(), torch.tensor([6]))
    with pytest.raises(WorkerOfflineError, match=r"'dave' is offline.*new actor that does not have them"):
        on_dave + on_dave
    del on_dave  # garbage collection towards the dead actor neither raises nor waits


def test_a_worker_whose_process_is_already_gone_is_reported_offline_without_hanging(site: Site) -> None:
    import psutil

    site.add_node("erin")
    erin = site.worker("erin")
    ptr = torch.tensor([1]).send(erin)
    pid = erin.pid
    site.kill("erin")
    deadline = time.monotonic() + 30
    while psutil.pid_exists(pid) and time.monotonic() < deadline:  # Ray ends it shortly after its node
        time.sleep(0.1)
    start = time.perf_counter()
    with pytest.raises(WorkerOfflineError, match="'erin' is offline"):
        ptr + ptr
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"reported offline after {elapsed:.2f} s"
    del ptr


def test_a_move_whose_target_dies_meanwhile_leaves_the_tensor_on_the_source(site: Site, bob: Any) -> None:
    site.add_node("frank")
    frank = site.worker("frank")
    x = torch.tensor([7, 8, 9]).send(bob)
    frank.actor.__ray_call__.remote(lambda host: time.sleep(4))  # frank is busy: the move waits for him
    killer = threading.Timer(1.0, site.kill, args=("frank",))
    killer.start()
    start = time.perf_counter()
    try:
        with pytest.raises(WorkerOfflineError, match="'frank'"):
            x.move(frank)
    finally:
        killer.join()
    assert time.perf_counter() - start < 15, "the move failed instead of hanging"
    assert [t.tolist() for t in bob._objects.values()] == [[7, 8, 9]]
    assert x.location is bob and torch.equal(x.get(), torch.tensor([7, 8, 9]))
    start = time.perf_counter()
    with pytest.raises(WorkerOfflineError, match="'frank' is offline"):
        torch.ones(1).send(frank)  # the driver learns it on its own next call
    assert time.perf_counter() - start < 2.0
    assert not WORLD.snapshot().worker("frank").online


def test_every_node_of_the_test_cluster_listens_on_loopback_only(site: Site) -> None:
    import ipaddress

    import psutil

    nodes = [site.cluster.head_node, *site.cluster.worker_nodes]
    pids = {
        info.process.pid
        for node in nodes
        for infos in node.all_processes.values()
        for info in infos
        if info.process is not None
    }
    procs = [psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)]
    for proc in list(procs):
        procs.extend(proc.children(recursive=True))  # worker actors are the raylets' children
    listening = []
    for proc in procs:
        try:
            connections = proc.net_connections(kind="inet")
        except psutil.NoSuchProcess:  # a process of a node killed by an earlier test
            continue
        listening += [c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN]
    assert listening, "found no listening Ray process to check"
    exposed = [ip for ip in listening if not ipaddress.ip_address(ip.removeprefix("::ffff:")).is_loopback]
    assert not exposed, f"the cluster listens beyond loopback: {exposed}"
