"""The RabbitMQ Cluster Operator: the operator behind in-cluster RabbitMQ stores.

RabbitMQ's own operator (the Bitnami chart's images went behind a subscription in 2025); the
clusters it creates run Docker Hub's official ``rabbitmq`` image. Installed only when a hosted
application has an in-cluster RabbitMQ store (dev, existing-cluster mode).

There is no official Helm chart: each release publishes one manifest, ``cluster-operator.yml``
(the ``rabbitmq-system`` namespace, the RabbitmqCluster CRD, RBAC, the Deployment and, since
v2.22.0, a mutating and a validating webhook whose serving certificate comes from a
cert-manager Issuer and Certificate in that namespace). It is applied as published with
``yaml/v2 ConfigFile`` from the pinned release URL, after cert-manager (its CRDs and webhook).
Offline the manifest is not fetched: the plan lists the ConfigFile under ``unchecked``
(``offline/harness.py``) instead of claiming it was validated.

Not installed: the Messaging Topology Operator (Users and Permissions as resources). Its
release manifest declares the same ``rabbitmq-system`` Namespace with other labels, which two
ConfigFiles cannot both own (server-side apply conflicts); see ``components/stores/rabbitmq.py``
for what that means for credentials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import ClusterContext
from shipyard.versions import RABBITMQ_CLUSTER_OPERATOR

KIND = "rabbitmq"                   # the store kind it serves
TYPE = "shipyard:addons:RabbitMqOperator"
NAMESPACE = "rabbitmq-system"                        # fixed by the release manifest
# the operator's pods (config/manager/manager.yaml)
OPERATOR_POD_LABELS = {"app.kubernetes.io/name": "rabbitmq-cluster-operator"}
MANAGEMENT_PORT = 15672       # the operator calls each cluster's management API on it


@dataclass(frozen=True)
class RabbitMqOperatorArgs:
    ctx: ClusterContext
    manifest: str = RABBITMQ_CLUSTER_OPERATOR
    after: Sequence[pulumi.Resource] = ()            # cert-manager's release


class RabbitMqOperator(pulumi.ComponentResource):
    manifest: k8s.yaml.v2.ConfigFile
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: RabbitMqOperatorArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        # Server-side apply (the provider's default): the CRD is too large for a client-side
        # apply's last-applied annotation. Waits for cert-manager: the manifest's Issuer and
        # Certificate need its CRDs, the operator's pod its webhook certificate.
        self.manifest = k8s.yaml.v2.ConfigFile(
            f"{name}-manifest", file=args.manifest,
            opts=pulumi.ResourceOptions(parent=self, provider=args.ctx.provider,
                                        depends_on=list(args.after)))
        self.ready = [self.manifest]
        self.register_outputs({})
