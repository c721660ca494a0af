"""A JupyterLab of the course for tests: the shipped settings, a clean user, a running server.

Used by tests/test_course_launch.py and tests/test_binder.py; a test module never imports another
test module, so these live here.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import jupyter_server

ROOT = Path(__file__).resolve().parents[1]
COURSE_SETTINGS = ROOT / "jupyter" / "labconfig" / "default_setting_overrides.json"
NOTIFICATION_PLUGIN = "@jupyterlab/apputils-extension:notification"


def course_settings() -> dict[str, dict[str, object]]:
    return json.loads(COURSE_SETTINGS.read_text(encoding="utf-8"))


@dataclass
class CourseLab:
    url: str
    token: str
    log: Path

    def get(self, path: str) -> tuple[str, bytes]:
        """(final URL after redirects, body) of an authenticated GET."""
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.geturl(), response.read()


def isolated_jupyter_env(tmp: Path) -> dict[str, str]:
    """This process's environment for a user with no Jupyter folders or settings of their own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    for name in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_DATA_DIR",
        "JUPYTER_RUNTIME_DIR",
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
        "IPYTHONDIR",
    ):
        (tmp / name).mkdir()
        env[name] = str(tmp / name)
    return env


@contextmanager
def running_lab(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[CourseLab]:
    """Run a command that `exec`s `jupyter lab` (extra flags appended here), wait until it serves,
    and stop it by its own PID afterwards."""
    with jupyter_server(command, env=env, cwd=cwd, log=log) as (url, token):
        yield CourseLab(url=url, token=token, log=log)


def served_defaults(lab: CourseLab, plugin: str) -> dict[str, object]:
    """The default of every setting of a plugin, as the running JupyterLab serves its schema."""
    _, body = lab.get(f"/lab/api/settings/{plugin}")
    return {name: spec.get("default") for name, spec in json.loads(body)["schema"]["properties"].items()}
