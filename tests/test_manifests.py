"""Every Kubernetes object shipyard writes, checked offline (issue 5).

- kubernetes-validate, strict (an unknown field is an error), against the schema of the stack's
  own Kubernetes version: zero errors. Custom resources have no schema there; they must belong to
  a CRD group shipyard installs (their own schemas: tests/test_crd_schemas.py).
- checkov's Kubernetes framework, offline: zero failed checks in every stack; each skip carries
  its reason on the object that needs it, and docs/offline-plan.md lists every skip.

The manifests are what ``plan.py STACK --manifests DIR`` writes; checkov runs once per stack,
in-process, once per stack (its graph checks must see one stack's NetworkPolicies only).
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from offline.harness import Plan
from offline.manifests import manifests, write_manifests
from tests.support.repo import ROOT, STACKS
from tests.support.settings import stack_settings

# API groups whose kinds are custom resources of the CRDs shipyard installs.
CRD_GROUPS = ("gateway.networking.k8s.io", "networking.istio.io", "security.istio.io",
              "telemetry.istio.io", "cert-manager.io", "karpenter.sh", "karpenter.k8s.aws",
              "monitoring.coreos.com", "argoproj.io", "postgresql.cnpg.io",
              "mongodbcommunity.mongodb.com", "rabbitmq.com", "snapshot.storage.k8s.io")
CHECKS_DOC = ROOT / "docs" / "offline-plan.md"


@functools.cache
def _kv() -> Any:
    import kubernetes_validate
    import kubernetes_validate.utils

    # kubernetes-validate re-reads its 1.5 MB definitions file on every call: read it once
    kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(
        kubernetes_validate.utils.schema_contents)
    return kubernetes_validate


def group(obj: dict[str, Any]) -> str:
    api = obj.get("apiVersion", "")
    return api.split("/")[0] if "/" in api else ""


def validate(obj: dict[str, Any], version: str) -> str | None:
    """None when valid; "custom" for a custom resource; else the first error."""
    kv = _kv()
    try:
        kv.validate(obj, version, strict=True)
    except kv.SchemaNotFoundError:
        return "custom" if group(obj) in CRD_GROUPS else f"no schema for {obj.get('apiVersion')}"
    except kv.ValidationError as error:
        path = ".".join(map(str, error.absolute_path))
        return f"{path}: {error.message}"
    return None


@pytest.mark.parametrize("stack", STACKS)
def test_every_object_is_valid_for_the_clusters_kubernetes_version(plans, stack):
    version = stack_settings(stack).cluster.version
    objects = manifests(plans[stack])
    assert len(objects) > 200
    results = {f"{o['kind']} {o['metadata'].get('namespace', '')}/{o['metadata']['name']}":
               validate(o, version) for o in objects}
    errors = {name: r for name, r in results.items() if r not in (None, "custom")}
    assert errors == {}
    counts = Counter("custom" if r == "custom" else "valid" for r in results.values())
    assert counts["valid"] > 150  # the workloads, policies, quotas: all schema-checked


def test_strict_validation_catches_an_unknown_field(prod):
    deployment = next(o for o in manifests(prod) if o["kind"] == "Deployment")
    assert validate(deployment, "1.35") is None
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 3}}
    assert "'replica' was unexpected" in (validate(broken, "1.35") or "")


# -- checkov -------------------------------------------------------------------------------------


def _checkov(directory: Path) -> Any:
    os.environ.setdefault("BC_SKIP_MAPPING", "TRUE")   # no Prisma Cloud lookups
    # checkov parses the files in forked processes, one per core: a fork of this whole test
    # worker each time, while the other worker has the second core. In this process: less CPU.
    os.environ.setdefault("CHECKOV_PARALLELIZATION_TYPE", "none")
    from checkov.kubernetes.runner import Runner
    from checkov.runner_filter import RunnerFilter

    return Runner().run(root_folder=str(directory),
                        runner_filter=RunnerFilter(framework=["kubernetes"]))


@pytest.fixture(scope="module")
def checkov_reports(plans: dict[str, Plan], tmp_path_factory: pytest.TempPathFactory) -> dict:
    reports = {}
    for stack in STACKS:
        directory = tmp_path_factory.mktemp(f"manifests-{stack}")
        write_manifests(plans[stack], directory)
        reports[stack] = _checkov(directory)
    return reports


@pytest.mark.parametrize("stack", STACKS)
def test_checkov_finds_no_failed_check(checkov_reports, stack):
    report = checkov_reports[stack]
    assert len(report.passed_checks) > 1000  # it did scan the workloads
    failed = sorted(f"{c.check_id} {c.resource}: {c.check_name}" for c in report.failed_checks)
    assert failed == []
    assert report.parsing_errors == []


def skips(report: Any) -> set[tuple[str, str]]:
    return {(c.check_id, c.check_result.get("suppress_comment", "")) for c in
            report.skipped_checks}


@pytest.mark.parametrize("stack", STACKS)
def test_every_skipped_check_carries_its_reason(checkov_reports, stack):
    found = skips(checkov_reports[stack])
    assert found
    for check, reason in found:
        assert reason and reason != "No comment provided", check


def test_the_docs_list_every_skipped_check_with_its_reason(checkov_reports):
    text = re.sub(r"\s+", " ", CHECKS_DOC.read_text())
    found = set().union(*(skips(r) for r in checkov_reports.values()))
    missing = sorted(f"{check}: {reason}" for check, reason in found
                     if check not in text or re.sub(r"\s+", " ", reason) not in text)
    assert missing == []


def test_a_bare_deployment_would_fail_checkov(tmp_path):
    """The scan is not vacuous: the same tooling fails a Deployment without shipyard's
    settings."""
    (tmp_path / "bare.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bare, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: bare}}\n  template:\n"
        "    metadata: {labels: {app: bare}}\n"
        "    spec: {containers: [{name: bare, image: 'shop/bare:1.0'}]}\n")
    failed = {c.check_id for c in _checkov(tmp_path).failed_checks}
    assert {"CKV_K8S_8", "CKV_K8S_9", "CKV_K8S_11", "CKV_K8S_13", "CKV_K8S_22",
            "CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_40"} <= failed

