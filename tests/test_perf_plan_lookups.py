"""The plan's lookups built once (offline/harness.py) answer as asking record by record does:
each custom kind's unchecked reason, and each component's descendants in registration order."""

from offline.harness import Plan, ResourceRecord, unchecked_reason


def _record(type_, name, inputs=None, parent=None, custom=True):
    return ResourceRecord(type=type_, name=name, urn=f"urn:{type_}::{name}", parent=parent,
                          custom=custom, inputs=inputs or {}, dependencies=[],
                          property_dependencies={}, provider=None, options={})


def test_each_custom_kind_keeps_its_own_reason():
    # two kinds of one group, one kind at two versions, and the same kind twice: the reason
    # the plan lists for each record is the one asked of that record alone
    records = [
        _record("kubernetes:cert-manager.io/v1:ClusterIssuer", "a",
                {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer"}),
        _record("kubernetes:cert-manager.io/v1:Certificate", "b",
                {"apiVersion": "cert-manager.io/v1", "kind": "Certificate"}),
        _record("kubernetes:example.com/v1:Widget", "c",
                {"apiVersion": "example.com/v1", "kind": "Widget"}),
        _record("kubernetes:example.com/v2:Widget", "d",
                {"apiVersion": "example.com/v2", "kind": "Widget"}),
        _record("kubernetes:example.com/v1:Widget", "e",
                {"apiVersion": "example.com/v1", "kind": "Widget"}),
        _record("kubernetes:helm.sh/v3:Release", "f", {"chart": "istiod", "version": "1.30.3"}),
        _record("kubernetes:apps/v1:Deployment", "g"),
    ]
    plan = Plan(stack="dev", project="shipyard", resources=records, outputs={})
    expected = [{"urn": r.urn, "type": r.type, "reason": unchecked_reason(r)}
                for r in records if unchecked_reason(r) is not None]
    assert plan.unchecked() == expected
    reasons = {u["urn"]: u["reason"] for u in plan.unchecked()}
    assert "example.com/v2 Widget" in reasons[records[3].urn]
    assert "example.com/v1 Widget" in reasons[records[4].urn]
    assert records[6].urn not in reasons


def test_descendants_come_in_registration_order_and_follow_a_changed_list():
    top = _record("shipyard:apps:Tenant", "t", custom=False)
    inner = _record("shipyard:stores:Stores", "s", parent=top.urn, custom=False)
    leaf = _record("aws:s3/bucket:Bucket", "b", parent=inner.urn)
    other = _record("kubernetes:core/v1:Namespace", "n", parent=top.urn)
    plan = Plan(stack="dev", project="shipyard", resources=[other, top, leaf, inner], outputs={})
    assert plan.descendants(top) == [other, leaf, inner]
    assert plan.descendants(leaf) == []
    plan.resources = [top, inner, leaf, other]
    assert plan.descendants(top) == [inner, leaf, other]
