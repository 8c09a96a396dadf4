"""Istio: a sidecar mesh with the CNI agent, mTLS and tracing per environment, mesh-wide policy
created once its CRDs exist."""

import json

import pytest

from components.addons.istio import (
    INJECTION_LABEL,
    OTEL_COLLECTOR,
    OTEL_PORT,
    OTEL_PROVIDER,
    istiod_values,
    mesh_config,
    telemetry_spec,
)
from shipyard.config.base import SettingsError
from shipyard.config.load import parse_settings
from shipyard.versions import CHARTS, GATEWAY_API_CRDS
from tests.support.plans import run_platform

RELEASE = "kubernetes:helm.sh/v3:Release"
PEER_AUTHENTICATION = "kubernetes:security.istio.io/v1:PeerAuthentication"
TELEMETRY = "kubernetes:telemetry.istio.io/v1:Telemetry"
NAMESPACE = "kubernetes:core/v1:Namespace"
ADDONS = {"certManager": {"acmeEmail": "ops@example.com"}}


def release(plan, name):
    (found,) = [r for r in plan.of_type(RELEASE) if r.inputs["name"] == name]
    return found


def peer_authentication(plan):
    (found,) = [r for r in plan.of_type(PEER_AUTHENTICATION)
               if r.inputs["metadata"]["namespace"] == "istio-system"]
    return found


def telemetry(plan):
    (found,) = plan.of_type(TELEMETRY)
    return found


# -- pure values ----------------------------------------------------------------------------


def test_istiod_injects_sidecars_for_the_cni_agent_not_istio_init():
    # the istiod chart takes `cni` at the top level and hands it to the injector as pilot.cni
    assert istiod_values(access_logs=True, highly_available=True)["cni"] == {"enabled": True}


def test_every_container_istio_creates_passes_pod_security_restricted():
    values = istiod_values(access_logs=True, highly_available=False)
    runtime_default = {"type": "RuntimeDefault"}
    assert values["seccompProfile"] == runtime_default                      # istiod
    assert values["global"]["proxy"]["seccompProfile"] == runtime_default   # sidecars
    assert values["gateways"]["seccompProfile"] == runtime_default          # gateways


def test_the_otel_collector_is_a_mesh_extension_provider():
    mesh = mesh_config(access_logs=False)
    assert mesh["enableTracing"] is True
    assert {"name": OTEL_PROVIDER,
            "opentelemetry": {"service": OTEL_COLLECTOR, "port": OTEL_PORT}} in \
        mesh["extensionProviders"]
    assert OTEL_COLLECTOR == "opentelemetry-collector.observability.svc.cluster.local"
    assert OTEL_PORT == 4317


def test_access_logs_follow_the_setting():
    assert mesh_config(access_logs=True)["accessLogFile"] == "/dev/stdout"
    assert "accessLogFile" not in mesh_config(access_logs=False)
    assert telemetry_spec(trace_sampling=1.0, access_logs=True)["accessLogging"] == [
        {"providers": [{"name": "envoy"}]}]
    assert "accessLogging" not in telemetry_spec(trace_sampling=1.0, access_logs=False)


@pytest.mark.parametrize("highly_available,replicas", [(False, 1), (True, 2)])
def test_istiod_runs_two_replicas_behind_a_pdb_when_highly_available(highly_available,
                                                                       replicas):
    values = istiod_values(access_logs=True, highly_available=highly_available)
    assert values["autoscaleMin"] == replicas
    # the chart renders its PDB only when this is on and autoscaleMin > 1
    assert values["global"]["defaultPodDisruptionBudget"]["enabled"] is highly_available
    assert values["pdb"] == {"minAvailable": 1}
    assert values["resources"]["requests"]


def test_applications_label_namespaces_with_the_injection_label():
    assert INJECTION_LABEL == {"istio-injection": "enabled"}


# -- the plan -------------------------------------------------------------------------------


@pytest.mark.parametrize("stack,mode", [("dev", "PERMISSIVE"), ("staging", "STRICT"),
                                        ("prod", "STRICT")])
def test_mtls_is_permissive_only_in_dev(plans, stack, mode):
    pa = peer_authentication(plans[stack])
    assert pa.inputs["metadata"] == {"name": "default", "namespace": "istio-system"}
    assert pa.inputs["spec"] == {"mtls": {"mode": mode}}


@pytest.mark.parametrize("stack,percent", [("dev", 100), ("staging", 10), ("prod", 1)])
def test_trace_sampling_per_environment_goes_to_the_otel_provider(plans, stack, percent):
    t = telemetry(plans[stack])
    assert t.inputs["metadata"] == {"name": "mesh-default", "namespace": "istio-system"}
    assert t.inputs["spec"]["tracing"] == [{"providers": [{"name": OTEL_PROVIDER}],
                                            "randomSamplingPercentage": percent}]
    assert t.inputs["spec"]["accessLogging"] == [{"providers": [{"name": "envoy"}]}]


def test_mesh_policy_waits_for_the_crds_from_base_and_nothing_else(stack_plan):
    base = release(stack_plan, "istio-base")
    for resource in (peer_authentication(stack_plan), telemetry(stack_plan)):
        assert resource.dependencies == [base.urn]


def test_istiod_waits_for_base_and_the_cni_agent(stack_plan):
    istiod = release(stack_plan, "istiod")
    assert release(stack_plan, "istio-base").urn in istiod.dependencies
    assert release(stack_plan, "istio-cni").urn in istiod.dependencies


def test_istiod_waits_for_the_gateway_api_crds(stack_plan):
    crds = [r for r in stack_plan.resources if r.inputs.get("file") == GATEWAY_API_CRDS]
    if not crds:
        pytest.skip("the Gateway API add-on is not in this plan")
    assert {r.urn for r in crds} <= set(release(stack_plan, "istiod").dependencies)


def test_istiod_values_in_the_plan(stack_plan):
    values = release(stack_plan, "istiod").inputs["values"]
    assert values["cni"] == {"enabled": True}
    mesh = values["meshConfig"]
    assert mesh["accessLogFile"] == "/dev/stdout"
    assert [p["name"] for p in mesh["extensionProviders"]] == [OTEL_PROVIDER]


@pytest.mark.parametrize("stack,replicas,pdb", [("dev", 1, False), ("staging", 2, True),
                                                ("prod", 2, True)])
def test_istiod_is_highly_available_outside_dev(plans, stack, replicas, pdb):
    values = release(plans[stack], "istiod").inputs["values"]
    assert values["autoscaleMin"] == replicas
    assert values["global"]["defaultPodDisruptionBudget"]["enabled"] is pdb


def test_releases_are_pinned_and_in_their_namespaces(stack_plan):
    for chart_key, name, namespace in [("istio-base", "istio-base", "istio-system"),
                                       ("istio-cni", "istio-cni", "kube-system"),
                                       ("istiod", "istiod", "istio-system")]:
        r = release(stack_plan, name)
        chart = CHARTS[chart_key]
        assert (r.inputs["chart"], r.inputs["version"], r.inputs["repositoryOpts"]["repo"]) == \
            (chart.chart, chart.version, chart.repo)
        assert r.inputs["namespace"] == namespace
    assert release(stack_plan, "istio-base").inputs["values"] == {"defaultRevision": "default"}
    assert release(stack_plan, "istio-cni").inputs["values"]["ambient"] == {"enabled": False}


def test_istio_system_enforces_pod_security_restricted(stack_plan):
    (ns,) = [r for r in stack_plan.of_type(NAMESPACE)
             if r.inputs["metadata"]["name"] == "istio-system"]
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_switching_istio_off_removes_all_of_it():
    plan = run_platform("dev", overrides={
        "shipyard:addons": {**ADDONS, "istio": {"enabled": False}},
        # the applications that join the mesh must say they no longer do
        "shipyard:applications": {"code-learn": {"mesh": False},
                                  "everything-portal": {"mesh": False}}})
    names = {r.inputs["name"] for r in plan.of_type(RELEASE)}
    assert not names & {"istio-base", "istio-cni", "istiod"}
    assert names  # the other add-ons stay
    assert not plan.of_type(PEER_AUTHENTICATION) and not plan.of_type(TELEMETRY)
    assert not [r for r in plan.of_type(NAMESPACE)
                if r.inputs["metadata"]["name"] == "istio-system"]
    assert not [r for r in plan.resources if r.type == "shipyard:addons:Istio"]


def test_an_istio_ingress_without_istio_is_a_settings_error():
    addons = {**ADDONS, "istio": {"enabled": False}, "ingress": {"controller": "istio"}}
    with pytest.raises(SettingsError) as info:
        parse_settings({"addons": json.dumps(addons)}, project="shipyard", stack="staging",
                       region="us-east-1")
    (problem,) = info.value.problems
    assert problem.startswith("shipyard:addons.ingress.enabled:")
    assert "addons.istio.enabled" in problem
