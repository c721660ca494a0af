"""Ray workers against bare Ray actors doing the same work, side by side in one run.

Two rows, each with the goal of at most 1.3x its baseline:

- a pointer add on a Ray worker (``z = x_ptr + y_ptr``, which also garbage-collects the previous
  ``z``) against a bare actor method that adds two tensors it holds and keeps the sum;
- ``x.move(alice)`` and back between two Ray workers against a bare actor handing the same tensor
  to another actor and back (each hand-off: driver -> first actor -> second actor, as in a move).

The pointer side also encodes and decodes data-only messages and runs the core's handlers.
Exits 1 if a goal is missed.

    .venv/bin/python benchmarks/bench_ray.py [--calls 200] [--rounds 15] [--size 16] [--move-size 1024]
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import Any

import torch
from _timing import Goal, Row, Table, compare, format_seconds

import syft_widgets as sy
from syft_widgets.ray import session

__all__ = ["BareAdder", "BareHolder", "main"]


class BareAdder:
    """The add baseline: an actor holding two tensors, whose method adds them and keeps the sum."""

    def __init__(self, size: int) -> None:
        self.x = torch.arange(size)
        self.y = torch.arange(size)
        self.z: torch.Tensor | None = None

    def add(self) -> tuple[int, ...]:
        self.z = self.x + self.y
        return tuple(self.z.shape)  # the pointer side's reply also carries the shape


class BareHolder:
    """The move baseline: an actor that hands its tensor to another actor, which keeps it."""

    def __init__(self) -> None:
        self.t: torch.Tensor | None = None

    def take(self, t: torch.Tensor) -> int:
        self.t = t
        return 0

    def give(self, other: Any) -> int:
        ray = session.require_ray()
        ray.get(other.take.remote(self.t))  # the other actor has it before this one lets go
        self.t = None
        return 0


def pointer_add(holder: list[Any], x_ptr: Any, y_ptr: Any) -> None:
    holder[0] = x_ptr + y_ptr  # drops the previous result: its delete is part of the cost


def bare_add(ray: Any, adder: Any) -> None:
    ray.get(adder.add.remote())


def pointer_move_there_and_back(holder: list[Any], bob: Any, alice: Any) -> None:
    holder[0] = holder[0].move(alice).move(bob)


def bare_transfer_there_and_back(ray: Any, first: Any, second: Any) -> None:
    ray.get(first.give.remote(second))
    ray.get(second.give.remote(first))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per block")
    parser.add_argument("--rounds", type=int, default=15, help="pairs of blocks")
    parser.add_argument("--size", type=int, default=16, help="elements per tensor in the add")
    parser.add_argument("--move-size", type=int, default=1024, help="float32 elements of the moved tensor")
    args = parser.parse_args()

    hook = sy.TorchHook(torch)
    ray = session.require_ray()
    bob = sy.RayWorker(hook, id="bench_bob")
    alice = sy.RayWorker(hook, id="bench_alice")
    adder = ray.remote(num_cpus=0)(BareAdder).remote(args.size)
    holder_class = ray.remote(num_cpus=0)(BareHolder)
    first, second = holder_class.remote(), holder_class.remote()
    moved = torch.rand(args.move_size)
    ray.get([adder.add.remote(), first.take.remote(moved)])

    x_ptr = torch.arange(args.size).send(bob)
    y_ptr = torch.arange(args.size).send(bob)
    result: list[Any] = [None]
    add = compare(
        partial(pointer_add, result, x_ptr, y_ptr),
        partial(bare_add, ray, adder),
        calls=args.calls,
        rounds=args.rounds,
    )
    traveller: list[Any] = [moved.send(bob)]
    move = compare(
        partial(pointer_move_there_and_back, traveller, bob, alice),
        partial(bare_transfer_there_and_back, ray, first, second),
        calls=max(1, args.calls // 4),
        rounds=args.rounds,
    )

    table = Table("Ray workers against bare Ray actors (same work, alternating blocks)")
    table.add(
        Row(
            "pointer add on a Ray worker",
            format_seconds(add.case_s),
            format_seconds(add.base_s),
            add.ratio,
            Goal(1.3),
            how=f"z = x_ptr + y_ptr on {args.size}-element tensors (the previous z is garbage-collected) "
            "against one bare actor method adding two tensors it holds",
        )
    )
    table.add(
        Row(
            "x.move(alice) between two Ray workers",
            format_seconds(move.case_s / 2),
            format_seconds(move.base_s / 2),
            move.ratio,
            Goal(1.3),
            how=f"x.move(alice) then .move(bob) of a {args.move_size}-element float32 tensor, per move, "
            "against a bare actor handing the same tensor to another actor (driver -> actor -> actor)",
        )
    )
    code = table.report()
    result[0] = traveller[0] = None
    sy.ray.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
