"""The estimate per application: what each hosted application costs, and what it would cost
under the other store placement. The one home of the rule; ``plan.py`` writes it (the JSON's
``estimate.by_application`` and the summary's table), and the plan report reads it there.

The rule, item by priced item (``offline/estimates/cost.py``), in whole cents:

- **its own**: an item of a resource inside the application's tenant, or tagged
  ``shipyard.dev/application`` with its name (its CDN);
- **its share of a shared store**: a store the stack's applications share (under the
  ``SharedStores`` component: one per engine) is split among the applications whose services
  connect to it, in proportion to their consuming services (a service's connection names the
  store's identifier, ``shipyard.dev/store-id``): each service is one database and one user
  there. The shared stores' own resources outside any one store (their KMS key) are split the
  same way over every consumer of every shared store. Cents are split by the largest
  remainder, so the shares add up to the store's cost exactly;
- everything else is the **shared platform** (network, cluster, nodes, add-ons, registry, DNS):
  not apportioned, since nothing in the plan says which application uses how much of it.

Applications plus the shared platform make the estimate's total, to the cent.

**The other placement**: an application on the shared stores would pay, for each of its
stores there, a store of its own at the same settings (the sizes are per engine, whatever the
placement: so the shared store's whole cost), plus a KMS key of its own if it has none; an
application with stores of its own would pay, instead of them, its share of one store of each
engine for the whole stack (the shared one, or one like its own where the stack has none), split
over every consuming service of that engine in the stack, shared or not, as if all shared it,
and its part of the shared stores' key (split over every consumer of every engine the same
way); less its own key, unless a bucket still needs it. A Valkey store whose clients do not prefix their
keys (its connections carry no ``KEY_PREFIX``) stays its application's own under either
placement (``kept_own`` says so): it is neither priced as moving nor moved, and it keeps the
application's key. In-cluster stores have no placement: none is given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from offline.harness import Plan, ResourceRecord
from offline.stateful import connection_of
from shipyard.rules.aws_names import APPLICATION_TAG
from shipyard.rules.stores import KEY_PREFIX_VAR

TENANT = "shipyard:apps:Tenant"
NAMESPACE = "kubernetes:core/v1:Namespace"
SHARED_STORES = "shipyard:stores:SharedStores"
OBJECT_BUCKET = "shipyard:stores:ObjectBucket"
KMS_KEY = "aws:kms/key:Key"
SHARED_PLATFORM = "shared platform"
# The store components of managed stores, and the resource (with the input) naming each
STORE_COMPONENTS = frozenset({"shipyard:stores:RdsDatabase", "shipyard:stores:DocumentDbCluster",
                              "shipyard:stores:ValkeyReplicationGroup",
                              "shipyard:stores:RabbitMqBroker"})
IDENTIFIERS = {"aws:rds/instance:Instance": "identifier",
               "aws:docdb/cluster:Cluster": "clusterIdentifier",
               "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
               "aws:mq/broker:Broker": "brokerName"}
RDS_KINDS = {"postgres": "postgresql", "mysql": "mysql"}
KINDS = {"aws:docdb/cluster:Cluster": "mongodb",
         "aws:elasticache/replicationGroup:ReplicationGroup": "redis",
         "aws:mq/broker:Broker": "rabbitmq"}
PLACEMENTS = {"shared": "perApplication", "perApplication": "shared"}


def cents(usd: float) -> int:
    return round(usd * 100)


def split(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """``total`` cents over ``weights`` by the largest remainder (ties by name): the parts add
    up to ``total`` exactly."""
    whole = sum(weights.values())
    if whole <= 0:
        return {}
    parts = {k: total * w // whole for k, w in weights.items()}
    left = total - sum(parts.values())
    by_remainder = sorted(weights, key=lambda k: (-(total * weights[k] % whole), k))
    for k in by_remainder[:left]:
        parts[k] += 1
    return parts


@dataclass
class Store:
    """A managed store component of the plan."""

    urn: str
    identifier: str
    kind: str
    shared: bool
    app: str | None                               # its application (a store of its own)
    cents: int = 0                                # its priced items
    consumers: Counter[str] = field(default_factory=Counter)   # application -> services
    names: dict[str, set[str]] = field(default_factory=dict)   # application -> its stores
    unprefixed: bool = False                      # a Valkey connection without KEY_PREFIX

    @property
    def movable(self) -> bool:
        """Whether the shared placement would put it on the shared store of its engine: any
        but a Valkey store whose clients do not prefix their keys (its connections carry no
        ``KEY_PREFIX``: shipyard.rules.stores.shares_store), which stays its application's."""
        return self.shared or self.kind != "redis" or (bool(self.consumers) and
                                                       not self.unprefixed)


@dataclass
class ApplicationCost:
    own: int = 0                                  # cents
    shared: dict[str, int] = field(default_factory=dict)      # shared store kind -> cents
    placement: str | None = None                  # shared, perApplication; None: no managed store
    other: int | None = None                      # cents under the other placement
    # its stores of its own under either placement (identifier -> why): Valkey whose clients
    # do not prefix their keys
    kept_own: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.own + sum(self.shared.values())


@dataclass
class ByApplication:
    applications: dict[str, ApplicationCost]
    shared_platform: dict[str, int]               # top component -> cents
    total: int

    @property
    def shared_platform_cents(self) -> int:
        return sum(self.shared_platform.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": "each application's own resources (in its tenant, or tagged with it), plus "
                    "each shared store split over the applications by their consuming "
                    "services; the rest is the shared platform (docs/offline-plan.md)",
            "applications": {
                name: {"own_usd": a.own / 100,
                       "shared_stores_usd": {k: v / 100 for k, v in sorted(a.shared.items())},
                       "total_usd": a.total / 100, "placement": a.placement,
                       "other_placement": PLACEMENTS.get(a.placement or ""),
                       "other_placement_usd": None if a.other is None else a.other / 100,
                       "kept_own": dict(sorted(a.kept_own.items()))}
                for name, a in sorted(self.applications.items())},
            "shared_platform_usd": self.shared_platform_cents / 100,
            "shared_platform_by_component": {k: v / 100
                                             for k, v in sorted(self.shared_platform.items())},
            "total_usd": self.total / 100,
        }

    def summary_lines(self) -> list[str]:
        """The table ``plan.py`` prints."""
        def usd(c: int | None) -> str:
            return "" if c is None else f"${c / 100:,.2f}"

        rows = [(name, usd(a.own), usd(sum(a.shared.values())), usd(a.total),
                 a.placement or "-",
                 f"{usd(a.other)} ({PLACEMENTS[a.placement]})" if a.placement and
                 a.other is not None else "-")
                for name, a in sorted(self.applications.items())]
        head = ("application", "own", "shared stores", "total", "placement", "other placement")
        rows = [head, *rows, (SHARED_PLATFORM, "", "", usd(self.shared_platform_cents), "", ""),
                ("total", "", "", usd(self.total), "", "")]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["estimated monthly cost by application (shared stores split by consuming "
                 "services; the shared platform not split):"]
        for row in rows:
            cells = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:4], widths[1:4],
                                                                           strict=True)),
                     row[4].ljust(widths[4]), row[5].rjust(widths[5])]
            lines.append("    " + "  ".join(cells).rstrip())
        for name, a in sorted(self.applications.items()):
            for identifier, why in sorted(a.kept_own.items()):
                lines.append(f"    {name}: {identifier} stays its own ({why})")
        return lines


def _tags(record: ResourceRecord) -> Mapping[str, Any]:
    tags = record.inputs.get("tags")
    return tags if isinstance(tags, Mapping) else {}


def _kind(record: ResourceRecord) -> str:
    if record.type == "aws:rds/instance:Instance":
        return RDS_KINDS.get(str(record.inputs.get("engine")), "postgresql")
    return KINDS[record.type]


def by_application(plan: Plan, items: Iterable[Mapping[str, Any]],
                   key_usd: float) -> ByApplication:
    """The items of ``plan``'s estimate per application (the rule above). ``key_usd``: a KMS
    key's monthly price, for the other placement."""
    index = {r.urn: r for r in plan.resources}
    tenants = {r.parent: str((r.inputs.get("metadata") or {}).get("name"))
               for r in plan.resources if r.type == NAMESPACE and r.parent in index
               and index[r.parent].type == TENANT}
    apps: dict[str, ApplicationCost] = {name: ApplicationCost() for name in tenants.values()}

    # who each resource belongs to: its tenant's application, a store component, the shared
    # stores, or a top component (memoised per parent: linear in the plan)
    owner: dict[str, tuple[str, str]] = {}

    def owner_of(record: ResourceRecord) -> tuple[str, str]:
        chain: list[str] = []
        found: tuple[str, str] | None = None
        urn: str | None = record.urn
        while urn in index:
            if urn in owner:
                found = owner[urn]
                break
            r = index[urn]
            chain.append(urn)
            if r.type == TENANT:
                found = ("app", tenants.get(urn, r.name))
            elif r.type in STORE_COMPONENTS:
                found = ("store", urn)
            elif r.type == SHARED_STORES:
                found = ("shared", urn)
            if found is not None:
                break
            if r.parent not in index:
                found = ("platform", r.name)
                break
            urn = r.parent
        assert found is not None
        # a store component inside a tenant or the shared stores keeps its own answer; the
        # resources above it do not inherit it
        for u in chain:
            owner[u] = found
        return found

    stores: dict[str, Store] = {}
    for r in plan.resources:
        if r.type in IDENTIFIERS and r.parent in index:
            store_urn = r.parent if index[r.parent].type in STORE_COMPONENTS else None
            if store_urn is None:
                continue
            above = [a.type for a in plan.ancestors(index[store_urn])]
            app = next((tenants.get(a.urn) for a in plan.ancestors(index[store_urn])
                        if a.type == TENANT), None)
            stores[store_urn] = Store(urn=store_urn, identifier=str(r.inputs.get(IDENTIFIERS[
                r.type])), kind=_kind(r), shared=SHARED_STORES in above, app=app)
    by_identifier = {s.identifier: s for s in stores.values()}
    for r in plan.resources:
        uses, store_id = connection_of(r.type, r.inputs)
        store = by_identifier.get(str(store_id)) if store_id else None
        if store is None:
            continue
        kind, app = owner_of(r)
        if kind == "app":
            store.consumers[app] += 1
            store.names.setdefault(app, set()).add(str(uses))
            store.unprefixed |= KEY_PREFIX_VAR not in (r.inputs.get("data") or {})

    platform: Counter[str] = Counter()
    pooled, pool_top = 0, ""                     # the shared stores' own (their key)
    own_keys: dict[str, int] = {}                # application -> its KMS key's cents
    for item in items:
        c = cents(float(item["monthly_usd"]))
        record = index.get(item["urn"])
        if record is None:
            platform["?"] += c
            continue
        tagged = _tags(record).get(APPLICATION_TAG)
        kind, who = owner_of(record)
        if kind == "store" and who in stores:
            stores[who].cents += c
            if stores[who].shared:
                continue
            who_app = stores[who].app
            if who_app is not None:
                apps.setdefault(who_app, ApplicationCost()).own += c
                continue
            platform[plan.component_of(record)] += c
        elif kind == "shared":
            pooled += c
            pool_top = plan.component_of(record)
        elif kind == "app":
            apps.setdefault(who, ApplicationCost()).own += c
            if record.type == KMS_KEY:
                own_keys[who] = own_keys.get(who, 0) + c
        elif isinstance(tagged, str) and tagged in apps:
            apps[tagged].own += c
        else:
            platform[who] += c

    shared = [s for s in stores.values() if s.shared]
    for store in shared:
        if not store.consumers:             # declared, unused: nobody to charge
            platform[plan.component_of(index[store.urn])] += store.cents
            continue
        for app, part in split(store.cents, store.consumers).items():
            apps[app].shared[store.kind] = apps[app].shared.get(store.kind, 0) + part
    everyone: Counter[str] = Counter()
    for store in shared:
        everyone.update(store.consumers)
    if everyone:
        for app, part in split(pooled, everyone).items():
            apps[app].shared["key"] = apps[app].shared.get("key", 0) + part
    elif pooled:
        platform[pool_top] += pooled

    _other_placement(apps, stores, own_keys, cents(key_usd), pooled if shared else None,
                     {name: urn for urn, name in tenants.items()}, plan)
    total = sum(a.total for a in apps.values()) + sum(platform.values())
    return ByApplication(applications=apps, shared_platform=dict(platform), total=total)


def _other_placement(apps: dict[str, ApplicationCost], stores: Mapping[str, Store],
                     own_keys: Mapping[str, int], key_cents: int, pooled: int | None,
                     tenant_of: Mapping[str, str], plan: Plan) -> None:
    """Each application's placement and its cost under the other one (the module's rule).
    ``pooled``: the shared stores' own cost (their key) where the plan has shared stores, else
    None (one key at ``key_cents``); ``tenant_of``: application -> its tenant's URN."""
    shared = {s.kind: s for s in stores.values() if s.shared}
    buckets = {next((a.urn for a in plan.ancestors(r) if a.type == TENANT), None)
               for r in plan.resources if r.type == OBJECT_BUCKET}
    # who would be on the shared stores if every application shared: per engine, and over
    # every engine (the shared stores' key)
    sharing: dict[str, Counter[str]] = {}
    for store in stores.values():
        if store.movable:
            sharing.setdefault(store.kind, Counter()).update(store.consumers)
    everyone: Counter[str] = Counter()
    for consumers in sharing.values():
        everyone.update(consumers)
    for name, cost in apps.items():
        mine = [s for s in stores.values() if not s.shared and s.app == name]
        uses = [s for s in shared.values() if s.consumers.get(name)]
        cost.kept_own = {s.identifier: "Valkey: its catalog does not say its clients prefix "
                                       "their keys (keyPrefix), which a shared group needs"
                         for s in mine if not s.movable}
        if uses:
            cost.placement = "shared"
            dedicated = sum(s.cents * len(s.names.get(name, ())) for s in uses)
            cost.other = cost.own + dedicated + (0 if name in own_keys else key_cents)
        elif mine:
            cost.placement = "perApplication"
            moving = [s for s in mine if s.movable]
            instead = 0
            for kind in sorted({s.kind for s in moving}):
                # one store of its engine for the whole stack, at the same settings (the
                # shared one, or one like its own), split over every consumer of that engine
                # as if all shared it
                there = shared.get(kind)
                whole = there.cents if there is not None else \
                    next(s.cents for s in moving if s.kind == kind)
                instead += split(whole, sharing[kind]).get(name, 0)
            if moving:
                # and its part of the shared stores' own key, split as the shared plan splits
                # it: over every consumer of every shared store
                instead += split(key_cents if pooled is None else pooled,
                                 everyone).get(name, 0)
            keeps_key = tenant_of.get(name) in buckets or len(moving) < len(mine)
            cost.other = cost.own - sum(s.cents for s in moving) + instead - (
                0 if keeps_key else own_keys.get(name, 0))
