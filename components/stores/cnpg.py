"""An in-cluster PostgreSQL store: a CloudNativePG ``Cluster`` in the tenant's namespace.

Why CloudNativePG: it is the maintained, CNCF PostgreSQL operator whose API covers everything a
tenant needs declaratively - the cluster (instances, storage, TLS, failover), and since 1.30 a
``DatabaseRole`` and a ``Database`` object per role and database, so a ``pulumi up`` that adds
a service adds its login and its database without a bootstrap Job or SQL in the program. Its
pods meet Pod Security ``restricted`` by default (uid 26, RuntimeDefault seccomp, read-only root,
no capabilities), it serves TLS with its own CA out of the box, and the same engine (PostgreSQL
17) runs on RDS in staging and prod.

What a store is:

- ``Cluster`` ``<store>``: ``stores.postgresql.instances`` instances (a primary and streaming
  standbys, spread over nodes and zones when there are several, behind the operator's
  PodDisruptionBudgets; one instance gets none, or it would block every node drain), each with
  a ``storageGi`` volume on the encrypted gp3 class, explicit requests and limits
  (``footprint``; the requests as the environment sizes them, ``stores.cpuRequests`` and
  ``memoryRequests``), the pinned operand image of the version's major (shipyard/versions.py).
  Plain-text connections are refused (``hostnossl ... reject``): clients use
  ``sslmode=require``, as on RDS with ``rds.force_ssl``. Pods are labelled with the store's name
  (what the consumers' NetworkPolicies admit) and kept out of the mesh: PostgreSQL speaks its
  own TLS and the operator's status calls carry a client certificate a sidecar would break.
  ``initdb`` creates a maintenance database and a non-superuser owner (``shipyard``), whose
  password comes from a Secret of ours; no superuser login is enabled.
- per consuming service: a generated password in a ``kubernetes.io/basic-auth`` Secret (the
  operator reloads it when it changes), a ``DatabaseRole`` (login, that password) named after
  the service (``user-service`` -> ``user_service``);
- per database: a ``Database`` owned by the role of the (first) service that uses it; other
  services of the same database are members of the owner's role and so share its privileges.
  A database no service uses belongs to ``shipyard``. Roles and databases are retained when
  their objects are deleted (``retain``): dropping data is a human decision.
- a NetworkPolicy for the store's pods: PostgreSQL from its consumers, the same store's pods
  (replication, pg_basebackup) and the operator (its status port 8000 and 5432); the metrics
  port from the monitoring namespace; out: the other instances and the Kubernetes API (the
  instance manager reads its Cluster and writes its status there).
- a PodMonitor for the instances' metrics port when monitoring is on (the Cluster's own
  ``enablePodMonitor`` is deprecated).

The Cluster, the roles and the databases wait for the operator (its CRDs, its webhooks) and
are awaited by Pulumi (``pulumi.com/waitFor``): a consuming service's pods start once its role
and database exist. The Cluster and the databases are protected in prod.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.cloudnative_pg import NAMESPACE as OPERATOR_NAMESPACE
from components.addons.cloudnative_pg import OPERATOR_LABELS, STATUS_PORT
from components.stores.base import (
    STORE_LABEL,
    Connection,
    Footprint,
    StoreArgs,
    StoreComponent,
    password,
)
from components.stores.in_cluster import Container
from components.stores.in_cluster import footprint as pods_footprint
from components.workload import MANAGED, NAME_LABEL, PART_OF_LABEL
from shipyard.config.base import Problem as Problem
from shipyard.config.stores import StoreSettings
from shipyard.rules import stores as store_rules
from shipyard.rules.requests import AS_THEY_ARE, Sizing

TYPE = "shipyard:stores:PostgresCluster"
API_VERSION = "postgresql.cnpg.io/v1"
PORT = 5432
METRICS_PORT = 9187                 # the instance manager's exporter, port name "metrics"
CLUSTER_LABEL = "cnpg.io/cluster"   # on every pod the operator creates for a Cluster
RELOAD_LABEL = "cnpg.io/reload"     # the operator re-applies a role when its Secret changes
# The Kubernetes API as pods reach it: 443 is the kubernetes Service and EKS's endpoint;
# kubeadm/kind (6443) and Minikube (8443) serve it on their own ports (existing clusters).
API_SERVER_PORTS = (443, 6443, 8443)
# The maintenance database and its owner that initdb creates (no service uses them).
BOOTSTRAP = store_rules.CNPG_BOOTSTRAP
# One instance's postgres container (the bootstrap init container and the initdb/join Jobs
# take the same). Memory request = limit: PostgreSQL's shared memory is never reclaimed, so a
# node under pressure must not count on getting it back (CloudNativePG recommends Guaranteed
# memory); CPU may burst. An environment may ask less (dev does: ``stores.memoryRequests``).
POSTGRES = Container("postgres", "100m", "512Mi", "1", "512Mi")
WAIT_APPLIED = "jsonpath={.status.applied}=true"   # pulumi.com/waitFor for roles, databases


# ---------------------------------------------------------------------------------------------
# Pure builders


def footprint(kind_settings: StoreSettings, sizing: Sizing = AS_THEY_ARE) -> Footprint:
    """What the store's instances run at most (its Jobs run before their instance's pod)."""
    return pods_footprint(kind_settings.instances, (POSTGRES.sized(sizing),))


def login_secret(store_name: str, login: str) -> str:
    """The Secret holding a login's password: ``<store>-login-<service>`` (the operator's own
    Secrets are ``<store>-ca``, ``-server``, ``-replication``: no service name can collide)."""
    return f"{store_name}-login-{object_name(login)}"


def role_name(service: str) -> str:
    """``user-service`` -> ``user_service``: the PostgreSQL role a service logs in as."""
    return service.replace("-", "_")


def object_name(value: str) -> str:
    """A database or role name as a Kubernetes object name (``_`` -> ``-``)."""
    return value.replace("_", "-")


def databases(store_databases: Sequence[str],
              consumers: Mapping[str, str | None]) -> dict[str, str]:
    """Database -> its owner role: the catalog's databases, each owned by the first service
    (by name) that uses it, else by ``shipyard``; a service that names no database (and its
    store has none) gets one of its own, named after its role."""
    owners: dict[str, str] = {db: BOOTSTRAP for db in store_databases}
    for service in sorted(consumers):
        db = consumers[service] or role_name(service)
        if owners.get(db, BOOTSTRAP) == BOOTSTRAP:
            owners[db] = role_name(service)
    return owners


def database_of(service: str, consumers: Mapping[str, str | None]) -> str:
    return consumers[service] or role_name(service)


def pod_labels(app: str, store_name: str) -> dict[str, str]:
    """What every object the operator creates for the store carries (``inheritedMetadata``):
    the store's name (the consumers' egress rules select it) and no sidecar."""
    return {STORE_LABEL: store_name, PART_OF_LABEL: app, "sidecar.istio.io/inject": "false"}


def cluster_spec(*, app: str, store_name: str, instances: int, image_name: str,
                 storage_class: str, storage_gi: int,
                 owner_secret: pulumi.Input[str],
                 sizing: Sizing = AS_THEY_ARE) -> dict[str, Any]:
    """The ``Cluster``'s spec (postgresql.cnpg.io/v1 at operator 1.30)."""
    spec: dict[str, Any] = {
        "instances": instances,
        "imageName": image_name,
        # a single instance's PodDisruptionBudget would block every drain of its node
        "enablePDB": instances > 1,
        "enableSuperuserAccess": False,
        "storage": {"storageClass": storage_class, "size": f"{storage_gi}Gi"},
        "resources": POSTGRES.sized(sizing).resources(),
        "inheritedMetadata": {"labels": pod_labels(app, store_name)},
        "bootstrap": {"initdb": {"database": BOOTSTRAP, "owner": BOOTSTRAP,
                                 "secret": {"name": owner_secret}}},
        # after the operator's fixed rules (replication by client certificate, local peer):
        # no connection without TLS
        "postgresql": {"pg_hba": ["hostnossl all all all reject"]},
    }
    if instances > 1:
        # a standby on the primary's node survives nothing the primary does not
        spec["affinity"] = {"enablePodAntiAffinity": True, "podAntiAffinityType": "required",
                            "topologyKey": "kubernetes.io/hostname"}
        spec["topologySpreadConstraints"] = [{
            "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {CLUSTER_LABEL: store_name,
                                              "cnpg.io/podRole": "instance"}},
        }]
    return spec


def role_spec(*, store_name: str, role: str, secret_name: pulumi.Input[str], comment: str,
              member_of: Sequence[str] = ()) -> dict[str, Any]:
    """A ``DatabaseRole``: a login with the password in ``secret_name``; kept in PostgreSQL
    when the object goes (it may own data)."""
    spec: dict[str, Any] = {
        "cluster": {"name": store_name}, "name": role, "login": True,
        "passwordSecret": {"name": secret_name}, "comment": comment,
        "databaseRoleReclaimPolicy": "retain",
    }
    if member_of:
        spec["inRoles"] = list(member_of)
    return spec


def database_spec(*, store_name: str, database: str, owner: str) -> dict[str, Any]:
    """A ``Database`` owned by ``owner``; kept when the object goes."""
    return {"cluster": {"name": store_name}, "name": database, "owner": owner,
            "databaseReclaimPolicy": "retain"}


def _ports(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in ports]


def network_policy_spec(*, store_name: str, consumers: Sequence[str],
                        monitoring_namespace: str | None) -> dict[str, Any]:
    """Who may reach the store's pods (instances and the operator's Jobs), and where they may
    go (docs/src/security.md "Exposed Ports" at v1.30.0)."""
    own = {"podSelector": {"matchLabels": {STORE_LABEL: store_name}}}
    operator = {"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": OPERATOR_NAMESPACE}},
        "podSelector": {"matchLabels": dict(OPERATOR_LABELS)}}
    ingress: list[dict[str, Any]] = []
    if consumers:
        ingress.append({"from": [{"podSelector": {"matchLabels": {NAME_LABEL: s}}}
                                 for s in sorted(consumers)], "ports": _ports(PORT)})
    ingress += [
        {"from": [own], "ports": _ports(PORT, STATUS_PORT)},
        {"from": [operator], "ports": _ports(PORT, STATUS_PORT)},
    ]
    if monitoring_namespace:
        ingress.append({"from": [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": monitoring_namespace}}}],
            "ports": _ports(METRICS_PORT)})
    return {
        "podSelector": {"matchLabels": {STORE_LABEL: store_name}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": ingress,
        "egress": [
            {"to": [own], "ports": _ports(PORT, STATUS_PORT)},
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _ports(*API_SERVER_PORTS)},
        ],
    }


def pod_monitor_spec(store_name: str) -> dict[str, Any]:
    """The instances' exporter (what the operator's deprecated PodMonitor would select)."""
    return {"selector": {"matchLabels": {CLUSTER_LABEL: store_name,
                                         "cnpg.io/podRole": "instance"}},
            "podMetricsEndpoints": [{"port": "metrics", "interval": "30s"}]}


# ---------------------------------------------------------------------------------------------
# The component


class PostgresCluster(StoreComponent):
    cluster: k8s.apiextensions.CustomResource
    roles: dict[str, k8s.apiextensions.CustomResource]          # by service
    databases: dict[str, k8s.apiextensions.CustomResource]      # by database name

    def __init__(self, name: str, args: StoreArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        store, s = args.store_name, args.kind_settings
        problems = store_rules.login_problems("postgresql", "inCluster", store, args.consumers,
                                              args.store.databases)
        if problems:
            raise ValueError(problems[0])
        image_name = store_rules.postgresql_image(args.version)
        super().__init__(TYPE, name, None, opts)
        app = args.app.name
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        cr_opts = pulumi.ResourceOptions.merge(
            k8s_opts, pulumi.ResourceOptions(depends_on=list(args.operator)))
        labels = {PART_OF_LABEL: app, STORE_LABEL: store, **MANAGED}

        def meta(object_name: str, **extra: Any) -> dict[str, Any]:
            return {"name": object_name, "namespace": args.namespace,
                    "labels": {**labels, **extra.pop("labels", {})}, **extra}

        # Secret names as outputs: each object that names one waits for it
        owner_secret, _ = self._login_secret(f"{name}-{BOOTSTRAP}",
                                             meta(login_secret(store, BOOTSTRAP)),
                                             BOOTSTRAP, k8s_opts)
        self.cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster", api_version=API_VERSION, kind="Cluster",
            metadata=meta(store, annotations={"pulumi.com/waitFor": "condition=Ready"}),
            spec=cluster_spec(app=app, store_name=store, instances=s.instances,
                              image_name=image_name, storage_class=args.storage_class,
                              storage_gi=s.storage_gi, owner_secret=owner_secret,
                              sizing=args.stores.sizing),
            opts=pulumi.ResourceOptions.merge(cr_opts,
                                              pulumi.ResourceOptions(protect=args.protect)))

        owners = databases(args.store.databases, args.consumers)
        self.roles, self.databases, passwords = {}, {}, {}
        for service in sorted(args.consumers):
            role = role_name(service)
            secret, passwords[service] = self._login_secret(
                f"{name}-{service}", meta(login_secret(store, service)), role, k8s_opts)
            owner = owners[database_of(service, args.consumers)]
            self.roles[service] = k8s.apiextensions.CustomResource(
                f"{name}-{service}-role", api_version=API_VERSION, kind="DatabaseRole",
                metadata=meta(f"{store}-{service}",
                              annotations={"pulumi.com/waitFor": WAIT_APPLIED}),
                spec=role_spec(store_name=store, role=role, secret_name=secret,
                               comment=f"{app}/{service}",
                               member_of=[owner] if owner not in (role, BOOTSTRAP) else []),
                opts=cr_opts)
        for db, owner in owners.items():
            self.databases[db] = k8s.apiextensions.CustomResource(
                f"{name}-{object_name(db)}-database", api_version=API_VERSION, kind="Database",
                metadata=meta(f"{store}-{object_name(db)}",
                              annotations={"pulumi.com/waitFor": WAIT_APPLIED}),
                spec=database_spec(store_name=store, database=db, owner=owner),
                opts=pulumi.ResourceOptions.merge(
                    cr_opts, pulumi.ResourceOptions(protect=args.protect)))

        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol", metadata=meta(f"{store}-store"),
            spec=network_policy_spec(store_name=store, consumers=list(args.consumers),
                                     monitoring_namespace=args.monitoring_namespace
                                     if args.monitoring is not None else None),
            opts=k8s_opts)
        if args.monitoring is not None:
            k8s.apiextensions.CustomResource(
                f"{name}-podmonitor", api_version="monitoring.coreos.com/v1", kind="PodMonitor",
                metadata=meta(store), spec=pod_monitor_spec(store),
                opts=pulumi.ResourceOptions.merge(
                    k8s_opts, pulumi.ResourceOptions(depends_on=list(args.monitoring))))

        host = pulumi.Output.concat(store, "-rw.", args.namespace, ".svc")
        self.connections = {}
        for service in sorted(args.consumers):
            db = database_of(service, args.consumers)
            self.connections[service] = Connection(
                host=host, port=PORT, username=role_name(service),
                password=passwords[service], database=db, tls=True,
                ready=(self.roles[service], self.databases[db]))
        self.register({"cluster": store, "host": host, "databases": sorted(owners),
                       "roles": sorted(role_name(s) for s in args.consumers)})

    def _login_secret(self, name: str, metadata: dict[str, Any], role: str,
                      opts: pulumi.ResourceOptions
                      ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """A generated password as the basic-auth Secret CloudNativePG reads a login from:
        (the Secret's name, the password)."""
        pw = password(f"{name}-password", parent=self)
        metadata = {**metadata, "labels": {**metadata["labels"], RELOAD_LABEL: "true"}}
        secret = k8s.core.v1.Secret(
            f"{name}-secret", metadata=metadata, type="kubernetes.io/basic-auth",
            string_data={"username": role, "password": pw.result}, opts=opts)
        return secret.metadata.name, pw.result
