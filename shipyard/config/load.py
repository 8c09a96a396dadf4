"""Reading the stack's configuration: the only module that touches ``pulumi.Config``.

``load_settings()`` gathers the stack's raw ``shipyard:*`` keys, lays them over the
environment's defaults (``shipyard.config.defaults``), validates each section's values
(``shipyard.config.<section>``), runs the rules across them (``shipyard.config.checks``) and
resolves the hosted applications' catalogs. Any problem becomes a ``SettingsError`` whose lines
each name the full config key (``shipyard:network.cidr``) and the offending value; it is raised
before the program registers a single resource.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from shipyard.catalog.load import CATALOG_DIR, CatalogError, load_catalogs, resolve_applications
from shipyard.config import checks
from shipyard.config.base import (
    NAMESPACE,
    SECRET_KEYS,
    Problem,
    SettingsError,
    join_path,
    key_path,
    lookup,
)
from shipyard.config.cluster import ClusterMode
from shipyard.config.defaults import EXISTING_CLUSTER_DEFAULTS, deep_merge, environment_defaults
from shipyard.config.stack import UI_HOSTNAMES, Environment, Settings, StackConfig

# Parsing


def parse_value(raw: Any) -> Any:
    """Config values arrive as strings; objects and lists are JSON-encoded."""
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The known camelCase keys of the model found at ``loc`` (for 'did you mean')."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = next((f for n, f in current.model_fields.items()
                      if (f.alias or n) == part), None)
        if field is None:
            continue  # a dict key (a node group's name, say): the model is the dict's value
        ann = field.annotation
        args = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type)]
        current = next((a for a in [ann, *args]
                        if isinstance(a, type) and issubclass(a, BaseModel)), None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _describe(error: dict[str, Any], merged: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    if loc and loc[0] in SECRET_KEYS:
        return f"{NAMESPACE}:{key_path(loc)}: {error['msg']} (value: [secret])"
    exc = (error.get("ctx") or {}).get("error")
    if isinstance(exc, Problem):
        return Problem(join_path(loc, exc.path), exc.value, exc.message).render()
    key = f"{NAMESPACE}:{key_path(loc)}"
    if error["type"] == "extra_forbidden":
        known = _fields_at(StackConfig, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        more = f"; did you mean '{hint[0]}'?" if hint else (
            f"; known keys here: {', '.join(known)}" if known else "")
        return f"{key}: unknown key (value: {json.dumps(error['input'])}){more}"
    if error["type"] == "missing":
        return f"{key}: required but not set"
    message = error["msg"].removeprefix("Value error, ")
    value = lookup(merged, loc)
    return f"{key}: {message} (value: {json.dumps(value, default=str)})"


def parse_settings(raw: Mapping[str, Any], *, project: str, stack: str,
                   region: str | None, secret_keys: frozenset[str] | None = None,
                   catalog_dir: Path = CATALOG_DIR) -> Settings:
    """Pure: raw ``shipyard:*`` config (keys without the namespace, values as Pulumi hands
    them over) -> Settings, or SettingsError naming every bad key. ``secret_keys`` are the raw
    keys set with ``--secret`` (None: not known, not checked)."""
    problems: list[str] = []
    if secret_keys is not None:
        for key in SECRET_KEYS:
            if key in raw and key not in secret_keys:
                raise SettingsError([f"{NAMESPACE}:{key}: must be set as a secret (pulumi "
                                     f"config set --secret {key} ...) (value: [secret])"])
    user = {k: (v if k in SECRET_KEYS else parse_value(v)) for k, v in raw.items()}
    env = user.get("environment", stack)
    try:
        env_enum = Environment(env)
    except ValueError:
        key = "environment" if "environment" in user else None
        if key:
            problems.append(f"{NAMESPACE}:environment: must be one of dev, staging, prod "
                            f"(value: {json.dumps(env)})")
        else:
            problems.append(f"{NAMESPACE}:environment: required for stack {stack!r} (one of dev,"
                            f" staging, prod), since the stack name is not one of them")
        raise SettingsError(problems) from None
    if not region:
        raise SettingsError(["aws:region: required but not set"])
    defaults = environment_defaults(env_enum.value)
    notes: list[str] = []
    if isinstance(user.get("cluster"), Mapping) and user["cluster"].get("mode") == "existing":
        defaults = deep_merge(defaults, EXISTING_CLUSTER_DEFAULTS)
        notes.append("cluster.mode is existing: addons.loadBalancerController, externalDns and "
                     "karpenter are off unless set (they need the EKS OIDC provider for IRSA), "
                     "and certManager issues from a self-signed CA unless set")
    merged = deep_merge(defaults, user)
    merged["environment"] = env_enum.value
    notes += _follow_switches(merged, user)
    try:
        config = StackConfig.model_validate(merged)
    except ValidationError as exc:
        raise SettingsError([_describe(e, merged) for e in exc.errors()]) from None
    problems = checks.config_problems(config, region)
    if problems:
        raise SettingsError(problems)
    try:
        apps = resolve_applications(load_catalogs(catalog_dir), config.applications,
                                    env_enum.value, prefix=f"{NAMESPACE}:applications")
    except CatalogError as exc:
        raise SettingsError(exc.problems) from None
    for app in apps:
        if app.unenforced():
            notes.append(f"applications.{app.name} is out of the mesh: nothing enforces "
                         f"{', '.join(app.unenforced())}")
    aws = [f"{app.name}/{n}" for app in apps for n, s in app.services.items() if s.aws]
    if aws and config.cluster.mode is ClusterMode.EXISTING:
        notes.append(f"cluster.mode is existing: {', '.join(aws)} get no IRSA role (it needs "
                     f"the EKS OIDC provider); their stores run in the cluster")
    settings = Settings(project=project, stack=stack, region=region, config=config,
                        notes=tuple(notes), applications=tuple(apps))
    problems = checks.application_problems(settings)
    if problems:
        raise SettingsError(problems)
    return settings


def _follow_switches(merged: dict[str, Any], user: Mapping[str, Any]) -> list[str]:
    """What the defaults turned on but the user's switches make pointless goes off with them,
    with a note: Kiali without Istio or Prometheus, UI hostnames without the Gateway. What the
    user set explicitly stays, and is checked (``addon_problems``)."""
    addons = merged.get("addons")
    own = user.get("addons") if isinstance(user.get("addons"), Mapping) else {}
    if not isinstance(addons, dict):
        return []

    def on(key: str) -> bool:
        section = addons.get(key)
        return not isinstance(section, Mapping) or section.get("enabled", True) is not False

    def user_set(key: str, field: str) -> bool:
        section = own.get(key) if isinstance(own, Mapping) else None
        return isinstance(section, Mapping) and field in section

    notes = []
    kiali = addons.get("kiali")
    if isinstance(kiali, dict) and on("kiali") and not user_set("kiali", "enabled") and \
            not (on("istio") and on("monitoring")):
        kiali["enabled"] = False
        notes.append("addons.kiali is off: it shows the Istio mesh from Prometheus, and "
                     "addons.istio or addons.monitoring is off")
    if not on("ingress"):
        dropped = []
        for key, field in UI_HOSTNAMES:
            section = addons.get(key)
            if isinstance(section, dict) and section.get(field) and not user_set(key, field):
                section[field] = None
                dropped.append(f"addons.{key}.{field}")
        if dropped:
            notes.append(f"addons.ingress is off: {', '.join(dropped)} unset, those UIs are "
                         f"reachable by port-forward only")
    return notes


def raw_stack_config() -> tuple[dict[str, Any], frozenset[str]]:
    """Every ``shipyard:*`` key the engine handed this program (without the namespace), and
    which of them are secrets."""
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix):]: runtime_config.get_config(k)
           for k in sorted(keys) if k.startswith(prefix)}
    secret = frozenset(k for k in raw if runtime_config.is_config_secret(prefix + k)
                       or prefix + k in runtime_config.get_config_secret_keys_env())
    return raw, secret


def load_settings() -> Settings:
    """Read this stack's config once and validate it. Raises SettingsError."""
    raw, secret = raw_stack_config()
    return parse_settings(
        raw,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        region=pulumi.Config("aws").get("region"),
        secret_keys=secret,
    )
