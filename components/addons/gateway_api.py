"""The Gateway API CRDs (standard channel), applied from the pinned release bundle.

Every Gateway API implementation and consumer (NGINX Gateway Fabric, Istio, cert-manager's
gateway-shim, external-dns) reads these CRDs at start-up, so they are the first add-on and
everything that uses them waits for ``ready``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import ClusterContext
from shipyard.versions import GATEWAY_API_CRDS

TYPE = "shipyard:addons:GatewayApi"


@dataclass(frozen=True)
class GatewayApiArgs:
    ctx: ClusterContext
    manifest: str = GATEWAY_API_CRDS
    after: Sequence[pulumi.Resource] = ()


class GatewayApi(pulumi.ComponentResource):
    crds: k8s.yaml.v2.ConfigFile
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: GatewayApiArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        # Server-side apply (the provider's default) – the bundle's CRDs are too large for the
        # last-applied annotation of a client-side apply.
        self.crds = k8s.yaml.v2.ConfigFile(
            f"{name}-crds",
            file=args.manifest,
            opts=pulumi.ResourceOptions(parent=self, provider=args.ctx.provider,
                                        depends_on=list(args.after)),
        )
        self.ready = [self.crds]
        self.register_outputs({})
