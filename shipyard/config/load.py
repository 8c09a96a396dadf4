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
import functools
import json
import re
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
from shipyard.config.defaults import (
    AUTO_MODE_DEFAULTS,
    EXISTING_CLUSTER_DEFAULTS,
    deep_merge,
    environment_defaults,
    without_node_groups,
)
from shipyard.config.stack import UI_HOSTNAMES, Environment, Settings, StackConfig
from shipyard.rules import stores as store_rules

# Parsing


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} written twice")
        out[key] = value
    return out


def parse_value(raw: Any) -> Any:
    """Config values arrive as strings; objects and lists are JSON-encoded. A text that starts
    like one but is not strict JSON (no NaN, no key written twice) is a ValueError."""
    if isinstance(raw, str) and raw.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(raw, parse_constant=_no_constant,
                              object_pairs_hook=_unique_pairs)
        except RecursionError:
            raise ValueError("nested too deep") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return raw


# ---------------------------------------------------------------------------------------------
# Secrets: a value set with --secret (or kubeconfig, alertUrls) is never shown

SECRET = "[secret]"
_VALUE = " (value: "


def _field_names(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    """Every key the settings' and catalogs' models know, at any depth."""
    seen = set() if seen is None else seen
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(field.alias or name)
        stack = [field.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                names |= _field_names(ann, seen)
            stack.extend(getattr(ann, "__args__", ()))
    return names


def _keys_in(data: Any) -> set[str]:
    if isinstance(data, Mapping):
        return {str(k) for k in data} | {k for v in data.values() for k in _keys_in(v)}
    if isinstance(data, list):
        return {k for v in data for k in _keys_in(v)}
    return set()


@functools.cache
def _schema_keys() -> frozenset[str]:
    """The keys that are not the user's to choose: the models', the defaults', the catalogs'
    (their names, services and stores)."""
    from shipyard.catalog.models import Application

    known = _field_names(StackConfig) | _field_names(Application)
    for env in Environment:
        known |= _keys_in(environment_defaults(env.value))
    try:
        catalogs = load_catalogs()
    except Exception:  # masking never fails: broken catalogs are reported where they are read
        catalogs = {}
    return frozenset(known | set(catalogs) | _keys_in(catalogs))


def _secret_texts(value: Any) -> set[str]:
    """What a secret value could show as inside a message: its strings (whole, and every one
    inside it, the keys the user chose too) and its numbers. The models' own keys are not
    secret: they say where the problem is."""
    if isinstance(value, Mapping):
        return {t for k, v in value.items() for t in (
            _secret_texts(v) | ({str(k)} if str(k) not in _schema_keys() else set()))}
    if isinstance(value, (list, tuple)):
        return {t for v in value for t in _secret_texts(v)}
    if isinstance(value, bool) or value is None:
        return set()
    return {str(value)} if str(value) else set()


def _scrub(line: str, texts: list[str]) -> str:
    key, sep, rest = line.partition(": ")
    if sep and key.startswith(f"{NAMESPACE}:"):  # a key path's segments, whole
        parts = re.split(r"([.\[\]])", key[len(NAMESPACE) + 1:])
        key = f"{NAMESPACE}:" + "".join(SECRET if p in texts else p for p in parts)
        line = key + sep + rest
    for text in texts:  # longest first
        for form in (json.dumps(text), repr(text)):
            line = line.replace(form, json.dumps(SECRET))
        if len(text) >= 4:
            line = line.replace(text, SECRET)
    return line


def _mask_value(rest: str) -> str:
    """The ``(value: ...)`` of a rendered problem as ``(value: "[secret]")``."""
    start = rest.find(_VALUE)
    if start < 0:
        return rest
    start += len(_VALUE)
    try:
        _, end = json.JSONDecoder().raw_decode(rest, start)
    except ValueError:
        end = rest.find(")", start)
        end = len(rest) if end < 0 else end
    return rest[:start] + json.dumps(SECRET) + rest[end:]


def _problem_root(line: str) -> str | None:
    """The raw config key a rendered problem is under (``shipyard:tags.a: ...`` -> tags)."""
    prefix = f"{NAMESPACE}:"
    if not line.startswith(prefix):
        return None
    key = line[len(prefix):].split(": ", 1)[0]
    return key.split(".", 1)[0].split("[", 1)[0]


def mask_secrets(problems: list[str], raw: Mapping[str, Any],
                 secret_keys: frozenset[str] | None) -> list[str]:
    """``problems`` with the value of every problem under a secret raw key shown as
    ``[secret]``, and any secret's text wherever else it appears (a message quoting it, a
    rule naming another key's value) replaced by ``[secret]`` too."""
    roots = set(SECRET_KEYS) | set(secret_keys or ())
    texts: set[str] = set()
    for key in roots & set(raw):
        texts |= _secret_texts(raw[key])
        try:
            texts |= _secret_texts(parse_value(raw[key]))
        except ValueError:
            pass
    for key in set(raw) - roots:  # what the stack also writes in plain text is no secret
        try:
            value = parse_value(raw[key])
        except ValueError:
            value = raw[key]
        texts -= _secret_texts(value) | _keys_in(value)
    ordered = sorted(texts, key=len, reverse=True)
    out = []
    for line in problems:
        root = _problem_root(line)
        line = _scrub(line, ordered) if ordered else line
        if root in roots:
            key, sep, rest = line.partition(": ")
            line = key + sep + _mask_value(rest)
        out.append(line)
    return out


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
    keys set with ``--secret`` (None: not known, not checked): no problem shows their values
    (nor kubeconfig's and alertUrls')."""
    try:
        return _parse_settings(raw, project=project, stack=stack, region=region,
                               secret_keys=secret_keys, catalog_dir=catalog_dir)
    except SettingsError as exc:
        raise SettingsError(mask_secrets(exc.problems, raw, secret_keys)) from None
    except CatalogError as exc:
        raise SettingsError(mask_secrets(exc.problems, raw, secret_keys)) from None


def _parse_settings(raw: Mapping[str, Any], *, project: str, stack: str, region: str | None,
                    secret_keys: frozenset[str] | None, catalog_dir: Path) -> Settings:
    problems: list[str] = []
    if secret_keys is not None:
        for key in SECRET_KEYS:
            if key in raw and key not in secret_keys:
                raise SettingsError([f"{NAMESPACE}:{key}: must be set as a secret (pulumi "
                                     f"config set --secret {key} ...) (value: [secret])"])
        # a secret anywhere else would be copied, in plain text, into the resources it configures
        known = {f.alias or n for n, f in StackConfig.model_fields.items()}
        plain = sorted(k for k in secret_keys & set(raw) & known if k not in SECRET_KEYS)
        if plain:
            raise SettingsError([f"{NAMESPACE}:{key}: not a secret setting, set it without "
                                 f"--secret (only {', '.join(SECRET_KEYS)} are secrets) (value: "
                                 f"{json.dumps(SECRET)})" for key in plain])
    user: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            user[key] = value if key in SECRET_KEYS else parse_value(value)
        except ValueError as exc:
            problems.append(f"{NAMESPACE}:{key}: not valid JSON: {exc} (value: "
                            f"{json.dumps(value, default=str)})")
    if problems:
        raise SettingsError(problems)
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
                     "karpenter are off unless set (they need an AWS role, which no pod gets on "
                     "a cluster shipyard did not create), and certManager issues from a "
                     "self-signed CA unless set")
    if isinstance(user.get("cluster"), Mapping) and user["cluster"].get("autoMode") is True:
        defaults = deep_merge(without_node_groups(defaults), AUTO_MODE_DEFAULTS)
        notes.append("cluster.autoMode is true: EKS runs the nodes (built-in general-purpose "
                     "and system pools), block storage and load balancing; no managed node "
                     "groups, addons.karpenter and addons.loadBalancerController are off")
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
        for cache in store_rules.unprefixed_caches(app, config.stores):
            notes.append(f"applications.{app.name}.stores.{cache}: a Valkey group of its own "
                         f"under the shared placement: the shared group admits each "
                         f"application's keys and channels by prefix only, and its catalog "
                         f"does not say its clients prefix them (stores.{cache}.keyPrefix: "
                         f"true)")
    aws = [f"{app.name}/{n}" for app in apps for n, s in app.services.items() if s.aws]
    if aws and config.cluster.mode is ClusterMode.EXISTING:
        notes.append(f"cluster.mode is existing: {', '.join(aws)} get no AWS role (neither Pod "
                     f"Identity nor IRSA on a cluster shipyard did not create); their stores run "
                     f"in the cluster")
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
