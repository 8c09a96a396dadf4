"""An in-cluster MongoDB replica set (dev, existing-cluster mode): a ``MongoDBCommunity``
resource of MongoDB Controllers for Kubernetes (``components/addons/mongodb_operator.py``).

- ``stores.mongodb.instances`` members (a one-member replica set in dev: drivers and change
  streams behave as against DocumentDB's cluster), MongoDB Community Server 8.0 (the API
  DocumentDB 8.0 speaks in staging and prod), SCRAM authentication, the feature
  compatibility version stated (the release's major.minor): data files change format only
  when ``stores.mongodb.version`` does.
- One user per consuming service, ``readWrite`` on its database (the one its ``uses:`` names,
  else the store's first), stored in ``admin`` (so clients authenticate with
  ``authSource=admin``: the connection carries ``AUTH_SOURCE`` and ``REPLICA_SET``). Its
  password is a ``pulumi_random`` secret in a Secret the resource names; the operator hashes it
  into SCRAM credentials. No password in the resource.
- The StatefulSet override: the pods' labels (store name, out of the mesh), explicit
  resources for every container (``footprint``), PSA ``restricted`` security contexts, data
  and log volumes on ``args.storage_class``, and a ServiceAccount of the store's own whose
  Role may read only the replica set's automation-config Secret and get/patch/delete only its
  own pods: what the readiness probe and the version-upgrade hook do through the API. With
  more than one member: preferred anti-affinity per node and a PodDisruptionBudget of one.
- Metrics: the agents' Prometheus endpoint (9216, basic auth from a Secret) and a
  ServiceMonitor, when monitoring is on.
- Plain TCP, ``tls: false``: MCK's TLS needs a server certificate (cert-manager could issue
  it) *and* every client configured with its CA, which the connection wiring does not carry;
  the NetworkPolicy admits only the consuming services. Managed stores (DocumentDB) use TLS.
- Awaited until the operator reports it Running (``pulumi.com/waitFor``): the consuming
  services start once their users exist. ``protect`` on the resource; deleting it deletes the
  StatefulSet but not the volumes.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from shipyard.config.stores import StoreSettings
from shipyard.rules import stores as store_rules
from shipyard.rules.requests import AS_THEY_ARE, Sizing

TYPE = "shipyard:stores:MongoDbReplicaSet"
API_VERSION = "mongodbcommunity.mongodb.com/v1"
KIND = "MongoDBCommunity"
PORT = store_port("mongodb", "inCluster")
METRICS_PORT = 9216
METRICS_USER = "prometheus"
AUTH_DATABASE = "admin"
LOGS_VOLUME = "2Gi"
# Pulumi awaits the resource until the operator reports the replica set (users included) in
# its goal state: the consuming services start after it
WAIT_RUNNING = "jsonpath={.status.phase}=Running"
# checkov's graph check reads any ``get`` on secrets as "reads all secrets"
SECRET_READ_SKIP = {"checkov.io/skip1": "CKV2_K8S_5=the MongoDB readiness probe reads its "
                                        "replica set's automation-config Secret, the only one "
                                        "its Role names (resourceNames)"}

# The operator's defaults are 0.5-1 CPU and 400-500 MB for every container, init containers
# included; these fit a dev replica set (WiredTiger's cache is 256 MB under a 1 GiB limit).
MONGOD = Container("mongod", "250m", "512Mi", "1", "1Gi")
AGENT = Container("mongodb-agent", "100m", "192Mi", "500m", "384Mi")
# init containers only copy a binary into a shared volume
VERSION_HOOK = Container("mongod-posthook", "50m", "32Mi", "100m", "64Mi")
READINESS = Container("mongodb-agent-readinessprobe", "50m", "32Mi", "100m", "64Mi")
CONTAINERS = (MONGOD, AGENT)
INIT_CONTAINERS = (VERSION_HOOK, READINESS)


def footprint(kind_settings: StoreSettings, sizing: Sizing = AS_THEY_ARE) -> Footprint:
    return in_cluster.footprint(kind_settings.instances,
                                [c.sized(sizing) for c in CONTAINERS],
                                [c.sized(sizing) for c in INIT_CONTAINERS])


def version(kind_settings: StoreSettings) -> str:
    """The MongoDB release (``spec.version``): the pinned 8.0 one unless settings name
    another x.y.z."""
    image = store_rules.in_cluster_image("mongodb", kind_settings.version)
    return in_cluster.image_tag(image).partition("-")[0]


def database_of(store_name: str, database: str | None) -> str:
    return database or store_name.replace("-", "_")


def scram_secret(store_name: str, service: str) -> str:
    """The prefix of the operator's SCRAM credentials Secret for a user (unique per user)."""
    return f"{store_name}-{service}"[:50].rstrip("-")


def password_secret(store_name: str, service: str) -> str:
    return f"{store_name}-{service}-password"[:63].rstrip("-")


def service_account(store_name: str) -> str:
    return f"{store_name}-mongodb"


def pod_names(store_name: str, members: int) -> list[str]:
    return [f"{store_name}-{i}" for i in range(members)]


def role_rules(store_name: str, members: int) -> list[dict[str, Any]]:
    """The readiness probe reads the automation config's version from its Secret and patches
    its pod's annotations; the version-upgrade hook deletes its own pod."""
    return [
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [f"{store_name}-config"],
         "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods"],
         "resourceNames": pod_names(store_name, members), "verbs": ["get", "patch", "delete"]},
    ]


def user(store_name: str, service: str, database: str,
         secret_name: pulumi.Input[str]) -> dict[str, Any]:
    return {"name": service, "db": AUTH_DATABASE,
            "passwordSecretRef": {"name": secret_name, "key": "password"},
            "roles": [{"name": "readWrite", "db": database}],
            "scramCredentialsSecretName": scram_secret(store_name, service)}


def pod_security_context() -> dict[str, Any]:
    # the operator's own defaults, stated: PSA restricted
    return {"runAsNonRoot": True, "runAsUser": 2000, "fsGroup": 2000,
            "seccompProfile": {"type": "RuntimeDefault"}}


def statefulset_override(store_name: str, *, storage_class: str, storage_gi: int,
                         members: int = 1, sizing: Sizing = AS_THEY_ARE) -> dict[str, Any]:
    """``spec.statefulSet``: merged by the operator into the StatefulSet it builds (containers
    and volume claim templates by name)."""
    def claim(volume: str, size: str) -> dict[str, Any]:
        return {"metadata": {"name": volume},
                "spec": {"storageClassName": storage_class, "accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": size}}}}

    pod_spec: dict[str, Any] = {
        "serviceAccountName": service_account(store_name),
        "securityContext": pod_security_context(),
        "containers": [{"name": c.name, "resources": c.sized(sizing).resources()}
                       for c in CONTAINERS],
        "initContainers": [{"name": c.name, "resources": c.sized(sizing).resources()}
                           for c in INIT_CONTAINERS],
    }
    if members > 1:
        pod_spec["affinity"] = in_cluster.anti_affinity(store_name)
    return {
        "metadata": {"labels": {STORE_LABEL: store_name, **MANAGED}},
        "spec": {
            "template": {
                "metadata": {"labels": in_cluster.pod_labels(store_name)},
                "spec": pod_spec,
            },
            "volumeClaimTemplates": [claim("data-volume", f"{storage_gi}Gi"),
                                     claim("logs-volume", LOGS_VOLUME)],
        },
    }


def replica_set_spec(store_name: str, *, members: int, mongodb_version: str,
                     users: list[dict[str, Any]], storage_class: str, storage_gi: int,
                     metrics_secret: pulumi.Input[str] | None = None,
                     sizing: Sizing = AS_THEY_ARE) -> dict[str, Any]:
    """The MongoDBCommunity spec. Secrets are referenced by name only."""
    spec: dict[str, Any] = {
        "members": members,
        "type": "ReplicaSet",
        "version": mongodb_version,
        "featureCompatibilityVersion": ".".join(mongodb_version.split(".")[:2]),
        "security": {"authentication": {"modes": ["SCRAM"]}},
        "users": users,
        "statefulSet": statefulset_override(store_name, storage_class=storage_class,
                                            storage_gi=storage_gi, members=members,
                                            sizing=sizing),
    }
    if metrics_secret is not None:
        spec["prometheus"] = {"username": METRICS_USER,
                              "passwordSecretRef": {"name": metrics_secret, "key": "password"}}
    return spec


def service_monitor_spec(store_name: str, secret_name: pulumi.Input[str]) -> dict[str, Any]:
    """Prometheus scrapes every member through the operator's headless Service."""
    return {"selector": {"matchLabels": {"app": f"{store_name}-svc"}},
            "endpoints": [{"port": "prometheus", "interval": "30s", "scheme": "http",
                           "basicAuth": {"username": {"name": secret_name, "key": "username"},
                                         "password": {"name": secret_name, "key": "password"}}}]}


def network_policy(store_name: str, consumers: Mapping[str, str | None], *,
                   monitoring_namespace: str | None) -> dict[str, Any]:
    """Consumers and members on 27017 (the agents configure the replica set through it);
    Prometheus on the agents' endpoint; the API for the probe and hook. The operator never
    connects to mongod: it drives the agents through the automation-config Secret."""
    return in_cluster.network_policy_spec(
        store_name, port=PORT, consumers=consumers, peer_ports=[PORT],
        monitoring_namespace=monitoring_namespace, metrics_port=METRICS_PORT, api_server=True)


class MongoDbReplicaSet(StoreComponent):
    replica_set: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: StoreArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        store, ks = args.store_name, args.kind_settings
        mongodb_version = version(ks)                    # refuses a bad setting first
        ns = args.namespace
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        labels = {"app.kubernetes.io/part-of": args.app.name, STORE_LABEL: store,
                  **MANAGED}

        def meta(object_name: str,
                 annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
            out = {"name": object_name, "namespace": ns, "labels": labels}
            if annotations:
                out["annotations"] = dict(annotations)
            return out

        users: list[dict[str, Any]] = []
        credentials: dict[str, tuple[str, pulumi.Output[str]]] = {}
        for service, wanted in args.consumers.items():
            database = database_of(store, wanted)
            secret_pw = password(f"{name}-{service}-password", parent=self)
            secret = k8s.core.v1.Secret(
                f"{name}-{service}-secret", metadata=meta(password_secret(store, service)),
                type="Opaque", string_data={"password": secret_pw.result}, opts=k8s_opts)
            users.append(user(store, service, database, secret.metadata.name))
            credentials[service] = (database, secret_pw.result)

        metrics_secret = None
        if args.monitoring is not None:
            metrics_pw = password(f"{name}-metrics-password", parent=self)
            metrics_secret = k8s.core.v1.Secret(
                f"{name}-metrics-secret", metadata=meta(f"{store}-metrics"), type="Opaque",
                string_data={"username": METRICS_USER, "password": metrics_pw.result},
                opts=k8s_opts)

        account = k8s.core.v1.ServiceAccount(f"{name}-sa", metadata=meta(service_account(store)),
                                             opts=k8s_opts)
        role = k8s.rbac.v1.Role(f"{name}-role", metadata=meta(service_account(store)),
                                rules=role_rules(store, ks.instances), opts=k8s_opts)
        k8s.rbac.v1.RoleBinding(
            f"{name}-rolebinding", metadata=meta(service_account(store), SECRET_READ_SKIP),
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                      "name": role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": account.metadata.name,
                       "namespace": ns}], opts=k8s_opts)

        self.replica_set = k8s.apiextensions.CustomResource(
            f"{name}-replicaset", api_version=API_VERSION, kind=KIND,
            metadata=meta(store, {"pulumi.com/waitFor": WAIT_RUNNING}),
            spec=replica_set_spec(
                store, members=ks.instances, mongodb_version=mongodb_version, users=users,
                storage_class=args.storage_class, storage_gi=ks.storage_gi,
                metrics_secret=metrics_secret.metadata.name if metrics_secret else None,
                sizing=args.stores.sizing),
            opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(
                protect=args.protect, depends_on=list(args.operator))))

        host = pulumi.Output.concat(store, "-svc.", ns, ".svc.cluster.local")
        self.connections = {
            service: Connection(host=host, port=PORT, username=service, password=secret,
                                database=database, tls=False,
                                extra={"AUTH_SOURCE": AUTH_DATABASE, "REPLICA_SET": store},
                                ready=(self.replica_set,))
            for service, (database, secret) in credentials.items()}

        if args.monitoring is not None and metrics_secret is not None:
            k8s.apiextensions.CustomResource(
                f"{name}-servicemonitor", api_version="monitoring.coreos.com/v1",
                kind="ServiceMonitor", metadata=meta(store),
                spec=service_monitor_spec(store, metrics_secret.metadata.name),
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(
                    depends_on=list(args.monitoring))))

        budget = in_cluster.disruption_budget_spec(store, ks.instances)
        if budget is not None:
            k8s.policy.v1.PodDisruptionBudget(f"{name}-pdb", metadata=meta(store), spec=budget,
                                              opts=k8s_opts)

        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol", metadata=meta(in_cluster.policy_name(store)),
            spec=network_policy(store, args.consumers,
                                monitoring_namespace=args.monitoring_namespace
                                if args.monitoring is not None else None),
            opts=k8s_opts)
        self.register({"host": host, "port": PORT, "version": mongodb_version})
