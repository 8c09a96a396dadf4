"""The house's layout holds: no import circle anywhere, the product package ``shipyard/``
imports nothing from the components, the composition or the offline tooling, and no module
(product, policy pack or tooling) grows past a size a newcomer can read."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from tests.support.repo import ROOT
from tests.support.sources import nodes, python_files, text

FIRST_PARTY = ("shipyard", "components", "compose", "offline", "policies", "plan", "tests")
# what `pulumi up` runs: the program and its packages (not the tooling, the tests, the policies)
PRODUCT = ("shipyard/", "components/", "compose/", "__main__.py")
MAX_LINES = 600


def _sources() -> tuple[Path, ...]:
    return python_files()


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The first-party modules ``path`` imports, at any depth of the file (a function's own
    import closes a circle as surely as one at the top)."""
    here = _module(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in nodes(path):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([node.module] if node.module else []))
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != here:
                found.add(name)
    return found


@functools.cache
def _graph() -> dict[str, set[str]]:
    files = [p for p in _sources() if _module(p).split(".")[0] in FIRST_PARTY
             or p.name == "__main__.py"]
    modules = {_module(p) for p in files}
    return {_module(p): _imports(p, modules) for p in files}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circle_anywhere():
    assert _cycle(_graph()) is None


def test_the_circle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_product_package_imports_no_component_composition_or_tooling():
    offending = {m: sorted(d for d in deps if d.split(".")[0] in
                           ("components", "compose", "offline", "tests", "policies", "plan"))
                 for m, deps in _graph().items() if m.split(".")[0] == "shipyard"}
    assert {m: d for m, d in offending.items() if d} == {}


def test_components_never_reach_for_the_tooling():
    offending = {m: sorted(d for d in deps if d.split(".")[0] in ("offline", "tests", "plan"))
                 for m, deps in _graph().items() if m.split(".")[0] in ("components", "compose")}
    assert {m: d for m, d in offending.items() if d} == {}


def test_no_module_outside_the_tests_is_over_600_lines():
    sizes = {str(p.relative_to(ROOT)): len(text(p).splitlines()) for p in _sources()
             if not str(p.relative_to(ROOT)).startswith("tests/")}
    assert len([f for f in sizes if f.startswith(PRODUCT)]) > 50
    assert {f: n for f, n in sizes.items() if n > MAX_LINES} == {}


def test_no_test_module_imports_another():
    """What the tests share lives in tests/support/, never in another test module or
    conftest."""
    offending = []
    for path in _sources():
        rel = path.relative_to(ROOT)
        if rel.parts[0] != "tests" or rel.parts[1] == "support":
            continue
        for node in nodes(path):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offending += [f"{rel}: {name}" for name in names
                          if name.split(".")[-1].startswith(("test_", "conftest", "helpers"))]
    assert offending == []


ENVIRONMENT_NAMES = {"dev", "staging", "prod"}


def test_no_environment_name_in_component_or_composition_code():
    """Per-environment choices are settings with defaults (shipyard/config/defaults.py), never
    a literal environment name in what builds the resources."""
    found = []
    for path in _sources():
        rel = str(path.relative_to(ROOT))
        if not rel.startswith(("components/", "compose/")):
            continue
        for node in nodes(path):
            if isinstance(node, ast.Constant) and node.value in ENVIRONMENT_NAMES:
                found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert found == []
