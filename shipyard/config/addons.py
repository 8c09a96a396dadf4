"""``shipyard:addons``: the cluster add-ons, each switched and tuned by its own section."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator

from shipyard.catalog.services import cpu_millis, memory_bytes
from shipyard.config.base import (
    Email,
    Float,
    Hostname,
    Int,
    Int32,
    Model,
    WildcardHostname,
    unique,
)
from shipyard.config.workloads import CPU_QUANTITY, MEMORY_QUANTITY

# What karpenter.k8s.aws/instance-category takes: the letters an EC2 instance family starts
# with before its generation (c7g -> c, im4gn -> im, inf2 -> inf, u-6tb1 -> u); every category
# of the instance types Karpenter lists (aws/karpenter-provider-aws,
# website/content/en/preview/reference/instance-types.md, August 2026).
INSTANCE_CATEGORIES = ("a", "c", "d", "dl", "f", "g", "gr", "h", "hpc", "i", "im", "inf", "is",
                       "m", "p", "r", "t", "trn", "u", "vt", "x", "z")


# The mesh's Envoy sidecar on every pod of a mesh application: shipyard's requests (prod's, what
# the catalogs' requests are stated beside) and its limits, which no environment changes.
SIDECAR_REQUESTS = {"cpu": "50m", "memory": "64Mi"}
SIDECAR_LIMITS = {"cpu": "500m", "memory": "256Mi"}


class SidecarRequests(Model):
    """What the mesh's sidecar asks of its node on every mesh pod; its limits stay 500m and
    256Mi."""

    cpu: str = Field(SIDECAR_REQUESTS["cpu"],
                     description="CPU request (sidecar.istio.io/proxyCPU), at most 500m.")
    memory: str = Field(SIDECAR_REQUESTS["memory"],
                        description="Memory request (sidecar.istio.io/proxyMemory), at most "
                                    "256Mi.")

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, v: str) -> str:
        if not CPU_QUANTITY.match(str(v)) or not 1 <= cpu_millis(str(v)) <= cpu_millis(
                SIDECAR_LIMITS["cpu"]):
            raise ValueError(f"{v!r} is not a CPU quantity from 1m to the sidecar's limit "
                             f"{SIDECAR_LIMITS['cpu']}")
        return str(v)

    @field_validator("memory")
    @classmethod
    def _memory(cls, v: str) -> str:
        if not MEMORY_QUANTITY.match(str(v)) or not 2**20 <= memory_bytes(str(v)) <= memory_bytes(
                SIDECAR_LIMITS["memory"]):
            raise ValueError(f"{v!r} is not a memory quantity from 1Mi to the sidecar's limit "
                             f"{SIDECAR_LIMITS['memory']}")
        return str(v)


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
    acme_email: Email | None = Field(None, description="ACME account e-mail (required for "
                                                       "Let's Encrypt).")


class IngressSettings(AddonSettings):
    controller: Literal["nginx", "istio"] = Field(
        "nginx", description="Gateway API implementation: NGINX Gateway Fabric or Istio.")
    hostnames: Annotated[list[WildcardHostname], AfterValidator(unique)] = Field(
        default_factory=list, description="HTTPS listener hostnames (RFC 1123 names, or *. and "
                                          "one, each once); unset: the DNS domain and *.domain.")
    hsts_max_age_seconds: Int32 = Field(31536000, ge=0, description="Strict-Transport-Security "
                                                                  "max-age.")


class ExternalDnsSettings(AddonSettings):
    policy: Literal["sync", "upsert-only"] = Field(
        "upsert-only", description="sync deletes records it no longer sees; upsert-only never "
                                   "deletes.")


class IstioSettings(AddonSettings):
    mtls: Literal["PERMISSIVE", "STRICT"] = Field("STRICT",
                                                  description="Mesh-wide PeerAuthentication.")
    trace_sampling: Float = Field(1.0, ge=0, le=100,
                                  description="Percent of requests traced.")
    access_logs: bool = Field(True, description="Envoy access logs to stdout.")
    sidecar_requests: SidecarRequests = Field(
        default_factory=SidecarRequests,
        description="The sidecar's requests on every mesh pod in this environment.")


class KarpenterSettings(AddonSettings):
    cpu_limit: Int = Field(200, ge=1, description="Most vCPUs the default NodePool may run.")
    memory_limit_gi: Int = Field(800, ge=1, description="Most memory (GiB) it may run.")
    capacity_types: Annotated[list[Literal["on-demand", "spot"]],
                              AfterValidator(unique)] = Field(
        default_factory=lambda: ["on-demand"], min_length=1,
        description="Capacity types the default NodePool may buy.")
    instance_categories: Annotated[list[Literal[INSTANCE_CATEGORIES]],  # type: ignore[valid-type]
                                   AfterValidator(unique)] = Field(
        default_factory=lambda: ["c", "m", "r"], min_length=1,
        description=f"EC2 instance categories the default NodePool may use "
                    f"(karpenter.k8s.aws/instance-category: {', '.join(INSTANCE_CATEGORIES)}).")
    consolidate_after: str = Field("5m", pattern=r"^(([0-9]+(s|m|h))+|Never)$",
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
    severities: Annotated[list[Literal["critical", "warning", "info"]],
                          AfterValidator(unique)] = Field(
        default_factory=lambda: ["critical", "warning"], min_length=1,
        description="Alert severities routed to it.")


class MonitoringSettings(AddonSettings):
    retention_days: Int = Field(15, ge=1, le=365, description="Days Prometheus keeps metrics.")
    storage_gi: Int = Field(50, ge=5, le=16384,
                            description="Prometheus volume (GiB, encrypted gp3) per replica.")
    receivers: list[AlertReceiver] = Field(
        default_factory=list, description="Alertmanager receivers (none: alerts are kept in "
                                          "Alertmanager's UI only).")
    grafana_persistence: bool = Field(True, description="Keep Grafana's database on a volume.")
    grafana_hostname: Hostname | None = Field(None, description=_HOSTNAME_FIELD)
    alertmanager_hostname: Hostname | None = Field(None, description=_HOSTNAME_FIELD)
    prometheus_hostname: Hostname | None = Field(None, description=_HOSTNAME_FIELD)
    runbook_base_url: str | None = Field(
        None, pattern=r"^https://\S+$",
        description="Where your team reads docs/runbooks.md: each alert's runbook_url is "
                    "URL#runbook-ALERT; unset: docs/runbooks.md#runbook-ALERT.")


class LoggingSettings(AddonSettings):
    retention_days: Int = Field(14, ge=1, le=3650, description="Days Loki keeps logs.")
    storage: Literal["s3", "filesystem"] = Field(
        "s3", description="s3 (a bucket with an AWS role; eks mode) or filesystem (a volume).")


class TracingSettings(AddonSettings):
    retention_hours: Int = Field(168, ge=1, le=8760, description="Hours Tempo keeps traces.")
    storage: Literal["s3", "filesystem"] = Field(
        "s3", description="s3 (a bucket with an AWS role; eks mode) or filesystem (a volume).")


class KialiSettings(AddonSettings):
    hostname: Hostname | None = Field(None, description=_HOSTNAME_FIELD)


class ArgoCdSettings(AddonSettings):
    hostname: Hostname | None = Field(None, description=_HOSTNAME_FIELD)
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
