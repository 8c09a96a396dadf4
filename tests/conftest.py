"""Shared harness: each stack's real program runs once per test session under mocks.

Tests ask for ``plans["prod"]`` (or the ``dev`` / ``staging`` / ``prod`` fixtures) and read the
captured resources, the way a reviewer reads ``plan.py --json``.
"""

from __future__ import annotations

import fcntl
import gc
import pickle
from pathlib import Path

import pytest

from offline.harness import Plan, run_program
from tests.support.crds import skip_without_crd_schemas
from tests.support.repo import STACKS

# The collector's default thresholds (700 allocations) make each program run sweep the session's
# plans and modules again and again: a third of the suite's time. Collect young objects a
# hundredth as often; the run's garbage still goes, in larger batches.
gc.set_threshold(50_000, 20, 100)


class _Plans(dict):
    """Lazily runs a stack the first time a test asks for it, then keeps the Plan.

    Under pytest-xdist the workers share each stack's run: the first worker to need it runs
    it and leaves it in the session's shared temporary directory (under a lock); the others
    load it from there instead of running the same program again."""

    def __init__(self, shared: Path | None) -> None:
        super().__init__()
        self.shared = shared

    def __missing__(self, stack: str) -> Plan:
        self[stack] = plan = self._shared_run(stack) if self.shared else run_program(stack)
        return plan

    def _shared_run(self, stack: str) -> Plan:
        assert self.shared is not None
        path = self.shared / f"plan-{stack}.pickle"
        with open(self.shared / f"plan-{stack}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if path.exists():
                return pickle.loads(path.read_bytes())
            plan = run_program(stack)
            plan.mocks = None  # the session plans' readers never use their mocks
            path.write_bytes(pickle.dumps(plan))
            return plan


@pytest.fixture(scope="session")
def plans(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> _Plans:
    # with xdist every worker's base temp sits in one directory per test run
    shared = tmp_path_factory.getbasetemp().parent if worker_id != "master" else None
    return _Plans(shared)


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


# The modules that take longest go first, so that the two workers (``--dist loadfile``, in this
# order: ``--no-loadscope-reorder``) end together instead of one waiting on a long module
# scheduled last. The moto deployments need no session plan, and test_manifests runs the three
# stacks' plans while they deploy, so no worker waits on a plan another one is running.
HEAVY_FIRST = ("test_moto.py", "test_manifests.py", "test_fuzz.py", "test_dns.py",
               "test_addons_ingress.py", "test_seeds.py", "test_policies.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return HEAVY_FIRST.index(name) if name in HEAVY_FIRST else len(HEAVY_FIRST)
    items.sort(key=rank)  # stable: every module keeps its own order


# Tests that need the CRD schemas are skipped, with the reason, when there are none.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    return (yield from skip_without_crd_schemas())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    return (yield from skip_without_crd_schemas())


def pytest_collection_finish(session: pytest.Session) -> None:
    # What collection imported (the program's modules, Pulumi's SDK and providers, moto,
    # hypothesis) lives as long as the process: frozen, the collector stops sweeping it again
    # at every full collection (about a tenth less time in the program runs).
    gc.freeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    # The process ends next. Frozen, its objects (the session's plans, the moto accounts) are
    # not swept once more on the way out: about 3 s less per worker, whose exit the run waits on.
    gc.freeze()
