"""The seed tutorial (Part 3) run on the real core, with the steps a live view of it records.

Diagram tests draw these steps instead of hand-made ones, so they check what the core really emits
(operation names, reply arrows, ids) and follow it when it changes. Each recorded step keeps the
cell that caused it, the learner's variable names for pointers at the end of that cell (as the
live view reads them from the namespace) and, as plain data, where each named pointer pointed.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from syft_widgets.events import Step
from syft_widgets.widgets._drawing import filter_step, pointer_names
from syft_widgets.world import WORLD
from tests.helpers import reset_world, run_cell

__all__ = ["SEED_CELLS", "WORKERS", "PointerAt", "Recorded", "SeedTutorial", "record_seed_tutorial"]

SETUP = """import torch
from torch import nn
import syft_widgets as sy
hook = sy.TorchHook(torch)
bob = sy.VirtualWorker(hook, id='bob')
alice = sy.VirtualWorker(hook, id='alice')"""

# (name, source): the tutorial's cells in order, plus a model sent away and a variable deleted.
SEED_CELLS: tuple[tuple[str, str], ...] = (
    ("send x", "x = torch.tensor([1,2,3,4])\nx_ptr = x.send(bob)"),
    ("send pointer", "pointer_to_x_ptr = x_ptr.send(alice)"),
    ("get pointer", "x_ptr = pointer_to_x_ptr.get()"),
    ("get x", "x = x_ptr.get()"),
    ("chain", "p2p2x = torch.tensor([1,2,3,4,5]).send(bob).send(alice)"),
    ("add", "y = p2p2x + p2p2x"),
    ("get y", "y.get().get()"),
    ("get p2p2x", "p2p2x.get().get()"),
    ("send x again", "x = torch.tensor([1,2,3,4,5]).send(bob)"),
    ("move", "x = x.move(alice)"),
    ("send model", "model = nn.Linear(2, 1)\nmodel.send(bob)"),
    ("del x", "del x"),
)

# The view the tests draw: sy.show(me, bob, alice). Workers other tests made stay out of the picture.
WORKERS = ("me", "bob", "alice")


@dataclass(frozen=True)
class PointerAt:
    """A learner's pointer variable as plain data: its own id and where it pointed."""

    id: int
    location: str
    id_at_location: int


@dataclass(frozen=True)
class Recorded:
    cell: str
    step: Step
    names: Mapping[int, str]  # pointer id -> the learner's variable name, at the end of the cell
    pointers: Mapping[str, PointerAt]  # variable name -> the live pointer it held then


class SeedTutorial(tuple[Recorded, ...]):
    """Every recorded step in order; ``in_cell(name)`` picks the steps one cell caused."""

    def in_cell(self, name: str) -> list[Recorded]:
        assert name in dict(SEED_CELLS), f"no cell {name!r}"
        return [r for r in self if r.cell == name]

    def last(self, name: str) -> Recorded:
        found = self.in_cell(name)
        assert found, f"cell {name!r} recorded no step"
        return found[-1]


def _pointers(ns: Mapping[str, Any]) -> dict[str, PointerAt]:
    return {
        name: PointerAt(value.id, str(value.location.id), value.id_at_location)
        for name, value in ns.items()
        if getattr(value, "is_pointer", False) and getattr(value, "is_live_pointer", True)
    }


def record_seed_tutorial() -> SeedTutorial:
    """Run the cells on fresh stores and return their steps; afterwards every store is empty again.

    No tensor or pointer outlives the call: the namespace is dropped (its pointers' deletes are not
    recorded) and the stores are reset, so the recording leaves nothing behind for other tests.
    """
    reset_world()
    steps: list[Step] = []
    recorded: list[Recorded] = []
    ns: dict[str, Any] = {}
    unsubscribe = WORLD.bus.subscribe_steps(steps.append)
    try:
        run_cell(ns, SETUP)
        WORLD.flush_steps()
        for name, source in SEED_CELLS:
            steps.clear()
            run_cell(ns, source)
            WORLD.flush_steps()  # a cell's end closes any batch, as the live view does in Jupyter
            names, pointers = pointer_names(ns), _pointers(ns)
            recorded.extend(Recorded(name, filter_step(s, WORKERS), names, pointers) for s in steps)
    finally:
        unsubscribe()
        ns.clear()
        gc.collect()
        reset_world()
    return SeedTutorial(recorded)
