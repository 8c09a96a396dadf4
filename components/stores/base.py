"""What every data store component takes and gives, whichever backend runs it.

A store component (one per backend and kind, one per file in this package) gets a
``StoreArgs``: the tenant's catalog entry for the store, the services that use it, the settings
of its kind, and where it runs (the tenant's namespace in the cluster, or the VPC's isolated
subnets). It gives one ``Connection`` per consuming service: host, port, database, user and a
password that is a secret Output from ``pulumi_random`` end to end. The tenant turns each
Connection into a ConfigMap (host, port, database, user: injected as environment variables)
and a Secret (the password, mounted as a file) — see ``connection_objects``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.addons.base import AccessLogTarget
from shipyard.catalog.models import Application, Store
from shipyard.config.stores import StoreSettings, StoresSettings
from shipyard.rules.aws_names import store_identifier
from shipyard.rules.stores import login_key

STORE_LABEL = "shipyard.dev/store"          # in-cluster store pods carry their store's name
SHARED_OWNER = "shared"                     # how a shared store names its owner (tags, labels)
PASSWORD_LENGTH = 32
# Letters and digits only: no character a connection URL, a shell or Amazon MQ
# (which refuses , : =) would need escaped; 32 of them carry ~190 bits.


def password(name: str, *, parent: pulumi.Resource, length: int = PASSWORD_LENGTH,
             protect: bool = False) -> random.RandomPassword:
    """A generated password (its ``result`` is a secret Output)."""
    return random.RandomPassword(name, length=length, special=False, min_lower=1,
                                 min_upper=1, min_numeric=1,
                                 opts=pulumi.ResourceOptions(parent=parent, protect=protect))


# The port a store listens on, by kind and backend. Managed RabbitMQ (Amazon MQ) speaks AMQP
# over TLS only (5671); the in-cluster broker plain AMQP (5672) inside the namespace.
PORTS: dict[tuple[str, str], int] = {
    ("postgresql", "managed"): 5432, ("postgresql", "inCluster"): 5432,
    ("mysql", "managed"): 3306, ("mysql", "inCluster"): 3306,
    ("mongodb", "managed"): 27017, ("mongodb", "inCluster"): 27017,
    ("redis", "managed"): 6379, ("redis", "inCluster"): 6379,
    ("rabbitmq", "managed"): 5671, ("rabbitmq", "inCluster"): 5672,
    ("objectStorage", "managed"): 443,
}


def store_port(kind: str, backend: str) -> int:
    return PORTS[(kind, backend)]


@dataclass(frozen=True)
class Footprint:
    """What an in-cluster store runs at most, for the tenant's ResourceQuota and LimitRange:
    pods, and the sums of their containers' requests and limits (millicores, bytes), and its
    largest single container's limits."""

    pods: int
    requests_cpu: int
    requests_memory: int
    limits_cpu: int
    limits_memory: int
    max_container_cpu: int
    max_container_memory: int


@dataclass(frozen=True)
class Grant:
    """One consuming service's user on a managed store and the database it may use (RabbitMQ:
    its virtual host, None for the default one ``/``). ``app`` is set on a shared store, whose
    consumers come from several applications (None: the store's own application's)."""

    service: str
    user: str
    database: str | None
    app: str | None = None

    @property
    def key(self) -> str:
        """How the store names this consumer (its password, its connection): the service, or
        on a shared store ``<app>-<service>``."""
        return self.service if self.app is None else login_key(self.app, self.service)


@dataclass(frozen=True)
class Connection:
    """What one consuming service needs to reach one store."""

    host: pulumi.Input[str]
    port: int
    username: pulumi.Input[str]
    password: pulumi.Output[str] | None      # a secret Output; None: IAM (S3 through its AWS role)
    database: str | None = None              # None: the kind has none (redis), or none named
    tls: bool = True                         # the client must use TLS
    # more non-secret settings for the service, by variable suffix (BUCKET, REGION for S3)
    extra: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # what the service must wait for before its pods start (its user exists, say)
    ready: Sequence[pulumi.Resource] = ()
    # a managed store's AWS identifier: where the service's data lives (plan.py --against
    # flags a connection that moves to another store)
    store_id: str | None = None


@dataclass(frozen=True)
class ManagedNetwork:
    """Where a managed store lives and who may reach it."""

    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]           # the isolated subnets, one per zone
    client_security_group_id: pulumi.Input[str]       # the cluster's (nodes and pods) SG
    cidrs: Sequence[str] = ()                          # the subnets' CIDRs


@dataclass(frozen=True)
class StoreArgs:
    app: Application | None                  # None: a store the stack's applications share
    store_name: str                          # its key in the catalog's stores (shared: its kind)
    store: Store
    consumers: Mapping[str, str | None]      # service -> the database it uses (None: none)
    kind_settings: StoreSettings             # stores.<kind>
    stores: StoresSettings                   # backups, windows, multi-AZ
    version: str                             # the engine version (settings or pinned)
    namespace: pulumi.Input[str]             # the tenant's namespace
    provider: k8s.Provider
    cluster_name: str
    environment: str
    protect: bool = False                    # protect=True / retain_on_delete where it fits
    tags: Mapping[str, str] = field(default_factory=dict)
    # managed only
    network: ManagedNetwork | None = None
    kms_key_arn: pulumi.Input[str] | None = None    # its data key: the shared stores' or the app's
    logs_key_arn: pulumi.Input[str] | None = None   # the stack's logs key: the log groups
    # in-cluster only
    storage_class: str = "gp3"
    operator: Sequence[pulumi.Resource] = ()        # the operator (and CRDs) it needs
    access_logs: AccessLogTarget | None = None      # a bucket's server access logs (accessLogs)
    monitoring: Sequence[pulumi.Resource] | None = None   # the monitoring CRDs; None: off
    monitoring_namespace: str | None = None
    # shared only: every consumer's login (a store of its own derives them from consumers)
    grants: Sequence[Grant] | None = None

    @property
    def size(self) -> str:
        return self.stores.size_of(self.store.kind)

    @property
    def owner(self) -> str:
        """The application the store is for, or ``shared``."""
        return self.app.name if self.app is not None else SHARED_OWNER

    @property
    def label(self) -> str:
        """``<app>/<store>`` (``shared/<kind>``): how descriptions and tags name the store."""
        return f"{self.owner}/{self.store_name}"

    def identifier(self, max_length: int = 63) -> str:
        """``<cluster>-<app>-<store>`` (a shared store: ``<cluster>-<kind>``): the AWS
        identifier of a managed store (``shipyard.rules.aws_names.store_identifier``). Fixed
        (not auto-named), so a replacement cannot silently create a second database beside
        the first: AWS refuses the duplicate and the plan flags the change. A kind has no
        hyphen, so no application's store comes to a shared store's identifier."""
        return store_identifier(self.cluster_name,
                                self.app.name if self.app is not None else None,
                                self.store_name, max_length)


class StoreComponent(pulumi.ComponentResource):
    """Base of every store component: ``connections`` by consuming service."""

    connections: dict[str, Connection]

    def register(self, outputs: Mapping[str, object] | None = None) -> None:
        self.register_outputs(dict(outputs or {}))


def env_prefix(store_name: str) -> str:
    """``orders-db`` -> ``ORDERS_DB_``: the prefix of a store's variables in a service."""
    return "".join(c if c.isalnum() else "_" for c in store_name).upper() + "_"
