"""One tenant's data stores, and how each consuming service reaches them.

For every store the application's catalog declares, the backend its kind has in this stack
(``stores.backend`` / ``stores.<kind>.backend``: in the cluster in dev, AWS-managed in staging
and prod) picks the component: CloudNativePG, MySQL, MongoDB, Valkey and RabbitMQ in the
tenant's namespace; RDS, DocumentDB, ElastiCache and Amazon MQ in the VPC's isolated subnets;
object storage is an S3 bucket everywhere. A managed store of a sharing application
(``stores.placement: shared``, its own ``storePlacement``) is not created here: its services
connect to the stack's shared store of that engine (components/stores/shared.py), which made
their users and databases. The tenant's own managed stores and buckets are encrypted with a
customer KMS key of the tenant's own (rotating, protected in prod).

Each service that ``uses:`` a store gets two objects in the tenant's namespace: a ConfigMap
``<service>-<store>-store`` with HOST, PORT, DATABASE, USERNAME, TLS and PASSWORD_FILE (read by
the pods as ``<STORE>_HOST`` ...; a managed store's ConfigMap names the store,
``shipyard.dev/store-id``), and a Secret ``<service>-<store>-store`` holding only its
password, mounted read-only as a file. The password is a ``pulumi_random`` secret Output from
generation to the Secret: never in a ConfigMap, a custom resource or an export.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.addons.base import AccessLogTarget
from components.stores.base import (
    Connection,
    Footprint,
    ManagedNetwork,
    StoreArgs,
    env_prefix,
    store_port,
)
from components.stores.s3_bucket import ObjectBucket
from components.workload import MANAGED, StoreMount, store_password_file
from shipyard.catalog.models import Application, Store, store_object_name
from shipyard.config.stores import StoreSettings, StoresSettings
from shipyard.rules import iam
from shipyard.rules import stores as store_rules
from shipyard.rules.stores import STORE_ID_ANNOTATION, USES_LABEL
from shipyard.versions import STORE_ENGINES

TYPE = "shipyard:stores:Stores"

# (kind, backend) -> "module:Class" under components/stores
BACKENDS: dict[tuple[str, str], str] = {
    ("postgresql", "managed"): "rds:RdsDatabase",
    ("mysql", "managed"): "rds:RdsDatabase",
    ("redis", "managed"): "elasticache:ValkeyReplicationGroup",
    ("rabbitmq", "managed"): "amazon_mq:RabbitMqBroker",
    ("mongodb", "managed"): "documentdb:DocumentDbCluster",
    ("postgresql", "inCluster"): "cnpg:PostgresCluster",
    ("mysql", "inCluster"): "mysql:MysqlServer",
    ("mongodb", "inCluster"): "mongodb:MongoDbReplicaSet",
    ("redis", "inCluster"): "valkey:ValkeyServer",
    ("rabbitmq", "inCluster"): "rabbitmq:RabbitMqCluster",
}
# A Job's pod (a bootstrap Job, an operator's init job) per store, sized by the LimitRange's
# defaults: room in the quota for it.
JOB_ALLOWANCE = Footprint(pods=1, requests_cpu=100, requests_memory=128 * 2**20,
                          limits_cpu=500, limits_memory=512 * 2**20,
                          max_container_cpu=500, max_container_memory=512 * 2**20)
SERVICES_PER_STORE = 4     # what an operator creates: read-write, read-only, headless, ...


def _module(kind: str, backend: str) -> Any:
    module, _ = BACKENDS[(kind, backend)].split(":")
    return importlib.import_module(f"components.stores.{module}")


def component_class(kind: str, backend: str) -> type:
    _, cls = BACKENDS[(kind, backend)].split(":")
    return getattr(_module(kind, backend), cls)


consumers = store_rules.consumers_of


def backends(app: Application, settings: StoresSettings) -> dict[str, str]:
    """Store name -> inCluster or managed."""
    return {name: settings.backend_of(store.kind) for name, store in app.stores.items()}


def ports(app: Application, settings: StoresSettings) -> dict[str, int]:
    """Store name -> the port its clients connect to."""
    return {name: store_port(store.kind, settings.backend_of(store.kind))
            for name, store in app.stores.items()}


def footprints(app: Application, settings: StoresSettings) -> list[Footprint]:
    """What the in-cluster stores run at most, plus a Job's pod per store (bootstrap Jobs for
    managed databases, operators' init jobs in the cluster); a shared store's Job runs in the
    shared stores' namespace, not the tenant's."""
    out: list[Footprint] = []
    for store in app.stores.values():
        if store.kind == "objectStorage" or store_rules.shares_store(app, store, settings):
            continue
        backend = settings.backend_of(store.kind)
        if backend == "inCluster":
            out.append(_module(store.kind, backend).footprint(settings.kind(store.kind),
                                                              settings.sizing))
        out.append(JOB_ALLOWANCE)
    return out


def service_count(app: Application, settings: StoresSettings) -> int:
    return SERVICES_PER_STORE * sum(
        1 for s in app.stores.values()
        if s.kind != "objectStorage" and settings.backend_of(s.kind) == "inCluster")


object_name = store_object_name


def placements(app: Application, settings: StoresSettings) -> dict[str, str]:
    """Store name -> where it runs: ``shared`` (the stack's store of its engine), ``own`` (a
    managed store of the application's) or ``inCluster``; object storage is always ``own``."""
    out = {}
    for name, store in app.stores.items():
        if store_rules.shares_store(app, store, settings):
            out[name] = "shared"
        else:
            out[name] = "own" if settings.backend_of(store.kind) == "managed" else "inCluster"
    return out


def connection_data(store: str, connection: Connection) -> dict[str, pulumi.Input[str]]:
    """The ConfigMap's data: every non-secret detail a client needs."""
    data: dict[str, pulumi.Input[str]] = {
        "HOST": connection.host, "PORT": str(connection.port),
        "TLS": "true" if connection.tls else "false"}
    if connection.database is not None:
        data["DATABASE"] = connection.database
    if connection.password is not None:
        data["USERNAME"] = connection.username
        data["PASSWORD_FILE"] = store_password_file(store)
    data.update(connection.extra)
    return data


@dataclass(frozen=True)
class StoreContext:
    """What every tenant's stores share: the stack's settings and where stores run."""

    settings: StoresSettings
    cluster_name: str
    environment: str
    region: str
    protect: bool = False
    network: ManagedNetwork | None = None          # None: no VPC (existing-cluster mode)
    operators: Mapping[str, Sequence[pulumi.Resource]] = field(default_factory=dict)
    storage_class: str = "gp3"
    tags: Mapping[str, str] = field(default_factory=dict)
    access_logs: AccessLogTarget | None = None      # the buckets' server access logs
    logs_key_arn: pulumi.Input[str] | None = None   # encrypts the databases' log groups
    # the stack's shared stores by kind (``Applications`` fills them in)
    shared: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoresArgs:
    app: Application
    context: StoreContext
    namespace: pulumi.Input[str]
    provider: k8s.Provider
    monitoring: Sequence[pulumi.Resource] | None = None
    monitoring_namespace: str | None = None


def data_key(name: str, *, description: str, alias: str, name_tag: str,
             tags: Mapping[str, str], protect: bool, parent: pulumi.Resource) -> aws.kms.Key:
    """A customer KMS key for data stores at rest (rotating, protected where ``protect``), and
    its alias: every backup and snapshot of the stores it encrypts is encrypted with it."""
    caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    key = aws.kms.Key(
        f"{name}-key", description=description, enable_key_rotation=True,
        deletion_window_in_days=30, policy=caller.account_id.apply(iam.key_policy),
        tags={**tags, "Name": name_tag},
        opts=pulumi.ResourceOptions(parent=parent, protect=protect))
    aws.kms.Alias(f"{name}-key-alias", name=alias, target_key_id=key.key_id,
                  opts=pulumi.ResourceOptions(parent=key))
    return key


class Stores(pulumi.ComponentResource):
    components: dict[str, pulumi.ComponentResource]
    mounts: dict[str, list[StoreMount]]              # service -> what its pods mount
    ready: dict[str, list[pulumi.Resource]]           # service -> what its pods wait for
    aws_policies: dict[str, pulumi.Output[str]]       # service -> its buckets' grants
    key: aws.kms.Key | None

    def __init__(self, name: str, args: StoresArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        app, ctx = args.app, args.context
        chosen = backends(app, ctx.settings)
        where = placements(app, ctx.settings)
        self.key = None
        # the tenant's key encrypts its own managed stores and its buckets (a shared store has
        # the shared stores' key)
        if any(w == "own" for n, w in where.items()
               if app.stores[n].kind != "objectStorage") and ctx.network is not None or \
                any(s.kind == "objectStorage" for s in app.stores.values()):
            self.key = self._data_key(name, app, ctx, parent=self)
        key_arn = self.key.arn if self.key is not None else None

        self.components, self.mounts, self.ready, self.aws_policies = {}, {}, {}, {}
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        for store_name, store in app.stores.items():
            if where[store_name] == "shared":
                shared = ctx.shared.get(store.kind)
                if shared is None:
                    raise ValueError(f"{app.name}/{store_name}: no shared {store.kind} store "
                                     f"(the stack's shared stores are created before tenants)")
                for service in consumers(app, store_name):
                    self._connect(name, app, service, store_name,
                                  shared.connection(store.kind, app.name, service),
                                  args.namespace, k8s_opts)
                continue
            store_args = self._store_args(app, store_name, store, chosen[store_name], args,
                                          key_arn)
            child = f"{name}-{store_name}"
            if store.kind == "objectStorage":
                component: Any = ObjectBucket(child, store_args, ctx.region,
                                              opts=pulumi.ResourceOptions(parent=self))
                for service in store_args.consumers:
                    self.aws_policies[service] = component.policy
            else:
                cls = component_class(store.kind, chosen[store_name])
                component = cls(child, store_args, opts=pulumi.ResourceOptions(parent=self))
            self.components[store_name] = component
            for service, connection in component.connections.items():
                self._connect(name, app, service, store_name, connection, args.namespace,
                              k8s_opts)
        self.register_outputs({})

    def _connect(self, name: str, app: Application, service: str, store_name: str,
                 connection: Connection, namespace: pulumi.Input[str],
                 opts: pulumi.ResourceOptions) -> None:
        """The service's ConfigMap and Secret for one store, mounted by its pods, which wait
        for them and for whatever the connection needs (its user made)."""
        objects = self._connection_objects(name, app, service, store_name, connection,
                                           namespace, opts)
        self.mounts.setdefault(service, []).append(StoreMount(
            store=store_name, prefix=env_prefix(store_name),
            config_map=object_name(service, store_name),
            secret=object_name(service, store_name)
            if connection.password is not None else None))
        self.ready.setdefault(service, []).extend([*objects, *connection.ready])

    @staticmethod
    def _data_key(name: str, app: Application, ctx: StoreContext,
                  parent: pulumi.Resource) -> aws.kms.Key:
        return data_key(name, description=f"{ctx.cluster_name} {app.name}: data stores at rest",
                        alias=f"alias/{ctx.cluster_name}-{app.name}-data",
                        name_tag=f"{ctx.cluster_name}-{app.name}-data", tags=ctx.tags,
                        protect=ctx.protect, parent=parent)

    @staticmethod
    def _store_args(app: Application, store_name: str, store: Store, backend: str,
                    args: StoresArgs, key_arn: pulumi.Output[str] | None) -> StoreArgs:
        ctx = args.context
        # a bucket has no engine settings of its own (its retention is the stores')
        kind_settings = ctx.settings.kind(store.kind) if store.kind != "objectStorage" \
            else StoreSettings()
        return StoreArgs(
            app=app, store_name=store_name, store=store,
            consumers=consumers(app, store_name), kind_settings=kind_settings,
            stores=ctx.settings,
            version=kind_settings.version or STORE_ENGINES.get(store.kind, ""),
            namespace=args.namespace, provider=args.provider, cluster_name=ctx.cluster_name,
            environment=ctx.environment, protect=ctx.protect, tags=ctx.tags,
            network=ctx.network if backend == "managed" else None, kms_key_arn=key_arn,
            storage_class=ctx.storage_class, access_logs=ctx.access_logs,
            logs_key_arn=ctx.logs_key_arn,
            operator=tuple(ctx.operators.get(store.kind, ())),
            monitoring=args.monitoring, monitoring_namespace=args.monitoring_namespace)

    @staticmethod
    def _connection_objects(name: str, app: Application, service: str, store: str,
                            connection: Connection, namespace: pulumi.Input[str],
                            opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        meta: dict[str, Any] = {
            "name": object_name(service, store), "namespace": namespace,
            "labels": {"app.kubernetes.io/part-of": app.name,
                       "app.kubernetes.io/name": service, USES_LABEL: store,
                       **MANAGED}}
        # where the service's data lives: plan.py --against flags a change of it
        where = {"annotations": {STORE_ID_ANNOTATION: connection.store_id}} \
            if connection.store_id is not None else {}
        objects: list[pulumi.Resource] = [k8s.core.v1.ConfigMap(
            f"{name}-{service}-{store}-connection", metadata={**meta, **where},
            data=connection_data(store, connection), opts=opts)]
        if connection.password is not None:
            objects.append(k8s.core.v1.Secret(
                f"{name}-{service}-{store}-credentials", metadata=meta, type="Opaque",
                string_data={"password": connection.password}, opts=opts))
        return objects
