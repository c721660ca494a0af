"""The course notebooks: they run, the Bengali and English twins match, each lesson leaves the
workers in the state its text describes, and the Bengali text (lessons, index, the widget's catalog)
uses the words of the glossary in docs/course.md.

Every notebook under ``notebooks/`` is found automatically. A new lesson needs one line in
``EXPECTED_STATE``; the test says so if it is missing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
LESSON_LANGS = ("en", "bn")
# Course documents outside notebooks/ whose relative links must resolve too.
COURSE_DOCS = (ROOT / "docs" / "course.md",)

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

# The first code cell of every lesson picks the diagram's language from the notebook's folder, so
# both twins can share their code. Jupyter and nbclient start a kernel in the notebook's folder.
LANG_LINE = 'LANG = "bn" if Path.cwd().name == "bn" else "en"'
SHOW_CALL = "sy.show(lang=LANG)"

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
LESSON_NAMES = sorted({p.name for p in LESSONS})


def rel(path: Path) -> str:
    return path.relative_to(NOTEBOOKS_DIR).as_posix()


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def expected_state(path: Path) -> dict[str, int]:
    key = path.name if path in LESSONS else rel(path)
    if key not in EXPECTED_STATE:
        pytest.fail(f"no expected final state for {rel(path)!r}: add {key!r} to EXPECTED_STATE in {__file__}")
    return EXPECTED_STATE[key]


def run_with_state_probe(path: Path, kernel_name: str = "python3", env: dict[str, str] | None = None) -> dict:
    """Run the notebook top to bottom in its own folder, then report the workers' state."""
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
                    return json.loads(line[len(STATE_MARKER) :])
    raise AssertionError(f"the state probe printed nothing in {rel(path)}: {nb.cells[-1].outputs!r}")


def markdown_links(text: str) -> list[str]:
    """Link and image targets in Markdown or HTML: ``[t](target)``, ``![a](target "title")``, ``href=``."""
    inline = re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", text)
    html = re.findall(r"""(?:href|src)\s*=\s*["']([^"']+)["']""", text)
    return inline + html


def local_link_targets(text: str, base: Path) -> list[tuple[str, Path]]:
    """(link, resolved file) for every link that is a relative path; web links and anchors are skipped."""
    targets = []
    for link in markdown_links(text):
        parts = urlsplit(link)
        if parts.scheme or parts.netloc or not parts.path:
            continue
        targets.append((link, (base / unquote(parts.path)).resolve()))
    return targets


def markdown_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        return "\n\n".join(c.source for c in read(path).cells if c.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def test_the_course_has_notebooks_in_both_languages():
    assert (NOTEBOOKS_DIR / "index.ipynb") in NOTEBOOKS
    for lang in LESSON_LANGS:
        assert any(p.parent.name == lang for p in LESSONS), f"no lessons in notebooks/{lang}/"


def source_tree_env() -> dict[str, str]:
    """The kernel imports the library from this checkout, installed or not (the Binder test checks
    the installed package)."""
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_notebook_runs_and_leaves_the_state_its_text_describes(path):
    state = run_with_state_probe(path, env=source_tree_env())
    assert state["workers"] == expected_state(path)
    if path in LESSONS:
        # The view speaks the language of the folder, while the code is the same in both twins.
        assert state["LANG"] == path.parent.name
        assert state["view_lang"] == path.parent.name


@pytest.mark.parametrize("name", LESSON_NAMES)
def test_every_lesson_exists_in_both_languages(name):
    for lang in LESSON_LANGS:
        assert (NOTEBOOKS_DIR / lang / name).is_file(), f"notebooks/{lang}/{name} is missing"


@pytest.mark.parametrize("name", LESSON_NAMES)
def test_twins_have_the_same_cells_and_identical_code(name):
    en, bn = (read(NOTEBOOKS_DIR / lang / name) for lang in ("en", "bn"))
    assert [c.cell_type for c in en.cells] == [c.cell_type for c in bn.cells]
    for i, (a, b) in enumerate(zip(en.cells, bn.cells, strict=True)):
        if a.cell_type == "code":
            assert a.source == b.source, f"code cell {i} differs between en and bn"


@pytest.mark.parametrize("name", LESSON_NAMES)
def test_bengali_twin_is_written_in_bengali(name):
    bengali = re.compile("[\u0980-\u09ff]")
    for i, cell in enumerate(read(NOTEBOOKS_DIR / "bn" / name).cells):
        if cell.cell_type == "markdown" and re.search(r"[^\W\d_]", cell.source):
            assert bengali.search(cell.source), f"markdown cell {i} of bn/{name} has no Bengali text"


@pytest.mark.parametrize("path", LESSONS, ids=rel)
def test_lesson_opens_the_live_view_in_the_notebooks_language(path):
    code = [c.source for c in read(path).cells if c.cell_type == "code"]
    assert code, "a lesson without code"
    assert LANG_LINE in code[0], f"the first code cell must contain: {LANG_LINE}"
    assert "from pathlib import Path" in code[0]
    assert any(SHOW_CALL in src for src in code), f"no cell calls {SHOW_CALL}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_notebook_is_valid_and_stored_without_outputs(path):
    nb = read(path)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert "widgets" not in nb.metadata, "saved widget state (it embeds the whole front-end bundle)"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} has saved outputs"
            assert cell.execution_count is None, f"cell {i} has an execution count"


@pytest.mark.parametrize("path", [*NOTEBOOKS, *COURSE_DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(path):
    broken = [
        link for link, target in local_link_targets(markdown_of(path), path.parent) if not target.exists()
    ]
    assert not broken, f"broken links in {path.relative_to(ROOT)}: {broken}"


def test_index_links_every_lesson_in_both_languages():
    index = NOTEBOOKS_DIR / "index.ipynb"
    linked = {target for _, target in local_link_targets(markdown_of(index), index.parent)}
    missing = [rel(p) for p in LESSONS if p.resolve() not in linked]
    assert not missing, f"the index does not link: {missing}"


def test_notebook_outputs_are_stripped_on_commit():
    attributes = (ROOT / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert "*.ipynb filter=nbstripout" in attributes


# --- the course's words (docs/course.md, "Words: a Bengali-English glossary") ---------------------

GLOSSARY_DOC = ROOT / "docs" / "course.md"


def glossary_rows() -> list[tuple[str, str, str]]:
    """(English, Bengali, note) for every row of the glossary table in docs/course.md."""
    text = GLOSSARY_DOC.read_text(encoding="utf-8").split("## Words: a Bengali-English glossary", 1)[1]
    rows = []
    for line in text.split("\n## ", 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and not set(cells[0]) <= {"-"} and cells[0] != "English":
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def avoided_words() -> list[str]:
    """The Bengali words the glossary's notes rule out ("not চেইন", "not স্টোর", ...)."""
    return [
        w
        for _, _, note in glossary_rows()
        for w in re.findall(r"\bnot ([\u0980-\u09ff][\u0980-\u09ff-]*)", note)
    ]


def bengali_texts() -> list[tuple[str, str]]:
    """(where, text) for every Bengali lesson's markdown, the index, and the widget's bn catalog."""
    texts = [
        (f"bn/{name} [{i}]", cell.source)
        for name in LESSON_NAMES
        for i, cell in enumerate(read(NOTEBOOKS_DIR / "bn" / name).cells)
        if cell.cell_type == "markdown"
    ]
    texts += [
        (f"index.ipynb [{i}]", c.source) for i, c in enumerate(read(NOTEBOOKS_DIR / "index.ipynb").cells)
    ]
    catalog = ROOT / "syft_widgets" / "diagram" / "locale" / "bn" / "LC_MESSAGES" / "syft_widgets.po"
    texts.append((catalog.relative_to(ROOT).as_posix(), catalog.read_text(encoding="utf-8")))
    return texts


def test_glossary_has_the_words_the_review_asked_for():
    english = {row[0] for row in glossary_rows()}
    for concept in (
        "command",
        "points to",
        "chain (of pointers)",
        "store (`_objects`)",
        "id",
        "diagram",
        "legend",
    ):
        assert concept in english, f"the glossary has no row for {concept!r}"
    assert {"ওয়ার্কার", "শ্রমিক", "চেইন", "স্টোর", "চিত্র"} <= set(avoided_words())


@pytest.mark.parametrize("word", avoided_words())
def test_bengali_text_avoids_the_words_the_glossary_rules_out(word):
    found = [where for where, text in bengali_texts() if word in text]
    assert not found, f"{word!r} (ruled out in docs/course.md's glossary) appears in {found}"


def test_bengali_text_keeps_nirdesh_for_pointing_and_sarano_for_move():
    # "নির্দেশ" is "points to" (নির্দেশ করে/করছে/করা); a command is কমান্ড. সরানো is `.move()` only, so
    # no sentence may say that `send` or `get` সরায়.
    for where, text in bengali_texts():
        for match in re.finditer("নির্দেশ(?!িকা)", text):
            after = text[match.end() : match.end() + 6]
            assert after.lstrip().startswith("কর"), (
                f"নির্দেশ not as 'points to' in {where}: …{text[match.start() - 40 : match.end() + 40]}…"
            )
        for sentence in re.split(r"[।\n]", text):
            if "সরা" in sentence.replace("সরাসরি", ""):
                assert (".send(" not in sentence and ".get(" not in sentence) or ".move(" in sentence, (
                    f"সরানো next to send/get in {where}: {sentence}"
                )


def test_the_legend_has_the_widgets_name_in_the_index():
    from syft_widgets.diagram.words import translator

    index = markdown_of(NOTEBOOKS_DIR / "index.ipynb")
    for lang in ("bn", "en"):
        name = translator(lang)("Legend")
        assert f'"{name}"' in index, f"the index does not call the legend {name!r}, as the {lang} widget does"


@pytest.mark.parametrize("lang", LESSON_LANGS)
def test_part_3_credits_the_original_author_and_the_bengali_translator(lang):
    first = read(NOTEBOOKS_DIR / lang / "Part 03 - Advanced Remote Execution Tools.ipynb").cells[0].source
    assert "Andrew Trask" in first and "Sourav Das" in first
    if lang == "bn":  # the seed's two headings
        assert "Authors" in first and "অনুবাদক" in first
