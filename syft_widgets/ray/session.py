"""The Ray session: start a small loopback-only Ray on this machine, or join a cluster; shut it down.

By default nothing listens beyond 127.0.0.1: Ray runs arbitrary pickled code for anyone who can
reach its ports, so a learner's laptop must never offer them to the network. Joining a cluster is an
explicit ``address=`` (see docs/ray.md for what such a cluster needs).
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "NAMESPACE",
    "Settings",
    "in_actor",
    "init",
    "init_in_actor",
    "is_active",
    "loopback_only",
    "on_shutdown",
    "require_ray",
    "settings",
    "shutdown",
]

NAMESPACE = "syft_widgets"
"""The Ray namespace of every worker actor, so drivers and actors find each other by name."""

DEATH_INFO_WAIT = "RAY_timeout_ms_task_wait_for_death_info"
"""Ray's wait (ms) for why an actor call failed before it reports the failure; see :func:`init`."""

INSTALL_HINT = 'Ray workers need Ray: pip install "syft-widgets[ray]"'


class Settings:
    """Knobs of the Ray backend; change them before the first ``sy.RayWorker``."""

    def __init__(self) -> None:
        self.timeout_s = 60.0  # longest wait for one operation before the worker counts as offline
        self.start_timeout_s = (
            60.0  # longest wait for a new worker actor to start (its process imports torch)
        )
        self.probe_timeout_s = 2.0  # wait for a diagram's look at a worker (online, object views)
        # With a live view open, a garbage-collection delete waits this long for the actor's events
        # so the diagram can draw the removal; 0 makes it pure fire-and-forget (the removal then
        # shows in the snapshot only). It never raises either way.
        self.gc_event_wait_s = 0.5
        self.shutdown_timeout_s = 15.0  # shutdown gives up waiting after this; it never hangs
        self.num_cpus = 1  # CPUs a local Ray may schedule on; worker actors need none of their own
        self.object_store_memory = 80 * 1024 * 1024  # a small shared-memory store (Ray's minimum is ~75 MB)


settings = Settings()

_lock = threading.Lock()
_started_here = False
_active = False
_in_actor = False
_atexit_registered = False
_shutdown_hooks: list[Callable[[], None]] = []


def require_ray() -> Any:
    """The ``ray`` module, or an ImportError that says how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} (could not import ray: {exc})") from exc
    if ray is None:  # sys.modules["ray"] = None hides a package on purpose
        raise ImportError(INSTALL_HINT)
    return ray


def is_active() -> bool:
    """True while this process is connected to Ray through :func:`init`."""
    return _active


def init_in_actor() -> None:
    """Called as a worker actor starts: there Ray is already connected, and workers may call other actors.

    From then on :func:`in_actor` is True: the actor's deletes travel back to the driver with its
    replies (see ``deletes.py``).
    """
    global _active, _in_actor
    _active = True
    _in_actor = True


def in_actor() -> bool:
    """True in a worker actor's process, False in the driver's."""
    return _in_actor


def on_shutdown(hook: Callable[[], None]) -> None:
    """Call ``hook`` first thing in :func:`shutdown` (workers mark themselves offline there)."""
    _shutdown_hooks.append(hook)


def init(address: str | None = None) -> None:
    """Connect this process to Ray once: a new loopback-only local instance, or the cluster at ``address``."""
    global _active, _started_here, _atexit_registered
    ray = require_ray()
    with _lock:
        if ray.is_initialized():
            _active = True
            return
        # A call to an actor whose process is gone fails only after Ray has waited this long for the
        # reason (1 s by default, nearly 2 s in all on a busy machine). Workers never restart, so the
        # reason adds nothing: a learner hears "offline" in a fraction of a second. Read at start-up
        # by this process and, for the local instance, by the actors it starts; a value set wins.
        os.environ.setdefault(DEATH_INFO_WAIT, "200")
        common: dict[str, Any] = dict(namespace=NAMESPACE, log_to_driver=False, logging_level=logging.WARNING)
        if address is None:
            with loopback_only(ray):
                ray.init(
                    address="local",  # a fresh local instance, never a cluster named by RAY_ADDRESS
                    num_cpus=settings.num_cpus,
                    object_store_memory=settings.object_store_memory,
                    include_dashboard=False,
                    _node_ip_address="127.0.0.1",
                    **common,
                )
            _started_here = True
            try:
                check_loopback(ray)
            except RuntimeError:
                ray.shutdown()
                raise
        elif _is_loopback(address) and not address.startswith("ray://"):
            # A cluster on this machine (e.g. ray.cluster_utils.Cluster): join it on 127.0.0.1 too.
            with loopback_only(ray):
                ray.init(address=address, _node_ip_address="127.0.0.1", **common)
            check_loopback(ray)
        else:
            ray.init(address=address, **common)
        _active = True
        if not _atexit_registered:
            atexit.register(shutdown)
            _atexit_registered = True


def _is_loopback(address: str) -> bool:
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name, or "auto"
        return False


@contextmanager
def loopback_only(ray: Any = None) -> Iterator[None]:
    """Within this block, Ray processes started here (ray.init, a test's Cluster) bind to 127.0.0.1."""
    ray = ray if ray is not None else require_ray()
    # Ray replaces a loopback node address by the machine's network address unless "clusters" are
    # disabled (as it does on macOS and Windows); then every Ray process binds to 127.0.0.1. The
    # child processes read the variable from their environment, the driver from a module constant
    # fixed at import time: set both for the start, and restore both afterwards.
    from ray._private import ray_constants

    name = ray_constants.ENABLE_RAY_CLUSTERS_ENV_VAR
    saved_env, saved_flag = os.environ.get(name), ray_constants.ENABLE_RAY_CLUSTER
    saved_usage = os.environ.get("RAY_USAGE_STATS_ENABLED")
    os.environ[name] = "0"
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage reports from a classroom machine
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = saved_flag
        _restore(name, saved_env)
        _restore("RAY_USAGE_STATS_ENABLED", saved_usage)


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def check_loopback(ray: Any) -> None:
    """Raise RuntimeError unless this Ray node and its control service use a loopback address."""
    node_ip = ray.util.get_node_ip_address()
    gcs_host = ray.get_runtime_context().gcs_address.rsplit(":", 1)[0].strip("[]")
    for what, host in (("node address", node_ip), ("control service (GCS) address", gcs_host)):
        if not ipaddress.ip_address(host).is_loopback:
            raise RuntimeError(
                f"The local Ray instance's {what} is {host}, not loopback, so other machines could reach "
                "it. syft_widgets refuses to run it that way. Stop other Ray instances (ray stop) and try "
                "again, or join a secured cluster with sy.RayWorker(hook, id=..., address=...)."
            )


def shutdown() -> None:
    """Mark every Ray worker offline and disconnect from Ray; gives up waiting after a timeout."""
    global _active, _started_here
    for hook in list(_shutdown_hooks):
        try:
            hook()
        except Exception:  # shutdown must finish whatever a hook does
            pass
    if not _active:
        return
    _active = False
    try:
        ray = require_ray()
    except ImportError:
        return
    # ray.shutdown() waits for Ray's processes; run it aside so a stuck process cannot hang the caller.
    done = threading.Thread(
        target=_quiet_shutdown, args=(ray,), name="syft-widgets-ray-shutdown", daemon=True
    )
    done.start()
    done.join(settings.shutdown_timeout_s)
    _started_here = False


def _quiet_shutdown(ray: Any) -> None:
    try:
        ray.shutdown()
    except Exception:  # nothing useful to do about a failed shutdown at exit
        pass
