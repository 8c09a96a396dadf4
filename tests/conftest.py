"""Shared harness: each stack's real program runs once per test session under mocks.

Tests ask for ``plans["prod"]`` (or the ``dev`` / ``staging`` / ``prod`` fixtures) and read the
captured resources, the way a reviewer reads ``plan.py --json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from shipyard.harness import Plan, run_program  # noqa: E402

STACKS = ("dev", "staging", "prod")


class _Plans(dict):
    """Lazily runs a stack the first time a test asks for it, then keeps the Plan."""

    def __missing__(self, stack: str) -> Plan:
        plan = run_program(stack)
        self[stack] = plan
        return plan


@pytest.fixture(scope="session")
def plans() -> _Plans:
    return _Plans()


@pytest.fixture(scope="session")
def dev(plans: _Plans) -> Plan:
    return plans["dev"]


@pytest.fixture(scope="session")
def staging(plans: _Plans) -> Plan:
    return plans["staging"]


@pytest.fixture(scope="session")
def prod(plans: _Plans) -> Plan:
    return plans["prod"]


@pytest.fixture(params=STACKS)
def stack_plan(request: pytest.FixtureRequest, plans: _Plans) -> Plan:
    """Parametrises a test over all three stacks."""
    return plans[request.param]
