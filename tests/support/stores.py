"""Which managed store serves an application's store in a stack: the stack's shared store of its
engine (``stores.placement: shared``) or a store of the application's own; what its consumers
are called there. The tests read the plans (and moto's accounts) through these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard.catalog.models import Application
from shipyard.rules import aws_names
from shipyard.rules import stores as store_rules

MANAGED_TYPES = {"postgresql": "shipyard:stores:RdsDatabase",
                 "mysql": "shipyard:stores:RdsDatabase",
                 "redis": "shipyard:stores:ValkeyReplicationGroup",
                 "rabbitmq": "shipyard:stores:RabbitMqBroker",
                 "mongodb": "shipyard:stores:DocumentDbCluster"}
SHARED_COMPONENT = "stores"      # the SharedStores component's name in __main__.py


@dataclass(frozen=True)
class Served:
    """An application's managed store and the store that holds it."""

    app: Application
    name: str                    # the store's name in the catalog
    kind: str
    shared: bool
    component: str               # the store component's resource name in the plan
    cluster: str                 # the stack's cluster name
    namespace: str               # where its bootstrap Job runs

    def identifier(self, limit: int = 63) -> str:
        """Its AWS identifier within the service's ``limit``, by the product's own rule:
        ``<cluster>-<app>-<store>``, or ``<cluster>-<kind>`` when shared."""
        if self.shared:
            return aws_names.store_identifier(self.cluster, None, self.kind, limit)
        return aws_names.store_identifier(self.cluster, self.app.name, self.name, limit)

    def user(self, service: str) -> str:
        """The service's user on that store."""
        if self.shared:
            return store_rules.shared_user(self.kind, self.app.name, service)
        return service if self.kind in ("redis", "rabbitmq") else service.replace("-", "_")

    def database(self, service: str) -> str | None:
        """The database the service owns there (RabbitMQ: its virtual host)."""
        named = store_rules.consumers_of(self.app, self.name)[service]
        if self.kind == "rabbitmq":
            return self.app.name if self.shared else None
        if self.kind == "redis" or named is None:
            return None
        if not self.shared:
            return named
        return store_rules.shared_name(self.app.name, named,
                                       store_rules.SHARED_DATABASE_LIMIT[self.kind])


def served(settings: Any, apps: tuple[str, ...] | None = None,
           kinds: tuple[str, ...] = tuple(MANAGED_TYPES)) -> list[Served]:
    """Every managed store (of ``kinds``) the stack's hosted applications (or those named)
    declare, with the store that holds it."""
    stores = settings.config.stores
    out = []
    for app in settings.applications:
        if apps is not None and app.name not in apps:
            continue
        for name, store in app.stores.items():
            if store.kind not in kinds or stores.backend_of(store.kind) != "managed":
                continue
            shared = store_rules.shares_store(app, store, stores)
            if shared:
                out.append(Served(app, name, store.kind, True,
                                  f"{SHARED_COMPONENT}-{store.kind}", settings.cluster_name,
                                  store_rules.SHARED_NAMESPACE))
            else:
                out.append(Served(app, name, store.kind, False,
                                  f"apps-{app.name}-stores-{name}", settings.cluster_name,
                                  app.name))
    return out


def components(entries: list[Served]) -> dict[str, list[Served]]:
    """Store component name -> the applications' stores it holds."""
    out: dict[str, list[Served]] = {}
    for entry in entries:
        out.setdefault(entry.component, []).append(entry)
    return out
