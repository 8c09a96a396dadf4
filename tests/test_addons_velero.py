"""Backups: Velero every 6 hours over exactly the tenants' namespaces (their volumes as CSI
snapshots), kept 30 days, in a versioned, KMS-encrypted, TLS-only bucket reached through an
IRSA role scoped to it; the namespace stays Pod Security ``restricted``."""

import json
from pathlib import Path

import pytest

from components.addons.velero import (
    EC2_ACTIONS,
    KMS_ACTIONS,
    MARGIN_DAYS,
    NAMESPACE,
    NONCURRENT_DAYS,
    OBJECT_ACTIONS,
    SCHEDULE,
    SCHEDULE_NAME,
    SERVICE_ACCOUNT,
    access_policy,
    alert_rules,
    backup_ttl,
    bucket_expiry_days,
    prometheus_rule,
    service_monitor,
    velero_values,
)
from offline.crd_schemas import validate
from shipyard.versions import CHARTS, VELERO_AWS_PLUGIN_IMAGE
from tests.support.plans import assert_pod_identity, children_of, only
from tests.support.settings import stack_settings

COMPONENT = "shipyard:addons:Velero"
RELEASE = "kubernetes:helm.sh/v3:Release"
BUCKET_ARN = "arn:aws:s3:::shipyard-prod-velero-abc"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd"
TENANTS = ("sre-platform", "code-learn", "learning-platform")
ADDON = "aws:eks/addon:Addon"
SNAPSHOT_CLASS = "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass"


def values(**overrides):
    kwargs = {"bucket": "b", "region": "us-east-1",
              "namespaces": TENANTS, "schedule": "0 */6 * * *", "retention_days": 30,
              **overrides}
    return velero_values(**kwargs)


def child(plan, type_):
    return children_of(plan, COMPONENT, type_)


def velero_record(plan, type_, suffix):
    return only([r for r in plan.of_type(type_) if r.name.endswith(suffix)
                 and "velero" in r.name])


# -- pure: the chart's values ---------------------------------------------------------------


@pytest.mark.parametrize(("days", "ttl"), [(30, "720h0m0s"), (1, "24h0m0s"), (7, "168h0m0s")])
def test_the_ttl_is_the_retention_in_hours(days, ttl):
    assert backup_ttl(days) == ttl


def test_a_retention_under_a_day_is_refused():
    with pytest.raises(ValueError, match="retentionDays"):
        backup_ttl(0)


def test_the_schedule_covers_exactly_the_tenants_with_their_volumes():
    [(name, schedule)] = values()["schedules"].items()
    assert name == SCHEDULE and schedule["schedule"] == "0 */6 * * *"
    template = schedule["template"]
    assert template["includedNamespaces"] == sorted(TENANTS)
    assert template["ttl"] == "720h0m0s"
    assert template["snapshotVolumes"] is True
    assert template["storageLocation"] == "default"


def test_no_tenant_means_no_schedule_never_an_empty_namespace_list():
    """An empty includedNamespaces is Velero's "every namespace"."""
    assert "schedules" not in values(namespaces=())


def test_credentials_come_from_its_role_not_a_secret():
    v = values()
    assert v["credentials"] == {"useSecret": False}
    account = v["serviceAccount"]["server"]
    assert account == {"create": True, "name": SERVICE_ACCOUNT}    # Pod Identity
    irsa = values(annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/velero"})
    assert irsa["serviceAccount"]["server"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/velero"}


def test_the_aws_plugin_is_the_pinned_init_container_for_velero_1_18():
    [init] = values()["initContainers"]
    assert init["image"] == VELERO_AWS_PLUGIN_IMAGE
    assert VELERO_AWS_PLUGIN_IMAGE.rsplit(":", 1)[1].startswith("v1.14.")
    assert init["volumeMounts"] == [{"mountPath": "/target", "name": "plugins"}]
    assert CHARTS["velero"].version == "12.1.0"
    assert CHARTS["velero"].repo == "https://vmware-tanzu.github.io/helm-charts"


def test_locations_csi_snapshots_and_no_node_agent():
    v = values(bucket="the-bucket", region="eu-west-1")
    config = v["configuration"]
    [bsl] = config["backupStorageLocation"]
    assert (bsl["provider"], bsl["bucket"], bsl["default"]) == ("aws", "the-bucket", True)
    assert bsl["config"] == {"region": "eu-west-1"}
    [vsl] = config["volumeSnapshotLocation"]
    assert (vsl["provider"], vsl["config"]) == ("aws", {"region": "eu-west-1"})
    assert config["features"] == "EnableCSI"
    assert config["defaultVolumesToFsBackup"] is False
    assert v["deployNodeAgent"] is False


def test_every_container_meets_pod_security_restricted():
    v = values()
    pod = v["podSecurityContext"]
    assert pod["runAsNonRoot"] is True and pod["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in (v["containerSecurityContext"], v["initContainers"][0]["securityContext"]):
        assert container["allowPrivilegeEscalation"] is False
        assert container["capabilities"] == {"drop": ["ALL"]}
        assert container["runAsNonRoot"] is True
        assert container["readOnlyRootFilesystem"] is True
    # the CRD job runs with the server's security context: it gets a writable /tmp
    assert v["upgradeCRDsJob"]["extraVolumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert v["resources"]["requests"] and v["resources"]["limits"]["memory"]


# -- pure: the bucket's lifecycle and the role's policy -------------------------------------


def test_the_bucket_expires_what_velero_missed_a_week_after_the_retention():
    assert bucket_expiry_days(30) == 30 + MARGIN_DAYS == 37


def test_the_role_reaches_only_this_bucket_and_its_key():
    statements = json.loads(access_policy(BUCKET_ARN, KEY_ARN, "eu-west-1"))["Statement"]
    by_resource = {json.dumps(s["Resource"]): set(s["Action"]) for s in statements}
    assert by_resource[json.dumps(f"{BUCKET_ARN}/*")] == set(OBJECT_ACTIONS)
    assert by_resource[json.dumps(BUCKET_ARN)] == {"s3:ListBucket"}
    assert by_resource[json.dumps(KEY_ARN)] == set(KMS_ACTIONS)
    # the plugin's EBS snapshot actions: its writes on the region's snapshots and volumes,
    # only the Describe calls (which AWS scopes to no resource) on "*"
    assert by_resource[json.dumps("*")] == {"ec2:DescribeVolumes", "ec2:DescribeSnapshots"}
    assert by_resource[json.dumps(["arn:aws:ec2:eu-west-1::snapshot/*",
                                   "arn:aws:ec2:eu-west-1:*:volume/*"])] == \
        set(EC2_ACTIONS) - by_resource[json.dumps("*")]
    every = {a for s in statements for a in s["Action"]}
    assert not any(a.endswith("*") for a in every)
    assert all(a.startswith("ec2:") for s in statements if s["Resource"] == "*"
               for a in s["Action"])


# -- pure: monitoring -------------------------------------------------------------------------


def test_two_alerts_on_the_schedule_each_with_its_runbook():
    rules = alert_rules(runbook_base="https://example.com/runbooks.md")
    assert [r["alert"] for r in rules] == ["VeleroBackupFailed", "VeleroBackupMissing"]
    for rule in rules:
        assert f'schedule="{SCHEDULE_NAME}"' in rule["expr"]
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert rule["annotations"]["runbook_url"] == \
            f"https://example.com/runbooks.md#runbook-{rule['alert'].lower()}"
    assert "> 43200" in rules[1]["expr"]        # 12 hours without a successful backup


def test_the_monitor_and_rule_validate_against_the_prometheus_operator_crds():
    for manifest in (service_monitor(), prometheus_rule()):
        validate(manifest)
    assert service_monitor()["spec"]["endpoints"][0]["port"] == "http-monitoring"


def test_every_velero_alert_has_its_runbook_in_the_runbooks_page():
    runbooks = (Path(__file__).resolve().parent.parent / "docs" / "runbooks.md").read_text()
    headings = {line.removeprefix("### Runbook: ").strip()
                for line in runbooks.splitlines() if line.startswith("### Runbook: ")}
    assert {r["alert"] for r in alert_rules()} <= headings
    assert all(r["annotations"]["runbook_url"] == f"docs/runbooks.md#runbook-{r['alert'].lower()}"
               for r in alert_rules())                  # the default base


# -- the plans --------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_release_backs_up_the_tenants_every_six_hours_for_thirty_days(plans, stack):
    plan = plans[stack]
    settings = stack_settings(stack)
    release = only(child(plan, RELEASE))
    chart = CHARTS["velero"]
    assert (release.inputs["chart"], release.inputs["version"]) == (chart.chart, chart.version)
    assert release.inputs["namespace"] == NAMESPACE
    schedule = release.inputs["values"]["schedules"][SCHEDULE]
    assert schedule["schedule"] == "0 */6 * * *" == settings.config.backups.schedule
    assert schedule["template"]["includedNamespaces"] == sorted(
        app.name for app in settings.applications)
    assert schedule["template"]["ttl"] == "720h0m0s"
    assert schedule["template"]["snapshotVolumes"] is True


def test_the_namespace_is_pod_security_restricted(prod):
    ns = only(child(prod, "kubernetes:core/v1:Namespace"))
    assert ns.inputs["metadata"]["name"] == NAMESPACE
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert ns.options["protect"] is True


def test_velero_starts_once_its_role_may_use_the_bucket(prod):
    release = only(child(prod, RELEASE))
    policy = velero_record(prod, "aws:iam/rolePolicy:RolePolicy", "-velero-policy")
    role = velero_record(prod, "aws:iam/role:Role", "-velero-role")
    association = assert_pod_identity(prod, role, NAMESPACE, SERVICE_ACCOUNT)
    assert {policy.urn, association.urn} <= set(release.dependencies)
    assert "annotations" not in release.inputs["values"]["serviceAccount"]["server"]


def test_the_role_policy_is_scoped_to_the_backup_bucket(prod):
    bucket = velero_record(prod, "aws:s3/bucket:Bucket", "-backups-bucket")
    key = velero_record(prod, "aws:kms/key:Key", "-key")
    policy = velero_record(prod, "aws:iam/rolePolicy:RolePolicy", "-velero-policy")
    assert json.loads(policy.inputs["policy"]) == json.loads(
        access_policy(bucket.outputs["arn"], key.outputs["arn"], "us-east-1"))


def test_the_bucket_is_versioned_kms_encrypted_expiring_and_protected_in_prod(prod):
    bucket = velero_record(prod, "aws:s3/bucket:Bucket", "-backups-bucket")
    key = velero_record(prod, "aws:kms/key:Key", "-key")
    assert bucket.options["protect"] is True and key.options["protect"] is True
    assert key.inputs["enableKeyRotation"] is True
    versioning = velero_record(prod, "aws:s3/bucketVersioning:BucketVersioning", "-versioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    encryption = velero_record(
        prod, "aws:s3/bucketServerSideEncryptionConfiguration:"
              "BucketServerSideEncryptionConfiguration", "-encryption")
    [rule] = encryption.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.outputs["arn"]}
    assert rule["bucketKeyEnabled"] is True
    lifecycle = velero_record(
        prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "-lifecycle")
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    retention = stack_settings("prod").config.backups.retention_days
    assert rules["expire-after-retention"]["expiration"]["days"] == retention + MARGIN_DAYS
    assert rules["expire-after-retention"]["noncurrentVersionExpiration"][
        "noncurrentDays"] == NONCURRENT_DAYS
    assert rules["remove-expired-delete-markers"]["expiration"][
        "expiredObjectDeleteMarker"] is True
    # the noncurrent rule is written once the bucket is versioned
    assert versioning.urn in lifecycle.dependencies
    public = velero_record(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                           "-public-access")
    assert all(public.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy",
                                          "ignorePublicAcls", "restrictPublicBuckets"))
    tls = velero_record(prod, "aws:s3/bucketPolicy:BucketPolicy", "-tls-only")
    [deny] = json.loads(tls.inputs["policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}}


def test_the_bucket_is_not_protected_in_dev(dev):
    assert stack_settings("dev").config.protect is False
    assert velero_record(dev, "aws:s3/bucket:Bucket", "-backups-bucket").options[
        "protect"] is False


def test_metrics_and_alerts_wait_for_the_monitoring_crds(prod):
    crds = only([r for r in prod.of_type(RELEASE)
                 if r.inputs["chart"] == CHARTS["kube-prometheus-stack"].chart])
    for type_ in ("kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
                  "kubernetes:monitoring.coreos.com/v1:PrometheusRule"):
        found = only(child(prod, type_))
        assert crds.urn in found.dependencies
        assert found.inputs["metadata"]["namespace"] == NAMESPACE


def test_volumes_are_snapshotted_through_the_ebs_csi_driver(stack_plan):
    controller = only([a for a in stack_plan.of_type(ADDON)
                       if a.inputs["addonName"] == "snapshot-controller"])
    snapshot_class = only(stack_plan.of_type(SNAPSHOT_CLASS))
    assert snapshot_class.inputs["driver"] == "ebs.csi.aws.com"
    assert snapshot_class.inputs["metadata"]["labels"] == {
        "velero.io/csi-volumesnapshot-class": "true"}
    assert snapshot_class.inputs["deletionPolicy"] == "Retain"
    assert controller.urn in snapshot_class.dependencies
    validate({k: snapshot_class.inputs[k] for k in
              ("apiVersion", "kind", "metadata", "driver", "deletionPolicy")})
    ebs = only([a for a in stack_plan.of_type(ADDON)
                if a.inputs["addonName"] == "aws-ebs-csi-driver"])
    assert controller.urn in ebs.dependencies
    assert json.loads(ebs.inputs["configurationValues"]) == {
        "sidecars": {"snapshotter": {"forceEnable": True}}}
