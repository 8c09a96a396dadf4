"""Stack configuration -> frozen, typed settings.

The one place that reads ``pulumi.Config``. ``load_settings()`` gathers the stack's raw
``shipyard:*`` keys, lays them over the environment's defaults (``shipyard.defaults``) and
validates the result with pydantic. Any problem becomes a ``SettingsError`` whose lines each name
the full config key (``shipyard:network.cidr``) and the offending value; it is raised before the
program registers a single resource.

Components never see this module's config plumbing: they get plain Args built from the models.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import pulumi
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SkipValidation,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel, to_snake

from shipyard import cidr as cidrlib
from shipyard.catalog import (
    CATALOG_DIR,
    Application,
    CatalogError,
    key_path,
    load_catalogs,
    lookup,
    resolve_applications,
)
from shipyard.defaults import EXISTING_CLUSTER_DEFAULTS, deep_merge, environment_defaults

NAMESPACE = "shipyard"

# CloudWatch Logs accepts exactly these retention periods (days).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)
# Interface endpoints a private cluster needs to pull images and authenticate without a NAT.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "logs", "ec2", "elasticloadbalancing",
                       "ssm", "ssmmessages", "ec2messages", "autoscaling")
_AZ_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+[a-z]$")
_PRIVATE_RANGES = tuple(ipaddress.ip_network(n) for n in
                        ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))


class SettingsError(pulumi.RunError):
    """Bad stack configuration. ``str()`` is one line per problem, each naming its key.

    A ``RunError`` so that ``pulumi up`` prints the message without a Python traceback."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  {p}" for p in problems))


class KeyedProblem(ValueError):
    """Raised inside validators to point at a key below the one being validated."""

    def __init__(self, path: str, value: Any, message: str):
        self.path, self.value, self.message = path, value, message
        super().__init__(message)


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class NatStrategy(StrEnum):
    NONE = "none"
    SINGLE = "single"
    PER_AZ = "per-az"


class Model(BaseModel):
    """Base for every settings model: camelCase keys as in the stack file, unknown keys rejected,
    instances frozen."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        use_enum_values=False,
    )


def _network(value: str) -> str:
    net = ipaddress.ip_network(value, strict=True)  # ValueError names the bad value
    if not isinstance(net, ipaddress.IPv4Network):
        raise ValueError(f"{value!r} is not an IPv4 network")
    return str(net)


class FlowLogSettings(Model):
    enabled: bool = Field(True, description="Send VPC flow logs to CloudWatch Logs.")
    retention_days: int = Field(
        365, description="Days CloudWatch keeps the flow logs (a value CloudWatch accepts).")
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = Field(
        "ALL", description="Which traffic the flow logs record.")

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v not in LOG_RETENTION_DAYS:
            raise ValueError(f"{v} is not a CloudWatch retention period; use one of "
                             f"{', '.join(map(str, LOG_RETENTION_DAYS))}")
        return v


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
        if isinstance(v, list):
            for i, item in enumerate(v):
                try:
                    _network(str(item))
                except ValueError as exc:
                    raise KeyedProblem(f"[{i}]", item, str(exc)) from None
            return [_network(str(item)) for item in v]
        return v


class NetworkSettings(Model):
    cidr: str = Field("10.0.0.0/16", description="The VPC's IPv4 CIDR (a private range).")
    az_count: int = Field(3, ge=1, le=cidrlib.MAX_ZONES,
                          description="How many availability zones the VPC spans.")
    availability_zones: list[str] | None = Field(
        None, description="AZ names to use (length = azCount); unset: the region's first "
                          "azCount available zones, looked up at deploy time.")
    nat_gateways: NatStrategy = Field(
        NatStrategy.PER_AZ,
        description="NAT strategy: none (no egress), single (one shared NAT), per-az (one per "
                    "zone, each zone's private subnet routed to its own).")
    subnets: SubnetLayout | None = Field(
        None, description="Explicit subnet layout; unset: computed from cidr (private /+3, "
                          "public and isolated /+6 per zone).")
    flow_logs: FlowLogSettings = Field(default_factory=FlowLogSettings,
                                       description="VPC flow logs.")
    interface_endpoints: list[Literal[INTERFACE_ENDPOINTS]] = Field(  # type: ignore[valid-type]
        default_factory=list,
        description="Interface VPC endpoints to create (the S3 gateway endpoint is always on).")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        v = _network(v)
        net = ipaddress.ip_network(v)
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
            if not _AZ_NAME.match(name):
                raise KeyedProblem(f"[{i}]", name, f"{name!r} is not an availability zone name")
        if len(set(v)) != len(v):
            raise ValueError(f"{v} names a zone twice")
        return v

    @field_validator("interface_endpoints")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"{v} names an endpoint twice")
        return v

    @model_validator(mode="after")
    def _cross(self) -> NetworkSettings:
        if self.availability_zones is not None and len(self.availability_zones) != self.az_count:
            raise KeyedProblem("availabilityZones", self.availability_zones,
                               f"{len(self.availability_zones)} zones named but azCount is "
                               f"{self.az_count}")
        if self.subnets is None:
            try:
                cidrlib.computed_layout(self.cidr, self.az_count)
            except ValueError as exc:
                raise KeyedProblem("cidr", self.cidr, f"{exc}; give network.subnets "
                                   f"explicitly for a smaller VPC") from None
            return self
        for tier in cidrlib.TIERS:
            cidrs = getattr(self.subnets, tier)
            if tier == "isolated" and not cidrs:
                continue
            if len(cidrs) != self.az_count:
                raise KeyedProblem(f"subnets.{tier}", cidrs,
                                   f"{len(cidrs)} subnets for {self.az_count} zones (azCount)")
        problems = cidrlib.layout_problems(self.cidr, cidrlib.labelled(self.layout(), "subnets"))
        if problems:
            label, message = problems[0]
            raise KeyedProblem(label, message.split(" ")[0], message)
        return self

    def layout(self) -> list[cidrlib.ZoneSubnets]:
        """The subnets of every zone, in zone order, explicit or computed."""
        if self.subnets is None:
            return cidrlib.computed_layout(self.cidr, self.az_count)
        return cidrlib.explicit_layout(self.subnets.public, self.subnets.private,
                                       self.subnets.isolated or None)


# ---------------------------------------------------------------------------------------------
# Cluster, registry, DNS

# Kubernetes versions in Amazon EKS standard support in November 2026 (1.34 leaves it on
# 2026-12-02; 1.35 runs to 2027-03-27, 1.36 to 2027-08-02).
EKS_VERSIONS = ("1.34", "1.35", "1.36")
EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_IMAGE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


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

    @model_validator(mode="after")
    def _sizes(self) -> NodeGroupSettings:
        if self.min_size > self.max_size:
            raise KeyedProblem("minSize", self.min_size,
                               f"minSize {self.min_size} exceeds maxSize {self.max_size}")
        if not self.min_size <= self.desired_size <= self.max_size:
            raise KeyedProblem("desiredSize", self.desired_size,
                               f"desiredSize must lie within minSize {self.min_size} and "
                               f"maxSize {self.max_size}")
        for key in self.labels:
            if not _LABEL_KEY.match(key):
                raise KeyedProblem(f"labels.{key}", key, "not a Kubernetes label key")
        return self


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
    admins: list[str] = Field(default_factory=list,
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
                _network(item)
            except ValueError as exc:
                raise KeyedProblem(f"[{i}]", item, str(exc)) from None
        return v

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        return FlowLogSettings._retention(v)

    @field_validator("admins")
    @classmethod
    def _admins(cls, v: list[str]) -> list[str]:
        for i, arn in enumerate(v):
            if not _ARN.match(arn):
                raise KeyedProblem(f"[{i}]", arn, "not an IAM role or user ARN")
        return v

    @field_validator("node_groups")
    @classmethod
    def _group_names(cls, v: dict[str, NodeGroupSettings]) -> dict[str, NodeGroupSettings]:
        for name in v:
            if not re.match(r"^[a-z][a-z0-9-]{0,30}$", name):
                raise KeyedProblem(name, name, "node group names are lower-case letters, digits "
                                               "and dashes, at most 31 characters")
        return v

    @model_validator(mode="after")
    def _cross(self) -> ClusterSettings:
        if self.mode is ClusterMode.EKS:
            if not self.node_groups:
                raise KeyedProblem("nodeGroups", {}, "an EKS cluster needs at least one node "
                                                     "group")
            if self.endpoint_public_access and not self.public_access_cidrs:
                raise KeyedProblem("publicAccessCidrs", [], "the public endpoint is on: name "
                                   "the CIDRs allowed to reach it")
            missing = {"api", "audit", "authenticator"} - set(self.log_types)
            if missing:
                raise KeyedProblem("logTypes", self.log_types,
                                   f"api, audit and authenticator logs are required (missing "
                                   f"{', '.join(sorted(missing))})")
        return self


class RegistrySettings(Model):
    images: list[str] = Field(default_factory=list,
                              description="ECR repositories for images beyond the hosted "
                                          "applications' (which get theirs from the catalogs).")
    immutable_tags: bool = Field(True, description="Refuse to overwrite a pushed tag.")
    keep_tagged_images: int = Field(50, ge=1, le=1000,
                                    description="Tagged images kept per repository.")
    untagged_expiry_days: int = Field(7, ge=1, le=365,
                                      description="Days before untagged images expire.")
    push_principals: list[str] = Field(
        default_factory=list, description="IAM role ARNs (CI) allowed to push, besides this "
                                          "account's administrators.")

    @field_validator("images")
    @classmethod
    def _images(cls, v: list[str]) -> list[str]:
        for i, image in enumerate(v):
            if not _IMAGE.match(image) or len(image) > 256:
                raise KeyedProblem(f"[{i}]", image, "not an ECR repository name")
        if len(set(v)) != len(v):
            raise ValueError(f"{v} names an image twice")
        return v

    @field_validator("push_principals")
    @classmethod
    def _principals(cls, v: list[str]) -> list[str]:
        return ClusterSettings._admins(v)


class DnsSettings(Model):
    enabled: bool = Field(True, description="Create (or adopt) the environment's hosted zone.")
    domain: str | None = Field(None, description="The environment's DNS name, e.g. "
                                                 "dev.example.com; required when enabled.")
    zone_id: str | None = Field(None, pattern=r"^[A-Z0-9]{1,32}$",
                                description="Adopt this existing public hosted zone instead of "
                                            "creating one.")
    parent_zone_id: str | None = Field(
        None, pattern=r"^[A-Z0-9]{1,32}$",
        description="Delegate the domain from this parent zone (NS record) when creating.")
    wildcard_certificate: bool = Field(
        True, description="Issue an ACM certificate for the domain and *.domain, DNS-validated.")
    delegated_elsewhere: bool = Field(
        False, description="The new zone is delegated outside shipyard (at the registrar, by "
                           "another account): do so before the first `pulumi up`, which waits "
                           "for certificates and DNS-01 to validate through it.")

    def delegated(self) -> bool:
        """Whether names in the zone resolve publicly once shipyard has run."""
        return bool(self.zone_id or self.parent_zone_id or self.delegated_elsewhere)

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str | None) -> str | None:
        if v is not None and not _DOMAIN.match(v):
            raise ValueError(f"{v!r} is not a DNS name")
        return v

    @model_validator(mode="after")
    def _cross(self) -> DnsSettings:
        if self.enabled and not self.domain:
            raise KeyedProblem("domain", None, "required when dns.enabled is true")
        if self.zone_id and self.parent_zone_id:
            raise KeyedProblem("parentZoneId", self.parent_zone_id,
                               "delegation is only for a zone shipyard creates; drop zoneId "
                               "or parentZoneId")
        return self


# ---------------------------------------------------------------------------------------------
# Add-ons


class AddonSettings(Model):
    enabled: bool = Field(True, description="Install this add-on.")
    high_availability: bool = Field(
        True, description="Run its controllers with replicas spread over nodes behind a "
                          "PodDisruptionBudget.")
    values: dict[str, Any] = Field(
        default_factory=dict, description="Helm values deep-merged over shipyard's own.")


class CertManagerSettings(AddonSettings):
    issuer: Literal["letsencrypt-staging", "letsencrypt-prod", "selfsigned"] = Field(
        "letsencrypt-prod", description="The ClusterIssuer certificates are issued from.")
    solver: Literal["dns01", "http01"] = Field(
        "dns01", description="ACME challenge: dns01 (Route53, allows wildcards) or http01 "
                             "(through the Gateway).")
    acme_email: str | None = Field(None, description="ACME account e-mail (required for "
                                                     "Let's Encrypt).")

    @field_validator("acme_email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", v):
            raise ValueError(f"{v!r} is not an e-mail address")
        return v


class IngressSettings(AddonSettings):
    controller: Literal["nginx", "istio"] = Field(
        "nginx", description="Gateway API implementation: NGINX Gateway Fabric or Istio.")
    hostnames: list[str] = Field(
        default_factory=list, description="HTTPS listener hostnames; unset: the DNS domain and "
                                          "*.domain.")
    hsts_max_age_seconds: int = Field(31536000, ge=0, description="Strict-Transport-Security "
                                                                  "max-age.")


class ExternalDnsSettings(AddonSettings):
    policy: Literal["sync", "upsert-only"] = Field(
        "upsert-only", description="sync deletes records it no longer sees; upsert-only never "
                                   "deletes.")


class IstioSettings(AddonSettings):
    mtls: Literal["PERMISSIVE", "STRICT"] = Field("STRICT",
                                                  description="Mesh-wide PeerAuthentication.")
    trace_sampling: float = Field(1.0, ge=0, le=100,
                                  description="Percent of requests traced.")
    access_logs: bool = Field(True, description="Envoy access logs to stdout.")


class KarpenterSettings(AddonSettings):
    cpu_limit: int = Field(200, ge=1, description="Most vCPUs the default NodePool may run.")
    memory_limit_gi: int = Field(800, ge=1, description="Most memory (GiB) it may run.")
    capacity_types: list[Literal["on-demand", "spot"]] = Field(
        default_factory=lambda: ["on-demand"], min_length=1,
        description="Capacity types the default NodePool may buy.")
    instance_categories: list[str] = Field(
        default_factory=lambda: ["c", "m", "r"], min_length=1,
        description="EC2 instance categories the default NodePool may use.")
    consolidate_after: str = Field("5m", pattern=r"^\d+(s|m|h)$",
                                   description="How long a node must be underused before "
                                               "Karpenter consolidates it.")
    ami_alias: str = Field("al2023@latest", pattern=r"^(al2023|bottlerocket)@[\w.]+$",
                           description="EC2NodeClass AMI alias; pin a release "
                                       "(al2023@vYYYYMMDD) to control node rollouts.")


_HOSTNAME_FIELD = ("Serve its UI through the shared Gateway (TLS) at this label under "
                   "dns.domain, or a full hostname; unset: reachable by port-forward only.")


class AlertReceiver(Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,40}$",
                      description="Receiver name; its URL is shipyard:alertUrls.NAME (secret).")
    type: Literal["slack", "webhook", "pagerduty"] = Field(
        description="slack (incoming-webhook URL), webhook (any HTTP endpoint) or pagerduty "
                    "(Events API v2 routing key as the URL's secret).")
    severities: list[Literal["critical", "warning", "info"]] = Field(
        default_factory=lambda: ["critical", "warning"], min_length=1,
        description="Alert severities routed to it.")


class MonitoringSettings(AddonSettings):
    retention_days: int = Field(15, ge=1, le=365, description="Days Prometheus keeps metrics.")
    storage_gi: int = Field(50, ge=5, le=16384,
                            description="Prometheus volume (GiB, encrypted gp3) per replica.")
    receivers: list[AlertReceiver] = Field(
        default_factory=list, description="Alertmanager receivers (none: alerts are kept in "
                                          "Alertmanager's UI only).")
    grafana_persistence: bool = Field(True, description="Keep Grafana's database on a volume.")
    grafana_hostname: str | None = Field(None, description=_HOSTNAME_FIELD)
    alertmanager_hostname: str | None = Field(None, description=_HOSTNAME_FIELD)
    prometheus_hostname: str | None = Field(None, description=_HOSTNAME_FIELD)
    runbook_base_url: str | None = Field(
        None, pattern=r"^https://\S+$",
        description="Where your team reads this README: each alert's runbook_url is "
                    "URL#runbook-ALERT; unset: README.md#runbook-ALERT.")

    @model_validator(mode="after")
    def _unique(self) -> MonitoringSettings:
        names = [r.name for r in self.receivers]
        if len(set(names)) != len(names):
            raise KeyedProblem("receivers", names, "a receiver is named twice")
        return self


class LoggingSettings(AddonSettings):
    retention_days: int = Field(14, ge=1, le=3650, description="Days Loki keeps logs.")
    storage: Literal["s3", "filesystem"] = Field(
        "s3", description="s3 (a bucket with an IRSA role; eks mode) or filesystem (a volume).")


class TracingSettings(AddonSettings):
    retention_hours: int = Field(168, ge=1, le=8760, description="Hours Tempo keeps traces.")
    storage: Literal["s3", "filesystem"] = Field(
        "s3", description="s3 (a bucket with an IRSA role; eks mode) or filesystem (a volume).")


class KialiSettings(AddonSettings):
    hostname: str | None = Field(None, description=_HOSTNAME_FIELD)


class ArgoCdSettings(AddonSettings):
    hostname: str | None = Field(None, description=_HOSTNAME_FIELD)
    repo_url: str | None = Field(
        None, pattern=r"^(https://|ssh://|git@)\S+$",
        description="GitOps repository: an Application per tenant from its directory "
                    "(PATH/TENANT); unset: the AppProjects only.")
    target_revision: str = Field("main", description="Branch, tag or commit to follow.")
    path: str = Field("tenants", pattern=r"^[\w./-]+$",
                      description="Directory holding one directory per tenant.")


class AddonsSettings(Model):
    gateway_api: AddonSettings = Field(default_factory=AddonSettings,
                                       description="Gateway API CRDs (standard channel).")
    load_balancer_controller: AddonSettings = Field(
        default_factory=AddonSettings, description="AWS Load Balancer Controller (NLBs).")
    cert_manager: CertManagerSettings = Field(default_factory=CertManagerSettings,
                                              description="cert-manager and its issuers.")
    ingress: IngressSettings = Field(default_factory=IngressSettings,
                                     description="The shared Gateway and its controller.")
    external_dns: ExternalDnsSettings = Field(default_factory=ExternalDnsSettings,
                                              description="external-dns for Gateway routes.")
    istio: IstioSettings = Field(default_factory=IstioSettings, description="Istio mesh.")
    metrics_server: AddonSettings = Field(default_factory=AddonSettings,
                                          description="metrics-server (HPAs need it).")
    karpenter: KarpenterSettings = Field(default_factory=KarpenterSettings,
                                         description="Karpenter node autoscaling.")
    monitoring: MonitoringSettings = Field(
        default_factory=MonitoringSettings,
        description="kube-prometheus-stack: Prometheus, Alertmanager, Grafana, the seeds' "
                    "alerts and dashboards.")
    logging: LoggingSettings = Field(default_factory=LoggingSettings,
                                     description="Loki and Grafana Alloy.")
    tracing: TracingSettings = Field(default_factory=TracingSettings,
                                     description="OpenTelemetry Collector and Tempo.")
    kiali: KialiSettings = Field(default_factory=KialiSettings,
                                 description="Kiali (needs Istio).")
    argocd: ArgoCdSettings = Field(default_factory=ArgoCdSettings,
                                   description="Argo CD with an AppProject per tenant.")


def addon_problems(config: StackConfig) -> list[tuple[str, Any, str]]:
    """Add-ons that need another add-on, or a piece of the stack, that is switched off:
    (key, value, message) for each."""
    a = config.addons
    eks = config.cluster.mode is ClusterMode.EKS
    dns = config.dns.enabled
    problems: list[tuple[str, Any, str]] = []

    def need(key: str, ok: bool, what: str) -> None:
        if not ok:
            problems.append((f"addons.{key}.enabled", True, f"needs {what}"))

    if a.ingress.enabled:
        need("ingress", a.gateway_api.enabled, "addons.gatewayApi.enabled, which is false")
        if a.ingress.controller == "istio":
            need("ingress", a.istio.enabled, "addons.istio.enabled (ingress.controller is "
                                             "istio), which is false")
        if eks:
            need("ingress", a.load_balancer_controller.enabled,
                 "addons.loadBalancerController.enabled (it provisions the NLB), which is false")
    if a.cert_manager.enabled:
        need("certManager", a.gateway_api.enabled, "addons.gatewayApi.enabled, which is false")
        cm = a.cert_manager
        if cm.issuer != "selfsigned" and not cm.acme_email:
            problems.append(("addons.certManager.acmeEmail", None,
                             f"required for the {cm.issuer} issuer"))
        if cm.issuer != "selfsigned" and cm.solver == "dns01":
            need("certManager", dns, "dns.enabled for DNS-01 challenges, which is false")
            need("certManager", eks, "cluster.mode eks for DNS-01 (its IRSA role needs the "
                                     "EKS OIDC provider); use solver http01 or issuer selfsigned")
        if cm.issuer != "selfsigned" and cm.solver == "http01":
            need("certManager", a.ingress.enabled, "addons.ingress.enabled for HTTP-01 "
                                                   "challenges, which is false")
    if a.external_dns.enabled:
        need("externalDns", dns, "dns.enabled (it writes into the stack's zone), which is false")
        need("externalDns", a.gateway_api.enabled, "addons.gatewayApi.enabled, which is false")
        need("externalDns", eks, "cluster.mode eks (its IRSA role needs the EKS OIDC provider)")
    if a.load_balancer_controller.enabled:
        need("loadBalancerController", eks, "cluster.mode eks (IRSA and the VPC it manages)")
    if a.karpenter.enabled:
        need("karpenter", eks, "cluster.mode eks (IRSA, node roles and subnets)")
    if a.kiali.enabled:
        need("kiali", a.istio.enabled, "addons.istio.enabled, which is false")
        need("kiali", a.monitoring.enabled, "addons.monitoring.enabled (its Prometheus), "
                                            "which is false")
    for key, settings_ in (("logging", a.logging), ("tracing", a.tracing)):
        if settings_.enabled and settings_.storage == "s3":
            need(key, eks, "cluster.mode eks for storage s3 (IRSA); use storage filesystem")
    exposed = [(f"{k}.{f}", getattr(s_, attr)) for k, s_, f, attr in (
        ("monitoring", a.monitoring, "grafanaHostname", "grafana_hostname"),
        ("monitoring", a.monitoring, "alertmanagerHostname", "alertmanager_hostname"),
        ("monitoring", a.monitoring, "prometheusHostname", "prometheus_hostname"),
        ("kiali", a.kiali, "hostname", "hostname"),
        ("argocd", a.argocd, "hostname", "hostname")) if s_.enabled]
    for key, host in exposed:
        if host is not None and not a.ingress.enabled:
            problems.append((f"addons.{key}", host, "needs addons.ingress.enabled (the shared "
                                                    "Gateway serves it), which is false"))
    for hostname in a.ingress.hostnames:
        if hostname.startswith("*.") and a.cert_manager.solver == "http01" and \
                a.cert_manager.issuer != "selfsigned":
            problems.append(("addons.ingress.hostnames", hostname,
                             "a wildcard hostname needs certManager.solver dns01"))
    return problems


class WorkloadSettings(Model):
    await_rollouts: bool = Field(
        True, description="`pulumi up` waits for every Deployment's rollout (and fails when one "
                          "fails); false for a first bring-up before CI has pushed the images.")
    zone_spread: Literal["DoNotSchedule", "ScheduleAnyway"] = Field(
        "DoNotSchedule", description="Topology spread over zones: DoNotSchedule keeps a zone's "
                                     "loss from taking more than its share of pods.")


StoreBackend = Literal["inCluster", "managed"]
# What a managed store's size names: its AWS service's instance-class prefix.
SIZE_PREFIX = {"postgresql": "db.", "mysql": "db.", "mongodb": "db.", "redis": "cache.",
               "rabbitmq": "mq."}
DEFAULT_SIZES = {"postgresql": "db.t4g.medium", "mysql": "db.t4g.medium",
                 "mongodb": "db.t4g.medium", "redis": "cache.t4g.small",
                 "rabbitmq": "mq.m7g.medium"}


class StoreSettings(Model):
    """One store kind's backend and size. Unset values come from the environment's defaults
    (shipyard/defaults.py) and the pinned engine versions (shipyard/versions.py)."""

    backend: StoreBackend | None = Field(
        None, description="inCluster or managed; unset: stores.backend.")
    version: str | None = Field(
        None, description="Engine version (major, or major.minor); unset: the pinned one.")
    size: str | None = Field(
        None, description="managed: the instance class or node type (db.*, cache.*, mq.*); "
                          "unset: the smallest sensible (db.t4g.medium, cache.t4g.small, "
                          "mq.m7g.medium).")
    storage_gi: int = Field(20, ge=1, le=16384,
                            description="Volume per instance (in-cluster) or allocated storage "
                                        "(RDS), GiB.")
    max_storage_gi: int = Field(200, ge=1, le=65536,
                                description="RDS storage autoscaling ceiling, GiB.")
    instances: int = Field(1, ge=1, le=9, description="Members: in-cluster replicas, "
                                                      "DocumentDB instances, cache nodes.")

    @model_validator(mode="after")
    def _storage(self) -> StoreSettings:
        if self.max_storage_gi < self.storage_gi:
            raise KeyedProblem("maxStorageGi", self.max_storage_gi,
                               f"below storageGi ({self.storage_gi})")
        return self


class StoresSettings(Model):
    """Where the applications' data stores run: in the cluster (operators, volumes on the
    encrypted gp3 class) or on AWS (RDS, ElastiCache, Amazon MQ, DocumentDB). Object storage
    is S3 everywhere."""

    backend: StoreBackend = Field(
        "managed", description="inCluster or managed, for every kind without its own backend.")
    multi_az: bool = Field(True, description="managed: standbys in other zones (RDS Multi-AZ, "
                                             "ElastiCache failover, Amazon MQ cluster).")
    backup_retention_days: int = Field(30, ge=1, le=35,
                                       description="Automated backups kept (AWS allows 1-35).")
    backup_window: str = Field("03:00-04:00", description="Daily backup window, UTC.")
    maintenance_window: str = Field("sun:04:30-sun:05:30",
                                    description="Weekly maintenance window, UTC.")
    storage_class: str = Field(
        "gp3", pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description="in-cluster: the StorageClass of the stores' volumes (eks: shipyard's "
                    "encrypted gp3; an existing cluster: its own, `standard` by default).")
    postgresql: StoreSettings = Field(default_factory=StoreSettings, description="PostgreSQL.")
    mysql: StoreSettings = Field(default_factory=StoreSettings, description="MySQL.")
    mongodb: StoreSettings = Field(default_factory=StoreSettings,
                                   description="MongoDB (DocumentDB when managed).")
    redis: StoreSettings = Field(default_factory=StoreSettings,
                                 description="Redis (Valkey; ElastiCache when managed).")
    rabbitmq: StoreSettings = Field(default_factory=StoreSettings,
                                    description="RabbitMQ (Amazon MQ when managed).")

    @field_validator("backup_window")
    @classmethod
    def _window(cls, v: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", v):
            raise ValueError(f"{v!r} is not a window hh:mm-hh:mm (UTC)")
        return v

    @field_validator("maintenance_window")
    @classmethod
    def _maintenance(cls, v: str) -> str:
        day = r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d"
        if not re.fullmatch(f"{day}-{day}", v):
            raise ValueError(f"{v!r} is not a window ddd:hh:mm-ddd:hh:mm (UTC)")
        return v

    def kind(self, kind: str) -> StoreSettings:
        return getattr(self, kind)

    def size_of(self, kind: str) -> str:
        return self.kind(kind).size or DEFAULT_SIZES[kind]

    def backend_of(self, kind: str) -> str:
        """inCluster or managed for a store kind (objectStorage: always managed, S3)."""
        if kind == "objectStorage":
            return "managed"
        return self.kind(kind).backend or self.backend

    @model_validator(mode="after")
    def _sizes(self) -> StoresSettings:
        for kind, prefix in SIZE_PREFIX.items():
            if self.backend_of(kind) == "managed" and not self.size_of(kind).startswith(prefix):
                raise KeyedProblem(f"{kind}.size", self.size_of(kind),
                                   f"a managed {kind} store needs an instance type {prefix}*")
        if self.backend_of("mysql") == "inCluster" and self.mysql.instances != 1:
            raise KeyedProblem("mysql.instances", self.mysql.instances,
                               "the in-cluster MySQL is one server; use backend managed (RDS "
                               "Multi-AZ) for a standby")
        if self.backend_of("rabbitmq") == "managed" and \
                not self.size_of("rabbitmq").startswith("mq.m7g."):
            raise KeyedProblem("rabbitmq.size", self.size_of("rabbitmq"),
                               "Amazon MQ runs RabbitMQ 4 on mq.m7g.* brokers only")
        return self


class BackupSettings(Model):
    """Velero: the tenants' namespaces and volumes, to a versioned, encrypted S3 bucket."""

    enabled: bool = Field(True, description="Install Velero and its schedule.")
    schedule: str = Field("0 */6 * * *", description="Cron schedule of the tenants' backup "
                                                     "(seed 001: every 6 hours).")
    retention_days: int = Field(30, ge=1, le=3650, description="How long a backup is kept.")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str) -> str:
        if len(v.split()) != 5:
            raise ValueError(f"{v!r} is not a five-field cron schedule")
        return v


class StackConfig(Model):
    """Everything under the ``shipyard:`` namespace of a stack file."""

    environment: Environment = Field(
        description="dev, staging or prod: chooses the defaults below. Unset: the stack name, "
                    "when it is one of those.")
    tags: dict[str, str] = Field(default_factory=dict,
                                 description="Extra tags merged into every AWS resource's tags.")
    protect: bool = Field(
        True, description="Protect stateful resources (databases, caches, brokers, buckets, KMS "
                          "keys, the namespaces holding data) from deletion: `pulumi destroy` "
                          "and replacements stop at them; AWS deletion protection on too.")
    network: NetworkSettings = Field(default_factory=NetworkSettings, description="The VPC.")
    cluster: ClusterSettings = Field(default_factory=ClusterSettings,
                                     description="The Kubernetes cluster.")
    registry: RegistrySettings = Field(default_factory=RegistrySettings,
                                       description="ECR repositories.")
    dns: DnsSettings = Field(default_factory=DnsSettings, description="Route53 and ACM.")
    addons: AddonsSettings = Field(default_factory=AddonsSettings,
                                   description="Cluster add-ons.")
    kubeconfig: str | None = Field(
        None, description="existing mode: the cluster's kubeconfig (set with --secret).")
    alert_urls: str | None = Field(
        None, description="Alertmanager receivers' URLs (a JSON object, receiver name -> URL; "
                          "set with --secret).")
    workloads: WorkloadSettings = Field(default_factory=lambda: WorkloadSettings(),
                                        description="How the applications' workloads run.")
    stores: StoresSettings = Field(default_factory=lambda: StoresSettings(),
                                   description="The applications' data stores.")
    backups: BackupSettings = Field(default_factory=BackupSettings,
                                    description="Velero backups of the tenants.")
    applications: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per application (a catalog in catalogs/): enabled, hostname, mesh, cdn, and "
                    "services.NAME.* overrides (replicas, autoscaling, tag, delivery, ...). "
                    "Every catalog is hosted unless enabled is false.")

    @model_validator(mode="after")
    def _cross(self) -> StackConfig:
        cluster = self.cluster
        if self.environment is Environment.PROD and cluster.mode is ClusterMode.EKS:
            if "0.0.0.0/0" in cluster.public_access_cidrs and cluster.endpoint_public_access:
                raise KeyedProblem("cluster.publicAccessCidrs", cluster.public_access_cidrs,
                                   "prod's API endpoint is never open to 0.0.0.0/0")
        if cluster.mode is ClusterMode.EXISTING and not (self.kubeconfig or cluster.context):
            raise KeyedProblem("cluster.mode", "existing", "existing mode needs the secret "
                               "shipyard:kubeconfig or cluster.context")
        receivers = self.addons.monitoring.receivers if self.addons.monitoring.enabled else []
        if receivers:
            try:
                urls = json.loads(self.alert_urls or "{}")
            except json.JSONDecodeError:
                urls = None
            if not isinstance(urls, dict):
                raise KeyedProblem("alertUrls", "[secret]", "a JSON object: receiver -> URL")
            for receiver in receivers:
                if not isinstance(urls.get(receiver.name), str):
                    raise KeyedProblem("alertUrls", "[secret]",
                                       f"no URL for receiver {receiver.name!r} "
                                       f"(addons.monitoring.receivers); set it with "
                                       f"pulumi config set --secret alertUrls ...")
        if cluster.mode is ClusterMode.EXISTING:
            for kind in SIZE_PREFIX:
                if self.stores.backend_of(kind) == "managed":
                    key = "stores.backend" if self.stores.kind(kind).backend is None \
                        else f"stores.{kind}.backend"
                    raise KeyedProblem(key, "managed", "managed stores live in the stack's VPC: "
                                       "cluster.mode existing has none; use inCluster")
            if self.backups.enabled:
                raise KeyedProblem("backups.enabled", True, "Velero writes to S3 through IRSA, "
                                   "which needs cluster.mode eks")
        problems = addon_problems(self)
        if problems:
            raise KeyedProblem(*problems[0])
        dns = self.dns
        if dns.enabled and not dns.delegated():
            needs = [what for what, on in (
                ("dns.wildcardCertificate", dns.wildcard_certificate),
                ("addons.externalDns", self.addons.external_dns.enabled),
                ("addons.certManager DNS-01", self.addons.cert_manager.enabled
                 and self.addons.cert_manager.solver == "dns01"
                 and self.addons.cert_manager.issuer != "selfsigned")) if on]
            if needs:
                raise KeyedProblem(
                    "dns.parentZoneId", None,
                    f"a new zone nobody delegates to never resolves, and {', '.join(needs)} "
                    f"would wait on it for ever: set dns.parentZoneId (shipyard adds the NS "
                    f"record), dns.zoneId (adopt a delegated zone) or dns.delegatedElsewhere")
        return self


class Settings(BaseModel):
    """What the program gets: the validated stack config plus the stack's identity."""

    model_config = ConfigDict(frozen=True)

    project: str
    stack: str
    region: str
    config: StackConfig
    notes: tuple[str, ...] = ()  # what the settings decided on the user's behalf, to log
    # the catalogs this stack hosts, resolved (and validated) by shipyard.catalog
    applications: SkipValidation[tuple[Application, ...]] = ()

    @property
    def environment(self) -> Environment:
        return self.config.environment

    @property
    def network(self) -> NetworkSettings:
        return self.config.network

    @property
    def cluster(self) -> ClusterSettings:
        return self.config.cluster

    @property
    def registry(self) -> RegistrySettings:
        return self.config.registry

    @property
    def dns(self) -> DnsSettings:
        return self.config.dns

    @property
    def addons(self) -> AddonsSettings:
        return self.config.addons

    @property
    def workloads(self) -> WorkloadSettings:
        return self.config.workloads

    @property
    def images(self) -> list[str]:
        """Every image the stack's ECR holds: the hosted applications', then registry.images."""
        out = [img for app in self.applications for img in app.images()]
        return out + [img for img in self.registry.images if img not in out]

    def hosts_in_cluster(self, kind: str) -> bool:
        """A hosted application has a store of ``kind`` that runs in the cluster (its
        operator is then installed)."""
        if self.config.stores.backend_of(kind) != "inCluster":
            return False
        return any(store.kind == kind for app in self.applications
                   for store in app.stores.values())

    def application_host(self, app: Application) -> str:
        """The application's hostname: a label under dns.domain (which names the stack's domain
        even when its zone is managed elsewhere, dns.enabled false), or the full name given."""
        if "." in app.hostname or not self.dns.domain:
            return app.hostname
        return f"{app.hostname}.{self.dns.domain}"

    @property
    def cluster_name(self) -> str:
        return self.config.cluster.name or f"{self.project}-{self.stack}"

    @property
    def kubeconfig(self) -> pulumi.Output[str] | None:
        """The existing cluster's kubeconfig, as a secret Output (never a plain string)."""
        if self.config.kubeconfig is None:
            return None
        return pulumi.Output.secret(self.config.kubeconfig)

    @property
    def alert_urls(self) -> pulumi.Output[dict[str, str]]:
        """Alertmanager receivers' URLs, as a secret Output."""
        return pulumi.Output.secret(json.loads(self.config.alert_urls or "{}"))

    def exposed_host(self, hostname: str | None) -> str | None:
        """A UI's hostname (label under dns.domain, or full), or None: port-forward only."""
        if hostname is None:
            return None
        if "." in hostname or not self.dns.domain:
            return hostname
        return f"{hostname}.{self.dns.domain}"

    def ui_hosts(self) -> dict[str, str]:
        """The platform UIs served through the Gateway: config key -> full hostname."""
        if not self.addons.ingress.enabled:
            return {}
        out = {}
        for key, field in UI_HOSTNAMES:
            section = getattr(self.addons, to_snake(key))
            host = self.exposed_host(getattr(section, to_snake(field)))
            if section.enabled and host is not None:
                out[f"addons.{key}.{field}"] = host
        return out

    @property
    def tags(self) -> dict[str, str]:
        """The base tag set every AWS resource carries; user tags cannot drop the base keys."""
        return {
            **self.config.tags,
            "project": self.project,
            "stack": self.stack,
            "environment": self.environment.value,
            "managed-by": "pulumi",
        }


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_value(raw: Any) -> Any:
    """Config values arrive as strings; objects and lists are JSON-encoded."""
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The known camelCase keys of the model found at ``loc`` (for 'did you mean')."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = next((f for n, f in current.model_fields.items()
                      if (f.alias or n) == part), None)
        if field is None:
            continue  # a dict key (a node group's name, say): the model is the dict's value
        ann = field.annotation
        args = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type)]
        current = next((a for a in [ann, *args]
                        if isinstance(a, type) and issubclass(a, BaseModel)), None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


SECRET_KEYS = ("kubeconfig", "alertUrls")


def _describe(error: dict[str, Any], merged: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    if loc and loc[0] in SECRET_KEYS:
        return f"{NAMESPACE}:{key_path(loc)}: {error['msg']} (value: [secret])"
    exc = (error.get("ctx") or {}).get("error")
    if isinstance(exc, KeyedProblem):
        sub = exc.path
        full = key_path(loc) + (sub if sub.startswith("[") else ("." + sub if loc else sub))
        return f"{NAMESPACE}:{full}: {exc.message} (value: {json.dumps(exc.value)})"
    key = f"{NAMESPACE}:{key_path(loc)}"
    if error["type"] == "extra_forbidden":
        known = _fields_at(StackConfig, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        more = f"; did you mean '{hint[0]}'?" if hint else (
            f"; known keys here: {', '.join(known)}" if known else "")
        return f"{key}: unknown key (value: {json.dumps(error['input'])}){more}"
    if error["type"] == "missing":
        return f"{key}: required but not set"
    message = error["msg"].removeprefix("Value error, ")
    value = lookup(merged, loc)
    return f"{key}: {message} (value: {json.dumps(value, default=str)})"


def parse_settings(raw: Mapping[str, Any], *, project: str, stack: str,
                   region: str | None, secret_keys: frozenset[str] | None = None,
                   catalog_dir: Path = CATALOG_DIR) -> Settings:
    """Pure: raw ``shipyard:*`` config (keys without the namespace, values as Pulumi hands
    them over) -> Settings, or SettingsError naming every bad key. ``secret_keys`` are the raw
    keys set with ``--secret`` (None: not known, not checked)."""
    problems: list[str] = []
    if secret_keys is not None:
        for key in SECRET_KEYS:
            if key in raw and key not in secret_keys:
                raise SettingsError([f"{NAMESPACE}:{key}: must be set as a secret (pulumi "
                                     f"config set --secret {key} ...) (value: [secret])"])
    user = {k: (v if k in SECRET_KEYS else parse_value(v)) for k, v in raw.items()}
    env = user.get("environment", stack)
    try:
        env_enum = Environment(env)
    except ValueError:
        key = "environment" if "environment" in user else None
        if key:
            problems.append(f"{NAMESPACE}:environment: must be one of dev, staging, prod "
                            f"(value: {json.dumps(env)})")
        else:
            problems.append(f"{NAMESPACE}:environment: required for stack {stack!r} (one of dev,"
                            f" staging, prod), since the stack name is not one of them")
        raise SettingsError(problems) from None
    if not region:
        raise SettingsError(["aws:region: required but not set"])
    defaults = environment_defaults(env_enum.value)
    notes: list[str] = []
    if isinstance(user.get("cluster"), Mapping) and user["cluster"].get("mode") == "existing":
        defaults = deep_merge(defaults, EXISTING_CLUSTER_DEFAULTS)
        notes.append("cluster.mode is existing: addons.loadBalancerController, externalDns and "
                     "karpenter are off unless set (they need the EKS OIDC provider for IRSA), "
                     "and certManager issues from a self-signed CA unless set")
    merged = deep_merge(defaults, user)
    merged["environment"] = env_enum.value
    notes += _follow_switches(merged, user)
    try:
        config = StackConfig.model_validate(merged)
    except ValidationError as exc:
        raise SettingsError([_describe(e, merged) for e in exc.errors()]) from None
    for i, zone in enumerate(config.network.availability_zones or []):
        if not zone.startswith(region):
            raise SettingsError([f"{NAMESPACE}:network.availabilityZones[{i}]: {zone} is not in "
                                 f"the stack's region aws:region={region} (value: \"{zone}\")"])
    try:
        apps = resolve_applications(load_catalogs(catalog_dir), config.applications,
                                    env_enum.value, prefix=f"{NAMESPACE}:applications")
    except CatalogError as exc:
        raise SettingsError(exc.problems) from None
    for app in apps:
        if app.unenforced():
            notes.append(f"applications.{app.name} is out of the mesh: nothing enforces "
                         f"{', '.join(app.unenforced())}")
    aws = [f"{app.name}/{n}" for app in apps for n, s in app.services.items() if s.aws]
    if aws and config.cluster.mode is ClusterMode.EXISTING:
        notes.append(f"cluster.mode is existing: {', '.join(aws)} get no IRSA role (it needs "
                     f"the EKS OIDC provider); their stores run in the cluster")
    settings = Settings(project=project, stack=stack, region=region, config=config,
                        notes=tuple(notes), applications=tuple(apps))
    problems = application_problems(settings)
    if problems:
        raise SettingsError(problems)
    return settings


def application_problems(settings: Settings) -> list[str]:
    """The hosted applications against the rest of the stack: hostnames the shared Gateway
    serves, one application per hostname, images ECR can name."""
    problems: list[str] = []
    key = f"{NAMESPACE}:applications"
    hosts: dict[str, str] = {}
    ingress = settings.addons.ingress
    for app in settings.applications:
        if app.mesh and not settings.addons.istio.enabled:
            problems.append(f"{key}.{app.name}.mesh: the application joins the mesh, but "
                            f"addons.istio.enabled is false (value: true)")
        host = settings.application_host(app)
        if "." not in host:
            problems.append(f"{key}.{app.name}.hostname: {host!r} is a label under dns.domain, "
                            f"which is not set: set dns.domain or a full hostname "
                            f"(value: \"{host}\")")
            continue
        if host in hosts:
            problems.append(f"{key}.{app.name}.hostname: {host} is also {hosts[host]}'s "
                            f"(value: \"{host}\")")
        hosts[host] = app.name
        served = ingress.hostnames
        if not served and settings.dns.enabled and settings.dns.domain and \
                _wildcard_certificate(settings):
            served = [settings.dns.domain, f"*.{settings.dns.domain}"]
        if ingress.enabled and served and app.routes and not any(
                _host_matches(host, h) for h in served):
            problems.append(f"{key}.{app.name}.hostname: {host} is not served by the "
                            f"Gateway's HTTPS listeners ({', '.join(served)}): add it to "
                            f"addons.ingress.hostnames (value: \"{host}\")")
    served = ingress.hostnames
    if not served and settings.dns.enabled and settings.dns.domain and \
            _wildcard_certificate(settings):
        served = [settings.dns.domain, f"*.{settings.dns.domain}"]
    for ui_key, host in settings.ui_hosts().items():
        if host in hosts:
            problems.append(f"{NAMESPACE}:{ui_key}: {host} is also {hosts[host]}'s "
                            f"(value: \"{host}\")")
        hosts[host] = ui_key
        if served and not any(_host_matches(host, h) for h in served):
            problems.append(f"{NAMESPACE}:{ui_key}: {host} is not served by the Gateway's "
                            f"HTTPS listeners ({', '.join(served)}): add it to "
                            f"addons.ingress.hostnames, or unset it for port-forward only "
                            f"(value: \"{host}\")")
    stores = settings.config.stores
    if not settings.addons.cert_manager.enabled and stores.backend_of("rabbitmq") == "inCluster":
        for app in settings.applications:
            if any(st.kind == "rabbitmq" for st in app.stores.values()):
                problems.append(f"{key}.{app.name}.stores: its RabbitMQ runs in the cluster, "
                                f"whose operator's webhooks take their certificate from "
                                f"cert-manager, but addons.certManager.enabled is false (value: "
                                f"false): enable it, or set stores.rabbitmq.backend managed")
                break
    from components.cdn import cdn_problems  # here: components.cdn reads these settings
    return problems + cdn_problems(settings)


def _wildcard_certificate(settings: Settings) -> bool:
    """The Gateway gets ``*.domain`` unless its certificates come from HTTP-01 (which cannot
    issue wildcards): then each application's hostname gets a listener of its own."""
    cm = settings.addons.cert_manager
    return not (cm.enabled and cm.issuer != "selfsigned" and cm.solver == "http01")


def _host_matches(host: str, pattern: str) -> bool:
    pattern = pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return host == pattern


UI_HOSTNAMES = (("monitoring", "grafanaHostname"), ("monitoring", "alertmanagerHostname"),
                ("monitoring", "prometheusHostname"), ("kiali", "hostname"),
                ("argocd", "hostname"))


def _follow_switches(merged: dict[str, Any], user: Mapping[str, Any]) -> list[str]:
    """What the defaults turned on but the user's switches make pointless goes off with them,
    with a note: Kiali without Istio or Prometheus, UI hostnames without the Gateway. What the
    user set explicitly stays, and is checked (``addon_problems``)."""
    addons = merged.get("addons")
    own = user.get("addons") if isinstance(user.get("addons"), Mapping) else {}
    if not isinstance(addons, dict):
        return []

    def on(key: str) -> bool:
        section = addons.get(key)
        return not isinstance(section, Mapping) or section.get("enabled", True) is not False

    def user_set(key: str, field: str) -> bool:
        section = own.get(key) if isinstance(own, Mapping) else None
        return isinstance(section, Mapping) and field in section

    notes = []
    kiali = addons.get("kiali")
    if isinstance(kiali, dict) and on("kiali") and not user_set("kiali", "enabled") and \
            not (on("istio") and on("monitoring")):
        kiali["enabled"] = False
        notes.append("addons.kiali is off: it shows the Istio mesh from Prometheus, and "
                     "addons.istio or addons.monitoring is off")
    if not on("ingress"):
        dropped = []
        for key, field in UI_HOSTNAMES:
            section = addons.get(key)
            if isinstance(section, dict) and section.get(field) and not user_set(key, field):
                section[field] = None
                dropped.append(f"addons.{key}.{field}")
        if dropped:
            notes.append(f"addons.ingress is off: {', '.join(dropped)} unset, those UIs are "
                         f"reachable by port-forward only")
    return notes


def raw_stack_config() -> tuple[dict[str, Any], frozenset[str]]:
    """Every ``shipyard:*`` key the engine handed this program (without the namespace), and
    which of them are secrets."""
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix):]: runtime_config.get_config(k)
           for k in sorted(keys) if k.startswith(prefix)}
    secret = frozenset(k for k in raw if runtime_config.is_config_secret(prefix + k)
                       or prefix + k in runtime_config.get_config_secret_keys_env())
    return raw, secret


def load_settings() -> Settings:
    """Read this stack's config once and validate it. Raises SettingsError."""
    raw, secret = raw_stack_config()
    return parse_settings(
        raw,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        region=pulumi.Config("aws").get("region"),
        secret_keys=secret,
    )
