"""A managed Redis store: an ElastiCache for Valkey replication group in the isolated subnets.

- ``stores.redis.instances`` nodes (a primary and replicas); with two or more, automatic
  failover, and Multi-AZ placement where ``stores.multiAz`` (prod) — which one node cannot give,
  so that combination is refused, naming the setting to change.
- TLS required in transit, encrypted at rest with the KMS key it is given (the tenant's for
  a group of its own, the shared stores' for the shared group), reachable only from the
  cluster's security group.
- Access by role (RBAC): one ElastiCache user per consuming service, with a generated password,
  in the store's user group; the built-in ``default`` user is replaced by a disabled one (a
  user group must contain a user named ``default``; ours can do nothing). Each service's user may
  use every key and channel (``on ~* &* +@all``): the services of an application share keys by
  design (one service writes the tokens another reads, a gateway's rate-limit counters), so a
  per-service key prefix would break them; ElastiCache itself forbids the administrative
  commands (CONFIG, SHUTDOWN, REPLICAOF, ...) to every user. What a user per service gives is a
  credential per service: revoked or rotated alone, visible in ``CLIENT LIST``.
- Shared by the stack's applications (``stores.placement: shared``) only where an
  application's catalog says its clients prefix every key and channel (``keyPrefix: true``;
  ``shipyard.rules.stores.shares_store``): a user per consuming service still, named
  ``<app>-<service>``, whose keys and channels are its application's only (``~<app>:*
  &<app>:*``, the prefix its connection carries as ``KEY_PREFIX``), without what reaches past
  a key pattern or into another application's scripts (``SHARED_DENIED``). An application
  whose catalog does not say so keeps a group of its own.
- Daily snapshots kept ``min(backupRetentionDays, 35)`` days in ``backupWindow``, minor
  upgrades in ``maintenanceWindow``, a final snapshot on deletion, ``protect`` in prod.
"""

from __future__ import annotations

import hashlib

import pulumi
import pulumi_aws as aws

from components.stores import managed
from components.stores.base import (
    Connection,
    Grant,
    StoreArgs,
    StoreComponent,
    password,
    store_port,
)
from shipyard.rules.stores import KEY_PREFIX_VAR, declared_prefix, key_prefix

TYPE = "shipyard:stores:ValkeyReplicationGroup"
ENGINE = "valkey"
MAX_ID = 40                    # replication group, user and user group ids
MAX_SNAPSHOT_DAYS = 35
SERVICE_ACCESS = "on ~* &* +@all"
DISABLED_DEFAULT_ACCESS = "off ~* -@all"
# What a shared group's user may not call, after ``+@all``, each rule of the grammar ElastiCache
# documents for Valkey 7.2 and later ("Specifying Permissions Using an Access String": -command,
# -@category, and ``|`` for a subcommand): what reaches past the user's key pattern or into the
# scripts and functions every application on the group shares.
SHARED_DENIED = (
    "-@dangerous",       # FLUSHALL, FLUSHDB, KEYS, SWAPDB, CLIENT KILL, DEBUG, MONITOR, ...
    # INFO (in @dangerous) allowed again: it shows the server's counters (memory, clients,
    # keys per database, commands called), never a key, a value or another user's name, and
    # common clients call it to start (ioredis' ready check) or to report health (Spring's
    # health indicator), which would fail with NOPERM without it
    "+info",
    "-scan", "-randomkey",   # would list or sample other applications' key names
    # functions are one library space for the whole group: FUNCTION LOAD / DELETE / FLUSH /
    # RESTORE would replace or drop another application's, FUNCTION DUMP / LIST read them
    "-function",
    # the script cache is the group's: SCRIPT FLUSH empties every application's, SCRIPT KILL
    # stops another's running script (EVAL, EVALSHA and SCRIPT LOAD stay: a script runs with
    # its caller's key permissions)
    "-script|flush", "-script|kill",
    # PUBSUB CHANNELS / SHARDCHANNELS list every application's channels, NUMSUB counts their
    # subscribers: introspection a client does not need to publish or subscribe
    "-pubsub",
)


def shared_access(app: str) -> str:
    """A shared group's user: its application's keys and channels, nothing that reaches past
    them (``SHARED_DENIED``)."""
    prefix = key_prefix(app)
    return " ".join((f"on ~{prefix}* &{prefix}* +@all", *SHARED_DENIED))


def access_of(grant: Grant) -> str:
    return SERVICE_ACCESS if grant.app is None else shared_access(grant.app)


def prefix_of(args: StoreArgs, grant: Grant) -> dict[str, str]:
    """``KEY_PREFIX`` in a consumer's connection: on the shared group always (its ACL admits
    nothing else), on a group of the application's own where its catalog declares it."""
    prefix = key_prefix(grant.app) if grant.app is not None else \
        declared_prefix(args.app, args.store)
    return {KEY_PREFIX_VAR: prefix} if prefix is not None else {}


def short_id(*parts: str, limit: int = MAX_ID) -> str:
    """An ElastiCache id (letters, digits, single hyphens; at most ``limit`` characters): the
    parts joined, or cut and made unique by a hash when too long."""
    joined = "-".join(parts).lower()
    if len(joined) <= limit:
        return joined
    digest = hashlib.sha256(joined.encode()).hexdigest()[:6]
    return f"{joined[:limit - 7].rstrip('-')}-{digest}"


def topology(instances: int, multi_az: bool) -> dict[str, object]:
    """Nodes, automatic failover and Multi-AZ for ``instances`` nodes."""
    return {"num_cache_clusters": instances, "automatic_failover_enabled": instances >= 2,
            "multi_az_enabled": multi_az}


class ValkeyReplicationGroup(StoreComponent):
    replication_group: aws.elasticache.ReplicationGroup
    users: dict[str, aws.elasticache.User]
    user_group: aws.elasticache.UserGroup

    def __init__(self, name: str, args: StoreArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        if args.store.kind != "redis":
            raise ValueError(f"ValkeyReplicationGroup runs redis, not {args.store.kind}")
        shape = topology(args.kind_settings.instances, args.stores.multi_az)
        net = managed.network(args)
        super().__init__(TYPE, name, None, opts)
        identifier = args.identifier(MAX_ID)
        port = store_port("redis", "managed")
        child = pulumi.ResourceOptions(parent=self)
        tags = managed.tags(args, identifier)

        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets", name=identifier, subnet_ids=net.subnet_ids,
            description=f"{args.label}: the isolated subnets",
            tags=tags, opts=child)
        security_group = managed.security_group(name, args, [port], parent=self)

        self.users, passwords = {}, {}
        default_password = password(f"{name}-default", parent=self)
        default = aws.elasticache.User(
            f"{name}-user-default", user_id=short_id(identifier, "default"),
            user_name="default", engine=ENGINE, access_string=DISABLED_DEFAULT_ACCESS,
            authentication_mode={"type": "password", "passwords": [default_password.result]},
            tags=tags, opts=child)
        grant_list = list(args.grants) if args.grants is not None else \
            [Grant(service, service, None) for service in args.consumers]
        grant_list.sort(key=lambda g: g.key)
        for g in grant_list:
            passwords[g.key] = password(f"{name}-{g.key}", parent=self)
            self.users[g.key] = aws.elasticache.User(
                f"{name}-user-{g.key}", user_id=short_id(identifier, g.key),
                user_name=g.user, engine=ENGINE, access_string=access_of(g),
                authentication_mode={"type": "password",
                                     "passwords": [passwords[g.key].result]},
                tags=tags, opts=child)
        self.user_group = aws.elasticache.UserGroup(
            f"{name}-users", user_group_id=identifier, engine=ENGINE,
            user_ids=[default.user_id, *[u.user_id for u in self.users.values()]],
            tags=tags, opts=child)

        stores = args.stores
        self.replication_group = aws.elasticache.ReplicationGroup(
            f"{name}-group", replication_group_id=identifier,
            description=args.label,
            engine=ENGINE, engine_version=args.version, node_type=args.size, port=port,
            **shape,
            subnet_group_name=subnet_group.name, security_group_ids=[security_group.id],
            # enabled at creation, TLS is required (the "preferred" mode exists only to
            # migrate an existing group)
            transit_encryption_enabled=True,
            at_rest_encryption_enabled=True, kms_key_id=args.kms_key_arn,
            user_group_ids=[self.user_group.user_group_id],
            snapshot_retention_limit=min(stores.backup_retention_days, MAX_SNAPSHOT_DAYS),
            snapshot_window=stores.backup_window,
            maintenance_window=stores.maintenance_window,
            final_snapshot_identifier=managed.final_snapshot(name, identifier, parent=self),
            auto_minor_version_upgrade=True, apply_immediately=False, tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))

        self.connections = {
            g.key: Connection(host=self.replication_group.primary_endpoint_address,
                              port=port, username=g.user,
                              password=passwords[g.key].result, database=None, tls=True,
                              extra=prefix_of(args, g),
                              store_id=identifier)
            for g in grant_list}
        self.register({"replicationGroupId": identifier,
                       "primaryEndpoint": self.replication_group.primary_endpoint_address,
                       "port": port})
