"""``ray_options``: where and how a worker's actor runs, in Ray's own vocabulary, checked up front.

Everything Ray's ``.options()`` takes for an actor is passed through (``resources``,
``scheduling_strategy`` such as node affinity, ``runtime_env``, ``num_cpus``, ``memory``, ...), except
what would break a worker: its name (workers find each other by it), a life beyond the session,
restarts (a restarted actor comes back with an empty store, silently losing objects) and running
several messages at once (a worker handles one message at a time, in order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidRayOptionsError

__all__ = ["check_feasible", "check_options"]

# option -> (the only values a worker accepts, why)
_FIXED: dict[str, tuple[tuple[Any, ...], str]] = {
    "name": (
        (),
        "syft_widgets names each worker's actor 'syft_widgets:<id>' so that workers find each other",
    ),
    "namespace": ((), "every worker actor lives in the Ray namespace 'syft_widgets'"),
    "get_if_exists": ((), "a RayWorker with the id of a running worker always attaches to it"),
    "lifetime": (
        (None, "non_detached"),
        "a worker's actor ends with the Ray session that started it; a detached one would keep its data "
        "after sy.ray.shutdown()",
    ),
    "max_restarts": (
        (0,),
        "a restarted actor comes back with an empty store, so objects would vanish silently; a worker "
        "whose process dies is reported offline instead",
    ),
    "max_task_retries": ((0,), "a retried message could run twice (a second send, a second optimizer step)"),
    "max_concurrency": ((1,), "a worker handles one message at a time, in the order they were sent"),
    "allow_out_of_order_execution": ((False,), "a worker handles messages in the order they were sent"),
    "concurrency_groups": ((), "a worker handles one message at a time, in the order they were sent"),
}


def check_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The options to pass to the worker actor's ``.options()``, or InvalidRayOptionsError.

    >>> check_options({"resources": {"site_bob": 1}, "num_cpus": 0})
    {'resources': {'site_bob': 1}, 'num_cpus': 0}
    >>> check_options({"max_concurrency": 4})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    syft_widgets.errors.InvalidRayOptionsError: ray_options['max_concurrency'] = 4 cannot be used ...
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise InvalidRayOptionsError(
            f"ray_options must be a dict of Ray actor options, like {{'resources': {{'site_bob': 1}}}}; "
            f"got {options!r} ({type(options).__name__})."
        )
    checked: dict[str, Any] = {}
    for key, value in options.items():
        if not isinstance(key, str):
            raise InvalidRayOptionsError(f"ray_options keys are option names (strings); got {key!r}.")
        fixed = _FIXED.get(key)
        if fixed is not None:
            allowed, why = fixed
            if not any(value is a or (type(value) is type(a) and value == a) for a in allowed):
                raise InvalidRayOptionsError(
                    f"ray_options[{key!r}] = {value!r} cannot be used for a worker: {why}. Leave it out, and "
                    "keep Ray's placement options (resources, scheduling_strategy, runtime_env, num_cpus)."
                )
            continue  # the worker's own setting applies
        if key.startswith("_"):
            raise InvalidRayOptionsError(
                f"ray_options[{key!r}] is one of Ray's private options, which a worker does not pass on. "
                "Use Ray's public actor options (resources, scheduling_strategy, runtime_env, num_cpus, ...)."
            )
        checked[key] = value
    _ray_check(checked)
    return checked


def _ray_check(options: dict[str, Any]) -> None:
    """Ray's own check of option names and values, when this Ray version exposes it."""
    try:
        from ray._common.ray_option_utils import validate_actor_options
    except ImportError:  # other Ray versions: .options() checks when the actor starts
        return
    try:
        validate_actor_options(options, in_options=True)
    except (ValueError, TypeError) as exc:
        raise InvalidRayOptionsError(f"ray_options refused by Ray: {exc}") from None


def check_feasible(ray: Any, options: Mapping[str, Any]) -> None:
    """Refuse at once a custom resource no node of the cluster has (Ray would wait for it forever)."""
    wanted = options.get("resources") or {}
    if not wanted:
        return
    have = ray.cluster_resources()
    missing = [name for name in wanted if name not in have]
    if missing:
        known = ", ".join(sorted(k for k in have if not k.startswith("node:") and k != "memory")) or "none"
        raise InvalidRayOptionsError(
            f"No node of this Ray cluster has the resource {missing[0]!r} that ray_options asks for, so the "
            f"worker could never start. Resources the cluster has: {known}. Start a node with it, e.g. "
            f"ray start --address=... --resources='{{\"{missing[0]}\": 1}}'."
        )
