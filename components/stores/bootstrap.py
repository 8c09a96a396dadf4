"""Per-service users on a managed store, made by a one-shot Kubernetes Job.

AWS creates one master user with a managed database (RDS, DocumentDB) and one administrator
with an Amazon MQ for RabbitMQ broker (its API refuses more). The services must not share
that account: each gets a user of its own, with a password of its own, allowed into its own
database only. Only a client inside the VPC can create those users, so a Job in the tenant's
namespace (a shared store's in ``shipyard-stores``, with every sharing application's services,
each user and database prefixed by its application: components/stores/shared.py) runs the
engine's official client once per change of the user list:

- PostgreSQL (``psql``): per database a NOLOGIN owner role ``<db>_owner`` that owns the
  database (CONNECT revoked from PUBLIC); per service a LOGIN role, member of the owner role of
  its database, whose sessions run as that owner (``ALTER ROLE ... SET role``) so that two
  services sharing a database own its tables together.
- MySQL (``mysql``): ``CREATE DATABASE IF NOT EXISTS``, ``CREATE USER IF NOT EXISTS ... REQUIRE
  SSL``, ``GRANT ALL`` on its database only.
- DocumentDB (``mongosh``): a user in ``admin`` with ``readWrite`` on its database.
- Amazon MQ for RabbitMQ (``curl``, the RabbitMQ management API): a user per service with
  configure/write/read on the default vhost (the services share exchanges: one publishes the
  events another consumes); on a shared broker on its application's own vhost, created first.

Every statement is idempotent (IF NOT EXISTS, nothing done when present, PUT): a re-run only
resets the passwords to the ones Pulumi holds. The Job's name carries a hash of the non-secret
user and database list, so a new consumer renames it and Pulumi replaces it: it runs again (as it
does when the store is replaced). Pulumi waits for it to complete, and the consuming services'
pods wait for it. It is deleted a day after it finishes (``ttlSecondsAfterFinished``); a later
``pulumi refresh`` notices and the next ``pulumi up`` runs it again, harmlessly.

Secrets: the master password and the services' passwords reach the Job only in a Secret mounted
as files (the client's service/option file, the SQL or script that embeds them); the Job spec
holds paths, never a password. TLS: the database clients require TLS but do not verify the
server's certificate (``sslmode=require``, ``ssl-mode=REQUIRED``, ``tlsAllowInvalidCertificates``)
because the RDS CA bundle is not in the images; the Amazon MQ management API is verified
(public Amazon Trust Services certificate). A NetworkPolicy lets only the Job's pods reach the
store's subnets, on the store's port; DNS is already open to every pod of the tenant. Its pod
stays out of the mesh (a sidecar would keep a finished Job running).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.stores.base import Grant, StoreArgs
from components.workload import (
    MANAGED,
    NAME_LABEL,
    PART_OF_LABEL,
    RUNTIME_DEFAULT,
    container_security_context,
)
from shipyard.rules import stores as store_rules
from shipyard.versions import STORE_IMAGES

BOOTSTRAP_LABEL = "shipyard.dev/bootstrap"     # the Job's pods: the store they set up
# On the Job's pod template: the id AWS gave this incarnation of the store (an RDS instance's
# resource id, a cluster's or broker's id), so that a replaced store re-runs the Job. Not the
# connections' shipyard.dev/store-id, which is the store's fixed identifier.
INSTANCE_ANNOTATION = "shipyard.dev/store-instance"
MOUNT = "/bootstrap"                            # the Secret's files
MASTER_USER = store_rules.MANAGED_MASTER_USER     # letters only: every engine accepts it
SCRIPT_VERSION = "1"                            # bump when a builder's output changes shape
BACKOFF_LIMIT = 4
ACTIVE_DEADLINE_SECONDS = 900
TTL_SECONDS_AFTER_FINISHED = 86400              # a day to read its logs
# The Job's one container: within the tenant quota's allowance for a Job's pod
# (components/stores/stores.py JOB_ALLOWANCE).
RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"},
             "limits": {"cpu": "500m", "memory": "512Mi"}}


@dataclass(frozen=True)
class Client:
    """The client a kind's Job runs: the image (a STORE_IMAGES key) and the uid it runs as."""

    image_key: str
    uid: int


# The official images' own users (postgres:alpine 70, mysql and mongo 999): libpq and Node look
# the current uid up, and a uid without a passwd entry can fail them. curl does not care.
CLIENTS: dict[str, Client] = {
    "postgresql": Client("postgresql-client", 70),
    "mysql": Client("mysql-client", 999),
    "mongodb": Client("mongodb-client", 999),
    "rabbitmq": Client("curl", 10001),
}


username = store_rules.login_user


def grants(kind: str, consumers: Mapping[str, str | None],
           databases: Sequence[str]) -> list[Grant]:
    """One Grant per consuming service, sorted; a service naming no database gets the store's
    first one. Refuses names an engine would reject or reserves (``shipyard.rules.stores``,
    which the settings checks ran already)."""
    problems = store_rules.login_problems(kind, "managed", "", consumers, databases)
    if problems:
        raise ValueError(problems[0])
    out: list[Grant] = []
    for service in sorted(consumers):
        database = None
        if kind != "rabbitmq":
            database = consumers[service] or databases[0]
        out.append(Grant(service, username(service, kind), database))
    return out


def grants_of(kind: str, args: StoreArgs) -> list[Grant]:
    """The store's logins: a shared store's are given (every sharing application's
    consumers, ``shipyard.rules.stores.shared_logins``); a store of its own derives them from
    its consumers and databases."""
    if args.grants is not None:
        return sorted(args.grants, key=lambda g: g.key)
    return grants(kind, args.consumers, args.store.databases)


# ---------------------------------------------------------------------------------------------
# Quoting (the names are checked above; passwords may hold anything but a NUL)


def _no_nul(value: str) -> str:
    if "\0" in value:
        raise ValueError("a NUL character cannot be quoted")
    return value


def pg_ident(name: str) -> str:
    return '"' + _no_nul(name).replace('"', '""') + '"'


def pg_literal(value: str) -> str:
    """A standard-conforming string literal (backslashes are plain characters)."""
    return "'" + _no_nul(value).replace("'", "''") + "'"


def mysql_ident(name: str) -> str:
    return "`" + _no_nul(name).replace("`", "``") + "`"


def mysql_literal(value: str) -> str:
    return "'" + _no_nul(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


owner_role = store_rules.pg_owner_role


# ---------------------------------------------------------------------------------------------
# What each Job runs (pure; the passwords arrive in plain text only inside Pulumi's apply and
# leave in a Secret)


def postgres_sql(grant_list: Sequence[Grant], passwords: Mapping[str, str]) -> str:
    """psql input: owner roles and databases, then each service's login role. Run with
    ON_ERROR_STOP; ``\\gexec`` runs a statement only when the SELECT returns it (CREATE
    DATABASE cannot run inside a DO block)."""
    lines = ["-- shipyard: per-service roles (idempotent; re-run resets the passwords)",
             "\\set ON_ERROR_STOP on"]
    for database in sorted({g.database for g in grant_list if g.database}):
        owner = owner_role(database)
        lines += [
            f"SELECT 'CREATE ROLE {pg_ident(owner)} NOLOGIN' WHERE NOT EXISTS "
            f"(SELECT FROM pg_roles WHERE rolname = {pg_literal(owner)})\\gexec",
            # the master may create a database owned by a role it can SET ROLE to (PG 16+)
            f"GRANT {pg_ident(owner)} TO CURRENT_USER;",
            f"SELECT 'CREATE DATABASE {pg_ident(database)} OWNER {pg_ident(owner)}' WHERE NOT "
            f"EXISTS (SELECT FROM pg_database WHERE datname = {pg_literal(database)})\\gexec",
            f"ALTER DATABASE {pg_ident(database)} OWNER TO {pg_ident(owner)};",
            f"REVOKE CONNECT, TEMPORARY ON DATABASE {pg_ident(database)} FROM PUBLIC;",
        ]
    for g in grant_list:
        assert g.database is not None
        user, owner = g.user, owner_role(g.database)
        lines += [
            f"SELECT 'CREATE ROLE {pg_ident(user)} LOGIN' WHERE NOT EXISTS "
            f"(SELECT FROM pg_roles WHERE rolname = {pg_literal(user)})\\gexec",
            # no attribute but LOGIN: the master (not a superuser on RDS) may not even name
            # SUPERUSER, and a new role has none of the others
            f"ALTER ROLE {pg_ident(user)} WITH LOGIN PASSWORD "
            f"{pg_literal(scram_sha_256(passwords[g.key], role_salt(user, passwords[g.key])))};",
            f"GRANT {pg_ident(owner)} TO {pg_ident(user)};",
            f"GRANT CONNECT, TEMPORARY ON DATABASE {pg_ident(g.database)} TO {pg_ident(user)};",
            # its sessions create objects as the database's owner, not as itself
            f"ALTER ROLE {pg_ident(user)} SET role = {pg_literal(owner)};",
        ]
    return "\n".join(lines) + "\n"


def mysql_sql(grant_list: Sequence[Grant], passwords: Mapping[str, str]) -> str:
    lines = ["-- shipyard: per-service users (idempotent; re-run resets the passwords)"]
    for database in sorted({g.database for g in grant_list if g.database}):
        lines.append(f"CREATE DATABASE IF NOT EXISTS {mysql_ident(database)};")
    for g in grant_list:
        assert g.database is not None
        account = f"{mysql_literal(g.user)}@'%'"
        secret = mysql_literal(passwords[g.key])
        lines += [
            f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {secret} REQUIRE SSL;",
            f"ALTER USER {account} IDENTIFIED BY {secret} REQUIRE SSL;",
            f"GRANT ALL PRIVILEGES ON {mysql_ident(g.database)}.* TO {account};",
        ]
    return "\n".join(lines) + "\n"


def mongo_uri(host: str, port: int, user: str, password: str) -> str:
    """The master's connection to DocumentDB: TLS, the cluster's replica set, no retryable
    writes (DocumentDB has none)."""
    quoted = urllib.parse.quote(user, safe="") + ":" + urllib.parse.quote(password, safe="")
    return (f"mongodb://{quoted}@{host}:{port}/admin?tls=true&tlsAllowInvalidCertificates=true"
            f"&replicaSet=rs0&readPreference=primary&retryWrites=false")


def mongo_script(grant_list: Sequence[Grant], passwords: Mapping[str, str], uri: str) -> str:
    """mongosh --nodb --file: create or update each service's user in admin."""
    users = [{"user": g.user, "pwd": passwords[g.key],
              "roles": [{"role": "readWrite", "db": g.database}]} for g in grant_list]
    return "\n".join([
        "// shipyard: per-service users (idempotent; re-run resets the passwords)",
        f"const admin = connect({json.dumps(uri)}).getSiblingDB('admin');",
        f"for (const u of {json.dumps(users)}) {{",
        "  if (admin.getUser(u.user) === null) {",
        "    admin.createUser({user: u.user, pwd: u.pwd, roles: u.roles});",
        "  } else {",
        "    admin.updateUser(u.user, {pwd: u.pwd, roles: u.roles});",
        "  }",
        "  print('user ' + u.user + ': ready');",
        "}",
    ]) + "\n"


def pg_service_file(host: str, port: int, user: str, password: str) -> str:
    """libpq's connection service file: the master's connection, TLS required."""
    return (f"[shipyard]\nhost={host}\nport={port}\ndbname=postgres\nuser={user}\n"
            f"password={password}\nsslmode=require\nconnect_timeout=10\n"
            f"application_name=shipyard-bootstrap\n")


def mysql_option_file(host: str, port: int, user: str, password: str) -> str:
    quoted = password.replace("\\", "\\\\").replace('"', '\\"')
    return (f"[client]\nhost={host}\nport={port}\nuser={user}\npassword=\"{quoted}\"\n"
            f"ssl-mode=REQUIRED\nconnect-timeout=10\n")


def rabbitmq_netrc(host: str, user: str, password: str) -> str:
    return f"machine {host}\nlogin {user}\npassword {password}\n"


def rabbitmq_user(password: str) -> str:
    """The management API's body for PUT /api/users/NAME (``tags`` is required)."""
    return json.dumps({"password": password, "tags": ""})


RABBITMQ_PERMISSIONS = json.dumps({"configure": ".*", "write": ".*", "read": ".*"})


def rabbitmq_vhost(queue_type: str) -> str:
    """The management API's body for PUT /api/vhosts/NAME: new queues of an application's own
    virtual host are ``queue_type`` (quorum on a cluster: Amazon MQ's default policies, which
    make them so on ``/``, are not applied to a new virtual host)."""
    return json.dumps({"description": "shipyard: one application's exchanges and queues",
                       "default_queue_type": queue_type})


def rabbitmq_script(grant_list: Sequence[Grant], queue_type: str = "classic") -> str:
    """sh: PUT each user and its permissions on its virtual host (the default one, or on a
    shared broker its application's, created first). No secret in it: curl reads the admin's
    credentials from the netrc file and each body from its file."""
    curl = ("curl --fail-with-body --silent --show-error --retry 5 --retry-all-errors "
            f"--netrc-file {MOUNT}/netrc -X PUT -H 'content-type: application/json'")
    if all(g.database is None for g in grant_list):
        names = " ".join(g.user for g in grant_list)
        return "\n".join([
            "set -eu",
            'api="https://${MQ_HOST}/api"',
            f"for user in {names}; do",
            f'  {curl} --data-binary "@{MOUNT}/user-$user.json" "$api/users/$user"',
            f"  {curl} --data-binary '{RABBITMQ_PERMISSIONS}' \"$api/permissions/%2F/$user\"",
            '  echo "user $user: ready"',
            "done",
        ]) + "\n"
    lines = ["set -eu", 'api="https://${MQ_HOST}/api"']
    for vhost in sorted({g.database for g in grant_list if g.database is not None}):
        lines += [f"{curl} --data-binary '{rabbitmq_vhost(queue_type)}' \"$api/vhosts/{vhost}\"",
                  f'echo "vhost {vhost}: ready"']
    for g in grant_list:
        vhost = urllib.parse.quote(g.database or "/", safe="")
        lines += [f'{curl} --data-binary "@{MOUNT}/user-{g.user}.json" "$api/users/{g.user}"',
                  f"{curl} --data-binary '{RABBITMQ_PERMISSIONS}' "
                  f"\"$api/permissions/{vhost}/{g.user}\"",
                  f'echo "user {g.user} on {g.database or "/"}: ready"']
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Kubernetes objects (pure)


def inputs_digest(files: Mapping[str, str]) -> str:
    """The hash of everything the Job reads (scripts and passwords)."""
    return hashlib.sha256(json.dumps(dict(files), sort_keys=True).encode()).hexdigest()


def scram_sha_256(password: str, salt: bytes, iterations: int = 4096) -> str:
    """PostgreSQL's stored form of a password (RFC 5802/7677, as ``pg_authid`` keeps it): the
    role's password is set from this verifier, so no statement — and no server log of a
    failed one — ever holds the password itself."""
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = base64.b64encode
    return (f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}"
            f"${b64(stored_key).decode()}:{b64(server_key).decode()}")


def role_salt(role: str, password: str) -> bytes:
    """A salt that is the same on every run for the same role and password (so the Job's
    inputs do not change on every `pulumi up`), and different for every role and password."""
    return hashlib.sha256(f"shipyard-scram:{role}:{password}".encode()).digest()[:16]


def job_name(store_name: str, kind: str, grant_list: Sequence[Grant], image: str) -> str:
    """``<store>-bootstrap-<hash>``: the hash of what the Job sets up (users, databases,
    client image, script version) — never of a password."""
    digest = hashlib.sha256(json.dumps({
        "kind": kind, "image": image, "version": SCRIPT_VERSION,
        "grants": [[g.user, g.database] for g in grant_list]}, sort_keys=True).encode())
    return f"{store_name[:40].rstrip('-')}-bootstrap-{digest.hexdigest()[:8]}"


def labels(app_name: str, store_name: str) -> dict[str, str]:
    return {BOOTSTRAP_LABEL: store_name, NAME_LABEL: f"{store_name}-bootstrap",
            PART_OF_LABEL: app_name, **MANAGED}


def network_policy(store_name: str, cidrs: Sequence[str],
                   ports: Sequence[int]) -> dict[str, Any]:
    """The Job's pods may reach the store's subnets on its ports (DNS is open to all pods)."""
    return {
        "podSelector": {"matchLabels": {BOOTSTRAP_LABEL: store_name}},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": c}} for c in cidrs],
                    "ports": [{"protocol": "TCP", "port": p} for p in ports]}],
    }


def checkov_skips(uid: int) -> dict[str, str]:
    reasons = [("CKV_K8S_43", "an official client image pinned by its full version tag in "
                              "shipyard/versions.py STORE_IMAGES; the Job runs once")]
    if uid < 10000:
        reasons.append(("CKV_K8S_40", "runs as the official client image's own user: the "
                                      "client looks its uid up, and one without a passwd "
                                      "entry can fail it"))
    return {f"checkov.io/skip{i}": f"{check}={reason}"
            for i, (check, reason) in enumerate(reasons, start=1)}


def job_spec(app_name: str, store_name: str, *, image: str, uid: int, secret_name: str,
             command: Sequence[str], env: Mapping[str, Any]) -> dict[str, Any]:
    """The Job's spec: one container, restricted, its Secret as read-only files, /tmp the
    only writable path, no service account token, out of the mesh."""
    pod_labels = {**labels(app_name, store_name), "sidecar.istio.io/inject": "false"}
    container = {
        "name": "bootstrap",
        "image": image,
        "imagePullPolicy": "Always",
        "command": list(command),
        "env": [{"name": k, "value": v} for k, v in sorted({"HOME": "/tmp", **env}.items())],
        "resources": RESOURCES,
        "securityContext": container_security_context(uid),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                         {"name": "bootstrap", "mountPath": MOUNT, "readOnly": True}],
    }
    return {
        "backoffLimit": BACKOFF_LIMIT,
        "activeDeadlineSeconds": ACTIVE_DEADLINE_SECONDS,
        "ttlSecondsAfterFinished": TTL_SECONDS_AFTER_FINISHED,
        "template": {
            "metadata": {"labels": pod_labels},
            "spec": {
                "restartPolicy": "Never",
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "securityContext": {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid,
                                    "fsGroup": uid, "seccompProfile": dict(RUNTIME_DEFAULT)},
                "containers": [container],
                "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                            {"name": "bootstrap", "secret": {"secretName": secret_name,
                                                             "defaultMode": 0o440}}],
            },
        },
    }


# What each kind's client runs, and the environment it needs (paths, never secrets).
COMMANDS: dict[str, list[str]] = {
    "postgresql": ["psql", "--no-psqlrc", "--quiet", f"--file={MOUNT}/bootstrap.sql"],
    "mysql": ["mysql", f"--defaults-extra-file={MOUNT}/client.cnf", "--batch",
              f"--execute=source {MOUNT}/bootstrap.sql"],
    "mongodb": ["mongosh", "--nodb", "--quiet", "--norc", "--file", f"{MOUNT}/bootstrap.js"],
}
ENV: dict[str, dict[str, str]] = {
    "postgresql": {"PGSERVICEFILE": f"{MOUNT}/pg_service.conf", "PGSERVICE": "shipyard"},
    "mysql": {},
    "mongodb": {},
    "rabbitmq": {},
}


def image_of(kind: str) -> str:
    return STORE_IMAGES[CLIENTS[kind].image_key]


# ---------------------------------------------------------------------------------------------
# Registration


def create(name: str, args: StoreArgs, *, kind: str, grant_list: Sequence[Grant],
           files: pulumi.Output[dict[str, str]], ports: Sequence[int],
           parent: pulumi.Resource, command: Sequence[str] | None = None,
           env: Mapping[str, pulumi.Input[str]] | None = None,
           store_id: pulumi.Input[str] | None = None) -> k8s.batch.v1.Job:
    """The Secret (``files``, secret), the NetworkPolicy and the Job, children of ``parent``.
    ``store_id`` (the id AWS gave the store's instance, cluster or broker) goes on the pod
    template (``INSTANCE_ANNOTATION``): a replaced store re-runs it."""
    if args.network is None:
        raise ValueError(f"{args.label}: a managed store needs the VPC")
    opts = pulumi.ResourceOptions(parent=parent, provider=args.provider)
    client = CLIENTS[kind]
    image = image_of(kind)
    meta_labels = labels(args.owner, args.store_name)
    secret_name = f"{args.store_name}-bootstrap"[:63]
    secret = k8s.core.v1.Secret(
        f"{name}-bootstrap-secret",
        metadata={"name": secret_name, "namespace": args.namespace, "labels": meta_labels},
        type="Opaque", string_data=pulumi.Output.secret(files), opts=opts)
    k8s.networking.v1.NetworkPolicy(
        f"{name}-bootstrap-egress",
        metadata={"name": f"{args.store_name}-bootstrap"[:63], "namespace": args.namespace,
                  "labels": meta_labels},
        spec=network_policy(args.store_name, args.network.cidrs, ports), opts=opts)
    spec = job_spec(args.owner, args.store_name, image=image, uid=client.uid,
                    secret_name=secret_name, command=command or COMMANDS[kind],
                    env={**ENV[kind], **(env or {})})
    # the Secret by its Output name: the Job waits for it
    spec["template"]["spec"]["volumes"][1]["secret"]["secretName"] = secret.metadata["name"]
    # what the Job applies, by hash: a changed password or script (same users) re-runs it too.
    # A SHA-256 of ~190-bit random passwords gives nothing away, so it is not kept secret.
    annotations: dict[str, pulumi.Input[str]] = {
        "shipyard.dev/inputs-sha256": pulumi.Output.unsecret(files.apply(inputs_digest))}
    if store_id is not None:
        annotations[INSTANCE_ANNOTATION] = store_id
    spec["template"]["metadata"]["annotations"] = annotations
    return k8s.batch.v1.Job(
        f"{name}-bootstrap",
        metadata={"name": job_name(args.store_name, kind, grant_list, image),
                  "namespace": args.namespace, "labels": meta_labels,
                  "annotations": checkov_skips(client.uid)},
        spec=spec,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            # its pod template cannot change in place; a changed store id re-runs it
            replace_on_changes=["spec"], delete_before_replace=True,
            # Pulumi waits for the Job to complete (10 minutes by default): as long as the Job
            # may run
            custom_timeouts=pulumi.CustomTimeouts(create=f"{ACTIVE_DEADLINE_SECONDS}s",
                                                  update=f"{ACTIVE_DEADLINE_SECONDS}s"))))
