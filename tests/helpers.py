"""Helpers shared by the tests: run notebook cells, reset the world, compare stores, a recording comm,
the tutorials' cells, and the check that a diagram draws every event where it happened.

No test module imports another test module: what two of them share lives here."""

from __future__ import annotations

import ast
import contextlib
import gc
import io
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from syft_widgets.diagram import to_dot
from syft_widgets.diagram.ids import worker_slug
from syft_widgets.events import MessageSent, ObjectRemoved, ObjectStored, Step
from syft_widgets.world import WORLD
from tests.dot_reader import Dot, parse_dot

# Debian's Chromium, headless and offline: without the background-networking flags it keeps trying
# to reach Google's hosts through this machine's closed network (../shared/notes/browser-testing.md).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def jupyter_server(
    command: Sequence[str], *, env: dict[str, str], cwd: Path, log: Path, timeout: float = 90
) -> Iterator[tuple[str, str]]:
    """Start a Jupyter server (``command`` plus port and token flags), wait until it answers, yield
    (its URL, its token), and stop it afterwards by its own PID: it shuts its kernels down on SIGTERM.
    """
    port, token = free_port(), uuid.uuid4().hex
    args = [*command, "--no-browser", f"--port={port}", "--ServerApp.port_retries=0"]
    args.append(f"--IdentityProvider.token={token}")
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    status = urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(status, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                f"{' '.join(command)} did not start a server; see {log}:\n{log.read_text()[-3000:]}"
            )
        time.sleep(0.3)
    try:
        yield url, token
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def run_cell(namespace: dict[str, Any], source: str) -> tuple[Any, str]:
    """Execute ``source``; return (value of its last expression or None, what it printed)."""
    tree = ast.parse(source)
    last = None
    if tree.body and isinstance(final := tree.body[-1], ast.Expr):
        tree.body.pop()
        last = ast.Expression(final.value)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(tree, "<cell>", "exec"), namespace)
        value = eval(compile(last, "<cell>", "eval"), namespace) if last is not None else None
    return value, out.getvalue()


def reset_world() -> None:
    """Empty every store without sending deletes, so each test starts as a fresh notebook."""
    gc.collect()
    for worker in list(WORLD.workers.values()):
        store = worker.object_store
        for obj in store.objects.values():
            if getattr(obj, "is_pointer", False):
                obj.garbage_collect_data = False
        store.clear()


@contextlib.contextmanager
def workers_set_aside(*worker_ids: str) -> Iterator[None]:
    """Let a test module's Ray workers take these ids; the world's workers are put back afterwards."""
    saved = dict(WORLD.workers), list(WORLD.resolvers)
    for worker_id in worker_ids:  # other modules' virtual workers (and their stores) step aside
        WORLD.workers.pop(worker_id, None)
    try:
        yield
    finally:
        WORLD.workers.clear()
        WORLD.workers.update(saved[0])
        WORLD.resolvers[:] = saved[1]


def store_state(*workers: Any) -> dict[str, dict[int, Any]]:
    """A comparable picture of stores: keys, object identity, and values of tensors."""
    state: dict[str, dict[int, Any]] = {}
    for w in workers:
        entries: dict[int, tuple[Any, ...]] = {}
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


# --- a stand-in for a kernel's comm (live view tests without a kernel) ------------------------------
class RecordingComm:
    """Stands in for a kernel comm, so a LiveView can be made outside a kernel, and keeps every message
    the widget sends (tests that do not read them simply ignore them)."""

    comm_id = "test-comm"
    kernel = "test"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.messages: list[dict[str, Any]] = []

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        self.messages.append(data)

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


# --- the tutorials' cells, as a learner runs them (tests of steps, diagrams and the tutorials) -------
# Tutorial Part 2 (Intro to Federated Learning), the PySyft 0.2 variant.
SETUP = """
import torch
from torch import nn
from torch import optim
import syft_widgets as sy
hook = sy.TorchHook(torch)
bob = sy.VirtualWorker(hook, id="bob")
alice = sy.VirtualWorker(hook, id="alice")
torch.manual_seed(0)
"""

DATA_OLD = """
data = torch.tensor([[0,0],[0,1],[1,0],[1,1.]], requires_grad=True)
target = torch.tensor([[0],[0],[1],[1.]], requires_grad=True)
data_bob = data[0:2].send(bob)
target_bob = target[0:2].send(bob)
data_alice = data[2:].send(alice)
target_alice = target[2:].send(alice)
datasets = [(data_bob,target_bob),(data_alice,target_alice)]
model = nn.Linear(2,1)
opt = optim.SGD(params=model.parameters(),lr=0.1)
"""

TRAIN_OLD = """
def train():
    opt = optim.SGD(params=model.parameters(),lr=0.1)
    for iter in range(10):
        for data,target in datasets:
            model.send(data.location)
            opt.zero_grad()
            pred = model(data)
            loss = ((pred - target)**2).sum()
            loss.backward()
            opt.step()
            model.get()
            print(loss.get())
train()
"""


# Tutorial Part 4 (Federated Learning via Trusted Aggregator): each cell with what it leaves behind.
PART4_CELLS = [
    (
        "import torch\nimport syft_widgets as sy\nimport copy\nhook = sy.TorchHook(torch)\nfrom torch import nn, optim",
        None,
    ),
    (
        """bob = sy.VirtualWorker(hook, id="bob")
alice = sy.VirtualWorker(hook, id="alice")
secure_worker = sy.VirtualWorker(hook, id="secure_worker")
data = torch.tensor([[0,0],[0,1],[1,0],[1,1.]], requires_grad=True)
target = torch.tensor([[0],[0],[1],[1.]], requires_grad=True)
bobs_data = data[0:2].send(bob)
bobs_target = target[0:2].send(bob)
alices_data = data[2:].send(alice)
alices_target = target[2:].send(alice)""",
        (2, 2, 0),
    ),
    ("model = nn.Linear(2,1)", (2, 2, 0)),
    (
        """bobs_model = model.copy().send(bob)
alices_model = model.copy().send(alice)
bobs_opt = optim.SGD(params=bobs_model.parameters(),lr=0.1)
alices_opt = optim.SGD(params=alices_model.parameters(),lr=0.1)""",
        (4, 4, 0),
    ),
    (
        """for i in range(10):
    bobs_opt.zero_grad()
    bobs_pred = bobs_model(bobs_data)
    bobs_loss = ((bobs_pred - bobs_target)**2).sum()
    bobs_loss.backward()
    bobs_opt.step()
    bobs_loss = bobs_loss.get().data
    alices_opt.zero_grad()
    alices_pred = alices_model(alices_data)
    alices_loss = ((alices_pred - alices_target)**2).sum()
    alices_loss.backward()
    alices_opt.step()
    alices_loss = alices_loss.get().data
    print("Bob:" + str(bobs_loss) + " Alice:" + str(alices_loss))""",
        (5, 5, 0),
    ),
    ("alices_model.move(secure_worker)", (5, 3, 2)),
    ("bobs_model.move(secure_worker)", (3, 3, 4)),
    (
        """with torch.no_grad():
    model.weight.set_(((alices_model.weight.data + bobs_model.weight.data) / 2).get())
    model.bias.set_(((alices_model.bias.data + bobs_model.bias.data) / 2).get())""",
        (3, 3, 4),
    ),
]


# --- diagrams: every event drawn where it happened --------------------------------------------------
def nodes_for(dot: Dot, obj_id: int, worker: str) -> set[str]:
    """The nodes drawing object ``obj_id`` in ``worker``'s box (``obj_<id>``, or ``obj_<id>_<worker>``)."""
    names = {f"obj_{obj_id}", f"obj_{obj_id}_{worker_slug(worker)}"}
    return {n for n in dot.in_cluster(f"cluster_{worker_slug(worker)}") if n in names}


def assert_drawn_where_it_happened(step: Step, names: Mapping[int, str] | None = None) -> None:
    """Read from the core's events alone: the messages from one worker to another one arrow between
    the right boxes, in the order of their first message;
    each stored object a node in its worker's box; each removal a ghost there, or the same id drawn
    as moved into another box (a pointer fetched home, a tensor moved on)."""
    dot = parse_dot(to_dot(step.snapshot, step=step, names=names))
    where = f"step {step.index} ({step.op})"
    sent = [e for e in step.events if isinstance(e, MessageSent)]
    pairs = [(f"cluster_{worker_slug(m.sender)}", f"cluster_{worker_slug(m.receiver)}") for m in sent]
    assert [(t, h) for t, h, _ in dot.messages()] == list(dict.fromkeys(pairs)), where
    stored = {(e.worker, e.obj.id) for e in step.events if isinstance(e, ObjectStored)}
    for worker, obj_id in stored:
        assert nodes_for(dot, obj_id, worker), f"{where}: {obj_id} not drawn on {worker}"
    for e in step.events:
        if isinstance(e, ObjectRemoved) and (e.worker, e.obj_id) not in stored:
            ghosts = [n for n in nodes_for(dot, e.obj_id, e.worker) if "removed" in dot.classes(n)]
            arrived = [  # fetched or moved: the same id drawn "moved" in another box
                n
                for n in (f"obj_{e.obj_id}", f"obj_{e.obj_id}_me")
                if n in dot.nodes
                and dot.cluster_of[n] != f"cluster_{worker_slug(e.worker)}"
                and "moved" in dot.classes(n)
            ]
            assert len(ghosts) + len(arrived) == 1, f"{where}: {e} drawn as {ghosts} {arrived}"
