"""The composition layer: ``compose`` alone reads the settings; the components take narrow Args.

Pure: no program runs here. ``compose`` is called with the stacks' settings and a ClusterContext
of plain values, and what it returns is read as data.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import json
from pathlib import Path

import pytest

from components.addons.addons import AddonsArgs
from components.addons.base import ClusterContext
from compose.addons import addons_args
from compose.applications import applications_args
from offline.harness import read_stack_config
from shipyard.config.defaults import deep_merge
from shipyard.config.load import parse_settings
from shipyard.config.stack import Settings
from tests.support.settings import stack_settings
from tests.support.sources import tree as parsed

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = ROOT / "components"
# What a component may not name: the whole settings and how they are made.
WHOLE_SETTINGS = {"Settings", "StackConfig", "load_settings", "parse_settings"}
CTX = ClusterContext(provider=None, cluster_name="shipyard-test", region="us-east-1",
                     environment="dev", eks=True, identity=object(), vpc_id="vpc-1",
                     database_subnet_ids=["subnet-1"], cluster_endpoint="https://eks",
                     cluster_arn="arn:aws:eks:us-east-1:111111111111:cluster/shipyard-test",
                     cluster_security_group_id="sg-1", zone_id="ZONE",
                     domain="dev.shipyard.example.com")


def settings(addons: dict | None = None, stack: str = "dev", **sections: dict) -> Settings:
    """The stack's settings with ``addons`` (and any other section) merged over its stack
    file's."""
    config, _, project = read_stack_config(stack)
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{project}:")}
    for section, value in {"addons": addons or {}, **sections}.items():
        raw[section] = json.dumps(deep_merge(json.loads(raw.get(section, "{}")), value))
    return parse_settings(raw, project=project, stack=stack, region=config["aws:region"])


@pytest.fixture(autouse=True)
def event_loop():
    """compose makes secret Outputs (Alertmanager's URLs), and an Output needs an event loop:
    the program has Pulumi's, a test its own."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def _named(tree: ast.AST) -> set[str]:
    """Every name a module imports or refers to (imports, names, attributes)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.Attribute):
            out.add(node.attr)
    return out


def _modules() -> dict[str, ast.Module]:
    return {path.relative_to(ROOT).as_posix(): parsed(path)
            for path in sorted(COMPONENTS.rglob("*.py"))}


# -- the property ---------------------------------------------------------------------------


def test_no_component_names_the_whole_settings():
    found = {path: _named(tree) & WHOLE_SETTINGS for path, tree in _modules().items()}
    assert {path: names for path, names in found.items() if names} == {}


def test_no_component_builds_its_args_from_settings():
    for path, tree in _modules().items():
        defined = [node.name for node in ast.walk(tree)
                   if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
        assert "from_settings" not in defined, path


def test_components_never_import_compose():
    for path, tree in _modules().items():
        imported = [node.module or "" for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom)]
        imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for alias in node.names]
        assert not [m for m in imported if m == "compose" or m.startswith("compose.")], path


# -- add-ons ------------------------------------------------------------------------------------


def switched_on(args: AddonsArgs) -> set[str]:
    return {f.name for f in dataclasses.fields(args) if getattr(args, f.name) is not None}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_an_addon_has_args_exactly_when_its_settings_switch_it_on(stack):
    s = stack_settings(stack)
    on = switched_on(addons_args(s, dataclasses.replace(CTX, domain=s.dns.domain)))
    platform = {f.name for f in dataclasses.fields(AddonsArgs)} - {
        "cloudnative_pg", "mongodb_operator", "rabbitmq_operator", "backups"}
    assert on & platform == {name for name in platform
                             if getattr(s.addons, name).enabled}
    assert ("backups" in on) == s.config.backups.enabled
    for operator, kind in (("cloudnative_pg", "postgresql"), ("mongodb_operator", "mongodb"),
                           ("rabbitmq_operator", "rabbitmq")):
        assert (operator in on) == s.hosts_in_cluster(kind), operator


def test_an_addon_switched_off_has_no_args():
    off = {"monitoring", "logging", "tracing", "kiali", "argocd"}
    args = addons_args(settings({"monitoring": {"enabled": False},
                                 "logging": {"enabled": False},
                                 "tracing": {"enabled": False},
                                 "kiali": {"enabled": False},
                                 "argocd": {"enabled": False}}), CTX)
    assert not off & switched_on(args)
    assert {"gateway_api", "cert_manager", "istio", "ingress"} <= switched_on(args)


def test_without_the_gateway_no_ui_gets_a_host():
    """A UI is served at its host only through the shared Gateway: ingress off, none has one
    (Addons then gives them no Exposure either)."""
    exposed = addons_args(settings(), CTX)
    hidden = addons_args(settings({"ingress": {"enabled": False}}), CTX)
    assert exposed.ingress is not None and hidden.ingress is None
    assert exposed.argocd is not None and exposed.argocd.host
    for args in (hidden.monitoring, hidden.kiali, hidden.argocd):
        assert args is not None
    assert hidden.monitoring.grafana_host is None and hidden.argocd.host is None
    assert hidden.kiali.host is None and hidden.kiali.grafana_external_url is None


def test_what_only_the_registered_addons_know_is_left_to_addons():
    args = addons_args(stack_settings("dev"), CTX)
    assert args.cert_manager is not None and args.cert_manager.after == ()
    assert args.ingress is not None and args.ingress.crds == () and args.ingress.after == ()
    assert args.monitoring is not None and args.monitoring.exposure is None
    assert args.backups is not None and args.backups.monitoring is None


# -- applications -------------------------------------------------------------------------------


def test_every_tenant_shares_one_platform():
    s = stack_settings("dev")
    args = applications_args(s, CTX, addons_args(s, CTX), {})
    assert [t.app.name for t in args.tenants] == [app.name for app in s.applications]
    assert all(t.platform is args.platform for t in args.tenants)
    assert args.platform.mesh is not None and args.platform.mesh.injector == ()
    assert args.platform.workload.monitoring is None        # the CRDs: Applications' to give
    assert args.platform.stores is not None and args.platform.stores.operators == {}
    assert [c.app for c in args.cdns] == [app.name for app in s.applications
                                          if app.cdn is not None and app.cdn.enabled]


def test_without_the_ingress_addon_no_tenant_is_routed():
    s = settings({"ingress": {"enabled": False}, "kiali": {"enabled": False},
                  "argocd": {"hostname": None}})
    args = applications_args(s, CTX, addons_args(s, CTX), {})
    assert [t.routing for t in args.tenants] == [None] * len(args.tenants)
    routed = applications_args(stack_settings("dev"), CTX,
                               addons_args(stack_settings("dev"), CTX), {})
    assert any(t.routing is not None for t in routed.tenants)


def test_without_istio_no_tenant_has_a_mesh():
    s = settings({"istio": {"enabled": False}, "kiali": {"enabled": False}},
                 applications={"code-learn": {"enabled": False},
                               "everything-portal": {"enabled": False}})
    args = applications_args(s, CTX, addons_args(s, CTX), {})
    assert args.tenants and args.platform.mesh is None
    assert applications_args(stack_settings("dev"), CTX, addons_args(stack_settings("dev"), CTX),
                             {}).platform.mesh is not None
