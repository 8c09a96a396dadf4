"""The stores the stack's applications share (stores.placement: shared, the default) and the
placement switch (issue 18): each shared store admits exactly its consumers, each consuming
service gets a user and a database of its own there, an application may keep stores of its own,
a prod with stores per application plans and costs more, and switching an existing store's
placement is flagged as the replacement it is.

The session plans are the shared placement; one variant (prod, every store the application's
own) and one two-tenant variant (one application choosing its own) cover the rest.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from components.labels import NAME_LABEL
from components.stores import bootstrap, elasticache
from compose.stores import shared_grants
from offline.estimates.apportion import cents
from offline.estimates.cost import estimate_cost
from offline.harness import Plan, ResourceRecord, run_program
from offline.stateful import moved_connections, replacements
from shipyard.config.base import SettingsError
from shipyard.config.stack import Settings
from shipyard.rules import stores as rules
from shipyard.rules.stores import STORE_ID_ANNOTATION
from tests.support.plans import run_platform
from tests.support.settings import parse, stack_settings

PORTS = {"postgresql": [5432], "mysql": [3306], "mongodb": [27017], "redis": [6379],
         "rabbitmq": [5671, 443]}
JOB_PORT = {"postgresql": 5432, "mysql": 3306, "mongodb": 27017, "rabbitmq": 443}
APP_LABEL = "app.kubernetes.io/part-of"


def shared_store(plan: Plan, kind: str) -> ResourceRecord:
    return plan.named(f"stores-{kind}")


def under(plan: Plan, parent: ResourceRecord, type_: str) -> list[ResourceRecord]:
    return [r for r in plan.descendants(parent) if r.type == type_]


def logins(kind: str, stack: str = "prod") -> list[rules.SharedLogin]:
    settings = stack_settings(stack)
    return rules.shared_logins(kind, settings.applications, settings.config.stores)


# prod hosting two Valkey-using applications whose catalogs say their clients prefix every key
# (keyPrefix: true, which no seed says): the shared ElastiCache group
PREFIXED = ("learning-platform", "sre-platform")


@dataclass(frozen=True)
class Variant:
    plan: Plan
    settings: Settings

    def logins(self, kind: str) -> list[rules.SharedLogin]:
        return rules.shared_logins(kind, self.settings.applications,
                                   self.settings.config.stores)


@pytest.fixture(scope="module")
def prefixed() -> Variant:
    from offline.harness import read_stack_config
    from shipyard.config import load
    from shipyard.config.load import parse_settings
    from tests.support.plans import _no_applications

    real = load.load_catalogs

    def declaring(*args: Any, **kwargs: Any) -> dict[str, Any]:
        catalogs = real(*args, **kwargs)
        for name in PREFIXED:
            catalogs[name]["stores"]["redis"]["keyPrefix"] = True
        return catalogs

    overrides = json.loads(json.dumps(_no_applications()))
    for name in PREFIXED:
        overrides["shipyard:applications"][name]["enabled"] = True
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(load, "load_catalogs", declaring)
        plan = run_platform("prod", hosting=PREFIXED)
        config, _, project = read_stack_config("prod", overrides=overrides)
        settings = parse_settings({k.split(":", 1)[1]: v for k, v in config.items()
                                   if k.startswith(f"{project}:")}, project=project,
                                  stack="prod", region=config["aws:region"])
    return Variant(plan, settings)


def case(kind: str, prod: Plan, prefixed: Variant) -> tuple[Plan, list[rules.SharedLogin]]:
    """The plan with the shared store of ``kind`` and its logins: prod's; for Valkey, which no
    seed's catalog lets share, the variant whose catalogs do."""
    if kind == "redis":
        return prefixed.plan, prefixed.logins(kind)
    return prod, logins(kind)


# ---------------------------------------------------------------------------------------------
# The rules (pure)


def test_a_consumer_on_a_shared_store_is_named_after_its_application():
    assert rules.shared_name("code-learn", "user-service", 63) == "code_learn_user_service"
    long = rules.shared_name("a" * 40, "b" * 40, 32)
    assert len(long) == 32 and re.fullmatch(r"a+_[0-9a-f]{6}", long)
    assert long != rules.shared_name("a" * 40, "c" * 40, 32)     # cut, then kept apart
    assert rules.shared_user("rabbitmq", "code-learn", "post-service") == \
        "code-learn.post-service"
    assert rules.shared_user("redis", "code-learn", "api-gateway") == "code-learn-api-gateway"
    assert rules.shared_user("mysql", "everything-portal", "go-service") == \
        "everything_portal_go_service"


def test_two_consumers_that_would_share_a_name_or_log_in_twice_are_refused():
    one = rules.SharedLogin("a-b", "db", "c", "a_b_c", "a_b_main")
    other = rules.SharedLogin("a", "db", "b-c", "a_b_c", "a_b_main")
    [problem] = rules.shared_problems("postgresql", [one, other])
    assert problem.path == "applications.a.services.b-c" and "rename one" in problem.message
    twice = [rules.SharedLogin("app", "orders", "api", "app_api", "app_orders"),
             rules.SharedLogin("app", "users", "api", "app_api", "app_users")]
    [problem] = rules.shared_problems("postgresql", twice)
    assert "storePlacement: perApplication" in problem.message
    clash = [rules.SharedLogin("a-b", "db", "x", "a_b_x", "a_b_c"),
             rules.SharedLogin("a", "db", "y", "a_y", "a_b_c")]
    [problem] = rules.shared_problems("mysql", clash)
    assert "database 'a_b_c'" in problem.message and "also a-b's" in problem.message


def test_placement_applies_to_managed_stores_and_follows_the_application():
    settings = stack_settings("prod")
    stores = settings.config.stores
    app = settings.applications[0]
    assert stores.placement == "shared" and rules.shares(app, "postgresql", stores)
    assert not rules.shares(app, "objectStorage", stores)    # a bucket stays its own
    own = app.model_copy(update={"store_placement": "perApplication"})
    assert not rules.shares(own, "postgresql", stores)
    dev = stack_settings("dev")
    assert not rules.shares(dev.applications[0], "postgresql", dev.config.stores)


def write_catalogs(directory: Any, *catalogs: dict[str, Any]) -> None:
    import yaml

    for catalog in catalogs:
        (directory / f"{catalog['name']}.yaml").write_text(yaml.safe_dump(catalog))


def test_what_a_shared_store_cannot_hold_is_refused_by_the_settings(tmp_path):
    """Two applications' services that would come to one user, a service on two stores of one
    engine, an application named like the shared stores' namespace: each named by its key;
    with stores of their own the same catalogs are fine."""
    from shipyard.config.load import parse_settings
    from tests.support.catalogs import shop
    from tests.support.settings import REQUIRED

    first, second = shop(), shop()
    first["name"], second["name"] = "sh-op", "sh"
    second["hostname"] = "sh"
    second["services"]["op-api"] = second["services"].pop("api")
    for i, svc in enumerate(second["services"].values()):
        svc["image"] = f"sh/svc{i}"
    second["services"]["op-api"]["callers"] = ["web"]
    twice = shop()
    twice["name"], twice["hostname"] = "twice", "twice"
    twice["services"]["web"]["image"], twice["services"]["api"]["image"] = "t/web", "t/api"
    twice["stores"]["pg2"] = {"kind": "postgresql", "databases": ["more"]}
    twice["services"]["api"]["uses"].append({"store": "pg2"})
    named = shop()
    named["name"], named["hostname"] = rules.SHARED_NAMESPACE, "stores"
    named["services"]["web"]["image"], named["services"]["api"]["image"] = "n/web", "n/api"
    write_catalogs(tmp_path, first, second, twice, named)

    def parse_with(stores: dict[str, Any]) -> Any:
        return parse_settings({**REQUIRED, "stores": json.dumps(stores)}, project="shipyard",
                              stack="prod", region="us-east-1", catalog_dir=tmp_path)

    with pytest.raises(SettingsError) as error:
        parse_with({})
    text = "\n".join(error.value.problems)
    assert "shipyard:applications.sh-op.services.api: it and sh/op-api would log in to the " \
           "shared postgresql store under one name (sh-op-api)" in text
    assert "shipyard:applications.twice.services.api: uses stores 'pg' and 'pg2', both " \
           "postgresql" in text
    assert f"shipyard:applications.{rules.SHARED_NAMESPACE}: the shared stores' namespace" in text
    assert len(error.value.problems) == 3
    assert parse_with({"placement": "perApplication"}).config.stores.placement == \
        "perApplication"


def test_a_postgres_login_that_is_another_databases_owner_role_is_refused(tmp_path):
    """The bootstrap makes each database's NOLOGIN owner role <database>_owner: app a's service
    b-c-owner would log in as a_b_c_owner, the owner role of app a-b's database c (a_b_c), and
    so own a-b's data. The settings refuse it, naming the service; with stores of their own
    the two never meet."""
    from shipyard.config.load import parse_settings
    from tests.support.catalogs import shop
    from tests.support.settings import REQUIRED

    first, second = shop(), shop()
    first["name"], first["hostname"] = "a", "a"
    first["services"]["b-c-owner"] = first["services"].pop("api")
    first["services"]["b-c-owner"]["callers"] = ["web"]
    second["name"], second["hostname"] = "a-b", "ab"
    second["stores"]["pg"]["databases"] = ["c"]
    second["services"]["api"]["uses"] = [{"store": "pg", "database": "c"}]
    for i, svc in enumerate(second["services"].values()):
        svc["image"] = f"ab/svc{i}"
    write_catalogs(tmp_path, first, second)

    def parse_with(stores: dict[str, Any]) -> Any:
        return parse_settings({**REQUIRED, "stores": json.dumps(stores)}, project="shipyard",
                              stack="prod", region="us-east-1", catalog_dir=tmp_path)

    with pytest.raises(SettingsError) as error:
        parse_with({})
    assert error.value.problems == [
        "shipyard:applications.a.services.b-c-owner: its user 'a_b_c_owner' on the shared "
        "postgresql store is also the owner role of a-b's database 'a_b_c' (<database>_owner): "
        "rename one (value: \"b-c-owner\")"]
    assert parse_with({"placement": "perApplication"}).config.stores.placement == \
        "perApplication"
    # the pure rule, both orders of the logins
    one = rules.SharedLogin("a", "pg", "b-c-owner", "a_b_c_owner", "a_orders")
    other = rules.SharedLogin("a-b", "pg", "api", "a_b_api", "a_b_c")
    for logins_ in ([one, other], [other, one]):
        [problem] = rules.shared_problems("postgresql", logins_)
        assert problem.path == "applications.a.services.b-c-owner"
    assert rules.shared_problems("mysql", [one, other]) == []     # no owner roles there


def test_a_bad_placement_is_refused_naming_its_key():
    with pytest.raises(SettingsError, match=r"shipyard:stores\.placement"):
        parse({"stores": json.dumps({"placement": "perApp"})})
    with pytest.raises(SettingsError,
                       match=r"shipyard:applications\.mentorplatform\.storePlacement: .*own"):
        parse({"applications": json.dumps({"mentorplatform": {"storePlacement": "own"}})})


# ---------------------------------------------------------------------------------------------
# prod's shared stores: who may connect, and as whom


def reaches(spec: dict[str, Any], cidr: str, port: int) -> bool:
    """Whether a NetworkPolicy lets its pods open ``port`` to (part of) ``cidr``."""
    target = ipaddress.ip_network(cidr)
    for rule in spec.get("egress") or []:
        if rule.get("ports") and not any(p.get("port") == port for p in rule["ports"]):
            continue
        if not rule.get("to"):
            return True
        for peer in rule["to"]:
            block = peer.get("ipBlock")
            if block is None:
                continue
            if target.overlaps(ipaddress.ip_network(block["cidr"])) and not any(
                    target.subnet_of(ipaddress.ip_network(e)) for e in block.get("except", [])):
                return True
    return False


@pytest.mark.parametrize("kind", rules.SHARED_KINDS)
def test_each_shared_store_admits_exactly_its_consumers(prod, prefixed, kind):
    """Its security group admits only the cluster's; in the namespaces that deny by default
    (the tenants', the shared stores'), the only pods that may open its ports to the stores'
    subnets are its consuming services, and its bootstrap Job on the Job's port."""
    prod, found = case(kind, prod, prefixed)
    store = shared_store(prod, kind)
    [cluster] = prod.of_type("aws:eks/cluster:Cluster")
    rules_ = under(prod, store, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r.inputs["fromPort"] for r in rules_) == sorted(PORTS[kind])
    assert {r.inputs["referencedSecurityGroupId"] for r in rules_} == {
        cluster.outputs["vpcConfig"]["clusterSecurityGroupId"]}
    assert not [r for r in rules_ if "cidrIpv4" in r.inputs]
    cidrs = [z.isolated for z in stack_settings("prod").network.layout()]
    policies = [r.inputs for r in prod.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")]
    denying = {p["metadata"]["namespace"] for p in policies
               if p["metadata"]["name"] == "default-deny"}
    consumers = {(login.app, ((NAME_LABEL, login.service),)) for login in found}
    assert consumers
    for port in PORTS[kind]:
        allowed = {(p["metadata"]["namespace"],
                    tuple(sorted(p["spec"]["podSelector"].get("matchLabels", {}).items())))
                   for p in policies if any(reaches(p["spec"], c, port) for c in cidrs)}
        assert {ns for ns, _ in allowed} <= denying
        job = {(rules.SHARED_NAMESPACE, ((bootstrap.BOOTSTRAP_LABEL, kind),))} \
            if JOB_PORT.get(kind) == port else set()
        expected = (consumers if port == PORTS[kind][0] else set()) | job
        assert allowed == expected, port


@pytest.mark.parametrize("kind", rules.SHARED_KINDS)
def test_each_service_gets_its_own_user_and_database_on_a_shared_store(prod, prefixed, kind):
    """One login per consuming service, each its own user (and a password of its own), and
    its own database: its catalog's, prefixed by its application."""
    prod, found = case(kind, prod, prefixed)
    assert found and len({login.user for login in found}) == len(found)
    passwords = {r.name for r in under(prod, shared_store(prod, kind),
                                       "random:index/randomPassword:RandomPassword")}
    assert {f"stores-{kind}-{login.key}" for login in found} <= passwords
    for login in found:
        assert login.user.replace("-", "_").startswith(login.app.replace("-", "_"))
        if kind in ("postgresql", "mysql", "mongodb"):
            assert login.database and login.database.startswith(login.app.replace("-", "_"))
        config = prod.named(f"apps-{login.app}-stores-{login.service}-{login.store}-connection")
        assert config.inputs["data"]["USERNAME"] == login.user
        if kind != "redis":
            assert config.inputs["data"].get("DATABASE", config.inputs["data"].get("VHOST")) \
                == login.database


def test_postgres_consumers_each_open_their_own_database_only():
    grants = list(shared_grants(stack_settings("prod"), "postgresql"))
    sql = bootstrap.postgres_sql(grants, {g.key: "pw" for g in grants})
    for database in {g.database for g in grants}:
        assert f'REVOKE CONNECT, TEMPORARY ON DATABASE "{database}" FROM PUBLIC;' in sql
    for g in grants:
        granted = re.findall(rf'GRANT "([^"]+)" TO "{g.user}";', sql)
        assert granted == [f"{g.database}_owner"]
        assert re.findall(rf'GRANT CONNECT, TEMPORARY ON DATABASE "([^"]+)" TO "{g.user}";',
                          sql) == [g.database]


def test_mysql_and_documentdb_consumers_are_granted_their_own_database_only():
    settings = stack_settings("prod")
    grants = list(shared_grants(settings, "mysql"))
    sql = bootstrap.mysql_sql(grants, {g.key: "pw" for g in grants})
    for g in grants:
        assert re.findall(rf"GRANT ALL PRIVILEGES ON `([^`]+)`\.\* TO '{g.user}'@'%';",
                          sql) == [g.database]
    grants = list(shared_grants(settings, "mongodb"))
    script = bootstrap.mongo_script(grants, {g.key: "pw" for g in grants}, "mongodb://x")
    users = json.loads(re.search(r"for \(const u of (\[.*\])\) \{", script).group(1))
    assert [(u["user"], u["roles"]) for u in users] == [
        (g.user, [{"role": "readWrite", "db": g.database}]) for g in grants]


def test_the_shared_broker_gives_each_application_a_virtual_host_and_each_service_a_user(prod):
    [job] = under(prod, shared_store(prod, "rabbitmq"), "kubernetes:batch/v1:Job")
    script = job.inputs["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert '"$api/vhosts/code-learn"' in script and '"default_queue_type": "quorum"' in script
    for login in logins("rabbitmq"):
        assert f'"$api/users/{login.user}"' in script
        assert f'"$api/permissions/code-learn/{login.user}"' in script
    assert "permissions/%2F" not in script


def test_the_shared_cache_gives_each_service_its_applications_keys_only(prefixed):
    """Where the catalogs say their clients prefix their keys, one group for both
    applications: each service's user touches its application's keys and channels only, and
    its connection gives it exactly that prefix."""
    plan = prefixed.plan
    assert not plan.of_type("shipyard:stores:ValkeyReplicationGroup")[1:]    # the shared one
    users = {u.inputs["userName"]: u.inputs["accessString"]
             for u in under(plan, shared_store(plan, "redis"), "aws:elasticache/user:User")}
    assert users.pop("default").startswith("off")
    found = prefixed.logins("redis")
    assert {login.app for login in found} == set(PREFIXED)
    assert set(users) == {login.user for login in found}
    for login in found:
        rules_ = users[login.user].split()
        assert rules_[:4] == ["on", f"~{login.app}:*", f"&{login.app}:*", "+@all"]
        # nothing that reaches past its patterns or into the scripts the group shares
        assert {"-@dangerous", "-scan", "-randomkey", "-function", "-script|flush",
                "-script|kill", "-pubsub"} <= set(rules_)
        assert rules_.index("+info") > rules_.index("-@dangerous")      # INFO allowed again
        config = plan.named(f"apps-{login.app}-stores-{login.service}-{login.store}-connection")
        data = config.inputs["data"]
        assert data[rules.KEY_PREFIX_VAR] == f"{login.app}:"
        assert config.inputs["metadata"]["annotations"][STORE_ID_ANNOTATION] == \
            "shipyard-prod-redis"


def test_a_valkey_whose_clients_do_not_prefix_their_keys_stays_its_own(prod):
    """No seed says its clients prefix every key: under the shared placement each Valkey-using
    application keeps a group of its own (every key its services'), its connections carry no
    prefix, and the settings and the estimate say why."""
    settings = stack_settings("prod")
    assert not [r for r in prod.resources if r.name == "stores-redis"]
    apps = {app.name: app for app in settings.applications}
    using = {app.name: name for app in settings.applications
             for name, store in app.stores.items() if store.kind == "redis"}
    assert set(using) == {"code-learn", "learning-platform", "sre-platform"}
    for app, store in using.items():
        assert rules.placement_of(apps[app], settings.config.stores) == "shared"
        group = prod.named(f"apps-{app}-stores-{store}")
        users = under(prod, group, "aws:elasticache/user:User")
        assert {u.inputs["accessString"] for u in users if u.inputs["userName"] != "default"} \
            == {elasticache.SERVICE_ACCESS}
        for service in rules.consumers_of(apps[app], store):
            data = prod.named(f"apps-{app}-stores-{service}-{store}-connection").inputs["data"]
            assert rules.KEY_PREFIX_VAR not in data
        assert any(note.startswith(f"applications.{app}.stores.{store}: a Valkey group of its "
                                   f"own") for note in settings.notes)
        kept = estimate_cost(prod).by_application.applications[app].kept_own
        assert list(kept) == [f"shipyard-prod-{app}-{store}"] and "keyPrefix" in kept[
            f"shipyard-prod-{app}-{store}"]


def test_master_credentials_stay_in_the_shared_stores_namespace(prod):
    """A tenant holds its services' passwords, never a shared store's master's."""
    for kind in ("postgresql", "mysql", "mongodb", "rabbitmq"):
        [secret] = under(prod, shared_store(prod, kind), "kubernetes:core/v1:Secret")
        assert secret.inputs["metadata"]["namespace"] == rules.SHARED_NAMESPACE
        assert secret.inputs["stringData"] == "[secret]"
    tenants = {a.name for a in stack_settings("prod").applications}
    assert not [r for r in prod.of_type("kubernetes:batch/v1:Job")
                if r.inputs["metadata"]["namespace"] in tenants]


def https_rule(plan: Plan, app: str, service: str) -> dict[str, Any]:
    """The service's egress rule to anywhere on 443 (AWS's APIs, S3)."""
    [policy] = [r.inputs["spec"] for r in plan.of_type(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if r.inputs["metadata"] == {**r.inputs["metadata"], "namespace": app, "name": service}]
    [rule] = [rule for rule in policy["egress"]
              if any(peer.get("ipBlock", {}).get("cidr") == "0.0.0.0/0" for peer in rule["to"])]
    assert rule["ports"] == [{"protocol": "TCP", "port": 443}]
    return rule


def test_https_egress_leaves_out_the_stores_own_subnets_never_the_endpoints(prod):
    """prod's stores have an isolated tier: the services' HTTPS-anywhere rule leaves it out
    (only a store's consumers reach it, on its port) and still reaches the private subnets,
    which hold the interface endpoints (STS, ECR, logs)."""
    layout = stack_settings("prod").network.layout()
    rule = https_rule(prod, "sre-platform", "image")
    [block] = [peer["ipBlock"] for peer in rule["to"]]
    assert block["except"] == [z.isolated for z in layout]
    for zone in layout:
        assert reaches({"egress": [rule]}, zone.private, 443)
        assert not reaches({"egress": [rule]}, zone.isolated, 443)


def test_in_seed_001s_layout_https_egress_reaches_the_endpoints_in_the_private_subnets():
    """Seed 001's network has no isolated tier: the stores share the private subnets with the
    interface endpoints (private DNS: STS, ECR, logs resolve there), so the HTTPS rule leaves
    nothing out, else a service could not reach STS to take its role."""
    from tests.support.settings import SEED_001_NETWORK

    plan = run_platform("prod", hosting=("sre-platform",), overrides={"shipyard:network": {
        **SEED_001_NETWORK, "availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"]}})
    subnets = {r.id: r.inputs["cidrBlock"]
               for r in plan.of_type("aws:ec2/subnet:Subnet")}
    endpoints = plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    held = {subnets[i] for e in endpoints if e.inputs["vpcEndpointType"] == "Interface"
            for i in e.inputs["subnetIds"]}
    assert held == set(SEED_001_NETWORK["subnets"]["private"])
    # the stores are there too (no isolated tier)
    [group] = plan.of_type("aws:rds/subnetGroup:SubnetGroup")
    assert {subnets[i] for i in group.inputs["subnetIds"]} == held
    rule = https_rule(plan, "sre-platform", "image")
    assert [peer["ipBlock"] for peer in rule["to"]] == [{"cidr": "0.0.0.0/0"}]
    for cidr in held:
        assert reaches({"egress": [rule]}, cidr, 443)


# ---------------------------------------------------------------------------------------------
# The other placement, and switching


@pytest.fixture(scope="module")
def own_stores() -> Plan:
    """prod with every store the application's own (stores.placement: perApplication)."""
    return run_program("prod", overrides={"shipyard:stores": {"placement": "perApplication"}})


def test_a_prod_with_stores_per_application_plans_and_costs_more(prod, own_stores):
    assert not own_stores.of_type("shipyard:stores:SharedStores")
    assert len(own_stores.of_type("aws:rds/instance:Instance")) == 6
    assert len(own_stores.of_type("aws:docdb/cluster:Cluster")) == 2
    assert len(prod.of_type("aws:rds/instance:Instance")) == 2          # PostgreSQL, MySQL
    # the Valkey groups are the applications' own in both (no catalog says keyPrefix)
    groups = "aws:elasticache/replicationGroup:ReplicationGroup"
    assert len(own_stores.of_type(groups)) == len(prod.of_type(groups)) == 3
    shared, own = estimate_cost(prod), estimate_cost(own_stores)
    assert own.monthly_usd > shared.monthly_usd
    assert own.by_component["data stores"] > shared.by_component["data stores"]
    # what each plan says an application would cost under the other placement is what it
    # costs in the other plan, to the cent, both ways (the stores of its own, or its share of
    # the shared stores and of their key)
    assert shared.by_application and own.by_application
    apps = shared.by_application.applications
    assert set(apps) == set(own.by_application.applications)
    for name, cost in apps.items():
        mine = own.by_application.applications[name]
        assert (cost.placement, mine.placement) == ("shared", "perApplication"), name
        assert cost.other == mine.total, name
        assert mine.other == cost.total, name
        assert cost.shared.get("key", 0) > 0, name


def test_switching_placement_is_flagged_as_data_at_risk(prod, own_stores, tmp_path, capsys):
    """plan.py --against an earlier plan with stores per application: each store of its own
    goes (and its key), each service's connection moves to the shared store; back again, the
    shared stores go."""
    import plan as plan_cli

    (tmp_path / "old.json").write_text(json.dumps(own_stores.to_json()))
    real, plan_cli.run_program = plan_cli.run_program, lambda stack, **_: prod
    try:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            assert plan_cli.main(["prod", "--against", str(tmp_path / "old.json")]) == 0
    finally:
        plan_cli.run_program = real
    printed = out.getvalue()
    stores = ("aws:rds/instance:Instance", "aws:docdb/cluster:Cluster", "aws:mq/broker:Broker",
              "aws:elasticache/replicationGroup:ReplicationGroup")
    kept = {r.name for r in prod.resources if r.type in stores}
    for r in own_stores.resources:
        if r.type in stores:
            flagged = f"DATA AT RISK  {r.type} {r.name}: deleted" in printed
            # an application's own Valkey stays (its clients do not prefix their keys)
            assert flagged == (r.name not in kept), r.name
    assert {r.type for r in own_stores.resources if r.type in stores and r.name not in kept} \
        == set(stores) - {"aws:elasticache/replicationGroup:ReplicationGroup"}
    moved = [line for line in printed.splitlines() if "store moves from" in line]
    assert "apps-mentorplatform-stores-backend-postgres-connection: its service's store moves " \
           "from shipyard-prod-mentorplatform-postgres to shipyard-prod-postgresql" in printed
    # every service on a shared store came from a store of its application's own
    assert len(moved) == sum(len(logins(kind)) for kind in rules.SHARED_KINDS) > 0
    back = replacements(prod.to_json()["resources"], own_stores.to_json()["resources"])
    gone = {r["name"] for r in back if r["change"].startswith("deleted")}
    assert {f"stores-{kind}-{part}" for kind, part in (
        ("postgresql", "instance"), ("mysql", "instance"), ("mongodb", "cluster"),
        ("rabbitmq", "broker"))} | {"stores-key"} <= gone


def test_one_application_may_keep_stores_of_its_own(prod):
    """mentorplatform's own PostgreSQL beside sre-platform on the shared one; moving it there
    is flagged: its service's data stays in the shared store."""
    plan = run_platform("prod", hosting=("mentorplatform", "sre-platform"), overrides={
        "shipyard:applications": {"mentorplatform": {"storePlacement": "perApplication"}}})
    identifiers = {r.inputs["identifier"] for r in plan.of_type("aws:rds/instance:Instance")}
    assert identifiers == {"shipyard-prod-postgresql", "shipyard-prod-mentorplatform-postgres"}
    shared = plan.named("stores-postgresql")
    assert {r.name for r in under(plan, shared, "random:index/randomPassword:RandomPassword")
            if not r.name.endswith("-master")} == {"stores-postgresql-sre-platform-api",
                                                   "stores-postgresql-sre-platform-auth"}
    # nothing of mentorplatform's on the shared stores: no login, password, database or grant
    assert [r.name for r in plan.descendants(plan.named("stores"))
            if "mentorplatform" in r.name or "mentorplatform" in json.dumps(r.inputs)] == []
    assert plan.named("apps-mentorplatform-stores-postgres").type == \
        "shipyard:stores:RdsDatabase"
    [moved] = moved_connections(prod.to_json()["resources"], plan.to_json()["resources"])
    assert moved["name"] == "apps-mentorplatform-stores-backend-postgres-connection"
    assert "from shipyard-prod-postgresql to shipyard-prod-mentorplatform-postgres" in \
        moved["change"]
    estimate = estimate_cost(plan).by_application
    assert estimate is not None
    mentor, sre = estimate.applications["mentorplatform"], estimate.applications["sre-platform"]
    assert (mentor.placement, sre.placement) == ("perApplication", "shared")
    assert not mentor.shared and sre.shared["postgresql"] > 0
    assert cents(estimate_cost(plan).monthly_usd) == estimate.total
