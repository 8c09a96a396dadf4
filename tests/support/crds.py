"""The CRD schemas in the tests: a test that needs them is skipped, with
offline/crd_schemas.py's reason, when none are available (no ../shared/crds, nothing
fetched): it never passes unchecked."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from offline import crd_schemas


def skip_without_crd_schemas() -> Generator[None, Any, Any]:
    """A hook wrapper's body: what the wrapped hook returns, or a skip when it needed the
    schemas and there are none."""
    try:
        return (yield)
    except crd_schemas.SchemasUnavailable as missing:
        pytest.skip(str(missing))
