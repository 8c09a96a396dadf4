"""The in-cluster SQL stores (dev, existing clusters): PostgreSQL on CloudNativePG, MySQL as a
StatefulSet of the official image; and the CloudNativePG operator add-on they need."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from components.addons.base import ClusterContext
from components.addons.cloudnative_pg import (
    NAMESPACE,
    OPERATOR_LABELS,
    cloudnative_pg_values,
)
from components.stores import cnpg, mysql
from components.stores.base import STORE_LABEL
from components.workload import NAME_LABEL
from compose.stores import cloudnative_pg_args
from offline.crd_schemas import validate
from offline.harness import SECRET, Plan, run_program
from shipyard.config.base import Problem as Problem
from shipyard.config.stores import StoreSettings
from shipyard.rules import stores as store_rules
from shipyard.versions import CHARTS, STORE_IMAGES
from tests.support.plans import only
from tests.support.settings import stack_settings

RELEASE = "kubernetes:helm.sh/v3:Release"
CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"
DATABASE = "kubernetes:postgresql.cnpg.io/v1:Database"
ROLE = "kubernetes:postgresql.cnpg.io/v1:DatabaseRole"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
SECRET_TYPE = "kubernetes:core/v1:Secret"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def cr(kind: str, spec: dict, name: str = "postgres") -> dict:
    return {"apiVersion": cnpg.API_VERSION, "kind": kind,
            "metadata": {"name": name, "namespace": "shop"}, "spec": spec}


def ports(rule: dict) -> set[int]:
    return {p["port"] for p in rule["ports"]}


# -- CloudNativePG: pure builders ----------------------------------------------------------------


def test_the_cluster_spec_is_valid_for_operator_1_30_and_says_what_it_runs():
    spec = cnpg.cluster_spec(app="shop", store_name="postgres", instances=1,
                             image_name=store_rules.postgresql_image("17"), storage_class="gp3", storage_gi=10,
                             owner_secret="postgres-shipyard")
    assert validate(cr("Cluster", spec)) == []
    assert spec["instances"] == 1 and spec["storage"] == {"storageClass": "gp3", "size": "10Gi"}
    assert spec["imageName"] == STORE_IMAGES["postgresql-17"]
    assert spec["resources"] == cnpg.POSTGRES.resources()
    # the store's label and no sidecar on every pod (Jobs included) the operator creates
    assert spec["inheritedMetadata"]["labels"] == {
        STORE_LABEL: "postgres", "app.kubernetes.io/part-of": "shop",
        "sidecar.istio.io/inject": "false"}
    assert spec["bootstrap"]["initdb"] == {"database": "shipyard", "owner": "shipyard",
                                           "secret": {"name": "postgres-shipyard"}}
    assert spec["postgresql"]["pg_hba"] == ["hostnossl all all all reject"]  # TLS only
    assert spec["enableSuperuserAccess"] is False
    # one instance: no PodDisruptionBudget (it would block every drain), no anti-affinity
    assert spec["enablePDB"] is False and "affinity" not in spec


def test_standbys_go_on_other_nodes_behind_the_operators_budgets():
    spec = cnpg.cluster_spec(app="shop", store_name="orders", instances=3, image_name="x:17",
                             storage_class="gp3", storage_gi=50, owner_secret="s")
    assert validate(cr("Cluster", spec)) == []
    assert spec["enablePDB"] is True
    assert spec["affinity"] == {"enablePodAntiAffinity": True, "podAntiAffinityType": "required",
                                "topologyKey": "kubernetes.io/hostname"}
    (spread,) = spec["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["labelSelector"]["matchLabels"][cnpg.CLUSTER_LABEL] == "orders"


def test_each_database_belongs_to_the_first_service_that_uses_it():
    consumers = {"api": "shared", "auth": "shared", "billing": "invoices", "audit": None}
    owners = cnpg.databases(["shared", "invoices", "spare"], consumers)
    assert owners == {"shared": "api", "invoices": "billing", "spare": "shipyard",
                      "audit": "audit"}     # no database named: one of its own
    assert cnpg.role_name("user-service") == "user_service"


def test_roles_and_databases_are_valid_and_kept_when_their_objects_go():
    role = cnpg.role_spec(store_name="postgres", role="auth", secret_name="postgres-auth",
                          comment="shop/auth", member_of=["api"])
    assert validate(cr("DatabaseRole", role, "postgres-auth")) == []
    assert role["login"] is True and role["passwordSecret"] == {"name": "postgres-auth"}
    assert role["databaseRoleReclaimPolicy"] == "retain" and role["inRoles"] == ["api"]
    assert "inRoles" not in cnpg.role_spec(store_name="p", role="a", secret_name="s",
                                           comment="c")
    db = cnpg.database_spec(store_name="postgres", database="shared", owner="api")
    assert validate(cr("Database", db, "postgres-shared")) == []
    assert db == {"cluster": {"name": "postgres"}, "name": "shared", "owner": "api",
                  "databaseReclaimPolicy": "retain"}


def test_the_postgres_network_policy_admits_consumers_replicas_operator_and_prometheus():
    spec = cnpg.network_policy_spec(store_name="postgres", consumers=["b", "a"],
                                    monitoring_namespace="monitoring")
    assert spec["podSelector"] == {"matchLabels": {STORE_LABEL: "postgres"}}
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    consumers, own, operator, metrics = spec["ingress"]
    assert consumers["from"] == [{"podSelector": {"matchLabels": {NAME_LABEL: "a"}}},
                                 {"podSelector": {"matchLabels": {NAME_LABEL: "b"}}}]
    assert ports(consumers) == {5432}
    assert own["from"] == [{"podSelector": {"matchLabels": {STORE_LABEL: "postgres"}}}]
    assert ports(own) == ports(operator) == {5432, 8000}
    assert operator["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": NAMESPACE}
    assert operator["from"][0]["podSelector"]["matchLabels"] == OPERATOR_LABELS
    assert ports(metrics) == {9187}
    to_own, to_api = spec["egress"]
    assert ports(to_own) == {5432, 8000} and 443 in ports(to_api)
    quiet = cnpg.network_policy_spec(store_name="postgres", consumers=[],
                                     monitoring_namespace=None)
    assert [ports(r) for r in quiet["ingress"]] == [{5432, 8000}, {5432, 8000}]


def test_the_footprint_is_the_instances_requests_and_limits():
    one = cnpg.footprint(StoreSettings())
    three = cnpg.footprint(StoreSettings(instances=3))
    assert (one.pods, three.pods) == (1, 3)
    assert one.requests_memory == 512 * 2**20 and three.requests_memory == 3 * 512 * 2**20
    assert three.limits_cpu == 3000 and three.max_container_cpu == one.max_container_cpu == 1000
    assert one.max_container_memory == 512 * 2**20


def test_the_pod_monitor_selects_the_instances_metrics_port():
    spec = cnpg.pod_monitor_spec("postgres")
    assert validate({"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
                     "metadata": {"name": "postgres"}, "spec": spec}) == []
    assert spec["selector"]["matchLabels"] == {"cnpg.io/cluster": "postgres",
                                               "cnpg.io/podRole": "instance"}
    assert spec["podMetricsEndpoints"][0]["port"] == "metrics"


# -- the operator add-on ---------------------------------------------------------------------------


def test_the_operator_values_one_replica_or_two_spread():
    one = cloudnative_pg_values(replicas=1)
    assert one["replicaCount"] == 1 and one["crds"] == {"create": True}
    assert one["config"]["clusterWide"] is True and "topologySpreadConstraints" not in one
    assert one["resources"]["requests"] and one["resources"]["limits"]
    two = cloudnative_pg_values(replicas=2)
    (spread,) = two["topologySpreadConstraints"]
    assert spread["labelSelector"]["matchLabels"] == OPERATOR_LABELS


def test_the_operator_is_wanted_where_postgresql_runs_in_the_cluster():
    ctx = ClusterContext(provider=None, cluster_name="shipyard-test", region="us-east-1",
                         environment="dev", eks=True)
    dev = cloudnative_pg_args(stack_settings("dev"), ctx)
    assert dev is not None and cloudnative_pg_args(stack_settings("prod"), ctx) is None
    assert not dev.highly_available


# -- MySQL: pure builders ------------------------------------------------------------------------


def test_mysql_is_one_server():
    fp = mysql.footprint(StoreSettings())
    assert fp.pods == 1 and fp.requests_memory == fp.limits_memory == 2**30


def test_mysql_users_own_their_service_database():
    users = mysql.grants(["go_service"], {"go-service": "go_service", "reporter": None})
    assert users == {"go_service": "go_service", "reporter": "go_service"}
    assert mysql.grants([], {"a-b": None}) == {"a_b": "a_b"}


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_users_hook_waits_for_the_real_server_then_applies_idempotent_sql(tmp_path: Path):
    """The hook's script run against a stand-in ``mysql`` that reports the entrypoint's
    temporary server twice, then the real one, and prints the SQL it is fed."""
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "password").write_text("RootPassw0rd")
    (tmp_path / "users").mkdir()
    (tmp_path / "users" / "go_service").write_text("Secr3tPassw0rd")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "mysql"
    fake.write_text(
        "#!/bin/bash\n"
        'if [[ " $* " == *" -e "* ]]; then n=$(cat "$TMPDIR/n" 2>/dev/null || echo 0)\n'
        '  echo $((n + 1)) > "$TMPDIR/n"; [ "$n" -ge 2 ] && echo 0 || echo 1; exit 0; fi\n'
        'cat "${1#--defaults-extra-file=}"; cat\n')
    fake.chmod(0o755)
    script = mysql.users_script({"go_service": "go_service"}, root_dir=str(tmp_path / "root"),
                                users_dir=str(tmp_path / "users"), period=0)
    assert "Secr3t" not in script and "RootPassw0rd" not in script
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "TMPDIR": str(tmp_path)}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "user=root" in out and "password=RootPassw0rd" in out
    assert "CREATE DATABASE IF NOT EXISTS `go_service`;" in out
    assert "CREATE USER IF NOT EXISTS 'go_service'@'%' IDENTIFIED BY 'Secr3tPassw0rd';" in out
    assert "ALTER USER 'go_service'@'%' IDENTIFIED BY 'Secr3tPassw0rd';" in out
    assert "GRANT ALL PRIVILEGES ON `go\\_service`.* TO 'go_service'@'%';" in out
    assert out.rstrip().endswith("shipyard: databases and users applied")
    assert not list(tmp_path.glob("root.*"))        # the root client file is gone
    # a password a shell or SQL would need quoted stops the hook (the pod restarts)
    (tmp_path / "users" / "go_service").write_text("x'; DROP DATABASE y; --")
    (tmp_path / "n").unlink()
    bad = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                         timeout=30)
    assert bad.returncode != 0 and "DROP DATABASE" not in bad.stdout


def test_the_statefulset_meets_pod_security_restricted_and_keeps_its_volume():
    spec = mysql.statefulset_spec(app="shop", store_name="mysql", image_name="mysql:8.4.11",
                                  storage_class="gp3", storage_gi=10, root_secret="mysql-root",
                                  users_secret="mysql-users", users={"svc": "db"})
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    ctx = container["securityContext"]
    assert ctx["runAsNonRoot"] and ctx["runAsUser"] >= 10000 and ctx["readOnlyRootFilesystem"]
    assert ctx["capabilities"] == {"drop": ["ALL"]} and not ctx["allowPrivilegeEscalation"]
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["securityContext"]["fsGroup"] == mysql.GID
    assert pod["automountServiceAccountToken"] is False
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts["/var/run/mysqld"] == "run" and mounts["/tmp"] == "tmp"
    assert "--require-secure-transport=ON" in container["args"]
    assert f"--datadir={mysql.DATADIR}" in container["args"]
    assert {e["name"]: e["value"] for e in container["env"]} == {
        "MYSQL_ROOT_PASSWORD_FILE": "/etc/mysql-root/password", "MYSQL_ROOT_HOST": "localhost"}
    assert all(k in container for k in ("startupProbe", "livenessProbe", "readinessProbe"))
    assert container["resources"] == mysql.MYSQL.resources()
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "gp3"
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain",
                                                            "whenScaled": "Retain"}
    labels = spec["template"]["metadata"]["labels"]
    assert labels[STORE_LABEL] == "mysql" and labels["sidecar.istio.io/inject"] == "false"
    assert spec["serviceName"] == "mysql-headless"


def test_the_mysql_network_policy_admits_consumers_only_and_lets_nothing_out():
    spec = mysql.network_policy_spec(store_name="mysql", consumers=["go-service"])
    assert spec["policyTypes"] == ["Ingress", "Egress"] and spec["egress"] == []
    (rule,) = spec["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {NAME_LABEL: "go-service"}}}]
    assert ports(rule) == {3306}


# -- the dev plan ----------------------------------------------------------------------------------


def _in(plan: Plan, type_: str, namespace: str) -> list:
    return [r for r in plan.of_type(type_) if r.inputs["metadata"]["namespace"] == namespace]


def _dependencies(plan: Plan, record) -> set[str]:
    return {plan.by_urn(u).name for u in record.dependencies}


def test_dev_installs_the_operator_once_pinned_in_a_restricted_namespace(dev):
    (release,) = [r for r in dev.of_type(RELEASE) if r.inputs["chart"] == "cloudnative-pg"]
    chart = CHARTS["cloudnative-pg"]
    assert (release.inputs["version"], release.inputs["repositoryOpts"]["repo"]) == \
        (chart.version, chart.repo)
    assert release.inputs["namespace"] == NAMESPACE
    (ns,) = [r for r in dev.of_type("kubernetes:core/v1:Namespace")
             if r.inputs["metadata"]["name"] == NAMESPACE]
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_every_postgresql_store_in_dev_is_a_cluster_with_its_databases_and_roles(dev):
    settings = stack_settings("dev")
    (release,) = [r for r in dev.of_type(RELEASE) if r.inputs["chart"] == "cloudnative-pg"]
    found = 0
    for app in settings.applications:
        for store_name, store in app.stores.items():
            if store.kind != "postgresql":
                continue
            found += 1
            cluster = only([r for r in _in(dev, CLUSTER, app.name)
                            if r.inputs["metadata"]["name"] == store_name])
            assert cluster.inputs["spec"]["instances"] == \
                settings.config.stores.postgresql.instances
            users = {svc for svc, s in app.services.items()
                     for use in s.uses if use.store == store_name}
            roles = {r.inputs["spec"]["name"]: r for r in _in(dev, ROLE, app.name)}
            assert set(roles) == {cnpg.role_name(u) for u in users}
            dbs = {r.inputs["spec"]["name"]: r for r in _in(dev, DATABASE, app.name)}
            assert set(store.databases) <= set(dbs)
            for r in [cluster, *roles.values(), *dbs.values()]:
                assert release.urn in r.dependencies, r.name     # the CRDs and webhooks
            for r in [*roles.values(), *dbs.values()]:
                assert r.inputs["spec"]["cluster"]["name"] == store_name
            for role in roles.values():       # the password is in the Secret the role names
                secret = only([s for s in _in(dev, SECRET_TYPE, app.name) if
                               s.inputs["metadata"]["name"] ==
                               role.inputs["spec"]["passwordSecret"]["name"]])
                assert secret.inputs["type"] == "kubernetes.io/basic-auth"
                assert secret.inputs["stringData"] == SECRET
                assert secret.inputs["metadata"]["labels"]["cnpg.io/reload"] == "true"
    assert found == 5


def test_no_custom_resource_holds_a_password(dev):
    crs = [r for r in dev.resources if r.type.startswith("kubernetes:postgresql.cnpg.io/")]
    text = json.dumps([r.to_json() for r in crs])
    assert crs and "mock-password" not in text and SECRET not in text
    statefulset = only([r for r in dev.of_type(STATEFULSET) if r.name.endswith("-mysql-"
                                                                                "statefulset")])
    assert "mock-password" not in json.dumps(statefulset.to_json())


def test_services_wait_for_their_role_and_database(dev):
    api = only([r for r in _in(dev, DEPLOYMENT, "sre-platform")
                if r.inputs["metadata"]["name"] == "api"])
    waits = _dependencies(dev, api)
    assert "apps-sre-platform-stores-postgres-api-role" in waits
    assert "apps-sre-platform-stores-postgres-sreplatform-database" in waits
    go = only([r for r in _in(dev, DEPLOYMENT, "everything-portal")
               if r.inputs["metadata"]["name"] == "go-service"])
    assert "apps-everything-portal-stores-mysql-statefulset" in _dependencies(dev, go)


def test_a_shared_database_is_owned_by_one_service_the_other_a_member(dev):
    roles = {r.inputs["spec"]["name"]: r.inputs["spec"] for r in _in(dev, ROLE, "sre-platform")}
    (db,) = [r.inputs["spec"] for r in _in(dev, DATABASE, "sre-platform")
             if r.inputs["spec"]["name"] == "sreplatform"]
    owner = db["owner"]
    others = set(roles) - {owner}
    assert owner in roles and others
    assert all(roles[o]["inRoles"] == [owner] for o in others)


def test_the_connection_is_the_read_write_service_over_tls(dev):
    configmaps = [r.inputs["data"] for r in dev.of_type("kubernetes:core/v1:ConfigMap")
                  if r.inputs["metadata"]["namespace"] == "code-learn"
                  and str(r.inputs.get("data", {}).get("HOST", "")).startswith("postgres-rw.")]
    data = only([d for d in configmaps if d.get("USERNAME") == "user_service"])
    assert data["HOST"] == "postgres-rw.code-learn.svc" and data["PORT"] == "5432"
    assert data["DATABASE"] == "codelearn_users" and data["TLS"] == "true"


def test_the_mysql_store_in_dev(dev):
    sts = only([r for r in _in(dev, STATEFULSET, "everything-portal")
                if r.inputs["metadata"]["name"] == "mysql"])
    spec = sts.inputs["spec"]
    assert spec["template"]["spec"]["containers"][0]["image"] == STORE_IMAGES["mysql-8.4"]
    assert spec["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "gp3"
    script = spec["template"]["spec"]["containers"][0]["lifecycle"]["postStart"]["exec"][
        "command"][2]
    assert "CREATE DATABASE IF NOT EXISTS `go_service`;" in script
    policy = only([r for r in _in(dev, NETPOL, "everything-portal")
                   if r.inputs["metadata"]["name"] == "mysql-store"])
    assert policy.inputs["spec"]["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": {NAME_LABEL: "go-service"}}}]
    configmaps = [r.inputs["data"] for r in _in(dev, "kubernetes:core/v1:ConfigMap",
                                                 "everything-portal")
                  if r.inputs.get("data", {}).get("HOST") == "mysql.everything-portal.svc"]
    data = only(configmaps)
    assert (data["PORT"], data["USERNAME"], data["DATABASE"], data["TLS"]) == \
        ("3306", "go_service", "go_service", "true")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_managed_stacks_run_no_sql_store_in_the_cluster(plans, stack):
    plan = plans[stack]
    assert not plan.of_type(CLUSTER) and not plan.of_type(DATABASE)
    assert not plan.of_type("shipyard:stores:MysqlServer")
    assert not [r for r in plan.of_type(RELEASE) if r.inputs["chart"] == "cloudnative-pg"]


# -- an existing cluster, protected, with standbys (one variant run) ---------------------------------


@pytest.fixture(scope="module")
def existing() -> Plan:
    from shipyard.catalog.load import load_catalogs

    apps = {name: {"enabled": name == "everything-portal"} for name in load_catalogs()}
    return run_program("dev", overrides={
        "shipyard:cluster": {"mode": "existing", "context": "minikube"},
        "shipyard:protect": True,
        "shipyard:stores": {"postgresql": {"instances": 2}},
        "shipyard:applications": copy.deepcopy(apps)})


def test_an_existing_cluster_runs_its_stores_in_the_cluster_protected(existing):
    (cluster,) = existing.of_type(CLUSTER)
    spec = cluster.inputs["spec"]
    assert spec["instances"] == 2 and spec["enablePDB"] is True
    assert spec["affinity"]["podAntiAffinityType"] == "required"
    assert cluster.options.get("protect") is True
    assert all(r.options.get("protect") is True for r in existing.of_type(DATABASE))
    sts = only([r for r in existing.of_type(STATEFULSET)
                if r.inputs["metadata"]["name"] == "mysql"])
    assert sts.options.get("protect") is True


def test_standbys_make_the_operator_highly_available(existing):
    (release,) = [r for r in existing.of_type(RELEASE)
                  if r.inputs["chart"] == "cloudnative-pg"]
    assert release.inputs["values"]["replicaCount"] == 2
    (pdb,) = [r for r in existing.of_type("kubernetes:policy/v1:PodDisruptionBudget")
              if r.inputs["metadata"]["namespace"] == NAMESPACE]
    assert pdb.inputs["spec"]["minAvailable"] == 1
