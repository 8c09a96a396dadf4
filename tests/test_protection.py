"""Nothing that holds data can be lost by a config change or a destroy in prod.

Every resource type the stacks create is classified (offline/stateful.py); every stateful one
in prod carries ``protect`` (or ``retainOnDelete``); the storage class keeps volumes; and a
change that would replace a stateful resource is flagged by ``plan.py --against``.
"""

from __future__ import annotations

import copy
import json

import pytest

from offline.harness import Plan
from offline.stateful import (
    DATA_NAMESPACES,
    STATEFUL,
    classified,
    is_stateful,
    kind_of,
    protected,
    renamed,
    replacements,
)
from tests.support.settings import stack_settings


def tenants(stack: str) -> list[str]:
    return [a.name for a in stack_settings(stack).applications]


def test_every_type_the_stacks_create_is_classified_stateful_or_not(stack_plan: Plan) -> None:
    """A new resource type must be put on one side, with its reason, before it lands."""
    unclassified = sorted({kind_of(r) for r in stack_plan.resources
                           if not classified(kind_of(r))})
    assert unclassified == []


def test_every_stateful_resource_in_prod_is_protected(prod: Plan) -> None:
    names = tenants("prod")
    stateful = [r for r in prod.resources if is_stateful(r, names)]
    assert [f"{r.type} {r.name}" for r in stateful if not protected(r)] == []
    # the test looks at the data itself: databases, caches, brokers, buckets, keys, namespaces
    kinds = {kind_of(r) for r in stateful}
    assert {"aws:s3/bucket:Bucket", "aws:kms/key:Key", "kubernetes:core/v1:Namespace"} <= kinds
    managed = {"aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup",
               "aws:mq/broker:Broker", "aws:docdb/cluster:Cluster"}
    assert managed <= kinds, f"missing from prod: {sorted(managed - kinds)}"


def test_dev_leaves_its_data_deletable(dev: Plan) -> None:
    """protect follows shipyard:protect (false in dev): the prod test is not vacuous."""
    names = tenants("dev")
    stateful = [r for r in dev.resources if is_stateful(r, names)]
    assert stateful and not [r for r in stateful if protected(r)]


def test_namespaces_holding_data_are_protected_in_prod(prod: Plan) -> None:
    names = {r.inputs["metadata"]["name"] for r in prod.of_type("kubernetes:core/v1:Namespace")
             if r.options["protect"]}
    assert set(tenants("prod")) <= names
    assert {"monitoring", "logging", "observability"} <= names <= {
        *tenants("prod"), *DATA_NAMESPACES}


def test_volumes_outlive_their_claims(stack_plan: Plan) -> None:
    """A deleted claim (or namespace) leaves its EBS volume behind, to be re-bound."""
    classes = stack_plan.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert classes and all(c.inputs["reclaimPolicy"] == "Retain" for c in classes)
    assert all(c.inputs["parameters"]["encrypted"] == "true" for c in classes)


def _json(plan: Plan) -> list[dict]:
    return json.loads(json.dumps([r.to_json() for r in plan.resources]))


def test_a_changed_database_identifier_or_engine_is_flagged(prod: Plan) -> None:
    old = _json(prod)
    assert replacements(old, old) == []
    new = copy.deepcopy(old)
    [rds] = [r for r in new if r["type"] == "aws:rds/instance:Instance"][:1]
    rds["inputs"]["identifier"] += "-renamed"
    rds["inputs"]["engine"] = "mysql" if rds["inputs"]["engine"] == "postgres" else "postgres"
    resized = next(r for r in new if r["type"] == "aws:rds/instance:Instance" and r is not rds)
    resized["inputs"]["instanceClass"] = "db.r7g.xlarge"       # in place: not flagged
    [risk] = replacements(old, new)
    assert risk["name"] == rds["name"]
    assert "identifier" in risk["change"] and "engine" in risk["change"]


def test_a_store_that_leaves_the_program_is_flagged(prod: Plan) -> None:
    old = _json(prod)
    new = [r for r in old if not (r["type"] == "aws:s3/bucket:Bucket"
                                  and "stores" in r["name"])]
    risks = replacements(old, new)
    assert [r["change"] for r in risks] == ["deleted (gone from the program, or renamed)"]


def test_a_storage_class_that_changes_driver_strands_what_holds_volumes() -> None:
    def record(type_: str, name: str, inputs: dict) -> dict:
        return {"urn": f"urn:{name}", "type": type_, "name": name, "inputs": inputs}

    claims = {"spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}}]}}
    old = [record("kubernetes:storage.k8s.io/v1:StorageClass", "gp3",
                  {"provisioner": "ebs.csi.aws.com"}),
           record("kubernetes:apps/v1:StatefulSet", "db", claims),
           record("kubernetes:apps/v1:Deployment", "web", {}),
           record("kubernetes:helm.sh/v3:Release", "chart",
                  {"values": {"persistence": {"enabled": True, "size": "1Gi"}}})]
    assert replacements(old, old) == []
    new = copy.deepcopy(old)
    new[0]["inputs"]["provisioner"] = "ebs.csi.eks.amazonaws.com"
    risks = replacements(old, new)
    assert [r["name"] for r in risks] == ["db", "chart"]
    assert "provisioned by ebs.csi.aws.com" in risks[0]["change"]
    # a claim holder new in the plan has no volume yet: nothing to strand
    assert [r["name"] for r in replacements(old[:3], new)] == ["db"]


def test_a_resource_renamed_under_an_alias_is_the_same_resource(prod: Plan) -> None:
    """The plan records each resource's aliases as the URNs they name, and a comparison
    matches an old URN to the resource that names it: an aliased rename is an update in
    place, never a deletion (the workload roles renamed from "-irsa-" carry aliases)."""
    roles = [r for r in prod.of_type("aws:iam/role:Role") if r.options.get("aliases")]
    assert roles
    for role in roles:
        assert all(a.startswith("urn:pulumi:prod::shipyard::") and "-irsa-" in a
                   for a in role.options["aliases"])
    old = _json(prod)
    bucket = next(r for r in old if r["type"] == "aws:s3/bucket:Bucket" and "stores" in r["name"])
    new = copy.deepcopy(old)
    moved = next(r for r in new if r["urn"] == bucket["urn"])
    moved["urn"] = bucket["urn"].replace(bucket["name"], bucket["name"] + "-moved")
    moved["name"] += "-moved"
    assert [r["name"] for r in replacements(old, new)] == [bucket["name"]]   # no alias: lost
    moved["options"]["aliases"] = [bucket["urn"]]
    assert renamed(old, new) == {bucket["urn"]: moved["urn"]}
    assert replacements(old, new) == []                                     # aliased: kept
    moved["inputs"]["bucket"] = "another-name"                               # but replaced
    [risk] = replacements(old, new)
    assert risk["change"].startswith("replaced (bucket")


@pytest.mark.parametrize("kind", sorted(STATEFUL))
def test_every_stateful_kind_names_what_replaces_it(kind: str) -> None:
    assert STATEFUL[kind], kind


def test_the_policy_pack_guards_every_stateful_type() -> None:
    """`pulumi preview --policy-pack policies` refuses what this test refuses offline."""
    from shipyard_policies import DATA_STORES
    typed = {k for k in STATEFUL if "[" not in k}
    assert typed - DATA_STORES == set()


def test_what_holds_volumes_is_what_the_estimate_prices_volumes_for(dev: Plan) -> None:
    """One reading of a chart's persistent storage: a release whose values the estimate prices
    volumes for holds claims for the destroy order and a storage-class change, and one it
    prices none for holds none. Dev's Valkey charts ask theirs through ``dataStorage``."""
    from offline.estimates.volumes import chart_volumes
    from offline.stateful import makes_claims

    releases = dev.of_type("kubernetes:helm.sh/v3:Release")
    holding = {r.name for r in releases if makes_claims(r.type, r.inputs)}
    assert holding == {r.name for r in releases if chart_volumes(r.inputs.get("values") or {})}
    valkey = {r.name for r in releases if r.inputs["chart"].endswith("valkey")}
    assert valkey and valkey <= holding
    old = [r.to_json() for r in dev.resources]
    new = copy.deepcopy(old)
    [storage_class] = [r for r in new if r["type"] == "kubernetes:storage.k8s.io/v1:StorageClass"]
    storage_class["inputs"]["provisioner"] = "ebs.csi.eks.amazonaws.com"
    assert valkey <= {r["name"] for r in replacements(old, new)}
