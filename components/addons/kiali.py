"""Kiali: the mesh's topology, health and traces, read from Prometheus, Tempo and Istio.

The ``kiali-server`` chart in istio-system (``endpoints.KIALI_NAMESPACE``, the namespace the
Istio add-on creates and Kiali's default home), Service ``kiali`` on 20001 at the root path.
It reads metrics from the monitoring add-on's Prometheus, traces from Tempo's query API over
HTTP (the tempo chart's Service has no gRPC query port) when tracing is on, and links to
Grafana (its in-cluster URL, and its public one when Grafana is exposed). Users log in with a
Kubernetes token (``auth.strategy: token``): the UI shows what their RBAC lets them see.
Two replicas behind a PodDisruptionBudget when highly available.

With ``addons.kiali.hostname`` the UI is served through the shared Gateway (the Istio add-on
then labels istio-system so the Gateway accepts the route); otherwise
``kubectl -n istio-system port-forward svc/kiali 20001``.
The user's ``values`` (addons.kiali.values) are laid over shipyard's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import ClusterContext, helm_release, merged_values
from components.addons.endpoints import (
    GRAFANA_URL,
    KIALI_NAMESPACE,
    KIALI_PORT,
    KIALI_SERVICE,
    PROMETHEUS_URL,
    TEMPO_URL,
)
from components.addons.ingress import Exposure, expose_ui

TYPE = "shipyard:addons:Kiali"
RELEASE = "kiali"
HA_REPLICAS = 2


# -- pure functions ---------------------------------------------------------------------------


def kiali_values(*, highly_available: bool, tracing: bool, host: str | None = None,
                 grafana_external_url: str | None = None) -> dict[str, Any]:
    """The ``kiali-server`` chart's values (2.29; keys as in Kiali's config)."""
    grafana: dict[str, Any] = {"enabled": True, "internal_url": GRAFANA_URL}
    if grafana_external_url:
        grafana["external_url"] = grafana_external_url
    tracing_config: dict[str, Any] = {"enabled": tracing}
    if tracing:
        tracing_config.update({"provider": "tempo", "internal_url": TEMPO_URL,
                               "use_grpc": False})
    deployment: dict[str, Any] = {
        "instance_name": KIALI_SERVICE,
        "replicas": HA_REPLICAS if highly_available else 1,
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"},
                      "limits": {"memory": "1Gi"}},
    }
    if highly_available:
        deployment["pod_disruption_budget"] = {"spec": {"minAvailable": 1}}
    server: dict[str, Any] = {"port": KIALI_PORT, "web_root": "/"}
    if host:
        server.update({"web_fqdn": host, "web_schema": "https"})
    return {
        "auth": {"strategy": "token"},
        "deployment": deployment,
        "server": server,
        "external_services": {
            "prometheus": {"enabled": True, "url": PROMETHEUS_URL},
            "tracing": tracing_config,
            "grafana": grafana,
        },
    }


# -- component --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KialiArgs:
    ctx: ClusterContext
    highly_available: bool
    tracing: bool                         # the tracing add-on (Tempo) is installed
    host: str | None = None               # the UI's public host; None: port-forward only
    grafana_external_url: str | None = None
    exposure: Exposure | None = None
    # istio-system as the Istio add-on's Namespace resource names it: an Output, so the
    # release and the route wait for the namespace without an explicit depends_on
    namespace: pulumi.Input[str] = KIALI_NAMESPACE
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()


class Kiali(pulumi.ComponentResource):
    namespace_name: str
    release: k8s.helm.v3.Release
    route: k8s.apiextensions.CustomResource | None
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: KialiArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ctx = args.ctx
        self.namespace_name = KIALI_NAMESPACE
        own = kiali_values(highly_available=args.highly_available, tracing=args.tracing,
                           host=args.host, grafana_external_url=args.grafana_external_url)
        # istio-system comes from the Istio add-on. No wait for istiod: Kiali polls the
        # mesh's state and shows istiod's health itself.
        self.release = helm_release(
            name, "kiali-server", release_name=RELEASE, namespace_name=args.namespace,
            values=merged_values(own, args.values), parent=self, provider=ctx.provider,
            depends_on=args.after)
        self.route = None
        self.url = f"https://{args.host}" if args.host and args.exposure is not None else None
        if args.host and args.exposure is not None:
            self.route = expose_ui(name, args.exposure, namespace_name=args.namespace,
                                   host=args.host, service=KIALI_SERVICE, port=KIALI_PORT,
                                   parent=self, provider=ctx.provider, after=args.after)
        self.ready = [self.release]
        self.register_outputs({"namespace": KIALI_NAMESPACE,
                               "url": self.url})
