"""Saving a live view (SVG, PNG, offline HTML) and its static fallback for nbviewer and GitHub."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import comm
import graphviz
import pytest

from syft_widgets.diagram.words import translator
from syft_widgets.events import EventBus, MessageSent, ObjectStored, Step
from syft_widgets.snapshot import ObjectView, WorkerView, WorldSnapshot
from syft_widgets.widgets import LiveView, _export, _hub
from syft_widgets.widgets._export import BUNDLE
from tests.helpers import RecordingComm

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot program")


@pytest.fixture(autouse=True)
def recording_comm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comm, "create_comm", RecordingComm)


class FakeWorld:
    def __init__(self) -> None:
        self.bus = EventBus()

    def snapshot(self) -> WorldSnapshot:
        return WorldSnapshot(workers=(WorkerView("me", "local", True, ()),))

    def flush_steps(self) -> None:
        """Nothing is ever grouped here: steps are emitted by hand."""


def step(index: int, worker: str = "bob") -> Step:
    t = ObjectView(id=10 + index, kind="tensor", preview="[1, 2]", shape=(2,), dtype="int64")
    snap = WorldSnapshot(
        workers=(WorkerView("me", "local", True, ()), WorkerView(worker, "virtual", True, (t,)))
    )
    events = (
        MessageSent("me", worker, "send object", "send", (t.id,), "tensor", 16),
        ObjectStored(worker, t),
    )
    return Step(index=index, op="send", detail={}, events=events, snapshot=snap)


@pytest.fixture
def view():
    world = FakeWorld()
    v = LiveView(world=world, lang="bn")
    for i in range(3):
        world.bus.emit_step(step(i))
    _hub.on_cell_end()
    yield v
    v.close()


@needs_dot
def test_save_svg_writes_the_step_shown(view: LiveView, tmp_path: Path) -> None:
    out = view.save(tmp_path / "part3.svg")
    text = out.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert 'id="cluster_bob"' in text and 'id="obj_12"' in text


@needs_dot
def test_save_png_writes_a_png(view: LiveView, tmp_path: Path) -> None:
    out = view.save(str(tmp_path / "part3.PNG"))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_rejects_other_suffixes_and_lists_the_allowed_ones(view: LiveView, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.html.*view.save\('part3.svg'\)"):
        view.save(tmp_path / "part3.pdf")
    assert not (tmp_path / "part3.pdf").exists()


def test_save_svg_without_dot_says_what_to_install(
    view: LiveView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*args: object, **kwargs: object) -> bytes:
        raise graphviz.ExecutableNotFound(("dot",))

    monkeypatch.setattr(graphviz.Source, "pipe", missing)
    with pytest.raises(RuntimeError, match=r"needs Graphviz's `dot` program.*apt-get install graphviz"):
        view.save(tmp_path / "x.svg")


def _embedded(page: str, script_id: str) -> Any:
    match = re.search(rf'<script type="application/json" id="{script_id}">(.*?)</script>', page, re.S)
    assert match, script_id
    return json.loads(match.group(1))


def test_save_html_embeds_the_bundle_and_every_step_in_both_languages(view: LiveView, tmp_path: Path) -> None:
    page = view.save(tmp_path / "part3.html").read_text(encoding="utf-8")
    assert "<script src" not in page and "https://" not in page.split('id="syft-bundle"')[0]
    data = _embedded(page, "syft-replay")
    assert data["lang"] == "bn" and data["step"] == 2
    assert set(data["languages"]) == {"en", "bn"}
    for lang in ("en", "bn"):
        table = data["languages"][lang]
        assert [m["index"] for m in table["steps_meta"]] == [0, 1, 2]
        assert len(table["dots"]) == 3 and all(d.startswith("digraph") for d in table["dots"])
        assert table["labels"]["play"] == translator(lang)("Play")
    assert data["languages"]["en"]["dots"][0] != data["languages"]["bn"]["dots"][0]
    bundle = _embedded(page, "syft-bundle")
    assert bundle == BUNDLE.read_text(encoding="utf-8"), "the page carries the package's own bundle"
    assert "replayModel" in bundle, "the page's script calls replayModel from the bundle"


def test_html_escapes_user_text_that_could_close_the_script(tmp_path: Path) -> None:
    world = FakeWorld()
    v = LiveView(world=world)
    world.bus.emit_step(step(0, worker="</script><b>x"))
    _hub.on_cell_end()
    page = _export.html_page(v.replay_data(), title="t")
    # Only the page's own three scripts close; the worker id stays inside the JSON.
    assert page.count("</script>") == 3
    assert "<b>x" not in page
    data = _embedded(page, "syft-replay")
    assert [m["index"] for m in data["languages"]["en"]["steps_meta"]] == [0]
    v.close()


@needs_dot
def test_mimebundle_carries_an_svg_fallback_with_its_own_ids(view: LiveView) -> None:
    data, _meta = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    svg = data["image/svg+xml"]
    assert "<svg" in svg and 'id="syftstestcomm_cluster_bob"' in svg
    assert data["text/plain"].startswith("<LiveView lang='bn' step=2")


def test_mimebundle_falls_back_to_text_without_dot(view: LiveView, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    data, _meta = view._repr_mimebundle_()
    assert "image/svg+xml" not in data
    lines = data["text/plain"].splitlines()
    assert lines[0].startswith("<LiveView") and lines[1] == view.steps_meta[-1]["narration"]


@needs_dot
def test_the_static_fallback_of_a_tall_world_fits_a_screen() -> None:
    # Thirty workers stack into a column far taller than a screen; the picture is scaled, not cut.
    workers = tuple(
        WorkerView(f"w{i}", "virtual", True, (ObjectView(i, "tensor", "[1]", (1,), "int64"),))
        for i in range(30)
    )
    world = FakeWorld()
    world.snapshot = lambda: WorldSnapshot(workers=workers)  # type: ignore[method-assign]
    v = LiveView(world=world, lang="en")
    try:
        svg = v._repr_mimebundle_()[0]["image/svg+xml"]
    finally:
        v.close()
    width, height = (
        float(x) for x in re.search(r'<svg width="([\d.]+)px" height="([\d.]+)px"', svg).groups()
    )
    view_box = [float(x) for x in re.search(r'viewBox="([^"]+)"', svg).group(1).split()]
    assert width <= _export.FIT_WIDTH_PX and height == _export.FIT_HEIGHT_PX, (width, height)
    assert view_box[3] * 4 / 3 > 2 * height, "the whole column is still inside, only smaller"
    assert abs(width / height - view_box[2] / view_box[3]) < 0.05, "the shape is kept"
    assert 'id="syftstestcomm_cluster_w29"' in svg
