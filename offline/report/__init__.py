"""The plan report: ``plan.py STACK --html FILE`` writes one self-contained page per stack
(model.py reads the plan's JSON document, svg.py draws, page.py lays the page out)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from offline.report.model import build
from offline.report.page import render


def html(document: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> str:
    """The page of a plan's JSON document (``plan.py --json``), compared with ``old``."""
    return render(build(document, old))


def write(path: Path, document: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> int:
    """Write the page to ``path``; its size in bytes."""
    data = html(document, old).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)
