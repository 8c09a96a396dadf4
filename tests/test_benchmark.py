"""The plan benchmark (benchmarks/): it grows the platform with valid tenants, and its SDK floor
is the program's own registrations through the SDK's own classes, nothing less."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from benchmarks import plan_scale, sdk_floor
from offline.harness import BUILTIN_API_GROUPS
from shipyard.catalog.load import CATALOG_DIR, load_catalogs, resolve_applications


def test_synthetic_tenants_are_valid_catalogs_of_four_services(tmp_path: Path):
    catalogs = tmp_path / "catalogs"
    shutil.copytree(CATALOG_DIR, catalogs)
    for index in range(3):
        catalog = plan_scale.synthetic_catalog(index)
        (catalogs / f"{catalog['name']}.yaml").write_text(yaml.safe_dump(catalog))
    loaded = load_catalogs(catalogs)  # raises CatalogError naming any bad field
    apps = {a.name: a for a in resolve_applications(loaded, {}, "dev", prefix="shipyard")}
    synthetic = [apps[f"bench-{i:03d}"] for i in range(3)]
    assert [len(a.services) for a in synthetic] == [4, 4, 4]
    assert {a.hostname for a in synthetic} == {"bench-000", "bench-001", "bench-002"}
    assert [a.mesh for a in synthetic] == [True, False, True]  # both kinds of tenant


def test_the_floor_registers_parents_providers_and_dependencies_first(prod):
    records = [r.to_json() for r in prod.resources]
    order = sdk_floor.registration_order(records)
    assert sorted(r["urn"] for r in order) == sorted(r["urn"] for r in records)
    seen: set[str] = set()
    urns = {r["urn"] for r in records}
    for r in order:
        needs = {r["parent"], r["provider"], *r["dependencies"]} & urns
        assert needs <= seen, r["urn"]
        seen.add(r["urn"])


def test_the_floor_uses_the_sdk_class_of_every_type_the_plans_hold(stack_plan):
    for type_ in sorted({r.type for r in stack_plan.resources if r.custom}):
        cls = sdk_floor.sdk_class(type_)
        if type_.startswith("pulumi:providers:"):
            continue
        assert cls is not None, type_
        builtin = type_.startswith(tuple("kubernetes:" + g for g in BUILTIN_API_GROUPS)) or \
            type_.startswith("kubernetes:helm.sh/")
        if type_.startswith("kubernetes:") and not builtin:
            assert cls.__name__ == "CustomResource", type_  # a CRD's kind: the generic class
        else:
            assert cls.__name__ == type_.rsplit(":", 1)[1], type_  # its own typed class


def test_the_floor_replays_a_plan_registration_for_registration(dev):
    # one component's subtree with the providers it names: the same URNs come back, and the
    # floor refuses a replay that registered anything else
    top = next(r for r in dev.resources if r.type == "shipyard:registry:Registry")
    subtree = [top, *dev.descendants(top)]
    providers = {r.provider for r in subtree} - {None}
    records = [r.to_json() for r in dev.resources if r.urn in providers] + \
        [r.to_json() for r in subtree]
    sdk_floor.run({"stack": dev.stack, "project": dev.project, "resources": records,
                   "outputs": {}})


def test_the_floor_builds_each_resource_through_its_own_constructor(stack_plan):
    # every input of every typed resource maps onto a keyword argument of its class, so the
    # floor pays the typed classes' own argument handling, as the program does
    for r in stack_plan.resources:
        cls = sdk_floor.sdk_class(r.type) if r.custom else None
        if cls is None or cls.__name__ == "CustomResource":
            continue
        assert sdk_floor.python_kwargs(cls, r.inputs) is not None, (r.type, sorted(r.inputs))
