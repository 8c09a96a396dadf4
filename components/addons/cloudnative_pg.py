"""CloudNativePG: the operator behind the in-cluster PostgreSQL stores (dev, existing clusters).

One pinned chart (``cloudnative-pg`` 0.29.0, operator 1.30.0) in ``cnpg-system``. The chart
installs the ``postgresql.cnpg.io`` CRDs from its templates and marks them
``helm.sh/resource-policy: keep``: uninstalling the operator never deletes the CRDs, and with
them every ``Cluster`` and its volumes. It watches every namespace (``config.clusterWide``), so
each tenant's ``Cluster``, ``Database`` and ``DatabaseRole`` objects live next to the services
that use them (components/stores/cnpg.py).

Its pods already meet Pod Security ``restricted`` (values.yaml: runAsNonRoot, uid 10001,
RuntimeDefault seccomp, no capabilities, read-only root), so the namespace enforces it. The
operator's validating and mutating webhooks fail closed (port 9443, opened from the control
plane like the load balancer controller's): the store objects wait for this release.

The operator drives failover of a multi-instance store (it promotes a replica when the primary
is lost), so it runs two replicas spread over nodes behind a PodDisruptionBudget when asked to
be highly available (leader election picks the active one). Like the other add-ons, no
NetworkPolicy of its own: the stores' policies admit it (ports 8000 and 5432).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import ClusterContext, helm_release, merged_values, namespace

TYPE = "shipyard:addons:CloudNativePg"
NAMESPACE = "cnpg-system"
RELEASE_NAME = "cloudnative-pg"     # with the chart's name, also its objects' full name
HA_REPLICAS = 2
# the chart's selector labels (templates/_helpers.tpl, cloudnative-pg.selectorLabels)
OPERATOR_LABELS = {"app.kubernetes.io/name": "cloudnative-pg",
                   "app.kubernetes.io/instance": RELEASE_NAME}
STATUS_PORT = 8000                  # the instance manager's status endpoint the operator polls
KIND = "postgresql"                 # the store kind it runs


@dataclass(frozen=True)
class CloudNativePgArgs:
    ctx: ClusterContext
    highly_available: bool
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()


def cloudnative_pg_values(*, replicas: int) -> dict[str, Any]:
    """The ``cloudnative-pg`` chart's values (keys as in its values.yaml at 0.29.0)."""
    values: dict[str, Any] = {
        "replicaCount": replicas,
        # the chart owns the CRDs (kept on uninstall: see the module docstring)
        "crds": {"create": True},
        # every namespace: the stores live in the tenants' namespaces
        "config": {"clusterWide": True},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "500m", "memory": "512Mi"}},
        # its own PodMonitor would need the Prometheus CRDs before it installs; the stores'
        # PodMonitors are what matter
        "monitoring": {"podMonitorEnabled": False},
    }
    if replicas > 1:
        values["topologySpreadConstraints"] = [{
            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": dict(OPERATOR_LABELS)},
        }]
    return values


def pdb_spec() -> dict[str, Any]:
    """The chart has no PodDisruptionBudget: one replica stays through a node drain."""
    return {"minAvailable": 1, "selector": {"matchLabels": dict(OPERATOR_LABELS)}}


class CloudNativePg(pulumi.ComponentResource):
    release: k8s.helm.v3.Release
    ready: list[pulumi.Resource]
    namespace_name: str

    def __init__(self, name: str, args: CloudNativePgArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        provider = args.ctx.provider
        ns = namespace(name, NAMESPACE, parent=self, provider=provider)
        replicas = HA_REPLICAS if args.highly_available else 1
        self.release = helm_release(
            name, "cloudnative-pg", release_name=RELEASE_NAME,
            namespace_name=ns.metadata.name,
            values=merged_values(cloudnative_pg_values(replicas=replicas), args.values),
            parent=self, provider=provider, depends_on=args.after)
        if replicas > 1:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata={"name": RELEASE_NAME, "namespace": ns.metadata.name,
                          "labels": {**OPERATOR_LABELS,
                                     "app.kubernetes.io/managed-by": "shipyard"}},
                spec=pdb_spec(),
                opts=pulumi.ResourceOptions(parent=self, provider=provider))
        self.namespace_name = NAMESPACE
        # what the stores' custom resources wait for: the CRDs and the webhooks serving
        self.ready = [self.release]
        self.register_outputs({})
