"""The stores' settings, and how every consuming service gets its connection (issue 6).

Backends per environment, bad input named by key and value, and the delivery: a ConfigMap of
connection details read as environment variables and a Secret with the password mounted as a
file, for every service that ``uses:`` a store — and no password in clear anywhere in a plan
or the stack outputs.
"""

from __future__ import annotations

import json

import pytest

from components.stores.base import Connection, env_prefix, store_port
from components.stores.stores import connection_data, consumers, object_name
from components.workload import StoreMount, store_wiring
from offline.harness import SECRET, Plan
from shipyard.config.base import SettingsError
from shipyard.config.load import parse_settings
from tests.support.settings import stack_settings

REQUIRED = {"addons": json.dumps({"certManager": {"acmeEmail": "ops@example.com"}}),
            "dns": json.dumps({"parentZoneId": "ZPARENT"})}


def problems(raw: dict, stack: str = "prod") -> list[str]:
    with pytest.raises(SettingsError) as info:
        parse_settings({**REQUIRED, **raw}, project="shipyard", stack=stack,
                       region="us-east-1")
    return info.value.problems


# -- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack,backend,multi_az", [
    ("dev", "inCluster", False), ("staging", "managed", False), ("prod", "managed", True)])
def test_each_environment_chooses_its_backend(stack, backend, multi_az):
    stores = stack_settings(stack).config.stores
    assert {stores.backend_of(k) for k in ("postgresql", "mysql", "mongodb", "redis",
                                           "rabbitmq")} == {backend}
    assert stores.backend_of("objectStorage") == "managed"      # S3 everywhere
    assert stores.multi_az is multi_az
    assert stores.backup_retention_days == 30                   # seed 001: kept 30 days


def test_one_kind_can_move_to_the_other_backend():
    from tests.support.settings import parse
    settings = parse({"stores": json.dumps({"mongodb": {"backend": "inCluster"}})})
    assert settings.config.stores.backend_of("mongodb") == "inCluster"
    assert settings.config.stores.backend_of("postgresql") == "managed"


@pytest.mark.parametrize("raw,expected", [
    ({"stores": {"rabbitmq": {"size": "mq.m5.large"}}},
     'shipyard:stores.rabbitmq.size: Amazon MQ runs RabbitMQ 4 on mq.m7g.* brokers only '
     '(value: "mq.m5.large")'),
    ({"stores": {"postgresql": {"size": "cache.t4g.small"}}},
     'shipyard:stores.postgresql.size: a managed postgresql store needs an instance type db.* '
     '(value: "cache.t4g.small")'),
    ({"stores": {"backupRetentionDays": 40}}, "shipyard:stores.backupRetentionDays"),
    ({"stores": {"backupWindow": "3am"}}, "shipyard:stores.backupWindow"),
    ({"stores": {"mysql": {"storageGi": 100, "maxStorageGi": 50}}},
     "shipyard:stores.mysql.maxStorageGi: below storageGi (100)"),
    ({"stores": {"backnd": "managed"}}, "shipyard:stores.backnd"),
    ({"backups": {"schedule": "every 6 hours"}}, "shipyard:backups.schedule"),
])
def test_bad_store_settings_are_named_by_key_and_value(raw, expected):
    found = problems({k: json.dumps(v) for k, v in raw.items()})
    assert any(p.startswith(expected) for p in found), found


def test_an_existing_cluster_has_no_vpc_for_managed_stores():
    cluster = json.dumps({"mode": "existing", "context": "kind"})
    [problem] = problems({"cluster": cluster, "stores": json.dumps({"backend": "managed"})})
    assert problem.startswith("shipyard:stores.backend: managed stores live in the stack's VPC")
    [problem] = problems({"cluster": cluster,
                          "stores": json.dumps({"redis": {"backend": "managed"}})})
    assert problem.startswith("shipyard:stores.redis.backend")
    [problem] = problems({"cluster": cluster, "backups": json.dumps({"enabled": True})})
    assert problem.startswith("shipyard:backups.enabled")


# -- pure delivery -------------------------------------------------------------------------


def test_consumers_get_their_own_database_or_the_stores_first():
    [app] = [a for a in stack_settings("prod").applications if a.name == "code-learn"]
    found = consumers(app, "postgres")
    assert found["user-service"] == "codelearn_users"
    assert len(set(found.values())) == len(found)      # a database per service (seed 003)


def test_connection_details_go_to_a_config_map_and_the_password_to_a_file():
    conn = Connection(host="db.example", port=5432, username="orders",
                      password=None, database="orders", tls=True)
    assert connection_data("postgres", conn) == {
        "HOST": "db.example", "PORT": "5432", "TLS": "true", "DATABASE": "orders"}
    with_password = Connection(host="h", port=6379, username="u", password=object(),  # type: ignore[arg-type]
                               tls=False)
    data = connection_data("cache", with_password)
    assert data["PASSWORD_FILE"] == "/var/run/secrets/shipyard/stores/cache/password"
    assert "PASSWORD" not in data and data["USERNAME"] == "u"
    env_from, volumes, mounts = store_wiring([StoreMount(
        store="cache", prefix=env_prefix("cache"), config_map="api-cache-store",
        secret="api-cache-store")])
    assert env_from == [{"prefix": "CACHE_", "configMapRef": {"name": "api-cache-store"}}]
    assert volumes[0]["secret"]["items"] == [{"key": "password", "path": "password"}]
    assert mounts == [{"name": "store-cache", "readOnly": True,
                       "mountPath": "/var/run/secrets/shipyard/stores/cache"}]


def test_names_fit_kubernetes():
    assert env_prefix("orders-db") == "ORDERS_DB_"
    assert len(object_name("s" * 40, "t" * 40)) <= 63


# -- in the plans --------------------------------------------------------------------------


def _uses(stack: str) -> list[tuple[str, str, str]]:
    return [(app.name, svc_name, use.store)
            for app in stack_settings(stack).applications
            for svc_name, svc in app.services.items() for use in svc.uses]


def test_every_consumer_reads_its_store_from_a_config_map_and_a_mounted_secret(
        stack_plan: Plan) -> None:
    uses = _uses(stack_plan.stack)
    assert uses
    config_maps = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r
                   for r in stack_plan.of_type("kubernetes:core/v1:ConfigMap")}
    secrets = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r
               for r in stack_plan.of_type("kubernetes:core/v1:Secret")}
    deployments = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r
                   for r in stack_plan.of_type("kubernetes:apps/v1:Deployment")}
    settings = stack_settings(stack_plan.stack)
    for app, service, store in uses:
        kind = next(a for a in settings.applications if a.name == app).stores[store].kind
        name = object_name(service, store)
        data = config_maps[(app, name)].inputs["data"]
        assert data["PORT"] == str(store_port(kind, settings.config.stores.backend_of(kind)))
        assert "HOST" in data and not any("PASSWORD" == k for k in data)
        container = deployments[(app, service)].inputs["spec"]["template"]["spec"][
            "containers"][0]
        assert {"prefix": env_prefix(store), "configMapRef": {"name": name}} in \
            container["envFrom"]
        if kind == "objectStorage":
            assert (app, name) not in secrets and "BUCKET" in data
            continue
        assert secrets[(app, name)].inputs["stringData"] == SECRET
        assert any(m["mountPath"] == f"/var/run/secrets/shipyard/stores/{store}"
                   for m in container["volumeMounts"])


def test_no_password_in_clear_in_the_plan_or_the_outputs(stack_plan: Plan) -> None:
    """The mocks answer every RandomPassword with "mock-password-…": were one to leak through
    an apply, a ConfigMap, a custom resource or an export, it would show here."""
    passwords = stack_plan.of_type("random:index/randomPassword:RandomPassword")
    assert len(passwords) >= len([u for u in _uses(stack_plan.stack)])
    document = json.dumps({"resources": [r.to_json() for r in stack_plan.resources],
                           "outputs": stack_plan.outputs, "unchecked": stack_plan.unchecked()})
    assert "mock-password-" not in document


def test_consumers_reach_their_stores_port_through_the_network_policy(stack_plan: Plan) -> None:
    settings = stack_settings(stack_plan.stack)
    policies = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r
                for r in stack_plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    for app, service, store in _uses(stack_plan.stack):
        kind = next(a for a in settings.applications if a.name == app).stores[store].kind
        port = store_port(kind, settings.config.stores.backend_of(kind))
        egress = policies[(app, service)].inputs["spec"]["egress"]
        assert any({"protocol": "TCP", "port": port} in rule["ports"] for rule in egress), \
            (app, service, store)


def test_in_cluster_mysql_refuses_replicas_before_anything_is_built():
    [problem] = problems({"stores": json.dumps({"backend": "inCluster",
                                                "mysql": {"instances": 2}})}, stack="dev")
    assert problem.startswith("shipyard:stores.mysql.instances: the in-cluster MySQL is one "
                              "server")


def test_an_existing_cluster_puts_the_stores_on_its_own_storage_class():
    from tests.support.settings import parse
    cluster = json.dumps({"mode": "existing", "context": "kind"})
    assert parse({"cluster": cluster}).config.stores.storage_class == "standard"
    assert stack_settings("dev").config.stores.storage_class == "gp3"
    found = problems({"cluster": cluster, "stores": json.dumps({"storageClass": "Fast SSD"})})
    assert found[0].startswith("shipyard:stores.storageClass")


def test_devs_in_cluster_stores_ask_a_share_of_shipyards_requests(dev):
    """stores.cpuRequests and memoryRequests, one rule for every container of every in-cluster
    store (shipyard/rules/requests.py): dev's ask less than shipyard's sizes, their limits (and
    so the engines' own sizing from them) are shipyard's."""
    from components.stores import cnpg, mongodb, mysql, rabbitmq, valkey

    sizing = stack_settings("dev").config.stores.sizing
    assert sizing.cpu_scale < 1 and sizing.memory_scale < 1

    def asked(containers, resources):
        for container, got in zip(containers, resources, strict=True):
            assert got == container.sized(sizing).resources(), container.name
            assert got["limits"] == container.resources()["limits"]
            assert got["requests"] != container.resources()["requests"], container.name

    kinds = 0
    for r in dev.resources:
        spec = r.inputs.get("spec") or {}
        if r.type == "kubernetes:postgresql.cnpg.io/v1:Cluster":
            asked([cnpg.POSTGRES], [spec["resources"]])
        elif r.type == "kubernetes:mongodbcommunity.mongodb.com/v1:MongoDBCommunity":
            pod = spec["statefulSet"]["spec"]["template"]["spec"]
            asked([*mongodb.CONTAINERS, *mongodb.INIT_CONTAINERS],
                  [c["resources"] for c in pod["containers"] + pod["initContainers"]])
        elif r.type == "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster":
            asked([rabbitmq.RABBITMQ], [spec["resources"]])
        elif r.type == "kubernetes:apps/v1:StatefulSet" and r.name.endswith("mysql-statefulset"):
            asked([mysql.MYSQL], [spec["template"]["spec"]["containers"][0]["resources"]])
        elif r.type == "kubernetes:helm.sh/v3:Release" and r.inputs.get("chart") == "valkey":
            values = r.inputs["values"]
            asked([valkey.VALKEY, valkey.INIT, valkey.EXPORTER],
                  [values["resources"], values["initResources"],
                   values["metrics"]["exporter"]["resources"]])
        else:
            continue
        kinds += 1
    assert kinds == 12      # five PostgreSQL, two MongoDB, one RabbitMQ, one MySQL, three Valkey
