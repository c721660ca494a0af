"""The course notebooks as tests run them: where they are, the state each leaves behind, and a run
that reports that state.

Used by tests/test_notebooks.py (the source tree's kernel) and tests/test_binder.py (the kernel of a
fresh Binder environment); a test module never imports another test module, so these live here.
A new lesson needs one line in ``EXPECTED_STATE``; ``expected_state`` says so if it is missing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
LESSON_LANGS = ("en", "bn")

# What each notebook leaves behind: {worker id: len(worker._objects)} for every worker bound to a
# name in the notebook, plus the local worker `me`. The numbers are the ones the lesson's text
# states (its "Final state" section); both language twins share one line.
EXPECTED_STATE: dict[str, dict[str, int]] = {
    "index.ipynb": {},
    # Everything was fetched back.
    "Part 01 - The Basic Tools of Private Deep Learning.ipynb": {"me": 0, "bob": 0},
    # Each owner keeps its data and its targets; the model came home.
    "Part 02 - Intro to Federated Learning.ipynb": {"me": 0, "bob": 2, "alice": 2},
    # The last tensor was moved from bob to alice, and `x` still points to it.
    "Part 03 - Advanced Remote Execution Tools.ipynb": {"me": 0, "bob": 0, "alice": 1},
    # The Ray lesson: the moved tensor stays on alice; carol's process was stopped on purpose.
    "Part 03 - Advanced Remote Execution Tools with Ray.ipynb": {"me": 0, "bob": 0, "alice": 1, "carol": 0},
    # Data stays with its owners; secure_worker holds the weight and bias of the last two copies.
    "Part 04 - Federated Learning via Trusted Aggregator.ipynb": {
        "me": 0,
        "bob": 2,
        "alice": 2,
        "secure_worker": 4,
    },
}

# Where a lesson's Bengali and English twins end differently, because the classic Bengali translation
# of the tutorial keeps code that differs from the English one (docs/course.md, "Credits, and what the
# course changed"): {lesson: {language: state}}. Used instead of EXPECTED_STATE for that lesson.
EXPECTED_STATE_BY_LANG: dict[str, dict[str, dict[str, int]]] = {
    # bob and alice hold a share of `y` and of the last `x` each. The English `max_values.get()`
    # forgets the positions' shares; the Bengali `max_ids` keeps them, a third share each.
    "Part 09 - Intro to Encrypted Programs.ipynb": {
        "en": {"me": 0, "bob": 2, "alice": 2, "bill": 0, "crypto_provider": 0},
        "bn": {"me": 0, "bob": 3, "alice": 3, "bill": 0, "crypto_provider": 0},
    },
    # bob's 26 and alice's 25 batches (data and target), the two shares of the last parameter that
    # `spdz_params` still holds, and on alice the fixed-point copy `fixed_precision_param` points to;
    # the Bengali `copy_of_parameter` keeps alice's float copy as well. james is never needed.
    "Part 10 - Federated Learning with Secure Aggregation.ipynb": {
        "en": {"me": 0, "bob": 54, "alice": 53, "james": 0},
        "bn": {"me": 0, "bob": 54, "alice": 54, "james": 0},
    },
}

# Appended at test time: reports the workers bound to names in the notebook, the local worker, and
# the language of the notebook's live view. It must work in notebooks that never import the library.
STATE_MARKER = "@@syft-widgets-state@@"
STATE_PROBE = f"""
import json as _json
import sys as _sys

def _syft_widgets_state():
    sy = _sys.modules.get("syft_widgets")
    candidates = list(globals().values())
    if sy is not None and getattr(sy, "local_worker", None) is not None:
        candidates.append(sy.local_worker)
    workers = {{}}
    for value in candidates:
        if type(value).__module__.startswith("syft_widgets") and isinstance(
            getattr(value, "_objects", None), dict
        ) and hasattr(value, "id"):
            workers[str(value.id)] = len(value._objects)
    view = globals().get("view")
    return {{"workers": workers, "LANG": globals().get("LANG"), "view_lang": getattr(view, "lang", None)}}

print({STATE_MARKER!r} + _json.dumps(_syft_widgets_state()))
"""

CELL_TIMEOUT_S = 600


def find_notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOKS_DIR.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


NOTEBOOKS = find_notebooks()
LESSONS = [p for p in NOTEBOOKS if p.parent.parent == NOTEBOOKS_DIR and p.parent.name in LESSON_LANGS]


def rel(path: Path) -> str:
    return path.relative_to(NOTEBOOKS_DIR).as_posix()


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def expected_state(path: Path) -> dict[str, int]:
    if path in LESSONS and path.name in EXPECTED_STATE_BY_LANG:
        return EXPECTED_STATE_BY_LANG[path.name][path.parent.name]
    key = path.name if path in LESSONS else rel(path)
    if key not in EXPECTED_STATE:
        pytest.fail(f"no expected final state for {rel(path)!r}: add {key!r} to EXPECTED_STATE in {__file__}")
    return EXPECTED_STATE[key]


def run_notebook(
    path: Path, kernel_name: str = "python3", env: dict[str, str] | None = None
) -> tuple[nbformat.NotebookNode, dict]:
    """Run the notebook top to bottom in its own folder; return (the executed notebook, the workers'
    state after its last cell)."""
    nb = read(path)
    nb.cells.append(nbformat.v4.new_code_cell(STATE_PROBE))
    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=os.environ.copy() if env is None else env)
    for output in nb.cells[-1].outputs:
        if output.get("output_type") == "stream":
            for line in output.get("text", "").splitlines():
                if line.startswith(STATE_MARKER):
                    return nb, json.loads(line[len(STATE_MARKER) :])
    raise AssertionError(f"the state probe printed nothing in {rel(path)}: {nb.cells[-1].outputs!r}")
