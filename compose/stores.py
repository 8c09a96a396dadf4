"""The data stores: what every tenant's stores share, and the operators in-cluster stores need.

A store operator is installed when a hosted application has a store of its kind that runs in
the cluster (``Settings.hosts_in_cluster``); its Args are None otherwise.
"""

from __future__ import annotations

from components.addons import cloudnative_pg, mongodb_operator, rabbitmq_operator
from components.addons.base import ClusterContext
from components.stores.base import Grant, ManagedNetwork
from components.stores.shared import SharedStoresArgs, SharedStoreSpec
from components.stores.stores import StoreContext
from shipyard.config.cluster import ClusterMode
from shipyard.config.stack import Settings
from shipyard.rules import stores as store_rules


def cloudnative_pg_highly_available(settings: Settings) -> bool:
    """Two operator replicas when some store has standbys to fail over to: with one replica a
    node loss that also takes the operator would stall the failover until it is rescheduled."""
    return settings.config.stores.postgresql.instances > 1


def cloudnative_pg_args(settings: Settings,
                        ctx: ClusterContext) -> cloudnative_pg.CloudNativePgArgs | None:
    """CloudNativePG, once for all tenants, where PostgreSQL runs in the cluster (MySQL in the
    cluster needs no operator)."""
    if not settings.hosts_in_cluster(cloudnative_pg.KIND):
        return None
    return cloudnative_pg.CloudNativePgArgs(
        ctx=ctx, highly_available=cloudnative_pg_highly_available(settings))


def mongodb_operator_args(settings: Settings,
                          ctx: ClusterContext) -> mongodb_operator.MongoDbOperatorArgs | None:
    """MongoDB Controllers for Kubernetes where MongoDB runs in the cluster (chart and image
    are pinned in shipyard.versions: nothing else to choose)."""
    if not settings.hosts_in_cluster(mongodb_operator.KIND):
        return None
    return mongodb_operator.MongoDbOperatorArgs(ctx=ctx)


def rabbitmq_operator_args(settings: Settings,
                           ctx: ClusterContext) -> rabbitmq_operator.RabbitMqOperatorArgs | None:
    """The RabbitMQ Cluster Operator where RabbitMQ runs in the cluster; it needs cert-manager
    (the settings refuse it without; this stays as a guard). Valkey needs no operator."""
    if not settings.hosts_in_cluster(rabbitmq_operator.KIND):
        return None
    if not settings.addons.cert_manager.enabled:
        raise ValueError("addons.certManager.enabled is false, but an in-cluster RabbitMQ "
                         "store needs cert-manager: the RabbitMQ Cluster Operator's "
                         "webhooks get their certificate from it (or set "
                         "stores.rabbitmq.backend: managed)")
    return rabbitmq_operator.RabbitMqOperatorArgs(ctx=ctx)


def store_cidrs(settings: Settings) -> tuple[str, ...]:
    """Where the managed stores live: the isolated subnets (the private ones without that
    tier); none on an existing cluster."""
    if settings.cluster.mode is not ClusterMode.EKS:
        return ()
    return tuple(z.isolated or z.private for z in settings.network.layout())


def https_exceptions(settings: Settings) -> tuple[str, ...]:
    """What the tenants' HTTPS-anywhere rules (AWS's APIs, S3) leave out: the stores' subnets
    where they are a tier of their own (the isolated subnets), so that only a store's consumers
    reach them, on its port (Amazon MQ's management API listens on 443). Never the private
    subnets: the interface endpoints live there (eks-auth or STS, ECR, CloudWatch Logs, with private DNS:
    components/network.py), so without an isolated tier (seed 001's layout) nothing is left out
    and the stores there are kept apart by their credentials and security groups alone."""
    private = {z.private for z in settings.network.layout()} \
        if settings.cluster.mode is ClusterMode.EKS else set()
    return tuple(cidr for cidr in store_cidrs(settings) if cidr not in private)


def managed_network(settings: Settings, ctx: ClusterContext) -> ManagedNetwork | None:
    """The VPC the managed stores join; None on an existing cluster (no VPC)."""
    if settings.cluster.mode is not ClusterMode.EKS:
        return None
    assert ctx.vpc_id is not None and ctx.database_subnet_ids is not None
    assert ctx.cluster_security_group_id is not None
    return ManagedNetwork(vpc_id=ctx.vpc_id, subnet_ids=ctx.database_subnet_ids,
                          client_security_group_id=ctx.cluster_security_group_id,
                          cidrs=store_cidrs(settings))


def store_context(settings: Settings, ctx: ClusterContext) -> StoreContext:
    """What every tenant's stores share. The operators they wait for are the add-ons' to
    give (``Applications`` fills them in)."""
    stores = settings.config.stores
    return StoreContext(
        settings=stores, cluster_name=settings.cluster_name,
        environment=settings.environment.value, region=settings.region,
        protect=settings.config.protect, network=managed_network(settings, ctx),
        tags=ctx.tags, storage_class=stores.storage_class, access_logs=ctx.access_logs,
        logs_key_arn=ctx.logs_key_arn)


def shared_grants(settings: Settings, kind: str) -> tuple[Grant, ...]:
    """Every consuming service's login on the stack's shared store of ``kind``."""
    return tuple(Grant(login.service, login.user, login.database, app=login.app)
                 for login in store_rules.shared_logins(kind, settings.applications,
                                                        settings.config.stores))


def shared_stores_args(settings: Settings, ctx: ClusterContext) -> SharedStoresArgs | None:
    """The stack's shared managed stores: one per engine that a sharing application declares a
    store of, with every consuming service's login; None when no application shares one (or
    there is no VPC: the settings refuse a managed store without one)."""
    stores = settings.config.stores
    specs = [SharedStoreSpec(kind=kind, grants=shared_grants(settings, kind))
             for kind in store_rules.SHARED_KINDS
             if store_rules.shared_declared(kind, settings.applications, stores)]
    network = managed_network(settings, ctx)
    if not specs or network is None:
        return None
    return SharedStoresArgs(
        stores=tuple(specs), settings=stores, cluster_name=settings.cluster_name,
        environment=settings.environment.value, network=network, provider=ctx.provider,
        protect=settings.config.protect, logs_key_arn=ctx.logs_key_arn, tags=ctx.tags)
