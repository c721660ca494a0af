"""Helpers shared by the core's tests: run notebook cells, reset the world, compare stores."""

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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from syft_widgets.world import WORLD

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
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(tree, "<cell>", "exec"), namespace)
        value = eval(compile(last, "<cell>", "eval"), namespace) if last is not None else None
    return value, out.getvalue()


def reset_world() -> None:
    """Empty every store without sending deletes, so each test starts as a fresh notebook."""
    gc.collect()
    for store in WORLD.stores.values():
        for obj in store.objects.values():
            if getattr(obj, "is_pointer", False):
                obj.garbage_collect_data = False
        store.clear()


@contextlib.contextmanager
def workers_set_aside(*worker_ids: str) -> Iterator[None]:
    """Let a test module's Ray workers take these ids; the world's workers are put back afterwards."""
    saved = dict(WORLD.workers), dict(WORLD.stores), list(WORLD.resolvers)
    for worker_id in worker_ids:  # other modules' virtual workers step aside while the module runs
        WORLD.workers.pop(worker_id, None)
        WORLD.stores.pop(worker_id, None)
    try:
        yield
    finally:
        WORLD.workers.clear()
        WORLD.workers.update(saved[0])
        WORLD.stores.clear()
        WORLD.stores.update(saved[1])
        WORLD.resolvers[:] = saved[2]


def store_state(*workers: Any) -> dict[str, dict[int, Any]]:
    """A comparable picture of stores: keys, object identity, and values of tensors."""
    state: dict[str, dict[int, Any]] = {}
    for w in workers:
        entries = {}
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
