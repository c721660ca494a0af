"""Shared fixtures: one hooked torch per test session, and workers with empty stores per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch

import syft_widgets as sy
from syft_widgets.events import Step
from syft_widgets.world import WORLD
from tests.helpers import CHROMIUM_FLAGS, reset_world
from tests.recorded import SeedTutorial, record_seed_tutorial


@dataclass
class Env:
    hook: Any
    me: Any
    bob: Any
    alice: Any
    secure_worker: Any


@pytest.fixture
def env() -> Iterator[Env]:
    """A hooked torch and three empty workers, as at the top of a tutorial notebook."""
    hook = sy.TorchHook(torch)
    reset_world()
    yield Env(
        hook,
        hook.local_worker,
        sy.VirtualWorker(hook, id="bob"),
        sy.VirtualWorker(hook, id="alice"),
        sy.VirtualWorker(hook, id="secure_worker"),
    )
    reset_world()


@pytest.fixture
def steps(env: Env) -> Iterator[list[Step]]:
    """The steps the core records during the test (subscribed like a live view, but with no view)."""
    recorded: list[Step] = []
    unsubscribe = WORLD.bus.subscribe_steps(recorded.append)
    yield recorded
    unsubscribe()
    WORLD.flush_steps()


@pytest.fixture(scope="session")
def seed_tutorial() -> SeedTutorial:
    """The seed tutorial's steps, recorded once from the real core (see tests/recorded.py)."""
    return record_seed_tutorial()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium under Playwright, one for the whole run.

    One Playwright for every test that drives a browser: a second sync Playwright started while the
    first still runs refuses to work ("Sync API inside the asyncio loop").
    """
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "the browser tests need Debian's chromium on PATH: run scripts/setup.sh as root"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()
