"""Run tutorial cells as a notebook would: in one namespace, returning the last expression's value."""

from __future__ import annotations

import ast
import contextlib
import io
from typing import Any


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
