"""The repository's Python sources, listed and parsed once per test process: the layout,
import and composition tests all read the same files."""

from __future__ import annotations

import ast
import functools
import subprocess
from pathlib import Path

from tests.support.repo import ROOT


@functools.cache
def python_files() -> tuple[Path, ...]:
    """Every .py file git tracks, and those it would (untracked, not ignored), that exists."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "*.py"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return tuple(sorted({ROOT / name for name in listed.split("\0") if name
                         and (ROOT / name).exists()}))


@functools.cache
def text(path: Path) -> str:
    return path.read_text()


@functools.cache
def tree(path: Path) -> ast.Module:
    """``path`` parsed (the tests only read the trees)."""
    return ast.parse(text(path), str(path))


@functools.cache
def nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of ``path``'s tree, as ``ast.walk`` yields them."""
    return tuple(ast.walk(tree(path)))
