"""The whole stack: ``StackConfig`` (every ``shipyard:*`` section, as validated) and
``Settings`` (that plus the stack's identity and hosted applications: what the program gets)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import pulumi
from pydantic import BaseModel, ConfigDict, Field, SkipValidation, field_validator
from pydantic.alias_generators import to_snake

from shipyard.catalog.models import Application
from shipyard.config.access_logs import AccessLogSettings
from shipyard.config.addons import AddonsSettings
from shipyard.config.backups import BackupSettings
from shipyard.config.base import AWS_MAX_TAGS, AwsTags, Model
from shipyard.config.cdn import CdnSettings
from shipyard.config.cluster import ClusterSettings
from shipyard.config.dns import DnsSettings
from shipyard.config.network import NetworkSettings
from shipyard.config.registry import RegistrySettings
from shipyard.config.stores import StoresSettings
from shipyard.config.workloads import WorkloadSettings
from shipyard.rules import hostnames

# The platform UIs one may serve through the shared Gateway: (addons section, hostname key).
UI_HOSTNAMES = (("monitoring", "grafanaHostname"), ("monitoring", "alertmanagerHostname"),
                ("monitoring", "prometheusHostname"), ("kiali", "hostname"),
                ("argocd", "hostname"))


# The tags shipyard puts on every AWS resource (``Settings.tags``), and how many more keys a
# resource gets besides: a private subnet adds Name, tier, kubernetes.io/role/internal-elb,
# karpenter.sh/discovery and kubernetes.io/cluster/CLUSTER (5); the instances Karpenter launches
# add Name, karpenter.sh/nodepool, karpenter.sh/nodeclaim, karpenter.k8s.aws/ec2nodeclass,
# eks:eks-cluster-name and kubernetes.io/cluster/CLUSTER (6). A user tag with one of the base
# keys is overridden; every other one counts against AWS's 50.
BASE_TAG_KEYS = ("project", "stack", "environment", "managed-by")
MOST_ADDED_TAGS = 6
MAX_USER_TAGS = AWS_MAX_TAGS - len(BASE_TAG_KEYS) - MOST_ADDED_TAGS


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class StackConfig(Model):
    """Everything under the ``shipyard:`` namespace of a stack file."""

    environment: Environment = Field(
        description="dev, staging or prod: chooses the defaults below. Unset: the stack name, "
                    "when it is one of those.")
    tags: AwsTags = Field(
        default_factory=dict,
        description=f"Extra tags merged into every AWS resource's tags: keys of 1-128 and "
                    f"values of at most 256 letters, digits, spaces and _.:/=+-@, no aws:* key; "
                    f"at most {MAX_USER_TAGS} besides {', '.join(BASE_TAG_KEYS)} (AWS's "
                    f"{AWS_MAX_TAGS} a resource, less shipyard's own).")
    protect: bool = Field(
        True, description="Protect stateful resources (databases, caches, brokers, buckets, KMS "
                          "keys, the namespaces holding data) and the EKS cluster every tenant "
                          "runs on from deletion: `pulumi destroy` and replacements stop at "
                          "them; AWS deletion protection on too.")
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
    cdn: CdnSettings = Field(default_factory=CdnSettings,
                             description="CloudFront for the applications whose catalog asks "
                                         "for a CDN.")
    access_logs: AccessLogSettings = Field(
        default_factory=AccessLogSettings,
        description="S3 server access logs and CloudFront access logs.")
    applications: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per application (a catalog in catalogs/): enabled, hostname, mesh, cdn, "
                    "storePlacement, and services.NAME.* overrides (replicas, autoscaling, tag, "
                    "delivery, ...). Every catalog is hosted unless enabled is false.")


    @field_validator("tags")
    @classmethod
    def _tag_count(cls, v: dict[str, str]) -> dict[str, str]:
        extra = [k for k in v if k not in BASE_TAG_KEYS]
        if len(extra) > MAX_USER_TAGS:
            raise ValueError(f"{len(extra)} tags: AWS takes {AWS_MAX_TAGS} on a resource, and "
                             f"shipyard puts up to {AWS_MAX_TAGS - MAX_USER_TAGS} of its own "
                             f"there; at most {MAX_USER_TAGS} besides "
                             f"{', '.join(BASE_TAG_KEYS)}")
        return v


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
        return hostnames.full_name(app.hostname, self.dns.domain)

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
        return hostnames.full_name(hostname, self.dns.domain)

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

    def gateway_hostnames(self) -> list[str]:
        """The shared Gateway's HTTPS listener hostnames (``shipyard.rules.hostnames``): the
        configured ones, else the domain and ``*.domain``, else (no wildcard certificate) the
        domain and every routed application's and served UI's name."""
        cm = self.addons.cert_manager
        wildcard = hostnames.wildcard_certificate(cert_manager=cm.enabled, issuer=cm.issuer,
                                                  solver=cm.solver)
        hosts = [self.application_host(app) for app in self.applications if app.routes]
        return hostnames.gateway_hostnames(
            self.addons.ingress.hostnames, self.dns.domain if self.dns.enabled else None,
            wildcard=wildcard, hosts=[*hosts, *self.ui_hosts().values()])

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

