"""Encrypted computation (Parts 9 and 10) against PySyft 0.2.9's figures from the issue.

Each row's goal is at least 10x faster than PySyft 0.2.9 measured on a machine of this kind (2-core
AMD EPYC; ``../shared/spec/pysyft-0.2-encrypted.md`` section 6 and issue 13): share+get of one number
416 µs, shared add 206 µs, shared mul 2.2 ms, 2×2 shared matmul 62 ms, shared comparison ``x > y``
167 ms, fix_precision+share+add+get of 1,000 floats 1.1 ms. One more row: Part 10's secure averaging
of a 13-32-24-1 network's parameters (two workers, six parameters each), under one second per
round. Times are medians of rounds of calls; nobody listens (no live view), as in a plain script.
Exits 1 if a goal is missed.

    .venv/bin/python benchmarks/bench_encrypted.py [--rounds 9]
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import Any

import torch
from _timing import Goal, Row, Table, format_seconds, median_seconds, seconds_per_call
from torch import nn

import syft_widgets as sy

__all__ = ["main"]

# PySyft 0.2.9, in seconds (the figures)
PYSYFT = {
    "share + get of one number": 416e-6,
    "shared add": 206e-6,
    "shared mul": 2.2e-3,
    "2×2 shared matmul": 62e-3,
    "shared comparison x > y": 167e-3,
    "fix_precision + share + add + get, 1,000 floats": 1.1e-3,
}


def _share_get(x: torch.Tensor, bob: Any, alice: Any, cp: Any) -> Any:
    return x.share(bob, alice, crypto_provider=cp).get()


def _add(x: Any, y: Any) -> Any:
    return x + y


def _mul(x: Any, y: Any) -> Any:
    return x * y


def _mm(x: Any, y: Any) -> Any:
    return x.mm(y)


def _gt(x: Any, y: Any) -> Any:
    return x > y


def _floats(a: torch.Tensor, b: torch.Tensor, bob: Any, alice: Any, cp: Any) -> Any:
    x = a.fix_precision().share(bob, alice, crypto_provider=cp)
    y = b.fix_precision().share(bob, alice, crypto_provider=cp)
    return (x + y).get().float_precision()


class Net(nn.Module):
    """Part 10's network: 13 → 32 → 24 → 1."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(13, 32), nn.Linear(32, 24), nn.Linear(24, 1)


def _secure_average(params: list[list[Any]], bob: Any, alice: Any, james: Any) -> list[torch.Tensor]:
    """Part 10 cell 14: every parameter shared by its worker, the shares added, the sum revealed, halved."""
    averaged = []
    for i in range(len(params[0])):
        shared = [p[i].fix_precision().share(bob, alice, crypto_provider=james).get() for p in params]
        averaged.append((shared[0] + shared[1]).get().float_precision() / 2)
    return averaged


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    hook = sy.TorchHook(torch)
    bob = sy.VirtualWorker(hook, id="bob")
    alice = sy.VirtualWorker(hook, id="alice")
    cp = sy.VirtualWorker(hook, id="crypto_provider")
    x1 = torch.tensor([25]).share(bob, alice, crypto_provider=cp)
    y1 = torch.tensor([5]).share(bob, alice, crypto_provider=cp)
    x2 = torch.tensor([[1, 2], [3, 4]]).share(bob, alice, crypto_provider=cp)
    y2 = torch.tensor([[2, 0], [0, 2]]).share(bob, alice, crypto_provider=cp)
    a, b = torch.rand(1000), torch.rand(1000)
    cases = {
        "share + get of one number": (partial(_share_get, torch.tensor([25]), bob, alice, cp), 200),
        "shared add": (partial(_add, x1, y1), 400),
        "shared mul": (partial(_mul, x1, y1), 100),
        "2×2 shared matmul": (partial(_mm, x2, y2), 100),
        "shared comparison x > y": (partial(_gt, x1, y1), 20),
        "fix_precision + share + add + get, 1,000 floats": (partial(_floats, a, b, bob, alice, cp), 100),
    }
    table = Table("Encrypted computation against PySyft 0.2.9 (benchmarks/bench_encrypted.py)")
    for name, (fn, calls) in cases.items():
        seconds = min(seconds_per_call(fn, calls) for _ in range(args.rounds))
        limit = PYSYFT[name] / 10
        table.add(
            Row(
                name,
                format_seconds(seconds),
                f"PySyft {format_seconds(PYSYFT[name])}",
                seconds * 1e6,
                Goal(round(limit * 1e6, 1), unit="µs"),
                pysyft=f"{PYSYFT[name] / seconds:.0f}x faster",
                how=f"best of {args.rounds} rounds of {calls} calls; two holders and a crypto provider",
            )
        )
    james = cp
    models = [Net(), Net()]
    for model, worker in zip(models, (bob, alice), strict=True):
        model.send(worker)
    params = [list(m.parameters()) for m in models]
    seconds = median_seconds(partial(_secure_average, params, bob, alice, james), args.rounds)
    table.add(
        Row(
            "Part 10 secure averaging, 13-32-24-1 network",
            format_seconds(seconds),
            "PySyft 13 ms (spec section 6)",
            seconds * 1e3,
            Goal(1000, unit="ms"),
            pysyft=f"{13e-3 / seconds:.1f}x faster",
            how=f"median of {args.rounds} rounds; two workers, six parameters each: fix_precision, share, "
            "get the shared value, add, get, float_precision, / 2",
        )
    )
    return table.report()


if __name__ == "__main__":
    sys.exit(main())
