"""``shipyard:cluster``: the EKS cluster (or an existing one) and its managed node groups."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from shipyard.config.base import IamArns, Model, Problem, ipv4_network
from shipyard.config.network import retention_period

# Kubernetes versions in Amazon EKS standard support in November 2026 (1.34 leaves it on
# 2026-12-02; 1.35 runs to 2027-03-27, 1.36 to 2027-08-02).
EKS_VERSIONS = ("1.34", "1.35", "1.36")
EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


class ClusterMode(StrEnum):
    EKS = "eks"
    EXISTING = "existing"


class Taint(Model):
    key: str = Field(description="Taint key.")
    value: str = Field("", description="Taint value.")
    effect: Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"] = Field(
        description="Taint effect, as EKS spells it.")


class NodeGroupSettings(Model):
    instance_types: list[str] = Field(min_length=1, description="EC2 instance types.")
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field("ON_DEMAND",
                                                       description="ON_DEMAND or SPOT.")
    min_size: int = Field(ge=0, description="Fewest nodes.")
    desired_size: int = Field(ge=0, description="Nodes at creation (autoscalers move it).")
    max_size: int = Field(ge=1, description="Most nodes.")
    labels: dict[str, str] = Field(default_factory=dict, description="Kubernetes node labels.")
    taints: list[Taint] = Field(default_factory=list, description="Kubernetes node taints.")
    disk_size_gb: int = Field(50, ge=20, le=16384, description="Encrypted gp3 root volume (GiB).")
    ami_type: Literal["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD",
                      "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64"] = Field(
        "AL2023_x86_64_STANDARD", description="EKS AMI type.")

class ClusterSettings(Model):
    mode: ClusterMode = Field(
        ClusterMode.EKS, description="eks: create the VPC and an EKS cluster; existing: deploy "
                                     "the in-cluster layer onto a cluster you already have.")
    name: str | None = Field(None, pattern=r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$",
                             description="EKS cluster name; unset: PROJECT-STACK.")
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
    log_types: list[Literal[EKS_LOG_TYPES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(EKS_LOG_TYPES),
        description="Control-plane log types sent to CloudWatch.")
    log_retention_days: int = Field(365, description="Days the control-plane logs are kept.")
    admins: IamArns = Field(default_factory=list,
                              description="IAM role/user ARNs given cluster-admin access entries.")
    deletion_protection: bool = Field(True, description="EKS deletion protection.")
    node_groups: dict[str, NodeGroupSettings] = Field(
        default_factory=dict, description="Managed node groups, keyed by name.")
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

    @field_validator("public_access_cidrs", "private_access_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for i, item in enumerate(v):
            try:
                ipv4_network(item)
            except ValueError as exc:
                raise Problem(f"[{i}]", item, str(exc)) from None
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
