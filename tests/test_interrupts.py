"""The stop button (KeyboardInterrupt) at any moment of a pointer operation loses nothing.

Interrupts reach the library the way the kernel's ■ does: as SIGINT, through whatever SIGINT
handler is installed. Two sources are used:

- a timer (``signal.setitimer``) whose SIGALRM handler calls ``signal.raise_signal(SIGINT)`` at a
  random moment within a random operation, over thousands of operations (seeded), and
- an exhaustive one: a profile hook raises SIGINT at the k-th function call or C-function return
  inside one operation, for every k. Those are the places where CPython itself runs signal
  handlers (on entering a function, after a C call returns), so every reachable moment is tried.

After each interrupted operation: nothing is orphaned (every stored object is reached from a live
pointer, directly or along a chain), nothing is lost (every live pointer reaches a value equal to the
reference), no step or hold stays open, the operation happened entirely or not at all, and every
SIGINT reached the test as exactly one KeyboardInterrupt.
"""

from __future__ import annotations

import gc
import itertools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import comm
import pytest
import torch
from torch import nn

from syft_widgets import interrupts, world
from syft_widgets.events import Step
from syft_widgets.world import WORLD
from tests.conftest import Env
from tests.interrupting import (
    AtCall,
    Learner,
    Timer,
    Var,
    _value_of,
    _where,
    alarms,
    check,
    flush_owed_interrupt,
    random_run,
    resolve,
)


@pytest.fixture
def timer() -> Iterator[Timer]:
    with alarms() as source:
        yield source


@pytest.fixture(autouse=True)
def nothing_swallowed() -> Iterator[None]:
    """No interrupt may end where Python prints and ignores it (a __del__, a weakref callback)."""
    swallowed: list[str] = []
    before = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        swallowed.append(f"{unraisable.exc_type.__name__} in {unraisable.object!r}")

    sys.unraisablehook = hook
    yield
    sys.unraisablehook = before
    assert swallowed == []


@pytest.mark.parametrize("seed", [11, 12])
def test_thousands_of_randomly_interrupted_operations_lose_nothing(env: Env, timer: Timer, seed: int) -> None:
    report = random_run(env, timer, seed, count=3000)
    assert report.failures == [], (report.failures, report.kinds)
    assert report.caught == report.sent  # every SIGINT reached the learner, once
    assert report.sent > report.ops // 2, report  # most operations really were interrupted
    assert set(report.kinds) >= {"send", "send pointer", "arithmetic", "in-place", "move", "get",
                                 "chain get", "drop", "module send", "module get", "module move"}  # fmt: skip


def test_randomly_interrupted_operations_lose_nothing_with_a_live_view_open(
    env: Env, timer: Timer, live_view: Any, steps: list[Step]
) -> None:
    report = random_run(env, timer, seed=13, count=1500)
    assert report.failures == [], (report.failures, report.kinds)
    assert report.caught == report.sent
    assert report.sent > report.ops // 3, report
    # The view followed every step, up to the newest. (Its ``step`` trait may lag behind: redraws
    # are throttled, and how far it lags depended on the machine; ``steps`` catches up.)
    assert len(steps) > report.ops // 2, report  # ~1.2 a operation here; interrupted ones may have none
    assert live_view.steps[-1].index == steps[-1].index


def test_the_random_test_finds_the_damage_when_operations_are_not_held(
    env: Env, timer: Timer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks above can fail: with holding switched off, interrupts soon break something."""
    monkeypatch.setattr(interrupts, "hold", lambda: False)
    # Unheld, an interrupt may also land in a pointer's __del__, where Python prints and drops it:
    # that is part of the damage this run shows, not a failure of the `nothing_swallowed` check.
    swallowed: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: swallowed.append(unraisable.exc_value))
    report = random_run(env, timer, seed=11, count=1500)
    gc.collect()
    assert report.failures, report


# --- every moment of each operation -----------------------------------------------------------------
Vars = dict[str, Any]


@dataclass
class Scenario:
    """One learner-level operation on a prepared world.

    ``act`` runs it; its result, if kept, goes to variable ``keep``. ``may_have_happened``: when
    interrupted, may it have happened entirely (an in-place change, a move), or must it look as if
    it never started (a ``.get()``, whose result the learner would otherwise never receive)?
    ``whole``: False for calls made of many operations (a model's forward, an optimizer's step),
    which an interrupt may stop between two of them, as it would stop plain torch.
    """

    setup: Callable[[Env], Vars]
    act: Callable[[Vars], Any]
    keep: str | None = None
    may_have_happened: bool = True
    whole: bool = True


def _ptr(env: Env, *hops: str, value: float = 1.0) -> Any:
    pointer = torch.tensor([value, value + 1]).send(getattr(env, hops[-1]))
    for hop in reversed(hops[:-1]):
        pointer = pointer.send(getattr(env, hop))
    return pointer


def _trained_once(env: Env) -> Vars:
    """Part 2's loop up to opt.step(): a model on bob with gradients, and its optimizer."""
    model = nn.Linear(2, 1).send(env.bob)
    data = torch.tensor([[0.0, 1.0], [1.0, 0.0]]).send(env.bob)
    target = torch.tensor([[1.0], [0.0]]).send(env.bob)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    ((model(data) - target) ** 2).sum().backward()
    return {"m": model, "data": data, "target": target, "opt": opt}


def _drop(variables: Vars, name: str) -> None:
    del variables[name]


SCENARIOS: dict[str, Scenario] = {
    "send": Scenario(
        lambda env: {"t": torch.tensor([1.0, 2.0]), "bob": env.bob}, lambda v: v["t"].send(v["bob"]), "p"
    ),
    "send pointer": Scenario(
        lambda env: {"p": _ptr(env, "bob"), "alice": env.alice},
        lambda v: v["p"].send(v["alice"]),
        "p",
        may_have_happened=False,
    ),
    "arithmetic": Scenario(
        lambda env: {"a": _ptr(env, "bob"), "b": _ptr(env, "bob", value=5)}, lambda v: v["a"] + v["b"], "c"
    ),
    "chain arithmetic": Scenario(lambda env: {"c": _ptr(env, "alice", "bob")}, lambda v: v["c"] * 3, "d"),
    "in-place": Scenario(lambda env: {"a": _ptr(env, "bob")}, lambda v: v["a"].add_(1)),
    "chain in-place": Scenario(lambda env: {"c": _ptr(env, "alice", "bob")}, lambda v: v["c"].mul_(2)),
    "move": Scenario(
        lambda env: {"a": _ptr(env, "bob"), "alice": env.alice}, lambda v: v["a"].move(v["alice"])
    ),
    "get": Scenario(
        lambda env: {"a": _ptr(env, "bob")}, lambda v: v["a"].get(), "x", may_have_happened=False
    ),
    "chain get": Scenario(
        lambda env: {"c": _ptr(env, "alice", "bob")}, lambda v: v["c"].get(), "c", may_have_happened=False
    ),
    "remote_get": Scenario(lambda env: {"c": _ptr(env, "alice", "bob")}, lambda v: v["c"].remote_get()),
    "drop": Scenario(lambda env: {"a": _ptr(env, "bob")}, lambda v: _drop(v, "a")),
    "drop chain": Scenario(lambda env: {"c": _ptr(env, "alice", "bob")}, lambda v: _drop(v, "c")),
    "module send": Scenario(
        lambda env: {"m": nn.Linear(2, 1), "bob": env.bob}, lambda v: v["m"].send(v["bob"])
    ),
    "module get": Scenario(lambda env: {"m": nn.Linear(2, 1).send(env.bob)}, lambda v: v["m"].get()),
    "module move": Scenario(
        lambda env: {"m": nn.Linear(2, 1).send(env.bob), "alice": env.alice},
        lambda v: v["m"].move(v["alice"]),
    ),
    "model call": Scenario(
        lambda env: {"m": nn.Linear(2, 1).send(env.bob), "data": _ptr(env, "bob")},
        lambda v: v["m"](v["data"]),
        "out",
        whole=False,
    ),
    "optimizer step": Scenario(lambda env: _trained_once(env), lambda v: v["opt"].step(), whole=False),
}


def picture(variables: Vars, env: Env) -> tuple:
    """What the learner can observe, without object ids (they differ from run to run)."""
    seen = []
    for name in sorted(variables):
        obj = variables[name]
        if isinstance(obj, nn.Module):
            seen.append((name, tuple((_where(p), _listed(_value_of(p))) for p in obj.parameters())))
        elif getattr(obj, "is_pointer", False):
            path, end = resolve(obj)
            seen.append((name, tuple(path), _listed(end), obj.is_live_pointer))
        elif isinstance(obj, torch.Tensor):
            seen.append((name, "local", obj.tolist()))
    counts = tuple(len(w._objects) for w in (env.me, env.bob, env.alice, env.secure_worker))
    return tuple(seen), counts


def _listed(t: torch.Tensor | None) -> Any:
    return None if t is None else t.detach().tolist()


def learner_of(variables: Vars, env: Env) -> Learner:
    """The variables as a Learner whose reference values are what they reach now (for problems())."""
    workers = {"bob": env.bob, "alice": env.alice, "secure_worker": env.secure_worker}
    learner = Learner(workers, env.me)
    for name, obj in variables.items():
        if isinstance(obj, nn.Module):
            learner.vars[name] = Var(obj, [_value_of(p) for p in obj.parameters()])
        elif getattr(obj, "is_pointer", False) and obj.is_live_pointer:  # spent: picture() checks it
            learner.vars[name] = Var(obj, resolve(obj)[1])
    return learner


def fresh(env: Env, scenario: Scenario) -> Vars:
    """Empty stores (no deletes sent; no gc.collect, which would cost more than the test) and set up."""
    for store in [w.object_store for w in WORLD.workers.values()]:
        for obj in store.objects.values():
            if getattr(obj, "is_pointer", False):
                obj.garbage_collect_data = False
        store.clear()
    torch.manual_seed(0)  # the same model weights in every run
    # Torch's own optimizer wrapper restores grad mode in a finally that an interrupt can cut
    # short (plain torch does the same): start every run as a fresh cell would.
    torch.set_grad_enabled(True)
    return scenario.setup(env)


def interrupt_everywhere(env: Env, scenario: Scenario, most: int) -> tuple[int, list[str]]:
    """Interrupt ``scenario`` at each of its moments (at most ``most``, evenly spread)."""
    for _ in range(2):  # warm caches (torch's first calls, name tables) so every run is alike
        variables = fresh(env, scenario)
        scenario.act(variables)
    variables = fresh(env, scenario)
    before = picture(variables, env)
    counter = AtCall(None)
    _, result = counter.run(lambda: scenario.act(variables))
    if scenario.keep:
        variables[scenario.keep] = result
    after = picture(variables, env)
    del result
    failures: list[str] = []
    tried = 0
    for k in itertools.count(0, max(1, counter.seen // most)):
        variables = fresh(env, scenario)
        inject = AtCall(k)
        interrupted, result = inject.run(lambda: scenario.act(variables))  # noqa: B023
        owed = flush_owed_interrupt()
        if not inject.sent:
            break  # the operation ended before its k-th moment: every moment was tried
        tried += 1
        where = f"moment {k}/{counter.seen}"
        if interrupted + owed != inject.sent:
            failures.append(f"{where}: {inject.sent} SIGINT, {interrupted + owed} KeyboardInterrupt")
        if not interrupted and scenario.keep:
            variables[scenario.keep] = result
        del result
        now = picture(variables, env)
        allowed = [before, after] if not interrupted or scenario.may_have_happened else [before]
        if not interrupted:
            allowed = [after]
        if scenario.whole and now not in allowed:
            failures.append(
                f"{where} ({'interrupted' if interrupted else 'completed'}): {now} not in {allowed}"
            )
        if not scenario.whole:
            # Torch runs no closing hook when its call raises KeyboardInterrupt: the world closes
            # such a step when the cell ends (a live view flushes then, IPython's post_run_cell).
            WORLD.flush_steps()
        found = check(learner_of(variables, env))
        if found:
            failures.append(f"{where}: {found}")
        if failures:
            break
    return tried, failures


@pytest.fixture
def live_view(env: Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A live view open on every worker, as in the course's notebooks (its comm records, no kernel)."""
    import syft_widgets as sy
    from tests.helpers import RecordingComm

    monkeypatch.setattr(comm, "create_comm", RecordingComm)
    monkeypatch.setattr(world, "BURST_STEPS", 10**9)  # one step per operation, never a batch
    view = sy.show()
    yield view
    view.close()
    WORLD.flush_steps()


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_an_interrupt_at_any_moment_of_an_operation_leaves_it_whole(env: Env, name: str) -> None:
    tried, failures = interrupt_everywhere(env, SCENARIOS[name], most=400)
    assert failures == []
    # The operation really has that many moments to interrupt (the shortest, dropping a pointer
    # to a virtual worker's tensor with nobody watching, has 18 since deletes skip the message).
    assert tried > 15


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_an_interrupt_at_any_moment_leaves_it_whole_with_a_live_view_open(
    env: Env, live_view: Any, name: str
) -> None:
    tried, failures = interrupt_everywhere(env, SCENARIOS[name], most=150)
    assert failures == []
    assert tried > 20
    assert live_view._history  # the view did record the steps


# --- the mechanism itself -------------------------------------------------------------------------
def test_an_interrupt_waits_for_the_outermost_operation_and_is_raised_once(timer: Timer) -> None:
    outer = interrupts.hold()
    inner = interrupts.hold()
    signal.raise_signal(signal.SIGINT)
    signal.raise_signal(signal.SIGINT)  # pressed twice: one KeyboardInterrupt is enough
    interrupts.release(inner)  # an inner operation ends: still held
    assert interrupts.pending()
    with pytest.raises(KeyboardInterrupt):
        interrupts.release(outer)
    assert not interrupts.pending()
    assert interrupts._state.depth == 0


def test_a_second_press_long_after_the_first_goes_through(
    timer: Timer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operation that keeps ■ waiting too long (a worker that does not answer) cannot block it."""
    monkeypatch.setattr(interrupts, "FORCE_AFTER", 0.0)
    held = interrupts.hold()
    try:
        signal.raise_signal(signal.SIGINT)  # waits
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)  # goes through
    finally:
        interrupts.release(held)  # nothing left waiting: returns quietly
    assert not interrupts.pending()


def test_the_handler_that_was_installed_decides_what_an_interrupt_does(timer: Timer) -> None:
    """The interrupt is delayed, not replaced: a handler of the learner's own runs, once, at the end."""
    calls: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
    held = interrupts.hold()
    signal.raise_signal(signal.SIGINT)
    assert calls == []
    interrupts.release(held)
    assert calls == [signal.SIGINT]


def test_only_the_main_thread_is_held() -> None:
    """Python delivers signals to the main thread only; other threads' operations hold nothing."""
    found: list[bool] = []
    worker = threading.Thread(target=lambda: found.append(interrupts.hold()))
    worker.start()
    worker.join()
    assert found == [False]
    assert interrupts._state.depth == 0


def test_an_ignored_sigint_is_left_alone() -> None:
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        interrupts.release(interrupts.hold())
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
