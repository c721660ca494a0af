"""Tutorial Part 3 run cell by cell on any kind of worker, and what the Ray test modules share.

Used by tests/test_ray.py and tests/test_ray_cluster.py; a test module never imports another
test module, so these live here.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

import syft_widgets as sy
from syft_widgets.world import WORLD


@contextmanager
def swapped(*worker_ids: str) -> Iterator[None]:
    """Run with no workers of these ids registered; restore whatever was there afterwards."""
    saved = {i: WORLD.workers.pop(i, None) for i in worker_ids}  # each with its store
    try:
        yield
    finally:
        for i, worker in saved.items():
            WORLD.workers.pop(i, None)
            if worker is not None:
                WORLD.workers[i] = worker


def ray_worker(hook: Any) -> Callable[[str], Any]:
    def make(worker_id: str) -> Any:
        worker = sy.RayWorker(hook, id=worker_id)
        worker.clear_objects()  # the actor outlives a test; start from an empty store
        return worker

    return make


def virtual_worker(hook: Any) -> Callable[[str], Any]:
    return lambda worker_id: sy.VirtualWorker(hook, id=worker_id)


def run_cell(ns: dict[str, Any], source: str) -> Any:
    """Execute a notebook cell; return its last expression's value, as Jupyter would show it."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), ns)
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns) if last else None


def counts(ns: dict[str, Any], *names: str) -> tuple[int, ...]:
    return tuple(len(ns[n]._objects) for n in names)


def shape_of(store: dict[int, Any]) -> list[Any]:
    """A store without its random ids: values of tensors, targets of pointers, in order."""
    out: list[Any] = []
    for obj in store.values():
        if getattr(obj, "is_pointer", False):
            out.append(("pointer", str(obj.owner.id), str(obj.location.id)))
        else:
            out.append(("tensor", obj.tolist()))
    return out


# --- the seed: tutorial Part 3 -----------------------------------------------------------------
PART3 = [
    "bob = W('bob')\nalice = W('alice')",
    "x = torch.tensor([1,2,3,4])\nx",
    "x_ptr = x.send(bob)\nx_ptr",
    "pointer_to_x_ptr = x_ptr.send(alice)\npointer_to_x_ptr",
    "bob._objects",
    "alice._objects",
    "x_ptr = pointer_to_x_ptr.get()\nx_ptr",
    "x = x_ptr.get()\nx",
    "bob._objects",
    "alice._objects",
    "p2p2x = torch.tensor([1,2,3,4,5]).send(bob).send(alice)\n\ny = p2p2x + p2p2x",
    "bob._objects",
    "alice._objects",
    "y.get().get()",
    "bob._objects",
    "alice._objects",
    "p2p2x.get().get()",
    "bob._objects",
    "alice._objects",
    "x = torch.tensor([1,2,3,4,5]).send(bob)",
    "x = x.move(alice)",
    "bob._objects",
    "alice._objects",
    "x",
]


def run_part3(make: Callable[[str], Any], cells: list[str] = PART3) -> list[Any]:
    ns: dict[str, Any] = {"torch": torch, "sy": sy, "W": make}
    shown = []
    for cell in cells:
        value = run_cell(ns, cell)
        if isinstance(value, dict):
            shown.append(shape_of(value))
        elif getattr(value, "is_pointer", False):
            shown.append(("pointer", str(value.owner.id), str(value.location.id)))
        elif isinstance(value, torch.Tensor):
            shown.append(value.tolist())
        else:
            shown.append(value)
        shown.append(counts(ns, "bob", "alice") if "bob" in ns else None)
    return shown
