"""metrics-server: the resource metrics API (``metrics.k8s.io``) that HorizontalPodAutoscalers
(istiod's among them) and ``kubectl top`` read.

One pinned chart in kube-system, next to the other cluster-critical components (the chart sets
``system-cluster-critical``; its pod already runs as non-root with a RuntimeDefault seccomp
profile). Outside dev two replicas spread over nodes behind a PodDisruptionBudget, so a node
drain never takes the metrics API - and with it every HPA's decisions - away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import ClusterContext, helm_release, merged_values

TYPE = "shipyard:addons:MetricsServer"
NAMESPACE = "kube-system"
RELEASE = "metrics-server"


@dataclass(frozen=True)
class MetricsServerArgs:
    ctx: ClusterContext
    highly_available: bool             # two replicas and a PodDisruptionBudget
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()


def metrics_server_values(*, highly_available: bool) -> dict[str, Any]:
    """The ``metrics-server`` chart's values."""
    values: dict[str, Any] = {
        "replicas": 2 if highly_available else 1,
        "podDisruptionBudget": {"enabled": highly_available},
        "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}},
    }
    if highly_available:
        values["podDisruptionBudget"]["minAvailable"] = 1
        values["topologySpreadConstraints"] = [{
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "metrics-server",
                                              "app.kubernetes.io/instance": RELEASE}},
        }]
    return values


class MetricsServer(pulumi.ComponentResource):
    release: k8s.helm.v3.Release
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: MetricsServerArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self.release = helm_release(
            name, "metrics-server", release_name=RELEASE, namespace_name=NAMESPACE,
            values=merged_values(metrics_server_values(highly_available=args.highly_available),
                                 args.values),
            parent=self, provider=args.ctx.provider, depends_on=args.after)
        self.ready = [self.release]
        self.register_outputs({})
