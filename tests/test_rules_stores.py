"""The store rules (shipyard/rules/stores.py), pure: which image a version names, what AWS
accepts of windows, storage and members, which logins an engine refuses. The settings checks
and the store components both call these."""

import pytest

from shipyard.config.base import Problem
from shipyard.rules import aws_names, store_logs
from shipyard.rules import stores as rules
from shipyard.versions import STORE_IMAGES


def test_the_postgresql_image_follows_the_version_and_refuses_an_unpinned_major():
    assert rules.postgresql_image("17") == STORE_IMAGES["postgresql-17"]
    assert rules.postgresql_image("18") == STORE_IMAGES["postgresql-18"]
    assert rules.postgresql_image("17.6") == (
        "ghcr.io/cloudnative-pg/postgresql:17.6-standard-trixie")
    for bad in ("16", "latest", "17.x", "client"):
        with pytest.raises(Problem) as error:
            rules.postgresql_image(bad)
        assert (error.value.path, error.value.value) == ("stores.postgresql.version", bad)


def test_the_mysql_image_follows_the_version():
    assert rules.mysql_image("8.4") == STORE_IMAGES["mysql-8.4"]
    assert rules.mysql_image("8.4.6") == "docker.io/library/mysql:8.4.6"
    with pytest.raises(Problem, match="no MySQL image pinned"):
        rules.mysql_image("8.0")


@pytest.mark.parametrize(("kind", "requested", "image"), [
    ("redis", None, "docker.io/valkey/valkey:9.1.1"),
    ("redis", "9.0.3", "docker.io/valkey/valkey:9.0.3"),
    ("rabbitmq", "4.2.3", "docker.io/library/rabbitmq:4.2.3-management"),
    ("mongodb", "8.0", STORE_IMAGES["mongodb-8.0"]),
])
def test_an_in_cluster_image_is_the_pinned_one_or_a_full_release_of_it(kind, requested, image):
    assert rules.in_cluster_image(kind, requested) == image


@pytest.mark.parametrize(("kind", "requested"), [
    ("mongodb", "7.0"), ("redis", "8.2"), ("rabbitmq", "3.13"), ("rabbitmq", "latest")])
def test_a_version_shipyard_cannot_map_to_an_image_is_refused_by_its_key(kind, requested):
    with pytest.raises(Problem) as error:
        rules.in_cluster_image(kind, requested)
    assert (error.value.path, error.value.value) == (f"stores.{kind}.version", requested)
    assert "which shipyard pins" in error.value.message


def test_the_default_windows_pass_and_overlapping_or_short_ones_are_refused():
    assert rules.window_problems("03:00-04:00", "sun:04:30-sun:05:30") == []
    [overlap] = rules.window_problems("03:00-04:00", "wed:03:30-wed:04:30")
    assert overlap.path == "stores.maintenanceWindow" and "overlaps" in overlap.message
    # wraps past midnight and Sunday
    assert rules.window_problems("23:30-00:30", "sun:23:00-mon:00:00")
    [short] = rules.window_problems("03:00-03:15", "sun:04:30-sun:05:30")
    assert short.path == "stores.backupWindow" and "30 minutes" in short.message
    assert rules.window_problems("23:30-00:30", "sun:01:00-sun:02:00") == []


def test_a_multi_az_group_needs_a_replica():
    [problem] = rules.replicas_problems("redis", 1, multi_az=True)
    assert (problem.path, problem.value) == ("stores.redis.instances", 1)
    assert rules.replicas_problems("redis", 1, multi_az=False) == []
    assert rules.replicas_problems("mongodb", 2, multi_az=True) == []


@pytest.mark.parametrize(("databases", "consumers", "message"), [
    ([], {"postgres": None}, "role name 'postgres'"),
    ([], {"pg-admin": None}, "role name 'pg_admin'"),
    (["template1"], {"api": "template1"}, "'template1' is reserved"),
    (["shipyard"], {"api": None}, "'shipyard' is reserved"),
])
def test_names_postgresql_reserves_are_refused(databases, consumers, message):
    found = rules.login_problems("postgresql", "inCluster", "postgres", consumers, databases)
    assert any(message in problem for problem in found), found


def test_mysql_users_fit_mysql():
    assert rules.login_problems("mysql", "inCluster", "mysql", {"go-service": None},
                                ["go_service"]) == []
    [long] = rules.login_problems("mysql", "inCluster", "mysql",
                                  {"a-service-name-longer-than-32-chars": "db"}, ["db"])
    assert "not a usable MySQL user" in long
    [reserved] = rules.login_problems("mysql", "inCluster", "mysql", {"svc": "mysql"}, [])
    assert "'mysql' is reserved" in reserved


def test_managed_logins_refuse_reserved_and_overlong_users():
    assert rules.login_problems("postgresql", "managed", "db", {"api": None}, ["app"]) == []
    [master] = rules.login_problems("postgresql", "managed", "db", {"shipyardadmin": None},
                                    ["app"])
    assert "reserved" in master
    [rds] = rules.login_problems("mysql", "managed", "db", {"rdsync": None}, ["app"])
    assert "reserved" in rds
    [nodb] = rules.login_problems("postgresql", "managed", "db", {"api": None}, [])
    assert "names no database" in nodb
    [guest] = rules.login_problems("rabbitmq", "managed", "events", {"guest": None}, [])
    assert "guest" in guest
    # a service whose user is a database's owner role (<database>_owner) on an own PostgreSQL
    [owner] = rules.login_problems("postgresql", "managed", "db", {"app-owner": "app"},
                                   ["app"])
    assert "'app_owner', the owner role of database 'app'" in owner
    assert rules.login_problems("mysql", "managed", "db", {"app-owner": "app"}, ["app"]) == []


def _problems(kind, backend, **changes):
    values = dict(version=None, storage_gi=20, max_storage_gi=200, instances=2, multi_az=True,
                  app="shop", store_name="db", databases=["app"], consumers={"api": None})
    values.update(changes)
    return [(p.path, p.value) for p in rules.problems(kind, backend, **values)]


def test_a_store_reports_each_thing_its_backend_refuses():
    assert _problems("postgresql", "managed") == []
    assert _problems("postgresql", "managed", storage_gi=10) == [
        ("stores.postgresql.storageGi", 10)]
    assert _problems("mysql", "managed", max_storage_gi=70000) == [
        ("stores.mysql.maxStorageGi", 70000)]
    assert _problems("mongodb", "managed", instances=17) == [("stores.mongodb.instances", 17)]
    assert _problems("mongodb", "managed", databases=[]) == [
        ("applications.shop.stores.db", "db"), ("applications.shop.stores.db.databases", [])]
    assert _problems("redis", "managed", instances=1) == [("stores.redis.instances", 1)]
    assert _problems("rabbitmq", "managed", consumers={"a": None}) == [
        ("applications.shop.services.a", "a")]
    assert _problems("postgresql", "inCluster", version="16") == [
        ("stores.postgresql.version", "16")]
    assert _problems("redis", "inCluster", consumers={"default": None}) == [
        ("applications.shop.services.default", "default")]
    # what the other backend would refuse is not asked of this one
    assert _problems("postgresql", "inCluster", storage_gi=5) == []
    assert _problems("redis", "inCluster", instances=1) == []


def test_the_databases_log_groups_are_where_aws_writes_each_export():
    """The shared database of each engine a sharing application declares, and an application's
    own: each export's group, named as RDS and DocumentDB name them."""
    from shipyard.catalog.models import Application
    from shipyard.config.stores import StoresSettings

    def app(name: str, placement: str | None = None) -> Application:
        return Application.model_validate({
            "name": name, "hostname": name, "storePlacement": placement,
            "services": {"api": {"image": f"{name}/api", "tag": "1", "replicas": 2,
                                 "ports": [{"name": "http", "port": 8080}],
                                 "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                               "limits": {"cpu": "200m", "memory": "128Mi"}},
                                 "uses": [{"store": "db"}, {"store": "docs"}]}},
            "stores": {"db": {"kind": "postgresql"}, "docs": {"kind": "mongodb"}}})

    stores = StoresSettings()
    groups = store_logs.database_log_groups("c", [app("a"), app("b", "perApplication")], stores)
    assert groups == [
        "/aws/rds/instance/c-postgresql/postgresql", "/aws/rds/instance/c-postgresql/upgrade",
        "/aws/docdb/c-mongodb/audit", "/aws/docdb/c-mongodb/profiler",
        "/aws/rds/instance/c-b-db/postgresql", "/aws/rds/instance/c-b-db/upgrade",
        "/aws/docdb/c-b-docs/audit", "/aws/docdb/c-b-docs/profiler"]
    in_cluster = StoresSettings.model_validate({"backend": "inCluster"})
    assert store_logs.database_log_groups("c", [app("a")], in_cluster) == []
    assert aws_names.store_identifier("c", None, "mysql") == "c-mysql"
    # lower-cased, runs of hyphens made one (AWS refuses "--")
    assert aws_names.store_identifier("Shipyard", "a-", "-db") == "shipyard-a-db"
