"""Logs: Loki stores them, Grafana Alloy collects them from every pod.

- **Loki** (chart ``loki``, grafana-community) in Monolithic mode: one binary runs every
  target; its Service is ``loki`` on 3100 (``endpoints.LOKI_URL``), the push and query API
  that Alloy and Grafana use. No gateway (a single tenant, no auth to add), no canary or Helm
  test, no memcached caches (8 GiB of chunk cache by default; a small cluster does without).
  Retention is the compactor's (``retention_days``), over a TSDB v13 schema. Storage:
  ``s3`` - an encrypted, private bucket (components/addons/object_store.py) reached through an
  AWS role on Loki's service account (Pod Identity or IRSA), with three replicas (replication
  factor 3) when highly available; ``filesystem`` - one replica with its chunks on an encrypted
  gp3 volume.
- **Alloy** (chart ``alloy``, grafana) as a DaemonSet: each pod discovers the pods on its own
  node and tails their logs through the Kubernetes API (``loki.source.kubernetes``), so it
  mounts nothing from the host and runs as a non-root user; the namespace stays ``restricted``.
  Its RBAC reads pods, their logs and namespaces only (the chart's default also lists
  Secrets cluster-wide).

The user's ``values`` (addons.logging.values) are laid over Loki's.
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
from components.addons.endpoints import LOGGING_NAMESPACE, LOKI_PORT, LOKI_SERVICE, LOKI_URL
from components.addons.object_store import (
    ObjectStore,
    expiry_days,
    optional_store,
    store_location,
)

TYPE = "shipyard:addons:Logging"
LOKI_RELEASE = "loki"
ALLOY_RELEASE = "alloy"
LOKI_SERVICE_ACCOUNT = "loki"     # the one the bucket's role trusts
PUSH_PATH = "/loki/api/v1/push"
STORAGE_CLASS = "gp3"
SCHEMA_FROM = "2024-04-01"        # first day of the TSDB v13 schema; never change it once live
HA_REPLICAS = 3                   # with replication factor 3: a write needs two of them
FILESYSTEM_VOLUME_GI = 20         # the chunks themselves
WAL_VOLUME_GI = 10                # S3 mode: WAL and index cache only
ALLOY_UID = 473                   # the image's ``alloy`` user (it runs as root unless told)

RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
Storage = Literal["s3", "filesystem"]


# -- pure functions ---------------------------------------------------------------------------


def loki_values(*, retention_days: int, storage: Storage, highly_available: bool,
                bucket: pulumi.Input[str] | None = None, region: str | None = None,
                annotations: Mapping[str, pulumi.Input[str]] | None = None,
                pod_annotations: Mapping[str, str] | None = None
                ) -> dict[str, Any]:
    """The ``loki`` chart's values (keys as in its values.yaml, 18.11). ``pod_annotations``:
    the single binary's pods' (the workload identity of its S3 role: a switch rolls them)."""
    s3 = storage == "s3"
    if s3 and (bucket is None or region is None):
        raise ValueError("Loki on S3 needs the bucket and its region")
    # More than one Monolithic replica needs object storage (the chart refuses otherwise).
    replicas = HA_REPLICAS if (s3 and highly_available) else 1
    account: dict[str, Any] = {"create": True, "name": LOKI_SERVICE_ACCOUNT}
    if annotations:  # IRSA's role ARN; none with Pod Identity
        account["annotations"] = dict(annotations)
    store: dict[str, Any] = {"type": storage}
    if s3:
        store["bucketNames"] = {"chunks": bucket, "ruler": bucket}
        # No keys: the AWS SDK's default chain finds the Pod Identity (or IRSA) credentials.
        store["s3"] = {"region": region}
    return {
        "deploymentMode": "Monolithic",
        "fullnameOverride": LOKI_SERVICE,
        "loki": {
            "auth_enabled": False,               # one tenant: clients send no X-Scope-OrgID
            "commonConfig": {"replication_factor": replicas},
            "server": {"http_listen_port": LOKI_PORT},
            "storage": store,
            "schemaConfig": {"configs": [{
                "from": SCHEMA_FROM, "store": "tsdb", "object_store": storage,
                "schema": "v13", "index": {"prefix": "loki_index_", "period": "24h"}}]},
            # Retention is the compactor's: it deletes chunks older than retention_period.
            "limits_config": {"retention_period": f"{retention_days * 24}h"},
            "compactor": {"retention_enabled": True, "delete_request_store": storage,
                          "working_directory": "/var/loki/compactor"},
            "analytics": {"reporting_enabled": False},
        },
        "serviceAccount": account,
        "singleBinary": {
            "replicas": replicas,
            **({"podAnnotations": dict(pod_annotations)} if pod_annotations else {}),
            "persistence": {"enabled": True, "storageClass": STORAGE_CLASS,
                            "size": f"{WAL_VOLUME_GI if s3 else FILESYSTEM_VOLUME_GI}Gi"},
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                          "limits": {"memory": "1Gi"}},
        },
        # Monolithic: every scalable target off (the chart defaults them to 3 replicas and
        # refuses the mix).
        "read": {"replicas": 0}, "write": {"replicas": 0}, "backend": {"replicas": 0},
        "gateway": {"enabled": False},
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},          # the Helm test needs the canary
        "minio": {"enabled": False},
    }


def alloy_config(loki_url: str = LOKI_URL) -> str:
    """Alloy's pipeline: the pods on this node, their logs from the API, on to Loki."""
    return f"""\
discovery.kubernetes "pods" {{
  role = "pod"
  // each DaemonSet pod tails only the pods on its own node
  selectors {{
    role  = "pod"
    field = "spec.nodeName=" + sys.env("K8S_NODE_NAME")
  }}
}}

discovery.relabel "pods" {{
  targets = discovery.kubernetes.pods.targets
  rule {{
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "app"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_node_name"]
    target_label  = "node"
  }}
}}

loki.source.kubernetes "pods" {{
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.default.receiver]
}}

loki.write "default" {{
  endpoint {{
    url = "{loki_url}{PUSH_PATH}"
  }}
}}
"""


def alloy_values(loki_url: str = LOKI_URL) -> dict[str, Any]:
    """The ``alloy`` chart's values (1.11): a DaemonSet tailing pods through the API."""
    non_root = {"runAsNonRoot": True, "runAsUser": ALLOY_UID, "runAsGroup": ALLOY_UID}
    return {
        "fullnameOverride": ALLOY_RELEASE,
        "crds": {"create": False},           # no PodLogs objects: the pipeline is the config
        "controller": {"type": "daemonset", "hostNetwork": False, "hostPID": False},
        "global": {"podSecurityContext": {**non_root, "fsGroup": ALLOY_UID,
                                          "seccompProfile": RUNTIME_DEFAULT}},
        "alloy": {
            "configMap": {"create": True, "content": alloy_config(loki_url)},
            "enableReporting": False,
            "mounts": {"varlog": False, "dockercontainers": False},
            "securityContext": {**non_root, "allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": RUNTIME_DEFAULT},
            "resources": {"requests": {"cpu": "50m", "memory": "128Mi"},
                          "limits": {"memory": "512Mi"}},
        },
        # What loki.source.kubernetes reads, and nothing more.
        "rbac": {"create": True, "rules": [{
            "apiGroups": [""], "resources": ["pods", "pods/log", "namespaces"],
            "verbs": ["get", "list", "watch"]}],
            # an empty list renders as invalid YAML in the chart's ClusterRole: one harmless rule
            "clusterRules": [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]},
    }


# -- component --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggingArgs:
    ctx: ClusterContext
    retention_days: int
    storage: Storage
    highly_available: bool
    protect: bool = True                # the bucket (stack setting ``protect``)
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()


class Logging(pulumi.ComponentResource):
    namespace_name: str
    loki: k8s.helm.v3.Release
    alloy: k8s.helm.v3.Release
    store: ObjectStore | None
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: LoggingArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ctx = args.ctx
        self.namespace_name = LOGGING_NAMESPACE
        self.namespace = namespace(name, LOGGING_NAMESPACE, parent=self, provider=ctx.provider,
                                   protect=args.protect)
        self.store = optional_store(
            f"{name}-loki", storage=args.storage, ctx=ctx, purpose="loki", label="Loki",
            namespace=LOGGING_NAMESPACE, service_account=LOKI_SERVICE_ACCOUNT,
            expire_after_days=expiry_days(args.retention_days), protect=args.protect,
            parent=self)
        own = loki_values(
            retention_days=args.retention_days, storage=args.storage,
            highly_available=args.highly_available, **store_location(self.store, ctx.region))
        # Loki starts only once its role may use the bucket (else its first S3 calls fail).
        self.loki = helm_release(
            f"{name}-loki", "loki", release_name=LOKI_RELEASE,
            namespace_name=self.namespace.metadata.name,
            values=merged_values(own, args.values), parent=self, provider=ctx.provider,
            depends_on=[*(self.store.ready if self.store else []), *args.after])
        # Alloy retries its pushes until Loki answers: no need to wait for it.
        self.alloy = helm_release(
            f"{name}-alloy", "alloy", release_name=ALLOY_RELEASE,
            namespace_name=self.namespace.metadata.name, values=alloy_values(),
            parent=self, provider=ctx.provider, depends_on=args.after)
        self.ready = [self.loki]
        self.register_outputs({"namespace": self.namespace_name, "lokiUrl": LOKI_URL,
                               "bucket": self.store.bucket_name if self.store else None})
