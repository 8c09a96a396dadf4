"""Logs: Loki (Monolithic, TSDB v13, retention by the compactor) on an encrypted private S3
bucket through IRSA outside dev and on a gp3 volume in dev, and Grafana Alloy tailing every pod
through the Kubernetes API so the namespace stays Pod Security ``restricted``."""

import json

import pytest

from components.addons.endpoints import LOGGING_NAMESPACE, LOKI_PORT, LOKI_SERVICE, LOKI_URL
from components.addons.logging import (
    LOKI_SERVICE_ACCOUNT,
    alloy_config,
    alloy_values,
    loki_values,
)
from components.addons.object_store import (
    BUCKET_PREFIX_MAX,
    access_policy,
    bucket_prefix,
    expiry_days,
    tls_only_policy,
)
from tests.support.plans import assert_pod_identity, children_of, only
from tests.support.settings import stack_settings

COMPONENT = "shipyard:addons:Logging"
RELEASE = "kubernetes:helm.sh/v3:Release"
BUCKET = "aws:s3/bucket:Bucket"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_ARN = "arn:aws:s3:::shipyard-prod-loki-abc"


def release(plan, name):
    return only([r for r in children_of(plan, COMPONENT, RELEASE) if r.inputs["name"] == name])


def loki_buckets(plan):
    return [r for r in plan.of_type(BUCKET) if "loki" in r.name]


# -- Loki's values ----------------------------------------------------------------------------


def test_filesystem_loki_is_one_monolithic_replica_on_a_gp3_volume():
    values = loki_values(retention_days=3, storage="filesystem", highly_available=True)
    assert values["deploymentMode"] == "Monolithic"
    # the chart refuses more than one replica without object storage
    assert values["singleBinary"]["replicas"] == 1
    assert values["loki"]["commonConfig"]["replication_factor"] == 1
    assert values["singleBinary"]["persistence"]["enabled"] is True
    assert values["singleBinary"]["persistence"]["storageClass"] == "gp3"
    assert values["loki"]["storage"] == {"type": "filesystem"}
    assert {r["replicas"] for r in (values["read"], values["write"], values["backend"])} == {0}


def test_loki_serves_the_fixed_service_name_and_port():
    values = loki_values(retention_days=3, storage="filesystem", highly_available=False)
    assert values["fullnameOverride"] == LOKI_SERVICE
    assert values["loki"]["server"]["http_listen_port"] == LOKI_PORT
    assert LOKI_URL == f"http://{LOKI_SERVICE}.{LOGGING_NAMESPACE}.svc.cluster.local:{LOKI_PORT}"


@pytest.mark.parametrize("days", [1, 14, 30])
def test_retention_is_the_compactors_over_a_tsdb_v13_schema(days):
    loki = loki_values(retention_days=days, storage="filesystem",
                       highly_available=False)["loki"]
    assert loki["limits_config"]["retention_period"] == f"{days * 24}h"
    assert loki["compactor"]["retention_enabled"] is True
    assert loki["compactor"]["delete_request_store"] == "filesystem"
    [schema] = loki["schemaConfig"]["configs"]
    assert (schema["store"], schema["schema"], schema["object_store"]) == (
        "tsdb", "v13", "filesystem")


def test_loki_runs_without_canary_test_gateway_or_memcached():
    values = loki_values(retention_days=3, storage="filesystem", highly_available=False)
    for key in ("lokiCanary", "test", "gateway", "chunksCache", "resultsCache", "minio"):
        assert values[key]["enabled"] is False, key
    assert values["loki"]["auth_enabled"] is False


def test_s3_loki_names_its_bucket_region_and_irsa_role():
    values = loki_values(retention_days=14, storage="s3", highly_available=False,
                         bucket="b", region="eu-west-1",
                         annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/r"})
    storage = values["loki"]["storage"]
    assert storage["type"] == "s3"
    assert storage["bucketNames"] == {"chunks": "b", "ruler": "b"}
    assert storage["s3"] == {"region": "eu-west-1"}         # no keys: the role's
    assert values["serviceAccount"] == {
        "create": True, "name": LOKI_SERVICE_ACCOUNT,
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/r"}}
    assert values["loki"]["compactor"]["delete_request_store"] == "s3"
    assert values["loki"]["schemaConfig"]["configs"][0]["object_store"] == "s3"
    assert values["singleBinary"]["replicas"] == 1


def test_highly_available_s3_loki_replicates_writes_over_three_replicas():
    values = loki_values(retention_days=14, storage="s3", highly_available=True,
                         bucket="b", region="us-east-1")
    assert values["singleBinary"]["replicas"] == 3
    assert values["loki"]["commonConfig"]["replication_factor"] == 3


def test_s3_loki_without_a_bucket_is_refused():
    with pytest.raises(ValueError, match="bucket"):
        loki_values(retention_days=14, storage="s3", highly_available=False)


# -- Alloy ------------------------------------------------------------------------------------


def test_alloy_tails_pods_through_the_api_and_pushes_to_loki():
    config = alloy_config()
    assert 'discovery.kubernetes "pods"' in config
    assert 'loki.source.kubernetes "pods"' in config
    assert "local.file_match" not in config and "loki.source.file" not in config
    assert f'url = "{LOKI_URL}/loki/api/v1/push"' in config
    # each DaemonSet pod reads only its own node's pods
    assert 'field = "spec.nodeName=" + sys.env("K8S_NODE_NAME")' in config


def test_alloy_passes_pod_security_restricted():
    values = alloy_values()
    assert values["controller"]["type"] == "daemonset"
    assert values["controller"]["hostNetwork"] is False and values["controller"]["hostPID"] is False
    assert values["alloy"]["mounts"] == {"varlog": False, "dockercontainers": False}
    container = values["alloy"]["securityContext"]
    assert container["runAsNonRoot"] is True and container["runAsUser"] != 0
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert container["seccompProfile"] == {"type": "RuntimeDefault"}
    assert values["global"]["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}


def test_alloy_may_read_pods_and_their_logs_but_no_secrets():
    rbac = alloy_values()["rbac"]
    resources = {res for rule in rbac["rules"] + rbac["clusterRules"]
                 for res in rule.get("resources", [])}
    assert resources == {"pods", "pods/log", "namespaces"}
    verbs = {v for rule in rbac["rules"] for v in rule["verbs"]}
    assert verbs == {"get", "list", "watch"}


# -- the bucket's policies --------------------------------------------------------------------


def test_the_role_policy_names_only_the_bucket_and_its_objects():
    statements = json.loads(access_policy(BUCKET_ARN))["Statement"]
    resources = {s["Resource"] for s in statements}
    assert resources == {BUCKET_ARN, f"{BUCKET_ARN}/*"}
    actions = {a for s in statements for a in s["Action"]}
    assert actions == {"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    assert all(s["Effect"] == "Allow" for s in statements)


def test_the_bucket_refuses_requests_without_tls():
    [statement] = json.loads(tls_only_policy(BUCKET_ARN))["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(statement["Resource"]) == {BUCKET_ARN, f"{BUCKET_ARN}/*"}


def test_objects_expire_a_day_after_retention_and_bucket_names_fit_s3():
    assert expiry_days(14) == 15
    prefix = bucket_prefix("Shipyard-A-Very-Long-Cluster-Name-For-Production", "loki")
    assert len(prefix) <= BUCKET_PREFIX_MAX and prefix == prefix.lower()
    assert prefix.endswith("-loki-")


# -- the plans --------------------------------------------------------------------------------


def test_dev_keeps_logs_on_a_volume_without_a_bucket_or_role(dev):
    assert loki_buckets(dev) == []
    assert not [r for r in dev.of_type(ROLE) if "loki" in r.name]
    values = release(dev, "loki").inputs["values"]
    assert values["loki"]["storage"]["type"] == "filesystem"
    assert values["loki"]["limits_config"]["retention_period"] == (
        f"{stack_settings('dev').addons.logging.retention_days * 24}h")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_keep_logs_in_a_protected_bucket_loki_reaches_with_its_role(
        plans, stack):
    plan = plans[stack]
    bucket = only(loki_buckets(plan))
    # protected as the stack says (prod: pulumi destroy stops at it)
    assert bucket.options["protect"] is stack_settings(stack).config.protect
    assert bucket.options["protect"] is (stack == "prod")
    role = only([r for r in plan.of_type(ROLE) if "loki" in r.name])
    association = assert_pod_identity(plan, role, LOGGING_NAMESPACE, LOKI_SERVICE_ACCOUNT)
    policy = only([r for r in plan.of_type(ROLE_POLICY) if "loki" in r.name])
    arn = bucket.outputs["arn"]
    assert {s["Resource"] for s in json.loads(policy.inputs["policy"])["Statement"]} == {
        arn, f"{arn}/*"}
    loki = release(plan, "loki")
    values = loki.inputs["values"]
    assert values["loki"]["storage"]["bucketNames"]["chunks"] == bucket.id
    assert "annotations" not in values["serviceAccount"]   # Pod Identity
    # Loki starts only once it may use the bucket, with its credentials
    assert {policy.urn, association.urn} <= set(loki.dependencies)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_bucket_expires_objects_a_day_after_retention(plans, stack):
    lifecycle = only([r for r in plans[stack].of_type(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        if "loki" in r.name])
    [rule] = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["expiration"]["days"] == stack_settings(stack).addons.logging.retention_days + 1


def test_logging_namespace_enforces_restricted_and_holds_loki_and_alloy(stack_plan):
    ns = only([r for r in children_of(stack_plan, COMPONENT, "kubernetes:core/v1:Namespace")])
    assert ns.inputs["metadata"]["name"] == LOGGING_NAMESPACE
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for name in ("loki", "alloy"):
        assert release(stack_plan, name).inputs["namespace"] == LOGGING_NAMESPACE


def test_alloys_cluster_role_is_never_an_empty_list():
    """The alloy chart renders an empty clusterRules as invalid YAML (the release would fail):
    shipyard gives it one harmless rule instead of the chart's broad defaults."""
    rules = alloy_values()["rbac"]["clusterRules"]
    assert rules == [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]
