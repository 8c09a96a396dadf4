"""Offline, strict validation of shipyard's custom resources against the real CRD schemas.

``shipyard/crds/*.json`` vendors the ``openAPIV3Schema`` of every served version of each custom
resource kind shipyard writes, taken from the CRDs of the pinned releases (descriptions
removed). Each file names the repository, tag, path and commit it came from (``sources()``).

``validate(obj)`` checks an object the way the API server's strict field validation does:

- an object schema with ``properties`` (or with nothing at all) and neither
  ``additionalProperties`` nor ``x-kubernetes-preserve-unknown-fields: true`` rejects every
  field it does not name (the API server would prune it; ``kubectl --validate=strict`` refuses);
- ``x-kubernetes-int-or-string`` takes an integer or a string, ``nullable`` admits null,
  ``x-kubernetes-preserve-unknown-fields`` keeps any field, ``x-kubernetes-list-type: set`` /
  ``map`` refuse duplicates (items, or list-map keys);
- a required field with a ``default`` may be left out (the API server defaults it first);
- ``metadata`` is only checked for being an object whose name/namespace are strings and whose
  labels/annotations map strings to strings;
- ``x-kubernetes-validations`` (CEL rules) are NOT evaluated: ``cel_rules()`` counts them so a
  report can say how many went unchecked. Neither is ``format``.

Regenerating a file: take the CRD YAML at the recorded ref, keep the served versions of the
kinds listed in it, strip every ``description`` key, and record the ref and commit.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema

CRD_DIR = Path(__file__).resolve().parent.parent / "shipyard" / "crds"

# Built-in API groups (served by kube-apiserver itself); anything else with a dot is a CRD group.
CORE_GROUPS = frozenset({
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "storage.k8s.io",
    "rbac.authorization.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io",
    "apiregistration.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
    "discovery.k8s.io", "certificates.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io", "storagemigration.k8s.io", "authentication.k8s.io",
    "authorization.k8s.io", "internal.apiserver.k8s.io",
})

_METADATA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "generateName": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
_JUNCTORS = ("allOf", "anyOf", "oneOf")


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def is_custom(api_version: str) -> bool:
    """True for a custom resource's apiVersion (its group is not one kube-apiserver serves)."""
    return group_of(api_version) not in CORE_GROUPS


@functools.cache
def _files() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(CRD_DIR.glob("*.json"))}


@functools.cache
def _index() -> dict[str, tuple[str, dict[str, Any]]]:
    return {key: (name, schema) for name, data in _files().items()
            for key, schema in data["schemas"].items()}


def _key(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}/{kind}"


def sources() -> dict[str, dict[str, str]]:
    """File name -> {"repo", "ref", "path", "commit"}: where each vendored file's schemas came
    from (read when first asked, not at import)."""
    return {name: data["source"] for name, data in _files().items()}


def kinds() -> list[str]:
    """Every ``group/version/Kind`` with a vendored schema."""
    return sorted(_index())


def source_for(api_version: str, kind: str) -> dict[str, str] | None:
    """The repo/ref/path/commit the kind's schema came from, or None."""
    hit = _index().get(_key(api_version, kind))
    return _files()[hit[0]]["source"] if hit else None


def schema_for(api_version: str, kind: str) -> dict[str, Any] | None:
    """The CRD's openAPIV3Schema (descriptions stripped) for a served version, or None."""
    hit = _index().get(_key(api_version, kind))
    return copy.deepcopy(hit[1]) if hit else None


def _count_cel(node: Any) -> int:
    if isinstance(node, dict):
        own = len(node.get("x-kubernetes-validations") or [])
        return own + sum(_count_cel(v) for k, v in node.items()
                         if k not in ("x-kubernetes-validations", "default", "enum"))
    if isinstance(node, list):
        return sum(_count_cel(v) for v in node)
    return 0


@functools.cache
def cel_rules(api_version: str, kind: str) -> int:
    """How many x-kubernetes-validations (CEL) rules the schema carries; validate() skips them."""
    hit = _index().get(_key(api_version, kind))
    return _count_cel(hit[1]) if hit else 0


def _convert(node: dict[str, Any], structural: bool = True) -> dict[str, Any]:
    """A structural-schema node as a Draft 7 JSON Schema with the API server's semantics.
    ``structural`` is False inside allOf/anyOf/oneOf/not: those only add value checks."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key in ("nullable", "default", "format"):
            continue
        if key == "properties":
            out[key] = {name: _convert(sub, structural) for name, sub in value.items()}
        elif key == "items" and isinstance(value, dict):
            out[key] = _convert(value, structural)
        elif key == "additionalProperties" and isinstance(value, dict):
            out[key] = _convert(value, structural)
        elif key in _JUNCTORS:
            out[key] = [_convert(sub, False) for sub in value]
        elif key == "not":
            out[key] = _convert(value, False)
        else:
            out[key] = value
    props = node.get("properties") or {}
    if "required" in out:  # the API server defaults a missing field before it checks required
        required = [r for r in out["required"] if "default" not in props.get(r, {})]
        if required:
            out["required"] = required
        else:
            del out["required"]
    if node.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
    if node.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if (structural and node.get("type") == "object" and not preserve
            and "additionalProperties" not in node):
        out["additionalProperties"] = False
    list_type = node.get("x-kubernetes-list-type")
    if list_type == "set":
        out["uniqueItems"] = True
    elif list_type == "map" and node.get("x-kubernetes-list-map-keys"):
        out["x-list-map-keys"] = list(node["x-kubernetes-list-map-keys"])
    return out


def _list_map_keys(validator: Any, keys: list[str], instance: Any, schema: Any) -> Iterator[Any]:
    if not isinstance(instance, list):
        return
    seen: dict[tuple, int] = {}
    for i, item in enumerate(instance):
        if not isinstance(item, dict):
            continue
        ident = tuple(json.dumps(item.get(k), sort_keys=True) for k in keys)
        if ident in seen:
            yield jsonschema.ValidationError(
                f"duplicate entry: items {seen[ident]} and {i} have the same "
                f"{', '.join(keys)}", path=[i])
        else:
            seen[ident] = i


_Validator = jsonschema.validators.extend(jsonschema.Draft7Validator,
                                          {"x-list-map-keys": _list_map_keys})


@functools.cache
def _validator(api_version: str, kind: str) -> Any:
    hit = _index().get(_key(api_version, kind))
    if hit is None:
        return None
    schema = _convert(hit[1])
    schema.setdefault("properties", {})
    schema["properties"]["metadata"] = _METADATA
    schema["properties"]["apiVersion"] = {"type": "string"}
    schema["properties"]["kind"] = {"type": "string"}
    schema["additionalProperties"] = False
    return _Validator(schema)


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part and all(c.isalnum() or c in "_-$" for c in part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text or "<root>"


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit - 3] + "..."


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
               float: "number", type(None): "null"}


def _messages(error: jsonschema.ValidationError) -> Iterator[str]:
    path = list(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and error.validator_value is False:
        known = error.schema.get("properties", {})
        for field in error.instance:
            if field not in known:
                yield f"{_path([*path, field])}: unknown field {json.dumps(field)}"
    elif kind == "required":
        for field in error.validator_value:
            if isinstance(error.instance, dict) and field not in error.instance:
                yield f"{_path([*path, field])}: required field missing"
    elif kind == "type":
        want = error.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        got = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
        yield f"{_path(path)}: expected {want}, got {got} {_short(error.instance)}"
    elif kind == "enum":
        yield (f"{_path(path)}: {_short(error.instance)} is not one of "
               f"{_short(error.validator_value, 200)}")
    elif kind in ("anyOf", "oneOf") and error.context:
        best = jsonschema.exceptions.best_match(error.context)
        detail = next(_messages(best), best.message) if best is not None else ""
        yield f"{_path(path)}: not valid under {kind} ({detail})"
    else:
        message = error.message.replace(repr(error.instance), _short(error.instance))
        yield f"{_path(path)}: {message}"


def validate(obj: dict[str, Any]) -> list[str]:
    """Every way ``obj`` breaks its CRD schema, as "path: message"; [] when it is valid.
    An object whose apiVersion/kind has no vendored schema gets one error saying so."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return ["<root>: apiVersion and kind must be strings"]
    validator = _validator(api_version, kind)
    if validator is None:
        return [f"<root>: no vendored CRD schema for {api_version} {kind}"]
    errors = sorted(validator.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path])
    return [message for error in errors for message in _messages(error)]
