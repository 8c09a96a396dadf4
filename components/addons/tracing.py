"""Traces: an OpenTelemetry Collector receives them, Grafana Tempo keeps them.

- **OpenTelemetry Collector** (chart ``opentelemetry-collector``) as a Deployment behind the
  Service ``opentelemetry-collector`` (``endpoints.COLLECTOR_SERVICE``): OTLP over gRPC on 4317
  and HTTP on 4318. Every application Deployment gets ``OTEL_EXPORTER_OTLP_ENDPOINT`` =
  ``endpoints.OTLP_GRPC_URL``, and Istio's tracing provider sends the mesh's spans to the same
  port. Its pipeline: memory_limiter (refuses data before the pod runs out of memory), batch,
  then OTLP to Tempo. The Kubernetes distribution image (``otelcol-k8s``). Two replicas behind
  a PodDisruptionBudget when highly available; the chart's own config is replaced whole
  (``alternateConfig``), so no Jaeger or Zipkin receivers listen.
- **Tempo** (chart ``tempo``, grafana-community) as a single binary: Service ``tempo``, query
  API on 3200 (``endpoints.TEMPO_URL``, Grafana's and Kiali's), OTLP receivers on 4317/4318.
  ``retention_hours`` is the compactor's block retention. Storage ``s3``: an encrypted, private
  bucket with an AWS role (Pod Identity or IRSA) on Tempo's service account
  (components/addons/object_store.py), expiring objects a day after retention; ``filesystem``:
  the traces on the gp3 volume that holds the WAL in both cases. Tempo's single binary is one
  replica whatever the setting: it cannot share its WAL.

The namespace enforces ``restricted``: both charts get the pod and container security contexts
it asks for. The user's ``values`` (addons.tracing.values) are laid over Tempo's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import (
    ClusterContext,
    helm_release,
    merged_values,
    namespace,
)
from components.addons.endpoints import (
    CLUSTER_DOMAIN,
    COLLECTOR_SERVICE,
    OTLP_GRPC_PORT,
    OTLP_GRPC_URL,
    OTLP_HTTP_PORT,
    TEMPO_QUERY_PORT,
    TEMPO_SERVICE,
    TEMPO_URL,
    TRACING_NAMESPACE,
)
from components.addons.object_store import (
    ObjectStore,
    expiry_days,
    hours_to_days,
    optional_store,
    store_location,
)

TYPE = "shipyard:addons:Tracing"
COLLECTOR_RELEASE = "opentelemetry-collector"
TEMPO_RELEASE = "tempo"
TEMPO_SERVICE_ACCOUNT = "tempo"
COLLECTOR_IMAGE = ("ghcr.io/open-telemetry/opentelemetry-collector-releases/"
                   "opentelemetry-collector-k8s")
COLLECTOR_COMMAND = "otelcol-k8s"
COLLECTOR_UID = 10001
HA_REPLICAS = 2
STORAGE_CLASS = "gp3"
FILESYSTEM_VOLUME_GI = 20         # the traces themselves
WAL_VOLUME_GI = 10                # S3 mode: the WAL only
# Tempo's OTLP gRPC receiver, where the collector exports to.
TEMPO_OTLP_ENDPOINT = f"{TEMPO_SERVICE}.{TRACING_NAMESPACE}.{CLUSTER_DOMAIN}:{OTLP_GRPC_PORT}"

RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
Storage = Literal["s3", "filesystem"]


# -- pure functions ---------------------------------------------------------------------------


def collector_config(tempo_endpoint: str = TEMPO_OTLP_ENDPOINT) -> dict[str, Any]:
    """The collector's whole configuration: OTLP in, memory_limiter + batch, OTLP to Tempo."""
    pod_ip = "${env:MY_POD_IP}"
    return {
        "receivers": {"otlp": {"protocols": {
            "grpc": {"endpoint": f"{pod_ip}:{OTLP_GRPC_PORT}"},
            "http": {"endpoint": f"{pod_ip}:{OTLP_HTTP_PORT}"}}}},
        "processors": {
            # first in the pipeline: sheds load before the container hits its memory limit
            "memory_limiter": {"check_interval": "5s", "limit_percentage": 80,
                               "spike_limit_percentage": 25},
            "batch": {},
        },
        "exporters": {"otlp/tempo": {"endpoint": tempo_endpoint, "tls": {"insecure": True}}},
        "extensions": {"health_check": {"endpoint": f"{pod_ip}:13133"}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"readers": [{"pull": {"exporter": {"prometheus": {
                "host": pod_ip, "port": 8888}}}}]}},
            "pipelines": {"traces": {"receivers": ["otlp"],
                                     "processors": ["memory_limiter", "batch"],
                                     "exporters": ["otlp/tempo"]}},
        },
    }


def collector_values(*, highly_available: bool,
                     tempo_endpoint: str = TEMPO_OTLP_ENDPOINT) -> dict[str, Any]:
    """The ``opentelemetry-collector`` chart's values (0.170)."""
    replicas = HA_REPLICAS if highly_available else 1
    values: dict[str, Any] = {
        "mode": "deployment",
        "fullnameOverride": COLLECTOR_SERVICE,
        "image": {"repository": COLLECTOR_IMAGE},
        "command": {"name": COLLECTOR_COMMAND},
        "replicaCount": replicas,
        "alternateConfig": collector_config(tempo_endpoint),
        # Only the OTLP ports (the chart opens Jaeger's and Zipkin's by default). ``otlp``
        # keeps appProtocol grpc, which is how Istio knows to speak gRPC to it.
        "ports": {
            "otlp": {"enabled": True, "containerPort": OTLP_GRPC_PORT,
                     "servicePort": OTLP_GRPC_PORT, "protocol": "TCP", "appProtocol": "grpc"},
            "otlp-http": {"enabled": True, "containerPort": OTLP_HTTP_PORT,
                          "servicePort": OTLP_HTTP_PORT, "protocol": "TCP"},
            "jaeger-compact": {"enabled": False}, "jaeger-thrift": {"enabled": False},
            "jaeger-grpc": {"enabled": False}, "zipkin": {"enabled": False},
        },
        "podSecurityContext": {"runAsNonRoot": True, "runAsUser": COLLECTOR_UID,
                               "runAsGroup": COLLECTOR_UID, "seccompProfile": RUNTIME_DEFAULT},
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": RUNTIME_DEFAULT},
        # memory_limiter's percentages and GOMEMLIMIT are taken from this limit
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"memory": "512Mi"}},
        "podDisruptionBudget": {"enabled": highly_available},
    }
    if highly_available:
        values["podDisruptionBudget"]["minAvailable"] = 1
        values["topologySpreadConstraints"] = [{
            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {
                "app.kubernetes.io/name": "opentelemetry-collector",
                "app.kubernetes.io/instance": COLLECTOR_RELEASE}}}]
    return values


def tempo_storage(storage: Storage, *, bucket: pulumi.Input[str] | None = None,
                  region: str | None = None) -> dict[str, Any]:
    """Tempo's ``storage`` config block (pasted into its config by the chart)."""
    wal = {"path": "/var/tempo/wal"}
    if storage == "filesystem":
        return {"trace": {"backend": "local", "local": {"path": "/var/tempo/traces"},
                          "wal": wal}}
    if bucket is None or region is None:
        raise ValueError("Tempo on S3 needs the bucket and its region")
    # No keys: the AWS SDK finds the Pod Identity (or IRSA) credentials.
    return {"trace": {"backend": "s3", "wal": wal, "s3": {
        "bucket": bucket, "region": region, "endpoint": f"s3.{region}.amazonaws.com"}}}


def tempo_values(*, retention_hours: int, storage: Storage,
                 bucket: pulumi.Input[str] | None = None, region: str | None = None,
                 annotations: Mapping[str, pulumi.Input[str]] | None = None,
                 pod_annotations: Mapping[str, str] | None = None
                 ) -> dict[str, Any]:
    """The ``tempo`` chart's values (2.2): one binary, OTLP in, query API on 3200.
    ``pod_annotations``: its pods' (the workload identity of its S3 role: a switch rolls
    them)."""
    account: dict[str, Any] = {"create": True, "name": TEMPO_SERVICE_ACCOUNT}
    if annotations:  # IRSA's role ARN; none with Pod Identity
        account["annotations"] = dict(annotations)
    s3 = storage == "s3"
    return {
        "fullnameOverride": TEMPO_SERVICE,
        "replicas": 1,
        "tempo": {
            "retention": f"{retention_hours}h",
            "reportingEnabled": False,
            "server": {"http_listen_port": TEMPO_QUERY_PORT},
            "storage": tempo_storage(storage, bucket=bucket, region=region),
            "receivers": {"otlp": {"protocols": {
                "grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"},
                "http": {"endpoint": f"0.0.0.0:{OTLP_HTTP_PORT}"}}}},
            # everything Tempo writes is under /var/tempo, on the volume
            "securityContext": {"allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": RUNTIME_DEFAULT},
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                          "limits": {"memory": "2Gi"}},
        },
        "securityContext": {"runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
                            "runAsNonRoot": True, "seccompProfile": RUNTIME_DEFAULT},
        "serviceAccount": account,
        **({"podAnnotations": dict(pod_annotations)} if pod_annotations else {}),
        "persistence": {"enabled": True, "storageClassName": STORAGE_CLASS,
                        "size": f"{WAL_VOLUME_GI if s3 else FILESYSTEM_VOLUME_GI}Gi"},
        "tempoQuery": {"enabled": False},
    }


# -- component --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TracingArgs:
    ctx: ClusterContext
    retention_hours: int
    storage: Storage
    highly_available: bool
    protect: bool = True                # the bucket (stack setting ``protect``)
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()


class Tracing(pulumi.ComponentResource):
    namespace_name: str
    otlp_grpc_url: str
    collector: k8s.helm.v3.Release
    tempo: k8s.helm.v3.Release
    store: ObjectStore | None
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: TracingArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ctx = args.ctx
        self.namespace_name = TRACING_NAMESPACE
        self.otlp_grpc_url = OTLP_GRPC_URL
        self.namespace = namespace(name, TRACING_NAMESPACE, parent=self, provider=ctx.provider,
                                   protect=args.protect)
        self.store = optional_store(
            f"{name}-tempo", storage=args.storage, ctx=ctx, purpose="tempo", label="Tempo",
            namespace=TRACING_NAMESPACE, service_account=TEMPO_SERVICE_ACCOUNT,
            expire_after_days=expiry_days(hours_to_days(args.retention_hours)),
            protect=args.protect, parent=self, tagging=True)
        own = tempo_values(
            retention_hours=args.retention_hours, storage=args.storage,
            **store_location(self.store, ctx.region))
        # Tempo starts only once its role may use the bucket.
        self.tempo = helm_release(
            f"{name}-tempo", "tempo", release_name=TEMPO_RELEASE,
            namespace_name=self.namespace.metadata.name,
            values=merged_values(own, args.values), parent=self, provider=ctx.provider,
            depends_on=[*(self.store.ready if self.store else []), *args.after])
        # The collector queues and retries its exports until Tempo answers: no wait.
        self.collector = helm_release(
            f"{name}-collector", "opentelemetry-collector", release_name=COLLECTOR_RELEASE,
            namespace_name=self.namespace.metadata.name,
            values=collector_values(highly_available=args.highly_available),
            parent=self, provider=ctx.provider, depends_on=args.after)
        self.ready = [self.collector, self.tempo]
        self.register_outputs({"namespace": self.namespace_name, "otlpGrpcUrl": OTLP_GRPC_URL,
                               "tempoUrl": TEMPO_URL,
                               "bucket": self.store.bucket_name if self.store else None})
