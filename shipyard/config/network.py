"""``shipyard:network``: the VPC, its subnets, NAT, flow logs and endpoints."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator

from shipyard.config.base import Int, Model, Problem, unique
from shipyard.rules import cidr as cidrlib

# CloudWatch Logs accepts exactly these retention periods (days).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)
# Interface endpoints a private cluster may need to pull images, ship logs and call AWS
# without a NAT.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "eks-auth", "logs", "ec2",
                       "elasticloadbalancing", "ssm", "ssmmessages", "ec2messages", "autoscaling")
# Where a pod's AWS credentials come from, by cluster.workloadIdentity: the EKS Pod Identity
# agent calls EKS Auth (eks-auth:AssumeRoleForPodIdentity; EKS User Guide, "Set up the Amazon
# EKS Pod Identity Agent": nodes in private subnets need its interface endpoint), an IRSA pod's
# SDK calls STS (AssumeRoleWithWebIdentity).
IDENTITY_ENDPOINTS = {"podIdentity": "eks-auth", "irsa": "sts"}


def interface_endpoints(listed: Sequence[str], workload_identity: str) -> tuple[str, ...]:
    """The interface endpoints a stack gets: those it lists and, where it lists any (a private
    path to AWS), the one its pods' credentials come through."""
    if not listed:
        return ()
    return tuple(dict.fromkeys([*listed, IDENTITY_ENDPOINTS[workload_identity]]))
AZ_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+[a-z]$")
# A Graviton (arm64) instance type: a family whose generation digits are followed by "g" (t4g,
# m7g, c6gn, im4gn, x2gd, ...), then a size. The NAT instance runs Amazon Linux 2023 for arm64.
GRAVITON_TYPE = re.compile(r"^[a-z]+\d+g[a-z]*\.[a-z0-9]+$")
_PRIVATE_RANGES = tuple(ipaddress.ip_network(n) for n in
                        ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))


def strict_cidrs(v: list[Any]) -> list[str]:
    """Each item an IPv4 CIDR written strictly (``shipyard.rules.cidr.parse``), the bad one
    named by its index."""
    for i, item in enumerate(v):
        try:
            cidrlib.parse(item)
        except ValueError as exc:
            raise Problem(f"[{i}]", item, str(exc)) from None
    return v


def retention_period(v: int) -> int:
    """A CloudWatch Logs retention (days): one of the periods CloudWatch accepts."""
    if v not in LOG_RETENTION_DAYS:
        raise ValueError(f"{v} is not a CloudWatch retention period; use one of "
                         f"{', '.join(map(str, LOG_RETENTION_DAYS))}")
    return v


class NatStrategy(StrEnum):
    NONE = "none"
    SINGLE = "single"
    PER_AZ = "per-az"
    # one EC2 instance doing NAT in the first zone (components/network.py): a few dollars a
    # month instead of a NAT gateway's $41, and not highly available
    INSTANCE = "instance"


class FlowLogSettings(Model):
    enabled: bool = Field(True, description="Send VPC flow logs to CloudWatch Logs.")
    retention_days: Int = Field(
        365, description="Days CloudWatch keeps the flow logs (a value CloudWatch accepts).")
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = Field(
        "ALL", description="Which traffic the flow logs record.")

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        return retention_period(v)


class SubnetLayout(Model):
    """An explicit subnet layout: one CIDR per zone for each tier, in zone order."""

    public: list[str] = Field(description="Public subnet CIDRs, one per zone.")
    private: list[str] = Field(description="Private (nodes, pods) subnet CIDRs, one per zone.")
    isolated: list[str] = Field(
        default_factory=list,
        description="Isolated (databases) subnet CIDRs, one per zone; empty for no isolated tier "
                    "(data stores then use the private subnets).")

    @field_validator("public", "private", "isolated", mode="before")
    @classmethod
    def _cidrs(cls, v: Any) -> Any:
        return strict_cidrs(v) if isinstance(v, list) else v


class NetworkSettings(Model):
    cidr: str = Field("10.0.0.0/16", description="The VPC's IPv4 CIDR (a private range).")
    az_count: Int = Field(3, ge=1, le=cidrlib.MAX_ZONES,
                          description="How many availability zones the VPC spans.")
    availability_zones: list[str] | None = Field(
        None, description="AZ names to use (length = azCount); unset: the region's first "
                          "azCount available zones, looked up at deploy time.")
    nat_gateways: NatStrategy = Field(
        NatStrategy.PER_AZ,
        description="NAT strategy: none (no egress), single (one shared NAT gateway), per-az "
                    "(one per zone, each zone's private subnet routed to its own), instance "
                    "(one small EC2 NAT instance in the first zone, auto-recovered by EC2 but "
                    "not highly available: while it or its zone is down the private subnets "
                    "have no egress; docs/architecture.md).")
    nat_instance_type: str = Field(
        "t4g.nano",
        description="natGateways instance: the NAT instance's EC2 type, a Graviton (arm64) one "
                    "(its image is Amazon Linux 2023 for arm64).")
    subnets: SubnetLayout | None = Field(
        None, description="Explicit subnet layout; unset: computed from cidr (private /+3, "
                          "public and isolated /+6 per zone).")
    flow_logs: FlowLogSettings = Field(default_factory=FlowLogSettings,
                                       description="VPC flow logs.")
    interface_endpoints: list[Literal[INTERFACE_ENDPOINTS]] = Field(  # type: ignore[valid-type]
        default_factory=list,
        description="Interface VPC endpoints to create (the S3 gateway endpoint is always on). "
                    "Where any is listed, the one the pods' AWS credentials come through is "
                    "added: eks-auth (EKS Pod Identity's agent) or sts (IRSA), by "
                    "cluster.workloadIdentity.")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        net = cidrlib.parse(v)
        if not any(net.subnet_of(r) for r in _PRIVATE_RANGES):
            raise ValueError(f"{v} is not in a private range (10/8, 172.16/12, 192.168/16, "
                             f"100.64/10)")
        if not 16 <= net.prefixlen <= 28:
            raise ValueError(f"{v}: AWS VPCs are /16 to /28")
        return v

    @field_validator("availability_zones")
    @classmethod
    def _azs(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        for i, name in enumerate(v):
            if not AZ_NAME.match(name):
                raise Problem(f"[{i}]", name, f"{name!r} is not an availability zone name")
        return unique(v)

    @field_validator("interface_endpoints")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        return unique(v)

    @field_validator("nat_instance_type")
    @classmethod
    def _graviton(cls, v: str) -> str:
        if not GRAVITON_TYPE.match(v):
            raise ValueError(f"{v!r} is not a Graviton (arm64) instance type such as t4g.nano: "
                             f"the NAT instance runs Amazon Linux 2023 for arm64")
        return v

    def layout(self) -> list[cidrlib.ZoneSubnets]:
        """The subnets of every zone, in zone order, explicit or computed."""
        if self.subnets is None:
            return cidrlib.computed_layout(self.cidr, self.az_count)
        return cidrlib.explicit_layout(self.subnets.public, self.subnets.private,
                                       self.subnets.isolated or None)

