"""Names for torch functions, so a command can say which function to run without shipping code.

Only names inside torch resolve: a peer can ask a worker to run ``Tensor.add`` or
``torch.nn.functional.relu``, never an arbitrary callable.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from .errors import UnsupportedRemoteValueError

__all__ = ["function_name", "resolve_function", "short_name"]

_NAMESPACES: tuple[tuple[str, Any], ...] = (
    ("torch", torch),
    ("torch.nn.functional", F),
    ("torch.linalg", torch.linalg),
    ("torch.special", torch.special),
    ("torch.fft", torch.fft),
)
# Functions outside torch that are still safe to run on a peer's request.
_EXTRA: dict[str, Callable[..., Any]] = {"copy.deepcopy": copy.deepcopy}
_names: dict[Any, str] = {}
_functions: dict[str, Callable[..., Any]] = {}


def function_name(func: Callable[..., Any]) -> str:
    """A stable name for a function that ``__torch_function__`` received.

    >>> function_name(torch.Tensor.add), function_name(torch.add), function_name(F.relu)
    ('Tensor.add', 'torch.add', 'torch.nn.functional.relu')
    """
    try:
        return _names[func]
    except (KeyError, TypeError):
        pass
    name = _find_name(func)
    try:
        _names[func] = name
    except TypeError:
        pass
    return name


def _find_name(func: Callable[..., Any]) -> str:
    attr = getattr(func, "__name__", "")
    owner: Any = getattr(func, "__self__", None)
    # Property reads and writes arrive as the descriptor's bound __get__ / __set__.
    owner_name = str(getattr(owner, "__name__", ""))
    if attr in ("__get__", "__set__") and getattr(torch.Tensor, owner_name, None) is owner:
        return f"Tensor.{owner_name}.{attr}"
    if not _reverse:
        _build_reverse_index()
    try:
        return _reverse[func]
    except (KeyError, TypeError):
        pass
    raise UnsupportedRemoteValueError(
        f"syft_widgets cannot run {func!r} on a remote tensor: it is not a function of torch, "
        "torch.Tensor or torch.nn.functional. Bring the tensor back with .get() first."
    )


_reverse: dict[Any, str] = {}


def _build_reverse_index() -> None:
    # Built aside and published in one step: an interrupt (■) midway leaves the index empty, so it
    # is built again next time, never half built.
    index = {func: name for name, func in _EXTRA.items()}
    # Torch passes operators as the very objects found on its namespaces (Tensor.__pow__ is a
    # wrapper named "pow"), so look functions up by identity, not by name. Earlier namespaces win.
    for prefix, namespace in (("Tensor", torch.Tensor), *_NAMESPACES):
        for name in dir(namespace):
            if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
                continue
            try:
                index.setdefault(getattr(namespace, name), f"{prefix}.{name}")
            except (TypeError, AttributeError):
                continue
    _reverse.update(index)


def resolve_function(name: str) -> Callable[..., Any]:
    """The function a name stands for; refuses anything outside torch."""
    found = _functions.get(name) or _EXTRA.get(name)
    if found is not None:
        return found
    if name.startswith("Tensor."):
        parts = name.split(".")[1:]
        target: Any = torch.Tensor
    elif name.startswith("torch."):
        module_name, _, attr = name.rpartition(".")
        if module_name not in {prefix for prefix, _ in _NAMESPACES}:
            raise UnsupportedRemoteValueError(f"refusing to run {name!r}: not a torch function")
        target, parts = importlib.import_module(module_name), [attr]
    else:
        raise UnsupportedRemoteValueError(f"refusing to run {name!r}: not a torch function")
    for part in parts:
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            raise UnsupportedRemoteValueError(f"refusing to run private function {name!r}")
        target = getattr(target, part)
    _functions[name] = target
    return target


_short_names: dict[str, str] = {}


def short_name(name: str) -> str:
    """``"Tensor.__add__"`` -> ``"__add__"``; ``"Tensor.grad.__get__"`` -> ``"grad"``."""
    found = _short_names.get(name)
    if found is None:
        parts = name.split(".")
        found = _short_names[name] = parts[-2] if parts[-1] in ("__get__", "__set__") else parts[-1]
    return found
