"""The data stores' rules: which engine image a version names, what AWS accepts of a managed
store's size, storage, members and windows. Pure functions.

``shipyard.config.checks`` runs ``problems`` for every store a hosted application declares, so a
bad ``stores.*`` value is refused before any resource is registered; the store components call
the same functions (``postgresql_image``, ``in_cluster_image``, ...) for what they build, and so
never meet a value the checks let through.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from shipyard.catalog.models import Application, Store
from shipyard.config.base import Problem
from shipyard.config.stores import StoresSettings
from shipyard.versions import STORE_IMAGES

# --- in the cluster: the operand images shipyard pins, by kind and version
IN_CLUSTER_PINNED: dict[str, dict[str, str]] = {
    "mongodb": {"8.0": STORE_IMAGES["mongodb-8.0"]},
    "redis": {"9.1": STORE_IMAGES["valkey-9.1"]},
    "rabbitmq": {"4.2": STORE_IMAGES["rabbitmq-4.2"]},
}
VALKEY_DEFAULT_USER = "default"      # Valkey's own user: no service may take its name

# --- managed
RDS_MIN_STORAGE_GI = 20              # gp3 on RDS for PostgreSQL and MySQL: 20 GiB to 64 TiB
RDS_MAX_STORAGE_GI = 65536
DOCUMENTDB_MAX_INSTANCES = 16
AMAZON_MQ_USER = re.compile(r"^[A-Za-z0-9._-]{2,100}$")
RDS_KINDS = ("postgresql", "mysql")
# Instance classes RDS gives no Performance Insights (CloudWatch Database Insights) for, by
# engine (RDS User Guide, "Amazon RDS DB engine, Region, and instance class support for Database
# Insights"; for RDS for PostgreSQL the page lists no such class).
NO_PERFORMANCE_INSIGHTS = {"mysql": frozenset({"db.t2.micro", "db.t2.small", "db.t3.micro",
                                               "db.t3.small", "db.t4g.micro", "db.t4g.small"})}
# the managed stores whose backup and maintenance windows AWS checks against each other
WINDOWED_KINDS = ("postgresql", "mysql", "mongodb", "redis")


# ---------------------------------------------------------------------------------------------
# Images in the cluster


def postgresql_image(version: str) -> str:
    """The CloudNativePG operand image for ``stores.postgresql.version``: the pinned tag of its
    major, or that minor's tag when the version names one (``17.6`` -> ``17.6-standard-trixie``)."""
    major, _, minor = version.partition(".")
    pinned = STORE_IMAGES.get(f"postgresql-{major}") if major.isdigit() else None
    if pinned is None or (minor and not minor.isdigit()):
        supported = sorted(k.removeprefix("postgresql-") for k in STORE_IMAGES
                           if k.removeprefix("postgresql-").isdigit())
        raise Problem("stores.postgresql.version", version,
                      f"no CloudNativePG image pinned for it (majors: {', '.join(supported)}; "
                      f"or major.minor)")
    if not minor:
        return pinned
    repository, _, tag = pinned.rpartition(":")
    return f"{repository}:{version}-{tag.partition('-')[2]}"


def mysql_image(version: str) -> str:
    """The server image for ``stores.mysql.version``: the pinned tag of its series (``8.4``),
    or that exact release's tag (``8.4.6``)."""
    series = ".".join(version.split(".")[:2])
    pinned = STORE_IMAGES.get(f"mysql-{series}") if series[:1].isdigit() else None
    if pinned is None or not all(part.isdigit() for part in version.split(".")):
        supported = sorted(k.removeprefix("mysql-") for k in STORE_IMAGES
                           if k.removeprefix("mysql-")[:1].isdigit())
        raise Problem("stores.mysql.version", version,
                      f"no MySQL image pinned for it (series: {', '.join(supported)}; or a "
                      f"release of one)")
    if version == series:
        return pinned
    return f"{pinned.rpartition(':')[0]}:{version}"


def in_cluster_image(kind: str, requested: str | None) -> str:
    """The image for ``stores.<kind>.version`` (mongodb, redis, rabbitmq): unset or a
    major.minor shipyard pins -> the pinned image; a full x.y.z -> that release of the pinned
    image's repository."""
    pinned = IN_CLUSTER_PINNED[kind]
    if requested is None or requested in pinned:
        key = requested if requested is not None else next(iter(pinned))
        return pinned[key]
    parts = requested.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        major_minor = ".".join(parts[:2])
        base = pinned.get(major_minor) or next(iter(pinned.values()))
        repository, _, tag = base.rpartition(":")
        _, dash, suffix = tag.partition("-")
        return f"{repository}:{requested}{dash}{suffix}"
    raise Problem(f"stores.{kind}.version", requested,
                  f"in the cluster give a full release (x.y.z) or one of "
                  f"{', '.join(sorted(pinned))}, which shipyard pins")


# ---------------------------------------------------------------------------------------------
# Managed: instance classes and engine versions

# ``<service prefix>.<family>.<size>``: db.t4g.medium, db.r7g.2xlarge, cache.m7g.large,
# mq.m7g.medium. A family is letters, a generation digit and attribute letters (r6gd, x2iedn);
# a size is nano..large, [N]xlarge or metal.
_SIZE = r"(nano|micro|small|medium|large|[1-9][0-9]*xlarge|xlarge|metal)"
INSTANCE_CLASS: dict[str, re.Pattern[str]] = {
    prefix: re.compile(rf"^{re.escape(prefix)}[a-z]+[0-9]+[a-z0-9]*\.{_SIZE}$")
    for prefix in ("db.", "cache.", "mq.")}
INSTANCE_PREFIX = {"postgresql": "db.", "mysql": "db.", "mongodb": "db.", "redis": "cache.",
                   "rabbitmq": "mq."}
INSTANCE_EXAMPLES = {"db.": "db.t4g.medium, db.r7g.large", "cache.": "cache.t4g.small",
                     "mq.": "mq.m7g.medium"}
INSTANCE_SERVICE = {"postgresql": "RDS", "mysql": "RDS", "mongodb": "DocumentDB",
                    "redis": "ElastiCache", "rabbitmq": "Amazon MQ"}


def instance_class_problem(kind: str, size: str) -> str | None:
    """Why ``stores.<kind>.size`` is not an instance class (node type) of the kind's managed
    service; None when it is one."""
    prefix = INSTANCE_PREFIX[kind]
    if INSTANCE_CLASS[prefix].match(size):
        return None
    return (f"not an instance class of {INSTANCE_SERVICE[kind]}: {prefix}FAMILY.SIZE, e.g. "
            f"{INSTANCE_EXAMPLES[prefix]}")


# The engine versions each managed service creates (November 2026), as ``stores.<kind>.version``
# names them: RDS for PostgreSQL majors 11-18 (11-13 under RDS Extended Support, which still
# creates them, at a charge), a major or major.minor; RDS for MySQL 5.7 and 8.0 (Extended
# Support) and 8.4, or a release of one (8.4.6); Amazon DocumentDB 4.0, 5.0 and 8.0 (or a minor:
# 5.0.1); ElastiCache for Valkey 7.2, 8.0-8.2, 9.0 and 9.1; Amazon MQ for RabbitMQ 3.13 and 4.2.
MANAGED_VERSIONS: dict[str, tuple[re.Pattern[str], str]] = {
    "postgresql": (re.compile(r"^(1[1-8])(\.[0-9]+)?$"),
                   "RDS for PostgreSQL has majors 11 to 18 (a major, or major.minor)"),
    "mysql": (re.compile(r"^(5\.7|8\.0|8\.4)(\.[0-9]+)?$"),
              "RDS for MySQL has 5.7, 8.0 and 8.4 (or a release of one, 8.4.6)"),
    "mongodb": (re.compile(r"^(4|5|8)\.0(\.[0-9]+)?$"),
                "Amazon DocumentDB has 4.0, 5.0 and 8.0 (or a minor of one, 5.0.1)"),
    "redis": (re.compile(r"^(7\.2|8\.[0-2]|9\.[01])$"),
              "ElastiCache for Valkey has 7.2, 8.0, 8.1, 8.2, 9.0 and 9.1"),
    "rabbitmq": (re.compile(r"^(3\.13|4\.2)$"), "Amazon MQ for RabbitMQ has 3.13 and 4.2"),
}


def managed_version_problem(kind: str, version: str) -> str | None:
    """Why the managed service of ``kind`` has no engine ``version``; None when it has."""
    pattern, what = MANAGED_VERSIONS[kind]
    return None if pattern.match(version) else f"no such managed engine version: {what}"


# ---------------------------------------------------------------------------------------------
# Windows (UTC): "hh:mm-hh:mm" daily, "ddd:hh:mm-ddd:hh:mm" weekly

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK = 7 * 24 * 60


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def weekly_minutes(window: str) -> set[int]:
    """The minutes of the week a weekly window covers (it may wrap past Sunday)."""
    start, end = window.split("-")
    day_a, time_a = start.split(":", 1)
    day_b, time_b = end.split(":", 1)
    a = DAYS.index(day_a) * 1440 + _minutes(time_a)
    b = DAYS.index(day_b) * 1440 + _minutes(time_b)
    return {m % WEEK for m in range(a, a + (b - a) % WEEK)}


def daily_minutes(window: str) -> set[int]:
    """The minutes of the week a daily window covers (it may wrap past midnight)."""
    start, end = (_minutes(t) for t in window.split("-"))
    length = (end - start) % 1440
    return {(day * 1440 + start + m) % WEEK for day in range(7) for m in range(length)}


def window_problems(backup_window: str, maintenance_window: str) -> list[Problem]:
    """AWS refuses a backup window that overlaps the maintenance window, and windows shorter
    than 30 minutes (RDS, DocumentDB, ElastiCache)."""
    backup = daily_minutes(backup_window)
    maintenance = weekly_minutes(maintenance_window)
    if len(backup) < 7 * 30:
        return [Problem("stores.backupWindow", backup_window,
                        "AWS needs a backup window of at least 30 minutes")]
    if len(maintenance) < 30:
        return [Problem("stores.maintenanceWindow", maintenance_window,
                        "AWS needs a maintenance window of at least 30 minutes")]
    if backup & maintenance:
        return [Problem("stores.maintenanceWindow", maintenance_window,
                        f"overlaps the daily backup window {backup_window} "
                        f"(stores.backupWindow); AWS refuses overlapping windows")]
    return []


# ---------------------------------------------------------------------------------------------
# Members


def replicas_problems(kind: str, instances: int, *, multi_az: bool) -> list[Problem]:
    """A Multi-AZ ElastiCache group or DocumentDB cluster needs a replica in another zone."""
    if multi_az and instances < 2:
        return [Problem(f"stores.{kind}.instances", instances,
                        f"stores.multiAz needs a replica in another zone: set "
                        f"stores.{kind}.instances to 2 or more (or stores.multiAz false)")]
    return []


# ---------------------------------------------------------------------------------------------
# Logins: each consuming service gets a user (its name, ``_`` for ``-``) and a database

MANAGED_MASTER_USER = "shipyardadmin"   # the managed stores' master user: letters only
LOGIN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MYSQL_MAX_USER = 32
MYSQL_RESERVED_USERS = frozenset({"root", "mysql.sys", "mysql.session", "mysql.infoschema"})
MYSQL_RESERVED_DATABASES = frozenset({"mysql", "sys", "information_schema",
                                      "performance_schema"})
# CloudNativePG: the maintenance database and its owner that initdb creates (no service uses
# them), and the roles PostgreSQL and the operator keep
CNPG_BOOTSTRAP = "shipyard"
CNPG_RESERVED_ROLES = frozenset({"postgres", "streaming_replica", "cnpg_pooler_pgbouncer",
                                 CNPG_BOOTSTRAP})
CNPG_RESERVED_DATABASES = frozenset({"postgres", "template0", "template1", CNPG_BOOTSTRAP})


def consumers_of(app: Application, store_name: str) -> dict[str, str | None]:
    """The services that use a store, and the database each uses (None: none named — the
    store's first database, if it has any)."""
    store = app.stores[store_name]
    found: dict[str, str | None] = {}
    for name, svc in app.services.items():
        for use in svc.uses:
            if use.store == store_name:
                found[name] = use.database or (store.databases[0] if store.databases else None)
    return found


def login_user(service: str, kind: str) -> str:
    """A service's user name: the service's name, with ``_`` for ``-`` in the databases."""
    return service if kind == "rabbitmq" else service.replace("-", "_")


def login_problems(kind: str, backend: str, store_name: str, consumers: Mapping[str, str | None],
                   databases: Sequence[str]) -> list[str]:
    """Why a consumer's user or database would be refused by the engine, or collide with one
    it (or shipyard) reserves: one message per login. ``consumers``: service -> the database
    it names (None: the store's first)."""
    out: list[str] = []
    if backend == "inCluster" and kind == "postgresql":
        for service in consumers:
            role = login_user(service, kind)
            if role in CNPG_RESERVED_ROLES or role.startswith("pg_") or len(role) > PG_MAX_NAME:
                out.append(f"service {service!r} uses store {store_name!r}: its role name "
                           f"{role!r} is reserved by PostgreSQL/CloudNativePG or too long; "
                           f"rename the service")
        for db in dict.fromkeys([*databases, *(consumers[s] or login_user(s, kind)
                                               for s in consumers)]):
            if db in CNPG_RESERVED_DATABASES:
                out.append(f"stores.{store_name}.databases: {db!r} is reserved "
                           f"(PostgreSQL's own or shipyard's maintenance database)")
        return out
    if backend == "inCluster" and kind == "mysql":
        for service, named in sorted(consumers.items()):
            user = login_user(service, kind)
            db = named or (databases[0] if databases else user)
            if not LOGIN_NAME.fullmatch(user) or len(user) > MYSQL_MAX_USER or \
                    user in MYSQL_RESERVED_USERS:
                out.append(f"store {store_name!r}: the user name {user!r} (its service's name) "
                           f"is not a usable MySQL user (letters, digits and _, at most "
                           f"{MYSQL_MAX_USER}); rename the service")
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", db) or db in MYSQL_RESERVED_DATABASES:
                out.append(f"stores.{store_name}.databases: {db!r} is reserved by MySQL or not "
                           f"a database name")
        return out
    if backend != "managed" or kind not in ("postgresql", "mysql", "mongodb", "rabbitmq"):
        return out
    owners = {pg_owner_role(db) for db in databases} if kind == "postgresql" else set()
    for service in sorted(consumers):
        user = login_user(service, kind)
        if user in owners:
            out.append(f"stores: service {service!r} makes user {user!r}, the owner role of "
                       f"database {user.removesuffix(PG_OWNER_SUFFIX)!r}: rename the service")
        if kind != "rabbitmq":
            database = consumers[service] or (databases[0] if databases else None)
            if database is None:
                out.append(f"stores: {service} uses a {kind} store that names no database "
                           f"(add databases: [...] to the store)")
            elif not LOGIN_NAME.match(database):
                out.append(f"stores: database {database!r} must be lowercase letters, digits "
                           f"and _, starting with a letter")
        if kind != "rabbitmq" and not LOGIN_NAME.match(user):
            out.append(f"stores: service {service!r} makes user {user!r}: it must be "
                       f"lowercase letters, digits and _")
        if user in (MANAGED_MASTER_USER, "default", "guest") or user.startswith(("pg_", "rds")):
            out.append(f"stores: service {service!r} makes user {user!r}, which is reserved "
                       f"(the master user, pg_*, rds*, default, guest)")
        if kind == "mysql" and len(user) > MYSQL_MAX_USER:
            out.append(f"stores: service {service!r} makes MySQL user {user!r}, longer than "
                       f"MySQL's {MYSQL_MAX_USER} characters")
    return out


# ---------------------------------------------------------------------------------------------
# Everything about one store


def problems(kind: str, backend: str, *, version: str | None, storage_gi: int,
             max_storage_gi: int, instances: int, multi_az: bool, app: str, store_name: str,
             databases: Sequence[str], consumers: Mapping[str, str | None]) -> list[Problem]:
    """Why AWS, the operator or the image would refuse this store, each naming its key
    (``stores.KIND.*``, or ``APP.stores.NAME.*`` for what the application's catalog declares).
    ``version`` is the configured one (None: the pinned default); ``consumers`` the services
    that log in to it, each with the database it names."""
    out: list[Problem] = [Problem(f"applications.{app}.stores.{store_name}", store_name, message)
                          for message in login_problems(kind, backend, store_name, consumers,
                                                        databases)]
    if backend == "inCluster":
        try:
            if kind == "postgresql" and version is not None:
                postgresql_image(version)
            elif kind == "mysql" and version is not None:
                mysql_image(version)
            elif kind in IN_CLUSTER_PINNED:
                in_cluster_image(kind, version)
        except Problem as exc:
            out.append(exc)
        if kind == "redis" and VALKEY_DEFAULT_USER in consumers:
            out.append(Problem(f"applications.{app}.services.{VALKEY_DEFAULT_USER}",
                               VALKEY_DEFAULT_USER, "a service named 'default' would take "
                               "Valkey's default user"))
        return out
    if version is not None and kind in MANAGED_VERSIONS:
        message = managed_version_problem(kind, version)
        if message:
            out.append(Problem(f"stores.{kind}.version", version, message))
    if kind in ("postgresql", "mysql", "mongodb") and not databases:
        what = "MongoDB" if kind == "mongodb" else "database"
        out.append(Problem(f"applications.{app}.stores.{store_name}.databases", [],
                           f"a managed {what} store needs at least one database"))
    if kind in RDS_KINDS:
        if storage_gi < RDS_MIN_STORAGE_GI:
            out.append(Problem(f"stores.{kind}.storageGi", storage_gi,
                               f"RDS gp3 storage starts at {RDS_MIN_STORAGE_GI} GiB"))
        if max_storage_gi > RDS_MAX_STORAGE_GI:
            out.append(Problem(f"stores.{kind}.maxStorageGi", max_storage_gi,
                               f"RDS gp3 storage ends at {RDS_MAX_STORAGE_GI} GiB"))
    if kind in ("mongodb", "redis"):
        out += replicas_problems(kind, instances, multi_az=multi_az)
    if kind == "mongodb" and instances > DOCUMENTDB_MAX_INSTANCES:
        out.append(Problem("stores.mongodb.instances", instances,
                           f"a DocumentDB cluster has at most {DOCUMENTDB_MAX_INSTANCES} "
                           f"instances"))
    if kind == "rabbitmq":
        for service in consumers:
            if not AMAZON_MQ_USER.match(service) or service == "guest":
                out.append(Problem(f"applications.{app}.services.{service}", service,
                                   "cannot be an Amazon MQ user name (2-100 letters, digits, "
                                   "'.', '_', '-'; not guest)"))
    return out



# ---------------------------------------------------------------------------------------------
# Placement: a managed store per application, or one per engine shared by the stack's
# applications (the database-per-service pattern: a database and a user per consuming service)

SHARED_KINDS = ("postgresql", "mysql", "mongodb", "redis", "rabbitmq")
# the platform's namespace of the shared stores' bootstrap Jobs and master credentials
SHARED_NAMESPACE = "shipyard-stores"
# PostgreSQL names a database's owner role <database>_owner (pg_owner_role, which the
# bootstrap creates): a shared database name leaves room for the suffix within PostgreSQL's 63
# characters
PG_MAX_NAME = 63
PG_OWNER_SUFFIX = "_owner"
SHARED_DATABASE_LIMIT = {"postgresql": PG_MAX_NAME - len(PG_OWNER_SUFFIX), "mysql": 64,
                         "mongodb": 63}
SHARED_USER_LIMIT = {"postgresql": PG_MAX_NAME, "mysql": MYSQL_MAX_USER, "mongodb": 63}


def pg_owner_role(database: str) -> str:
    """The NOLOGIN role that owns a managed PostgreSQL database, which each of its services'
    login roles is a member of (components/stores/bootstrap.py)."""
    return f"{database}{PG_OWNER_SUFFIX}"


def placement_of(app: Application, stores: StoresSettings) -> str:
    """The application's placement: its own (catalog or shipyard:applications.NAME), else the
    stack's ``stores.placement``."""
    return app.store_placement or stores.placement


def shares(app: Application, kind: str, stores: StoresSettings) -> bool:
    """Whether ``app``'s placement puts its stores of ``kind`` on the stack's shared store of
    that engine: a managed kind (in-cluster stores and S3 buckets stay the application's own)
    and placement shared. A Valkey store also needs its catalog's word (``shares_store``)."""
    return kind in SHARED_KINDS and stores.backend_of(kind) == "managed" and \
        placement_of(app, stores) == "shared"


def shares_store(app: Application, store: Store, stores: StoresSettings) -> bool:
    """Whether this store of ``app`` lives on the stack's shared store of its engine: its
    application's placement shares the kind and, for Valkey, the catalog says its clients
    prefix every key and channel (``keyPrefix: true``). A shared Valkey group separates its
    applications by an ACL on key and channel patterns only, which a client that writes
    unprefixed keys would meet as NOPERM on every command: without that word the application's
    Valkey stays a group of its own."""
    return shares(app, store.kind, stores) and (store.kind != "redis" or store.key_prefix)


def unprefixed_caches(app: Application, stores: StoresSettings) -> list[str]:
    """``app``'s Valkey stores that stay its own although its placement is shared: their
    catalog does not say the clients prefix their keys (the settings' note names them)."""
    return [name for name, store in app.stores.items()
            if shares(app, store.kind, stores) and not shares_store(app, store, stores)]


def shared_name(app: str, name: str, limit: int) -> str:
    """``<app>_<name>`` with ``_`` for ``-``: a name on a shared store, prefixed by its
    application so that two applications' ``users`` never meet; cut to ``limit`` and made
    unique again by a hash of the whole when longer."""
    joined = f"{app}_{name}".replace("-", "_")
    if len(joined) <= limit:
        return joined
    digest = hashlib.sha256(f"{app}/{name}".encode()).hexdigest()[:6]
    return f"{joined[:limit - 7].rstrip('_')}_{digest}"


def login_key(app: str, service: str) -> str:
    """How a shared store names one consumer (its resources and connection): ``<app>-<service>``."""
    return f"{app}-{service}"


# The variable (after the store's own prefix: REDIS_KEY_PREFIX) that gives a Valkey client its
# application's key prefix
KEY_PREFIX_VAR = "KEY_PREFIX"
# A service's connection ConfigMap to a store: the label names the store (its name in the
# catalog); the annotation, on a managed store's, the AWS identifier of the store that holds the
# service's data (plan.py --against flags a connection that moves, offline/stateful.py; the
# estimate splits a shared store by them, offline/estimates/apportion.py)
USES_LABEL = "shipyard.dev/uses"
STORE_ID_ANNOTATION = "shipyard.dev/store-id"


def key_prefix(app: str) -> str:
    """The prefix of an application's keys and channels on Valkey (``<app>:``): on a shared
    group the only ones its users may touch; its connections carry it as ``KEY_PREFIX``
    wherever its catalog says its clients prefix their keys."""
    return f"{app}:"


def declared_prefix(app: Application | None, store: Store) -> str | None:
    """The prefix ``app``'s clients put on this store's keys, where its catalog says they do
    (``keyPrefix: true``): given as ``KEY_PREFIX`` on a store of its own too (in the cluster,
    or its own ElastiCache group), so that its keys keep their names whichever placement
    holds them. None: not declared (or a shared store's own args, which have no application)."""
    return key_prefix(app.name) if app is not None and store.key_prefix else None


@dataclass(frozen=True)
class SharedLogin:
    """One consuming service on a shared store: its user, and the database it owns there (for
    RabbitMQ: its application's virtual host; for Valkey none: its key prefix)."""

    app: str
    store: str          # the store's name in the application's catalog
    service: str
    user: str
    database: str | None

    @property
    def key(self) -> str:
        return login_key(self.app, self.service)


def shared_user(kind: str, app: str, service: str) -> str:
    if kind == "rabbitmq":
        return f"{app}.{service}"          # '.' never occurs in a DNS label: unambiguous
    if kind == "redis":
        return login_key(app, service)
    return shared_name(app, service, SHARED_USER_LIMIT[kind])


def shared_logins(kind: str, apps: Iterable[Application],
                  stores: StoresSettings) -> list[SharedLogin]:
    """Every consumer of the stack's shared store of ``kind``: each service of a sharing
    application that uses one of its stores of that kind, with the user and database it gets
    there (a database its catalog names, or the store's first, prefixed by the application)."""
    out: list[SharedLogin] = []
    for app in apps:
        for store_name, store in app.stores.items():
            if store.kind != kind or not shares_store(app, store, stores):
                continue
            for service, named in consumers_of(app, store_name).items():
                if kind == "rabbitmq":
                    database: str | None = app.name
                elif kind == "redis" or named is None:
                    database = None
                else:
                    database = shared_name(app.name, named, SHARED_DATABASE_LIMIT[kind])
                out.append(SharedLogin(app.name, store_name, service,
                                       shared_user(kind, app.name, service), database))
    return sorted(out, key=lambda login: (login.app, login.service, login.store))


def shared_declared(kind: str, apps: Iterable[Application], stores: StoresSettings) -> bool:
    """Some sharing application declares a store of ``kind``: the shared store exists."""
    return any(store.kind == kind and shares_store(app, store, stores)
               for app in apps for store in app.stores.values())


def shared_problems(kind: str, logins: Sequence[SharedLogin]) -> list[Problem]:
    """What one shared store cannot hold: a service that would log in twice (two stores of one
    engine in its application), two consumers coming to one name, a user an engine reserves."""
    out: list[Problem] = []
    keys: dict[str, SharedLogin] = {}
    users: dict[str, SharedLogin] = {}
    databases: dict[str, str] = {}
    # PostgreSQL: every database's owner role, which no login may be
    owners = {pg_owner_role(login.database): login for login in logins
              if kind == "postgresql" and login.database is not None}
    for login in logins:
        where = f"applications.{login.app}.services.{login.service}"
        first = keys.get(login.key)
        if first is not None:
            if first.app == login.app and first.service == login.service:
                message = (f"uses stores {first.store!r} and {login.store!r}, both {kind}: on "
                           f"the stack's shared {kind} store a service logs in once (set "
                           f"applications.{login.app}.storePlacement: perApplication)")
            else:
                message = (f"it and {first.app}/{first.service} would log in to the shared "
                           f"{kind} store under one name ({login.key}): rename one")
            out.append(Problem(where, login.service, message))
            continue
        keys[login.key] = login
        other = users.get(login.user)
        if other is not None:
            out.append(Problem(where, login.service,
                               f"its user {login.user!r} on the shared {kind} store is also "
                               f"{other.app}/{other.service}'s: rename one"))
        users[login.user] = login
        owner = owners.get(login.user)
        if owner is not None:
            out.append(Problem(where, login.service,
                               f"its user {login.user!r} on the shared {kind} store is also the "
                               f"owner role of {owner.app}'s database {owner.database!r} "
                               f"(<database>{PG_OWNER_SUFFIX}): rename one"))
        if kind in ("postgresql", "mysql", "mongodb") and (
                login.user.startswith(("pg_", "rds")) or login.user in MYSQL_RESERVED_USERS):
            out.append(Problem(where, login.service,
                               f"makes user {login.user!r} on the shared {kind} store, which "
                               f"is reserved (pg_*, rds*)"))
        if login.database is not None and kind != "rabbitmq":
            taken = databases.setdefault(login.database, login.app)
            if taken != login.app:
                out.append(Problem(where, login.service,
                                   f"its database {login.database!r} on the shared {kind} "
                                   f"store is also {taken}'s: rename one"))
    return out
