"""Ingress: the shared Gateway every application routes through, and its controller.

- ``controller: nginx`` installs NGINX Gateway Fabric (control plane in ``nginx-gateway``,
  GatewayClass ``nginx``); ``controller: istio`` uses the GatewayClass istiod creates. Either
  way the controller provisions the data plane (a Deployment and a LoadBalancer Service) in the
  Gateway's namespace, ``gateway``.
- One Gateway, ``gateway/platform``: an HTTP listener on port 80 whose only route redirects to
  HTTPS (301) — cert-manager's HTTP-01 solver routes attach there too — and one HTTPS listener
  per hostname, terminating TLS with a certificate cert-manager's gateway-shim issues into a
  Secret named after the listener (annotation ``cert-manager.io/cluster-issuer``).
- Applications attach HTTPRoutes to the HTTPS listeners from namespaces labelled
  ``shipyard.dev/gateway-access: "true"``; ``route_filters`` gives their rules the security
  headers (HSTS, nosniff, frame denial, referrer policy).
- On EKS the Gateway's ``spec.infrastructure.annotations`` reach the Service the controller
  provisions, so the AWS Load Balancer Controller puts an internet-facing NLB (IP targets,
  cross-zone) in front of it. With EKS Auto Mode its own load balancing does: the Service's
  class is ``eks.amazonaws.com/nlb`` (Auto Mode's default for LoadBalancer Services, and set
  explicitly on NGINX Gateway Fabric's), and the annotations are those Auto Mode reads but
  ``aws-load-balancer-type``: its page lists it (``external``; EKS User Guide, "Use Service
  Annotations to configure Network Load Balancers"), but the class already says which
  controller provisions the NLB, so shipyard leaves it off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import ClusterContext, helm_release, merged_values, namespace
from shipyard.rules import hostnames as rules_hostnames

TYPE = "shipyard:addons:Ingress"
GATEWAY_API = "gateway.networking.k8s.io/v1"
GATEWAY_NAME = "platform"
GATEWAY_NAMESPACE = "gateway"
HTTP_LISTENER = "http"
CONTROL_PLANE_NAMESPACE = "nginx-gateway"
NGF_RELEASE = "ngf"
# Namespaces whose routes may attach to the HTTPS listeners carry this label.
ACCESS_LABEL = "shipyard.dev/gateway-access"
GATEWAY_CLASSES = {"nginx": "nginx", "istio": "istio"}
# The AWS Load Balancer Controller reads these on the Service the Gateway controller creates.
NLB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    "service.beta.kubernetes.io/aws-load-balancer-attributes":
        "load_balancing.cross_zone.enabled=true",
}
# EKS Auto Mode's load balancing: its class, and the annotations it supports (EKS User Guide,
# "Use Service Annotations to configure Network Load Balancers", which lists
# aws-load-balancer-type too, "external"; the class already names the controller, so it is not
# set).
AUTO_MODE_LOAD_BALANCER_CLASS = "eks.amazonaws.com/nlb"
AUTO_MODE_NLB_ANNOTATIONS = {k: v for k, v in NLB_ANNOTATIONS.items()
                             if k != "service.beta.kubernetes.io/aws-load-balancer-type"}
CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"
_SECTION_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

Controller = Literal["nginx", "istio"]


# ---------------------------------------------------------------------------------------------
# Pure functions: values, the Gateway, the routes' filters


def _spread(labels: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
             "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": dict(labels)}}]


def nginx_gateway_fabric_values(*, highly_available: bool, gateway_name: str = GATEWAY_NAME,
                                load_balancer_class: str | None = None) -> dict[str, Any]:
    """shipyard's Helm values for the nginx-gateway-fabric chart (control and data plane).
    Highly available: two controllers and two proxies per Gateway, spread over nodes (the
    chart has no PodDisruptionBudget). ``load_balancer_class``: the data plane Service's
    (the chart's ``nginx.service.loadBalancerClass``: EKS Auto Mode's)."""
    replicas = 2 if highly_available else 1
    values: dict[str, Any] = {
        "nginxGateway": {
            "gatewayClassName": GATEWAY_CLASSES["nginx"],
            "replicas": replicas,
            "productTelemetry": {"enable": False},
        },
        # The data plane, provisioned per Gateway in the Gateway's namespace.
        "nginx": {
            "replicas": replicas,
            "service": {"type": "LoadBalancer"},
        },
    }
    if load_balancer_class:
        values["nginx"]["service"]["loadBalancerClass"] = load_balancer_class
    if highly_available:
        values["nginxGateway"]["topologySpreadConstraints"] = _spread({
            "app.kubernetes.io/name": "nginx-gateway-fabric",
            "app.kubernetes.io/instance": NGF_RELEASE})
        # NGF labels the proxies it provisions with their Gateway's name.
        values["nginx"]["pod"] = {"topologySpreadConstraints": _spread({
            "gateway.networking.k8s.io/gateway-name": gateway_name})}
    return values


def listener_name(hostname: str, domain: str | None) -> str:
    """A stable listener name for a hostname: ``https-apex`` for the domain,
    ``https-wildcard`` for ``*.domain``, ``https-<label>`` for a name under the domain, and the
    whole hostname dashed for anything else."""
    host = hostname.lower().rstrip(".")
    if domain:
        domain = domain.lower().rstrip(".")
        if host == domain:
            return "https-apex"
        if host.endswith("." + domain):
            host = host[: -len(domain) - 1]
    return "https-" + host.replace("*", "wildcard").replace(".", "-")


def listeners_serving(host: str, hostnames: Sequence[str], domain: str | None) -> list[str]:
    """The HTTPS listeners (by name) whose hostname serves ``host``: the same name, or a
    wildcard one label above it."""
    return [listener_name(hostname, domain) for hostname in hostnames
            if rules_hostnames.matches(host, hostname)]


def tls_secret_name(listener: str, gateway_name: str = GATEWAY_NAME) -> str:
    return f"{gateway_name}-{listener.removeprefix('https-')}-tls"


def https_listeners(hostnames: Sequence[str], domain: str | None,
                    gateway_name: str = GATEWAY_NAME) -> list[dict[str, Any]]:
    """One HTTPS listener per hostname, each with its own certificate Secret; routes may attach
    from namespaces labelled ``shipyard.dev/gateway-access: "true"``."""
    listeners: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for hostname in hostnames:
        name = listener_name(hostname, domain)
        if not _SECTION_NAME.match(name) or len(name) > 200:
            raise ValueError(f"hostname {hostname!r} gives the listener name {name!r}, which "
                             f"is not a valid Gateway listener name")
        if name in seen:
            raise ValueError(f"hostnames {seen[name]!r} and {hostname!r} give the same "
                             f"listener name {name!r}")
        seen[name] = hostname
        listeners.append({
            "name": name,
            "protocol": "HTTPS",
            "port": 443,
            "hostname": hostname,
            "tls": {"mode": "Terminate", "certificateRefs": [
                {"group": "", "kind": "Secret", "name": tls_secret_name(name, gateway_name)}]},
            "allowedRoutes": _from_labelled_namespaces(),
        })
    return listeners


def _from_labelled_namespaces() -> dict[str, Any]:
    return {"namespaces": {"from": "Selector",
                           "selector": {"matchLabels": {ACCESS_LABEL: "true"}}}}


def gateway_spec(*, controller: Controller, hostnames: Sequence[str], domain: str | None,
                 nlb: bool, gateway_name: str = GATEWAY_NAME,
                 auto_mode: bool = False) -> dict[str, Any]:
    """The shared Gateway's spec: plain HTTP (routes from its own namespace only: the HTTPS
    redirect and cert-manager's HTTP-01 solvers) and the HTTPS listeners. Without any HTTPS
    hostname (no DNS, none configured) plain HTTP is all there is, open to application routes
    like the HTTPS listeners would be."""
    http_routes = ({"namespaces": {"from": "Same"}} if hostnames
                   else _from_labelled_namespaces())
    spec: dict[str, Any] = {
        "gatewayClassName": GATEWAY_CLASSES[controller],
        "listeners": [
            {"name": HTTP_LISTENER, "protocol": "HTTP", "port": 80,
             "allowedRoutes": http_routes},
            *https_listeners(hostnames, domain, gateway_name),
        ],
    }
    if nlb:
        spec["infrastructure"] = {"annotations": dict(
            AUTO_MODE_NLB_ANNOTATIONS if auto_mode else NLB_ANNOTATIONS)}
    return spec


def gateway_annotations(cluster_issuer: str | None) -> dict[str, str]:
    """cert-manager's gateway-shim issues every HTTPS listener's certificate from this
    ClusterIssuer (none: the Secrets are provided some other way)."""
    return {CLUSTER_ISSUER_ANNOTATION: cluster_issuer} if cluster_issuer else {}


def redirect_route_spec(gateway_name: str = GATEWAY_NAME,
                        gateway_namespace: str = GATEWAY_NAMESPACE) -> dict[str, Any]:
    """Every plain-HTTP request answered with a 301 to the same URL over HTTPS (port 443, the
    scheme's default). cert-manager's HTTP-01 solver routes match a longer path and win."""
    return {
        "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                        "name": gateway_name, "namespace": gateway_namespace,
                        "sectionName": HTTP_LISTENER}],
        "rules": [{"filters": [{"type": "RequestRedirect",
                                "requestRedirect": {"scheme": "https", "statusCode": 301}}]}],
    }


def security_headers(hsts_max_age_seconds: int) -> dict[str, Any]:
    """A ResponseHeaderModifier filter setting the security headers on every response."""
    if hsts_max_age_seconds < 0:
        raise ValueError("hsts_max_age_seconds must be 0 or more")
    return {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"set": [
        {"name": "Strict-Transport-Security",
         "value": f"max-age={hsts_max_age_seconds}; includeSubDomains"},
        {"name": "X-Content-Type-Options", "value": "nosniff"},
        {"name": "X-Frame-Options", "value": "DENY"},
        {"name": "Referrer-Policy", "value": "strict-origin-when-cross-origin"},
    ]}}


def route_filters(hsts_max_age_seconds: int, *,
                  response_headers: Mapping[str, str] | None = None,
                  request_headers: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Filters for an application HTTPRoute rule on the HTTPS listeners: the security headers
    plus the application's own response headers (which replace a security header of the same
    name, case-insensitively), and request headers to set, if any. Gateway API allows one filter
    of each type per rule, so each kind is merged into one filter."""
    security = security_headers(hsts_max_age_seconds)
    own = {k.lower(): (k, v) for k, v in (response_headers or {}).items()}
    headers = [h for h in security["responseHeaderModifier"]["set"]
               if h["name"].lower() not in own]
    headers += [{"name": k, "value": v} for k, v in own.values()]
    filters: list[dict[str, Any]] = []
    if request_headers:
        filters.append({"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [
            {"name": k, "value": v} for k, v in request_headers.items()]}})
    filters.append({"type": "ResponseHeaderModifier",
                    "responseHeaderModifier": {"set": headers}})
    return filters


# Hop-by-hop headers a WebSocket (or any HTTP/1.1 Upgrade) handshake needs to reach the backend.
UPGRADE_HEADERS = ("connection", "upgrade")


def route_spec(*, hostnames: Sequence[str], listeners: Sequence[str],
               rules: Sequence[tuple[str, str, int]], hsts_max_age_seconds: int,
               gateway_name: str = GATEWAY_NAME,
               gateway_namespace: str = GATEWAY_NAMESPACE,
               request_headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An application's HTTPRoute spec on the shared Gateway's HTTPS listeners: one rule per
    (path prefix, Service, port), each with the security-header filters.

    WebSocket paths (seed 000's ``/hubs``) need nothing more: NGINX Gateway Fabric and Istio
    forward the Upgrade handshake by default, so a rule must only not rewrite its headers."""
    for name in request_headers or {}:
        if name.lower() in UPGRADE_HEADERS:
            raise ValueError(f"request header {name!r} would break WebSocket upgrades")
    return {
        "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                        "name": gateway_name, "namespace": gateway_namespace,
                        "sectionName": listener} for listener in listeners],
        "hostnames": list(hostnames),
        "rules": [{
            "matches": [{"path": {"type": "PathPrefix", "value": prefix}}],
            "backendRefs": [{"name": service, "port": port}],
            "filters": route_filters(hsts_max_age_seconds, request_headers=request_headers),
        } for prefix, service, port in rules],
    }


# ---------------------------------------------------------------------------------------------
# The component


@dataclass(frozen=True)
class IngressArgs:
    ctx: ClusterContext
    controller: Controller
    hostnames: Sequence[str]                 # the HTTPS listeners' hostnames, resolved
    hsts_max_age_seconds: int
    cluster_issuer: str | None               # None: cert-manager is off
    highly_available: bool                   # two controllers, two proxies, spread
    values: Mapping[str, Any] = field(default_factory=dict)
    crds: Sequence[pulumi.Resource] = ()     # installs the Gateway API CRDs
    after: Sequence[pulumi.Resource] = ()    # the Gateway waits for these (and its controller)


class Ingress(pulumi.ComponentResource):
    gateway_name: str
    gateway_namespace: str
    https_listener_names: list[str]
    https_hostnames: list[str]
    domain: str | None
    hsts_max_age_seconds: int
    gateway: k8s.apiextensions.CustomResource
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: IngressArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ctx = args.ctx
        self.gateway_name = GATEWAY_NAME
        self.gateway_namespace = GATEWAY_NAMESPACE
        self.hsts_max_age_seconds = args.hsts_max_age_seconds

        controller: list[pulumi.Resource] = []
        self.release = None
        if args.controller == "nginx":
            control_plane = namespace(f"{name}-ngf", CONTROL_PLANE_NAMESPACE, parent=self,
                                      provider=ctx.provider)
            # NGF reads the Gateway API CRDs when it starts.
            self.release = helm_release(
                f"{name}-ngf", "nginx-gateway-fabric", release_name=NGF_RELEASE,
                namespace_name=control_plane.metadata.name,
                values=merged_values(
                    nginx_gateway_fabric_values(
                        highly_available=args.highly_available,
                        load_balancer_class=AUTO_MODE_LOAD_BALANCER_CLASS
                        if ctx.auto_mode else None),
                    args.values),
                parent=self, provider=ctx.provider, depends_on=args.crds)
            controller.append(self.release)

        # The data plane runs here. Both controllers' proxies pass "restricted": NGF's pods
        # drop all capabilities with a RuntimeDefault seccomp profile, and the Istio add-on sets
        # istiod's gateways.seccompProfile for the gateways it deploys.
        # The namespace waits for the controllers too, so that a destroy deletes it (and the
        # data plane's LoadBalancer Service, whose finalizer the load balancer controller
        # removes along with the NLB) while they still run: else the NLB leaks and the VPC
        # cannot be deleted.
        # (Not for the Gateway API CRDs in ``after``: the namespace holds none of their objects
        # when it goes, so that wait is not needed; offline/estimates/deploy_time.py.)
        gateway_ns = namespace(f"{name}-gateway", GATEWAY_NAMESPACE, parent=self,
                               provider=ctx.provider,
                               depends_on=[r for r in args.after if r not in args.crds])
        spec = gateway_spec(controller=args.controller, hostnames=args.hostnames,
                            domain=ctx.domain, nlb=ctx.eks, auto_mode=ctx.auto_mode)
        self.https_listener_names = [listener["name"] for listener in spec["listeners"]
                                     if listener["protocol"] == "HTTPS"]
        self.https_hostnames = list(args.hostnames)
        self.domain = ctx.domain
        self.gateway = k8s.apiextensions.CustomResource(
            f"{name}-gateway", api_version=GATEWAY_API, kind="Gateway",
            metadata={"name": GATEWAY_NAME, "namespace": gateway_ns.metadata.name,
                      "annotations": gateway_annotations(args.cluster_issuer),
                      "labels": {"app.kubernetes.io/managed-by": "shipyard"}},
            spec=spec,
            # Its CRD, its controller and the load balancer controller (its webhook must see the
            # LoadBalancer Service). Not cert-manager: it issues the listeners' certificates
            # for Gateways that exist when it starts (see components/addons/addons.py).
            opts=pulumi.ResourceOptions(parent=self, provider=ctx.provider,
                                        depends_on=[*args.after, *controller,
                                                    *ctx.load_balancer_subnets]),
        )
        self.redirect = None
        if args.hostnames:
            self.redirect = k8s.apiextensions.CustomResource(
                f"{name}-https-redirect", api_version=GATEWAY_API, kind="HTTPRoute",
                metadata={"name": "https-redirect", "namespace": gateway_ns.metadata.name,
                          "labels": {"app.kubernetes.io/managed-by": "shipyard"}},
                spec=redirect_route_spec(),
                opts=pulumi.ResourceOptions(parent=self, provider=ctx.provider,
                                            depends_on=list(args.crds)),
            )
        else:
            pulumi.log.warn("the shared Gateway has no HTTPS hostname (dns is disabled and "
                            "addons.ingress.hostnames is empty): it serves plain HTTP only",
                            self)
        self.ready = [self.gateway]
        self.register_outputs({"gatewayName": self.gateway_name,
                               "gatewayNamespace": self.gateway_namespace})


# ---------------------------------------------------------------------------------------------
# Platform UIs (Grafana, Alertmanager, Argo CD, Kiali) on the shared Gateway


@dataclass(frozen=True)
class Exposure:
    """What an add-on needs to serve a UI through the shared Gateway."""

    gateway_name: str
    gateway_namespace: str
    https_hostnames: Sequence[str]
    domain: str | None
    hsts_max_age_seconds: int
    route_needs: Sequence[pulumi.Resource] = ()  # what a route waits for (Addons.route_needs)

    @staticmethod
    def of(ingress: Ingress, route_needs: Sequence[pulumi.Resource] = ()) -> Exposure:
        return Exposure(gateway_name=ingress.gateway_name,
                        gateway_namespace=ingress.gateway_namespace,
                        https_hostnames=tuple(ingress.https_hostnames), domain=ingress.domain,
                        hsts_max_age_seconds=ingress.hsts_max_age_seconds,
                        route_needs=tuple(route_needs))

    def listeners(self, host: str) -> list[str]:
        if not self.https_hostnames:
            return [HTTP_LISTENER]
        found = listeners_serving(host, self.https_hostnames, self.domain)
        if not found:
            raise ValueError(f"{host} is served by none of the Gateway's HTTPS listeners "
                             f"({', '.join(self.https_hostnames)})")
        return found


def ui_route_spec(exposure: Exposure, *, host: str, service: str, port: int) -> dict[str, Any]:
    """An HTTPRoute spec sending every path of ``host`` to one Service (a UI)."""
    return {
        "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                        "name": exposure.gateway_name, "namespace": exposure.gateway_namespace,
                        "sectionName": listener} for listener in exposure.listeners(host)],
        "hostnames": [host],
        "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                   "backendRefs": [{"name": service, "port": port}],
                   "filters": route_filters(exposure.hsts_max_age_seconds)}],
    }


def expose_ui(name: str, exposure: Exposure, *, namespace_name: pulumi.Input[str], host: str,
              service: str, port: int, parent: pulumi.Resource, provider: k8s.Provider,
              after: Sequence[pulumi.Resource] = ()) -> k8s.apiextensions.CustomResource:
    """The HTTPRoute serving a UI at ``host``; its namespace must carry ``ACCESS_LABEL``."""
    return k8s.apiextensions.CustomResource(
        f"{name}-route", api_version=GATEWAY_API, kind="HTTPRoute",
        metadata={"name": service, "namespace": namespace_name,
                  "labels": {"app.kubernetes.io/managed-by": "shipyard"}},
        spec=ui_route_spec(exposure, host=host, service=service, port=port),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider,
                                    depends_on=[*exposure.route_needs, *after]))
