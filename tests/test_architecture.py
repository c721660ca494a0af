"""The package's modules import each other in one direction: no import cycles, layer by layer.

Every import counts, also one inside a function (it closes a cycle just as surely when it runs);
only imports under ``if TYPE_CHECKING:`` are free, because they never run. The tests keep one rule
of their own: no test module imports another; what two of them share lives in a support module.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Collection

import pytest

PACKAGE = "syft_widgets"
ROOT = pathlib.Path(__file__).resolve().parent.parent / PACKAGE
TESTS = pathlib.Path(__file__).resolve().parent


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(module: str, is_package: bool, tree: ast.AST, modules: Collection[str] = ()) -> set[str]:
    """The modules that ``module`` imports, anywhere but under ``if TYPE_CHECKING:``.

    ``modules`` are the package's modules, to tell ``from . import submodule`` from a name.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.orelse:
                visit(statement)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # ``from . import x`` imports the module ``x`` when there is one, else names in ``origin``.
            found.update(
                f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin
                for alias in node.names
            )
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module name -> the package's modules it imports (only modules that exist)."""
    paths = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        imported = _imported(name, path.name == "__init__.py", ast.parse(path.read_text()), paths)
        # Python imports a module's parent packages before the module itself, whatever it says:
        # an edge to an ancestor is implied for every module and never closes a cycle of its own.
        graph[name] = {m for m in imported if m in paths and not _is_ancestor(m, name)}
    return graph


def _is_ancestor(candidate: str, module: str) -> bool:
    return module == candidate or module.startswith(candidate + ".")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 2 and (ROOT / parts[1]).is_dir():
        return parts[1]
    if len(parts) == 2 and (ROOT / parts[1]).is_dir():
        return parts[1]  # a subpackage's __init__ belongs to its subpackage
    return "core"


LAYERS = ["core", "federated", "diagram", "widgets", "ray", "encrypted"]


@pytest.mark.parametrize("layer", LAYERS)
def test_no_import_cycle_within_layer(layer: str) -> None:
    graph = import_graph()
    assert any(_layer(m) == layer for m in graph), f"no modules found for layer {layer!r}"
    found = [c for c in cycles(graph) if any(_layer(m) == layer for m in c)]
    assert not found, "import cycles: " + "; ".join(" ⇄ ".join(c) for c in found)


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import() -> None:
    source = "def f():\n    from . import b\n"
    imported = _imported("pkg.a", False, ast.parse(source), {"pkg", "pkg.a", "pkg.b"})
    assert "pkg.b" in imported
    assert cycles({"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a"}, "pkg.c": set()}) == [["pkg.a", "pkg.b"]]


def test_type_checking_imports_are_free() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import b\n"
    assert "pkg.b" not in _imported("pkg.a", False, ast.parse(source), {"pkg", "pkg.a", "pkg.b"})


def test_every_layer_is_checked() -> None:
    assert {_layer(m) for m in import_graph()} == set(LAYERS)


# --- tests: a test module imports support modules (tests/helpers.py, ...), never another test module ---
def _is_test_module(module: str) -> bool:
    return module.rpartition(".")[2].startswith("test_")


def imports_between_test_modules() -> list[str]:
    """One line "<test module> imports <test module>" per such import under tests/, anywhere in a file."""
    paths = {_module_name(p): p for p in TESTS.rglob("*.py")}
    found = []
    for name, path in sorted(paths.items()):
        if _is_test_module(name):
            imported = _imported(name, path.name == "__init__.py", ast.parse(path.read_text()), paths)
            found += [f"{name} imports {m}" for m in sorted(imported) if _is_test_module(m) and m != name]
    return found


def test_no_test_module_imports_another_test_module() -> None:
    found = "; ".join(imports_between_test_modules())
    assert not found, f"{found}: move what they share into a support module such as tests/helpers.py"


@pytest.mark.parametrize(
    "source",
    [
        "from tests.test_b import helper\n",
        "import tests.test_b\n",
        "from tests import test_b\n",
        "from . import test_b\n",
        "def f():\n    from .test_b import helper\n",
    ],
)
def test_the_walker_sees_every_way_to_import_a_test_module(source: str) -> None:
    modules = {"tests", "tests.test_a", "tests.test_b", "tests.helpers"}
    assert "tests.test_b" in _imported("tests.test_a", False, ast.parse(source), modules)


def test_the_walker_reads_the_tests() -> None:
    names = {_module_name(p) for p in TESTS.rglob("*.py")}
    assert {"tests.test_architecture", "tests.helpers", "tests.browser.test_bundle"} <= names


# --- one vocabulary: the message types are listed once, in messages.Message --------------------------
def test_every_message_type_says_what_it_is_and_has_a_handler() -> None:
    from syft_widgets import messages as m
    from syft_widgets import workers

    assert set(workers._HANDLERS) == set(m.MESSAGE_TYPES)
    for cls in m.MESSAGE_TYPES:
        assert cls.label in {"send object", "request object", "delete object", "command"}, cls
        assert "summary" in cls.__dict__, f"{cls.__name__} does not say what it carries"


def test_the_ray_envelope_and_the_codec_know_every_message_type() -> None:
    # Ray is not needed: the envelope and the codec are plain Python.
    from syft_widgets import messages as m
    from syft_widgets.ray import codec, envelope

    assert envelope._MESSAGES == set(m.MESSAGE_TYPES)
    assert set(m.MESSAGE_TYPES) <= set(codec.DATA_CLASSES.values())
