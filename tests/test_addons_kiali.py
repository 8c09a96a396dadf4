"""Kiali in istio-system: Prometheus for metrics, Tempo for traces (over HTTP: the tempo
chart's Service has no gRPC query port), links to Grafana, token logins, served through the
Gateway where the stack names a hostname and by port-forward otherwise (prod)."""

import pytest

from components.addons.base import ClusterContext
from components.addons.endpoints import (
    GRAFANA_URL,
    KIALI_NAMESPACE,
    KIALI_PORT,
    KIALI_SERVICE,
    PROMETHEUS_URL,
    TEMPO_URL,
)
from components.addons.ingress import ACCESS_LABEL
from components.addons.kiali import kiali_values
from compose.addons import kiali_args
from tests.support.plans import children_of, only, run_platform
from tests.support.settings import stack_settings

COMPONENT = "shipyard:addons:Kiali"
RELEASE = "kubernetes:helm.sh/v3:Release"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
CTX = ClusterContext(provider=None, cluster_name="shipyard-test", region="us-east-1",
                     environment="dev", eks=True)


def release(plan):
    return only(children_of(plan, COMPONENT, RELEASE))


def routes(plan):
    return children_of(plan, COMPONENT, ROUTE)


@pytest.fixture(scope="module")
def no_tracing():
    """staging without the tracing add-on, and Kiali by port-forward only."""
    return run_platform("staging", overrides={"shipyard:addons": {
        "certManager": {"acmeEmail": "ops@example.com"},
        "tracing": {"enabled": False}, "kiali": {"hostname": None}}})


# -- values -----------------------------------------------------------------------------------


def test_kiali_reads_prometheus_and_tempo_at_their_fixed_urls():
    services = kiali_values(highly_available=False, tracing=True)["external_services"]
    assert services["prometheus"] == {"enabled": True, "url": PROMETHEUS_URL}
    assert services["tracing"] == {"enabled": True, "provider": "tempo",
                                   "internal_url": TEMPO_URL, "use_grpc": False}
    assert services["grafana"] == {"enabled": True, "internal_url": GRAFANA_URL}


def test_without_tracing_kiali_looks_for_no_traces():
    tracing = kiali_values(highly_available=False, tracing=False)["external_services"]["tracing"]
    assert tracing == {"enabled": False}


def test_grafana_links_use_its_public_url_when_exposed():
    grafana = kiali_values(highly_available=False, tracing=True,
                           grafana_external_url="https://grafana.example.com")[
        "external_services"]["grafana"]
    assert grafana["external_url"] == "https://grafana.example.com"
    assert grafana["internal_url"] == GRAFANA_URL


@pytest.mark.parametrize("ha,replicas", [(True, 2), (False, 1)])
def test_kiali_logs_in_with_tokens_and_runs_two_replicas_when_ha(ha, replicas):
    values = kiali_values(highly_available=ha, tracing=True)
    assert values["auth"]["strategy"] == "token"
    assert values["deployment"]["replicas"] == replicas
    assert ("pod_disruption_budget" in values["deployment"]) is ha
    # the Service the route and port-forward use
    assert values["deployment"]["instance_name"] == KIALI_SERVICE
    assert values["server"]["port"] == KIALI_PORT
    assert values["server"]["web_root"] == "/"


def test_without_a_gateway_kiali_has_no_public_host():
    args = kiali_args(stack_settings("staging"), CTX, exposed=False)
    assert args.host is None and args.grafana_external_url is None


# -- the plans --------------------------------------------------------------------------------


def test_kiali_is_installed_in_istio_system_once_it_exists(stack_plan):
    kiali = release(stack_plan)
    assert kiali.inputs["namespace"] == KIALI_NAMESPACE
    namespace = only([r for r in stack_plan.of_type("kubernetes:core/v1:Namespace")
                      if r.inputs["metadata"]["name"] == KIALI_NAMESPACE])
    assert namespace.urn in kiali.dependencies
    services = kiali.inputs["values"]["external_services"]
    assert services["prometheus"]["url"] == PROMETHEUS_URL
    assert services["tracing"]["internal_url"] == TEMPO_URL


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_kiali_is_served_through_the_gateway_where_the_stack_names_a_host(plans, stack):
    plan = plans[stack]
    host = stack_settings(stack).exposed_host(stack_settings(stack).addons.kiali.hostname)
    route = only(routes(plan))
    assert route.inputs["metadata"]["namespace"] == KIALI_NAMESPACE
    assert route.inputs["spec"]["hostnames"] == [host]
    [rule] = route.inputs["spec"]["rules"]
    assert rule["backendRefs"] == [{"name": KIALI_SERVICE, "port": KIALI_PORT}]
    # the Gateway admits routes only from namespaces carrying the access label
    namespace = only([r for r in plan.of_type("kubernetes:core/v1:Namespace")
                      if r.inputs["metadata"]["name"] == KIALI_NAMESPACE])
    assert namespace.inputs["metadata"]["labels"][ACCESS_LABEL] == "true"
    assert release(plan).inputs["values"]["server"]["web_fqdn"] == host


def test_prod_kiali_is_reachable_by_port_forward_only(prod):
    assert routes(prod) == []
    assert "web_fqdn" not in release(prod).inputs["values"]["server"]


def test_without_the_tracing_add_on_kiali_has_no_tracing_and_no_route(no_tracing):
    assert no_tracing.of_type("shipyard:addons:Tracing") == []
    assert release(no_tracing).inputs["values"]["external_services"]["tracing"] == {
        "enabled": False}
    assert routes(no_tracing) == []
    namespace = only([r for r in no_tracing.of_type("kubernetes:core/v1:Namespace")
                      if r.inputs["metadata"]["name"] == KIALI_NAMESPACE])
    assert ACCESS_LABEL not in namespace.inputs["metadata"]["labels"]
