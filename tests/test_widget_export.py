"""Saving a live view (SVG, PNG, offline HTML) and its static fallback for nbviewer and GitHub."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import comm
import graphviz
import pytest
import torch

import syft_widgets as sy
from syft_widgets import world
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
    world.bus.emit_step(step(0, worker="</script><!--<b>x"))
    _hub.on_cell_end()
    page = _export.html_page(v.replay_data(), title="t")
    # Only the page's own three scripts close; the worker id stays inside the JSON.
    assert page.count("</script>") == 3
    assert "<b>x" not in page
    assert "<!--" not in page, "no comment opener, which would change how the scripts end"
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


# ---- a long lesson's saved page, replayed by js/src/replay.js under Node -------------------------------

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run js/src/replay.js")
REPLAY_JS = Path(__file__).resolve().parent.parent / "js" / "src" / "replay.js"

# The saved page's own model (js/src/replay.js), fed the replay the page carries: each entry of the
# actions sets traits as the page's controls do, then the picture the page would draw is printed.
REPLAY_IN_NODE = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [replayJs, pagePath, actionsPath] = process.argv.slice(2);
const { replayModel } = await import(pathToFileURL(replayJs).href);
const page = readFileSync(pagePath, "utf8");
const json = page.match(/<script type="application\\/json" id="syft-replay">([\\s\\S]*?)<\\/script>/)[1];
const model = replayModel(JSON.parse(json));
const drawn = [];
for (const changes of JSON.parse(readFileSync(actionsPath, "utf8"))) {
  for (const [name, value] of Object.entries(changes)) model.set(name, value);
  model.save_changes();
  drawn.push({ dot: model.get("dot"), dot_step: model.get("dot_step"), expanded: model.get("expanded") });
}
console.log(JSON.stringify(drawn));
"""


def replayed_in_node(page: Path, actions: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    """What the saved ``page`` draws after each of ``actions`` (trait changes, as its controls make)."""
    script, actions_file = tmp_path / "replay_in_node.mjs", tmp_path / "actions.json"
    script.write_text(REPLAY_IN_NODE, encoding="utf-8")
    actions_file.write_text(json.dumps(actions), encoding="utf-8")
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, str(script), str(REPLAY_JS), str(page), str(actions_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


LESSON_ROUND = """
ptrs.append(torch.arange(i, i + 4.0).send(workers[i % 3]))
if i % 5 == 4:
    ptrs[-2] = ptrs[-2].move(workers[(i + 1) % 3])
if i % 7 == 6:
    ptrs.pop(0).get()
i += 1
"""


@pytest.fixture
def long_lesson(env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveView]:
    """A Bengali view over a lesson run cell by cell in IPython, one step per operation: sends, moves and
    gets over three workers with every pointer kept in a list ``ptrs`` (stores and ``ptrs`` fold), then a
    secret shared, added and revealed (the privacy overlay's notes change)."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setattr(world, "BURST_STEPS", 10**9)
    shell = InteractiveShell.instance()
    try:
        workers = [env.bob, env.alice, env.secure_worker]
        shell.user_ns.update(torch=torch, sy=sy, workers=workers, bob=env.bob, alice=env.alice)
        cells = ["view = sy.show(lang='bn')\nptrs = []\ni = 0", *[LESSON_ROUND] * 40]
        cells.append(
            "x = torch.tensor([25]).share(bob, alice, crypto_provider=workers[2])\ny = (x + x).get()"
        )
        for source in cells:
            assert shell.run_cell(source, store_history=True).success, source
        yield shell.user_ns["view"]
    finally:
        if "view" in shell.user_ns:
            shell.user_ns["view"].close()
        shell.reset(new_session=False)
        shell.user_ns.clear()
        InteractiveShell.clear_instance()


def test_a_saved_lesson_carries_the_privacy_pictures_a_full_drawing_makes(long_lesson: LiveView) -> None:
    # The page draws only the overlay's notes and adds them to each plain picture: the result must be
    # what drawing the step with the overlay makes, for every step, in both languages.
    view, names = long_lesson, long_lesson._hub.names
    data = view.replay_data()
    assert len(view.steps) > 50
    for lang in ("en", "bn"):
        expected = [view.dot_for(s, lang, names, expanded=(), privacy=True) for s in view.steps]
        assert data["languages"][lang]["privacy_dots"] == expected
    assert "[50], revealed from shares" in data["languages"]["en"]["privacy_dots"][-1]
    page = _export.pack_replay(data)
    packed = page["languages"]["bn"]["privacy_dots"]
    assert all(isinstance(p, dict) for p in packed), "the page stores only the notes"


def test_a_saved_lesson_carries_the_unfolded_pictures_a_drawing_in_each_language_makes(
    long_lesson: LiveView,
) -> None:
    # The page draws each unfolded picture in both languages at once (planned once): each must be
    # what drawing it in that language alone makes, for every step and every store or list.
    view, names = long_lesson, long_lesson._hub.names
    data = view.replay_data()
    for lang in ("en", "bn"):
        table = data["languages"][lang]
        assert len(table["expansions"]) == len(table["inner_expansions"]) == len(view.steps)
        for step, unfolded, inner in zip(
            view.steps, table["expansions"], table["inner_expansions"], strict=True
        ):
            for key, picture in unfolded.items():
                assert picture == view.dot_for(step, lang, names, expanded=(key,), privacy=False)
            for key, insides in inner.items():
                for inside, picture in insides.items():
                    assert picture == view.dot_for(step, lang, names, expanded=(key, inside), privacy=False)
        last_unfolded, last_inner = table["expansions"][-1], table["inner_expansions"][-1]
        assert {"store:bob", "collection:ptrs"} <= set(last_unfolded), "stores and the list unfold"
        assert "store:me" in last_inner["collection:ptrs"], "me's store unfolds inside the list"


@needs_node
def test_a_saved_long_lesson_replays_its_first_and_last_step_in_both_languages(
    long_lesson: LiveView, tmp_path: Path
) -> None:
    view, names = long_lesson, long_lesson._hub.names
    page = view.save(tmp_path / "lesson.html")
    first, last = view.steps[0], view.steps[-1]
    actions, expected = [], []
    for lang in ("en", "bn"):
        for step in (first, last):
            for privacy in (False, True):
                actions.append({"lang": lang, "step": step.index, "privacy": privacy})
                expected.append((view.dot_for(step, lang, names, expanded=(), privacy=privacy), step.index))
    drawn = replayed_in_node(page, actions, tmp_path)
    assert [(d["dot"], d["dot_step"]) for d in drawn] == expected
    assert expected[0][0] != expected[4][0], "English and Bengali pictures differ"


@needs_node
def test_in_a_saved_page_me_unfolds_inside_an_unfolded_list(long_lesson: LiveView, tmp_path: Path) -> None:
    view, names = long_lesson, long_lesson._hub.names
    last = view.steps[-1]

    def picture(*keys: str) -> str:
        return view.dot_for(last, "en", names, expanded=keys, privacy=False)

    # The live view: me's store can be unfolded only once the list ptrs is.
    assert 'id="expand:store:me"' not in picture() and 'id="expand:store:me"' in picture("collection:ptrs")
    assert picture("collection:ptrs", "store:me") != picture("collection:ptrs")
    page = view.save(tmp_path / "lesson.html")
    clicks = [
        {"lang": "en", "step": last.index},
        {"expanded": ["collection:ptrs"]},  # unfold the list
        {"expanded": ["collection:ptrs", "store:me"]},  # then me's store, from the list's note
        {"expanded": ["collection:ptrs"]},  # fold me again: the list stays unfolded
        {"expanded": ["collection:ptrs", "store:bob"]},  # another store: one at a time, the list folds
        {"expanded": []},
    ]
    drawn = replayed_in_node(page, clicks, tmp_path)
    assert [d["dot"] for d in drawn] == [
        picture(),
        picture("collection:ptrs"),
        picture("collection:ptrs", "store:me"),
        picture("collection:ptrs"),
        picture("store:bob"),
        picture(),
    ]
    assert [d["expanded"] for d in drawn][2] == ["collection:ptrs", "store:me"]
