"""The stop button (■) during ``opt.step()`` never leaves torch's grad mode off.

Torch's optimizer step turns grad mode off and back on in a ``finally``; an interrupt landing in
that ``finally`` would skip the restore, and the learner's next ``loss.backward()`` would find
no graph. The interrupt is sent as a real SIGINT at every moment of the step where CPython can run
a signal handler (each function call and each return from C, found with a profile hook).
"""

from __future__ import annotations

import inspect
import signal
import sys
from typing import Any

import torch

from syft_widgets import interrupts
from syft_widgets.world import WORLD


class PressAt:
    """A profile hook that presses ■ (SIGINT) at the k-th function call or C return it sees."""

    def __init__(self, k: int) -> None:
        self.k, self.seen, self.pressed = k, 0, False

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event not in ("call", "c_return"):
            return
        if event == "call" and frame.f_code.co_flags & inspect.CO_GENERATOR:
            return  # also reported when a generator is closed, where CPython runs no signal handler
        if self.seen == self.k:
            sys.setprofile(None)
            self.pressed = True
            signal.raise_signal(signal.SIGINT)
        self.seen += 1


def test_an_interrupted_optimizer_step_leaves_grad_mode_on(env, steps) -> None:
    model = torch.nn.Linear(2, 1).send(env.bob)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.tensor([[1.0, 2.0]]).send(env.bob)).sum().backward()
    opt.step()  # the first step of a class prepares it (torch wraps it for its hooks)
    left_off, interrupted = [], 0
    for k in range(10_000):
        press = PressAt(k)
        try:
            sys.setprofile(press)
            opt.step()
        except KeyboardInterrupt:
            interrupted += 1
        finally:
            sys.setprofile(None)
        try:  # an interrupt kept for the next operation: raise it now, as that operation would
            interrupts.release(interrupts.hold())
        except KeyboardInterrupt:
            interrupted += 1
        WORLD.flush_steps()
        if not torch.is_grad_enabled():
            left_off.append(k)
            torch.set_grad_enabled(True)
        if not press.pressed:  # k is past the step's last moment: every moment was tried
            break
    assert left_off == []
    assert interrupted > 200  # the step really was interrupted at its many moments
