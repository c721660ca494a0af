"""First contact: `bash scripts/course.sh` opens JupyterLab on the course index, and nothing else.

The course ships JupyterLab settings overrides in ``jupyter/labconfig/default_setting_overrides.json``
(no "Jupyter news?" prompt, no update check). course.sh puts ``jupyter/`` on ``JUPYTER_CONFIG_PATH``;
Binder's postBuild copies the same settings into the environment's ``overrides.json`` (checked in
``tests/test_binder.py``). Here the script itself starts the server (set-up skipped), with every
Jupyter folder of the user in a temporary directory, and the tests ask that server and a headless
Chromium what a learner would get.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.jupyter_lab import (
    NOTIFICATION_PLUGIN,
    CourseLab,
    course_settings,
    isolated_jupyter_env,
    running_lab,
    served_defaults,
)

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def shipped_notification_schema() -> dict:
    """The notification settings schema as JupyterLab ships it (without any overrides)."""
    import jupyterlab

    schema = (
        Path(jupyterlab.__file__).parent
        / "schemas"
        / "@jupyterlab"
        / "apputils-extension"
        / "notification.json"
    )
    return json.loads(schema.read_text(encoding="utf-8"))


def test_course_settings_turn_off_the_news_prompt_and_the_update_check():
    notification = course_settings()[NOTIFICATION_PLUGIN]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}
    # The values are valid for this JupyterLab ("false" is the string option "Never"), and they
    # change something: JupyterLab's own defaults ask about the news and check for updates.
    properties = shipped_notification_schema()["properties"]
    assert "false" in [option["const"] for option in properties["fetchNews"]["oneOf"]]
    assert properties["fetchNews"]["default"] == "none"
    assert properties["checkForUpdates"]["default"] is True


@pytest.fixture(scope="module")
def course_lab(tmp_path_factory) -> Iterator[CourseLab]:
    """JupyterLab as `bash scripts/course.sh` starts it (set-up skipped), for a new user."""
    tmp = tmp_path_factory.mktemp("course-lab")
    env = isolated_jupyter_env(tmp)
    env["SYFT_WIDGETS_SKIP_SETUP"] = "1"
    # Opening the index makes JupyterLab write a checkpoint next to it; remove it if this test made it.
    checkpoints = ROOT / "notebooks" / ".ipynb_checkpoints"
    had_checkpoints = checkpoints.exists()
    try:
        # course.sh `exec`s jupyter lab, so the PID is the server's own.
        with running_lab(["bash", "scripts/course.sh"], env, ROOT, tmp / "lab.log") as lab:
            yield lab
    finally:
        if not had_checkpoints:
            shutil.rmtree(checkpoints, ignore_errors=True)


@pytest.mark.slow
def test_course_lab_serves_the_course_settings(course_lab):
    served = served_defaults(course_lab, NOTIFICATION_PLUGIN)
    for name, value in course_settings()[NOTIFICATION_PLUGIN].items():
        assert served[name] == value, name


@pytest.mark.slow
def test_course_lab_opens_on_the_course_index(course_lab):
    final_url, _ = course_lab.get("/")
    assert final_url == f"{course_lab.url}/lab/tree/index.ipynb"


@pytest.mark.slow
@pytest.mark.browser
def test_learner_lands_on_the_index_with_no_prompt(course_lab, browser):
    outside: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    try:

        def gate(route) -> None:
            if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", gate)
        page = context.new_page()
        page.goto(f"{course_lab.url}/?token={course_lab.token}")
        page.wait_for_selector(".jp-Notebook .jp-MarkdownOutput", timeout=60000)
        # Without the settings the news prompt appears within a second of the notebook
        # (measured: 0.1 s); give it ample time to show up if it were going to.
        page.wait_for_timeout(4000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "course-first-contact.png"))
        toasts = [t.inner_text() for t in page.query_selector_all(".Toastify__toast")]
        dialogs = [d.inner_text() for d in page.query_selector_all(".jp-Dialog")]
        tabs = [t.inner_text() for t in page.query_selector_all(".lm-DockPanel-tabBar .lm-TabBar-tab")]
        title = page.title()
        first_heading = page.inner_text(".jp-Notebook .jp-MarkdownOutput h1")
    finally:
        context.close()
    assert toasts == [], f"a notification covers the course: {toasts}"
    assert dialogs == [], f"a dialog covers the course: {dialogs}"
    assert tabs == ["index.ipynb"]
    assert title.startswith("index.ipynb")
    assert "syft-widgets" in first_heading
    assert outside == [], f"the page asked the internet for: {outside}"
