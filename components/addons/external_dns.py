"""external-dns: Route53 records for the hostnames of Gateway API routes, in the stack's zone.

It reads HTTPRoutes and GRPCRoutes (``gateway.networking.k8s.io/v1``). Not TCPRoute/UDPRoute:
external-dns 0.21 reads those at ``v1alpha2``, which the standard-channel Gateway API CRDs do
not serve. It writes only into the stack's hosted zone (``--zone-id-filter`` and a role
policy naming that zone alone) and only records its TXT registry says it owns
(``txtOwnerId`` = the cluster's name), so two clusters can share a zone without fighting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.addons.base import (
    ClusterContext,
    helm_release,
    merged_values,
    namespace,
)
from components.workload_identity import service_account_role
from shipyard.rules import iam

TYPE = "shipyard:addons:ExternalDns"
NAMESPACE = "external-dns"
RELEASE_NAME = "external-dns"
SERVICE_ACCOUNT = "external-dns"
SOURCES = ("gateway-httproute", "gateway-grpcroute")


# -- pure functions ---------------------------------------------------------------------------


def _prefixed(prefix: str, value: pulumi.Input[str]) -> pulumi.Input[str]:
    return f"{prefix}{value}" if isinstance(value, str) else pulumi.Output.concat(prefix, value)


def external_dns_values(*, domain: str, owner_id: str, policy: str,
                        zone_id: pulumi.Input[str], region: str,
                        annotations: Mapping[str, pulumi.Input[str]] | None = None,
                        pod_annotations: Mapping[str, str] | None = None,
                        service_account: str = SERVICE_ACCOUNT) -> dict[str, Any]:
    """The external-dns chart's values (keys as in its values.yaml, chart 1.21).
    ``annotations``: the service account's (IRSA's role ARN; none with Pod Identity);
    ``pod_annotations``: its pods' (the workload identity: a switch rolls them)."""
    account: dict[str, Any] = {"create": True, "name": service_account}
    if annotations:
        account["annotations"] = dict(annotations)
    return {
        "provider": {"name": "aws"},
        "sources": list(SOURCES),
        "domainFilters": [domain],
        "txtOwnerId": owner_id,
        # Always explicit: the chart's next release drops the default.
        "policy": policy,
        "registry": "txt",
        "extraArgs": ["--aws-zone-type=public", _prefixed("--zone-id-filter=", zone_id)],
        # Pods cannot reach IMDS (hop limit 1), so the region is given.
        "env": [{"name": "AWS_DEFAULT_REGION", "value": region}],
        "serviceAccount": account,
        **({"podAnnotations": dict(pod_annotations)} if pod_annotations else {}),
    }


def external_dns_policy(zone_id: str, partition: str = "aws") -> str:
    """Record changes in the stack's zone only; route53:ListHostedZones takes no resource-level
    permissions (Service Authorization Reference), so "*" is the only resource AWS allows it."""
    return iam.document(
        iam.allow(["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets",
                   "route53:ListTagsForResources"],
                  [f"arn:{partition}:route53:::hostedzone/{zone_id}"]),
        iam.allow(["route53:ListHostedZones"], "*"),
    )


# -- component --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExternalDnsArgs:
    ctx: ClusterContext
    owner_id: str
    policy: str
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()


class ExternalDns(pulumi.ComponentResource):
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: ExternalDnsArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ctx = args.ctx
        if ctx.identity is None or ctx.zone_id is None or not ctx.domain:
            raise ValueError("external-dns needs an EKS cluster (its AWS role) and the stack's "
                             "hosted zone")
        self.role = service_account_role(
            name, identity=ctx.identity, namespace=NAMESPACE, service_account=SERVICE_ACCOUNT,
            parent=self, policy=pulumi.Output.from_input(ctx.zone_id).apply(external_dns_policy),
            tags=ctx.tags, former=f"{name}-irsa")
        self.namespace = namespace(name, NAMESPACE, parent=self, provider=ctx.provider)
        own = external_dns_values(domain=ctx.domain, owner_id=args.owner_id, policy=args.policy,
                                  zone_id=ctx.zone_id, region=ctx.region,
                                  annotations=self.role.annotations,
                                  pod_annotations=self.role.pod_annotations)
        # After the Gateway API CRDs: its informers for HTTPRoute/GRPCRoute fail without them;
        # and after its role's association and policy: its first Route53 calls succeed.
        self.release = helm_release(
            name, "external-dns", release_name=RELEASE_NAME,
            namespace_name=self.namespace.metadata.name,
            values=merged_values(own, args.values), parent=self, provider=ctx.provider,
            depends_on=[*args.after, *self.role.ready])
        self.ready: list[pulumi.Resource] = [self.release]
        self.register_outputs({})
