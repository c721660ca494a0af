"""Core overhead against plain torch, measured side by side in one run (issue 2's speed goals).

Run: python benchmarks/bench_core.py  — prints a table of ratios and whether each meets its goal.
Each case is timed in interleaved rounds with its local baseline, and the median round counts,
so a noisy shared machine slows both sides alike.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

import torch
from torch import nn, optim

import syft_widgets as sy

torch.set_num_threads(1)


def per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def ratio(case: Callable[[], object], base: Callable[[], object], calls: int, rounds: int = 7) -> tuple:
    for _ in range(max(calls // 10, 5)):
        case()
        base()
    case_times, base_times = [], []
    for _ in range(rounds):
        base_times.append(per_call(base, calls))
        case_times.append(per_call(case, calls))
    c, b = statistics.median(case_times), statistics.median(base_times)
    return c, b, c / b


def main() -> int:
    hook = sy.TorchHook(torch)
    bob = sy.VirtualWorker(hook, id="bob")
    alice = sy.VirtualWorker(hook, id="alice")

    a, b = torch.tensor([1.0, 2, 3, 4]), torch.tensor([5.0, 6, 7, 8])
    pa, pb = a.send(bob), b.send(bob)
    chain = torch.tensor([1.0, 2, 3, 4]).send(bob).send(alice)
    big = torch.rand(10**6)
    pbig = big.send(bob)

    def local_add() -> object:
        return a + b

    def pointer_add() -> object:
        return pa + pb

    def chain_add() -> object:
        return chain + chain

    def send_get() -> object:
        return a.send(bob).get()

    def big_local() -> object:
        return big + big

    def big_pointer() -> object:
        return pbig + pbig

    data = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1.0]])
    target = torch.tensor([[0], [0], [1], [1.0]])
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    data_bob, target_bob = data.send(bob), target.send(bob)

    def local_step() -> object:
        opt.zero_grad()
        loss = ((model(data) - target) ** 2).sum()
        loss.backward()
        opt.step()
        return loss.data

    def remote_step() -> object:
        model.send(bob)
        opt.zero_grad()
        loss = ((model(data_bob) - target_bob) ** 2).sum()
        loss.backward()
        opt.step()
        model.get()
        return loss.get()

    rows = [
        ("pointer add, 4 elements (me→bob)", pointer_add, local_add, 20000, 10.0, "~60x"),
        ("pointer-to-pointer add (me→alice→bob)", chain_add, local_add, 10000, 25.0, "~210x"),
        ("send then get, 4 elements", send_get, local_add, 10000, 15.0, "~165x"),
        ("pointer add, 10^6 elements", big_pointer, big_local, 300, 1.2, "~11x"),
        ("Part 2 training step on bob", remote_step, local_step, 1000, 4.0, "~24x"),
    ]
    print(f"{'case':42} {'syft_widgets':>12} {'torch':>10} {'ratio':>7} {'goal':>6}  PySyft 0.2.9")
    failed = 0
    for name, case, base, calls, goal, pysyft in rows:
        c, b, r = ratio(case, base, calls)
        ok = r <= goal
        failed += not ok
        print(
            f"{name:42} {c * 1e6:10.1f}µs {b * 1e6:8.1f}µs {r:6.2f}x {goal:5.1f}x  {pysyft}  "
            f"{'ok' if ok else 'MISSED'}"
        )

    # Memory: what the heap holds after 100,000 pointer operations must be what it held after
    # 10,000 (within 64 KiB: the pruned list of local pointers breathes); nothing may grow with n.
    def loop(n: int) -> None:
        for _ in range(n):
            z = pa + pb
            del z

    before = len(bob._objects)
    gc.collect()
    tracemalloc.start()
    loop(10_000)
    gc.collect()
    held_small = tracemalloc.get_traced_memory()[0]
    loop(90_000)
    gc.collect()
    held_large, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ok = held_large - held_small < 64 * 1024 and len(bob._objects) == before
    failed += not ok
    print(
        f"heap held after 10,000 pointer ops {held_small / 1024:.0f} KiB, after 100,000 "
        f"{held_large / 1024:.0f} KiB (peak {peak / 1024:.0f} KiB); objects on bob before {before}, "
        f"after {len(bob._objects)}  {'ok' if ok else 'MISSED'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
