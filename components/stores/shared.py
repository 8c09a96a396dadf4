"""The managed stores the stack's applications share: one per engine (``stores.placement:
shared``, or an application's own ``storePlacement``).

One RDS for PostgreSQL, one RDS for MySQL, one DocumentDB cluster, one ElastiCache for Valkey
group and one Amazon MQ for RabbitMQ broker at most, each the same component, settings and
protection as an application's own store (components/stores/rds.py, ...), named
``<cluster>-<kind>``. What changes is who logs in: every consuming service of every sharing
application (``shipyard.rules.stores.shared_logins``), each with a user of its own and a
database of its own, both prefixed by its application (``code_learn_user_service`` owns
``code_learn_codelearn_users``), created by the store's bootstrap Job. The Job and the master
credentials it reads live here, in the platform's namespace ``shipyard-stores``, never in a
tenant's: a tenant gets only its services' own passwords (components/stores/stores.py writes
each into the service's Secret in its namespace). RabbitMQ: a user per service on its
application's own virtual host; Valkey: a user per service restricted to its application's
key prefix (components/stores/elasticache.py).

Who may connect: the store's security group admits the cluster's security group on the
engine's port, as an application's own store's does; within the cluster each tenant's
NetworkPolicies let only its consuming services (and here, the store's bootstrap Job) reach the
stores' subnets on that port; each service's credentials open its own database only
(PostgreSQL: CONNECT revoked from PUBLIC; MySQL: grants on its schema; DocumentDB: readWrite on
its database; RabbitMQ: permissions on its application's virtual host).

Encrypted with a customer KMS key of the shared stores (the tenants' own keys keep encrypting
their buckets and their own stores).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import namespace
from components.stores.base import (
    Connection,
    Grant,
    ManagedNetwork,
    StoreArgs,
    StoreComponent,
)
from components.stores.stores import component_class, data_key
from components.workload import MANAGED
from shipyard.catalog.models import Store
from shipyard.config.stores import StoresSettings
from shipyard.rules.network_policies import deny_all_but_dns
from shipyard.rules.stores import SHARED_NAMESPACE, login_key
from shipyard.versions import STORE_ENGINES

TYPE = "shipyard:stores:SharedStores"


@dataclass(frozen=True)
class SharedStoreSpec:
    """One shared store: its kind and every consumer's login."""

    kind: str
    grants: Sequence[Grant]


@dataclass(frozen=True)
class SharedStoresArgs:
    stores: Sequence[SharedStoreSpec]
    settings: StoresSettings
    cluster_name: str
    environment: str
    network: ManagedNetwork
    provider: k8s.Provider
    protect: bool = False
    logs_key_arn: pulumi.Input[str] | None = None   # encrypts the databases' log groups
    tags: Mapping[str, str] = field(default_factory=dict)


def namespace_policies() -> dict[str, dict[str, Any]]:
    """The namespace's own NetworkPolicies: nothing in or out but DNS (each bootstrap Job adds
    its store's subnets on its port)."""
    return deny_all_but_dns()


class SharedStores(pulumi.ComponentResource):
    stores: dict[str, StoreComponent]

    def __init__(self, name: str, args: SharedStoresArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.namespace = namespace(name, SHARED_NAMESPACE, parent=self, provider=args.provider,
                                   labels={"app.kubernetes.io/part-of": SHARED_NAMESPACE})
        ns = self.namespace.metadata.name
        for policy, spec in namespace_policies().items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-netpol-{policy}",
                metadata={"name": policy, "namespace": ns, "labels": dict(MANAGED)},
                spec=spec, opts=k8s_opts)
        self.key = data_key(name, description=f"{args.cluster_name}: the shared data stores "
                                              f"at rest",
                            alias=f"alias/{args.cluster_name}-shared-stores",
                            name_tag=f"{args.cluster_name}-shared-stores", tags=args.tags,
                            protect=args.protect, parent=self)
        self.stores = {}
        for spec in args.stores:
            kind_settings = args.settings.kind(spec.kind)
            store_args = StoreArgs(
                app=None, store_name=spec.kind, store=Store(kind=spec.kind), consumers={},
                kind_settings=kind_settings, stores=args.settings,
                version=kind_settings.version or STORE_ENGINES[spec.kind], namespace=ns,
                provider=args.provider, cluster_name=args.cluster_name,
                environment=args.environment, protect=args.protect, tags=args.tags,
                network=args.network, kms_key_arn=self.key.arn, grants=tuple(spec.grants),
                logs_key_arn=args.logs_key_arn)
            cls = component_class(spec.kind, "managed")
            self.stores[spec.kind] = cls(f"{name}-{spec.kind}", store_args,
                                         opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})

    def connection(self, kind: str, app: str, service: str) -> Connection:
        """What ``app``'s ``service`` needs to reach the shared store of ``kind``."""
        return self.stores[kind].connections[login_key(app, service)]
