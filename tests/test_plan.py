"""The offline plan: its JSON interface, its summary, its manifests, its speed."""

import json

import pytest
from pulumi.runtime import rpc

from offline.harness import SECRET, plain, read_stack_config
from tests.support.repo import ROOT

RESOURCE_KEYS = {"type", "name", "urn", "parent", "custom", "inputs", "dependencies", "provider",
                 "options"}
OPTION_KEYS = {"protect", "retainOnDelete", "ignoreChanges", "deleteBeforeReplace"}


@pytest.fixture(scope="module")
def prod_json(tmp_path_factory, plans):
    """plan.py's main, in-process, on the session's prod run (the program is the same; CI's
    .ci/run runs plan.py as a process for every stack)."""
    import contextlib
    import io

    import plan

    out = tmp_path_factory.mktemp("plan") / "prod.json"
    manifests = out.parent / "manifests"
    stdout = io.StringIO()
    real, plan.run_program = plan.run_program, lambda stack, **_: plans[stack]
    try:
        with contextlib.redirect_stdout(stdout):
            code = plan.main(["prod", "--json", str(out), "--manifests", str(manifests)])
    finally:
        plan.run_program = real
    assert code == 0
    return json.loads(out.read_text()), stdout.getvalue()


def test_plan_json_has_the_documented_shape(prod_json):
    doc, _ = prod_json
    assert doc["stack"] == "prod"
    assert set(doc) >= {"stack", "resources", "outputs"}
    for resource in doc["resources"]:
        assert set(resource) >= RESOURCE_KEYS
        assert set(resource["options"]) >= OPTION_KEYS
        assert resource["urn"].startswith("urn:pulumi:prod::shipyard::")


def test_plan_json_dependencies_point_at_resources_in_the_plan(prod_json):
    doc, _ = prod_json
    urns = {r["urn"] for r in doc["resources"]}
    for resource in doc["resources"]:
        assert set(resource["dependencies"]) <= urns, resource["name"]
        assert resource["parent"] is None or resource["parent"] in urns or resource[
            "parent"].endswith("::pulumi:pulumi:Stack::shipyard-prod")


def test_the_summary_counts_by_component_and_type_and_shows_outputs(prod_json):
    doc, stdout = prod_json
    assert f"total: {len(doc['resources'])}" in stdout
    assert "network  (" in stdout
    assert "       3  aws:ec2/natGateway:NatGateway" in stdout
    assert "vpcId:" in stdout


def test_secret_values_are_masked_wherever_they_sit():
    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": "hunter2"}
    masked = plain({"a": {"b": [1, secret]}, "c": secret})
    assert masked == {"a": {"b": [1, SECRET]}, "c": SECRET}
    assert "hunter2" not in json.dumps(masked)


def test_secure_config_values_reach_the_program_as_marked_secrets(tmp_path):
    (tmp_path / "Pulumi.s.yaml").write_text(
        "config:\n  shipyard:token:\n    secure: v1:abc\n  shipyard:environment: dev\n")
    config, secret_keys, project = read_stack_config("s", ROOT, stack_dir=tmp_path)
    assert project == "shipyard"
    assert "shipyard:token" in secret_keys and "v1:abc" not in config["shipyard:token"]
    assert config["aws:region"] == "us-east-1"  # from Pulumi.yaml


def test_an_unknown_stack_exits_2_listing_the_stacks(capsys):
    import plan  # the CLI's main, in-process (the prod_json fixture runs it as a process)

    assert plan.main(["nope"]) == 2
    assert "dev, prod, staging" in capsys.readouterr().err


def test_what_cannot_be_checked_offline_is_listed_never_passed(prod_json):
    doc, stdout = prod_json
    reasons = {u["type"]: u["reason"] for u in doc["unchecked"]}
    urns = {r["urn"] for r in doc["resources"]}
    assert all(u["urn"] in urns for u in doc["unchecked"])
    # built-in Kubernetes kinds and AWS resources are not in the list ...
    assert "kubernetes:storage.k8s.io/v1:StorageClass" not in reasons
    assert not [t for t in reasons if t.startswith("aws:")]
    # ... every Helm release and custom resource is, with its reason
    for r in doc["resources"]:
        if r["type"] == "kubernetes:helm.sh/v3:Release":
            assert "rendered by Helm at deploy time" in reasons[r["type"]]
    if doc["unchecked"]:
        assert "unchecked offline" in stdout


def _record(type_, inputs):
    from offline.harness import ResourceRecord
    return ResourceRecord(type=type_, name="x", urn=f"urn:{type_}", parent=None, custom=True,
                          inputs=inputs, dependencies=[], property_dependencies={},
                          provider=None, options={})


def test_unchecked_reasons_name_charts_manifests_and_custom_resources():
    from offline import crd_schemas
    from offline.harness import unchecked_reason
    crd_schemas.require()  # (skipped, with its reason, without the CRD schemas)
    release = _record("kubernetes:helm.sh/v3:Release", {"chart": "istiod", "version": "1.30.3"})
    assert "istiod 1.30.3" in unchecked_reason(release)
    widget = _record("kubernetes:example.com/v1:Widget",
                     {"apiVersion": "example.com/v1", "kind": "Widget"})
    assert "CRD schema is not available offline" in unchecked_reason(widget)
    # a CRD schema checks the fields; its CEL rules stay unchecked, and are said so
    issuer = _record("kubernetes:cert-manager.io/v1:ClusterIssuer",
                     {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer"})
    assert "checked against the CRD schema of cert-manager/cert-manager v1.21.1" in \
        unchecked_reason(issuer)
    assert "1 CEL rules" in unchecked_reason(issuer)
    assert unchecked_reason(_record("kubernetes:yaml/v2:ConfigFile", {})) is not None
    for checked in ("kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Namespace",
                    "aws:eks/cluster:Cluster"):
        assert unchecked_reason(_record(checked, {})) is None


def test_the_plan_carries_cost_and_deploy_time_estimates(prod_json):
    doc, stdout = prod_json
    estimate = doc["estimate"]
    assert estimate["monthly_usd"] == round(sum(i["monthly_usd"] for i in estimate["items"]), 2)
    assert estimate["deploy_minutes"] >= estimate["floor_minutes"] > 0
    urns = {r["urn"] for r in doc["resources"]}
    assert estimate["critical_path"] and set(estimate["critical_path"]) <= urns
    assert estimate["cost_assumptions"] and "deploy_assumptions" in estimate
    assert "estimated monthly cost: $" in stdout and "estimated first deploy:" in stdout


def test_the_summary_names_each_tenants_stores_and_their_backend(prod_json):
    doc, stdout = prod_json
    # code-learn's stores are on the stack's shared ones (stores.placement: shared), but for
    # its Valkey: its catalog does not say its clients prefix their keys
    assert "stores: postgres (shared shipyard-prod-postgresql), rabbitmq (shared " \
           "shipyard-prod-rabbitmq), redis (ValkeyReplicationGroup)" in stdout
    # sre-platform's bucket is its own
    assert "images (ObjectBucket), postgres (shared shipyard-prod-postgresql)" in stdout
    assert "stateful resources" in stdout and " protected" in stdout


def test_against_an_older_plan_flags_the_database_it_would_replace(prod_json, plans, tmp_path,
                                                                   capsys):
    import plan

    doc, _ = prod_json
    old = json.loads(json.dumps(doc))
    rds = next(r for r in old["resources"] if r["type"] == "aws:rds/instance:Instance")
    rds["inputs"]["identifier"] = "an-earlier-name"
    (tmp_path / "old.json").write_text(json.dumps(old))
    real, plan.run_program = plan.run_program, lambda stack, **_: plans[stack]
    try:
        assert plan.main(["prod", "--against", str(tmp_path / "old.json"),
                          "--json", str(tmp_path / "new.json")]) == 0
    finally:
        plan.run_program = real
    out = capsys.readouterr().out
    assert f"DATA AT RISK  aws:rds/instance:Instance {rds['name']}: replaced (identifier " \
           f"changed)" in out
    [risk] = json.loads((tmp_path / "new.json").read_text())["replacements"]
    assert risk["name"] == rds["name"]


def test_the_programs_notes_reach_the_plan_and_its_summary(staging):
    """What the program logs (its settings' notes: why an application's Valkey stays its own,
    which add-ons an existing cluster switches off) is what `pulumi up` prints: the plan keeps
    it, in its JSON and its summary, instead of dropping it as the stock mock engine does."""
    import plan
    from tests.support.settings import stack_settings

    notes = stack_settings("staging").notes
    assert notes      # staging's Valkey stores that stay their own say why
    assert [m["message"] for m in staging.messages] == list(notes)
    assert {m["severity"] for m in staging.messages} == {"info"}
    assert staging.to_json()["messages"] == staging.messages
    text = plan.summary(staging)
    assert f"the program's messages ({len(notes)}):" in text
    assert all(f"info: {note}" in text for note in notes)
