"""IRSA: an IAM role that exactly one Kubernetes service account may assume.

Every add-on or application that calls AWS gets its role from ``service_account_role`` — trust
scoped to ``system:serviceaccount:NS:NAME`` and the STS audience through the cluster's OIDC
provider, permissions from a least-privilege inline policy and/or named AWS-managed policies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shipyard.rules import iam


@dataclass(frozen=True)
class ServiceAccountRole:
    """The role, and the policy resources that give it its permissions: whatever uses the role
    right away (an EKS add-on) waits for ``grants`` too, else it starts without them."""

    role: aws.iam.Role
    grants: tuple[pulumi.Resource, ...]

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.role.arn


@dataclass(frozen=True)
class OidcProvider:
    """What IRSA needs of a cluster: its OIDC provider's ARN and issuer URL."""

    arn: pulumi.Input[str]
    issuer_url: pulumi.Input[str]


def service_account_role(
    name: str,
    *,
    oidc: OidcProvider,
    namespace: str,
    service_account: str,
    parent: pulumi.Resource,
    policy: pulumi.Input[str] | None = None,
    managed_policies: Sequence[str] = (),
    tags: Mapping[str, str] | None = None,
) -> ServiceAccountRole:
    """Create ``{name}-role`` (+ ``{name}-policy``, ``{name}-<managed>``) under ``parent``."""
    opts = pulumi.ResourceOptions(parent=parent)
    trust = pulumi.Output.all(oidc.arn, oidc.issuer_url).apply(
        lambda a: iam.irsa_trust(a[0], a[1], namespace, service_account))
    role = aws.iam.Role(
        f"{name}-role",
        assume_role_policy=trust,
        description=f"IRSA for {namespace}/{service_account}",
        tags={**(tags or {}), "Name": f"{name}-role",
              "shipyard.dev/service-account": f"{namespace}.{service_account}"},
        opts=opts,
    )
    grants: list[pulumi.Resource] = []
    if policy is not None:
        grants.append(aws.iam.RolePolicy(f"{name}-policy", role=role.name, policy=policy,
                                         opts=opts))
    for managed in managed_policies:
        grants.append(aws.iam.RolePolicyAttachment(
            f"{name}-{managed.rsplit('/', 1)[-1]}", role=role.name, policy_arn=managed,
            opts=opts))
    return ServiceAccountRole(role=role, grants=tuple(grants))
