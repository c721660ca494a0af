"""A pointer add on a Ray worker against a bare Ray actor call that adds two tensors, in one run.

Both sides do the same work: one round trip to an actor that adds two tensors it holds and keeps the
result. The pointer side also encodes and decodes data-only messages, runs the core's handlers and
garbage-collects the previous result. Goal: at most 1.3x the bare call.

    .venv/bin/python benchmarks/bench_ray.py [--n 2000] [--size 16]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

import syft_widgets as sy
from syft_widgets.ray import session

__all__ = ["BareAdder", "compare", "main"]


class BareAdder:
    """The baseline: an actor holding two tensors, whose method adds them and keeps the sum."""

    def __init__(self, size: int) -> None:
        self.x = torch.arange(size)
        self.y = torch.arange(size)
        self.z = None

    def add(self) -> tuple[int, ...]:
        self.z = self.x + self.y
        return tuple(self.z.shape)  # the pointer side's reply also carries the shape


def _seconds_per_call(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def compare(
    pointer: Callable[[], object], bare: Callable[[], object], n: int, rounds: int
) -> tuple[float, float, float]:
    """(pointer s/call, bare s/call, median ratio) from alternating short blocks of calls.

    Other processes on a shared machine make one long timing drift; the ratio of two neighbouring
    short blocks sees nearly the same load on both sides.
    """
    for fn in (pointer, bare):
        _seconds_per_call(fn, max(50, n // 2))  # warm up
    pointer_s, bare_s, ratios = [], [], []
    for _ in range(rounds):
        b = _seconds_per_call(bare, n)
        p = _seconds_per_call(pointer, n)
        pointer_s.append(p)
        bare_s.append(b)
        ratios.append(p / b)
    return statistics.median(pointer_s), statistics.median(bare_s), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="calls per block")
    parser.add_argument("--rounds", type=int, default=15, help="pairs of blocks")
    parser.add_argument("--size", type=int, default=16, help="elements per tensor")
    args = parser.parse_args()

    hook = sy.TorchHook(torch)
    ray = session.require_ray()
    bob = sy.RayWorker(hook, id="bench_bob")
    bare = ray.remote(num_cpus=0)(BareAdder).remote(args.size)
    ray.get(bare.add.remote())

    x_ptr = torch.arange(args.size).send(bob)
    y_ptr = torch.arange(args.size).send(bob)
    holder: list[object] = [None]

    def pointer_add() -> None:
        holder[0] = x_ptr + y_ptr  # drops the previous result: its delete is part of the cost

    def bare_add() -> None:
        ray.get(bare.add.remote())

    p, b, ratio = compare(pointer_add, bare_add, args.n, args.rounds)
    print(f"bare Ray actor add : {b * 1e6:8.1f} us/call")
    print(f"pointer add (Ray)  : {p * 1e6:8.1f} us/call")
    print(f"ratio              : {ratio:8.2f}x median of {args.rounds} paired blocks (goal <= 1.30x)")
    holder[0] = None
    sy.ray.shutdown()


if __name__ == "__main__":
    main()
