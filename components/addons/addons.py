"""All cluster add-ons, in dependency order, each switched by its settings.

Order and waits: the Gateway API CRDs first; the AWS Load Balancer Controller before anything
that creates a LoadBalancer Service (its webhook fails closed); cert-manager after the Gateway
API CRDs (it reads them at start-up); the Gateway after its controller, the load balancer
controller and cert-manager; custom resources only after the release that installs their CRD.
Nothing else waits: independent add-ons install side by side.
"""

from __future__ import annotations

import pulumi

from components.addons.base import ClusterContext
from shipyard.settings import Settings

TYPE = "shipyard:addons:Addons"


class Addons(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Settings, ctx: ClusterContext,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        a = settings.addons
        child = pulumi.ResourceOptions(parent=self)
        del a, child  # used by the slots below
        self.gateway_api = None
        self.load_balancer_controller = None
        self.metrics_server = None
        self.cert_manager = None
        self.istio = None
        self.ingress = None
        self.external_dns = None
        self.karpenter = None
        # -- slot: gateway-api --
        # -- slot: load-balancer-controller --
        # -- slot: metrics-server --
        # -- slot: cert-manager --
        # -- slot: istio --
        # -- slot: ingress --
        # -- slot: external-dns --
        # -- slot: karpenter --
        self.register_outputs({})
