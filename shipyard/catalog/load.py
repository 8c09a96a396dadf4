"""Reading the catalogs: every ``catalogs/*.yaml`` checked on its own (its per-environment
sections too), then the applications a stack hosts resolved from them and the stack's
``shipyard:applications.<name>`` overrides. Every problem names the file or the config key."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shipyard import yaml_files
from shipyard.catalog.models import Application
from shipyard.config.base import Problem, clean_loc, join_path, key_path, lookup, render_value
from shipyard.config.defaults import deep_merge

CATALOG_DIR = Path(__file__).resolve().parent.parent.parent / "catalogs"


class CatalogError(ValueError):
    """Bad catalogs or application overrides: one line per problem, each naming its source
    (file or config key) and the field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# ---------------------------------------------------------------------------------------------
# Loading and overriding


def describe(error: dict[str, Any], data: Mapping[str, Any], source: str) -> str:
    """One pydantic error as ``SOURCE: field: message (value: …)``; ``source`` is a file path
    (``catalogs/x.yaml:``) or a config key prefix (``shipyard:applications.x.``)."""
    loc = clean_loc(error)
    exc = (error.get("ctx") or {}).get("error")
    if isinstance(exc, Problem):
        field = join_path(loc, exc.path)
        value, message = exc.value, exc.message
    else:
        field = key_path(loc)
        value = error.get("input") if error["type"] == "extra_forbidden" else lookup(data, loc)
        message = {"extra_forbidden": "unknown field",
                   "missing": "required but not set"}.get(
            error["type"], error["msg"].removeprefix("Value error, "))
    sep = "" if source.endswith(".") else " "
    return f"{source}{sep}{field}: {message} (value: {render_value(value)})"


def validate(data: Mapping[str, Any], source: str, *, stack: bool = False) -> Application:
    try:
        return Application.model_validate(data, context={"stack": stack})
    except ValidationError as exc:
        raise CatalogError([describe(e, data, source) for e in exc.errors()]) from None


_PARSED: dict[tuple[str, int, int], Any] = {}


def _parse(path: Path) -> Any:
    """The file's YAML, parsed once per content (keyed by path, size and modification time:
    a process that runs the program many times, the tests, reads each catalog once)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _PARSED:
        _PARSED[key] = yaml_files.parse(path.read_bytes(), display(path))
    return copy.deepcopy(_PARSED[key])


def read_catalog(path: Path) -> dict[str, Any]:
    """A catalog file as data; errors name the file."""
    label = display(path)
    try:
        data = _parse(path)
    except yaml_files.YamlFileError as exc:
        raise CatalogError([str(exc)]) from None
    if not isinstance(data, dict):
        raise CatalogError([f"{label}: a catalog is a mapping (value: {render_value(data)})"])
    if data.get("name") != path.stem:
        raise CatalogError([f"{label}: name: must equal the file name {path.stem!r} "
                            f"(value: {render_value(data.get('name'))})"])
    return data


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(CATALOG_DIR.parent))
    except ValueError:
        return str(path)


def load_catalogs(directory: Path = CATALOG_DIR) -> dict[str, dict[str, Any]]:
    """Every ``*.yaml`` catalog in ``directory`` as data, each checked on its own (its
    per-environment overrides too). Raises CatalogError naming every bad file and field."""
    problems: list[str] = [f"{display(p)}: catalogs end in .yaml (value: \"{p.name}\")"
                           for p in sorted(directory.glob("*.yml"))]
    catalogs: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = read_catalog(path)
            validate(data, f"{display(path)}:")
            for env, override in (data.get("environments") or {}).items():
                if isinstance(override, Mapping):
                    unknown = [k for k in override if k not in OVERRIDABLE]
                    if unknown:
                        raise CatalogError([
                            f"{display(path)}: environments.{env}.{unknown[0]}: not overridable "
                            f"per environment (value: {render_value(override[unknown[0]])}); "
                            f"these are: {', '.join(OVERRIDABLE)}"])
                    merged = deep_merge({k: v for k, v in data.items() if k != "environments"},
                                       override)
                    validate(merged, f"{display(path)}: environments.{env}.")
        except CatalogError as exc:
            problems.extend(exc.problems)
            continue
        catalogs[path.stem] = data
    if problems:
        raise CatalogError(problems)
    return catalogs


OVERRIDABLE = ("enabled", "hostname", "mesh", "services", "routes", "cdn", "storePlacement")


def resolve_applications(catalogs: Mapping[str, Mapping[str, Any]],
                         overrides: Mapping[str, Any], environment: str,
                         prefix: str = "shipyard:applications") -> list[Application]:
    """The applications a stack hosts: each catalog with its ``environments.<env>`` section
    and then the stack's override laid over it. Errors in an override name its config key."""
    problems: list[str] = []
    for name in overrides:
        if name not in catalogs:
            problems.append(f"{prefix}.{name}: unknown application (value: {json.dumps(name)}); "
                            f"catalogs: {', '.join(sorted(catalogs)) or 'none'}")
    if problems:
        raise CatalogError(problems)
    apps: list[Application] = []
    for name, data in sorted(catalogs.items()):
        override = overrides.get(name) or {}
        if not isinstance(override, Mapping):
            problems.append(f"{prefix}.{name}: an object (value: {render_value(override)})")
            continue
        unknown = [k for k in override if k not in OVERRIDABLE]
        if unknown:
            problems.append(f"{prefix}.{name}.{unknown[0]}: unknown key (value: "
                            f"{render_value(override[unknown[0]])}); a stack may "
                            f"override {', '.join(OVERRIDABLE)}")
            continue
        base = {k: v for k, v in data.items() if k != "environments"}
        env_override = (data.get("environments") or {}).get(environment) or {}
        merged = deep_merge(deep_merge(base, env_override), override)
        try:
            app = validate(merged, f"{prefix}.{name}.", stack=True)
        except CatalogError as exc:
            problems.extend(exc.problems)
            continue
        if app.enabled:
            apps.append(app)
    if problems:
        raise CatalogError(problems)
    return apps
