"""An in-cluster MySQL store: one MySQL 8.4 server as a StatefulSet in the tenant's namespace.

Why no operator. The maintained MySQL operators either run MariaDB (mariadb-operator: another
engine, a v1alpha1 API) or have no declarative databases and users (Percona's operator for
MySQL, Oracle's InnoDBCluster operator), so each would still need the SQL below, plus its CRDs,
a controller and - Percona's - HAProxy and orchestrator pods that do not meet Pod Security
``restricted`` without hand-set security contexts. The in-cluster stores serve dev and existing
clusters, where one server is what the tenants need; staging and prod run RDS for MySQL 8.4
(Multi-AZ in prod). So: Docker Hub's official ``mysql`` image at the 8.4 LTS release RDS runs
(pinned in shipyard/versions.py), driven by its own entrypoint, and nothing else.

- StatefulSet ``<store>``, one replica (``stores.mysql.instances`` above 1 is refused: there is
  no replication here), its ``storageGi`` volume from a volumeClaimTemplate on the encrypted gp3
  class (kept when the StatefulSet goes). Pod Security ``restricted``: a high non-root uid in the
  image's ``mysql`` group (999, also the volume's fsGroup), no capabilities, RuntimeDefault
  seccomp, read-only root file system with emptyDirs for the socket (/var/run/mysqld) and /tmp.
  The data lives in a directory of the volume (an ext4 volume's ``lost+found`` would make
  ``--initialize`` refuse the volume's root).
- TLS: MySQL 8.4 generates a self-signed CA and server certificate in the data directory at
  initialisation (``auto_generate_certs``), so the server requires TLS for every TCP connection
  (``require_secure_transport``); clients use ``ssl-mode=REQUIRED``, as on RDS with
  ``require_secure_transport=ON``.
- root exists only as ``root@localhost`` (the socket), with a generated password from a Secret
  (``MYSQL_ROOT_PASSWORD_FILE``). Each consuming service gets its database and a user (the
  service's name, ``-`` -> ``_``) with all privileges on it; their passwords are files of a
  Secret mounted in the server's container. A postStart hook applies them on every start of the
  container, idempotently (``CREATE ... IF NOT EXISTS``, ``ALTER USER``): the first start (once
  the entrypoint's initialisation is over and the real server listens), a changed password or a
  new consumer (the pod template changes, the pod rolls). Kubernetes marks the pod started only
  after the hook succeeds, so the StatefulSet is ready - and Pulumi lets the consumers' pods
  start - once every user and database exists. No password is in the pod spec, a ConfigMap or
  the script (it reads the files and feeds SQL to ``mysql`` on stdin).
- a headless Service (the StatefulSet's) and a Service ``<store>`` the consumers connect to; a
  NetworkPolicy admitting MySQL from the consumers only and letting the server reach nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.stores import in_cluster
from components.stores.base import (
    STORE_LABEL,
    Connection,
    Footprint,
    StoreArgs,
    StoreComponent,
    password,
)
from components.stores.in_cluster import Container
from components.workload import MANAGED, NAME_LABEL, PART_OF_LABEL, RUNTIME_DEFAULT
from shipyard.config.base import Problem as Problem
from shipyard.config.stores import StoreSettings
from shipyard.rules import stores as store_rules
from shipyard.rules.requests import AS_THEY_ARE, Sizing

TYPE = "shipyard:stores:MysqlServer"
PORT = 3306
UID = 10999                 # a high uid (checkov CKV_K8S_40) ...
GID = 999                   # ... in the image's mysql group
SOCKET_DIR = "/var/run/mysqld"
SOCKET = f"{SOCKET_DIR}/mysqld.sock"
DATA_MOUNT = "/var/lib/mysql"
DATADIR = f"{DATA_MOUNT}/data"
ROOT_SECRET_DIR = "/etc/mysql-root"
USERS_SECRET_DIR = "/etc/mysql-users"
# memory request = limit: InnoDB's buffer pool is not given back under pressure (an
# environment may ask less: dev does, ``stores.memoryRequests``)
MYSQL = Container("mysql", "100m", "1Gi", "1", "1Gi")
HOOK_ATTEMPTS, HOOK_PERIOD = 120, 5      # the hook waits up to 10 minutes for the server
SERVER_ARGS = (
    "mysqld",
    f"--datadir={DATADIR}",
    "--require-secure-transport=ON",
    "--secure-file-priv=NULL",      # no LOAD DATA INFILE / INTO OUTFILE (and no directory)
    "--skip-name-resolve",          # users are 'name'@'%': no reverse DNS on connect
    "--mysqlx=OFF",                 # the X Protocol (33060) is not offered
)
CHECKOV_SKIPS = {
    "CKV_K8S_43": "the official image is pinned by its patch release tag in "
                  "shipyard/versions.py; Docker Hub rebuilds that tag for base-image security "
                  "fixes, which a digest would freeze out (imagePullPolicy Always takes them)",
}


# ---------------------------------------------------------------------------------------------
# Pure builders


def footprint(kind_settings: StoreSettings, sizing: Sizing = AS_THEY_ARE) -> Footprint:
    """One server (the settings refuse more: ``shipyard.config.checks``)."""
    return in_cluster.footprint(1, (MYSQL.sized(sizing),))


def user_name(service: str) -> str:
    """``go-service`` -> ``go_service``: the MySQL user a service logs in as."""
    return service.replace("-", "_")


def grants(store_databases: Sequence[str],
           consumers: Mapping[str, str | None]) -> dict[str, str]:
    """User -> the database it owns: the one its service names, else the store's first, else
    one named after the user."""
    return {user_name(service): db or (store_databases[0] if store_databases
                                       else user_name(service))
            for service, db in sorted(consumers.items())}


def users_script(users: Mapping[str, str], *, root_dir: str = ROOT_SECRET_DIR,
                 users_dir: str = USERS_SECRET_DIR, attempts: int = HOOK_ATTEMPTS,
                 period: int = HOOK_PERIOD) -> str:
    """The postStart hook: wait for the real server (the entrypoint's temporary one runs with
    skip_networking), then create each database and user and (re)set each password, read from
    the users Secret's files. Names are checked (``check_names``) and passwords must be
    letters and digits, so nothing needs quoting; the SQL goes to mysql on stdin."""
    lines = [
        "set -euo pipefail",
        "umask 077",
        'cnf="$(mktemp "${TMPDIR:-/tmp}/root.XXXXXX")"',
        "trap 'rm -f \"$cnf\"' EXIT",
        f"printf '[client]\\nuser=root\\nsocket={SOCKET}\\npassword=%s\\n' "
        f'"$(cat {root_dir}/password)" > "$cnf"',
        'sql() { mysql --defaults-extra-file="$cnf" --protocol=socket -NB "$@"; }',
        "i=0; until [ \"$(sql -e 'SELECT @@skip_networking' 2>/dev/null)\" = 0 ]; do",
        f"  i=$((i + 1)); [ $i -lt {attempts} ] || "
        f"{{ echo 'shipyard: mysqld is not serving'; exit 1; }}",
        f"  sleep {period}",
        "done",
        'check() { case "$1" in \'\'|*[!A-Za-z0-9]*) '
        'echo "shipyard: unusable password for $2"; exit 1;; esac; }',
        "{",
    ]
    for user, db in sorted(users.items()):
        escaped = db.replace("_", "\\_")      # GRANT reads _ in a database name as a wildcard
        lines += [
            f'  p="$(cat {users_dir}/{user})"; check "$p" {user}',
            f"  echo 'CREATE DATABASE IF NOT EXISTS `{db}`;'",
            f"  echo \"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '$p';\"",
            f"  echo \"ALTER USER '{user}'@'%' IDENTIFIED BY '$p';\"",
            f"  echo \"GRANT ALL PRIVILEGES ON \\`{escaped}\\`.* TO '{user}'@'%';\"",
        ]
    lines += ["} | sql", "echo 'shipyard: databases and users applied'"]
    return "\n".join(lines) + "\n"


def selector(store_name: str) -> dict[str, str]:
    return {STORE_LABEL: store_name}


def _exec_probe(period: int, failures: int) -> dict[str, Any]:
    # "ping" answers 0 whenever the server answers, even "access denied": no password needed
    return {"exec": {"command": ["mysqladmin", f"--socket={SOCKET}", "ping"]},
            "periodSeconds": period, "timeoutSeconds": 5, "failureThreshold": failures}


def statefulset_spec(*, app: str, store_name: str, image_name: str, storage_class: str,
                     storage_gi: int, root_secret: pulumi.Input[str],
                     users_secret: pulumi.Input[str],
                     users: Mapping[str, str],
                     sizing: Sizing = AS_THEY_ARE) -> dict[str, Any]:
    labels = {**selector(store_name), PART_OF_LABEL: app, "sidecar.istio.io/inject": "false"}
    container = {
        "name": "mysql",
        "image": image_name,
        "imagePullPolicy": "Always",
        "args": list(SERVER_ARGS),
        "env": [{"name": "MYSQL_ROOT_PASSWORD_FILE", "value": f"{ROOT_SECRET_DIR}/password"},
                {"name": "MYSQL_ROOT_HOST", "value": "localhost"}],
        "ports": [{"name": "mysql", "containerPort": PORT, "protocol": "TCP"}],
        "resources": MYSQL.sized(sizing).resources(),
        # first start: initialisation, time zones, the users (up to 10 minutes)
        "startupProbe": _exec_probe(period=10, failures=60),
        "livenessProbe": _exec_probe(period=10, failures=6),
        "readinessProbe": _exec_probe(period=5, failures=3),
        "lifecycle": {"postStart": {"exec": {"command": ["bash", "-c", users_script(users)]}}},
        "securityContext": {
            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "runAsNonRoot": True, "runAsUser": UID, "runAsGroup": GID, "privileged": False,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": dict(RUNTIME_DEFAULT)},
        "volumeMounts": [
            {"name": "data", "mountPath": DATA_MOUNT},
            {"name": "run", "mountPath": SOCKET_DIR},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "root-password", "mountPath": ROOT_SECRET_DIR, "readOnly": True},
            {"name": "users", "mountPath": USERS_SECRET_DIR, "readOnly": True},
        ],
    }
    return {
        "serviceName": f"{store_name}-headless",
        "replicas": 1,
        "selector": {"matchLabels": selector(store_name)},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain",
                                                 "whenScaled": "Retain"},
        "template": {
            "metadata": {"labels": labels,
                         "annotations": {"kubectl.kubernetes.io/default-container": "mysql"}},
            "spec": {
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": GID,
                                    "fsGroup": GID, "fsGroupChangePolicy": "OnRootMismatch",
                                    "seccompProfile": dict(RUNTIME_DEFAULT)},
                # InnoDB flushes and shuts down cleanly on SIGTERM; give it time
                "terminationGracePeriodSeconds": 60,
                "containers": [container],
                "volumes": [
                    {"name": "run", "emptyDir": {"sizeLimit": "16Mi"}},
                    {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
                    {"name": "root-password", "secret": {"secretName": root_secret,
                                                         "defaultMode": 0o440}},
                    {"name": "users", "secret": {"secretName": users_secret,
                                                 "defaultMode": 0o440}},
                ],
            },
        },
        "volumeClaimTemplates": [{
            "metadata": {"name": "data", "labels": selector(store_name)},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": storage_class,
                     "resources": {"requests": {"storage": f"{storage_gi}Gi"}}},
        }],
    }


def service_spec(store_name: str, *, headless: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": selector(store_name),
                            "ports": [{"name": "mysql", "port": PORT, "targetPort": "mysql",
                                       "protocol": "TCP"}]}
    if headless:
        spec.update({"clusterIP": "None", "publishNotReadyAddresses": True})
    return spec


def network_policy_spec(*, store_name: str, consumers: Sequence[str]) -> dict[str, Any]:
    """MySQL from the consumers; nothing out (DNS is the namespace's)."""
    policy: dict[str, Any] = {"podSelector": {"matchLabels": selector(store_name)},
                              "policyTypes": ["Ingress", "Egress"], "egress": []}
    if consumers:
        policy["ingress"] = [{
            "from": [{"podSelector": {"matchLabels": {NAME_LABEL: s}}}
                     for s in sorted(consumers)],
            "ports": [{"protocol": "TCP", "port": PORT}]}]
    return policy


def checkov_annotations() -> dict[str, str]:
    return {f"checkov.io/skip{i}": f"{check}={reason}"
            for i, (check, reason) in enumerate(CHECKOV_SKIPS.items(), start=1)}


# ---------------------------------------------------------------------------------------------
# The component


class MysqlServer(StoreComponent):
    statefulset: k8s.apps.v1.StatefulSet

    def __init__(self, name: str, args: StoreArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        store, s = args.store_name, args.kind_settings
        problems = store_rules.login_problems("mysql", "inCluster", store, args.consumers,
                                              args.store.databases)
        if problems:
            raise ValueError(problems[0])
        users = grants(args.store.databases, args.consumers)
        image_name = store_rules.mysql_image(args.version)
        super().__init__(TYPE, name, None, opts)
        app = args.app.name
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        labels = {PART_OF_LABEL: app, STORE_LABEL: store, **MANAGED}

        def meta(object_name: str, **extra: Any) -> dict[str, Any]:
            return {"name": object_name, "namespace": args.namespace, "labels": labels,
                    **extra}

        root = password(f"{name}-root-password", parent=self)
        root_secret = k8s.core.v1.Secret(
            f"{name}-root-secret", metadata=meta(f"{store}-root"), type="Opaque",
            string_data={"password": root.result}, opts=k8s_opts)
        passwords = {service: password(f"{name}-{service}-password", parent=self).result
                     for service in sorted(args.consumers)}
        users_secret = k8s.core.v1.Secret(
            f"{name}-users-secret", metadata=meta(f"{store}-users"), type="Opaque",
            string_data={user_name(svc): pw for svc, pw in passwords.items()}, opts=k8s_opts)
        k8s.core.v1.Service(f"{name}-headless", metadata=meta(f"{store}-headless"),
                            spec=service_spec(store, headless=True), opts=k8s_opts)
        k8s.core.v1.Service(f"{name}-service", metadata=meta(store),
                            spec=service_spec(store, headless=False), opts=k8s_opts)
        spec = statefulset_spec(app=app, store_name=store, image_name=image_name,
                                storage_class=args.storage_class, storage_gi=s.storage_gi,
                                # the names as outputs: the pod waits for its Secrets
                                root_secret=root_secret.metadata.name,
                                users_secret=users_secret.metadata.name, users=users,
                                sizing=args.stores.sizing)
        # the passwords by hash on the pod template: a changed one rolls the pod, whose start
        # hook applies it (a SHA-256 of random passwords gives nothing away: not secret)
        spec["template"]["metadata"]["annotations"]["shipyard.dev/passwords-sha256"] = \
            pulumi.Output.unsecret(pulumi.Output.all(*passwords.values()).apply(
                lambda values: hashlib.sha256("\n".join(values).encode()).hexdigest()))
        self.statefulset = k8s.apps.v1.StatefulSet(
            f"{name}-statefulset", metadata=meta(store, annotations=checkov_annotations()),
            spec=spec,
            opts=pulumi.ResourceOptions.merge(k8s_opts,
                                              pulumi.ResourceOptions(protect=args.protect)))
        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol", metadata=meta(f"{store}-store"),
            spec=network_policy_spec(store_name=store, consumers=list(args.consumers)),
            opts=k8s_opts)

        host = pulumi.Output.concat(store, ".", args.namespace, ".svc")
        self.connections = {
            service: Connection(host=host, port=PORT, username=user_name(service),
                                password=passwords[service],
                                database=users[user_name(service)], tls=True,
                                ready=(self.statefulset,))
            for service in sorted(args.consumers)}
        self.register({"host": host, "databases": sorted(set(users.values())),
                       "users": sorted(users)})
