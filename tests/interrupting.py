"""What the interrupt tests share: sources of SIGINT, the learner's world and its checks, a random run.

Used by tests/test_interrupts.py (virtual workers) and tests/test_interrupts_ray.py (Ray workers);
a test module never imports another test module, so these live here.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import random
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from syft_widgets import interrupts
from syft_widgets.world import WORLD
from tests.conftest import Env

WORKER_NAMES = ("bob", "alice", "secure_worker")


# --- interrupt sources ----------------------------------------------------------------------------
class Timer:
    """SIGINT at a chosen delay, sent the way the kernel sends it: a signal, not a raised exception."""

    def __init__(self) -> None:
        self.armed = False
        self.sent = 0

    def on_alarm(self, signum: int, frame: Any) -> None:
        if self.armed:
            self.armed = False
            self.sent += 1
            signal.raise_signal(signal.SIGINT)

    def run(self, action: Callable[[], Any], delay: float) -> tuple[bool, Any]:
        """Run ``action`` with SIGINT due after ``delay`` seconds; (interrupted?, its result)."""
        result = None
        interrupted = False
        self.armed = True
        try:
            signal.setitimer(signal.ITIMER_REAL, max(delay, 1e-6))
            result = action()
        except KeyboardInterrupt:  # perhaps one kept from an earlier operation: disarm this one
            self.armed = False
            interrupted = True
        finally:
            self.armed = False  # first: a late alarm now does nothing
            signal.setitimer(signal.ITIMER_REAL, 0)
        return interrupted, result


@contextlib.contextmanager
def alarms() -> Iterator[Timer]:
    """A Timer whose alarms are handled; Python's own SIGINT handler in place, as in a fresh kernel."""
    source = Timer()
    before_alarm = signal.signal(signal.SIGALRM, source.on_alarm)
    before_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    # The handler the core's own hands an interrupt to, which the test's operations may change by
    # installing the core's in front of one of the test's: put back with the one it belongs to.
    before_previous = interrupts._state.previous
    try:
        yield source
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before_alarm)
        signal.signal(signal.SIGINT, before_int)
        interrupts._state.previous = before_previous


_GENERATOR = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


class AtCall:
    """A profile hook that sends SIGINT at the k-th call or C return it sees (k=None: only count)."""

    def __init__(self, k: int | None) -> None:
        self.k = k
        self.seen = 0
        self.sent = 0

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event not in ("call", "c_return"):
            return
        if event == "call" and frame.f_code.co_flags & _GENERATOR:
            # Also reported when a generator is closed, where CPython runs no signal handler.
            return
        if self.seen == self.k:
            sys.setprofile(None)
            self.sent += 1
            signal.raise_signal(signal.SIGINT)
        self.seen += 1

    def run(self, action: Callable[[], Any]) -> tuple[bool, Any]:
        result = None
        interrupted = False
        try:
            sys.setprofile(self)
            result = action()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            sys.setprofile(None)
        return interrupted, result


def flush_owed_interrupt() -> bool:
    """Raise an interrupt kept from a dropped pointer (as the next operation would); True if one was."""
    try:
        interrupts.release(interrupts.hold())
    except KeyboardInterrupt:
        return True
    return False


# --- the learner's variables and the checks -------------------------------------------------------
@dataclass(eq=False)
class Var:
    """A pointer (or model) the learner holds, and the value it must reach."""

    obj: Any
    value: Any  # a tensor, or for a model a list of its parameter values


@dataclass
class Learner:
    workers: dict[str, Any]
    me: Any
    vars: dict[str, Var] = field(default_factory=dict)
    counter: int = 0
    # Virtual workers run a chain that passes a worker twice (me -> bob -> alice -> bob); a Ray
    # actor answers one message at a time, so there such a chain would wait for itself.
    revisit: bool = True

    def add(self, obj: Any, value: Any) -> str:
        self.counter += 1
        name = f"v{self.counter}"
        self.vars[name] = Var(obj, value)
        return name

    def pointers(self) -> Iterator[tuple[str, Any]]:
        for name, var in self.vars.items():
            if isinstance(var.obj, nn.Module):
                for p in var.obj.parameters():
                    if getattr(p, "is_pointer", False):
                        yield name, p
            else:
                yield name, var.obj


def resolve(pointer: Any) -> tuple[list[str], Any]:
    """Follow a pointer along its chain: (workers passed, what is at the end or None)."""
    path = []
    obj = pointer
    while getattr(obj, "is_pointer", False):
        where = obj.location
        path.append(str(where.id))
        obj = where._objects.get(obj.id_at_location)
    return path, obj


def problems(learner: Learner) -> list[str]:
    """What is wrong with the stores and pointers now (empty when all is well)."""
    found = []
    reached: set[tuple[str, int]] = set()
    for name, pointer in learner.pointers():
        if not pointer.is_live_pointer:
            found.append(f"{name}: the learner's pointer is spent")
            continue
        obj = pointer
        while getattr(obj, "is_pointer", False):
            key = (str(obj.location.id), obj.id_at_location)
            reached.add(key)
            obj = obj.location._objects.get(obj.id_at_location)
        if obj is None:
            found.append(f"{name}: data lost ({resolve(pointer)[0]})")
    for name, var in learner.vars.items():
        if isinstance(var.obj, nn.Module):
            values = [_value_of(p) for p in var.obj.parameters()]
            where = {_where(p) for p in var.obj.parameters()}
            if len(where) != 1:
                found.append(f"{name}: model split across {where}")
            if any(v is None for v in values) or not all(
                torch.equal(v, r) for v, r in zip(values, var.value, strict=True) if v is not None
            ):
                found.append(f"{name}: model parameters differ from the reference")
        else:
            _, end = resolve(var.obj)
            if end is not None and not torch.equal(end, var.value):
                found.append(f"{name}: value {end.tolist()} != reference {var.value.tolist()}")
    for wid, worker in learner.workers.items():
        for obj_id in list(worker._objects):
            if (wid, obj_id) not in reached:
                found.append(f"orphan on {wid}: {obj_id} {type(worker._objects[obj_id]).__name__}")
    if learner.me._objects:
        found.append(f"objects stored on me: {list(learner.me._objects)}")
    if interrupts._state.depth != 0:
        found.append(f"an operation is still held (depth {interrupts._state.depth})")
    if WORLD._depth != 0:
        found.append(f"a step is still open (depth {WORLD._depth})")
    return found


def check(learner: Learner) -> list[str]:
    found = problems(learner)
    if found:  # something may only wait for the cycle collector
        gc.collect()
        found = problems(learner)
    return found


def _value_of(p: Any) -> torch.Tensor | None:
    if getattr(p, "is_pointer", False):
        end = resolve(p)[1]
        return None if end is None else end.detach()
    return p.detach()


def _where(p: Any) -> str:
    return str(p.location.id) if getattr(p, "is_pointer", False) else "me"


# --- operations -------------------------------------------------------------------------------------
# Each operation picks its operands (outside the interrupt window), runs one learner-level call under
# the interrupt source, and updates the learner's variables from what happened. When the call was
# interrupted, the stores tell whether it happened; only "entirely" or "not at all" is accepted.
Run = Callable[[Callable[[], Any]], tuple[bool, Any]]


class Outcome(Exception):
    """An interrupted operation left the world in between (the test fails with this message)."""


def _direct(learner: Learner) -> list[str]:
    return [
        n for n, v in learner.vars.items() if not isinstance(v.obj, nn.Module) and len(resolve(v.obj)[0]) == 1
    ]


def _plain_pointers(learner: Learner) -> list[str]:
    return [n for n, v in learner.vars.items() if not isinstance(v.obj, nn.Module)]


def op_send(learner: Learner, rng: random.Random, run: Run) -> str:
    value = torch.tensor([float(rng.randint(0, 9)) for _ in range(3)])
    where = learner.workers[rng.choice(WORKER_NAMES)]
    interrupted, pointer = run(lambda: value.send(where))
    if not interrupted:
        learner.add(pointer, value.clone())
    return "send"


def op_send_pointer(learner: Learner, rng: random.Random, run: Run) -> str:
    limit = 3 if learner.revisit else len(WORKER_NAMES)
    names = [n for n in _plain_pointers(learner) if len(resolve(learner.vars[n].obj)[0]) < limit]
    if not names:
        return op_send(learner, rng, run)
    name = rng.choice(names)
    var = learner.vars[name]
    path = resolve(var.obj)[0]
    choices = [w for w in WORKER_NAMES if w != path[0] and (learner.revisit or w not in path)]
    destination = learner.workers[rng.choice(choices)]
    interrupted, sent = run(lambda: var.obj.send(destination))
    if not interrupted:
        var.obj = sent  # the learner keeps the new pointer; the old one no longer deletes anything
    return "send pointer"


def op_arithmetic(learner: Learner, rng: random.Random, run: Run) -> str:
    names = _plain_pointers(learner)
    if not names:
        return op_send(learner, rng, run)
    var = learner.vars[rng.choice(names)]
    path = resolve(var.obj)[0]
    partners = [learner.vars[n] for n in names if resolve(learner.vars[n].obj)[0] == path]
    other = rng.choice(partners)
    kind = rng.choice(["add", "mul", "sub", "torch.add"])
    a, b = var.obj, other.obj
    actions: dict[str, tuple[Callable[[], Any], torch.Tensor]] = {
        "add": (lambda: a + b, var.value + other.value),
        "mul": (lambda: a * 2, var.value * 2),
        "sub": (lambda: a - b, var.value - other.value),
        "torch.add": (lambda: torch.add(a, b), var.value + other.value),
    }
    action, expected = actions[kind]
    interrupted, result = run(action)
    if not interrupted:
        learner.add(result, expected)
    return "arithmetic"


def op_in_place(learner: Learner, rng: random.Random, run: Run) -> str:
    names = _plain_pointers(learner)
    if not names:
        return op_send(learner, rng, run)
    var = learner.vars[rng.choice(names)]
    pointer = var.obj
    interrupted, _ = run(lambda: pointer.add_(1))
    after = var.value + 1
    if not interrupted:
        var.value = after
    else:
        end = resolve(pointer)[1]
        if end is not None and torch.equal(end, after):
            var.value = after  # it happened entirely, before the interrupt was raised
    return "in-place"


def op_move(learner: Learner, rng: random.Random, run: Run) -> str:
    names = _direct(learner)
    if not names:
        return op_send(learner, rng, run)
    var = learner.vars[rng.choice(names)]
    pointer = var.obj
    source = str(pointer.location.id)
    destination = learner.workers[rng.choice([w for w in WORKER_NAMES if w != source])]
    interrupted, _ = run(lambda: pointer.move(destination))
    if interrupted and str(pointer.location.id) not in (source, str(destination.id)):
        raise Outcome(f"moved pointer points at {pointer.location.id}")
    return "move"


def op_get(learner: Learner, rng: random.Random, run: Run) -> str:
    names = _plain_pointers(learner)
    if not names:
        return op_send(learner, rng, run)
    name = rng.choice(names)
    var = learner.vars[name]
    pointer = var.obj
    chain = len(resolve(pointer)[0]) > 1
    interrupted, got = run(pointer.get)
    if interrupted:
        if not pointer.is_live_pointer:
            raise Outcome("an interrupted .get() spent its pointer without returning the data")
        return "chain get" if chain else "get"
    if chain:
        var.obj = got  # the pointer one hop closer
    else:
        if not torch.equal(got, var.value):
            raise Outcome(f".get() returned {got.tolist()}, expected {var.value.tolist()}")
        del learner.vars[name]
    return "chain get" if chain else "get"


def op_drop(learner: Learner, rng: random.Random, run: Run) -> str:
    names = _plain_pointers(learner)
    if not names:
        return op_send(learner, rng, run)
    name = rng.choice(names)
    variables = learner.vars

    def drop() -> None:
        del variables[name]  # the last reference: the pointer's __del__ sends the delete

    run(drop)  # interrupted before the del statement ran, the pointer is simply still held
    return "drop"


def op_module(learner: Learner, rng: random.Random, run: Run) -> str:
    models = [n for n, v in learner.vars.items() if isinstance(v.obj, nn.Module)]
    if not models or (rng.random() < 0.1 and len(models) < 3):
        model = nn.Linear(2, 1)
        learner.add(model, [p.detach().clone() for p in model.parameters()])
        return "new model"
    var = learner.vars[rng.choice(models)]
    model = var.obj
    where = {_where(p) for p in model.parameters()}.pop()
    if where == "me":
        destination = learner.workers[rng.choice(WORKER_NAMES)]
        run(lambda: model.send(destination))
        return "module send"
    if rng.random() < 0.5:
        run(model.get)
        return "module get"
    destination = learner.workers[rng.choice([w for w in WORKER_NAMES if w != where])]
    run(lambda: model.move(destination))
    return "module move"


OPERATIONS: list[tuple[Callable[[Learner, random.Random, Run], str], int]] = [
    (op_send, 4),
    (op_send_pointer, 2),
    (op_arithmetic, 4),
    (op_in_place, 2),
    (op_move, 2),
    (op_get, 3),
    (op_drop, 3),
    (op_module, 2),
]


def pick(rng: random.Random, learner: Learner) -> Callable[[Learner, random.Random, Run], str]:
    if len(learner.vars) > 14:
        return rng.choice([op_get, op_drop])
    ops, weights = zip(*OPERATIONS, strict=True)
    return rng.choices(ops, weights)[0]


# --- the randomized test ----------------------------------------------------------------------------
@dataclass
class Report:
    ops: int = 0
    sent: int = 0
    caught: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def random_run(env: Env, timer: Timer, seed: int, count: int, revisit: bool = True) -> Report:
    rng = random.Random(seed)
    workers = {"bob": env.bob, "alice": env.alice, "secure_worker": env.secure_worker}
    learner = Learner(workers, env.me, revisit=revisit)
    report = Report()
    duration: dict[str, float] = {}

    def timed(kind: str) -> Run:
        def run(action: Callable[[], Any]) -> tuple[bool, Any]:
            # Every seventh operation runs undisturbed and times itself, so the interrupts of the
            # others fall within the operation's real duration (longer with a live view open).
            expected = duration.get(kind)
            calibrate = expected is None or rng.random() < 0.15
            delay = 10.0 if calibrate else rng.uniform(0.0, 1.2 * expected)
            start = time.perf_counter()
            interrupted, result = timer.run(action, delay)
            took = time.perf_counter() - start
            if calibrate and not interrupted:
                duration[kind] = took if expected is None else 0.7 * expected + 0.3 * took
            # One that landed in a dropped pointer's __del__ waits for the next operation: run one.
            report.caught += flush_owed_interrupt()
            report.caught += interrupted
            return interrupted, result

        return run

    for i in range(count):
        operation = pick(rng, learner)
        try:
            kind = operation(learner, rng, timed(operation.__name__))
        except Outcome as exc:
            report.failures.append(f"op {i} ({operation.__name__}): {exc}")
            break
        report.kinds[kind] = report.kinds.get(kind, 0) + 1
        report.ops += 1
        found = check(learner)
        if found:
            report.failures.append(f"op {i} ({kind}): " + "; ".join(found[:5]))
            break
    report.caught += flush_owed_interrupt()
    report.sent = timer.sent
    return report
