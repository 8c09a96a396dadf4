"""An in-cluster Valkey server (dev, existing-cluster mode): the Valkey project's own Helm
chart (``valkey`` 0.11.0, Valkey 9.1 from Docker Hub's ``valkey/valkey``), one release per
store in the tenant's namespace. Bitnami's Redis chart and images went behind a subscription
in 2025; Valkey is the Redis fork ElastiCache runs in staging and prod.

- One instance on a volume of ``args.storage_class`` (a Deployment, recreated rather than
  rolled: the volume attaches to one pod); with ``stores.redis.instances`` > 1 a primary and
  replicas (the chart's StatefulSet; the Service reaches the primary), on different nodes
  where possible, behind a PodDisruptionBudget of one.
- ACL users: ``default`` (every permission; the metrics exporter and the replicas use it) and
  one per consuming service with ``~* &* +@all -@admin``: every key and command but the
  server's administration (CONFIG, DEBUG, SHUTDOWN, REPLICAOF, MONITOR, ACL changes). Keys
  are not fenced per service (``~<service>:*``): the seeds' clients (rate limiters, cache
  libraries) choose their own key prefixes, and one application's services share the store on
  purpose. What a user of its own gives: attribution (CLIENT LIST, ACL LOG), revocation and
  rotation per service. Where the catalog says its clients prefix their keys (``keyPrefix:
  true``), each connection carries the prefix as ``KEY_PREFIX``, as on ElastiCache (every key
  is still allowed here). Passwords live in one Secret (``auth.usersExistingSecret``, a key per
  user); the chart's values name it and hold no password.
- ``maxmemory`` three quarters of the container's limit, ``volatile-lru`` as ElastiCache's
  default: the server evicts keys with a TTL instead of being OOM-killed.
- Probes connect over TCP: the chart's default ``valkey-cli ping`` runs unauthenticated, which
  an ACL with a password on ``default`` answers with NOAUTH.
- Metrics: the chart's redis_exporter sidecar and a ServiceMonitor of shipyard's own (checked
  against the CRD offline), when monitoring is on.
- Plain TCP, ``tls: false``: the chart's TLS needs a certificate Secret (cert-manager could
  issue it) and every client configured with its CA, which the connection wiring does not
  carry; the NetworkPolicy admits only the consuming services. ElastiCache uses TLS.
- ``protect`` on the release; its volume claim carries ``helm.sh/resource-policy: keep``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.stores import in_cluster
from components.stores.base import (
    STORE_LABEL,
    Connection,
    Footprint,
    StoreArgs,
    StoreComponent,
    password,
    store_port,
)
from components.stores.in_cluster import Container
from components.workload import MANAGED
from shipyard.catalog.services import memory_bytes
from shipyard.config.stores import StoreSettings
from shipyard.rules import stores as store_rules
from shipyard.versions import CHARTS

TYPE = "shipyard:stores:ValkeyServer"
CHART = "valkey"
PORT = store_port("redis", "inCluster")
METRICS_PORT = 9121
DEFAULT_USER = store_rules.VALKEY_DEFAULT_USER
ADMIN_PERMISSIONS = "~* &* +@all"
CONSUMER_PERMISSIONS = "~* &* +@all -@admin"
EVICTION_POLICY = "volatile-lru"

VALKEY = Container("valkey", "100m", "128Mi", "500m", "512Mi")
EXPORTER = Container("metrics", "50m", "32Mi", "200m", "128Mi")
INIT = Container("init", "50m", "32Mi", "200m", "64Mi")     # writes the config and ACL file


def footprint(kind_settings: StoreSettings) -> Footprint:
    # the exporter counts even when monitoring is off: a footprint is an upper bound
    return in_cluster.footprint(kind_settings.instances, (VALKEY, EXPORTER), (INIT,))


def image(kind_settings: StoreSettings) -> dict[str, str]:
    """The chart's ``image`` values for ``stores.redis.version``."""
    ref = store_rules.in_cluster_image("redis", kind_settings.version)
    path, _, tag = ref.rpartition(":")
    registry, _, repository = path.partition("/")
    return {"registry": registry, "repository": repository, "tag": tag}


def max_memory(limit: str = VALKEY.limits_memory) -> int:
    return memory_bytes(limit) * 3 // 4


def users_secret(store_name: str) -> str:
    return f"{store_name}-users"[:63].rstrip("-")


def acl_users(consumers: Sequence[str]) -> dict[str, dict[str, str]]:
    """``auth.aclUsers``: permissions only; each password is the Secret's key of its name."""
    users = {DEFAULT_USER: {"permissions": ADMIN_PERMISSIONS}}
    for service in consumers:
        if service == DEFAULT_USER:
            raise ValueError("a service named 'default' would take Valkey's default user")
        users[service] = {"permissions": CONSUMER_PERMISSIONS}
    return users


def _probe() -> dict[str, Any]:
    return {"enabled": True, "customProbe": {"tcpSocket": {"port": "tcp"}, "periodSeconds": 10,
                                             "timeoutSeconds": 2, "failureThreshold": 6}}


def valkey_values(store_name: str, *, consumers: Sequence[str], instances: int,
                  storage_class: str, storage_gi: int, image_values: Mapping[str, str],
                  secret_name: pulumi.Input[str], metrics: bool) -> dict[str, Any]:
    """The valkey chart's values (keys as in its values.yaml at valkey-0.11.0)."""
    container_security = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                          "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                          "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}
    values: dict[str, Any] = {
        "fullnameOverride": store_name,
        "image": {**image_values, "pullPolicy": "IfNotPresent"},
        "podLabels": in_cluster.pod_labels(store_name),
        "serviceAccount": {"create": True, "automount": False},
        "podSecurityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000,
                               "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": container_security,
        "resources": VALKEY.resources(),
        "initResources": INIT.resources(),
        "deploymentStrategy": "Recreate",
        "startupProbe": _probe(), "livenessProbe": _probe(), "readinessProbe": _probe(),
        "valkeyConfig": f"maxmemory {max_memory()}\nmaxmemory-policy {EVICTION_POLICY}\n",
        "auth": {"enabled": True, "usersExistingSecret": secret_name,
                 "aclUsers": acl_users(consumers)},
        "metrics": {"enabled": metrics,
                    "exporter": {"resources": EXPORTER.resources(),
                                 "securityContext": container_security},
                    "service": {"enabled": True},
                    "serviceMonitor": {"enabled": False}},   # shipyard's own, below
    }
    if instances > 1:
        values["replica"] = {"enabled": True, "replicas": instances - 1,
                             "replicationUser": DEFAULT_USER,
                             "persistence": {"size": f"{storage_gi}Gi",
                                             "storageClass": storage_class}}
        values["podDisruptionBudget"] = {"enabled": True, "maxUnavailable": 1}
        values["affinity"] = in_cluster.anti_affinity(store_name)
    else:
        values["dataStorage"] = {"enabled": True, "requestedSize": f"{storage_gi}Gi",
                                 "className": storage_class, "keepPvc": True,
                                 "labels": {STORE_LABEL: store_name}}
    return values


def service_monitor_spec(store_name: str) -> dict[str, Any]:
    return {"selector": {"matchLabels": {"app.kubernetes.io/name": CHART,
                                         "app.kubernetes.io/instance": store_name,
                                         "app.kubernetes.io/component": "metrics"}},
            "endpoints": [{"port": "metrics", "interval": "30s", "scheme": "http"}]}


def network_policy(store_name: str, consumers: Mapping[str, str | None], *,
                   monitoring_namespace: str | None) -> dict[str, Any]:
    """Consumers and replicas on 6379 (replicas follow the primary through it); Prometheus on
    the exporter. No API access: the pods mount no token."""
    return in_cluster.network_policy_spec(
        store_name, port=PORT, consumers=consumers, peer_ports=[PORT],
        monitoring_namespace=monitoring_namespace, metrics_port=METRICS_PORT)


class ValkeyServer(StoreComponent):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: StoreArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        store, ks = args.store_name, args.kind_settings
        consumers = list(args.consumers)
        image_values = image(ks)                       # refuses a bad setting first
        acl_users(consumers)                           # and a service named "default"
        ns = args.namespace
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        meta = {"namespace": ns, "labels": {"app.kubernetes.io/part-of": args.app.name,
                                            STORE_LABEL: store, **MANAGED}}

        passwords = {user: password(f"{name}-{user}-password", parent=self)
                     for user in [DEFAULT_USER, *consumers]}
        secret = k8s.core.v1.Secret(
            f"{name}-users", metadata={**meta, "name": users_secret(store)}, type="Opaque",
            string_data={user: pw.result for user, pw in passwords.items()}, opts=k8s_opts)

        chart = CHARTS[CHART]
        metrics = args.monitoring is not None
        self.release = k8s.helm.v3.Release(
            f"{name}-release", name=store, chart=chart.chart, version=chart.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo),
            namespace=ns, create_namespace=False,
            values=valkey_values(store, consumers=consumers, instances=ks.instances,
                                 storage_class=args.storage_class, storage_gi=ks.storage_gi,
                                 image_values=image_values, secret_name=secret.metadata.name,
                                 metrics=metrics),
            atomic=True, cleanup_on_fail=True, max_history=10, timeout=600, skip_await=False,
            opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(
                protect=args.protect, depends_on=list(args.operator))))

        if args.monitoring is not None:
            k8s.apiextensions.CustomResource(
                f"{name}-servicemonitor", api_version="monitoring.coreos.com/v1",
                kind="ServiceMonitor", metadata={**meta, "name": store},
                spec=service_monitor_spec(store),
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(
                    depends_on=list(args.monitoring))))

        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol", metadata={**meta, "name": in_cluster.policy_name(store)},
            spec=network_policy(store, args.consumers,
                                monitoring_namespace=args.monitoring_namespace
                                if metrics else None),
            opts=k8s_opts)

        host = pulumi.Output.concat(store, ".", ns, ".svc.cluster.local")
        # its catalog's key prefix, as on ElastiCache (``keyPrefix: true``); every key allowed
        declared = store_rules.declared_prefix(args.app, args.store)
        prefix = {store_rules.KEY_PREFIX_VAR: declared} if declared is not None else {}
        self.connections = {
            service: Connection(host=host, port=PORT, username=service,
                                password=passwords[service].result, database=None, tls=False,
                                extra=prefix,
                                # Helm waits for Valkey to answer: the services start after
                                ready=(self.release,))
            for service in consumers}
        self.register({"host": host, "port": PORT, "image": image_values["tag"]})
