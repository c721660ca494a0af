"""Unmodified notebooks that say ``import syft as sy`` run on syft_widgets when opted in."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def run(code: str, *, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = None
    if path is not None:
        import os

        env = {**os.environ, "PYTHONPATH": f"{path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip


def test_ipython_extension_makes_the_classic_import_work() -> None:
    result = run(
        """
        from IPython.testing.globalipapp import start_ipython
        ip = start_ipython()
        ip.run_line_magic("load_ext", "syft_widgets.legacy")
        ip.run_cell("import torch\\nimport syft as sy\\nhook = sy.TorchHook(torch)\\n"
                    "bob = sy.VirtualWorker(hook, id='bob')\\nx = torch.tensor([1,2]).send(bob)\\n"
                    "from syft.federated.floptimizer import Optims\\nres = (x + x).get().tolist()",
                    store_history=False)
        print(ip.user_ns["res"], ip.user_ns["sy"].__name__)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("[2, 4] syft_widgets")


def test_without_opting_in_import_syft_fails_as_usual() -> None:
    result = run("import syft_widgets\nimport syft")
    assert result.returncode != 0 and "No module named 'syft'" in result.stderr


def test_a_real_pysyft_is_never_shadowed(tmp_path: Path) -> None:
    (tmp_path / "syft").mkdir()
    (tmp_path / "syft" / "__init__.py").write_text("REAL = True\n")
    result = run(
        """
        import warnings
        from syft_widgets.legacy import install_syft_alias
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(install_syft_alias())
        import syft
        print(syft.REAL, "PySyft is installed" in str(caught[0].message))
        """,
        path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True"]
