"""The AWS-managed stores of staging and prod (RDS, ElastiCache for Valkey, Amazon MQ for
RabbitMQ, DocumentDB) and the bootstrap Jobs that give each service its own user.

The bootstrap scripts, the windows' arithmetic and the refusals of bad settings are plain
functions, tested without mocks; the plans show what each stack registers. What AWS itself would
accept is in tests/test_moto.py (every managed kind but DocumentDB, which moto lacks).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pytest

from components.stores import amazon_mq, bootstrap, documentdb, elasticache, managed, rds
from components.stores.base import ManagedNetwork, StoreArgs
from components.stores.bootstrap import Grant
from components.stores.stores import JOB_ALLOWANCE, consumers, object_name
from offline.harness import Plan, ResourceRecord
from shipyard.catalog.services import cpu_millis, memory_bytes
from shipyard.config.base import Problem as Problem
from shipyard.config.stores import StoresSettings
from shipyard.rules.stores import STORE_ID_ANNOTATION
from shipyard.versions import STORE_ENGINES, STORE_IMAGES
from tests.support.settings import stack_settings as _stack_settings
from tests.support.stores import MANAGED_TYPES as MANAGED_KINDS
from tests.support.stores import Served, components, served

PASSWORDS = {"api": "s3cr3t'quote\\slash", "auth": "Plain0Password1"}


# ---------------------------------------------------------------------------------------------
# Reading the plans


@functools.cache
def stack_settings(stack: str) -> Any:
    return _stack_settings(stack)


def stores_of(stack: str) -> list[Served]:
    """Every managed store the stack's applications declare, with the store holding it."""
    return served(stack_settings(stack))


def store_components(stack: str) -> dict[str, list[Served]]:
    return components(stores_of(stack))


def component(plan: Plan, name: str) -> ResourceRecord:
    [record] = [r for r in plan.resources if r.type.startswith("shipyard:stores:")
                and r.name == name]
    return record


def children(plan: Plan, parent: ResourceRecord, type_: str) -> list[ResourceRecord]:
    """Resources of ``type_`` anywhere under ``parent``."""
    index = {r.urn: r for r in plan.resources}

    def under(r: ResourceRecord) -> bool:
        up = r.parent
        while up is not None:
            if up == parent.urn:
                return True
            up = index[up].parent if up in index else None
        return False

    return [r for r in plan.of_type(type_) if under(r)]


def one(plan: Plan, parent: ResourceRecord, type_: str) -> ResourceRecord:
    [record] = children(plan, parent, type_)
    return record


def cluster_security_group(plan: Plan) -> str:
    [cluster] = plan.of_type("aws:eks/cluster:Cluster")
    return cluster.outputs["vpcConfig"]["clusterSecurityGroupId"]


def isolated_cidrs(stack: str) -> list[str]:
    return [z.isolated for z in stack_settings(stack).network.layout()]


# ---------------------------------------------------------------------------------------------
# Bootstrap scripts (pure)


GRANTS = [Grant("api", "api", "sreplatform"), Grant("auth", "auth", "sreplatform")]


def test_grants_name_users_after_services_and_default_to_the_first_database():
    found = bootstrap.grants("postgresql", {"user-service": "users", "b": None},
                             ["main", "users"])
    assert found == [Grant("b", "b", "main"), Grant("user-service", "user_service", "users")]
    assert bootstrap.grants("rabbitmq", {"post-service": None}, []) == [
        Grant("post-service", "post-service", None)]


@pytest.mark.parametrize("kind,consumers_,databases,message", [
    ("postgresql", {"svc": None}, [], "names no database"),
    ("postgresql", {"pg-admin": "db"}, ["db"], "reserved"),
    ("mysql", {"shipyardadmin": "db"}, ["db"], "reserved"),
    ("mysql", {"a" * 33: "db"}, ["db"], "32 characters"),
    ("postgresql", {"svc": "Bad-DB"}, ["Bad-DB"], "lowercase"),
])
def test_grants_refuse_what_an_engine_would(kind, consumers_, databases, message):
    with pytest.raises(ValueError, match=message):
        bootstrap.grants(kind, consumers_, databases)


def test_postgres_sql_is_idempotent_and_shares_a_database_through_its_owner_role():
    sql = bootstrap.postgres_sql(GRANTS, PASSWORDS)
    lines = [line for line in sql.splitlines() if line and not line.startswith("--")]
    assert lines[0] == "\\set ON_ERROR_STOP on"
    # every CREATE runs only when its object is missing
    for line in lines:
        if "CREATE ROLE" in line or "CREATE DATABASE" in line:
            assert line.startswith("SELECT 'CREATE") and "WHERE NOT EXISTS" in line
            assert line.endswith("\\gexec")
    assert sql.count("CREATE DATABASE \"sreplatform\" OWNER \"sreplatform_owner\"") == 1
    assert "REVOKE CONNECT, TEMPORARY ON DATABASE \"sreplatform\" FROM PUBLIC;" in sql
    for user in ("api", "auth"):
        assert f"GRANT \"sreplatform_owner\" TO \"{user}\";" in sql
        assert f"ALTER ROLE \"{user}\" SET role = 'sreplatform_owner';" in sql
    # the role's password as its SCRAM verifier: the password itself is in no statement
    assert "s3cr3t" not in sql and sql.count("PASSWORD 'SCRAM-SHA-256$4096:") == len(GRANTS)
    assert "SUPERUSER" not in sql and "CREATEROLE" not in sql


def test_mysql_sql_requires_tls_and_grants_one_database():
    sql = bootstrap.mysql_sql([Grant("go-service", "go_service", "go_service")],
                              {"go-service": PASSWORDS["api"]})
    assert "CREATE DATABASE IF NOT EXISTS `go_service`;" in sql
    assert ("CREATE USER IF NOT EXISTS 'go_service'@'%' IDENTIFIED BY "
            "'s3cr3t\\'quote\\\\slash' REQUIRE SSL;") in sql
    assert "ALTER USER 'go_service'@'%' IDENTIFIED BY" in sql
    grants = re.findall(r"GRANT .*", sql)
    assert grants == ["GRANT ALL PRIVILEGES ON `go_service`.* TO 'go_service'@'%';"]


def test_mongo_script_creates_or_updates_readwrite_users_in_admin():
    uri = bootstrap.mongo_uri("docdb.example", 27017, "shipyardadmin", "p@ss/word")
    assert uri.startswith("mongodb://shipyardadmin:p%40ss%2Fword@docdb.example:27017/admin?")
    assert "tls=true" in uri and "retryWrites=false" in uri and "replicaSet=rs0" in uri
    script = bootstrap.mongo_script([Grant("python-service", "python_service", "app")],
                                    {"python-service": "pw"}, uri)
    users = json.loads(re.search(r"for \(const u of (\[.*\])\) \{", script).group(1))
    assert users == [{"user": "python_service", "pwd": "pw",
                      "roles": [{"role": "readWrite", "db": "app"}]}]
    assert "getSiblingDB('admin')" in script and "createUser" in script
    assert "updateUser" in script


def test_rabbitmq_script_holds_no_secret_and_reads_credentials_from_files():
    grant_list = [Grant("post-service", "post-service", None)]
    script = bootstrap.rabbitmq_script(grant_list)
    assert "--netrc-file /bootstrap/netrc" in script and "password" not in script
    assert '"$api/users/$user"' in script and "permissions/%2F/$user" in script
    assert json.loads(bootstrap.rabbitmq_user("x")) == {"password": "x", "tags": ""}
    assert bootstrap.rabbitmq_netrc("b-1.mq", "admin", "pw") == (
        "machine b-1.mq\nlogin admin\npassword pw\n")


def test_client_files_require_tls():
    assert "sslmode=require" in bootstrap.pg_service_file("h", 5432, "u", "p")
    assert "ssl-mode=REQUIRED" in bootstrap.mysql_option_file("h", 3306, "u", 'p"q')
    assert 'password="p\\"q"' in bootstrap.mysql_option_file("h", 3306, "u", 'p"q')


def test_the_job_name_changes_with_the_users_not_with_anything_secret():
    image = STORE_IMAGES["postgresql-client"]
    name = bootstrap.job_name("postgres", "postgresql", GRANTS, image)
    assert re.fullmatch(r"postgres-bootstrap-[0-9a-f]{8}", name)
    assert name == bootstrap.job_name("postgres", "postgresql", list(GRANTS), image)
    more = [*GRANTS, Grant("jobs", "jobs", "sreplatform")]
    assert bootstrap.job_name("postgres", "postgresql", more, image) != name


def test_the_job_is_restricted_reads_secrets_as_files_and_stays_out_of_the_mesh():
    spec = bootstrap.job_spec("sre-platform", "postgres", image="img:1", uid=70,
                              secret_name="postgres-bootstrap",
                              command=bootstrap.COMMANDS["postgresql"],
                              env=bootstrap.ENV["postgresql"])
    pod = spec["template"]["spec"]
    assert spec["backoffLimit"] and spec["ttlSecondsAfterFinished"]
    assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    [container] = pod["containers"]
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] and context["capabilities"] == {"drop": ["ALL"]}
    assert context["allowPrivilegeEscalation"] is False
    assert all("valueFrom" not in e for e in container["env"])
    assert {m["mountPath"]: m.get("readOnly", False) for m in container["volumeMounts"]} == {
        "/tmp": False, "/bootstrap": True}
    labels = spec["template"]["metadata"]["labels"]
    assert labels["sidecar.istio.io/inject"] == "false"
    assert labels[bootstrap.BOOTSTRAP_LABEL] == "postgres"
    # within the tenant quota's allowance for a Job's pod
    limits = container["resources"]["limits"]
    assert cpu_millis(limits["cpu"]) <= JOB_ALLOWANCE.max_container_cpu
    assert memory_bytes(limits["memory"]) <= JOB_ALLOWANCE.max_container_memory


def test_the_jobs_policy_reaches_only_the_store_subnets_on_its_ports():
    policy = bootstrap.network_policy("postgres", ["10.0.0.0/24", "10.0.1.0/24"], [5432])
    assert policy["podSelector"] == {"matchLabels": {bootstrap.BOOTSTRAP_LABEL: "postgres"}}
    assert policy["policyTypes"] == ["Egress"]
    [rule] = policy["egress"]
    assert rule == {"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}},
                           {"ipBlock": {"cidr": "10.0.1.0/24"}}],
                    "ports": [{"protocol": "TCP", "port": 5432}]}


def test_every_client_image_is_pinned_to_a_version():
    for client in bootstrap.CLIENTS.values():
        image = STORE_IMAGES[client.image_key]
        assert re.search(r":\d+\.\d+", image) and not image.endswith(":latest"), image


# ---------------------------------------------------------------------------------------------
# Windows, engines, topology (pure)


def test_window_and_endpoint_conversions():
    assert managed.maintenance_start("sun:04:30-sun:05:30") == ("SUNDAY", "04:30")
    assert managed.host_of("amqps://b-1.mq.us-east-1.amazonaws.com:5671") == (
        "b-1.mq.us-east-1.amazonaws.com")
    assert managed.host_of("mockmq") == "mockmq"
    assert amazon_mq._host([{"endpoints": ["amqps://b-2.mq:5671"]}]) == "b-2.mq"
    assert amazon_mq._host(None) is None


@pytest.mark.parametrize("kind,version,family", [
    ("postgresql", "17", "postgres17"), ("postgresql", "17.4", "postgres17"),
    ("postgresql", "18", "postgres18"), ("mysql", "8.4", "mysql8.4"),
    ("mysql", "8.0.39", "mysql8.0")])
def test_rds_parameter_families(kind, version, family):
    assert rds.parameter_family(kind, version) == family


def test_rds_parameters_force_tls():
    stores = StoresSettings()
    assert {"name": "rds.force_ssl", "value": "1", "apply_method": "pending-reboot"} in \
        rds.parameters("postgresql", stores)
    assert {p["name"]: p["value"] for p in rds.parameters("mysql", stores)}[
        "require_secure_transport"] == "ON"


def test_the_databases_log_ddl_and_slow_statements_as_the_settings_say():
    """PostgreSQL logs DDL and every statement slower than stores.slowQueryMs, applied at
    once (dynamic parameters: a deployed database logs from its next update); MySQL's slow
    query log takes the same threshold in seconds; DocumentDB audits and profiles."""
    stores = StoresSettings.model_validate({"slowQueryMs": 500, "logStatement": "mod"})
    pg = {p["name"]: (p["value"], p["apply_method"]) for p in rds.parameters("postgresql",
                                                                             stores)}
    assert pg["log_min_duration_statement"] == ("500", "immediate")
    assert pg["log_statement"] == ("mod", "immediate")
    mysql = {p["name"]: p["value"] for p in rds.parameters("mysql", stores)}
    assert (mysql["slow_query_log"], mysql["long_query_time"]) == ("1", "0.5")
    assert {p["name"]: p["value"] for p in rds.parameters("mysql", StoresSettings())}[
        "long_query_time"] == "2"                                           # the default 2 s
    docdb = {p["name"]: p["value"] for p in documentdb.parameters(stores)}
    assert docdb == {"tls": "enabled", "audit_logs": "enabled", "profiler": "enabled",
                     "profiler_threshold_ms": "500"}


def test_documentdb_versions_and_families():
    assert documentdb.engine_version(STORE_ENGINES["mongodb"]) == "8.0.0"
    assert documentdb.parameter_family("8.0.0") == "docdb8.0"
    assert documentdb.parameter_family(documentdb.engine_version("5.0")) == "docdb5.0"


def test_cache_topology():
    assert elasticache.topology(3, True) == {"num_cache_clusters": 3,
                                             "automatic_failover_enabled": True,
                                             "multi_az_enabled": True}
    assert elasticache.topology(1, False)["automatic_failover_enabled"] is False


def test_elasticache_ids_fit_in_40_characters_and_stay_distinct():
    long = "shipyard-production-learning-platform-redis"
    a, b = elasticache.short_id(long, "user-service"), elasticache.short_id(long, "frontend")
    assert len(a) <= 40 and len(b) <= 40 and a != b
    assert elasticache.short_id("short", "api") == "short-api"


def test_a_single_instance_broker_takes_one_subnet():
    assert amazon_mq.deployment_mode(False) == "SINGLE_INSTANCE"
    assert amazon_mq.deployment_mode(True) == "CLUSTER_MULTI_AZ"
    assert amazon_mq.first_subnet(["subnet-b", "subnet-a", "subnet-c"]) == ["subnet-a"]


# ---------------------------------------------------------------------------------------------
# Bad settings are refused before anything is registered


def store_args(kind: str, stores: StoresSettings, **changes: Any) -> StoreArgs:
    settings = stack_settings("prod")
    app = next(a for a in settings.applications
               if any(s.kind == kind for s in a.stores.values()))
    name, store = next((n, s) for n, s in app.stores.items() if s.kind == kind)
    values = dict(app=app, store_name=name, store=store, consumers=consumers(app, name),
                  kind_settings=stores.kind(kind), stores=stores,
                  version=STORE_ENGINES[kind], namespace=app.name, provider=None,
                  cluster_name=settings.cluster_name, environment="prod", protect=True,
                  network=ManagedNetwork(vpc_id="vpc-1", subnet_ids=["subnet-1"],
                                         client_security_group_id="sg-1",
                                         cidrs=("10.0.0.0/24",)),
                  kms_key_arn="arn:aws:kms:us-east-1:1:key/k")
    values.update(changes)
    return StoreArgs(**values)  # type: ignore[arg-type]


def test_a_managed_store_without_a_vpc_is_refused():
    with pytest.raises(ValueError, match="needs the stack's VPC"):
        amazon_mq.RabbitMqBroker("x", store_args("rabbitmq", StoresSettings(), network=None))


# ---------------------------------------------------------------------------------------------
# The plans


def test_prod_databases_are_multi_az_encrypted_protected_and_kept(prod):
    databases = {name: entries for name, entries in store_components("prod").items()
                 if entries[0].kind in ("postgresql", "mysql")}
    assert {e[0].kind for e in databases.values()} == {"postgresql", "mysql"}
    assert len(prod.of_type("aws:rds/instance:Instance")) == len(databases)
    sizes = stack_settings("prod").config.stores
    for name, entries in databases.items():
        kind = entries[0].kind
        parent = component(prod, name)
        assert parent.type == "shipyard:stores:RdsDatabase"
        db = one(prod, parent, "aws:rds/instance:Instance")
        i = db.inputs
        assert i["identifier"] == entries[0].identifier()
        assert i["engine"] == {"postgresql": "postgres", "mysql": "mysql"}[kind]
        assert i["engineVersion"] == STORE_ENGINES[kind]
        assert i["instanceClass"] == sizes.size_of(kind)
        assert i["multiAz"] is True and i["storageEncrypted"] is True
        assert i["kmsKeyId"].startswith("arn:aws:kms:")
        assert i["deletionProtection"] is True and db.options["protect"] is True
        assert i["backupRetentionPeriod"] == 30 and i["skipFinalSnapshot"] is False
        # a suffix new for each incarnation: a re-created store's delete is not refused
        assert re.fullmatch(re.escape(i["identifier"]) + "-final-[0-9a-f]{8}",
                            i["finalSnapshotIdentifier"])
        assert i["publiclyAccessible"] is False and i["storageType"] == "gp3"
        assert (i["allocatedStorage"], i["maxAllocatedStorage"]) == (
            sizes.kind(kind).storage_gi, sizes.kind(kind).max_storage_gi)
        assert i["applyImmediately"] is False and i["password"] == "[secret]"
        group = one(prod, parent, "aws:rds/parameterGroup:ParameterGroup")
        assert i["parameterGroupName"] == group.inputs["name"]
        assert {p["name"] for p in group.inputs["parameters"]} & {
            "rds.force_ssl", "require_secure_transport"}


def test_staging_databases_are_single_az_and_unprotected_but_still_keep_a_final_snapshot(
        staging):
    sizes = stack_settings("staging").config.stores
    records = staging.of_type("aws:rds/instance:Instance")
    assert records
    for record in records:
        i = record.inputs
        kind = {"postgres": "postgresql", "mysql": "mysql"}[i["engine"]]
        assert i["multiAz"] is False and i["instanceClass"] == sizes.size_of(kind)
        assert i["deletionProtection"] is False and record.options["protect"] is False
        assert i["skipFinalSnapshot"] is False and i["finalSnapshotIdentifier"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_caches_fail_over_in_prod_and_admit_each_service_by_its_own_user(plans, stack):
    plan = plans[stack]
    caches = {name: entries for name, entries in store_components(stack).items()
              if entries[0].kind == "redis"}
    assert len(plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup")) == len(caches)
    instances = stack_settings(stack).config.stores.redis.instances
    for name, entries in caches.items():
        parent = component(plan, name)
        group = one(plan, parent, "aws:elasticache/replicationGroup:ReplicationGroup").inputs
        assert group["engine"] == "valkey" and group["transitEncryptionEnabled"] is True
        assert group.get("transitEncryptionMode", "required") == "required"
        assert group["atRestEncryptionEnabled"] is True and group["kmsKeyId"]
        assert group["automaticFailoverEnabled"] is (stack == "prod")
        assert group["multiAzEnabled"] is (stack == "prod")
        assert group["numCacheClusters"] == instances
        assert group["snapshotRetentionLimit"] == 30 and group["finalSnapshotIdentifier"]
        assert "authToken" not in group
        users = {u.inputs["userName"]: u.inputs
                 for u in children(plan, parent, "aws:elasticache/user:User")}
        assert set(users) == {"default", *(e.user(service) for e in entries
                                           for service in consumers(e.app, e.name))}
        assert users["default"]["accessString"].startswith("off")
        assert all(u["authenticationMode"]["type"] == "password" for u in users.values())
        [user_group] = children(plan, parent, "aws:elasticache/userGroup:UserGroup")
        assert group["userGroupIds"] == [user_group.inputs["userGroupId"]]
        assert len(user_group.inputs["userIds"]) == len(users)


@pytest.mark.parametrize("stack,mode,subnet_count", [("staging", "SINGLE_INSTANCE", 1),
                                                      ("prod", "CLUSTER_MULTI_AZ", 3)])
def test_the_broker_is_a_cluster_in_prod_and_single_in_staging(plans, stack, mode,
                                                                subnet_count):
    plan = plans[stack]
    [broker] = plan.of_type("aws:mq/broker:Broker")
    i = broker.inputs
    assert i["deploymentMode"] == mode and len(i["subnetIds"]) == subnet_count
    assert i["engineType"] == "RabbitMQ" and i["engineVersion"] == STORE_ENGINES["rabbitmq"]
    assert i["hostInstanceType"].startswith("mq.m7g.")
    assert i["publiclyAccessible"] is False and i["autoMinorVersionUpgrade"] is True
    assert [u["username"] for u in i["users"]] == [bootstrap.MASTER_USER]
    assert "encryptionOptions" not in i       # RabbitMQ: an AWS-owned key only
    assert i["logs"] == {"general": True}
    assert i["maintenanceWindowStartTime"] == {"dayOfWeek": "SUNDAY", "timeOfDay": "04:30",
                                               "timeZone": "UTC"}
    assert broker.options["protect"] is (stack == "prod")


def test_prod_documentdb_spans_the_zones_with_tls_and_is_protected(prod):
    clusters = [name for name, entries in store_components("prod").items()
                if entries[0].kind == "mongodb"]
    assert clusters
    sizes = stack_settings("prod").config.stores.mongodb
    for name in clusters:
        parent = component(prod, name)
        cluster = one(prod, parent, "aws:docdb/cluster:Cluster")
        i = cluster.inputs
        assert i["engine"] == "docdb" and i["engineVersion"] == "8.0.0"
        assert i["storageEncrypted"] is True and i["kmsKeyId"]
        assert i["deletionProtection"] is True and cluster.options["protect"] is True
        assert i["backupRetentionPeriod"] == 30 and i["skipFinalSnapshot"] is False
        assert re.search("-final-[0-9a-f]{8}$", i["finalSnapshotIdentifier"])
        assert set(i["enabledCloudwatchLogsExports"]) == {"audit", "profiler"}
        instances = children(prod, parent, "aws:docdb/clusterInstance:ClusterInstance")
        assert len(instances) == sizes.instances == 3      # one per zone
        assert {r.inputs["instanceClass"] for r in instances} == {sizes.size}
        params = one(prod, parent, "aws:docdb/clusterParameterGroup:ClusterParameterGroup")
        assert params.inputs["family"] == "docdb8.0"
        assert {"name": "tls", "value": "enabled", "applyMethod": "pending-reboot"} in \
            params.inputs["parameters"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_store_security_groups_admit_only_the_cluster(plans, stack):
    plan = plans[stack]
    cluster_group = cluster_security_group(plan)
    for name, entries in store_components(stack).items():
        parent = component(plan, name)
        group = one(plan, parent, "aws:ec2/securityGroup:SecurityGroup")
        assert "egress" not in group.inputs and "ingress" not in group.inputs
        rules = children(plan, parent, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        assert rules
        ports = {5432: "postgresql", 3306: "mysql", 6379: "redis", 27017: "mongodb",
                 5671: "rabbitmq", 443: "rabbitmq"}
        for rule in rules:
            assert rule.inputs["referencedSecurityGroupId"] == cluster_group
            assert "cidrIpv4" not in rule.inputs
            assert ports[rule.inputs["fromPort"]] == entries[0].kind
            assert rule.inputs["fromPort"] == rule.inputs["toPort"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_consumer_gets_its_connection_and_waits_for_its_user(plans, stack):
    plan = plans[stack]
    config_maps = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r
                   for r in plan.of_type("kubernetes:core/v1:ConfigMap")}
    secrets = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"])
               for r in plan.of_type("kubernetes:core/v1:Secret")}
    for entry in stores_of(stack):
        app, name, kind = entry.app, entry.name, entry.kind
        for service in consumers(app, name):
            record = config_maps[(app.name, object_name(service, name))]
            data = record.inputs["data"]
            assert data["USERNAME"] == entry.user(service) and data["TLS"] == "true"
            assert data["PORT"] == str({"postgresql": 5432, "mysql": 3306, "redis": 6379,
                                        "mongodb": 27017, "rabbitmq": 5671}[kind])
            if kind in ("postgresql", "mysql", "mongodb"):
                assert data["DATABASE"] == entry.database(service)
            if kind == "mongodb":
                assert data["AUTH_SOURCE"] == "admin" and "retryWrites=false" in data["OPTIONS"]
            if kind == "rabbitmq":
                assert data["VHOST"] == (entry.database(service) or "/")
            # where its data lives, for plan.py --against
            assert record.inputs["metadata"]["annotations"] == {
                STORE_ID_ANNOTATION: entry.identifier(40 if kind == "redis" else
                                                          50 if kind == "rabbitmq" else 63)}
            assert (app.name, object_name(service, name)) in secrets
        if kind != "redis":
            job = one(plan, component(plan, entry.component), "kubernetes:batch/v1:Job")
            assert job.inputs["metadata"]["namespace"] == entry.namespace


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_bootstrap_jobs_keep_every_password_in_their_secret(plans, stack):
    plan = plans[stack]
    cidrs = isolated_cidrs(stack)
    jobs = {name: entries[0] for name, entries in store_components(stack).items()
            if entries[0].kind != "redis"}
    assert len(plan.of_type("kubernetes:batch/v1:Job")) >= len(jobs)
    for name, entry in jobs.items():
        parent = component(plan, name)
        job = one(plan, parent, "kubernetes:batch/v1:Job")
        secret = one(plan, parent, "kubernetes:core/v1:Secret")
        policy = one(plan, parent, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        assert secret.inputs["stringData"] == "[secret]"
        text = json.dumps(job.inputs)
        assert "mock-password" not in text and "PASSWORD" not in text.upper().replace(
            "PASSWORD_FILE", "")
        pod = job.inputs["spec"]["template"]["spec"]
        assert pod["volumes"][1]["secret"]["secretName"] == secret.inputs["metadata"]["name"]
        # the store's instance (AWS's id of this incarnation: a replaced store re-runs the
        # Job), under a key of its own, not the connections' fixed identifier
        annotations = job.inputs["spec"]["template"]["metadata"]["annotations"]
        assert STORE_ID_ANNOTATION not in annotations
        assert annotations[bootstrap.INSTANCE_ANNOTATION] in {
            r.id for r in plan.descendants(parent) if r.type in (
                "aws:rds/instance:Instance", "aws:docdb/cluster:Cluster",
                "aws:mq/broker:Broker")}
        image = pod["containers"][0]["image"]
        assert image == STORE_IMAGES[bootstrap.CLIENTS[entry.kind].image_key]
        store = entry.kind if entry.shared else entry.name
        assert job.inputs["metadata"]["name"].startswith(f"{store}-bootstrap-")
        [rule] = policy.inputs["spec"]["egress"]
        assert [b["ipBlock"]["cidr"] for b in rule["to"]] == cidrs
        assert policy.inputs["spec"]["podSelector"]["matchLabels"] == (
            job.inputs["spec"]["template"]["metadata"]["labels"] and
            {bootstrap.BOOTSTRAP_LABEL: store})


def test_dev_has_no_managed_store(dev):
    assert not [r for r in dev.resources if r.type in set(MANAGED_KINDS.values())]
    assert not dev.of_type("aws:rds/instance:Instance")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_managed_store_is_priced_at_its_engines_rate(plans, stack):
    from offline.estimates.cost import estimate_cost, load_prices

    prices = load_prices()["prices"]
    estimate = estimate_cost(plans[stack])
    assert not [a for a in estimate.assumptions
                if "no price for" in a or "PostgreSQL rates" in a or "not in the price" in a]
    items = {i["name"]: i for i in estimate.items if i["unit"] == "instance-hours"}
    for record in plans[stack].of_type("aws:rds/instance:Instance"):
        i = record.inputs
        key = ("rds.mysql." if i["engine"] == "mysql" else "rds.") + i["instanceClass"]
        copies = 2 if i["multiAz"] else 1
        assert items[record.name]["monthly_usd"] == pytest.approx(
            copies * 730 * prices[key]["usd"], abs=0.01)
    for record in plans[stack].of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        key = f"elasticache.valkey.{record.inputs['nodeType']}"
        assert items[record.name]["monthly_usd"] == pytest.approx(
            record.inputs["numCacheClusters"] * 730 * prices[key]["usd"], abs=0.01)


def test_postgres_passwords_travel_as_scram_verifiers_never_in_clear():
    """RFC 7677's SCRAM-SHA-256 exchange (user "user", password "pencil") checks out against
    the verifier shipyard sends: the server key signs the exchange as the RFC's server does,
    and the client's proof matches the stored key."""
    import base64
    import hashlib
    import hmac

    from components.stores.bootstrap import Grant, postgres_sql, scram_sha_256

    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram_sha_256("pencil", salt)
    assert verifier.startswith("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$")
    stored_key, server_key = (base64.b64decode(k) for k in verifier.split("$")[2].split(":"))
    auth = (b"n=user,r=rOprNGfwEbeRWgbNEkqO,"
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
            b"i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
    assert base64.b64encode(hmac.new(server_key, auth, hashlib.sha256).digest()).decode() == \
        "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    signature = hmac.new(stored_key, auth, hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key
    sql = postgres_sql([Grant(service="api", user="api", database="orders")],
                       {"api": "hunter2hunter2"})
    assert "hunter2" not in sql and "PASSWORD 'SCRAM-SHA-256$4096:" in sql


def test_long_identifiers_are_cut_and_kept_apart_by_a_hash():
    from components.stores.base import StoreArgs
    [app] = [a for a in stack_settings("staging").applications if a.name == "code-learn"]

    def ident(store: str, limit: int = 40) -> str:
        args = StoreArgs(app=app, store_name=store, store=app.stores["redis"], consumers={},
                         kind_settings=None, stores=None, version="8.2",  # type: ignore[arg-type]
                         namespace="code-learn", provider=None,  # type: ignore[arg-type]
                         cluster_name="shipyard-staging", environment="staging")
        return args.identifier(limit)

    assert ident("redis") == "shipyard-staging-code-learn-redis"
    a, b = ident("redis-sessions-cache"), ident("redis-sessions-queue")
    assert len(a) == len(b) == 40 and a != b and "--" not in a
    # the tests' own reader of the plans (tests/support/stores.py) names it as the product does
    from tests.support.stores import Served
    served = Served(app, "redis-sessions-cache", "redis", False, "", "shipyard-staging",
                    "code-learn")
    assert served.identifier(40) == a and served.identifier(30) == ident(
        "redis-sessions-cache", 30)
