"""A real, isolated, offline JupyterLab 4 or Notebook 7, driven by Playwright in Debian's headless Chromium.

They are part of the full test command. For a quick run without them: ``pytest -m "not browser"``.
A missing ``chromium`` is an error, not a skip: ``scripts/setup.sh`` installs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.lab_page import FRONTENDS, Lab, serve

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """JupyterLab on a free port of 127.0.0.1, with every Jupyter folder in a temporary directory."""
    yield from serve("lab")


@pytest.fixture(scope="session", params=FRONTENDS)
def server(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """JupyterLab 4, then Notebook 7: tests that take this fixture run in both front ends."""
    yield from serve(request.param)


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
