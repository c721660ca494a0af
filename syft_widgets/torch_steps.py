"""Steps from torch's own hook points: one module call, one optimizer step, one ``zero_grad``.

A learner's ``model(data)`` sends one command per layer, and ``opt.step()`` several per parameter
(reads such as ``is_sparse``, in-place adds). Torch announces these calls itself, through global
module forward hooks and global optimizer step hooks; each opens one step, and everything the call
sends folds into it. Torch has no hook for ``zero_grad``, so it is wrapped. All of this is
installed only while someone records steps, so that plain torch code pays nothing otherwise.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable
from typing import Any

import torch
from torch.nn.modules import module as torch_module
from torch.optim import optimizer as torch_optimizer
from torch.utils.hooks import RemovableHandle

from .world import WORLD

__all__ = ["install", "module_label"]

_SIZES = (("in_features", "out_features"), ("in_channels", "out_channels"))


def module_label(module: torch.nn.Module) -> str:
    """The module as a learner would describe it: its class and, for a layer, its sizes.

    >>> module_label(torch.nn.Linear(2, 1)), module_label(torch.nn.ReLU())
    ('Linear(2 → 1)', 'ReLU')
    """
    name = type(module).__name__
    for size_in, size_out in _SIZES:
        n_in, n_out = getattr(module, size_in, None), getattr(module, size_out, None)
        if isinstance(n_in, int) and isinstance(n_out, int):
            return f"{name}({n_in} → {n_out})"
    return name


def _first_pointer(values: Iterable[Any]) -> Any:
    for value in values:
        if getattr(value, "is_pointer", False):
            return value
    return None


def _remote_parameters(optimizer: torch.optim.Optimizer) -> list[Any]:
    return [p for group in optimizer.param_groups for p in group["params"] if getattr(p, "is_pointer", False)]


# --- a module call ---------------------------------------------------------------------------------
def _before_forward(module: torch.nn.Module, args: tuple) -> None:
    # A call that involves no pointer is plain torch: no step, not even in a batch's count.
    pointer = _first_pointer(args)
    if pointer is None:
        pointer = _first_pointer(module.parameters())
    if pointer is not None:
        WORLD.open_torch_step(module, "module_call", lambda: _call_detail(module, args, pointer))


def _call_detail(module: torch.nn.Module, args: tuple, pointer: Any) -> dict[str, object]:
    inputs = tuple(a.id_at_location for a in args if getattr(a, "is_pointer", False))
    return {"module": module_label(module), "holder": str(pointer.location.id), "inputs": inputs}


def _after_forward(module: torch.nn.Module, args: tuple, result: Any) -> None:
    # Registered with always_call: when forward raised, torch calls this from its exception
    # handler with no result, and sys.exc_info() holds the exception on its way to the learner.
    WORLD.close_torch_step(module, sys.exc_info()[1] if result is None else None)


# --- an optimizer step and zero_grad ---------------------------------------------------------------
def _optimizer_detail(optimizer: torch.optim.Optimizer, remote: list[Any]) -> dict[str, object]:
    return {
        "optimizer": type(optimizer).__name__,
        "holder": str(remote[0].location.id),
        "count": len(remote),
    }


def _before_optimizer_step(optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
    _keep_grad_mode(type(optimizer))  # from this class's next step on (this one has begun)
    remote = _remote_parameters(optimizer)
    if remote:
        WORLD.open_torch_step(optimizer, "optimizer_step", lambda: _optimizer_detail(optimizer, remote))


def _after_optimizer_step(optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
    # Torch runs post hooks only after a step that returned; a step that raised is closed by the
    # world as abandoned (see World.open_torch_step).
    WORLD.close_torch_step(optimizer)


# Torch's step turns grad mode off and back on in a `finally` (optimizer._use_grad_for_differentiable)
# that no pointer operation holds: ■ pressed just then stops it before the restore, and the learner's
# next backward() finds grad mode off. While steps are recorded each optimizer class's step is
# wrapped once more, restoring the mode itself. Its `finally` begins with the C call that restores
# it, and CPython runs a signal handler only after such a call returns, never just before it.
_KEEPS_GRAD_MODE = "_syft_widgets_keeps_grad_mode"
_wrapped_steps: dict[type, Any] = {}


def _keep_grad_mode(optimizer_class: type) -> None:
    step = optimizer_class.__dict__.get("step")
    # Only a step torch has wrapped already ("hooked"), so torch does not wrap ours again.
    if step is None or getattr(step, _KEEPS_GRAD_MODE, False) or not getattr(step, "hooked", False):
        return

    @functools.wraps(step)
    def step_keeping_grad_mode(*args: Any, **kwargs: Any) -> Any:
        grad_was_enabled = torch.is_grad_enabled()
        try:
            return step(*args, **kwargs)
        finally:
            torch._C._set_grad_enabled(grad_was_enabled)

    setattr(step_keeping_grad_mode, _KEEPS_GRAD_MODE, True)
    _wrapped_steps[optimizer_class] = step
    optimizer_class.step = step_keeping_grad_mode  # type: ignore[attr-defined]


def _optimizer_classes() -> list[type]:
    found: list[type] = []
    todo: list[type] = [torch.optim.Optimizer]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _unwrap_steps() -> None:
    for optimizer_class, step in _wrapped_steps.items():
        if getattr(optimizer_class.__dict__.get("step"), _KEEPS_GRAD_MODE, False):
            optimizer_class.step = step  # type: ignore[attr-defined]
    _wrapped_steps.clear()


_torch_zero_grad = torch.optim.Optimizer.zero_grad


@functools.wraps(_torch_zero_grad)
def _zero_grad(self: torch.optim.Optimizer, set_to_none: bool = True) -> None:
    remote = _remote_parameters(self)
    if not remote:
        return _torch_zero_grad(self, set_to_none)
    holder = str(remote[0].location.id)
    with WORLD.step("zero_grad", optimizer=type(self).__name__, holder=holder, count=len(remote)):
        return _torch_zero_grad(self, set_to_none)


# --- installing ------------------------------------------------------------------------------------
_handles: list[RemovableHandle] = []


def _watch(listening: bool) -> None:
    optimizer_class: Any = torch.optim.Optimizer
    if listening and not _handles:
        _handles.extend(
            [
                torch_module.register_module_forward_pre_hook(_before_forward),
                torch_module.register_module_forward_hook(_after_forward, always_call=True),
                torch_optimizer.register_optimizer_step_pre_hook(_before_optimizer_step),
                torch_optimizer.register_optimizer_step_post_hook(_after_optimizer_step),
            ]
        )
        optimizer_class.zero_grad = _zero_grad
        for cls in _optimizer_classes():
            _keep_grad_mode(cls)
    elif not listening and _handles:
        for handle in _handles:
            handle.remove()
        _handles.clear()
        optimizer_class.zero_grad = _torch_zero_grad
        _unwrap_steps()


def install() -> None:
    """Follow the world: torch's hooks are in place exactly while steps have a listener."""
    if _watch not in WORLD.step_watchers:
        WORLD.step_watchers.append(_watch)
    _watch(WORLD.bus.wants_steps)
