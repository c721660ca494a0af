"""The course notebooks: they run, the Bengali and English twins match, each lesson leaves the
workers in the state its text describes, and the Bengali text (lessons, index, the widget's catalog)
uses the words of the glossary in docs/course.md. The encrypted lessons (Parts 9 and 10) also print
the classic tutorials' results, and Part 10's data file is the documented one.

Every notebook under ``notebooks/`` is found automatically. A new lesson needs one line in
``EXPECTED_STATE`` in tests/notebook_runs.py (shared with the Binder test); the test says so if it is
missing.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import pickle
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from tests.notebook_runs import (
    LESSON_LANGS,
    LESSONS,
    NOTEBOOKS,
    NOTEBOOKS_DIR,
    ROOT,
    expected_state,
    read,
    rel,
    run_notebook,
)

LESSON_NAMES = sorted({p.name for p in LESSONS})

# Course documents outside notebooks/ whose relative links must resolve too.
COURSE_DOCS = (ROOT / "docs" / "course.md",)

# The code the twins may differ in: the classic Bengali translation's lines, kept as they are. Each
# pair is (English snippet, Bengali snippet); the Bengali code cell must equal the English one with
# these replacements made, and every documented replacement must occur.
BENGALI_CODE: dict[str, list[tuple[str, str]]] = {
    # The Bengali Part 9 unpacks max(dim=...) into values and indices (PySyft before 0.2.9 returned
    # both; the English text was changed, the translation was not). Both forms work here.
    "Part 09 - Intro to Encrypted Programs.ipynb": [
        ("max_values = x.max(dim=0)", "max_values, max_ids = x.max(dim=0)"),
    ],
    # The Bengali Part 10 copies each remote parameter before fix_precision (the English text
    # dropped the copy in PySyft's PR #3666); both give the same average.
    "Part 10 - Federated Learning with Secure Aggregation.ipynb": [
        (
            "        \n        # since SMPC can only work",
            "        \n        # select the identical parameter from each worker and copy it\n"
            "        copy_of_parameter = params[remote_index][param_i].copy()\n"
            "        \n        # since SMPC can only work",
        ),
        (
            "fixed_precision_param = params[remote_index][param_i].fix_precision()",
            "fixed_precision_param = copy_of_parameter.fix_precision()",
        ),
        (
            "spdz_params.append(params[remote_index][param_i].fix_precision()",
            "spdz_params.append(params[remote_index][param_i].copy().fix_precision()",
        ),
    ],
}

# The first code cell of every lesson picks the diagram's language from the notebook's folder, so
# both twins can share their code. Jupyter and nbclient start a kernel in the notebook's folder.
LANG_LINE = 'LANG = "bn" if Path.cwd().name == "bn" else "en"'
SHOW_CALL = "sy.show(lang=LANG)"


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


@functools.cache
def executed(path: Path) -> tuple[nbformat.NotebookNode, dict]:
    """Each notebook runs once per test session; the state test and the output tests share the run."""
    return run_notebook(path, env=source_tree_env())


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_notebook_runs_and_leaves_the_state_its_text_describes(path):
    state = executed(path)[1]
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
    """Identical code, except the classic Bengali translation's documented lines (BENGALI_CODE)."""
    en, bn = (read(NOTEBOOKS_DIR / lang / name) for lang in ("en", "bn"))
    assert [c.cell_type for c in en.cells] == [c.cell_type for c in bn.cells]
    unused = list(BENGALI_CODE.get(name, []))
    for i, (a, b) in enumerate(zip(en.cells, bn.cells, strict=True)):
        if a.cell_type == "code":
            expected = a.source
            for english, bengali in BENGALI_CODE.get(name, []):
                if english in expected:
                    expected = expected.replace(english, bengali)
                    if (english, bengali) in unused:
                        unused.remove((english, bengali))
            assert b.source == expected, f"code cell {i} differs between en and bn beyond BENGALI_CODE"
    assert not unused, f"documented Bengali code not found in {name}: {unused}"


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


# --- the encrypted lessons (Parts 9 and 10): the classic results, and Part 10's data --------------

PART_9 = "Part 09 - Intro to Encrypted Programs.ipynb"
PART_10 = "Part 10 - Federated Learning with Secure Aggregation.ipynb"
BOSTON_DIR = NOTEBOOKS_DIR / "data" / "BostonHousing"


def output_text(cell: nbformat.NotebookNode) -> str:
    """What a code cell showed: its printed text and the text form of its result."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def cell_showing(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    matches = [c for c in nb.cells if c.cell_type == "code" and c.source == source]
    assert len(matches) == 1, f"expected one code cell {source!r}, found {len(matches)}"
    return matches[0]


def shown_value(nb: nbformat.NotebookNode, source: str) -> object:
    """The Python value a cell displayed (a literal: dict, list, tuple, bool, str)."""
    return ast.literal_eval(output_text(cell_showing(nb, source)))


def stderr_of(nb: nbformat.NotebookNode) -> list[str]:
    return [o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("name") == "stderr"]


# (cell source, what it shows) for every Part 9 cell whose result the classic tutorial prints and
# spec/pysyft-0.2-encrypted.md (3.1) records; the last one is the English form of the max cell.
PART_9_RESULTS = [
    ("encrypted_x.get()", "tensor([25])"),
    ("list(bob._tensors.values())", "[]"),
    ("(bobs_share + alices_share + bills_share)", "tensor([25])"),
    ("z = x + y\nz.get()", "tensor([30])"),
    ("z = x - y\nz.get()", "tensor([20])"),
    ("# multiplication\n\nz = x * y\nz.get()", "tensor([125])"),
    ("# matrix multiplication\n\nz = x.mm(y)\nz.get()", "tensor([[2, 4],\n        [6, 8]])"),
    ("z = x > y\nz.get()", "tensor([1])"),
    ("z = x <= y\nz.get()", "tensor([0])"),
    ("z = x == y\nz.get()", "tensor([0])"),
    ("z = x == y + 20\nz.get()", "tensor([1])"),
    (
        "x = torch.tensor([2, 3, 4, 1]).share(bob,alice, crypto_provider=crypto_provider)\nx.max().get()",
        "tensor(4)",
    ),
    (
        "x = torch.tensor([[2, 3], [4, 1]]).share(bob,alice, crypto_provider=crypto_provider)\n"
        "max_values = x.max(dim=0)\nmax_values.get()",
        "tensor([4, 3])",
    ),
]


def in_language(source: str, lang: str, name: str) -> str:
    """The Bengali twin's form of an English code cell (BENGALI_CODE)."""
    if lang == "bn":
        for english, bengali in BENGALI_CODE.get(name, []):
            source = source.replace(english, bengali)
    return source


@pytest.mark.slow
@pytest.mark.parametrize("lang", LESSON_LANGS)
def test_part_9_prints_the_classic_results_and_the_shares_look_random(lang):
    nb = executed(NOTEBOOKS_DIR / lang / PART_9)[0]
    for source, shown in PART_9_RESULTS:
        assert output_text(cell_showing(nb, in_language(source, lang, PART_9))) == shown, source
    shares = []
    for who in ("bob", "alice", "bill"):
        text = output_text(
            cell_showing(
                nb,
                f"# {who.capitalize()}'s share\n{who}s_share = list({who}._tensors.values())[0]\n{who}s_share",
            )
        )
        match = re.fullmatch(r"tensor\(\[(-?\d+)\]\)", text)
        assert match, f"{who}'s share shows {text!r}, not one int64 number"
        shares.append(int(match.group(1)))
    # Each share alone says nothing: none is the secret, and they add up to it only modulo 2**64.
    assert 25 not in shares
    assert sum(shares) % 2**64 == 25
    # The privacy overlay's record, as the lesson shows it: only `me` saw values in the clear, and
    # only its own inputs and the results it fetched.
    saw_nothing = shown_value(nb, '{worker: record["saw_nothing"] for worker, record in view.seen.items()}')
    assert saw_nothing == {"me": False, "bob": True, "alice": True, "bill": True, "crypto_provider": True}
    seen_by_me = shown_value(nb, '[(entry["how"], entry["preview"]) for entry in view.seen["me"]["clear"]]')
    assert {how for how, _ in seen_by_me} == {"own", "revealed"}
    assert seen_by_me[-1] == ("revealed", "[4, 3]")
    assert shown_value(nb, 'view.seen["crypto_provider"]')["saw_nothing"] is True
    assert stderr_of(nb) == [], "Part 9 printed warnings or errors"


def secure_test_losses(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"Test set: Average loss: ([0-9.]+)", text)]


@pytest.mark.slow
@pytest.mark.parametrize("lang", LESSON_LANGS)
def test_part_10_trains_with_secure_aggregation_and_the_average_model_evaluates(lang):
    nb = executed(NOTEBOOKS_DIR / lang / PART_10)[0]
    plain = "\n".join(
        output_text(c)
        for c in nb.cells
        if c.cell_type == "code" and c.source.startswith("t = time.time()\n\nfor epoch in range(1, ")
    )
    assert len(re.findall(r"^Train Epoch: \d+ \[\d+/51 \(\d+%\)\]\tLoss: [0-9.]+$", plain, re.M)) == 60
    (plain_loss,) = secure_test_losses(output_text(cell_showing(nb, "test()")))
    secure_cell = next(
        c for c in nb.cells if c.cell_type == "code" and 'print(f"Epoch {epoch + 1}")' in c.source
    )
    secure = secure_test_losses(output_text(secure_cell))
    assert len(secure) == 10, output_text(secure_cell)
    # Both ways of training learn: predicting the training set's mean price scores 83.7 on this test set.
    assert plain_loss < 40
    # The securely averaged model improves over the epochs and ends about as good as plain federated
    # learning (PySyft 0.2.9 printed 20.77 plain and 549.58 ... 16.45 secure, spec 3.2).
    assert secure[-1] < secure[0] / 5
    assert secure[-1] < 1.5 * plain_loss
    # The crypto provider is never needed for adding shares: it saw nothing, then and at the end.
    assert shown_value(nb, 'view.seen["james"]')["saw_nothing"] is True
    saw_nothing = shown_value(nb, '{worker: record["saw_nothing"] for worker, record in view.seen.items()}')
    assert saw_nothing == {"me": False, "bob": False, "alice": False, "james": True}
    # The gradient leak the lesson points out: bob's and alice's last gradients came home, and differ.
    bob_grad, alice_grad = output_text(
        cell_showing(nb, "print(models[0].fc3.bias.grad)\nprint(models[1].fc3.bias.grad)")
    ).splitlines()
    assert bob_grad.startswith("tensor([") and alice_grad.startswith("tensor([") and bob_grad != alice_grad
    assert stderr_of(nb) == [], "Part 10 printed warnings or errors"


# The first training row of keras.datasets.boston_housing.load_data() (seed 113, test_split 0.2).
KERAS_FIRST_ROW = [1.23247, 0.0, 8.14, 0.0, 0.538, 6.142, 91.7, 3.9769, 4.0, 307.0, 21.0, 396.9, 18.72]


def load_boston_script():
    spec = importlib.util.spec_from_file_location(
        "make_boston_housing", ROOT / "scripts" / "make_boston_housing.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_part_10_data_is_the_documented_keras_split_of_the_shipped_csv():
    import numpy as np

    with (BOSTON_DIR / "boston_housing.pickle").open("rb") as f:
        (x, y), (x_test, y_test) = pickle.load(f)
    for array, shape in ((x, (404, 13)), (y, (404,)), (x_test, (102, 13)), (y_test, (102,))):
        assert array.dtype == np.float64 and array.shape == shape
    (bx, by), (bx_test, by_test) = load_boston_script().build()
    for shipped, built in ((x, bx), (y, by), (x_test, bx_test), (y_test, by_test)):
        assert np.array_equal(shipped, built)
    # Keras's boston_housing.load_data() split, as printed in F. Chollet's "Deep Learning with Python".
    assert x[0].tolist() == KERAS_FIRST_ROW
    assert y[:10].tolist() == [15.2, 42.3, 50.0, 21.1, 17.7, 18.5, 11.3, 15.6, 15.6, 14.4]
    assert y_test[:5].tolist() == [7.2, 18.8, 19.0, 27.0, 22.2]
    # Train and test are the 506 rows of the source, each once.
    rows = {tuple(r) for r in np.column_stack([np.vstack([x, x_test]), np.concatenate([y, y_test])])}
    assert len(rows) == 506


def test_the_boston_script_refuses_a_changed_source(tmp_path):
    script = load_boston_script()
    changed = tmp_path / "boston_house_prices.csv"
    changed.write_bytes((BOSTON_DIR / "boston_house_prices.csv").read_bytes().replace(b"24\n", b"25\n", 1))
    with pytest.raises(ValueError, match=r"not the scikit-learn 1\.1\.3 copy"):
        script.read_rows(changed)


@pytest.mark.parametrize("lang", LESSON_LANGS)
def test_part_10_reads_the_shipped_data_file_from_its_folder(lang):
    path = NOTEBOOKS_DIR / lang / PART_10
    sources = [c.source for c in read(path).cells if c.cell_type == "code"]
    (loader,) = [s for s in sources if "pickle.load" in s]
    relative = re.search(r"open\('([^']+)'", loader).group(1)
    assert (path.parent / relative).resolve() == (BOSTON_DIR / "boston_housing.pickle").resolve()


@pytest.mark.parametrize(
    ("name", "people"),
    [
        (PART_9, ("Andrew Trask", "Théo Ryffel", "Morten Dahl", "Sourav Das")),
        (PART_10, ("Théo Ryffel", "Andrew Trask", "Sourav Das", "Mir Mohammad Jaber")),
    ],
    ids=["part-9", "part-10"],
)
@pytest.mark.parametrize("lang", LESSON_LANGS)
def test_encrypted_lessons_credit_the_classic_authors_and_bengali_translators(name, people, lang):
    cells = read(NOTEBOOKS_DIR / lang / name).cells
    first, last = cells[0].source, cells[-1].source
    for person in people:
        assert person in first, f"{lang}/{name} does not name {person} at its top"
    # The closing note names the authors and the translators again (Morten Dahl is a reference).
    for person in people:
        if person != "Morten Dahl":
            assert person in last, f"{lang}/{name} does not name {person} in its closing note"
    if lang == "bn":  # the classic headings, as in Part 3
        assert "Authors" in first and "অনুবাদক" in first
