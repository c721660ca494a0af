"""A real, isolated, offline JupyterLab 4 or Notebook 7, driven by Playwright in Debian's headless Chromium.

They are part of the full test command. For a quick run without them: ``pytest -m "not browser"``.
A missing ``chromium`` is an error, not a skip: ``scripts/setup.sh`` installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import jupyter_server

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
ARTIFACTS = REPO / "test-artifacts"


@dataclass
class Lab:
    """A running JupyterLab or Notebook 7 (``frontend``): where it serves, with which token, from where."""

    url: str
    token: str
    root: Path
    log: Path
    frontend: str = "lab"

    def notebook_url(self, name: str) -> str:
        if self.frontend == "notebook":
            return f"{self.url}/notebooks/{name}?token={self.token}"
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"


# The front ends the live view is tested in: JupyterLab 4 and Notebook 7 (both from the dev extra).
FRONTENDS = ("lab", "notebook")


def _write_settings(settings: Path) -> None:
    # --LabApp.news_url=None does not stop the "Jupyter news?" toast; the user setting does.
    notify = settings / "@jupyterlab" / "apputils-extension"
    notify.mkdir(parents=True)
    (notify / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    # Windowing would leave far-away outputs unrendered; the tests look at them directly.
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """JupyterLab on a free port of 127.0.0.1, with every Jupyter folder in a temporary directory."""
    yield from _serve("lab")


@pytest.fixture(scope="session", params=FRONTENDS)
def server(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """JupyterLab 4, then Notebook 7: tests that take this fixture run in both front ends."""
    yield from _serve(request.param)


def _copy_notebooks(root: Path) -> None:
    for nb in NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(nb, root / nb.name)
        # Every lesson notebook also as an English twin: only the view's language differs.
        text = nb.read_text(encoding="utf-8")
        if 'lang=\\"bn\\"' in text:
            twin = text.replace('lang=\\"bn\\"', 'lang=\\"en\\"')
            (root / f"{nb.stem}_en.ipynb").write_text(twin, encoding="utf-8")


def _serve(frontend: str) -> Iterator[Lab]:
    tmp = Path(tempfile.mkdtemp(prefix=f"syft-{frontend}-"))
    root = tmp / "root"
    root.mkdir()
    _copy_notebooks(root)
    env = dict(os.environ)
    dirs = {
        "JUPYTER_CONFIG_DIR": tmp / "config",
        "JUPYTER_DATA_DIR": tmp / "data",
        "JUPYTER_RUNTIME_DIR": tmp / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": tmp / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": tmp / "workspaces",
        "IPYTHONDIR": tmp / "ipython",
    }
    for name, path in dirs.items():
        path.mkdir()
        env[name] = str(path)
    _write_settings(dirs["JUPYTERLAB_SETTINGS_DIR"])
    # The kernel imports the package from this checkout, whether or not it is installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    log = tmp / "lab.log"
    args = [
        sys.executable, "-m", "jupyterlab" if frontend == "lab" else "notebook",
        "--ip=127.0.0.1", f"--ServerApp.root_dir={root}",
    ]  # fmt: skip
    if frontend == "lab":
        args += ["--LabApp.news_url=None", "--LabApp.expose_app_in_browser=True"]
    else:
        args += ["--JupyterNotebookApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    try:
        with jupyter_server(args, env=env, cwd=root, log=log, timeout=60) as (url, token):
            yield Lab(url=url, token=token, root=root, log=log, frontend=frontend)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Watch:
    """What the page did that it should not: outside requests and JavaScript errors."""

    outside_requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def our_page_errors(self) -> list[str]:
        """Page errors, less one that Notebook 7.6 itself raises while loading any notebook.

        Its keyboard-shortcuts plugin reads ``.schema`` of a settings plugin that has none; it happens
        with no cell run and no settings written (checked by hand), in notebook_core's own code.
        """
        return [
            e
            for e in self.page_errors
            if not (
                e.startswith("Cannot read properties of undefined (reading 'schema')")
                and "/static/notebook/notebook_core." in e
            )
        ]


@pytest.fixture
def page_and_watch(browser: Any) -> Iterator[tuple[Any, Watch]]:
    """A fresh page whose every request off 127.0.0.1 is blocked and recorded."""
    watch = Watch()
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US")

    def gate(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "file:")):
            route.continue_()
        else:
            watch.outside_requests.append(url)
            route.abort()

    context.route("**/*", gate)
    page = context.new_page()
    page.set_default_timeout(30000)  # evaluate() and waits must fail, not hang the run
    page.on("pageerror", lambda exc: watch.page_errors.append(f"{exc}\n{getattr(exc, 'stack', '')}"))
    page.on("console", lambda msg: watch.console_errors.append(msg.text) if msg.type == "error" else None)
    try:
        yield page, watch
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
