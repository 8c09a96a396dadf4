"""Ingress: one shared Gateway behind an NLB on EKS, an HTTPS listener per hostname with a
certificate from cert-manager, plain HTTP only redirecting, waiting for everything it needs and
nothing more; the security headers applications' routes get."""

import pytest

from components.addons import cert_manager
from components.addons.base import ClusterContext
from components.addons.ingress import (
    ACCESS_LABEL,
    GATEWAY_NAME,
    GATEWAY_NAMESPACE,
    HTTP_LISTENER,
    NLB_ANNOTATIONS,
    gateway_annotations,
    gateway_spec,
    https_listeners,
    listener_name,
    nginx_gateway_fabric_values,
    redirect_route_spec,
    route_filters,
    route_spec,
    security_headers,
)
from compose.addons import ingress_args
from offline.harness import run_program
from shipyard.versions import CHARTS, GATEWAY_API_CRDS
from tests.support.plans import only, run_platform
from tests.support.settings import stack_settings

RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
NAMESPACE = "kubernetes:core/v1:Namespace"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
COMPONENT = "shipyard:addons:Ingress"
EMAIL = {"acmeEmail": "ops@example.com"}
DOMAINS = {"dev": "dev.shipyard.example.com", "staging": "staging.shipyard.example.com",
           "prod": "shipyard.example.com"}
CTX = ClusterContext(provider=None, cluster_name="shipyard-test", region="us-east-1",
                     environment="prod", eks=True, domain="example.com")


def gateway(plan):
    (found,) = plan.of_type(GATEWAY)
    return found


def listeners(plan):
    return {listener["name"]: listener for listener in gateway(plan).inputs["spec"]["listeners"]}


def ngf_release(plan):
    (found,) = [r for r in plan.of_type(RELEASE)
                if r.inputs["chart"] == CHARTS["nginx-gateway-fabric"].chart]
    return found


def release_of(plan, chart_key):
    (found,) = [r for r in plan.of_type(RELEASE) if r.inputs["chart"] == CHARTS[chart_key].chart]
    return found


def crds(plan):
    (found,) = [r for r in plan.of_type(CONFIG_FILE) if r.inputs["file"] == GATEWAY_API_CRDS]
    return found


def namespace_named(plan, name):
    (found,) = [n for n in plan.of_type(NAMESPACE) if n.inputs["metadata"]["name"] == name]
    return found


def run(stack, **addons):
    return run_program(stack, overrides={"shipyard:addons": {
        "certManager": EMAIL, **addons}})


# -- the plans ----------------------------------------------------------------------------


def test_nginx_gateway_fabric_is_the_pinned_chart_in_its_own_namespace(stack_plan):
    release = ngf_release(stack_plan)
    chart = CHARTS["nginx-gateway-fabric"]
    assert (release.inputs["chart"], release.inputs["version"]) == (chart.chart, chart.version)
    assert "repositoryOpts" not in release.inputs or not release.inputs["repositoryOpts"]
    assert release.inputs["name"] == "ngf"
    assert release.inputs["namespace"] == "nginx-gateway"
    ns = namespace_named(stack_plan, "nginx-gateway")
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    values = release.inputs["values"]
    assert values["nginxGateway"]["gatewayClassName"] == "nginx"
    assert values["nginxGateway"]["productTelemetry"] == {"enable": False}
    assert values["nginx"]["service"]["type"] == "LoadBalancer"


@pytest.mark.parametrize("stack,replicas", [("dev", 1), ("staging", 2), ("prod", 2)])
def test_controller_and_proxies_are_redundant_outside_dev(plans, stack, replicas):
    values = ngf_release(plans[stack]).inputs["values"]
    assert values["nginxGateway"]["replicas"] == replicas
    assert values["nginx"]["replicas"] == replicas


def test_one_shared_gateway_in_a_restricted_namespace(stack_plan):
    g = gateway(stack_plan)
    assert g.inputs["metadata"]["name"] == GATEWAY_NAME == "platform"
    assert g.inputs["metadata"]["namespace"] == GATEWAY_NAMESPACE == "gateway"
    assert g.inputs["spec"]["gatewayClassName"] == "nginx"
    ns = namespace_named(stack_plan, "gateway")
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    (provider,) = stack_plan.of_type("pulumi:providers:kubernetes")
    assert g.provider == provider.urn


def test_the_gateway_waits_for_its_crds_controller_and_load_balancer_controller(stack_plan):
    # Not for cert-manager: it issues certificates for Gateways that exist when it starts, so
    # that wait only lengthened the deploy (offline/estimates/deploy_time.py). For destroy
    # (offline/destroy.py): external-dns, which deletes its hostnames' records, and the
    # subnets its NLB sits in.
    subnets = {r.urn for r in stack_plan.of_type("aws:ec2/subnet:Subnet")
               if "-isolated-" not in r.name}
    expected = {crds(stack_plan).urn, ngf_release(stack_plan).urn,
                release_of(stack_plan, "aws-load-balancer-controller").urn,
                release_of(stack_plan, "external-dns").urn,
                namespace_named(stack_plan, "gateway").urn, *subnets}
    assert subnets and set(gateway(stack_plan).dependencies) == expected


def test_eks_gateways_get_an_internet_facing_nlb(stack_plan):
    annotations = gateway(stack_plan).inputs["spec"]["infrastructure"]["annotations"]
    assert annotations == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-attributes":
            "load_balancing.cross_zone.enabled=true",
    }


def test_https_listeners_for_the_domain_and_its_wildcard_by_default(stack_plan):
    domain = DOMAINS[stack_plan.stack]
    found = listeners(stack_plan)
    assert set(found) == {"http", "https-apex", "https-wildcard"}
    assert found["https-apex"]["hostname"] == domain
    assert found["https-wildcard"]["hostname"] == f"*.{domain}"
    for name in ("https-apex", "https-wildcard"):
        listener = found[name]
        assert (listener["protocol"], listener["port"]) == ("HTTPS", 443)
        assert listener["tls"]["mode"] == "Terminate"
        assert listener["tls"]["certificateRefs"] == [
            {"group": "", "kind": "Secret", "name": f"platform-{name[6:]}-tls"}]
        assert listener["allowedRoutes"] == {"namespaces": {
            "from": "Selector", "selector": {"matchLabels": {ACCESS_LABEL: "true"}}}}
    http = found["http"]
    assert (http["protocol"], http["port"]) == ("HTTP", 80)
    assert http["allowedRoutes"] == {"namespaces": {"from": "Same"}}


@pytest.mark.parametrize("stack,issuer", [("dev", "letsencrypt-staging"),
                                          ("prod", "letsencrypt-prod")])
def test_cert_manager_issues_the_listener_certificates(plans, stack, issuer):
    annotations = gateway(plans[stack]).inputs["metadata"]["annotations"]
    assert annotations == {"cert-manager.io/cluster-issuer": issuer}
    issuers = {r.inputs["metadata"]["name"] for r in plans[stack].of_type(
        "kubernetes:cert-manager.io/v1:ClusterIssuer")}
    assert issuer in issuers


def test_plain_http_only_redirects_to_https(stack_plan):
    (route,) = [r for r in stack_plan.of_type(HTTP_ROUTE)
                if r.inputs["metadata"]["namespace"] == "gateway"]
    assert route.inputs["metadata"]["name"] == "https-redirect"
    assert route.inputs["metadata"]["namespace"] == "gateway"
    assert route.inputs["spec"]["parentRefs"] == [{
        "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "platform",
        "namespace": "gateway", "sectionName": "http"}]
    (rule,) = route.inputs["spec"]["rules"]
    assert rule["filters"] == [{"type": "RequestRedirect",
                                "requestRedirect": {"scheme": "https", "statusCode": 301}}]
    # a custom resource waits for its CRD, and for nothing else
    assert set(route.dependencies) == {crds(stack_plan).urn,
                                       namespace_named(stack_plan, "gateway").urn}


def test_cert_manager_http01_solvers_attach_to_the_gateways_http_listener():
    ref = cert_manager.http01_solver()["http01"]["gatewayHTTPRoute"]["parentRefs"][0]
    assert (ref["name"], ref["namespace"], ref["sectionName"]) == (
        GATEWAY_NAME, GATEWAY_NAMESPACE, HTTP_LISTENER)


def test_configured_hostnames_get_a_listener_each():
    apps = {app: {"hostname": f"{label}.apps.staging.shipyard.example.com"} for app, label in (
        ("mentorplatform", "mentor"), ("learning-platform", "learn"), ("sre-platform", "sre"),
        ("code-learn", "code"), ("everything-portal", "portal"))}
    under_apps = "apps.staging.shipyard.example.com"
    plan = run_platform("staging", overrides={
        "shipyard:addons": {"certManager": EMAIL, "ingress": {"hostnames": [
            "staging.shipyard.example.com", "api.staging.shipyard.example.com",
            "*.apps.staging.shipyard.example.com", "www.example.org"]},
            # the platform UIs move under the wildcard too
            "monitoring": {"grafanaHostname": f"grafana.{under_apps}",
                           "alertmanagerHostname": f"alertmanager.{under_apps}"},
            "kiali": {"hostname": f"kiali.{under_apps}"},
            "argocd": {"hostname": f"argocd.{under_apps}"}},
        "shipyard:applications": apps}, hosting=("mentorplatform",))
    found = listeners(plan)
    routes = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in plan.of_type(HTTP_ROUTE)}
    assert [p["sectionName"] for p in routes["mentorplatform"]["parentRefs"]] == [
        "https-wildcard-apps"]
    assert set(found) == {"http", "https-apex", "https-api", "https-wildcard-apps",
                          "https-www-example-org"}
    assert found["https-api"]["hostname"] == "api.staging.shipyard.example.com"
    secrets = {found[n]["tls"]["certificateRefs"][0]["name"] for n in found if n != "http"}
    assert len(secrets) == 4


def test_with_http01_each_application_hostname_gets_its_own_listener():
    """No wildcard certificate without DNS-01: the apex and each routed application's hostname
    get a listener (and a certificate) each."""
    plan = run_platform("dev", hosting=("mentorplatform", "learning-platform"), overrides={
        "shipyard:addons": {"certManager": {**EMAIL, "solver": "http01"}}})
    assert set(listeners(plan)) == {"http", "https-apex", "https-mentor", "https-learn",
                                    "https-grafana", "https-kiali", "https-argocd"}
    routes = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in plan.of_type(HTTP_ROUTE)}
    assert [p["sectionName"] for p in routes["mentorplatform"]["parentRefs"]] == [
        "https-mentor"]


def test_istio_as_controller():
    plan = run_platform("staging", overrides={"shipyard:addons": {
        "certManager": EMAIL, "ingress": {"controller": "istio"}}})
    g = gateway(plan)
    assert g.inputs["spec"]["gatewayClassName"] == "istio"
    assert not [r for r in plan.of_type(RELEASE)
                if r.inputs["chart"] == CHARTS["nginx-gateway-fabric"].chart]
    assert not [n for n in plan.of_type(NAMESPACE)
                if n.inputs["metadata"]["name"] == "nginx-gateway"]
    assert release_of(plan, "istiod").urn in g.dependencies
    assert crds(plan).urn in g.dependencies


def test_an_existing_cluster_gets_no_nlb_annotations_and_no_load_balancer_controller():
    plan = run_platform("dev", overrides={"shipyard:cluster": {"mode": "existing",
                                                               "context": "minikube"}})
    g = gateway(plan)
    assert "infrastructure" not in g.inputs["spec"]
    assert not plan.of_type("shipyard:addons:LoadBalancerController")
    assert g.inputs["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "selfsigned"}
    assert set(g.dependencies) == {crds(plan).urn, ngf_release(plan).urn,
                                   namespace_named(plan, "gateway").urn}


def test_switching_ingress_off_keeps_the_other_add_ons():
    plan = run_platform("prod", hosting=("mentorplatform",), overrides={"shipyard:addons": {
        "certManager": EMAIL, "ingress": {"enabled": False}}})
    assert not plan.of_type(COMPONENT) and not plan.of_type(GATEWAY)
    assert not plan.of_type(HTTP_ROUTE)
    assert not [r for r in plan.of_type(RELEASE)
                if r.inputs["chart"] == CHARTS["nginx-gateway-fabric"].chart]
    assert not [n for n in plan.of_type(NAMESPACE)
                if n.inputs["metadata"]["name"] in ("gateway", "nginx-gateway")]
    for still in ("cert-manager", "aws-load-balancer-controller", "external-dns", "istiod"):
        release_of(plan, still)
    crds(plan)


def test_without_dns_or_hostnames_the_gateway_serves_plain_http_only():
    prod = stack_settings("prod")
    no_dns = prod.model_copy(update={"config": prod.config.model_copy(update={
        "dns": prod.dns.model_copy(update={"enabled": False})})})
    assert ingress_args(no_dns, CTX).hostnames == ()
    plan = run_platform("dev", hosting=("mentorplatform", "sre-platform"), overrides={
        "shipyard:dns": {"enabled": False},
        "shipyard:addons": {"certManager": {"solver": "http01", **EMAIL},
                            "externalDns": {"enabled": False}},
        # a CDN's certificate and records need the zone: without DNS, none
        "shipyard:applications": {
            "learning-platform": {"cdn": {"hostname": "learn-static", "enabled": False}},
            "code-learn": {"cdn": {"hostname": "code-static", "enabled": False}}}})
    (http,) = gateway(plan).inputs["spec"]["listeners"]
    assert http["name"] == "http"
    assert http["allowedRoutes"]["namespaces"]["selector"] == {
        "matchLabels": {ACCESS_LABEL: "true"}}
    # nothing to redirect to; the applications' routes attach to the plain HTTP listener
    assert not [r for r in plan.of_type(HTTP_ROUTE) if r.inputs["metadata"]["namespace"] ==
                "gateway"]
    for route in plan.of_type(HTTP_ROUTE):
        assert [p["sectionName"] for p in route.inputs["spec"]["parentRefs"]] == ["http"]


def test_compose_follows_the_switches():
    dev = ingress_args(stack_settings("dev"), CTX)
    prod = ingress_args(stack_settings("prod"), CTX)
    assert (dev.highly_available, prod.highly_available) == (False, True)
    assert dev.cluster_issuer == "letsencrypt-staging" and prod.cluster_issuer == "letsencrypt-prod"
    domain = stack_settings("prod").dns.domain
    assert prod.hostnames == (domain, f"*.{domain}")
    assert prod.hsts_max_age_seconds == 31536000


# -- pure functions -----------------------------------------------------------------------


def test_nginx_gateway_fabric_values():
    assert nginx_gateway_fabric_values(highly_available=False) == {
        "nginxGateway": {"gatewayClassName": "nginx", "replicas": 1,
                         "productTelemetry": {"enable": False}},
        "nginx": {"replicas": 1, "service": {"type": "LoadBalancer"}},
    }
    ha = nginx_gateway_fabric_values(highly_available=True)
    assert ha["nginxGateway"]["replicas"] == ha["nginx"]["replicas"] == 2
    (control,) = ha["nginxGateway"]["topologySpreadConstraints"]
    assert control["labelSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "nginx-gateway-fabric", "app.kubernetes.io/instance": "ngf"}
    (proxy,) = ha["nginx"]["pod"]["topologySpreadConstraints"]
    assert proxy["topologyKey"] == "kubernetes.io/hostname"
    assert proxy["labelSelector"]["matchLabels"] == {
        "gateway.networking.k8s.io/gateway-name": "platform"}


@pytest.mark.parametrize("hostname,name", [
    ("example.com", "https-apex"),
    ("*.example.com", "https-wildcard"),
    ("api.example.com", "https-api"),
    ("v2.api.example.com", "https-v2-api"),
    ("*.apps.example.com", "https-wildcard-apps"),
    ("shop.example.org", "https-shop-example-org"),
    ("*.example.org", "https-wildcard-example-org"),
])
def test_listener_names_are_derived_from_the_hostname(hostname, name):
    assert listener_name(hostname, "example.com") == name


def test_listeners_that_would_share_a_name_are_refused():
    with pytest.raises(ValueError, match="same listener name"):
        https_listeners(["api.example.com", "api.example.com"], "example.com")
    with pytest.raises(ValueError, match="not a valid Gateway listener name"):
        https_listeners(["under_score.example.com"], "example.com")


def test_gateway_spec_adds_nlb_annotations_only_when_asked():
    eks = gateway_spec(controller="nginx", hostnames=["example.com"], domain="example.com",
                       nlb=True)
    assert eks["infrastructure"] == {"annotations": NLB_ANNOTATIONS}
    other = gateway_spec(controller="istio", hostnames=["example.com"], domain="example.com",
                         nlb=False)
    assert "infrastructure" not in other and other["gatewayClassName"] == "istio"
    assert [listener["name"] for listener in other["listeners"]] == ["http", "https-apex"]


def test_gateway_annotations():
    assert gateway_annotations("letsencrypt-prod") == {
        "cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    assert gateway_annotations(None) == {}


def test_redirect_route_spec_targets_the_http_listener():
    spec = redirect_route_spec("gw", "ns")
    assert spec["parentRefs"][0]["name"] == "gw" and spec["parentRefs"][0]["namespace"] == "ns"
    assert spec["parentRefs"][0]["sectionName"] == "http"


def test_security_headers():
    assert security_headers(31536000) == {"type": "ResponseHeaderModifier",
                                          "responseHeaderModifier": {"set": [
        {"name": "Strict-Transport-Security", "value": "max-age=31536000; includeSubDomains"},
        {"name": "X-Content-Type-Options", "value": "nosniff"},
        {"name": "X-Frame-Options", "value": "DENY"},
        {"name": "Referrer-Policy", "value": "strict-origin-when-cross-origin"},
    ]}}
    assert security_headers(0)["responseHeaderModifier"]["set"][0]["value"] == (
        "max-age=0; includeSubDomains")
    with pytest.raises(ValueError):
        security_headers(-1)


def test_route_filters_are_the_security_headers_by_default():
    assert route_filters(600) == [security_headers(600)]


def test_route_filters_merge_own_headers_into_one_filter_per_type():
    filters = route_filters(600, response_headers={"x-frame-options": "SAMEORIGIN",
                                                   "Cache-Control": "no-store"},
                            request_headers={"X-Forwarded-Prefix": "/api"})
    assert [f["type"] for f in filters] == ["RequestHeaderModifier", "ResponseHeaderModifier"]
    assert filters[0]["requestHeaderModifier"] == {"set": [
        {"name": "X-Forwarded-Prefix", "value": "/api"}]}
    headers = {h["name"].lower(): h["value"] for h in filters[1]["responseHeaderModifier"]["set"]}
    assert headers == {"strict-transport-security": "max-age=600; includeSubDomains",
                       "x-content-type-options": "nosniff", "x-frame-options": "SAMEORIGIN",
                       "referrer-policy": "strict-origin-when-cross-origin",
                       "cache-control": "no-store"}


def test_seed_000_websocket_route_reaches_the_gateway_over_https_with_its_upgrade_intact(prod):
    """Seed 000: /hubs/* (SignalR WebSockets) and /api/* to the YARP gateway, / to the SPA,
    through the shared Gateway's HTTPS listener for the domain."""
    gateway = only([r for r in prod.resources if r.inputs.get("kind") == "Gateway"])
    https = [ls["name"] for ls in gateway.inputs["spec"]["listeners"] if ls["protocol"] == "HTTPS"]
    spec = route_spec(hostnames=["mentor.shipyard.example.com"], listeners=https[-1:],
                      rules=[("/hubs", "gateway", 8080), ("/api", "gateway", 8080),
                             ("/", "frontend", 80)], hsts_max_age_seconds=31536000)
    (parent,) = spec["parentRefs"]
    assert (parent["name"], parent["namespace"]) == (
        gateway.inputs["metadata"]["name"], gateway.inputs["metadata"]["namespace"])
    hubs = spec["rules"][0]
    assert hubs["matches"] == [{"path": {"type": "PathPrefix", "value": "/hubs"}}]
    assert hubs["backendRefs"] == [{"name": "gateway", "port": 8080}]
    # nothing on the rule touches the handshake's request headers or redirects it
    assert {f["type"] for f in hubs["filters"]} == {"ResponseHeaderModifier"}
    headers = {h["name"] for h in hubs["filters"][0]["responseHeaderModifier"]["set"]}
    assert "Strict-Transport-Security" in headers
    with pytest.raises(ValueError, match="WebSocket"):
        route_spec(hostnames=["x"], listeners=https, rules=[("/hubs", "gateway", 8080)],
                   hsts_max_age_seconds=0, request_headers={"Connection": "close"})
