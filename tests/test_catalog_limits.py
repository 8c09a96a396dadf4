"""The catalogs' values within what Kubernetes, the Gateway API and Istio accept: numbers that
are numbers (never a boolean) and int32 where Kubernetes reads int32, names the API servers
accept, one mount per path, no two objects of one name. Pure: the catalog models and the
resolver, no Pulumi. Every problem names the file (or the stack's config key), the field and
the value as written."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from shipyard.catalog.load import CatalogError, resolve_applications, validate
from shipyard.catalog.services import RETRY_ON
from shipyard.config.base import SettingsError
from shipyard.config.load import parse_settings
from tests.support.catalogs import shop
from tests.support.settings import REQUIRED

SOURCE = "catalogs/shop.yaml:"


def autoscaled(**behavior: Any) -> dict[str, Any]:
    return {"minReplicas": 2, "maxReplicas": 4, "cpuUtilization": 70,
            **({"behavior": behavior} if behavior else {})}


def problem(change: Callable[[dict[str, Any]], Any]) -> str:
    """The one problem of shop() after ``change``."""
    data = shop()
    change(data)
    with pytest.raises(CatalogError) as info:
        validate(data, SOURCE)
    (found,) = info.value.problems
    return found


def web(data: dict[str, Any]) -> dict[str, Any]:
    return data["services"]["web"]


def api(data: dict[str, Any]) -> dict[str, Any]:
    return data["services"]["api"]


def expect(found: str, field: str, value: Any, *words: str) -> None:
    assert found.startswith(f"{SOURCE} {field}: "), found
    assert found.endswith(f"(value: {json.dumps(value)})"), found
    for word in words:
        assert word in found, found


def test_the_small_catalog_is_valid():
    validate(shop(), SOURCE)


# ---------------------------------------------------------------------------------------------
# 1. A boolean is never a number


@pytest.mark.parametrize(("field", "change"), [
    ("services.web.replicas", lambda d: web(d).update(replicas=True)),
    ("services.web.ports[0].port", lambda d: web(d)["ports"][0].update(port=True)),
    ("services.web.disruptionBudget.minAvailable",
     lambda d: web(d).update(disruptionBudget={"minAvailable": True})),
    ("services.web.autoscaling.minReplicas",
     lambda d: web(d).update(replicas=None, autoscaling={**autoscaled(), "minReplicas": True})),
    ("services.web.autoscaling.cpuUtilization",
     lambda d: web(d).update(replicas=None, autoscaling={**autoscaled(), "cpuUtilization": True})),
    ("services.web.autoscaling.behavior.scaleDown.stabilizationWindowSeconds",
     lambda d: web(d).update(replicas=None, autoscaling=autoscaled(
         scaleDown={"stabilizationWindowSeconds": True}))),
    ("services.web.autoscaling.behavior.scaleUp.policies[0].periodSeconds",
     lambda d: web(d).update(replicas=None, autoscaling=autoscaled(scaleUp={"policies": [
         {"type": "Pods", "value": 1, "periodSeconds": True}]}))),
    ("services.web.runAsUser", lambda d: web(d).update(runAsUser=True)),
    ("services.web.health.startupSeconds", lambda d: web(d).update(health={"startupSeconds": True})),
    ("services.web.shutdown.gracePeriodSeconds",
     lambda d: web(d).update(shutdown={"gracePeriodSeconds": True})),
    ("services.web.resilience.timeoutSeconds",
     lambda d: web(d).update(resilience={"timeoutSeconds": True})),
    ("services.web.delivery.canary.weight", lambda d: web(d).update(
        delivery={"strategy": "canary", "canary": {"tag": "1.1.0", "weight": True}})),
    ("services.api.resilience.connectionPool.maxConnections", lambda d: (
        d.update(mesh=True), api(d).update(resilience={"connectionPool": {"maxConnections": True}}))),
    ("services.api.resilience.outlierDetection.consecutive5xxErrors", lambda d: (
        d.update(mesh=True),
        api(d).update(resilience={"outlierDetection": {"consecutive5xxErrors": True}}))),
    ("services.api.resilience.retries.attempts", lambda d: (
        d.update(mesh=True), api(d).update(resilience={"retries": {"attempts": True}}))),
])
def test_a_boolean_is_not_a_number(field, change):
    expect(problem(change), field, True, "true is not a number")


# ---------------------------------------------------------------------------------------------
# 2. Kubernetes' limits

INT32_OVER = 2**31


@pytest.mark.parametrize(("field", "change"), [
    ("services.web.replicas", lambda d: web(d).update(replicas=INT32_OVER)),
    ("services.web.autoscaling.maxReplicas",
     lambda d: web(d).update(replicas=None, autoscaling={**autoscaled(), "maxReplicas": INT32_OVER})),
    ("services.web.delivery.canary.replicas", lambda d: web(d).update(delivery={
        "strategy": "canary", "canary": {"tag": "1.1.0", "weight": 5, "replicas": INT32_OVER}})),
    ("services.web.runAsUser", lambda d: web(d).update(runAsUser=INT32_OVER)),
    ("services.web.disruptionBudget.maxUnavailable",
     lambda d: web(d).update(disruptionBudget={"maxUnavailable": INT32_OVER})),
    ("services.web.autoscaling.behavior.scaleUp.policies[0].value",
     lambda d: web(d).update(replicas=None, autoscaling=autoscaled(scaleUp={"policies": [
         {"type": "Pods", "value": INT32_OVER, "periodSeconds": 60}]}))),
    ("services.api.resilience.connectionPool.http2MaxRequests", lambda d: (
        d.update(mesh=True),
        api(d).update(resilience={"connectionPool": {"http2MaxRequests": INT32_OVER}}))),
])
def test_an_int32_field_refuses_more_than_int32(field, change):
    expect(problem(change), field, INT32_OVER, "2147483647")


@pytest.mark.parametrize(("rules", "field", "value"), [
    ({"stabilizationWindowSeconds": 3601}, "stabilizationWindowSeconds", 3601),
    ({"policies": [{"type": "Percent", "value": 10, "periodSeconds": 1801}]},
     "policies[0].periodSeconds", 1801),
    ({"policies": [{"type": "Percent", "value": 10, "periodSeconds": 0}]},
     "policies[0].periodSeconds", 0),
])
def test_autoscaler_seconds_within_what_kubernetes_accepts(rules, field, value):
    found = problem(lambda d: web(d).update(replicas=None,
                                            autoscaling=autoscaled(scaleDown=rules)))
    expect(found, f"services.web.autoscaling.behavior.scaleDown.{field}", value)


@pytest.mark.parametrize("direction", ["scaleUp", "scaleDown"])
def test_scaling_rules_with_no_policies_are_refused(direction):
    found = problem(lambda d: web(d).update(replicas=None, autoscaling=autoscaled(
        **{direction: {"stabilizationWindowSeconds": 60, "policies": []}})))
    expect(found, f"services.web.autoscaling.behavior.{direction}.policies", [],
           "at least one policy")


def test_scaling_rules_without_policies_leave_them_to_kubernetes():
    data = shop()
    web(data).update(replicas=None, autoscaling=autoscaled(
        scaleDown={"stabilizationWindowSeconds": 60}))
    behavior = validate(data, SOURCE).services["web"].autoscaling.behavior
    assert behavior.model_dump(by_alias=True, exclude_none=True) == {
        "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max"}}


@pytest.mark.parametrize(("value", "words"), [
    (0.0001, "greater than or equal to 0.001"),
    (86401, "less than or equal to 86400"),
    (float("inf"), "86400"),
])
def test_a_timeout_the_mesh_can_write(value, words):
    found = problem(lambda d: (d.update(mesh=True), api(d).update(
        resilience={"retries": {"attempts": 2, "perTryTimeoutSeconds": value}})))
    expect(found, "services.api.resilience.retries.perTryTimeoutSeconds", value, words)


def test_a_routed_timeout_becomes_a_gateway_api_duration():
    from components.tenant import gateway_duration

    data = shop()
    web(data).update(resilience={"timeoutSeconds": 1.5})
    validate(data, SOURCE)
    pattern = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")   # the Gateway API's Duration
    assert [gateway_duration(s) for s in (30, 30.0, 1.5, 0.25)] == ["30s", "30s", "1500ms",
                                                                     "250ms"]
    assert all(pattern.match(gateway_duration(s)) for s in (0.001, 1.5, 86400))


@pytest.mark.parametrize(("change", "field", "value", "words"), [
    (lambda d: web(d).update(writablePaths=["/data", "/data"]),
     "services.web.writablePaths[1]", "/data", "writablePaths[0] (/data) is mounted at /data"),
    (lambda d: web(d).update(writablePaths=["/tmp"]),
     "services.web.writablePaths[0]", "/tmp", "/tmp is mounted at /tmp"),
    (lambda d: web(d).update(writablePaths=["/data"], secrets=[{"name": "s", "mountPath": "/data"}]),
     "services.web.secrets[0].mountPath", "/data", "writablePaths[0] (/data)"),
    (lambda d: web(d).update(secrets=[{"name": "a", "mountPath": "/var/run/secrets/shipyard/b"},
                                      {"name": "b"}]),
     "services.web.secrets[1].name", "b", "secrets[0].mountPath (/var/run/secrets/shipyard/b)"),
    (lambda d: api(d).update(writablePaths=["/var/run/secrets/shipyard/stores/pg"]),
     "services.api.writablePaths[0]", "/var/run/secrets/shipyard/stores/pg",
     "the credential mount of store 'pg'"),
    (lambda d: api(d).update(secrets=[{"name": "stores"}]),
     "services.api.secrets[0].name", "stores", "inside /var/run/secrets/shipyard/stores"),
    (lambda d: web(d).update(secrets=[{"name": "s", "mountPath": "/etc/app"}],
                             writablePaths=["/etc/app/cache"]),
     "services.web.secrets[0].mountPath", "/etc/app", "a read-only mount"),
    (lambda d: web(d).update(secrets=[{"name": "a" * 57}, {"name": "a" * 56 + "b"}]),
     "services.web.secrets[1].name", "a" * 56 + "b", "volume name"),
    (lambda d: web(d).update(writablePaths=["/data/"]),
     "services.web.writablePaths[0]", "/data/", "no trailing '/'"),
    (lambda d: web(d).update(writablePaths=["data"]),
     "services.web.writablePaths[0]", "data", "absolute"),
    (lambda d: web(d).update(writablePaths=["/a/../b"]),
     "services.web.writablePaths[0]", "/a/../b", "'..'"),
    (lambda d: web(d).update(secrets=[{"name": "s", "mountPath": "/var/run/secrets/kubernetes.io"}]),
     "services.web.secrets[0].mountPath", "/var/run/secrets/kubernetes.io", "Kubernetes or EKS"),
])
def test_one_mount_per_path(change, field, value, words):
    expect(problem(change), field, value, words)


def test_nested_writable_paths_are_fine():
    data = shop()
    web(data).update(writablePaths=["/var/cache/nginx", "/var/cache/nginx/tmp", "/tmp/x"])
    validate(data, SOURCE)


# ---------------------------------------------------------------------------------------------
# 3. Names the API servers and the mesh accept


@pytest.mark.parametrize("header", ["x preview", "", "x:preview", "ä"])
def test_a_preview_header_is_an_http_header_name(header):
    found = problem(lambda d: web(d).update(delivery={"strategy": "blueGreen", "blueGreen": {
        "active": "blue", "blue": "1.0.0", "green": "1.1.0", "previewHeader": header}}))
    expect(found, "services.web.delivery.blueGreen.previewHeader", header,
           "not an HTTP header name")


@pytest.mark.parametrize(("retry_on", "words"), [
    ("5xx,bogus", "'bogus' is not an Envoy retry condition"),
    ("5xx, bogus", "'bogus' is not an Envoy retry condition"),
    ("", "names no retry condition"),
    (" , ", "names no retry condition"),
    ("600", "'600' is not"),
    ("5xx,5xx", "listed twice"),
])
def test_retry_on_names_envoy_conditions(retry_on, words):
    found = problem(lambda d: (d.update(mesh=True), api(d).update(
        resilience={"retries": {"attempts": 2, "retryOn": retry_on}})))
    expect(found, "services.api.resilience.retries.retryOn", retry_on, words)


def test_every_envoy_condition_and_status_codes_are_accepted():
    data = shop()
    data["mesh"] = True
    api(data).update(resilience={"retries": {"attempts": 2,
                                             "retryOn": ",".join([*RETRY_ON, "503"])}})
    validate(data, SOURCE)


@pytest.mark.parametrize("name", ["a--b", "1234", "http-", "a-very-long-port"])
def test_a_port_name_kubernetes_accepts(name):
    found = problem(lambda d: web(d)["ports"][0].update(name=name))
    expect(found, "services.web.ports[0].name", name, "not a port name")


@pytest.mark.parametrize(("change", "field", "value", "words"), [
    (lambda d: web(d).update(secrets=[{"name": "s", "env": {"A B": "value"}}]),
     "services.web.secrets[0].env.A B", "A B", "not an environment variable name"),
    (lambda d: web(d).update(secrets=[{"name": "s", "env": {"TOKEN": "a/b"}}]),
     "services.web.secrets[0].env.TOKEN", "a/b", "not a Secret key"),
    (lambda d: d["stores"]["pg"].update(databases=["orders", "orders_"]),
     "stores.pg.databases[1]", "orders_", "not a database name"),
    (lambda d: d["routes"].append({"path": "/a//b", "service": "web"}),
     "routes[1].path", "/a//b", "'//'"),
    (lambda d: d["routes"].append({"path": "/a?b", "service": "web"}),
     "routes[1].path", "/a?b", "Gateway API"),
    (lambda d: d["routes"].append({"path": "/a/..", "service": "web"}),
     "routes[1].path", "/a/..", "ending in /. or /.."),
])
def test_names_that_land_in_kubernetes(change, field, value, words):
    expect(problem(change), field, value, words)


# ---------------------------------------------------------------------------------------------
# 4. No two things of one name


@pytest.mark.parametrize(("change", "field", "value", "words"), [
    (lambda d: d["stores"]["pg"].update(databases=["orders", "orders"]),
     "stores.pg.databases[1]", "orders", "listed twice"),
    (lambda d: api(d).update(callers=["web", "web"]),
     "services.api.callers[1]", "web", "listed twice"),
    (lambda d: web(d).update(env={"TOKEN": "x"}, secrets=[{"name": "s", "env": {"TOKEN": "v"}}]),
     "services.web.secrets[0].env.TOKEN", "TOKEN", "already set by env"),
    (lambda d: web(d).update(secrets=[{"name": "s", "env": {"TOKEN": "v"}},
                                      {"name": "t", "env": {"TOKEN": "v"}}]),
     "services.web.secrets[1].env.TOKEN", "TOKEN", "already set by secrets[0]"),
    (lambda d: api(d).update(secrets=[{"name": "api-pg-store"}]),
     "services.api.secrets[0].name", "api-pg-store", "store 'pg'"),
    (lambda d: (d["services"].update({"web-canary": {**copy.deepcopy(api(d)), "image": "shop/x"}}),
                web(d).update(delivery={"strategy": "canary",
                                        "canary": {"tag": "1.1.0", "weight": 10}})),
     "services.web-canary", "web-canary", "objects named 'web-canary'"),
    (lambda d: (d["services"].update({"web-preview": {**copy.deepcopy(api(d)), "image": "shop/x"}}),
                web(d).update(delivery={"strategy": "blueGreen", "blueGreen": {
                    "active": "blue", "blue": "1.0.0", "green": "1.1.0"}})),
     "services.web-preview", "web-preview", "objects named 'web-preview'"),
])
def test_two_things_of_one_name(change, field, value, words):
    expect(problem(change), field, value, words)


# ---------------------------------------------------------------------------------------------
# Through the stack's override


def override_problems(override: dict[str, Any]) -> list[str]:
    with pytest.raises(CatalogError) as info:
        resolve_applications({"shop": shop()}, {"shop": override}, "prod")
    return info.value.problems


@pytest.mark.parametrize(("override", "field", "value"), [
    ({"services": {"web": {"replicas": True}}}, "services.web.replicas", True),
    ({"services": {"web": {"replicas": INT32_OVER}}}, "services.web.replicas", INT32_OVER),
    ({"services": {"web": {"writablePaths": ["/tmp"]}}}, "services.web.writablePaths[0]", "/tmp"),
    ({"services": {"web": {"delivery": {"strategy": "blueGreen", "blueGreen": {
        "active": "blue", "blue": "1.0.0", "green": "1.1.0", "previewHeader": "x preview"}}}}},
     "services.web.delivery.blueGreen.previewHeader", "x preview"),
    ({"mesh": True, "services": {"api": {"resilience": {"retries": {
        "attempts": 1, "retryOn": "5xx,sometimes"}}}}},
     "services.api.resilience.retries.retryOn", "5xx,sometimes"),
    ({"services": {"web": {"replicas": None, "autoscaling": autoscaled(
        scaleDown={"policies": []})}}}, "services.web.autoscaling.behavior.scaleDown.policies", []),
])
def test_a_stack_override_is_checked_alike_and_named_by_its_key(override, field, value):
    (found,) = override_problems(override)
    assert found.startswith(f"shipyard:applications.shop.{field}: "), found
    assert found.endswith(f"(value: {json.dumps(value)})"), found


def test_parse_settings_refuses_a_boolean_replica_count_by_config_key(tmp_path):
    import yaml
    (tmp_path / "shop.yaml").write_text(yaml.safe_dump(shop(), sort_keys=False))
    raw = {**REQUIRED, "applications": json.dumps(
        {"shop": {"services": {"web": {"disruptionBudget": {"minAvailable": True}}}}})}
    with pytest.raises(SettingsError) as info:
        parse_settings(raw, project="shipyard", stack="prod", region="us-east-1",
                       catalog_dir=tmp_path)
    (found,) = info.value.problems
    assert found == ("shipyard:applications.shop.services.web.disruptionBudget.minAvailable: "
                     "true is not a number (value: true)")


@pytest.mark.parametrize("name", ["default-deny", "allow-dns", "allow-traces-out"])
def test_a_service_is_not_named_as_a_tenant_network_policy(name):
    found = problem(lambda d: d["services"].update({name: {**copy.deepcopy(api(d)),
                                                           "image": "shop/x", "uses": []}}))
    expect(found, f"services.{name}", name, "NetworkPolicy")


def test_two_store_connections_of_one_name():
    long_service, store_a, store_b = "s" * 40, "pg" + "a" * 38, "pg" + "a" * 37 + "b"

    def change(d: dict[str, Any]) -> None:
        d["stores"] = {store_a: {"kind": "redis"}, store_b: {"kind": "redis"}}
        d["services"][long_service] = {**copy.deepcopy(api(d)), "image": "shop/x",
                                       "uses": [{"store": store_a}, {"store": store_b}]}
        api(d)["uses"] = []
    expect(problem(change), f"services.{long_service}.uses[1].store", store_b,
           "connection objects would be named")


def test_a_meshed_port_is_not_the_sidecars():
    found = problem(lambda d: (d.update(mesh=True), api(d)["ports"][0].update(port=15006)))
    expect(found, "services.api.ports[0].port", 15006, "Istio sidecar")
    data = shop()
    api(data)["ports"][0]["port"] = 15006  # out of the mesh: no sidecar
    validate(data, SOURCE)


def test_a_secret_variable_is_not_an_opentelemetry_one():
    found = problem(lambda d: web(d).update(
        secrets=[{"name": "s", "env": {"OTEL_SERVICE_NAME": "value"}}]))
    expect(found, "services.web.secrets[0].env.OTEL_SERVICE_NAME", "OTEL_SERVICE_NAME", "OTEL_")


@pytest.mark.parametrize(("field", "change", "value"), [
    ("mesh", lambda d: d.update(mesh="yes"), "yes"),
    ("enabled", lambda d: d.update(enabled=0), 0),
    ("services.web.aws", lambda d: web(d).update(aws=1), 1),
    ("services.web.secrets[0].generate",
     lambda d: web(d).update(secrets=[{"name": "s", "generate": "true"}]), "true"),
])
def test_a_boolean_is_a_boolean(field, change, value):
    expect(problem(change), field, value, "valid boolean")


@pytest.mark.parametrize(("field", "change", "value"), [
    ("services.web.health.liveness", lambda d: web(d).update(health={"liveness": "health"}),
     "health"),
    ("services.web.health.readiness", lambda d: web(d).update(health={"readiness": "/a b"}),
     "/a b"),
    ("services.web.metrics.path", lambda d: web(d).update(metrics={"path": ""}), ""),
])
def test_probe_and_scrape_paths_are_http_paths(field, change, value):
    expect(problem(change), field, value, "not an HTTP path")


@pytest.mark.parametrize("tag", ["1.0.0-", "_build", "1" + "0" * 61 + ".1"])
def test_a_tag_is_a_valid_version_label(tag):
    expect(problem(lambda d: web(d).update(tag=tag)), "services.web.tag", tag, "version label")


def test_a_generated_secret_is_read_by_its_one_key():
    found = problem(lambda d: web(d).update(
        secrets=[{"name": "s", "generate": True, "env": {"TOKEN": "token"}}]))
    expect(found, "services.web.secrets[0].env.TOKEN", "token", "'value'")
    data = shop()
    web(data).update(secrets=[{"name": "s", "generate": True, "env": {"TOKEN": "value"}}])
    validate(data, SOURCE)


@pytest.mark.parametrize(("service", "delivery", "obj"), [
    ("pg", None, "pg"),
    ("pg-store", None, "pg-store"),
    ("pg", {"strategy": "canary", "canary": {"tag": "1.1.0", "weight": 5}}, "pg"),
])
def test_a_service_is_not_named_as_a_stores_objects(service, delivery, obj):
    def change(d: dict[str, Any]) -> None:
        d["services"][service] = {**copy.deepcopy(api(d)), "image": "shop/x", "uses": []}
        if delivery:
            d["services"][service]["delivery"] = delivery
            d["routes"].append({"path": "/x", "service": service})
    expect(problem(change), f"services.{service}", service, f"{obj!r} would be one of them")


# ---------------------------------------------------------------------------------------------
# The catalog's rules name what the components make (until the components call them)


def test_the_catalog_knows_the_workloads_mounts_and_names():
    from components import mesh, tenant, workload
    from components.stores.stores import object_name
    from shipyard.catalog import mounts
    from shipyard.catalog.models import SIDECAR_PORTS, TENANT_POLICIES, store_object_name
    from shipyard.catalog.services import GENERATED_KEY

    # the workload names its mounts with the catalog's functions; what it builds must be what
    # the catalog checked
    assert workload.store_password_file("pg").startswith(mounts.store_mount_path("pg") + "/")
    assert tenant.GENERATED_KEY == GENERATED_KEY
    assert mesh.MERGED_METRICS_PORT in SIDECAR_PORTS
    assert object_name("s" * 40, "p" * 40) == store_object_name("s" * 40, "p" * 40)
    data = shop()
    data["mesh"] = True
    web(data).update(writablePaths=["/var/cache/nginx", "/var/cache/nginx/tmp", "/a_b.C"],
                     secrets=[{"name": "s"}, {"name": "t", "mountPath": "/etc/t"}])
    app = validate(data, SOURCE)
    svc = app.services["web"]
    vols, mounted = workload.volumes(svc)
    _, store_vols, store_mounts = workload.store_wiring([workload.StoreMount(
        store="pg", prefix="PG_", config_map="web-pg-store", secret="web-pg-store")])
    names = [v["name"] for v in vols + store_vols]
    paths = [m["mountPath"] for m in mounted + store_mounts]
    assert len(set(names)) == len(names) and len(set(paths)) == len(paths)
    assert names == ["tmp", *mounts.writable_volume_names(svc.writable_paths),
                     *(mounts.secret_volume_name(s.name) for s in svc.secrets),
                     mounts.store_volume_name("pg")]
    assert paths == [mounts.TMP, *svc.writable_paths, *(s.path for s in svc.secrets),
                     mounts.store_mount_path("pg")]
    policies = tenant.network_policies(app, gateway_namespace="gw", store_cidrs=(), mesh=True,
                                       monitoring_namespace="mon", tracing_namespace="otel")
    assert set(policies) - set(app.services) == set(TENANT_POLICIES)


def test_an_httproute_holds_sixteen_rules():
    data = shop()
    data["routes"] = [{"path": f"/p{i}", "service": "web"} for i in range(16)]
    validate(data, SOURCE)
    web(data)["delivery"] = {"strategy": "blueGreen", "blueGreen": {
        "active": "blue", "blue": "1.0.0", "green": "1.1.0"}}
    with pytest.raises(CatalogError) as info:
        validate(data, SOURCE)
    (found,) = info.value.problems
    assert found.startswith(f"{SOURCE} routes: its HTTPRoute would have 32 rules"), found


@pytest.mark.parametrize("paths", [["/var/cache_x", "/var/cache.x"], ["/app/data", "/app-data"],
                                   ["/data_"], ["/var/run"], ["/Data", "/data"]])
def test_writable_paths_that_read_alike_get_volumes_of_their_own(paths):
    from components import workload

    data = shop()
    web(data).update(writablePaths=paths)
    svc = validate(data, SOURCE).services["web"]
    vols, mounted = workload.volumes(svc)
    names = [v["name"] for v in vols]
    assert len(set(names)) == len(names) == len(paths) + 1
    assert [m["mountPath"] for m in mounted][1:] == paths


def test_retry_on_is_read_as_istio_reads_it():
    data = shop()
    data["mesh"] = True
    api(data).update(resilience={"retries": {"attempts": 2,
                                             "retryOn": " 5xx, reset ,connect-failure,"}})
    retries = validate(data, SOURCE).services["api"].resilience.retries
    assert retries.retry_on == "5xx,reset,connect-failure"
