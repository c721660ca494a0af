"""Helpers shared by the core's tests: run notebook cells, reset the world, compare stores."""

from __future__ import annotations

import ast
import contextlib
import gc
import io
from typing import Any

from syft_widgets.world import WORLD


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
