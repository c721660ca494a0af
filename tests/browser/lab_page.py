"""Driving a live view in a real JupyterLab 4 or Notebook 7: serve, run cells, read what a view shows.

Shared by the browser tests and benchmarks/bench_browser.py. Everything a test learns about a view comes from its DOM (``STATE_JS``)
or from the kernel itself (``KERNEL_PRINT_JS``), never from the test's own expectations.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import jupyter_server

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


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


def _copy_notebooks(root: Path) -> None:
    for nb in NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(nb, root / nb.name)
        # Every lesson notebook also as an English twin: only the view's language differs.
        text = nb.read_text(encoding="utf-8")
        if 'lang=\\"bn\\"' in text:
            twin = text.replace('lang=\\"bn\\"', 'lang=\\"en\\"')
            (root / f"{nb.stem}_en.ipynb").write_text(twin, encoding="utf-8")


def serve(frontend: str) -> Iterator[Lab]:
    """A fresh, isolated, offline JupyterLab (``"lab"``) or Notebook 7 (``"notebook"``).

    It serves a copy of ``tests/browser/notebooks``; every Jupyter folder is in a temporary directory.
    """
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


BENGALI = re.compile(r"[\u0980-\u09FF]")

# What a view shows, read from its DOM. Nodes are assigned to the smallest cluster that contains
# their centre: Graphviz draws clusters and nodes as sibling <g> elements, not nested ones.
STATE_JS = """
(root) => {
  const prefix = `syftv${root.dataset.view}-`;
  const strip = (id) => (id.startsWith(prefix) ? id.slice(prefix.length) : id);
  const svg = root.querySelector(".syft-graph svg");
  const state = {
    step: Number(root.dataset.renderedStep ?? -99), renders: Number(root.dataset.renderCount || 0),
    busy: root.querySelector(".syft-graph").dataset.busy, counter: root.querySelector(".syft-counter").textContent,
    narration: root.querySelector(".syft-narration").textContent,
    error: root.querySelector(".syft-error").textContent,
    prevTitle: root.querySelector(".syft-prev").title, liveText: root.querySelector(".syft-live").textContent,
    livePressed: root.querySelector(".syft-live").getAttribute("aria-pressed"),
    legend: root.querySelector(".syft-legend summary").textContent,
    clusters: {}, nodes: {}, edges: {}, ids: [],
  };
  if (!svg) return state;
  const boxes = [];
  for (const c of svg.querySelectorAll("g.cluster")) {
    boxes.push([strip(c.id), c.getBBox()]);
    state.clusters[strip(c.id)] = [];
  }
  for (const n of svg.querySelectorAll("g.node")) {
    const b = n.getBBox();
    const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
    const id = strip(n.id);
    state.nodes[id] = { text: [...n.querySelectorAll("text")].map((t) => t.textContent).join(" "),
                        cls: n.getAttribute("class") || "" };
    let best = null;
    for (const [cid, cb] of boxes) {
      const inside = cx >= cb.x && cx <= cb.x + cb.width && cy >= cb.y && cy <= cb.y + cb.height;
      if (inside && (!best || cb.width * cb.height < best[1])) best = [cid, cb.width * cb.height];
    }
    if (best) state.clusters[best[0]].push(id);
  }
  for (const e of svg.querySelectorAll("g.edge")) {
    state.edges[strip(e.id)] = { title: e.querySelector("title")?.textContent || "",
                                 cls: e.getAttribute("class") || "",
                                 label: [...e.querySelectorAll("text")].map((t) => t.textContent).join(" ") };
  }
  state.ids = [...svg.querySelectorAll("[id]")].map((x) => x.id);
  return state;
}
"""

# Not awaited: the command's promise may outlive the run; the prompt tells when the cell ended.
RUN_CELL_JS = """
(index) => {
  const app = window.jupyterapp;
  const notebook = app.shell.currentWidget.content;
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  app.commands.execute("notebook:run-cell");
}
"""

# Times, in the page, from a cell's prompt turning into [n] to the view drawing a newer step.
LATENCY_JS = """
(index) => new Promise((resolve) => {
  const app = window.jupyterapp;
  const notebook = app.shell.currentWidget.content;
  const cell = notebook.widgets[index];
  const prompt = cell.node.querySelector(".jp-InputPrompt");
  const root = document.querySelector(".syft-view");
  const before = Number(root.dataset.renderedStep);
  const t = { start: performance.now() };
  const finish = () => {
    if (t.done !== undefined && t.svg !== undefined) { observer.disconnect(); resolve(t); }
  };
  const observer = new MutationObserver(() => {
    if (t.done === undefined && /\\[\\d+\\]/.test(prompt.textContent)) t.done = performance.now();
    finish();
  });
  observer.observe(prompt, { childList: true, subtree: true, characterData: true });
  root.addEventListener("syft-drawn", function onDrawn() {
    if (Number(root.dataset.drawnStep) > before && t.drawn === undefined) {
      t.drawn = performance.now();
      root.removeEventListener("syft-drawn", onDrawn);
    }
  });
  root.addEventListener("syft-rendered", function onRendered() {
    if (Number(root.dataset.renderedStep) > before && t.svg === undefined) {
      t.svg = performance.now();
      root.removeEventListener("syft-rendered", onRendered);
      finish();
    }
  });
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  app.commands.execute("notebook:run-cell");
  setTimeout(() => resolve(t), 30000);
})
"""

KERNEL_IDLE_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const ctx = panel && panel.sessionContext;
  return Boolean(ctx && ctx.isReady && ctx.session && ctx.session.kernel &&
                 ctx.session.kernel.connectionStatus === "connected" && ctx.session.kernel.status === "idle");
}"""

# Runs code in the notebook's kernel without a cell (no prompt number, nothing in Out) and returns what
# it printed: how the tests learn what the kernel recorded, to compare with what the page shows.
KERNEL_PRINT_JS = """
async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code, silent: false, store_history: false });
  let text = "";
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === "stream") text += msg.content.text;
    if (msg.header.msg_type === "error") text += "ERROR " + msg.content.ename + ": " + msg.content.evalue;
  };
  await future.done;
  return text;
}
"""


def until(read: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 20, what: str = "") -> Any:
    """Poll ``read()`` until ``ok`` holds; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; last state: {value!r}"[:4000])
        time.sleep(0.15)


class Notebook:
    """One open notebook and the live views in it."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def wait_idle(self, timeout: float = 60) -> None:
        # Asked of the kernel itself: Notebook 7 has no execution indicator in its toolbar.
        self.page.wait_for_function(KERNEL_IDLE_JS, timeout=timeout * 1000)

    def run(self, index: int, timeout: float = 20) -> None:
        """Run cell ``index`` and wait until its prompt shows it ran (``timeout`` seconds at most)."""
        self.page.evaluate(RUN_CELL_JS, index)
        self.wait_idle()
        prompt = self.page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputPrompt")
        ran = lambda t: bool(re.search(r"\[\d+\]", t or ""))  # noqa: E731
        until(prompt.text_content, ran, timeout=timeout, what=f"cell {index}")

    def views(self) -> Any:
        return self.page.locator(".syft-view")

    def state(self, n: int = 0) -> dict[str, Any]:
        root = self.views().nth(n)
        root.scroll_into_view_if_needed()
        return dict(root.evaluate(STATE_JS))

    def settled(
        self, n: int = 0, ok: Callable[[dict[str, Any]], bool] = lambda s: True, what: str = ""
    ) -> Any:
        return until(lambda: self.state(n), lambda s: s["busy"] == "0" and ok(s), what=what or "the view")

    def output_text(self, index: int) -> str:
        return str(
            self.page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea").inner_text()
        )


def open_notebook(page: Any, lab: Any, name: str) -> Notebook:
    page.goto(lab.notebook_url(name))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
    nb = Notebook(page)
    nb.wait_idle()
    return nb


def objects_in(state: dict[str, Any], worker: str, cls: str) -> list[str]:
    """Ids of the ``cls`` nodes ("tensor", "pointer") held in ``worker``'s cluster.

    Ghosts of objects the step removed stay drawn for one step, marked "removed": not held.
    """
    held = []
    for n in state["clusters"].get(f"cluster_{worker}", []):
        classes = state["nodes"][n]["cls"].split()
        if cls in classes and "removed" not in classes:
            held.append(n)
    return held


def screenshot(page: Any, root: Any, path: Path) -> None:
    page.mouse.move(0, 0)  # no hover effects in the picture
    root.scroll_into_view_if_needed()
    root.screenshot(path=str(path))


ASCII_DIGITS = re.compile(r"[0-9]")
BENGALI_DIGITS = re.compile(r"[০-৯]")


def check_digits(state: dict[str, Any], lang: str) -> None:
    """Counts and sizes in the view's digits; object ids ("#123") stay ASCII in both languages."""
    texts = [state["counter"]] + [e["label"] for e in state["edges"].values() if e["label"]]
    texts += [node["text"] for node in state["nodes"].values()]
    # Left as printed: ids (#12, bob:12), value previews ([1, 2, 3]) and names (p2p2x, int64).
    joined = re.sub(r"#\d+|:\d+|\[[^\]]*\]|[A-Za-z_][A-Za-z0-9_]*", "", " ".join(texts))
    if lang == "bn":
        assert BENGALI_DIGITS.search(joined) and not ASCII_DIGITS.search(joined), joined
    else:
        assert not BENGALI.search(joined), joined


def eventually(nb: Notebook, check: Callable[[dict[str, Any]], None], what: str, timeout: float = 20) -> Any:
    """Poll the settled view until ``check`` passes; fail with its last complaint.

    A cell's last picture arrives in two pushes (the step, then the variable names when the cell
    ends), so a check may fail on the first one and must pass on the last.
    """
    deadline = time.monotonic() + timeout
    while True:
        state = nb.state()
        try:
            assert state["busy"] == "0", "still drawing"
            check(state)
            return state
        except AssertionError as exc:
            if time.monotonic() > deadline:
                pytest.fail(f"{what}: {exc}"[:4000])
        time.sleep(0.2)
