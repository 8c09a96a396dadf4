"""The in-cluster NoSQL stores (dev, existing clusters): MongoDB on MongoDB Controllers for
Kubernetes, Valkey from its own chart, RabbitMQ on the RabbitMQ Cluster Operator; and the two
operator add-ons they need (Valkey needs none)."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from components.addons import mongodb_operator
from components.addons.base import ClusterContext
from components.stores import in_cluster, mongodb, rabbitmq, valkey
from components.stores.base import STORE_LABEL
from components.stores.in_cluster import Container
from components.stores.stores import consumers, object_name
from components.workload import NAME_LABEL
from compose.stores import mongodb_operator_args, rabbitmq_operator_args
from offline.crd_schemas import validate
from offline.harness import SECRET, Plan, read_stack_config, run_program
from shipyard.catalog.load import load_catalogs
from shipyard.config.load import parse_settings
from shipyard.config.stack import Settings
from shipyard.config.stores import StoreSettings
from shipyard.versions import CHARTS, RABBITMQ_CLUSTER_OPERATOR, STORE_IMAGES
from tests.support.plans import only
from tests.support.settings import stack_settings

RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
MONGODB = "kubernetes:mongodbcommunity.mongodb.com/v1:MongoDBCommunity"
RABBITMQ = "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster"
SECRET_TYPE = "kubernetes:core/v1:Secret"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
# dev's in-cluster NoSQL stores, by catalog: (application, store) -> kind
DEV_STORES = {("learning-platform", "mongodb"): "mongodb",
              ("everything-portal", "mongodb"): "mongodb",
              ("code-learn", "redis"): "redis", ("learning-platform", "redis"): "redis",
              ("sre-platform", "redis"): "redis", ("code-learn", "rabbitmq"): "rabbitmq"}
CATALOGS = load_catalogs()
CTX = ClusterContext(provider=None, cluster_name="shipyard-test", region="us-east-1",
                     environment="dev", eks=False)


@functools.cache
def application(name: str) -> Any:
    return only([a for a in stack_settings("dev").applications if a.name == name])


def settings(stack: str, overrides: dict[str, Any] | None = None) -> Settings:
    config, _, project = read_stack_config(stack, overrides=overrides)
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{project}:")}
    return parse_settings(raw, project=project, stack=stack, region=config["aws:region"])


def cr(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": "store", "namespace": "shop"}, "spec": spec}


def keys(node: Any) -> set[str]:
    """Every mapping key anywhere in ``node``."""
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in keys(v)}
    return set()


def ports(rule: dict[str, Any]) -> set[int]:
    return {p["port"] for p in rule["ports"]}


# -- the operators: pure ------------------------------------------------------------------------


def test_mck_reconciles_only_mongodbcommunity_everywhere_and_sends_no_telemetry():
    operator = mongodb_operator.mongodb_operator_values()["operator"]
    assert operator["watchedResources"] == ["mongodbcommunity"]
    assert operator["watchNamespace"] == "*"
    assert operator["enableClusterMongoDBRoles"] is False
    assert operator["enablePVCResize"] is False
    # the stores bring their pods' ServiceAccount and Role themselves
    assert operator["createResourcesServiceAccountsAndRoles"] is False
    assert operator["telemetry"] == {"enabled": False}
    assert operator["resources"]["requests"] and operator["resources"]["limits"]


def test_mck_runs_the_pinned_community_server_image():
    community = mongodb_operator.community_image(STORE_IMAGES["mongodb-8.0"])
    assert community == {"repo": "quay.io/mongodb", "name": "mongodb-community-server",
                         "imageType": "ubi9", "version": "8.0.32"}
    values = mongodb_operator.mongodb_operator_values()["community"]["mongodb"]
    assert values == {k: community[k] for k in ("repo", "name", "imageType")}
    # the resource's version plus the operator's image type name the pinned image
    assert mongodb.version(StoreSettings()) == community["version"]
    with pytest.raises(ValueError, match="not a MongoDB Community Server image"):
        mongodb_operator.community_image("mongo:8.0")


def test_operators_are_wanted_only_for_in_cluster_stores_of_hosted_applications():
    def wanted(stack_settings: Settings) -> tuple[bool, bool]:
        """(MongoDB's operator, RabbitMQ's operator) as compose switches them."""
        return (mongodb_operator_args(stack_settings, CTX) is not None,
                rabbitmq_operator_args(stack_settings, CTX) is not None)

    assert wanted(settings("dev")) == (True, True)
    for stack in ("staging", "prod"):
        assert wanted(settings(stack)) == (False, False)
    moved = settings("dev", {"shipyard:stores": {"rabbitmq": {"backend": "managed"}}})
    assert wanted(moved) == (True, False)
    # no hosted application with a RabbitMQ store: no operator
    only_learning = settings("dev", {"shipyard:applications": {
        name: {"enabled": False} for name in CATALOGS if name != "learning-platform"}})
    assert wanted(only_learning) == (True, False)


def test_the_rabbitmq_operator_refuses_to_go_without_cert_manager():
    """The settings refuse it before anything is registered (test_applications has the
    message); the operator's own check stays as a guard."""
    from shipyard.config.base import SettingsError
    with pytest.raises(SettingsError, match="addons.certManager.enabled is false"):
        settings("dev", {"shipyard:addons": {"certManager": {"enabled": False}}})


# -- sizes and versions: pure -------------------------------------------------------------------


def test_a_pod_counts_its_containers_or_its_largest_init_container():
    small = Container("app", "100m", "64Mi", "200m", "128Mi")
    big_init = Container("init", "500m", "32Mi", "1", "64Mi")
    f = in_cluster.footprint(2, [small, small], [big_init])
    assert (f.pods, f.requests_cpu, f.limits_cpu) == (2, 2 * 500, 2 * 1000)     # the init
    assert (f.requests_memory, f.limits_memory) == (2 * 128 * 2**20, 2 * 256 * 2**20)  # sum
    assert (f.max_container_cpu, f.max_container_memory) == (1000, 128 * 2**20)


@pytest.mark.parametrize("module,containers", [
    (mongodb, [*mongodb.CONTAINERS, *mongodb.INIT_CONTAINERS]),
    (valkey, [valkey.VALKEY, valkey.EXPORTER, valkey.INIT]),
    (rabbitmq, [rabbitmq.RABBITMQ, rabbitmq.SETUP]),
])
def test_each_store_declares_every_container_it_runs(module, containers):
    one = module.footprint(StoreSettings())
    three = module.footprint(StoreSettings(instances=3))
    assert one.pods == 1 and three.pods == 3
    assert three.requests_cpu == 3 * one.requests_cpu
    assert three.limits_memory == 3 * one.limits_memory
    assert one.max_container_memory == max(c.amounts()[3] for c in containers)
    assert one.requests_cpu >= sum(c.amounts()[0] for c in containers
                                   if c.name not in ("mongod-posthook", "init",
                                                     "mongodb-agent-readinessprobe",
                                                     "setup-container"))


@pytest.mark.parametrize("kind,module,requested,expected", [
    ("mongodb", mongodb, None, "8.0.32"),
    ("mongodb", mongodb, "8.0", "8.0.32"),
    ("mongodb", mongodb, "8.0.30", "8.0.30"),
])
def test_mongodb_versions(kind, module, requested, expected):
    assert module.version(StoreSettings(version=requested)) == expected


@pytest.mark.parametrize("requested,tag", [(None, "9.1.1"), ("9.1", "9.1.1"), ("9.0.3", "9.0.3")])
def test_valkey_versions(requested, tag):
    assert valkey.image(StoreSettings(version=requested)) == {
        "registry": "docker.io", "repository": "valkey/valkey", "tag": tag}


@pytest.mark.parametrize("requested,image", [
    (None, "docker.io/library/rabbitmq:4.2.6-management"),
    ("4.2.3", "docker.io/library/rabbitmq:4.2.3-management")])
def test_rabbitmq_versions(requested, image):
    assert rabbitmq.image(StoreSettings(version=requested)) == image


# -- MongoDB: pure ------------------------------------------------------------------------------


def test_the_replica_set_is_valid_for_mck_1_10_and_names_secrets_only():
    users = [mongodb.user("docs", "api", "catalog", "docs-api-password"),
             mongodb.user("docs", "worker", "jobs", "docs-worker-password")]
    spec = mongodb.replica_set_spec("docs", members=1, mongodb_version="8.0.32", users=users,
                                    storage_class="gp3", storage_gi=10,
                                    metrics_secret="docs-metrics")
    assert validate(cr(mongodb.API_VERSION, mongodb.KIND, spec)) == []
    assert (spec["members"], spec["version"], spec["featureCompatibilityVersion"]) == \
        (1, "8.0.32", "8.0")
    assert spec["security"] == {"authentication": {"modes": ["SCRAM"]}}
    assert [(u["name"], u["db"], u["roles"]) for u in spec["users"]] == [
        ("api", "admin", [{"name": "readWrite", "db": "catalog"}]),
        ("worker", "admin", [{"name": "readWrite", "db": "jobs"}])]
    assert {u["scramCredentialsSecretName"] for u in users} == {"docs-api", "docs-worker"}
    assert "password" not in keys(spec)              # only passwordSecretRef
    assert spec["prometheus"]["passwordSecretRef"] == {"name": "docs-metrics", "key": "password"}
    template = spec["statefulSet"]["spec"]["template"]
    assert template["metadata"]["labels"] == {STORE_LABEL: "docs",
                                              "sidecar.istio.io/inject": "false"}
    pod = template["spec"]
    assert pod["serviceAccountName"] == "docs-mongodb"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {c["name"] for c in pod["containers"]} == {"mongod", "mongodb-agent"}
    assert {c["name"] for c in pod["initContainers"]} == {"mongod-posthook",
                                                          "mongodb-agent-readinessprobe"}
    assert all(c["resources"]["limits"] for c in pod["containers"] + pod["initContainers"])
    claims = {c["metadata"]["name"]: c["spec"] for c in
              spec["statefulSet"]["spec"]["volumeClaimTemplates"]}
    assert claims["data-volume"]["resources"]["requests"]["storage"] == "10Gi"
    assert {c["storageClassName"] for c in claims.values()} == {"gp3"}
    assert "affinity" not in pod                     # one member


def test_members_spread_over_nodes():
    spec = mongodb.replica_set_spec("docs", members=3, mongodb_version="8.0.32", users=[],
                                    storage_class="gp3", storage_gi=10)
    assert validate(cr(mongodb.API_VERSION, mongodb.KIND, spec)) == []
    pod = spec["statefulSet"]["spec"]["template"]["spec"]
    assert pod["affinity"] == in_cluster.anti_affinity("docs")
    assert "prometheus" not in spec
    assert in_cluster.disruption_budget_spec("docs", 3) == {
        "maxUnavailable": 1, "selector": {"matchLabels": {STORE_LABEL: "docs"}}}
    assert in_cluster.disruption_budget_spec("docs", 1) is None


def test_the_mongodb_pods_may_read_one_secret_and_touch_their_own_pods_only():
    secrets, pods = mongodb.role_rules("docs", 2)
    assert secrets == {"apiGroups": [""], "resources": ["secrets"],
                       "resourceNames": ["docs-config"], "verbs": ["get"]}
    assert pods["resourceNames"] == ["docs-0", "docs-1"]
    assert set(pods["verbs"]) == {"get", "patch", "delete"}


def test_the_mongodb_service_monitor_is_valid_and_authenticates_from_a_secret():
    spec = mongodb.service_monitor_spec("docs", "docs-metrics")
    assert validate(cr("monitoring.coreos.com/v1", "ServiceMonitor", spec)) == []
    (endpoint,) = spec["endpoints"]
    assert endpoint["basicAuth"]["password"] == {"name": "docs-metrics", "key": "password"}
    assert spec["selector"] == {"matchLabels": {"app": "docs-svc"}}


# -- Valkey: pure -------------------------------------------------------------------------------


def values(instances: int = 1, metrics: bool = True) -> dict[str, Any]:
    return valkey.valkey_values("cache", consumers=["api", "worker"], instances=instances,
                                storage_class="gp3", storage_gi=2,
                                image_values=valkey.image(StoreSettings()),
                                secret_name="cache-users", metrics=metrics)


def test_valkey_users_come_from_a_secret_with_permissions_in_the_values():
    v = values()
    assert v["auth"]["enabled"] is True
    assert v["auth"]["usersExistingSecret"] == "cache-users"
    assert v["auth"]["aclUsers"] == {
        "default": {"permissions": "~* &* +@all"},
        "api": {"permissions": "~* &* +@all -@admin"},
        "worker": {"permissions": "~* &* +@all -@admin"}}
    assert not {"password", "passwordKey", "aclConfig"} & keys(v)
    with pytest.raises(ValueError, match="'default'"):
        valkey.acl_users(["default"])


def test_one_valkey_instance_keeps_its_volume_and_runs_restricted():
    v = values()
    assert v["fullnameOverride"] == "cache" and "replica" not in v
    assert v["dataStorage"] == {"enabled": True, "requestedSize": "2Gi", "className": "gp3",
                                "keepPvc": True, "labels": {STORE_LABEL: "cache"}}
    assert v["deploymentStrategy"] == "Recreate"       # the volume attaches to one pod
    assert v["podLabels"] == {STORE_LABEL: "cache", "sidecar.istio.io/inject": "false"}
    assert v["podSecurityContext"]["runAsNonRoot"] is True
    for context in (v["securityContext"], v["metrics"]["exporter"]["securityContext"]):
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
    assert v["serviceAccount"]["automount"] is False
    assert v["resources"] == valkey.VALKEY.resources()
    assert v["initResources"] == valkey.INIT.resources()
    assert v["metrics"]["exporter"]["resources"] == valkey.EXPORTER.resources()
    assert v["metrics"]["serviceMonitor"] == {"enabled": False}    # shipyard's own instead
    # probes over TCP (valkey-cli ping would be unauthenticated)
    assert v["livenessProbe"]["customProbe"]["tcpSocket"] == {"port": "tcp"}
    assert f"maxmemory {valkey.max_memory()}" in v["valkeyConfig"]
    assert valkey.max_memory() == 384 * 2**20
    assert values(metrics=False)["metrics"]["enabled"] is False


def test_valkey_replicas_follow_a_primary_on_other_nodes():
    v = values(instances=3)
    assert v["replica"] == {"enabled": True, "replicas": 2, "replicationUser": "default",
                            "persistence": {"size": "2Gi", "storageClass": "gp3"}}
    assert "dataStorage" not in v
    assert v["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
    assert v["affinity"] == in_cluster.anti_affinity("cache")


def test_the_valkey_service_monitor_is_valid():
    spec = valkey.service_monitor_spec("cache")
    assert validate(cr("monitoring.coreos.com/v1", "ServiceMonitor", spec)) == []
    assert spec["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "cache"


# -- RabbitMQ: pure -----------------------------------------------------------------------------


def test_the_rabbitmq_cluster_is_valid_for_operator_2_22_and_takes_an_external_secret():
    spec = rabbitmq.cluster_spec("events", replicas=3, image_ref=rabbitmq.image(StoreSettings()),
                                 storage_class="gp3", storage_gi=5,
                                 secret_name="events-default-user")
    assert validate(cr(rabbitmq.API_VERSION, rabbitmq.KIND, spec)) == []
    assert spec["secretBackend"] == {"externalSecret": {"name": "events-default-user"}}
    assert spec["persistence"] == {"storageClassName": "gp3", "storage": "5Gi"}
    assert spec["resources"] == rabbitmq.RABBITMQ.resources()
    # memory request = limit, as the operator recommends
    assert spec["resources"]["requests"]["memory"] == spec["resources"]["limits"]["memory"]
    assert spec["override"]["statefulSet"]["spec"]["template"]["metadata"]["labels"] == \
        {STORE_LABEL: "events", "sidecar.istio.io/inject": "false"}
    assert spec["terminationGracePeriodSeconds"] == 600
    assert "password" not in keys(spec)


def test_the_rabbitmq_pod_monitor_is_valid():
    spec = rabbitmq.pod_monitor_spec("events")
    assert validate(cr("monitoring.coreos.com/v1", "PodMonitor", spec)) == []
    assert spec["podMetricsEndpoints"][0]["port"] == "prometheus"


# -- network policies: pure ---------------------------------------------------------------------


@pytest.mark.parametrize("module,port,peers,api", [
    (mongodb, 27017, {27017}, True), (valkey, 6379, {6379}, False),
    (rabbitmq, 5672, {4369, 25672, 35672}, True)])
def test_the_store_pods_admit_their_consumers_members_and_prometheus(module, port, peers, api):
    spec = module.network_policy("store", {"api": None, "worker": "db"},
                                 monitoring_namespace="monitoring")
    assert spec["podSelector"] == {"matchLabels": {STORE_LABEL: "store"}}
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    clients, members, *rest = spec["ingress"]
    assert clients["from"] == [{"podSelector": {"matchLabels": {NAME_LABEL: s}}}
                               for s in ("api", "worker")] and ports(clients) == {port}
    assert members["from"] == [{"podSelector": {"matchLabels": {STORE_LABEL: "store"}}}]
    assert ports(members) == peers
    prometheus = rest[-1]
    assert prometheus["from"] == [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "monitoring"}}}]
    assert ports(prometheus) == {module.METRICS_PORT}
    egress_ports = [ports(rule) for rule in spec["egress"]]
    assert egress_ports[0] == peers
    assert ({443, 6443} in egress_ports) is api
    assert len(module.network_policy("store", {}, monitoring_namespace=None)["ingress"]) == \
        1 + (module is rabbitmq)


def test_the_rabbitmq_operator_reaches_the_management_api():
    spec = rabbitmq.network_policy("events", {"api": None}, monitoring_namespace=None)
    (operator,) = [r for r in spec["ingress"] if "namespaceSelector" in r["from"][0]]
    assert operator["from"] == [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "rabbitmq-system"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "rabbitmq-cluster-operator"}}}]
    assert ports(operator) == {15672}


# -- the dev plan -------------------------------------------------------------------------------


def store_records(plan: Plan, app: str, store: str) -> list[Any]:
    prefix = f"apps-{app}-stores-{store}-"
    return [r for r in plan.resources if r.name.startswith(prefix)]


def the(records: list[Any], type_: str) -> Any:
    return only([r for r in records if r.type == type_])


def secret_named(plan: Plan, namespace: str, name: str) -> Any:
    return only([r for r in plan.of_type(SECRET_TYPE)
                 if r.inputs["metadata"].get("namespace") == namespace
                 and r.inputs["metadata"].get("name") == name])


def test_dev_runs_every_catalogs_nosql_stores_in_the_cluster(dev):
    found = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): "mongodb"
             for r in dev.of_type(MONGODB)}
    found |= {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): "rabbitmq"
              for r in dev.of_type(RABBITMQ)}
    found |= {(r.inputs["namespace"], r.inputs["name"]): "redis"
              for r in dev.of_type(RELEASE) if r.inputs["chart"] == "valkey"}
    assert found == DEV_STORES
    for r in dev.of_type(RELEASE):
        if r.inputs["chart"] == "valkey":
            chart = CHARTS["valkey"]
            assert (r.inputs["version"], r.inputs["repositoryOpts"]["repo"]) == \
                (chart.version, chart.repo)


@pytest.mark.parametrize("app,store", [k for k, kind in DEV_STORES.items() if kind == "mongodb"])
def test_every_mongodb_consumer_has_a_user_of_its_own(dev, app, store):
    wanted = consumers(application(app), store)
    records = store_records(dev, app, store)
    spec = the(records, MONGODB).inputs["spec"]
    assert {u["name"]: u["roles"][0]["db"] for u in spec["users"]} == \
        {s: mongodb.database_of(store, d) for s, d in wanted.items()}
    for u in spec["users"]:
        secret = secret_named(dev, app, u["passwordSecretRef"]["name"])
        assert secret.inputs["stringData"] == SECRET
    assert "password" not in keys(spec)


@pytest.mark.parametrize("app,store", [k for k, kind in DEV_STORES.items() if kind == "redis"])
def test_every_valkey_consumer_has_a_user_of_its_own(dev, app, store):
    wanted = consumers(application(app), store)
    release = the(store_records(dev, app, store), RELEASE)
    values_ = release.inputs["values"]
    assert set(values_["auth"]["aclUsers"]) == {"default", *wanted}
    assert secret_named(dev, app, values_["auth"]["usersExistingSecret"]).inputs[
        "stringData"] == SECRET
    assert not {"password", "aclConfig"} & keys(values_)


def test_the_rabbitmq_consumers_share_the_applications_user_from_a_secret(dev):
    records = store_records(dev, "code-learn", "rabbitmq")
    spec = the(records, RABBITMQ).inputs["spec"]
    secret = secret_named(dev, "code-learn", spec["secretBackend"]["externalSecret"]["name"])
    assert secret.inputs["stringData"] == SECRET
    assert "password" not in keys(spec)
    wanted = consumers(application("code-learn"), "rabbitmq")
    maps = {r.inputs["metadata"]["name"]: r.inputs["data"] for r in dev.of_type(CONFIG_MAP)
            if r.inputs["metadata"].get("namespace") == "code-learn"}
    assert {maps[object_name(s, "rabbitmq")]["USERNAME"] for s in wanted} == {"code-learn"}


@pytest.mark.parametrize("app,store", list(DEV_STORES))
def test_each_consumer_reads_host_port_and_plain_tcp_from_its_config_map(dev, app, store):
    kind = DEV_STORES[(app, store)]
    maps = {r.inputs["metadata"]["name"]: r.inputs["data"] for r in dev.of_type(CONFIG_MAP)
            if r.inputs["metadata"].get("namespace") == app}
    host = {"mongodb": f"{store}-svc.{app}.svc.cluster.local"}.get(
        kind, f"{store}.{app}.svc.cluster.local")
    port = {"mongodb": "27017", "redis": "6379", "rabbitmq": "5672"}[kind]
    for service in consumers(application(app), store):
        data = maps[object_name(service, store)]
        assert (data["HOST"], data["PORT"], data["TLS"]) == (host, port, "false")
        if kind == "mongodb":
            assert (data["AUTH_SOURCE"], data["REPLICA_SET"]) == ("admin", store)
        if kind == "redis":
            assert data["USERNAME"] == service


@pytest.mark.parametrize("app,store", list(DEV_STORES))
def test_each_store_has_its_network_policy_in_its_namespace(dev, app, store):
    policy = the(store_records(dev, app, store), NETPOL)
    assert policy.inputs["metadata"] == {**policy.inputs["metadata"], "namespace": app,
                                         "name": f"{store}-store"}
    (clients, *_) = policy.inputs["spec"]["ingress"]
    assert {f["podSelector"]["matchLabels"][NAME_LABEL] for f in clients["from"]} == \
        set(consumers(application(app), store))


def test_the_operators_are_installed_once_and_the_stores_wait_for_them(dev):
    (mck,) = [r for r in dev.of_type(RELEASE) if r.inputs["chart"] == "mongodb-kubernetes"]
    chart = CHARTS["mongodb-kubernetes"]
    assert (mck.inputs["version"], mck.inputs["repositoryOpts"]["repo"],
            mck.inputs["namespace"]) == (chart.version, chart.repo, "mongodb-operator")
    (manifest,) = [r for r in dev.of_type(CONFIG_FILE)
                   if r.inputs["file"] == RABBITMQ_CLUSTER_OPERATOR]
    (cert_manager,) = [r for r in dev.of_type(RELEASE) if r.inputs["chart"] == "cert-manager"]
    assert cert_manager.urn in manifest.dependencies
    assert all(mck.urn in r.dependencies for r in dev.of_type(MONGODB))
    assert all(manifest.urn in r.dependencies for r in dev.of_type(RABBITMQ))


@pytest.mark.parametrize("app,store", list(DEV_STORES))
def test_consumers_start_once_their_store_answers(dev, app, store):
    """The store is awaited (Helm's wait; pulumi.com/waitFor on the custom resources) and
    every consuming Deployment waits for it."""
    kind = DEV_STORES[(app, store)]
    records = store_records(dev, app, store)
    owner = the(records, {"mongodb": MONGODB, "redis": RELEASE, "rabbitmq": RABBITMQ}[kind])
    if kind == "mongodb":
        assert owner.inputs["metadata"]["annotations"] == {
            "pulumi.com/waitFor": "jsonpath={.status.phase}=Running"}
    if kind == "rabbitmq":
        assert owner.inputs["metadata"]["annotations"] == {
            "pulumi.com/waitFor": "condition=AllReplicasReady"}
    deployments = {r.name: r for r in dev.of_type("kubernetes:apps/v1:Deployment")}
    for service in consumers(application(app), store):
        assert owner.urn in deployments[f"apps-{app}-{service}-deployment"].dependencies


def test_the_remote_rabbitmq_manifest_is_reported_unchecked(dev):
    (manifest,) = [r for r in dev.of_type(CONFIG_FILE)
                   if r.inputs["file"] == RABBITMQ_CLUSTER_OPERATOR]
    (entry,) = [u for u in dev.unchecked() if u["urn"] == manifest.urn]
    assert "not offline" in entry["reason"]


def test_one_mongodb_role_binding_skips_checkov_with_its_reason(dev):
    bindings = [r for r in dev.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
                if "MongoDbReplicaSet" in r.urn]
    assert len(bindings) == 2
    for b in bindings:
        assert b.inputs["metadata"]["annotations"] == mongodb.SECRET_READ_SKIP


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_managed_stacks_run_none_of_them(plans, stack):
    plan = plans[stack]
    assert not plan.of_type(MONGODB) and not plan.of_type(RABBITMQ)
    charts = {r.inputs["chart"] for r in plan.of_type(RELEASE)}
    assert not {"valkey", "mongodb-kubernetes"} & charts
    assert not [r for r in plan.of_type(CONFIG_FILE)
                if r.inputs["file"] == RABBITMQ_CLUSTER_OPERATOR]


# -- one variant: replicated and protected ------------------------------------------------------


@pytest.fixture(scope="module")
def replicated() -> Plan:
    """dev hosting code-learn and learning-platform (all three kinds), protected, with three
    MongoDB members, a Valkey primary and replica, three RabbitMQ nodes."""
    apps = {n: {"enabled": False} for n in CATALOGS
            if n not in ("code-learn", "learning-platform")}
    return run_program("dev", overrides={
        "shipyard:applications": apps, "shipyard:protect": True,
        "shipyard:stores": {"mongodb": {"instances": 3}, "redis": {"instances": 2},
                            "rabbitmq": {"instances": 3}}})


def test_what_owns_the_data_is_protected(replicated):
    owners = [*replicated.of_type(MONGODB), *replicated.of_type(RABBITMQ),
              *[r for r in replicated.of_type(RELEASE) if r.inputs["chart"] == "valkey"]]
    assert len(owners) == 4
    assert all(r.options["protect"] for r in owners)


def test_members_replicas_and_budgets(replicated):
    (mongo,) = replicated.of_type(MONGODB)
    assert mongo.inputs["spec"]["members"] == 3
    (role,) = [r for r in replicated.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
               if "MongoDbReplicaSet" in r.urn]
    assert role.inputs["rules"][1]["resourceNames"] == ["mongodb-0", "mongodb-1", "mongodb-2"]
    (rabbit,) = replicated.of_type(RABBITMQ)
    assert rabbit.inputs["spec"]["replicas"] == 3
    releases = [r for r in replicated.of_type(RELEASE) if r.inputs["chart"] == "valkey"]
    assert {r.inputs["values"]["replica"]["replicas"] for r in releases} == {1}
    budgets = {r.inputs["metadata"]["name"] for r in replicated.of_type(PDB)
               if any(k in r.urn for k in ("MongoDbReplicaSet", "RabbitMqCluster"))}
    assert budgets == {"mongodb", "rabbitmq"}
