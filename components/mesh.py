"""The Istio mesh around a workload: its sidecar, and the mesh objects a mesh service gets.

A DestinationRule (mutual TLS, connection pool, outlier detection), a VirtualService (timeouts,
retries, canary weights), an AuthorizationPolicy that admits only its declared callers and the
Gateway, and where the Gateway is outside the mesh a port-level PERMISSIVE PeerAuthentication on
its routed ports. Pure functions of the catalog; ``components/workload.py`` registers them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.labels import NAME_LABEL
from shipyard.catalog.models import Application
from shipyard.catalog.services import Port, Service
from shipyard.config.addons import SIDECAR_LIMITS, SIDECAR_REQUESTS

TRUST_DOMAIN = "cluster.local"
MERGED_METRICS_PORT = 15020                   # a sidecar serves the app's metrics merged here


def sidecar(cpu: str = SIDECAR_REQUESTS["cpu"],
            memory: str = SIDECAR_REQUESTS["memory"]) -> dict[str, str]:
    """The Envoy sidecar's requests (the environment's: ``addons.istio.sidecarRequests``) and
    its limits (always these; Istio's default limit is 2 CPUs / 1 GiB a pod)."""
    return {"cpu": cpu, "memory": memory, "cpuLimit": SIDECAR_LIMITS["cpu"],
            "memoryLimit": SIDECAR_LIMITS["memory"]}


# shipyard's own sidecar, the one the catalogs' requests are stated beside (prod's)
SIDECAR = sidecar()


def sidecar_annotations(proxy: Mapping[str, str] = SIDECAR) -> dict[str, str]:
    """What the injector reads a pod's sidecar resources from."""
    return {
        "sidecar.istio.io/proxyCPU": proxy["cpu"],
        "sidecar.istio.io/proxyMemory": proxy["memory"],
        "sidecar.istio.io/proxyCPULimit": proxy["cpuLimit"],
        "sidecar.istio.io/proxyMemoryLimit": proxy["memoryLimit"],
    }




@dataclass(frozen=True)
class MeshContext:
    """The Istio mesh, for applications that join it."""

    strict: bool                             # mesh-wide STRICT mTLS
    gateway_in_mesh: bool                    # the shared Gateway's proxies are mesh members
    crds: Sequence[pulumi.Resource] = ()     # installs Istio's CRDs (istio-base)
    injector: Sequence[pulumi.Resource] = ()  # serves the sidecar injector (istiod)
    # the sidecar's requests and limits in this environment (``sidecar``)
    sidecar: Mapping[str, str] = field(default_factory=sidecar)


def proxy_config(svc: Service) -> str:
    """The sidecar's shutdown follows the app's: the app starts once its proxy is ready, and
    the proxy keeps serving through the preStop sleep and until the app's last connection
    closes (whether or not Istio runs it as a native sidecar)."""
    return json.dumps({
        "holdApplicationUntilProxyStarts": True,
        "terminationDrainDuration": f"{svc.shutdown.pre_stop_seconds + 5}s",
        "proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": "true"},
    }, sort_keys=True)


def principal(namespace: str, service_account: str) -> str:
    return f"{TRUST_DOMAIN}/ns/{namespace}/sa/{service_account}"


def host(app: Application, service_name: str) -> str:
    return f"{service_name}.{app.name}.svc.cluster.local"


def _duration(seconds: float) -> str:
    return f"{seconds:g}s" if seconds >= 1 else f"{int(seconds * 1000)}ms"


def destination_rule_spec(app: Application, service_name: str, svc: Service) -> dict[str, Any]:
    """Connection-pool limits and outlier detection (Istio's circuit breaking): the catalog's,
    else shipyard's defaults, so every mesh service has them."""
    from shipyard.catalog.services import ConnectionPool, OutlierDetection

    pool = svc.resilience.connection_pool or ConnectionPool()
    outlier = svc.resilience.outlier_detection or OutlierDetection()
    return {
        "host": host(app, service_name),
        "trafficPolicy": {
            "tls": {"mode": "ISTIO_MUTUAL"},
            "connectionPool": {
                "tcp": {"maxConnections": pool.max_connections, "connectTimeout": "2s"},
                "http": {"http1MaxPendingRequests": pool.http1_max_pending_requests,
                         "http2MaxRequests": pool.http2_max_requests,
                         "maxRequestsPerConnection": pool.max_requests_per_connection},
            },
            "outlierDetection": {
                "consecutive5xxErrors": outlier.consecutive_5xx_errors,
                "interval": _duration(outlier.interval_seconds),
                "baseEjectionTime": _duration(outlier.base_ejection_seconds),
                "maxEjectionPercent": outlier.max_ejection_percent,
            },
        },
    }


def virtual_service_spec(app: Application, name: str, svc: Service) -> dict[str, Any] | None:
    """East-west routing inside the mesh: the request timeout, retries, and the canary's
    weight. None when there is nothing to say."""
    res, delivery = svc.resilience, svc.delivery
    if res.timeout_seconds is None and res.retries is None and delivery.strategy != "canary":
        return None
    if delivery.strategy == "canary":
        assert delivery.canary is not None
        weight = delivery.canary.weight
        route = [{"destination": {"host": host(app, name)}, "weight": 100 - weight},
                 {"destination": {"host": host(app, f"{name}-canary")}, "weight": weight}]
    else:
        route = [{"destination": {"host": host(app, name)}}]
    http: dict[str, Any] = {"route": route}
    if res.timeout_seconds is not None:
        http["timeout"] = _duration(res.timeout_seconds)
    if res.retries is not None:
        retries: dict[str, Any] = {"attempts": res.retries.attempts,
                                   "retryOn": res.retries.retry_on}
        if res.retries.per_try_timeout_seconds is not None:
            retries["perTryTimeout"] = _duration(res.retries.per_try_timeout_seconds)
        http["retries"] = retries
    return {"hosts": [host(app, name)], "http": [http]}


def authorization_policy_spec(app: Application, name: str, svc: Service, *,
                              routed_ports: Sequence[Port], gateway_namespace: str | None,
                              gateway_in_mesh: bool) -> dict[str, Any]:
    """ALLOW only the declared callers (by their mesh identity) on the service's ports, and the
    Gateway on its routed ports; an ALLOW policy denies everything else. A Gateway outside the
    mesh has no identity: its plain-text requests are admitted by port alone (the
    NetworkPolicy admits them only from the Gateway's namespace), and only as plain text: a
    mesh workload that is not a declared caller is refused there too."""
    rules: list[dict[str, Any]] = []
    ports = [str(p.port) for p in svc.ports]
    if svc.callers:
        rules.append({"from": [{"source": {"principals": [
            principal(app.name, caller) for caller in svc.callers]}}],
            "to": [{"operation": {"ports": ports}}]})
    if routed_ports:
        to = [{"operation": {"ports": [str(p.port) for p in routed_ports]}}]
        if gateway_in_mesh and gateway_namespace:
            rules.append({"from": [{"source": {"namespaces": [gateway_namespace]}}], "to": to})
        else:
            # requests without a mesh identity only: another mesh workload is no gateway
            rules.append({"from": [{"source": {"notPrincipals": ["*"]}}], "to": to})
    return {"selector": {"matchLabels": {NAME_LABEL: name}}, "action": "ALLOW",
            "rules": rules}


def permissive_ports_spec(name: str, routed_ports: Sequence[Port]) -> dict[str, Any]:
    """The Gateway's proxies are outside the mesh: accept their plain text on the routed ports
    (everything else stays mutual TLS)."""
    return {"selector": {"matchLabels": {NAME_LABEL: name}},
            "portLevelMtls": {str(p.port): {"mode": "PERMISSIVE"} for p in routed_ports}}
