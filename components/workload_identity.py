"""An IAM role that exactly one Kubernetes service account may assume: through EKS Pod Identity
(``shipyard:cluster.workloadIdentity: podIdentity``, the default) or IRSA (``irsa``).

Every add-on or application that calls AWS gets its role from ``service_account_role``:
permissions from a least-privilege inline policy and/or named AWS-managed policies, and a trust
that admits one service account of one cluster only.

- **Pod Identity**: the role trusts ``pods.eks.amazonaws.com`` (``sts:AssumeRole`` and the
  ``sts:TagSession`` it needs to pass its session tags), with conditions on those tags
  (cluster name, namespace, service account); an ``aws.eks.PodIdentityAssociation`` binds it to
  the service account. No OIDC provider, no annotation on the service account. An EKS managed
  add-on gets its association from the add-on itself (``associate=False``: the cluster hands
  the role to ``aws.eks.Addon``'s ``podIdentityAssociations``, and EKS refuses an add-on version
  that cannot use Pod Identity).
- **IRSA**: the role trusts the cluster's OIDC provider for ``system:serviceaccount:NS:NAME``
  and the STS audience; the service account carries the role's ARN in
  ``eks.amazonaws.com/role-arn`` (``ServiceAccountRole.annotations``).

Whatever starts pods under the service account waits for ``ServiceAccountRole.ready`` (the
association and the role's grants): Pod Identity's webhook injects credentials only into pods
created once the association exists, and a pod that starts before the policies are attached
runs without them.

A pod keeps the credentials it started with: switching a deployed stack between IRSA and Pod
Identity changes no pod by itself. So every pod template of a role's service account carries
``ServiceAccountRole.pod_annotations`` (``shipyard.dev/workload-identity: podIdentity|irsa``):
the switch changes the template, and its Deployment rolls once the association exists. While
pods started under IRSA may still run (``cluster.irsaTransition``: a stack deployed before Pod
Identity, and the EKS add-ons' pods, which shipyard cannot roll: docs/operations.md), each Pod
Identity role also trusts the cluster's OIDC provider for its service account, so those pods
keep refreshing their credentials until they restart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shipyard.rules import iam
from shipyard.rules.aws_names import SERVICE_ACCOUNT_TAG

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"   # IRSA's, on the service account
# On the pod template of every service account with a role: how its pods get their credentials
# (a switch of cluster.workloadIdentity rolls them).
IDENTITY_ANNOTATION = "shipyard.dev/workload-identity"
POD_IDENTITY, IRSA = "podIdentity", "irsa"
# Where a pod under Pod Identity gets its credentials: the EKS Pod Identity agent on its node
# (EKS User Guide, "Set up the Amazon EKS Pod Identity Agent": it listens on 169.254.170.23, and
# [fd00:ec2::23] on IPv6), over plain HTTP (the webhook sets AWS_CONTAINER_CREDENTIALS_FULL_URI
# to http://169.254.170.23/v1/credentials). A pod whose egress a NetworkPolicy restricts must be
# let out to it. Only the IPv4 address: shipyard's VPC and
# clusters are IPv4-only (no IPv6 CIDR, ipFamily ipv4), so no pod reaches the IPv6 one.
POD_IDENTITY_AGENT_CIDR = "169.254.170.23/32"
POD_IDENTITY_AGENT_PORT = 80


@dataclass(frozen=True)
class OidcProvider:
    """What IRSA needs of a cluster: its OIDC provider's ARN and issuer URL."""

    arn: pulumi.Input[str]
    issuer_url: pulumi.Input[str]


@dataclass(frozen=True)
class WorkloadIdentity:
    """How pods on this cluster get AWS roles: ``oidc`` set, IRSA; else EKS Pod Identity (and
    ``transition`` set: the roles also trust IRSA's provider, for pods started under IRSA)."""

    cluster_name: str                  # the trust's condition on the session tag eks-cluster-name
    cluster: pulumi.Input[str]         # the name through the cluster resource: associations wait
    oidc: OidcProvider | None = None
    transition: OidcProvider | None = None   # Pod Identity: IRSA's provider, still trusted

    @property
    def pod_identity(self) -> bool:
        return self.oidc is None

    @property
    def mode(self) -> str:
        return POD_IDENTITY if self.pod_identity else IRSA


@dataclass(frozen=True)
class ServiceAccountRole:
    """The role, the policy resources that give it its permissions, and (Pod Identity) the
    association that binds it to its service account."""

    role: aws.iam.Role
    grants: tuple[pulumi.Resource, ...]
    association: aws.eks.PodIdentityAssociation | None
    annotations: Mapping[str, pulumi.Input[str]]     # for the service account (IRSA's ARN)
    mode: str = POD_IDENTITY                         # podIdentity | irsa

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.role.arn

    @property
    def pod_annotations(self) -> dict[str, str]:
        """For its pods' template: a change of workload identity rolls them."""
        return {IDENTITY_ANNOTATION: self.mode}

    @property
    def ready(self) -> list[pulumi.Resource]:
        """What pods of the service account wait for: their credentials work from the start."""
        return [*([self.association] if self.association is not None else []), *self.grants]


def service_account_role(
    name: str,
    *,
    identity: WorkloadIdentity,
    namespace: str,
    service_account: str,
    parent: pulumi.Resource,
    policy: pulumi.Input[str] | None = None,
    managed_policies: Sequence[str] = (),
    tags: Mapping[str, str] | None = None,
    associate: bool = True,
    former: str | None = None,
) -> ServiceAccountRole:
    """Create ``{name}-role`` (+ ``{name}-policy``, ``{name}-<managed>``, and with Pod Identity
    ``{name}-pod-identity`` unless ``associate`` is false) under ``parent``. ``former``: the
    name these resources had before (aliases: an existing stack updates them in place)."""
    def opts(suffix: str) -> pulumi.ResourceOptions:
        aliases = [pulumi.Alias(name=f"{former}-{suffix}")] if former else None
        return pulumi.ResourceOptions(parent=parent, aliases=aliases)

    if identity.oidc is None:
        trust: pulumi.Input[str] = iam.pod_identity_trust(
            identity.cluster_name, namespace, service_account)
        how = "EKS Pod Identity"
        kept = identity.transition
        if kept is not None:
            # pods started under IRSA keep refreshing their credentials until they restart
            trust = pulumi.Output.all(kept.arn, kept.issuer_url).apply(
                lambda a, pod=trust: iam.merged(
                    pod, iam.irsa_trust(a[0], a[1], namespace, service_account)))
    else:
        oidc = identity.oidc
        trust = pulumi.Output.all(oidc.arn, oidc.issuer_url).apply(
            lambda a: iam.irsa_trust(a[0], a[1], namespace, service_account))
        how = "IRSA"
    role_tags = {**(tags or {}), "Name": f"{name}-role",
                 SERVICE_ACCOUNT_TAG: f"{namespace}.{service_account}"}
    role = aws.iam.Role(
        f"{name}-role", assume_role_policy=trust,
        description=f"{how} for {namespace}/{service_account}", tags=role_tags,
        opts=opts("role"))
    grants: list[pulumi.Resource] = []
    if policy is not None:
        grants.append(aws.iam.RolePolicy(f"{name}-policy", role=role.name, policy=policy,
                                         opts=opts("policy")))
    for managed in managed_policies:
        short = managed.rsplit("/", 1)[-1]
        grants.append(aws.iam.RolePolicyAttachment(
            f"{name}-{short}", role=role.name, policy_arn=managed, opts=opts(short)))
    association = None
    if identity.pod_identity and associate:
        association = aws.eks.PodIdentityAssociation(
            f"{name}-pod-identity", cluster_name=identity.cluster, namespace=namespace,
            service_account=service_account, role_arn=role.arn,
            tags={**(tags or {}), "Name": f"{name}-pod-identity"},
            opts=pulumi.ResourceOptions(parent=parent))
    annotations = {} if identity.pod_identity else {ROLE_ARN_ANNOTATION: role.arn}
    return ServiceAccountRole(role=role, grants=tuple(grants), association=association,
                              annotations=annotations, mode=identity.mode)
