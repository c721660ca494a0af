"""Without Ray installed, everything but RayWorker works, and RayWorker says how to install Ray."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["ray"] = None  # as if Ray were not installed
    import torch
    import syft_widgets as sy

    hook = sy.TorchHook(torch)
    bob = sy.VirtualWorker(hook, id="bob")
    assert (torch.tensor([1, 2]).send(bob) * 2).get().tolist() == [2, 4]
    sy.ray.shutdown()  # nothing to shut down; must not fail either
    try:
        sy.RayWorker(hook, id="alice")
    except ImportError as exc:
        print("ImportError:", exc)
    else:
        raise SystemExit("RayWorker worked without Ray")
    """
)


def test_ray_worker_without_ray_raises_import_error_with_install_hint() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert 'ImportError: Ray workers need Ray: pip install "syft-widgets[ray]"' in done.stdout
