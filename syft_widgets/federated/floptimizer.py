"""``Optims``: one optimizer per worker, as PySyft 0.2.4+ provides for tutorial Part 2.

A stateful optimizer (Adam, SGD with momentum) keeps buffers beside each parameter. With one
optimizer for every worker, buffers made on bob would meet gradients on alice; one optimizer per
worker keeps each worker's state on that worker.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import torch

__all__ = ["Optims"]


class Optims:
    """``Optims(["bob", "alice"], optim=optim.Adam(params=model.parameters(), lr=0.1))``."""

    def __init__(self, workers: Iterable[Hashable], optim: torch.optim.Optimizer) -> None:
        self.optim = optim
        self.workers = [getattr(w, "id", w) for w in workers]
        self.optimizers = {worker_id: self._fresh_copy() for worker_id in self.workers}

    def _fresh_copy(self) -> torch.optim.Optimizer:
        groups = [dict(group) for group in self.optim.param_groups]
        copy = type(self.optim)(groups, **self.optim.defaults)
        copy.load_state_dict(self.optim.state_dict())
        return copy

    def get_optim(self, worker_id: Hashable) -> torch.optim.Optimizer:
        """The optimizer for this worker id (a worker object works too)."""
        key = getattr(worker_id, "id", worker_id)
        try:
            return self.optimizers[key]
        except KeyError:
            known = ", ".join(repr(k) for k in self.optimizers)
            raise KeyError(
                f"Optims has no optimizer for worker {key!r}; it was made for {known}. "
                f"Add it: Optims([..., {key!r}], optim=...)."
            ) from None

    def count(self) -> int:
        return len(self.optimizers)
