"""The tenant component: one application (a seed system) in a namespace of its own.

Namespace (Pod Security Admission ``restricted``; open to the shared Gateway's routes when the
application has any; sidecar injection when it joins the mesh), ResourceQuota sized from its
services' largest footprint (rollout surge and sidecars included; no LoadBalancer or NodePort
Services), LimitRange, a default-deny NetworkPolicy for ingress and egress with DNS allowed, and
allow rules derived from the catalog: the Gateway's namespace to routed ports, callers to
callees, services to the stores they use, HTTPS out for services that call AWS (and, under
EKS Pod Identity, the node's Pod Identity agent, where their credentials come from). Then its
generated secrets, one Workload per service, and its HTTPRoute on the shared Gateway.

Every object is a pure function of the catalog, tested without mocks; the component registers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.addons import endpoints
from components.addons.base import namespace
from components.addons.ingress import ACCESS_LABEL, route_filters
from components.labels import MANAGED, NAME_LABEL
from components.mesh import MERGED_METRICS_PORT, SIDECAR, MeshContext
from components.sizing import pod_footprint
from components.stores.base import STORE_LABEL, Footprint
from components.stores.stores import StoreContext, Stores, StoresArgs, footprints, ports
from components.stores.stores import service_count as store_services
from components.workload import Workload, WorkloadArgs, WorkloadPlatform, services, tracks
from components.workload_identity import POD_IDENTITY_AGENT_CIDR, POD_IDENTITY_AGENT_PORT
from shipyard.catalog import services as catalog_services
from shipyard.catalog.models import Application, route_port
from shipyard.catalog.services import Port
from shipyard.rules.network_policies import deny_all_but_dns

TYPE = "shipyard:apps:Tenant"
ISTIO_NAMESPACE = "istio-system"
ISTIOD_PORT = 15012                         # xDS and certificates for the sidecars
OTLP_GRPC_PORT, OTLP_HTTP_PORT = endpoints.OTLP_GRPC_PORT, endpoints.OTLP_HTTP_PORT
GENERATED_KEY = catalog_services.GENERATED_KEY   # the one key of a generated Secret


@dataclass(frozen=True)
class Routing:
    """The shared Gateway an application's routes attach to."""

    gateway_name: str
    gateway_namespace: str
    listeners: Sequence[str]                 # its HTTPS listeners serving the app's hostname
    hsts_max_age_seconds: int
    request_timeouts: bool = True            # the controller honours HTTPRoute timeouts


# ---------------------------------------------------------------------------------------------
# Pure builders


def gateway_duration(seconds: float) -> str:
    """A Gateway API Duration (GEP-2257: ``^([0-9]{1,5}(h|m|s|ms)){1,4}$``): whole seconds as
    ``30s``, anything finer in milliseconds (``1500ms``)."""
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000)}ms"


def namespace_labels(app: Application, *, routed: bool, mesh: bool) -> dict[str, str]:
    labels = {"app.kubernetes.io/part-of": app.name}
    if routed:
        labels[ACCESS_LABEL] = "true"
    if mesh:
        labels["istio-injection"] = "enabled"
    return labels


def footprint(app: Application, *, mesh: bool) -> dict[str, int]:
    """The most the application runs at once: every Deployment at its largest, plus one surge
    pod each for rollouts."""
    total = {"pods": 0, "requests.cpu": 0, "requests.memory": 0, "limits.cpu": 0,
             "limits.memory": 0}
    for name, svc in app.services.items():
        pod = pod_footprint(svc, mesh=mesh)
        for track in tracks(name, svc):
            pods = (svc.max_replicas if track.autoscaled else track.replicas) + 1
            total["pods"] += pods
            for key, value in pod.items():
                total[key] += pods * value
    return total


def _mi(value: int) -> str:
    return f"{math.ceil(value / 2**20)}Mi"


def quota_spec(app: Application, *, mesh: bool, stores: Sequence[Footprint] = (),
               store_services: int = 0) -> dict[str, Any]:
    """A quarter's headroom over the footprint (a canary or a manual scale-up fits) and the
    in-cluster stores' pods, no LoadBalancer or NodePort Services: traffic enters through the
    shared Gateway only."""
    need = footprint(app, mesh=mesh)
    for f in stores:
        need["pods"] += f.pods
        need["requests.cpu"] += f.requests_cpu
        need["requests.memory"] += f.requests_memory
        need["limits.cpu"] += f.limits_cpu
        need["limits.memory"] += f.limits_memory
    headroom = 1.25
    service_count = sum(len(services(n, s)) for n, s in app.services.items()) + store_services
    return {"hard": {
        "pods": str(math.ceil(need["pods"] * headroom)),
        "requests.cpu": f"{math.ceil(need['requests.cpu'] * headroom)}m",
        "requests.memory": _mi(int(need["requests.memory"] * headroom)),
        "limits.cpu": f"{math.ceil(need['limits.cpu'] * headroom)}m",
        "limits.memory": _mi(int(need["limits.memory"] * headroom)),
        "services": str(service_count + 5),
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }}


def limit_range_spec(app: Application, stores: Sequence[Footprint] = ()) -> dict[str, Any]:
    """Defaults for a container that declares nothing (an injected sidecar declares its own),
    and a ceiling no single container exceeds: the largest the catalog (or a store) asks for."""
    from shipyard.catalog.services import cpu_millis, memory_bytes

    cpu = max([cpu_millis(s.resources.limits.cpu) for s in app.services.values()]
              + [cpu_millis(SIDECAR["cpuLimit"])] + [f.max_container_cpu for f in stores])
    memory = max([memory_bytes(s.resources.limits.memory) for s in app.services.values()]
                 + [memory_bytes(SIDECAR["memoryLimit"])]
                 + [f.max_container_memory for f in stores])
    return {"limits": [{
        "type": "Container",
        "default": {"cpu": "500m", "memory": "512Mi"},
        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
        "max": {"cpu": f"{cpu}m", "memory": _mi(memory)},
    }]}


def _ports(ports: Sequence[int]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in sorted(set(ports))]


def _pods(name: str) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": {NAME_LABEL: name}}}


def routed_ports(app: Application, service: str) -> list[Port]:
    svc = app.services[service]
    found: dict[str, Port] = {}
    for route in app.routes:
        if route.service == service:
            port = route_port(svc, route)
            assert port is not None
            found[port.name] = port
    return list(found.values())


def anywhere_but(excepted: Sequence[str]) -> dict[str, Any]:
    """HTTPS anywhere (AWS's APIs, S3) but ``excepted``: the managed stores' subnets where
    they have their own (only a store's consumers reach those, on its port: Amazon MQ's
    management API listens on 443 there), never the subnets of the interface endpoints."""
    block: dict[str, Any] = {"cidr": "0.0.0.0/0"}
    if excepted:
        block["except"] = list(excepted)
    return {"ipBlock": block}


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def network_policies(app: Application, *, gateway_namespace: str | None,
                     store_cidrs: Sequence[str], mesh: bool,
                     monitoring_namespace: str | None = None,
                     tracing_namespace: str | None = None,
                     store_ports: Mapping[str, int] | None = None,
                     https_except: Sequence[str] = (),
                     pod_identity_agent: bool = False) -> dict[str, dict[str, Any]]:
    """Every NetworkPolicy of the tenant, by name: deny all, then allow what the catalog says.
    ``https_except``: what the HTTPS-anywhere rules leave out (``TenantPlatform``).
    ``pod_identity_agent``: the services that call AWS get their credentials from the node's
    EKS Pod Identity agent (``cluster.workloadIdentity: podIdentity``), so they may reach it."""
    policies: dict[str, dict[str, Any]] = deny_all_but_dns()
    if mesh:
        policies["allow-mesh-control-plane"] = {
            "podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": ISTIO_NAMESPACE}},
                "podSelector": {"matchLabels": {"app": "istiod"}}}],
                "ports": _ports([ISTIOD_PORT])}],
        }
    if tracing_namespace:
        policies["allow-traces-out"] = {
            "podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"to": [_namespace(tracing_namespace)],
                        "ports": _ports([OTLP_GRPC_PORT, OTLP_HTTP_PORT])}],
        }
    for name, svc in app.services.items():
        ingress: list[dict[str, Any]] = []
        egress: list[dict[str, Any]] = []
        metrics = svc.metrics_port
        if monitoring_namespace and (mesh or metrics is not None):
            # Prometheus scrapes the app's port, or in the mesh the sidecar's merged one
            port = MERGED_METRICS_PORT if mesh else metrics.port  # type: ignore[union-attr]
            ingress.append({"from": [_namespace(monitoring_namespace)],
                            "ports": _ports([port])})
        own_ports = [p.port for p in svc.ports]
        if svc.callers:
            ingress.append({"from": [_pods(c) for c in svc.callers],
                            "ports": _ports(own_ports)})
        routed = routed_ports(app, name)
        if routed and gateway_namespace:
            ingress.append({"from": [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": gateway_namespace}}}],
                "ports": _ports([p.port for p in routed])})
        for callee in app.callees(name):
            egress.append({"to": [_pods(callee)],
                           "ports": _ports([p.port for p in app.services[callee].ports])})
        for store_name in dict.fromkeys(u.store for u in svc.uses):
            store = app.stores[store_name]
            to: list[dict[str, Any]] = [{"podSelector": {"matchLabels": {
                STORE_LABEL: store_name}}}]
            if store.kind == "objectStorage":
                to = [anywhere_but(https_except)]            # S3's public endpoints
            else:
                to += [{"ipBlock": {"cidr": cidr}} for cidr in store_cidrs]
            port = (store_ports or {}).get(store_name, store.port)
            egress.append({"to": to, "ports": _ports([port])})
        if svc.aws and not any(app.stores[u.store].kind == "objectStorage" for u in svc.uses):
            egress.append({"to": [anywhere_but(https_except)], "ports": _ports([443])})
        if svc.aws and pod_identity_agent:
            egress.append({"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT_CIDR}}],
                           "ports": _ports([POD_IDENTITY_AGENT_PORT])})
        policy: dict[str, Any] = {"podSelector": {"matchLabels": {NAME_LABEL: name}},
                                  "policyTypes": []}
        if ingress:
            policy["policyTypes"].append("Ingress")
            policy["ingress"] = ingress
        if egress:
            policy["policyTypes"].append("Egress")
            policy["egress"] = egress
        if not policy["policyTypes"]:
            policy["policyTypes"] = ["Ingress"]      # nothing to allow: default-deny holds
        policies[name] = policy
    return policies


def _backends(app: Application, service: str, port: Port) -> list[dict[str, Any]]:
    svc = app.services[service]
    if svc.delivery.strategy == "canary":
        assert svc.delivery.canary is not None
        weight = svc.delivery.canary.weight
        return [{"name": service, "port": port.port, "weight": 100 - weight},
                {"name": f"{service}-canary", "port": port.port, "weight": weight}]
    return [{"name": service, "port": port.port}]


def http_route_spec(app: Application, *, host: str, routing: Routing) -> dict[str, Any]:
    """One rule per catalog route: path prefix to the service (the canary by its weight), the
    security headers, the service's request timeout; a blue-green service's preview slot is
    reached with its preview header."""
    rules: list[dict[str, Any]] = []
    filters = route_filters(routing.hsts_max_age_seconds)
    for route in app.routes:
        svc = app.services[route.service]
        port = route_port(svc, route)
        assert port is not None
        match = {"path": {"type": "PathPrefix", "value": route.path}}
        rule: dict[str, Any] = {"matches": [match],
                                "backendRefs": _backends(app, route.service, port),
                                "filters": filters}
        if svc.resilience.timeout_seconds is not None and routing.request_timeouts:
            rule["timeouts"] = {"request": gateway_duration(svc.resilience.timeout_seconds)}
        bg = svc.delivery.blue_green
        if bg is not None:
            rules.append({**rule, "matches": [{**match, "headers": [
                {"type": "Exact", "name": bg.preview_header, "value": "true"}]}],
                "backendRefs": [{"name": f"{route.service}-preview", "port": port.port}]})
        rules.append(rule)
    return {
        "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                        "name": routing.gateway_name, "namespace": routing.gateway_namespace,
                        "sectionName": listener} for listener in routing.listeners],
        "hostnames": [host],
        "rules": rules,
    }


def generated_secrets(app: Application) -> list[str]:
    return list(dict.fromkeys(s.name for svc in app.services.values() for s in svc.secrets
                              if s.generate))


# ---------------------------------------------------------------------------------------------
# The component


@dataclass(frozen=True)
class TenantPlatform:
    """What every tenant shares: built once from the settings (``compose.applications``),
    completed once by ``Applications`` with what the add-ons registered (the resources to
    wait for), and passed by reference."""

    workload: WorkloadPlatform                         # what each of its workloads shares
    image_repositories: Mapping[str, pulumi.Input[str]]  # image -> ECR repository URL
    mesh: MeshContext | None = None                    # None: no mesh (the Istio add-on off)
    store_cidrs: Sequence[str] = ()                    # where the managed stores live
    # what the HTTPS-anywhere rules leave out: the stores' subnets where they are an isolated
    # tier of their own (compose.stores.https_exceptions)
    https_except: Sequence[str] = ()
    monitoring_namespace: str | None = None            # None: no Prometheus
    tracing_namespace: str | None = None               # None: no trace collector
    stores: StoreContext | None = None                 # None: its stores are not created
    protect: bool = False                              # its namespace holds data
    route_needs: Sequence[pulumi.Resource] = ()        # what its route waits for (Addons')


@dataclass(frozen=True)
class TenantArgs:
    app: Application
    host: str                                          # its hostname, resolved
    platform: TenantPlatform                           # shared by every tenant
    routing: Routing | None = None                     # None: no shared Gateway


class Tenant(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    workloads: dict[str, Workload]
    stores: Stores | None
    url: str | None

    def __init__(self, name: str, args: TenantArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        app, platform = args.app, args.platform
        provider = platform.workload.provider
        mesh = platform.mesh if app.mesh else None
        routing = args.routing if app.routes else None
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=provider)

        self.namespace = namespace(
            name, app.name, parent=self, provider=provider,
            labels=namespace_labels(app, routed=routing is not None, mesh=mesh is not None),
            protect=platform.protect)
        ns = self.namespace.metadata.name
        store_settings = platform.stores.settings if platform.stores is not None else None
        store_footprints = footprints(app, store_settings) if store_settings else []

        def meta(object_name: str) -> dict[str, Any]:
            return {"name": object_name, "namespace": ns,
                    "labels": {"app.kubernetes.io/part-of": app.name, **MANAGED}}

        k8s.core.v1.ResourceQuota(f"{name}-quota", metadata=meta(app.name),
                                  spec=quota_spec(app, mesh=mesh is not None,
                                                  stores=store_footprints,
                                                  store_services=store_services(
                                                      app, store_settings)
                                                  if store_settings else 0),
                                  opts=k8s_opts)
        k8s.core.v1.LimitRange(f"{name}-limits", metadata=meta(app.name),
                               spec=limit_range_spec(app, store_footprints), opts=k8s_opts)
        for policy_name, spec in network_policies(
                app, gateway_namespace=routing.gateway_namespace if routing else None,
                store_cidrs=platform.store_cidrs, mesh=mesh is not None,
                monitoring_namespace=platform.monitoring_namespace,
                tracing_namespace=platform.tracing_namespace,
                store_ports=ports(app, store_settings) if store_settings else None,
                https_except=platform.https_except,
                pod_identity_agent=platform.workload.identity is not None
                and platform.workload.identity.pod_identity).items():
            k8s.networking.v1.NetworkPolicy(f"{name}-netpol-{policy_name}",
                                            metadata=meta(policy_name), spec=spec, opts=k8s_opts)

        secrets: dict[str, k8s.core.v1.Secret] = {}
        for secret_name in generated_secrets(app):
            value = random.RandomPassword(f"{name}-{secret_name}", length=48, special=False,
                                          opts=pulumi.ResourceOptions(parent=self))
            secrets[secret_name] = k8s.core.v1.Secret(
                f"{name}-{secret_name}-secret", metadata=meta(secret_name), type="Opaque",
                string_data={GENERATED_KEY: value.result}, opts=k8s_opts)

        self.stores = None
        if platform.stores is not None and app.stores:
            self.stores = Stores(f"{name}-stores", StoresArgs(
                app=app, context=platform.stores, namespace=ns, provider=provider,
                monitoring=platform.workload.monitoring,
                monitoring_namespace=platform.monitoring_namespace),
                opts=pulumi.ResourceOptions(parent=self))
        stores = self.stores

        self.workloads = {}
        for svc_name, svc in app.services.items():
            self.workloads[svc_name] = Workload(f"{name}-{svc_name}", WorkloadArgs(
                app=app, name=svc_name, service=svc,
                image_repository=platform.image_repositories[svc.image], namespace=ns,
                platform=platform.workload,
                routed_ports=tuple(routed_ports(app, svc_name)) if routing else (),
                gateway_namespace=routing.gateway_namespace if routing else None, mesh=mesh,
                stores=tuple(stores.mounts.get(svc_name, ())) if stores else (),
                stores_ready=tuple(stores.ready.get(svc_name, ())) if stores else (),
                aws_policy=stores.aws_policies.get(svc_name) if stores else None),
                opts=pulumi.ResourceOptions(parent=self))

        self.url = None
        if routing is not None:
            self.url = f"https://{args.host}"
            k8s.apiextensions.CustomResource(
                f"{name}-route", api_version="gateway.networking.k8s.io/v1", kind="HTTPRoute",
                metadata=meta(app.name), spec=http_route_spec(app, host=args.host,
                                                              routing=routing),
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(
                    depends_on=list(platform.route_needs))))
        self.register_outputs({"namespace": ns, "url": self.url})
