"""Offline, strict validation of shipyard's custom resources against the real CRD schemas.

The schemas are upstream projects' data, so they are not in this repository. They are read, at
first use, from the first of:

1. the directory ``$SHIPYARD_CRDS`` names (when set, only it);
2. ``../shared/crds`` beside the repository (CI copies it there): one JSON file per source with
   the ``openAPIV3Schema`` of every served version of each kind shipyard writes (descriptions
   removed) and the repository, tag, path and commit it came from (``sources()``);
3. the user's cache, ``${XDG_CACHE_HOME:-~/.cache}/shipyard/crds``, which
   ``python -m offline.crd_schemas fetch`` fills with the pinned releases' CRD YAML, downloaded
   from their upstream release URLs (``release_urls()``, built from ``shipyard/versions.py``).

A directory may hold both forms: JSON bundles, and raw CRD YAML (``*.yaml``/``*.yml``, any
other documents in it ignored), whose served versions' ``openAPIV3Schema`` are extracted when
read (descriptions dropped, Go's ``^(?i)...`` patterns made Python's ``(?i)^...``).

Until one of them holds schemas, nothing is checked and nothing says it passed: every reader
here raises ``SchemasUnavailable`` (the test suite turns it into a skip with its message), and
the plan lists every custom resource as unchecked with ``missing()``'s reason.

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
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from shipyard import versions

if TYPE_CHECKING:  # imported where a schema is checked: plan.py only asks what is covered
    import jsonschema

ENV_VAR = "SHIPYARD_CRDS"
REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared" / "crds"
FETCH_COMMAND = "python -m offline.crd_schemas fetch"
_YAML_SUFFIXES = (".yaml", ".yml")
_SOURCE_LINE = "# source: "   # the header fetch() writes into each file it downloads


class SchemasUnavailable(LookupError):
    """No CRD schemas to check against: the message says where they were looked for and how to
    get them."""


def cache_dir() -> Path:
    """``${XDG_CACHE_HOME:-~/.cache}/shipyard/crds``: where ``fetch`` puts the schemas."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "shipyard" / "crds"


def search_path() -> list[Path]:
    """The directories read, in order: ``$SHIPYARD_CRDS`` alone when it is set."""
    named = os.environ.get(ENV_VAR)
    return [Path(named).expanduser()] if named else [SHARED_DIR, cache_dir()]


def _schema_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir()
                  if p.is_file() and (p.suffix == ".json" or p.suffix in _YAML_SUFFIXES))


def schema_dir() -> Path | None:
    """The first directory of ``search_path()`` that holds schema files, or None."""
    return next((d for d in search_path() if _schema_files(d)), None)


def missing() -> str | None:
    """Why no CRD schemas are available (None when they are)."""
    if schema_dir() is not None:
        return None
    looked = ", ".join(str(d) for d in search_path())
    return (f"no CRD schemas found (looked in {looked}); `{FETCH_COMMAND}` downloads the "
            f"pinned CRDs into {cache_dir()}, or set {ENV_VAR} to a directory that holds them")


# ---------------------------------------------------------------------------------------------
# Reading a directory: JSON bundles and raw CRD YAML


def _drop_descriptions(node: Any) -> Any:
    """A schema without its description texts (a *property* named description stays)."""
    if isinstance(node, dict):
        return {k: _drop_descriptions(v) for k, v in node.items()
                if not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [_drop_descriptions(v) for v in node]
    return node


_GO_GLOBAL_FLAGS = re.compile(r"^\^\(\?([a-zA-Z]+)\)")


def _python_patterns(node: Any) -> Any:
    """Go's RE2 takes ``^(?i)...``; Python only takes global flags first: ``(?i)^...``."""
    if isinstance(node, dict):
        out = {k: _python_patterns(v) for k, v in node.items()}
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            out["pattern"] = _GO_GLOBAL_FLAGS.sub(r"(?\1)^", pattern)
        return out
    if isinstance(node, list):
        return [_python_patterns(v) for v in node]
    return node


def schemas_of_crds(documents: Iterator[Any]) -> dict[str, dict[str, Any]]:
    """``group/version/Kind`` -> openAPIV3Schema for every served version of every
    CustomResourceDefinition among ``documents`` (anything else is skipped)."""
    out: dict[str, dict[str, Any]] = {}
    for doc in documents:
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc.get("spec") or {}
        group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
        for version in spec.get("versions") or []:
            schema = ((version.get("schema") or {}).get("openAPIV3Schema"))
            if version.get("served") and isinstance(schema, dict):
                key = f"{group}/{version['name']}/{kind}"
                out[key] = _python_patterns(_drop_descriptions(schema))
    return out


def _yaml_source(path: Path, text: str) -> dict[str, Any]:
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if line.startswith(_SOURCE_LINE):
            return json.loads(line[len(_SOURCE_LINE):])
    return {"file": path.name}


def _read(path: Path) -> dict[str, Any]:
    """One file as ``{"source", "schemas"}``, whichever form it is in."""
    text = path.read_text()
    if path.suffix == ".json":
        return json.loads(text)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return {"source": _yaml_source(path, text),
            "schemas": schemas_of_crds(yaml.load_all(text, Loader=loader))}


class _Store:
    """One directory's schemas, read once: its files, and each kind's schema, CEL rule count
    and validator (built when first asked)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files = {p.name: _read(p) for p in _schema_files(directory)}
        self.index: dict[str, tuple[str, dict[str, Any]]] = {}
        for name, data in self.files.items():
            for key, schema in data["schemas"].items():
                self.index.setdefault(key, (name, schema))
        self.cel: dict[str, int] = {}
        self.validators: dict[str, Any] = {}


@functools.cache
def _store_for(directory: Path) -> _Store:
    return _Store(directory)


def _store() -> _Store:
    directory = schema_dir()
    if directory is None:
        raise SchemasUnavailable(f"CRD schema checks skipped: {missing()}")
    return _store_for(directory)


def require() -> Path:
    """The directory the schemas are read from; raises ``SchemasUnavailable`` without one."""
    return _store().directory


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


def _key(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}/{kind}"


def sources() -> dict[str, dict[str, Any]]:
    """File name -> where its schemas came from: {"repo", "ref", "path", "commit"} for a shared
    bundle, {"repo", "ref", "urls"} for what ``fetch`` downloaded, {"file"} for other YAML
    (read when first asked, not at import)."""
    return {name: data["source"] for name, data in _store().files.items()}


def describe(source: dict[str, Any]) -> str:
    """``cert-manager/cert-manager v1.21.1`` (or the file's name, for YAML of unknown origin)."""
    if "repo" in source:
        return f"{source['repo']} {source.get('ref', '')}".strip()
    return str(source.get("file", "?"))


def kinds() -> list[str]:
    """Every ``group/version/Kind`` with a schema."""
    return sorted(_store().index)


def source_for(api_version: str, kind: str) -> dict[str, Any] | None:
    """Where the kind's schema came from (see ``sources``), or None."""
    store = _store()
    hit = store.index.get(_key(api_version, kind))
    return store.files[hit[0]]["source"] if hit else None


def schema_for(api_version: str, kind: str) -> dict[str, Any] | None:
    """The CRD's openAPIV3Schema (descriptions stripped) for a served version, or None."""
    hit = _store().index.get(_key(api_version, kind))
    return copy.deepcopy(hit[1]) if hit else None


def _count_cel(node: Any) -> int:
    if isinstance(node, dict):
        own = len(node.get("x-kubernetes-validations") or [])
        return own + sum(_count_cel(v) for k, v in node.items()
                         if k not in ("x-kubernetes-validations", "default", "enum"))
    if isinstance(node, list):
        return sum(_count_cel(v) for v in node)
    return 0


def cel_rules(api_version: str, kind: str) -> int:
    """How many x-kubernetes-validations (CEL) rules the schema carries; validate() skips them."""
    store, key = _store(), _key(api_version, kind)
    if key not in store.cel:
        hit = store.index.get(key)
        store.cel[key] = _count_cel(hit[1]) if hit else 0
    return store.cel[key]


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
            import jsonschema

            yield jsonschema.ValidationError(
                f"duplicate entry: items {seen[ident]} and {i} have the same "
                f"{', '.join(keys)}", path=[i])
        else:
            seen[ident] = i


@functools.cache
def _validator_class() -> Any:
    import jsonschema

    return jsonschema.validators.extend(jsonschema.Draft7Validator,
                                        {"x-list-map-keys": _list_map_keys})


def _validator(api_version: str, kind: str) -> Any:
    store, key = _store(), _key(api_version, kind)
    if key not in store.validators:
        hit = store.index.get(key)
        store.validators[key] = None if hit is None else _validator_class()(
            _document_schema(hit[1]))
    return store.validators[key]


def _document_schema(crd_schema: dict[str, Any]) -> dict[str, Any]:
    schema = _convert(crd_schema)
    schema.setdefault("properties", {})
    schema["properties"]["metadata"] = _METADATA
    schema["properties"]["apiVersion"] = {"type": "string"}
    schema["properties"]["kind"] = {"type": "string"}
    schema["additionalProperties"] = False
    return schema


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
        import jsonschema

        best = jsonschema.exceptions.best_match(error.context)
        detail = next(_messages(best), best.message) if best is not None else ""
        yield f"{_path(path)}: not valid under {kind} ({detail})"
    else:
        message = error.message.replace(repr(error.instance), _short(error.instance))
        yield f"{_path(path)}: {message}"


def validate(obj: dict[str, Any]) -> list[str]:
    """Every way ``obj`` breaks its CRD schema, as "path: message"; [] when it is valid.
    An object whose apiVersion/kind has no schema gets one error saying so; without any schemas
    at all this raises ``SchemasUnavailable`` (it never returns [] unchecked)."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return ["<root>: apiVersion and kind must be strings"]
    validator = _validator(api_version, kind)
    if validator is None:
        return [f"<root>: no CRD schema for {api_version} {kind}"]
    errors = sorted(validator.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path])
    return [message for error in errors for message in _messages(error)]


# ---------------------------------------------------------------------------------------------
# Fetching: the pinned releases' CRDs, from upstream, into the user's cache

_RAW = "https://raw.githubusercontent.com"


@dataclass(frozen=True)
class Release:
    """Where the CRDs of one pinned release are published: ``name`` is the cached file's stem."""

    name: str
    repo: str
    ref: str
    urls: tuple[str, ...]


def _raw(repo: str, ref: str, *paths: str) -> tuple[str, ...]:
    """Files of ``repo`` at the release tag ``ref``."""
    return tuple(f"{_RAW}/{repo}/{ref}/{path}" for path in paths)


def releases() -> list[Release]:
    """Every source of the CRDs shipyard writes custom resources for, at the versions
    ``shipyard/versions.py`` pins: a release asset where the project publishes its CRDs as one
    (Gateway API, cert-manager, the RabbitMQ operator), else the CRD files at the release tag."""
    charts = versions.CHARTS
    gateway, cert_manager = versions.GATEWAY_API_VERSION, charts["cert-manager"].version
    istio, karpenter = charts["istio-base"].version, "v" + charts["karpenter-crd"].version
    argo_cd, cnpg = versions.ARGO_CD_VERSION, versions.CLOUDNATIVE_PG_VERSION
    prometheus = "kube-prometheus-stack-" + charts["kube-prometheus-stack"].version
    mongodb = charts["mongodb-kubernetes"].version
    rabbitmq = versions.RABBITMQ_CLUSTER_OPERATOR_VERSION
    snapshotter = versions.SNAPSHOT_CONTROLLER_CRDS_VERSION
    return [
        Release(f"gateway-api-{gateway}", "kubernetes-sigs/gateway-api", gateway,
                (versions.GATEWAY_API_CRDS,)),
        Release(f"cert-manager-{cert_manager}", "cert-manager/cert-manager", cert_manager,
                (f"https://github.com/cert-manager/cert-manager/releases/download/"
                 f"{cert_manager}/cert-manager.crds.yaml",)),
        Release(f"istio-{istio}", "istio/istio", istio,
                _raw("istio/istio", istio, "manifests/charts/base/files/crd-all.gen.yaml")),
        Release(f"karpenter-{karpenter}", "aws/karpenter-provider-aws", karpenter,
                _raw("aws/karpenter-provider-aws", karpenter,
                     "pkg/apis/crds/karpenter.sh_nodepools.yaml",
                     "pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml")),
        Release(f"argo-cd-{argo_cd}", "argoproj/argo-cd", argo_cd,
                _raw("argoproj/argo-cd", argo_cd, "manifests/crds/appproject-crd.yaml",
                     "manifests/crds/applicationset-crd.yaml")),
        Release(f"cloudnative-pg-{cnpg}", "cloudnative-pg/cloudnative-pg", cnpg,
                _raw("cloudnative-pg/cloudnative-pg", cnpg,
                     *(f"config/crd/bases/postgresql.cnpg.io_{plural}.yaml"
                       for plural in ("clusters", "databases", "databaseroles")))),
        Release(prometheus, "prometheus-community/helm-charts", prometheus,
                _raw("prometheus-community/helm-charts", prometheus,
                     *(f"charts/kube-prometheus-stack/charts/crds/crds/crd-{plural}.yaml"
                       for plural in ("servicemonitors", "podmonitors", "prometheusrules")))),
        Release(f"mongodb-kubernetes-{mongodb}", "mongodb/mongodb-kubernetes", mongodb,
                _raw("mongodb/mongodb-kubernetes", mongodb,
                     "helm_chart/crds/mongodbcommunity.mongodb.com_mongodbcommunity.yaml")),
        Release(f"rabbitmq-cluster-operator-{rabbitmq}", "rabbitmq/cluster-operator", rabbitmq,
                (versions.RABBITMQ_CLUSTER_OPERATOR,)),
        Release(f"external-snapshotter-{snapshotter}", "kubernetes-csi/external-snapshotter",
                snapshotter,
                _raw("kubernetes-csi/external-snapshotter", snapshotter,
                     "client/config/crd/snapshot.storage.k8s.io_volumesnapshotclasses.yaml")),
    ]


def release_urls() -> dict[str, tuple[str, ...]]:
    """Cached file stem -> the URLs ``fetch`` downloads for it."""
    return {r.name: r.urls for r in releases()}


def _download(url: str) -> bytes:
    import urllib.request  # only `fetch` reaches the network

    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


class FetchFailed(RuntimeError):
    """A download failed; the message names the URL."""


def _get(download: Callable[[str], bytes], url: str) -> str:
    try:
        return download(url).decode()
    except (OSError, UnicodeDecodeError) as error:
        raise FetchFailed(f"could not download {url}: {error}") from error


def fetch(into: Path | None = None,
          download: Callable[[str], bytes] | None = None) -> list[Path]:
    """Download every pinned release's CRDs into ``into`` (default: ``cache_dir()``), one YAML
    file per release headed by a ``# source:`` line; returns the files written."""
    download = download or _download
    directory = into or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for release in releases():
        parts = [_get(download, url) for url in release.urls]
        source = {"repo": release.repo, "ref": release.ref, "urls": list(release.urls)}
        text = (f"# Downloaded by `{FETCH_COMMAND}`; upstream's CRDs, not shipyard's.\n"
                f"{_SOURCE_LINE}{json.dumps(source)}\n" + "\n---\n".join(parts))
        path = directory / f"{release.name}.yaml"
        partial = path.with_suffix(".yaml.partial")
        partial.write_text(text)
        partial.replace(path)
        written.append(path)
    _store_for.cache_clear()
    return written


def main(argv: list[str]) -> int:
    if argv[:1] == ["fetch"] and len(argv) <= 2:
        into = Path(argv[1]) if len(argv) == 2 else None
        try:
            written = fetch(into)
        except FetchFailed as error:
            print(error, file=sys.stderr)
            return 1
        for path in written:
            print(f"wrote {path}")
        return 0
    if not argv:
        reason = missing()
        print(reason or f"CRD schemas: {schema_dir()}")
        return 1 if reason else 0
    print(f"usage: python -m offline.crd_schemas [fetch [DIR]]\n"
          f"  fetch: download the pinned CRDs into DIR (default {cache_dir()})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
