"""Catalogs -> applications (shipyard/catalog/): pure, no Pulumi. Every problem names the file
(or the stack's config key), the field and the value."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard.catalog.load import CATALOG_DIR, CatalogError, load_catalogs, resolve_applications
from shipyard.config.base import SettingsError
from shipyard.config.load import parse_settings
from tests.support.catalogs import shop
from tests.support.settings import REQUIRED

SEED_CATALOGS = {"mentorplatform", "learning-platform", "sre-platform", "code-learn",
                 "everything-portal"}


def write(directory: Path, data: dict[str, Any], file_name: str | None = None) -> Path:
    path = directory / (file_name or f"{data['name']}.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems(directory: Path, data: dict[str, Any], file_name: str | None = None) -> list[str]:
    write(directory, data, file_name)
    with pytest.raises(CatalogError) as info:
        load_catalogs(directory)
    return info.value.problems


def one_problem(directory: Path, data: dict[str, Any], file_name: str | None = None) -> str:
    found = problems(directory, data, file_name)
    assert len(found) == 1, found
    return found[0]


def resolve(catalogs: dict[str, Any], overrides: dict[str, Any], env: str = "prod"):
    return {app.name: app for app in resolve_applications(catalogs, overrides, env)}


def override_problems(catalogs: dict[str, Any], overrides: dict[str, Any]) -> list[str]:
    with pytest.raises(CatalogError) as info:
        resolve_applications(catalogs, overrides, "prod")
    return info.value.problems


# ---------------------------------------------------------------------------------------------
# A valid catalog


def test_a_valid_catalog_loads_and_resolves(tmp_path):
    write(tmp_path, shop())
    catalogs = load_catalogs(tmp_path)
    assert list(catalogs) == ["shop"]
    app = resolve(catalogs, {})["shop"]
    assert app.services["api"].callers == ["web"]
    assert app.callees("web") == ["api"]
    assert app.stores["pg"].port == 5432
    assert app.services["web"].disruption_budget.max_unavailable == 1  # the default budget


# ---------------------------------------------------------------------------------------------
# Errors in a catalog file name the file, the field and the value


def test_an_unknown_field_names_the_file_and_the_field(tmp_path):
    data = shop()
    data["services"]["web"]["replica"] = 3
    problem = one_problem(tmp_path, data)
    assert problem.startswith(str(tmp_path / "shop.yaml") + ": services.web.replica: ")
    assert "unknown field" in problem and "(value: 3)" in problem


def test_an_unknown_top_level_field_is_refused(tmp_path):
    data = shop()
    data["namespace"] = "other"
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: namespace: unknown field" in problem and '"other"' in problem


def test_a_route_to_an_unknown_service(tmp_path):
    data = shop()
    data["routes"].append({"path": "/api", "service": "backend"})
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: routes[1].service: no service 'backend'" in problem
    assert '(value: "backend")' in problem


def test_a_route_to_an_unknown_port(tmp_path):
    data = shop()
    data["routes"][0]["port"] = "grpc"
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: routes[0].port: service 'web' has no port 'grpc'" in problem


def test_an_autoscaler_whose_minimum_exceeds_its_maximum(tmp_path):
    data = shop()
    web = data["services"]["web"]
    del web["replicas"]
    web["autoscaling"] = {"minReplicas": 12, "maxReplicas": 10, "cpuUtilization": 70}
    problem = one_problem(tmp_path, data)
    assert problem == (f"{tmp_path / 'shop.yaml'}: services.web.autoscaling.minReplicas: "
                       f"minReplicas 12 exceeds maxReplicas 10 (value: 12)")


def test_an_autoscaler_needs_a_target(tmp_path):
    data = shop()
    web = data["services"]["web"]
    del web["replicas"]
    web["autoscaling"] = {"minReplicas": 2, "maxReplicas": 4}
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: services.web.autoscaling.cpuUtilization: " in problem


def test_replicas_and_autoscaling_are_exclusive(tmp_path):
    data = shop()
    data["services"]["web"]["autoscaling"] = {"minReplicas": 2, "maxReplicas": 4,
                                              "cpuUtilization": 70}
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: services.web.replicas: set exactly one of replicas" in problem


def test_a_use_of_an_unknown_store(tmp_path):
    data = shop()
    data["services"]["api"]["uses"].append({"store": "redis"})
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: services.api.uses[1].store: no store 'redis' in shop" in problem
    assert '(value: "redis")' in problem


def test_a_use_of_an_unknown_database(tmp_path):
    data = shop()
    data["services"]["api"]["uses"][0]["database"] = "payments"
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: services.api.uses[0].database: store 'pg' has no database " \
           "'payments'" in problem
    assert '(value: "payments")' in problem


def test_a_store_without_databases_cannot_have_them(tmp_path):
    data = shop()
    data["stores"]["cache"] = {"kind": "redis", "databases": ["zero"]}
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: stores.cache.databases: a redis store has no databases" in problem


def test_only_a_redis_stores_clients_declare_a_key_prefix(tmp_path):
    data = shop()
    data["stores"]["pg"]["keyPrefix"] = True
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: stores.pg.keyPrefix: only a redis store's keys are prefixed (this one " \
           "is postgresql) (value: true)" in problem
    data = shop()
    data["stores"]["cache"] = {"kind": "redis", "keyPrefix": "yes"}
    assert "shop.yaml: stores.cache.keyPrefix: " in one_problem(tmp_path, data)
    data["stores"]["cache"]["keyPrefix"] = True
    write(tmp_path, data)
    assert resolve(load_catalogs(tmp_path), {})["shop"].stores["cache"].key_prefix


def test_a_caller_that_is_no_service(tmp_path):
    data = shop()
    data["services"]["api"]["callers"] = ["web", "worker"]
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: services.api.callers[1]: no service 'worker' in shop" in problem
    assert '(value: "worker")' in problem


def test_the_latest_tag_is_refused(tmp_path):
    data = shop()
    data["services"]["web"]["tag"] = "latest"
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: services.web.tag: " in problem
    assert "never latest" in problem and '(value: "latest")' in problem


def test_an_image_needs_a_tag_or_a_digest(tmp_path):
    data = shop()
    del data["services"]["web"]["tag"]
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: services.web.tag: set tag or digest" in problem


@pytest.mark.parametrize("resource,request_value,limit", [
    ("cpu", "1", "500m"), ("memory", "1Gi", "256Mi")])
def test_requests_above_limits(tmp_path, resource, request_value, limit):
    data = shop()
    data["services"]["api"]["resources"]["requests"][resource] = request_value
    problem = one_problem(tmp_path, data)
    assert problem == (f"{tmp_path / 'shop.yaml'}: services.api.resources.requests.{resource}: "
                       f"request {request_value} exceeds the limit {limit} "
                       f"(value: {json.dumps(request_value)})")


def test_a_budget_that_blocks_every_drain(tmp_path):
    data = shop()
    data["services"]["web"]["disruptionBudget"] = {"minAvailable": 2}
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: services.web.disruptionBudget.minAvailable: " in problem
    assert "would block every node drain" in problem and "(value: 2)" in problem


def test_a_budget_below_the_replicas_is_fine(tmp_path):
    data = shop()
    data["services"]["web"]["disruptionBudget"] = {"minAvailable": 1}
    write(tmp_path, data)
    assert load_catalogs(tmp_path)


def test_anti_affinity_is_validated_and_rendered_for_any_service(tmp_path):
    """A service's catalog asks for pod anti-affinity (seed 000's gateway does); the workload
    renders it into its pods, preferred with a weight or required."""
    from components.workload import anti_affinity

    data = shop()
    data["services"]["web"]["antiAffinity"] = {"across": "zones", "mode": "required"}
    data["services"]["api"]["antiAffinity"] = {"weight": 40}
    write(tmp_path, data)
    app = resolve(load_catalogs(tmp_path), {})["shop"]
    labels = {"app.kubernetes.io/name": "web"}
    required = anti_affinity(app.services["web"], labels)["affinity"]["podAntiAffinity"]
    assert required == {"requiredDuringSchedulingIgnoredDuringExecution": [{
        "labelSelector": {"matchLabels": labels}, "topologyKey": "topology.kubernetes.io/zone",
        "matchLabelKeys": ["pod-template-hash"]}]}
    preferred = anti_affinity(app.services["api"], labels)["affinity"]["podAntiAffinity"]
    [term] = preferred["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term["weight"] == 40
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert anti_affinity(resolve(load_catalogs(tmp_path), {})["shop"].services["web"].model_copy(
        update={"anti_affinity": None}), labels) == {}
    data["services"]["web"]["antiAffinity"] = {"mode": "required", "weight": 10}
    problem = one_problem(tmp_path, data)
    assert problem.startswith(f"{tmp_path / 'shop.yaml'}: services.web.antiAffinity.weight: ")
    assert "(value: 10)" in problem
    data["services"]["web"]["antiAffinity"] = {"across": "racks"}
    problem = one_problem(tmp_path, data)
    assert "services.web.antiAffinity.across" in problem and '"racks"' in problem


def test_a_privileged_port_is_refused(tmp_path):
    data = shop()
    data["services"]["web"]["ports"][0]["port"] = 80
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: services.web.ports[0].port: " in problem and "(value: 80)" in problem


def test_two_services_cannot_share_an_image(tmp_path):
    data = shop()
    data["services"]["api"]["image"] = "shop/web"
    problem = one_problem(tmp_path, data)
    # the second service to claim it is named, and the first one in the message
    assert "shop.yaml: services.api.image: service 'web' uses the same image" in problem
    assert '(value: "shop/web")' in problem


def test_the_file_name_must_be_the_name(tmp_path):
    problem = one_problem(tmp_path, shop(), file_name="store.yaml")
    assert problem == f"{tmp_path / 'store.yaml'}: name: must equal the file name 'store' " \
                      f"(value: \"shop\")"


def test_a_catalog_that_is_not_a_mapping(tmp_path):
    (tmp_path / "shop.yaml").write_text("- a\n- b\n")
    with pytest.raises(CatalogError) as info:
        load_catalogs(tmp_path)
    assert info.value.problems[0].startswith(f"{tmp_path / 'shop.yaml'}: a catalog is a mapping")


def test_every_bad_file_is_reported_not_only_the_first(tmp_path):
    bad = shop()
    bad["services"]["web"]["tag"] = "latest"
    write(tmp_path, bad)
    other = shop()
    other["name"] = "zoo"
    other["routes"][0]["service"] = "nope"
    write(tmp_path, other)
    with pytest.raises(CatalogError) as info:
        load_catalogs(tmp_path)
    assert [p.split(":")[0] for p in info.value.problems] == [
        str(tmp_path / "shop.yaml"), str(tmp_path / "zoo.yaml")]


# ---------------------------------------------------------------------------------------------
# environments.<env>


def test_an_error_inside_environments_dev_is_named_as_such(tmp_path):
    data = shop()
    data["environments"] = {"dev": {"services": {"web": {"disruptionBudget": {
        "minAvailable": 2}}}}}
    problem = one_problem(tmp_path, data)
    assert problem.startswith(f"{tmp_path / 'shop.yaml'}: environments.dev."
                              f"services.web.disruptionBudget.minAvailable: ")
    assert "(value: 2)" in problem


def test_an_unknown_field_inside_environments_staging(tmp_path):
    data = shop()
    data["environments"] = {"staging": {"services": {"api": {"replica": 1}}}}
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: environments.staging.services.api.replica: unknown field" in problem


def test_an_unknown_environment_is_refused(tmp_path):
    data = shop()
    data["environments"] = {"qa": {"services": {"api": {"replicas": 1}}}}
    problem = one_problem(tmp_path, data)
    assert "shop.yaml: environments.qa" in problem


def test_environments_swap_a_budget_and_autoscaling_for_replicas(tmp_path):
    data = shop()
    web = data["services"]["web"]
    del web["replicas"]
    web["autoscaling"] = {"minReplicas": 3, "maxReplicas": 6, "cpuUtilization": 70}
    web["disruptionBudget"] = {"minAvailable": 2}
    data["environments"] = {"dev": {"services": {"web": {
        "replicas": 1, "autoscaling": None,
        "disruptionBudget": {"minAvailable": None, "maxUnavailable": 1}}}}}
    write(tmp_path, data)
    catalogs = load_catalogs(tmp_path)
    dev = resolve(catalogs, {}, "dev")["shop"].services["web"]
    assert (dev.replicas, dev.autoscaling) == (1, None)
    assert (dev.disruption_budget.min_available, dev.disruption_budget.max_unavailable) == \
        (None, 1)
    prod = resolve(catalogs, {}, "prod")["shop"].services["web"]
    assert (prod.min_replicas, prod.max_replicas) == (3, 6)
    assert prod.disruption_budget.min_available == 2


# ---------------------------------------------------------------------------------------------
# The stack's shipyard:applications overrides


def test_an_override_of_an_unknown_application(tmp_path):
    write(tmp_path, shop())
    (problem,) = override_problems(load_catalogs(tmp_path), {"shopp": {"enabled": False}})
    assert problem.startswith("shipyard:applications.shopp: unknown application")
    assert '(value: "shopp")' in problem and "catalogs: shop" in problem


def test_an_override_of_an_unknown_key(tmp_path):
    write(tmp_path, shop())
    (problem,) = override_problems(load_catalogs(tmp_path), {"shop": {"stores": {}}})
    assert problem.startswith("shipyard:applications.shop.stores: unknown key")
    assert "a stack may override enabled, hostname, mesh, services, routes" in problem


def test_an_override_with_a_bad_value(tmp_path):
    write(tmp_path, shop())
    (problem,) = override_problems(load_catalogs(tmp_path),
                                   {"shop": {"services": {"api": {"replicas": 0}}}})
    assert problem.startswith("shipyard:applications.shop.services.api.replicas: ")
    assert "(value: 0)" in problem


def test_an_override_that_breaks_a_cross_check(tmp_path):
    write(tmp_path, shop())
    (problem,) = override_problems(load_catalogs(tmp_path),
                                   {"shop": {"services": {"web": {"tag": "latest"}}}})
    assert problem.startswith("shipyard:applications.shop.services.web.tag: ")


def test_enabled_false_drops_the_application(tmp_path):
    write(tmp_path, shop())
    other = shop()
    other["name"] = "zoo"
    write(tmp_path, other)
    catalogs = load_catalogs(tmp_path)
    assert set(resolve(catalogs, {})) == {"shop", "zoo"}
    assert set(resolve(catalogs, {"shop": {"enabled": False}})) == {"zoo"}


def test_a_catalog_may_be_disabled_and_a_stack_enable_it(tmp_path):
    data = shop()
    data["enabled"] = False
    write(tmp_path, data)
    catalogs = load_catalogs(tmp_path)
    assert resolve(catalogs, {}) == {}
    assert set(resolve(catalogs, {"shop": {"enabled": True}})) == {"shop"}


def test_override_precedence_catalog_then_environment_then_stack(tmp_path):
    data = shop()
    data["environments"] = {"dev": {"services": {"web": {"replicas": 3}}}}
    write(tmp_path, data)
    catalogs = load_catalogs(tmp_path)
    stack = {"shop": {"services": {"web": {"replicas": 4}}}}
    assert resolve(catalogs, {}, "prod")["shop"].services["web"].replicas == 2    # catalog
    assert resolve(catalogs, {}, "dev")["shop"].services["web"].replicas == 3     # environment
    assert resolve(catalogs, stack, "dev")["shop"].services["web"].replicas == 4  # stack
    assert resolve(catalogs, stack, "prod")["shop"].services["web"].replicas == 4
    # what the override does not name stays as the catalog and environment have it
    dev = resolve(catalogs, stack, "dev")["shop"]
    assert dev.services["web"].tag == "1.0.0" and dev.services["api"].replicas == 2


def test_a_stack_override_reaches_nested_fields(tmp_path):
    write(tmp_path, shop())
    catalogs = load_catalogs(tmp_path)
    app = resolve(catalogs, {"shop": {"hostname": "Store.Example.com.", "services": {
        "web": {"tag": "1.2.3", "replicas": None,
                "autoscaling": {"minReplicas": 2, "maxReplicas": 4, "cpuUtilization": 60}}}}})
    web = app["shop"].services["web"]
    assert app["shop"].hostname == "store.example.com"
    assert web.tag == "1.2.3" and web.replicas is None
    assert (web.min_replicas, web.max_replicas) == (2, 4)


# ---------------------------------------------------------------------------------------------
# The real catalogs


def test_the_five_seed_catalogs_load():
    catalogs = load_catalogs()
    assert set(catalogs) == SEED_CATALOGS
    for name, data in catalogs.items():
        assert data["seed"].startswith(("000_", "001_", "002_", "003_", "004_")), name


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_five_seed_catalogs_resolve_in_every_environment(env):
    apps = resolve(load_catalogs(), {}, env)
    assert set(apps) == SEED_CATALOGS
    images = [img for app in apps.values() for img in app.images()]
    assert len(images) == len(set(images))
    for app in apps.values():
        for name, svc in app.services.items():
            assert svc.image == f"{app.name}/{name}", (app.name, name)
            assert svc.tag == "1.0.0", (app.name, name)


def test_the_seed_catalogs_use_unique_hostnames():
    apps = resolve(load_catalogs(), {}, "prod")
    hosts = {app.hostname for app in apps.values()}
    assert hosts == {"mentor", "learn", "sre", "code", "portal"}


def test_the_catalog_directory_is_the_repository_catalogs_folder():
    assert CATALOG_DIR.name == "catalogs" and (CATALOG_DIR / "mentorplatform.yaml").exists()


# ---------------------------------------------------------------------------------------------
# Through the stack's settings


def settings(catalog_dir: Path, raw: dict[str, Any] | None = None, stack: str = "prod"):
    return parse_settings({**REQUIRED, **(raw or {})}, project="shipyard", stack=stack,
                          region="us-east-1", catalog_dir=catalog_dir)


def test_parse_settings_reports_a_bad_catalog_by_file(tmp_path):
    data = shop()
    data["services"]["web"]["tag"] = "latest"
    write(tmp_path, data)
    with pytest.raises(SettingsError) as info:
        settings(tmp_path)
    (problem,) = info.value.problems
    assert problem.startswith(f"{tmp_path / 'shop.yaml'}: services.web.tag: ")


def test_parse_settings_reports_a_bad_override_by_config_key(tmp_path):
    write(tmp_path, shop())
    raw = {"applications": json.dumps({"shop": {"services": {"web": {"replicas": 0}}}})}
    with pytest.raises(SettingsError) as info:
        settings(tmp_path, raw)
    (problem,) = info.value.problems
    assert problem.startswith("shipyard:applications.shop.services.web.replicas: ")


def test_parse_settings_resolves_the_catalogs_for_the_stack(tmp_path):
    data = shop()
    data["environments"] = {"dev": {"services": {"web": {"replicas": 1}}}}
    write(tmp_path, data)
    (app,) = settings(tmp_path, stack="dev").applications
    assert app.services["web"].replicas == 1
    assert settings(tmp_path, stack="dev").images == ["shop/web", "shop/api"]
    (app,) = settings(tmp_path).applications
    assert app.services["web"].replicas == 2


def test_the_seed_catalogs_are_not_modified_by_resolving():
    catalogs = load_catalogs()
    before = copy.deepcopy(catalogs)
    for env in ("dev", "staging", "prod"):
        resolve_applications(catalogs, {"code-learn": {"services": {"api-gateway": {
            "tag": "2.0.0"}}}}, env)
    assert catalogs == before


# -- rules added after review ------------------------------------------------------------------


def test_canary_and_blue_green_tags_are_never_latest(tmp_path):
    data = shop()
    data["services"]["web"]["delivery"] = {"strategy": "canary",
                                           "canary": {"tag": "latest", "weight": 10}}
    problem = one_problem(tmp_path, data)
    assert "services.web.delivery.canary.tag: " in problem and "never latest" in problem
    data["services"]["web"]["delivery"] = {"strategy": "blueGreen", "blueGreen": {
        "active": "blue", "blue": "1.0.0", "green": "latest"}}
    problem = one_problem(tmp_path, data)
    assert "services.web.delivery.blueGreen.green: " in problem


def test_an_environment_section_may_not_rename_the_application(tmp_path):
    data = shop()
    data["environments"] = {"dev": {"name": "other"}}
    problem = one_problem(tmp_path, data)
    assert problem.startswith(f"{tmp_path / 'shop.yaml'}: environments.dev.name: not "
                              f"overridable per environment")


def test_mesh_only_resilience_needs_the_mesh(tmp_path):
    data = shop()
    data["services"]["api"]["resilience"] = {"retries": {"attempts": 3}}
    problem = one_problem(tmp_path, data)
    assert "services.api.resilience.retries: the mesh enforces it" in problem
    data["services"]["api"]["resilience"] = {"timeoutSeconds": 3}  # api is not routed
    assert "services.api.resilience.timeoutSeconds: " in one_problem(tmp_path, data)
    data["mesh"] = True
    write(tmp_path, data)
    load_catalogs(tmp_path)  # the mesh enforces both


def test_object_storage_needs_aws_access(tmp_path):
    data = shop()
    data["stores"]["files"] = {"kind": "objectStorage"}
    data["services"]["api"]["uses"].append({"store": "files"})
    assert "services.api.aws: it uses the object storage 'files'" in one_problem(tmp_path, data)


def test_a_service_is_not_its_own_caller_and_uses_a_store_once(tmp_path):
    data = shop()
    data["services"]["api"]["callers"] = ["api"]
    assert "services.api.callers[0]: a service does not list itself" in one_problem(
        tmp_path, data)
    data = shop()
    data["services"]["api"]["uses"].append({"store": "pg"})
    assert "services.api.uses[1].store: used twice" in one_problem(tmp_path, data)


def test_a_key_written_twice_and_a_yml_file_are_refused(tmp_path):
    (tmp_path / "shop.yaml").write_text("name: shop\nhostname: a\nhostname: b\n")
    (tmp_path / "other.yml").write_text("name: other\n")
    with pytest.raises(CatalogError) as info:
        load_catalogs(tmp_path)
    text = str(info.value)
    assert "other.yml: catalogs end in .yaml" in text
    assert "shop.yaml:3:1: invalid YAML:" in text and "'hostname' written twice" in text


def test_a_stack_may_take_an_application_out_of_the_mesh_and_is_told_what_goes(tmp_path):
    data = shop()
    data["mesh"] = True
    data["services"]["api"]["resilience"] = {"retries": {"attempts": 3}}
    write(tmp_path, data)
    (app,) = resolve_applications(load_catalogs(tmp_path), {"shop": {"mesh": False}}, "prod")
    assert not app.mesh and app.unenforced() == ["api.resilience.retries"]
