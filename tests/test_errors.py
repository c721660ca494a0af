"""The catalog of misuse: each mistake raises a specific error that says what to do, and changes nothing.

Every case runs its call on workers holding objects, then checks that every store (keys, object
identity, values) is exactly as it was before the call. docs/errors.md lists the same table.
"""

from __future__ import annotations

import pickle
import re

import pytest
import torch
from torch import nn

import syft_widgets as sy
from syft_widgets import errors as e
from syft_widgets.federated import Optims
from tests.helpers import run_cell, store_state

SETUP = """
x = torch.tensor([1, 2, 3, 4])
x_ptr = x.send(bob)
y_ptr = torch.tensor([5, 6, 7, 8]).send(alice)
s_ptr = torch.tensor(3.0).send(bob)
g_ptr = torch.tensor([1., 2.], requires_grad=True).send(bob)
model = nn.Linear(2, 1)
"""


class OtherWorker(sy.BaseWorker):
    """A worker of another type, to clash with an id."""


# (id, extra setup, the mistaken call, exception, what the message must say)
CASES = [
    (
        "add-pointers-on-two-workers",
        "",
        "x_ptr + y_ptr",
        e.TensorsNotCollocatedException,
        r"'bob'.*'alice'.*\.move\(",
    ),
    (
        "torch-add-on-two-workers",
        "",
        "torch.add(x_ptr, y_ptr)",
        e.TensorsNotCollocatedException,
        r"not on the same machine",
    ),
    (
        "pointer-plus-local-tensor",
        "",
        "x_ptr + x",
        e.TensorsNotCollocatedException,
        r"local tensor.*\.send\(bob\)",
    ),
    ("local-tensor-plus-pointer", "", "x + x_ptr", e.TensorsNotCollocatedException, r"local tensor"),
    (
        "matmul-across-workers",
        "",
        "torch.dot(x_ptr, y_ptr)",
        e.TensorsNotCollocatedException,
        r"\.move\('bob'\)",
    ),
    (
        "get-twice",
        "x_ptr.get()",
        "x_ptr.get()",
        e.SpentPointerError,
        r"already used with \.get\(\).*x\.send\('bob'\)",
    ),
    ("spent-pointer-in-arithmetic", "x_ptr.get()", "x_ptr + x_ptr", e.SpentPointerError, r"already used"),
    ("spent-pointer-send", "x_ptr.get()", "x_ptr.send(alice)", e.SpentPointerError, r"already used"),
    ("spent-pointer-move", "x_ptr.get()", "x_ptr.move(alice)", e.SpentPointerError, r"already used"),
    (
        "get-after-clear-objects",
        "bob.clear_objects()",
        "x_ptr.get()",
        e.ObjectNotFoundError,
        r"not found on worker.*clear_objects",
    ),
    (
        "arithmetic-after-clear-objects",
        "bob.clear_objects()",
        "x_ptr + x_ptr",
        e.ObjectNotFoundError,
        r"not found",
    ),
    (
        "move-after-clear-objects",
        "bob.clear_objects()",
        "x_ptr.move(alice)",
        e.ObjectNotFoundError,
        r"not found",
    ),
    (
        "chain-get-after-data-fetched",
        "p = x_ptr.send(alice)\nx_ptr.get()\nq = p.get()",
        "q.get()",
        e.ObjectNotFoundError,
        r"\.get\(\) was already called",
    ),
    (
        "send-to-unknown-worker-id",
        "",
        "x.send('nobody')",
        e.UnknownWorkerError,
        r"'nobody'.*Known workers.*VirtualWorker\(hook, id='nobody'\)",
    ),
    ("send-to-a-number", "", "x.send(4.5)", e.NotAWorkerError, r"needs a worker.*4\.5"),
    ("send-to-none", "", "x.send(None)", e.NotAWorkerError, r"needs a worker"),
    ("send-to-a-list-of-workers", "", "x.send([bob])", e.NotAWorkerError, r"needs a worker"),
    (
        "send-to-two-workers",
        "",
        "x.send(bob, alice)",
        e.NotAWorkerError,
        r"exactly one worker.*x\.send\(bob\)",
    ),
    ("send-to-no-worker", "", "x.send()", e.NotAWorkerError, r"exactly one worker"),
    ("send-tensor-to-me", "", "x.send(me)", e.PointerCycleError, r"already on 'me'"),
    ("send-pointer-to-where-it-points", "", "x_ptr.send(bob)", e.PointerCycleError, r"point to itself"),
    ("send-pointer-to-its-owner", "", "x_ptr.send(me)", e.PointerCycleError, r"\.get\(\)"),
    ("move-to-unknown-worker", "", "x_ptr.move('nobody')", e.UnknownWorkerError, r"'nobody'"),
    ("move-to-a-string-list", "", "x_ptr.move(['alice'])", e.NotAWorkerError, r"\.move\(\) needs a worker"),
    ("item-on-pointer", "", "s_ptr.item()", e.RemoteValueError, r"\.get\(\)\.item\(\)"),
    ("tolist-on-pointer", "", "x_ptr.tolist()", e.RemoteValueError, r"lives on 'bob'"),
    ("numpy-on-pointer", "", "x_ptr.numpy()", e.RemoteValueError, r"\.get\(\)"),
    ("bool-of-pointer", "", "bool(s_ptr)", e.RemoteValueError, r"\.get\(\)"),
    ("float-of-pointer", "", "float(s_ptr)", e.RemoteValueError, r"\.get\(\)"),
    ("get-on-local-tensor", "", "x.get()", e.NotAPointerError, r"local.*x_ptr = x\.send\(bob\)"),
    ("move-on-local-tensor", "", "x.move(alice)", e.NotAPointerError, r"x\.send\(bob\)"),
    ("remote-get-on-local-tensor", "", "x.remote_get()", e.NotAPointerError, r"pointers to pointers"),
    (
        "remote-get-on-a-plain-pointer",
        "",
        "x_ptr.remote_get()",
        e.InvalidTensorForRemoteGet,
        r"needs a pointer to a pointer",
    ),
    (
        "worker-id-list",
        "",
        "sy.VirtualWorker(hook, id=['a'])",
        e.InvalidWorkerIdError,
        r"non-empty string or an int",
    ),
    ("worker-id-empty", "", "sy.VirtualWorker(hook, id='')", e.InvalidWorkerIdError, r"id='bob'"),
    ("worker-id-bool", "", "sy.VirtualWorker(hook, id=True)", e.InvalidWorkerIdError, r"True"),
    (
        "ray-worker-option-it-cannot-use",
        "",
        "sy.RayWorker(hook, id='carol', ray_options={'max_concurrency': 4})",
        e.InvalidRayOptionsError,
        r"'max_concurrency'.*one message at a time",
    ),
    (
        "worker-id-of-another-type",
        "",
        "OtherWorker(hook, id='bob')",
        e.WorkerIdConflictError,
        r"already exists and is a VirtualWorker",
    ),
    (
        "shape-mismatch-runs-remotely",
        "",
        "x_ptr + torch.tensor([1, 2, 3]).send(bob)",
        RuntimeError,
        r"size of tensor",
    ),
    (
        "huge-remote-result",
        "",
        "x_ptr.repeat(10**6, 10**6)",
        RuntimeError,
        r"(?s)memory.*\(raised on worker 'bob' while running repeat\)",
    ),
    ("len-of-0d-pointer", "", "len(s_ptr)", TypeError, r"0-d"),
    (
        "unsupported-argument",
        "",
        "torch.nn.functional.relu(x_ptr, inplace=object())",
        e.UnsupportedRemoteValueError,
        r"cannot travel",
    ),
    ("pickle-a-pointer", "", "pickle.dumps(x_ptr)", e.UnsupportedRemoteValueError, r"\.get\(\) first"),
    (
        "send-attribute-pointer",
        "",
        "g_ptr.data.send(alice)",
        e.UnsupportedRemoteValueError,
        r"send the tensor it belongs to",
    ),
    (
        "move-attribute-pointer",
        "",
        "g_ptr.data.move(alice)",
        e.UnsupportedRemoteValueError,
        r"move the tensor it belongs to",
    ),
    (
        "send-model-twice",
        "model.send(bob)",
        "model.send(alice)",
        e.UnsupportedRemoteValueError,
        r"already on 'bob'.*model\.get\(\).*model\.move\('alice'\)",
    ),
    ("send-model-to-unknown", "", "model.send('nobody')", e.UnknownWorkerError, r"'nobody'"),
    ("move-local-model", "", "model.move(alice)", e.UnsupportedRemoteValueError, r"model\.send\('alice'\)"),
    ("send-model-with-buffers", "", "nn.BatchNorm1d(2).send(bob)", e.UnsupportedRemoteValueError, r"buffers"),
    (
        "optims-unknown-worker",
        "optims = Optims(['bob'], optim=torch.optim.SGD(model.parameters(), lr=0.1))",
        "optims.get_optim('alice')",
        KeyError,
        r"'alice'.*'bob'",
    ),
]


@pytest.mark.parametrize(("setup", "call", "exc", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_mistake_raises_a_specific_error_and_changes_no_store(env, setup, call, exc, match) -> None:
    ns = {"torch": torch, "nn": nn, "sy": sy, "pickle": pickle, "Optims": Optims, "OtherWorker": OtherWorker,
          "hook": env.hook, "me": env.me, "bob": env.bob, "alice": env.alice}  # fmt: skip
    run_cell(ns, SETUP)
    run_cell(ns, setup)
    workers = (env.me, env.bob, env.alice, env.secure_worker)
    before = store_state(*workers)
    pointers_before = {k: repr(v) for k, v in ns.items() if getattr(v, "is_pointer", False)}
    with pytest.raises(exc, match=match):
        run_cell(ns, call)
    assert store_state(*workers) == before
    assert {k: repr(v) for k, v in ns.items() if getattr(v, "is_pointer", False)} == pointers_before


# Library errors the catalog cannot provoke with VirtualWorkers, and why.
NOT_IN_CATALOG = {
    "SyftWidgetsError": "the base class; only its subclasses are raised",
    "WorkerOfflineError": "only Ray workers go offline: tests/test_ray.py",
}


def test_every_library_error_has_a_case_in_the_catalog() -> None:
    raised = {c[3].__name__ for c in CASES}
    missing = set(e.__all__) - raised - set(NOT_IN_CATALOG)
    assert not missing, f"add a case to CASES (and docs/errors.md) for {sorted(missing)}"
    assert not set(NOT_IN_CATALOG) & raised, "a case exists now: remove it from NOT_IN_CATALOG"


def test_every_library_error_subclasses_the_fitting_builtin() -> None:
    # Code written for PySyft 0.2 catches builtins (a spent pointer raised AttributeError there).
    for name in set(e.__all__) - {"SyftWidgetsError"}:
        cls = getattr(e, name)
        assert issubclass(cls, e.SyftWidgetsError), name
        builtin = [b for b in cls.__bases__ if b.__module__ == "builtins" and b is not Exception]
        assert builtin, f"{name} subclasses no builtin error but Exception"
    assert issubclass(e.SpentPointerError, AttributeError)


# A library error says what to do: a call or action that fixes the mistake.
ADVICE = re.compile(r"\b(?:use|call|send|bring|move|create|pick|keep|add)\b|\be\.g\.|\blike\b", re.IGNORECASE)
LIBRARY_CASES = [c for c in CASES if issubclass(c[3], e.SyftWidgetsError)]
# Errors whose message does not say what to do yet (strict: fixing one forces removing it here).
NO_ADVICE_YET: dict[str, str] = {}


@pytest.mark.parametrize(
    ("setup", "call", "exc"),
    [
        pytest.param(
            *c[1:4],
            id=c[0],
            marks=[pytest.mark.xfail(strict=True, reason=NO_ADVICE_YET[c[0]])]
            if c[0] in NO_ADVICE_YET
            else [],
        )
        for c in LIBRARY_CASES
    ],
)
def test_every_library_error_says_what_to_do_in_its_message(env, setup, call, exc) -> None:
    ns = {"torch": torch, "nn": nn, "sy": sy, "pickle": pickle, "Optims": Optims, "OtherWorker": OtherWorker,
          "hook": env.hook, "me": env.me, "bob": env.bob, "alice": env.alice}  # fmt: skip
    run_cell(ns, SETUP)
    run_cell(ns, setup)
    with pytest.raises(exc) as info:
        run_cell(ns, call)
    assert ADVICE.search(str(info.value)), f"no advice in: {info.value}"


def test_the_docs_table_lists_every_case() -> None:
    from pathlib import Path

    table = (Path(__file__).parents[1] / "docs" / "errors.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")}
    assert {c[0] for c in CASES} <= rows
