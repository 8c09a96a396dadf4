"""A cluster shipyard did not create (seed 000 runs dev on Minikube): only a provider to it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

TYPE = "shipyard:cluster:ExistingCluster"


@dataclass(frozen=True)
class ExistingClusterArgs:
    kubeconfig: pulumi.Input[str] | None  # a secret Output
    context: str | None


class ExistingCluster(pulumi.ComponentResource):
    """Exposes what the in-cluster layer needs (``provider``, ``kubeconfig``), like Cluster.

    It may be no EKS cluster at all (Minikube), and shipyard knows neither its OIDC provider nor
    whether it runs the EKS Pod Identity agent: no pod gets an AWS role on it (``identity`` is
    None), so nothing that calls AWS is deployed onto it."""

    provider: k8s.Provider
    kubeconfig: pulumi.Output[str] | None
    identity = None

    def __init__(self, name: str, args: ExistingClusterArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self.kubeconfig = (pulumi.Output.secret(args.kubeconfig)
                           if args.kubeconfig is not None else None)
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig, context=args.context,
            enable_server_side_apply=True, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})
