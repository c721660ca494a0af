"""No reference cycle keeps remote objects alive: with the cyclic collector off, dropping pointers
still deletes what they point to, with a live view recording every step."""

from __future__ import annotations

import gc

import torch

from syft_widgets.widgets import show


def test_reference_counting_alone_frees_remote_objects_with_a_view_open(env) -> None:
    view = show()
    gc.disable()
    try:
        x = torch.tensor([1.0, 2.0], requires_grad=True).send(env.bob)
        chain = x.send(env.alice)
        y = chain + chain
        z = (y.get() * 2).sum()
        model = torch.nn.Linear(2, 1).send(env.bob)
        model.move(env.secure_worker)
        for worker in (env.bob, env.alice, env.secure_worker):
            assert worker._objects
        # (torch's own optimizers hold a reference cycle, so a model kept by one waits for gc)
        del x, chain, y, z, model
        assert env.bob._objects == {} and env.alice._objects == {} and env.secure_worker._objects == {}
        assert len(view.steps) > 5
    finally:
        gc.enable()
        view.close()
