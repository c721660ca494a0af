"""■ in a real Jupyter kernel: the kernel's interrupt stops a loop of pointer operations cleanly.

IPython puts its own SIGINT handler back before every cell; the library must hold interrupts all the
same. The kernel is interrupted the way the stop button does it (a SIGINT from the kernel manager)
at a random moment of a loop that adds, sends a pointer on, fetches, changes in place and moves.
Afterwards every object on a worker is reached from a variable, and ``x`` still reaches its data.
"""

from __future__ import annotations

import json
import queue
import random
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.slow

SETUP = """
import gc, json, signal, torch, syft_widgets as sy
hook = sy.TorchHook(torch)
bob = sy.VirtualWorker(hook, id="bob")
alice = sy.VirtualWorker(hook, id="alice")
x = torch.tensor([1.0, 2.0, 3.0]).send(bob)
"""

LOOP = """
while True:
    other = alice if x.location.id == "bob" else bob
    y = x + x
    z = y.send(other)
    w = z.get()
    x.add_(0)
    x = x.move(other)
    del y, z, w
"""

CHECK = """
gc.collect()
reached = set()
for name in ("x", "y", "z", "w"):
    p = globals().get(name)
    while getattr(p, "is_pointer", False) and p.is_live_pointer:
        reached.add((p.location.id, p.id_at_location))
        p = p.location._objects.get(p.id_at_location)
print(json.dumps({
    "orphans": [[w.id, k] for w in (bob, alice) for k in w._objects if (w.id, k) not in reached],
    "x": x.location._objects[x.id_at_location].tolist() if x.is_live_pointer else None,
}))
for name in ("y", "z", "w"):
    globals().pop(name, None)
"""


@pytest.fixture
def kernel() -> Iterator[tuple[Any, Any]]:
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(kernel: tuple[Any, Any], code: str, interrupt_after: float | None = None) -> tuple[str, str | None]:
    """Run a cell; (what it printed, the name of the error it ended with, if any)."""
    manager, client = kernel
    msg_id = client.execute(code)
    start, interrupted, printed, error = time.monotonic(), False, [], None
    while True:
        if interrupt_after is not None and not interrupted and time.monotonic() - start > interrupt_after:
            manager.interrupt_kernel()
            interrupted = True
        if time.monotonic() - start > 120:
            raise TimeoutError(code)
        try:
            msg = client.get_iopub_msg(timeout=0.05)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            printed.append(content["text"])
        elif kind == "error":
            error = content["ename"]
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(printed), error


@pytest.mark.skipif(sys.platform == "win32", reason="the kernel is interrupted with SIGINT")
def test_the_stop_button_in_a_kernel_leaves_nothing_orphaned_or_lost(kernel: tuple[Any, Any]) -> None:
    _, error = run(kernel, SETUP)
    assert error is None
    rng = random.Random(5)
    for trial in range(6):
        _, error = run(kernel, LOOP, interrupt_after=rng.uniform(0.05, 0.4))
        assert error == "KeyboardInterrupt", f"trial {trial}: the loop ended with {error}"
        printed, error = run(kernel, CHECK)
        assert error is None, printed
        state = json.loads(printed)
        assert state == {"orphans": [], "x": [1.0, 2.0, 3.0]}, f"trial {trial}"
