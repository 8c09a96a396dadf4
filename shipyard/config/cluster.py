"""``shipyard:cluster``: the EKS cluster (or an existing one) and its managed node groups."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from shipyard.config.base import IamArns, Int, Model, Problem, label_key, label_value, unique
from shipyard.config.network import retention_period, strict_cidrs
from shipyard.rules import aws_names

# Kubernetes versions in Amazon EKS standard support in November 2026 (1.34 leaves it on
# 2026-12-02; 1.35 runs to 2027-03-27, 1.36 to 2027-08-02).
EKS_VERSIONS = ("1.34", "1.35", "1.36")
EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# An EC2 instance type: FAMILY.SIZE (m7g.large, c6i.2xlarge, r5d.metal, m7i.metal-24xl,
# u-6tb1.metal, mac2-m2pro.metal, u7i-12tb.224xlarge).
INSTANCE_TYPE = re.compile(r"^(u-[0-9]+tb[0-9]+|[a-z]+[0-9]+[a-z0-9-]*)\."
                           r"(nano|micro|small|medium|large|[1-9][0-9]*xlarge|xlarge|"
                           r"metal(-[1-9][0-9]*xl)?)$")
# EKS node groups: label keys and values 1-63 characters, taint keys 1-63, values 0-63, at most
# 50 taints; the kubelet registers no node label in the kubernetes.io and k8s.io namespaces
# but its own (kubelet.kubernetes.io/*, node.kubernetes.io/*).
EKS_LABEL_MAX = 63
EKS_MAX_TAINTS = 50
_KUBELET_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")


def check_instance_types(v: list[str]) -> list[str]:
    for i, name in enumerate(v):
        if not INSTANCE_TYPE.match(name):
            raise Problem(f"[{i}]", name, f"{name!r} is not an EC2 instance type (FAMILY.SIZE, "
                                          f"e.g. m7g.large, c6i.2xlarge)")
    return unique(v)


def node_labels(v: dict[str, str]) -> dict[str, str]:
    """Node labels as Kubernetes and EKS accept them (the key named, the value as written)."""
    for key, value in v.items():
        try:
            label_key(key)
        except ValueError as exc:
            raise Problem(key, key, str(exc)) from None
        prefix = key.rpartition("/")[0]
        if len(key) > EKS_LABEL_MAX:
            raise Problem(key, key, f"EKS takes label keys of at most {EKS_LABEL_MAX} "
                                    f"characters, prefix included")
        if prefix.endswith(("kubernetes.io", "k8s.io")) and \
                not prefix.endswith(_KUBELET_NAMESPACES):
            raise Problem(key, key, "the kubelet registers no label in the kubernetes.io or "
                                    "k8s.io namespaces but kubelet.kubernetes.io/* and "
                                    "node.kubernetes.io/*")
        if not isinstance(value, str) or not value:
            raise Problem(key, value, "EKS takes label values of 1-63 characters")
        try:
            label_value(value)
        except ValueError as exc:
            raise Problem(key, value, str(exc)) from None
    return v


NodeLabels = Annotated[dict[str, str], AfterValidator(node_labels)]


class ClusterMode(StrEnum):
    EKS = "eks"
    EXISTING = "existing"


class Taint(Model):
    key: str = Field(description="Taint key: a Kubernetes label key of 1-63 characters.")
    value: str = Field("", description="Taint value: a Kubernetes label value (0-63).")
    effect: Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"] = Field(
        description="Taint effect, as EKS spells it.")

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        label_key(v)
        if len(v) > EKS_LABEL_MAX:
            raise ValueError(f"EKS takes taint keys of at most {EKS_LABEL_MAX} characters")
        return v

    @field_validator("value")
    @classmethod
    def _value(cls, v: str) -> str:
        return label_value(v)


def check_taints(v: list[Taint]) -> list[Taint]:
    """At most 50; Kubernetes refuses two taints with one key and effect."""
    if len(v) > EKS_MAX_TAINTS:
        raise ValueError(f"EKS takes at most {EKS_MAX_TAINTS} taints per node group")
    seen: dict[tuple[str, str], int] = {}
    for i, taint in enumerate(v):
        if (taint.key, taint.effect) in seen:
            raise Problem(f"[{i}]", taint.model_dump(by_alias=True),
                          f"a taint with key {taint.key!r} and effect {taint.effect} is listed "
                          f"twice (also [{seen[taint.key, taint.effect]}])")
        seen[taint.key, taint.effect] = i
    return v


class NodeGroupSettings(Model):
    instance_types: Annotated[list[str], AfterValidator(check_instance_types)] = Field(
        min_length=1, description="EC2 instance types (FAMILY.SIZE: m7g.large), each once.")
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field("ON_DEMAND",
                                                       description="ON_DEMAND or SPOT.")
    min_size: Int = Field(ge=0, description="Fewest nodes.")
    desired_size: Int = Field(ge=0, description="Nodes at creation (autoscalers move it).")
    max_size: Int = Field(ge=1, description="Most nodes.")
    labels: NodeLabels = Field(
        default_factory=dict, description="Kubernetes node labels: keys of at most 63 "
                                          "characters (prefix included; not in kubernetes.io or "
                                          "k8s.io but kubelet's), values of 1-63.")
    taints: Annotated[list[Taint], AfterValidator(check_taints)] = Field(
        default_factory=list, description="Kubernetes node taints (at most 50, one per key and "
                                          "effect).")
    disk_size_gb: Int = Field(50, ge=20, le=16384, description="Encrypted gp3 root volume (GiB).")
    ami_type: Literal["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD",
                      "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64"] = Field(
        "AL2023_x86_64_STANDARD", description="EKS AMI type.")

class ClusterSettings(Model):
    mode: ClusterMode = Field(
        ClusterMode.EKS, description="eks: create the VPC and an EKS cluster; existing: deploy "
                                     "the in-cluster layer onto a cluster you already have.")
    name: str | None = Field(None, description=f"EKS cluster name, and the prefix of the AWS "
                                               f"names derived from it: "
                                               f"{aws_names.CLUSTER_NAME_RULE}; unset: "
                                               f"PROJECT-STACK.")
    version: str = Field("1.35", description=f"Kubernetes version (EKS standard support: "
                                             f"{', '.join(EKS_VERSIONS)}).")
    endpoint_public_access: bool = Field(
        False, description="Expose the API server endpoint publicly (the private endpoint is "
                           "always on).")
    public_access_cidrs: list[str] = Field(
        default_factory=list, description="CIDRs allowed to the public endpoint (required when "
                                          "it is on; never 0.0.0.0/0 in prod).")
    private_access_cidrs: list[str] = Field(
        default_factory=list,
        description="CIDRs allowed to the private API endpoint (443, cluster security group): "
                    "where `pulumi up` and kubectl run inside the network (a self-hosted CI "
                    "runner, a VPN); unset: the VPC's own CIDR.")
    log_types: Annotated[list[Literal[EKS_LOG_TYPES]],  # type: ignore[valid-type]
                         AfterValidator(unique)] = Field(
        default_factory=lambda: list(EKS_LOG_TYPES),
        description="Control-plane log types sent to CloudWatch.")
    log_retention_days: Int = Field(365, description="Days the control-plane logs are kept.")
    admins: IamArns = Field(default_factory=list,
                            description="IAM role/user ARNs given cluster-admin access entries, "
                                        "each once (an entry is named by the role's or user's "
                                        "name).")
    deletion_protection: bool = Field(True, description="EKS deletion protection.")
    workload_identity: Literal["podIdentity", "irsa"] = Field(
        "podIdentity",
        description="How add-ons and services that call AWS get their IAM role: podIdentity (a "
                    "role trusting pods.eks.amazonaws.com and an EKS Pod Identity association "
                    "per service account; no OIDC provider) or irsa (the cluster's OIDC provider "
                    "and a role-arn annotation). eks mode only: on an existing cluster no pod "
                    "gets an AWS role.")
    irsa_transition: bool = Field(
        False,
        description="workloadIdentity podIdentity on a stack deployed under IRSA: keep the "
                    "cluster's OIDC provider and let each role also trust its service account "
                    "through it, so pods started under IRSA (the EKS add-ons' aws-node and "
                    "ebs-csi-controller, which shipyard cannot restart) keep refreshing their "
                    "credentials until they restart; turn it off once every pod has "
                    "(docs/operations.md, \"From IRSA to Pod Identity\"). No effect with irsa.")
    auto_mode: bool = Field(
        False,
        description="EKS Auto Mode: EKS runs the compute (its built-in general-purpose and "
                    "system node pools), block storage and load balancing itself, so no managed "
                    "node groups, no Karpenter chart, no EBS CSI, VPC CNI, CoreDNS, kube-proxy "
                    "or Pod Identity agent add-ons and no load balancer controller (an explicit "
                    "addons.karpenter or addons.loadBalancerController enabled: true is refused). "
                    "eks mode only.")
    node_groups: dict[str, NodeGroupSettings] = Field(
        default_factory=dict, description="Managed node groups, keyed by name (none with "
                                          "autoMode).")
    prefix_delegation: bool = Field(
        False,
        description="The VPC CNI gives the nodes' network interfaces /28 prefixes instead of "
                    "single addresses (its ENABLE_PREFIX_DELEGATION, one warm prefix a node): "
                    "a managed node runs up to 110 pods (250 from 30 vCPUs), which EKS sets "
                    "itself, instead of its instance type's address limit (17 for a "
                    "t3a.medium). Needs free contiguous /28 blocks in the private subnets and "
                    "Nitro instance types; a node group keeps its nodes' limit until they are "
                    "replaced. eks mode, not with autoMode.")
    context: str | None = Field(
        None, description="existing mode: the kubeconfig context to use (else the secret "
                          "shipyard:kubeconfig).")

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if v not in EKS_VERSIONS:
            raise ValueError(f"{v} is not in EKS standard support; use one of "
                             f"{', '.join(EKS_VERSIONS)}")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        message = None if v is None else aws_names.cluster_name_problem(v)
        if message:
            raise ValueError(message)
        return v

    @field_validator("public_access_cidrs", "private_access_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        return unique(strict_cidrs(v))

    @field_validator("admins")
    @classmethod
    def _admins(cls, v: list[str]) -> list[str]:
        """Each admin's access entry is named by the ARN's last part (its role or user name):
        two ARNs ending alike would make two resources with one name."""
        seen: dict[str, int] = {}
        for i, arn in enumerate(v):
            key = arn.rsplit("/", 1)[-1]
            if key in seen:
                raise Problem(f"[{i}]", arn, f"listed twice, or another ARN with the name "
                                             f"{key!r} (also [{seen[key]}]): each admin's "
                                             f"access entry is named by it")
            seen[key] = i
        return v

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        return retention_period(v)

    @field_validator("node_groups")
    @classmethod
    def _group_names(cls, v: dict[str, NodeGroupSettings]) -> dict[str, NodeGroupSettings]:
        for name in v:
            if not re.match(r"^[a-z][a-z0-9-]{0,30}$", name):
                raise Problem(name, name, "node group names are lower-case letters, digits "
                                               "and dashes, at most 31 characters")
        return v
