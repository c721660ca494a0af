"""Binder: a fresh virtual environment built from nothing but the files in binder/ runs every notebook.

The build follows repo2docker's order: ``pip install -r binder/requirements.txt``, then
``binder/postBuild`` as written, both from the root of a clean copy of the checkout (tracked and new
files, none that git ignores: no node_modules, no built front end), as a fresh Binder clone would
be. The notebooks then run in that copy, on a kernel installed into the new environment with
``--sys-prefix``, so they can only import the library that postBuild installed.

Two differences from Binder, both about this machine rather than the files:
- ``binder/apt.txt`` is not applied (no apt inside a venv); the notebooks do not need its packages
  to run (``dot`` and the Noto fonts serve exports and the static fallback).
- pip runs with ``PIP_RETRIES=0``: this machine reaches PyPI only, so the PyTorch CPU index named in
  requirements.txt fails name resolution at once, and pip would otherwise retry it five times per
  package. pip then takes torch 2.13.0+cpu from the wheel on this disk (pip's configured find-links).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.jupyter_lab import (
    NOTIFICATION_PLUGIN,
    course_settings,
    isolated_jupyter_env,
    running_lab,
    served_defaults,
)
from tests.notebook_runs import NOTEBOOKS, NOTEBOOKS_DIR, expected_state, rel, run_notebook

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
KERNEL_NAME = "syft-widgets-binder"
STEP_TIMEOUT_S = 900


def clean_copy(dest: Path) -> Path:
    """Copy what a fresh clone of the current work tree would hold: tracked and untracked files
    that git does not ignore."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is not copied
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )


def venv_python(venv: Path, code: str, env: dict[str, str], cwd: Path | None = None) -> str:
    """What ``code`` prints when the venv's own Python runs it."""
    python = str(venv / "bin" / "python")
    return subprocess.run(
        [python, "-c", code], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    """(copy of the checkout, environment for the kernel, the venv): built once for all notebooks."""
    base = tmp_path_factory.mktemp("binder")
    repo = clean_copy(base / "repo")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=STEP_TIMEOUT_S)

    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env.update(
        PATH=os.pathsep.join([str(venv / "bin"), env.get("PATH", "")]),
        VIRTUAL_ENV=str(venv),
        PIP_RETRIES="0",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    python = str(venv / "bin" / "python")
    run([python, "-m", "pip", "install", "-r", "binder/requirements.txt"], repo, env)
    run(["bash", "binder/postBuild"], repo, env)
    run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL_NAME], repo, env)
    return repo, env, venv


def test_binder_python_matches_the_interpreter_that_builds_it_here():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime == f"python-{sys.version_info.major}.{sys.version_info.minor}"


def test_binder_torch_pin_is_the_cpu_build_of_the_packages_torch():
    requirements = (BINDER / "requirements.txt").read_text().splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    (pin,) = [line for line in requirements if line.startswith("torch")]
    (torch_dep,) = re.findall(r"^(torch\s*==\S+)", (ROOT / "constraints.txt").read_text(), re.M)
    assert pin == torch_dep.replace(" ", "") + "+cpu"


def test_binder_postbuild_is_executable():
    assert os.access(BINDER / "postBuild", os.X_OK)
    assert (BINDER / "apt.txt").read_text().split() == ["graphviz", "fonts-noto-core"]


@pytest.mark.slow
def test_binder_environment_has_the_installed_package_and_cpu_torch(binder_env):
    repo, env, venv = binder_env
    code = "import syft_widgets, torch; print(syft_widgets.__file__); print(torch.__version__)"
    out = venv_python(venv, code, env, cwd=repo / "notebooks").split()
    assert Path(out[0]).is_relative_to(venv), f"syft_widgets imported from {out[0]}, not the venv"
    assert out[1] == "2.13.0+cpu"
    assert (Path(out[0]).parent / "static").is_dir(), "the front-end bundle was not built"


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=rel)
def test_notebook_runs_on_the_binder_environment(binder_env, notebook, monkeypatch):
    repo, env, venv = binder_env
    # The parent process finds the venv's kernelspec; the kernel itself runs the venv's Python.
    monkeypatch.setenv("JUPYTER_PATH", str(venv / "share" / "jupyter"))
    copy = repo / "notebooks" / notebook.relative_to(NOTEBOOKS_DIR)
    _, state = run_notebook(copy, kernel_name=KERNEL_NAME, env=env)
    assert state["workers"] == expected_state(notebook)


@pytest.mark.slow
def test_binder_jupyterlab_reads_the_course_settings_postbuild_installed(binder_env, tmp_path):
    """postBuild writes the course's settings into <environment>/share/jupyter/lab/settings/
    overrides.json, the app settings folder of a JupyterLab installed in that environment (Binder's
    base environment has one; this venv does not, so this machine's JupyterLab reads that folder)."""
    repo, env, venv = binder_env
    prefix = venv_python(venv, "import sys; print(sys.prefix)", env).strip()
    settings_dir = Path(prefix) / "share" / "jupyter" / "lab" / "settings"
    installed = json.loads((settings_dir / "overrides.json").read_text(encoding="utf-8"))
    assert installed[NOTIFICATION_PLUGIN] == course_settings()[NOTIFICATION_PLUGIN]
    lab_env = isolated_jupyter_env(tmp_path)
    command = [sys.executable, "-m", "jupyterlab", f"--LabApp.app_settings_dir={settings_dir}"]
    command += [f"--ServerApp.root_dir={repo / 'notebooks'}"] + (
        ["--allow-root"] if os.geteuid() == 0 else []
    )
    with running_lab(command, lab_env, repo, tmp_path / "lab.log") as lab:
        served = served_defaults(lab, NOTIFICATION_PLUGIN)
    for name, value in course_settings()[NOTIFICATION_PLUGIN].items():
        assert served[name] == value, name
