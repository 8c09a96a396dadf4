"""Traces: the OpenTelemetry Collector behind the fixed OTLP endpoint every Deployment and
Istio's proxies send to, exporting to Tempo, which keeps traces for retention_hours in an
encrypted private S3 bucket through IRSA outside dev and on a gp3 volume in dev."""

import json
import math

import pytest

from components.addons import istio
from components.addons.endpoints import (
    COLLECTOR_SERVICE,
    OTLP_GRPC_PORT,
    OTLP_GRPC_URL,
    OTLP_HTTP_PORT,
    TEMPO_QUERY_PORT,
    TEMPO_SERVICE,
    TRACING_NAMESPACE,
)
from components.addons.object_store import access_policy, expiry_days, hours_to_days
from components.addons.tracing import (
    TEMPO_OTLP_ENDPOINT,
    TEMPO_SERVICE_ACCOUNT,
    collector_config,
    collector_values,
    tempo_values,
)
from tests.support.plans import assert_pod_identity, children_of, only
from tests.support.settings import stack_settings

COMPONENT = "shipyard:addons:Tracing"
RELEASE = "kubernetes:helm.sh/v3:Release"
BUCKET = "aws:s3/bucket:Bucket"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                        "seccompProfile": {"type": "RuntimeDefault"}}


def release(plan, name):
    return only([r for r in children_of(plan, COMPONENT, RELEASE) if r.inputs["name"] == name])


def tempo_buckets(plan):
    return [r for r in plan.of_type(BUCKET) if "tempo" in r.name]


# -- the collector ----------------------------------------------------------------------------


def test_the_collector_is_where_istio_and_the_applications_send_spans():
    values = collector_values(highly_available=False)
    assert values["mode"] == "deployment"
    assert values["fullnameOverride"] == COLLECTOR_SERVICE
    # Istio's extension provider and the applications' OTEL_EXPORTER_OTLP_ENDPOINT
    assert istio.OTEL_COLLECTOR == f"{COLLECTOR_SERVICE}.{TRACING_NAMESPACE}.svc.cluster.local"
    assert istio.OTEL_PORT == OTLP_GRPC_PORT
    assert OTLP_GRPC_URL == f"http://{istio.OTEL_COLLECTOR}:{OTLP_GRPC_PORT}"
    ports = values["ports"]
    assert (ports["otlp"]["servicePort"], ports["otlp"]["appProtocol"]) == (OTLP_GRPC_PORT,
                                                                              "grpc")
    assert ports["otlp-http"]["servicePort"] == OTLP_HTTP_PORT
    assert not any(ports[p]["enabled"] for p in ("jaeger-compact", "jaeger-thrift",
                                                  "jaeger-grpc", "zipkin"))


def test_the_collector_limits_memory_first_batches_and_exports_otlp_to_tempo():
    config = collector_config()
    [pipeline] = config["service"]["pipelines"].values()
    assert pipeline["receivers"] == ["otlp"]
    assert pipeline["processors"] == ["memory_limiter", "batch"]
    [exporter] = pipeline["exporters"]
    assert config["exporters"][exporter]["endpoint"] == TEMPO_OTLP_ENDPOINT
    assert TEMPO_OTLP_ENDPOINT == (f"{TEMPO_SERVICE}.{TRACING_NAMESPACE}.svc.cluster.local:"
                                   f"{OTLP_GRPC_PORT}")
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(f":{OTLP_GRPC_PORT}")
    assert protocols["http"]["endpoint"].endswith(f":{OTLP_HTTP_PORT}")
    # the chart refuses a config without the health check its probes use
    assert "health_check" in config["service"]["extensions"]


def test_collector_memory_limit_exists_for_memory_limiter_to_work_from():
    assert collector_values(highly_available=False)["resources"]["limits"]["memory"]


@pytest.mark.parametrize("ha,replicas", [(True, 2), (False, 1)])
def test_the_collector_runs_two_replicas_with_a_disruption_budget_when_ha(ha, replicas):
    values = collector_values(highly_available=ha)
    assert values["replicaCount"] == replicas
    assert values["podDisruptionBudget"]["enabled"] is ha


def test_the_collector_passes_pod_security_restricted():
    values = collector_values(highly_available=True)
    assert values["podSecurityContext"]["runAsNonRoot"] is True
    assert RESTRICTED_CONTAINER.items() <= values["securityContext"].items()


# -- Tempo ------------------------------------------------------------------------------------


def test_tempo_serves_queries_on_the_fixed_service_and_port():
    values = tempo_values(retention_hours=24, storage="filesystem")
    assert values["fullnameOverride"] == TEMPO_SERVICE
    assert values["tempo"]["server"]["http_listen_port"] == TEMPO_QUERY_PORT
    protocols = values["tempo"]["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == f"0.0.0.0:{OTLP_GRPC_PORT}"


@pytest.mark.parametrize("hours", [24, 72, 168])
def test_tempo_keeps_traces_for_retention_hours(hours):
    assert tempo_values(retention_hours=hours, storage="filesystem")["tempo"]["retention"] == (
        f"{hours}h")


def test_filesystem_tempo_keeps_traces_on_its_gp3_volume():
    values = tempo_values(retention_hours=24, storage="filesystem")
    assert values["tempo"]["storage"]["trace"]["backend"] == "local"
    assert values["persistence"]["enabled"] is True
    assert values["persistence"]["storageClassName"] == "gp3"
    assert "annotations" not in values["serviceAccount"]


def test_s3_tempo_names_its_bucket_and_irsa_role():
    values = tempo_values(retention_hours=168, storage="s3", bucket="b", region="us-west-2",
                          annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/t"})
    trace = values["tempo"]["storage"]["trace"]
    assert trace["backend"] == "s3"
    assert trace["s3"] == {"bucket": "b", "region": "us-west-2",
                           "endpoint": "s3.us-west-2.amazonaws.com"}
    assert values["serviceAccount"] == {
        "create": True, "name": TEMPO_SERVICE_ACCOUNT,
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/t"}}


def test_tempo_passes_pod_security_restricted():
    values = tempo_values(retention_hours=24, storage="filesystem")
    assert values["securityContext"]["runAsNonRoot"] is True
    assert values["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert RESTRICTED_CONTAINER.items() <= values["tempo"]["securityContext"].items()


def test_tempos_role_may_also_tag_its_objects():
    actions = {a for s in json.loads(access_policy("arn:aws:s3:::t", tagging=True))[
        "Statement"] for a in s["Action"]}
    assert {"s3:GetObjectTagging", "s3:PutObjectTagging"} <= actions


@pytest.mark.parametrize("hours,days", [(1, 1), (24, 1), (25, 2), (168, 7)])
def test_hours_round_up_to_whole_days(hours, days):
    assert hours_to_days(hours) == days


# -- the plans --------------------------------------------------------------------------------


def test_every_stack_runs_the_collector_at_the_fixed_endpoint(stack_plan):
    collector = release(stack_plan, "opentelemetry-collector")
    assert collector.inputs["namespace"] == TRACING_NAMESPACE
    values = collector.inputs["values"]
    assert values["fullnameOverride"] == COLLECTOR_SERVICE
    assert values["ports"]["otlp"]["servicePort"] == OTLP_GRPC_PORT
    assert values["ports"]["otlp-http"]["servicePort"] == OTLP_HTTP_PORT
    ha = stack_settings(stack_plan.stack).addons.tracing.high_availability
    assert values["replicaCount"] == (2 if ha else 1)


def test_tracing_namespace_enforces_restricted(stack_plan):
    ns = only(children_of(stack_plan, COMPONENT, "kubernetes:core/v1:Namespace"))
    assert ns.inputs["metadata"]["name"] == TRACING_NAMESPACE
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_dev_keeps_traces_on_a_volume_without_a_bucket_or_role(dev):
    assert tempo_buckets(dev) == []
    assert not [r for r in dev.of_type(ROLE) if "tempo" in r.name]
    values = release(dev, "tempo").inputs["values"]
    assert values["tempo"]["storage"]["trace"]["backend"] == "local"
    assert values["tempo"]["retention"] == (
        f"{stack_settings('dev').addons.tracing.retention_hours}h")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_keep_traces_in_a_bucket_tempo_reaches_with_its_role(plans, stack):
    plan = plans[stack]
    settings = stack_settings(stack)
    bucket = only(tempo_buckets(plan))
    assert bucket.options["protect"] is settings.config.protect
    role = only([r for r in plan.of_type(ROLE) if "tempo" in r.name])
    association = assert_pod_identity(plan, role, TRACING_NAMESPACE, TEMPO_SERVICE_ACCOUNT)
    policy = only([r for r in plan.of_type(ROLE_POLICY) if "tempo" in r.name])
    arn = bucket.outputs["arn"]
    assert {s["Resource"] for s in json.loads(policy.inputs["policy"])["Statement"]} == {
        arn, f"{arn}/*"}
    tempo = release(plan, "tempo")
    values = tempo.inputs["values"]
    assert values["tempo"]["storage"]["trace"]["s3"]["bucket"] == bucket.id
    assert "annotations" not in values["serviceAccount"]   # Pod Identity
    assert {policy.urn, association.urn} <= set(tempo.dependencies)
    lifecycle = only([r for r in plan.of_type(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        if "tempo" in r.name])
    [rule] = lifecycle.inputs["rules"]
    hours = settings.addons.tracing.retention_hours
    assert rule["expiration"]["days"] == expiry_days(math.ceil(hours / 24))
