"""Custom resources checked offline against the real CRD schemas of the pinned releases.

The schemas are not in the repository: offline.crd_schemas reads them from $SHIPYARD_CRDS, else
../shared/crds (one JSON file per source, each naming its repo, tag, path and commit), else the
cache `python -m offline.crd_schemas fetch` fills with the releases' CRD YAML. Without them the
tests that need them are skipped (tests/conftest.py), with the reason. It validates strictly:
an unknown field anywhere is an error, as it is for the API server's strict field validation.
CEL rules (x-kubernetes-validations) are not evaluated; cel_rules() counts them.

The loader's own tests use a tiny synthetic CRD written here, never upstream's.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline import crd_schemas
from offline.crd_schemas import cel_rules, is_custom, schema_for, source_for, sources, validate
from offline.harness import Plan, unchecked_reason
from offline.manifests import manifests
from shipyard import versions
from shipyard.versions import CHARTS, GATEWAY_API_VERSION, RABBITMQ_CLUSTER_OPERATOR_VERSION
from tests.support.crds import skip_without_crd_schemas

META = {"name": "web", "namespace": "shop", "labels": {"app.kubernetes.io/name": "web"}}

HTTP_ROUTE: dict[str, Any] = {
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": META,
    "spec": {
        "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                        "namespace": "gateway", "name": "platform", "sectionName": "https"}],
        "hostnames": ["shop.example.com"],
        "rules": [{
            "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
            "backendRefs": [{"name": "api", "port": 8080}],
            "filters": [{"type": "ResponseHeaderModifier", "responseHeaderModifier": {
                "set": [{"name": "X-Frame-Options", "value": "DENY"}]}}],
        }],
    },
}
DESTINATION_RULE: dict[str, Any] = {
    "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": META,
    "spec": {
        "host": "web.shop.svc.cluster.local",
        "trafficPolicy": {
            "tls": {"mode": "ISTIO_MUTUAL"},
            "connectionPool": {"tcp": {"maxConnections": 100, "connectTimeout": "2s"},
                               "http": {"http1MaxPendingRequests": 100}},
            "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s",
                                 "baseEjectionTime": "10s", "maxEjectionPercent": 50},
        },
    },
}
AUTHORIZATION_POLICY: dict[str, Any] = {
    "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": META,
    "spec": {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
        "action": "ALLOW",
        "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/gateway"]}}],
                   "to": [{"operation": {"ports": ["8080"], "methods": ["GET"]}}]}],
    },
}
NODE_POOL: dict[str, Any] = {
    "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"},
    "spec": {
        "template": {"spec": {
            "expireAfter": "720h",
            "requirements": [{"key": "kubernetes.io/arch", "operator": "In",
                              "values": ["amd64"]}],
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                             "name": "default"},
        }},
        "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized",
                       "consolidateAfter": "5m"},
        "limits": {"cpu": "200", "memory": "800Gi"},
    },
}
ISSUER: dict[str, Any] = {
    "apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": META,
    "spec": {"acme": {
        "server": "https://acme-staging-v02.api.letsencrypt.org/directory",
        "privateKeySecretRef": {"name": "acme-key"},
        "solvers": [{"dns01": {"webhook": {"groupName": "acme.example.com", "solverName": "x",
                                           "config": {"anything": {"goes": [1, "two", None]}}}}}],
    }},
}
VALID = [HTTP_ROUTE, DESTINATION_RULE, AUTHORIZATION_POLICY, NODE_POOL, ISSUER]


def _with(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``obj`` with ``value`` set at a dotted path (``rules.0`` indexes a list)."""
    out = copy.deepcopy(obj)
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return out


@pytest.mark.parametrize("obj", VALID, ids=lambda o: o["kind"])
def test_valid_objects_pass(obj: dict[str, Any]) -> None:
    assert validate(obj) == []


@pytest.mark.parametrize(("obj", "path", "expected"), [
    (HTTP_ROUTE, "spec.colour", "spec.colour: unknown field"),
    (HTTP_ROUTE, "spec.rules.0.timeout", "spec.rules[0].timeout: unknown field"),
    (HTTP_ROUTE, "spec.rules.0.backendRefs.0.weigth",
     "spec.rules[0].backendRefs[0].weigth: unknown field"),
    (DESTINATION_RULE, "spec.trafficPolicy.connectionPool.tcp.maxConns",
     "spec.trafficPolicy.connectionPool.tcp.maxConns: unknown field"),
    (DESTINATION_RULE, "spec.trafficPolicy.retries", "spec.trafficPolicy.retries: unknown field"),
    (AUTHORIZATION_POLICY, "spec.rules.0.from.0.source.principal",
     "spec.rules[0].from[0].source.principal: unknown field"),
    (NODE_POOL, "spec.template.spec.nodeClassRef.apiVersion",
     "spec.template.spec.nodeClassRef.apiVersion: unknown field"),
    (NODE_POOL, "extra", "extra: unknown field"),
])
def test_unknown_field_is_reported_with_its_path(obj: dict[str, Any], path: str,
                                                  expected: str) -> None:
    errors = validate(_with(obj, path, "x"))
    assert any(e.startswith(expected) for e in errors), errors
    assert len(errors) == 1, errors


@pytest.mark.parametrize(("obj", "path", "value", "expected"), [
    (HTTP_ROUTE, "spec.rules.0.backendRefs.0.port", "8080", "spec.rules[0].backendRefs[0].port"),
    (HTTP_ROUTE, "spec.hostnames", "shop.example.com", "spec.hostnames"),
    (DESTINATION_RULE, "spec.trafficPolicy.connectionPool.tcp.maxConnections", "many",
     "spec.trafficPolicy.connectionPool.tcp.maxConnections"),
    (AUTHORIZATION_POLICY, "spec.rules.0.to.0.operation.ports", 8080,
     "spec.rules[0].to[0].operation.ports"),
    (NODE_POOL, "spec.template.spec.expireAfter", 720, "spec.template.spec.expireAfter"),
])
def test_wrong_type_is_reported(obj: dict[str, Any], path: str, value: Any,
                                expected: str) -> None:
    errors = validate(_with(obj, path, value))
    assert errors and all(e.startswith(f"{expected}: ") for e in errors), errors
    assert any("expected" in e for e in errors), errors


def test_bad_enum_and_missing_required_field_are_reported() -> None:
    (error,) = validate(_with(DESTINATION_RULE, "spec.trafficPolicy.tls.mode", "MUTUALISH"))
    assert error.startswith('spec.trafficPolicy.tls.mode: "MUTUALISH" is not one of ['), error
    assert '"ISTIO_MUTUAL"' in error, error
    route = copy.deepcopy(HTTP_ROUTE)
    del route["spec"]["parentRefs"][0]["name"]
    assert validate(route) == ["spec.parentRefs[0].name: required field missing"]


def test_null_is_refused_unless_nullable() -> None:
    errors = validate(_with(HTTP_ROUTE, "spec.hostnames", None))
    assert errors == ["spec.hostnames: expected array, got null null"]


def test_required_field_with_a_default_may_be_left_out() -> None:
    # spec.rules[].matches[].path.type is required-by-default in the schema: PathPrefix
    route = copy.deepcopy(HTTP_ROUTE)
    del route["spec"]["rules"][0]["matches"][0]["path"]["type"]
    assert validate(route) == []


@pytest.mark.parametrize("value", [200, "200", "1500m"])
def test_int_or_string_accepts_both(value: Any) -> None:
    assert validate(_with(NODE_POOL, "spec.limits.cpu", value)) == []


def test_int_or_string_refuses_other_types() -> None:
    errors = validate(_with(NODE_POOL, "spec.limits.cpu", [2]))
    assert errors and errors[0].startswith("spec.limits.cpu: "), errors


@pytest.mark.parametrize("config", [{"a": {"b": [1, {"c": None}]}}, {"x": 1}, {}])
def test_preserve_unknown_fields_region_accepts_anything(config: dict[str, Any]) -> None:
    issuer = _with(ISSUER, "spec.acme.solvers.0.dns01.webhook.config", config)
    assert validate(issuer) == []
    # ...but its siblings outside that region are still strict
    errors = validate(_with(issuer, "spec.acme.solvers.0.dns01.webhook.colour", "x"))
    assert errors == ['spec.acme.solvers[0].dns01.webhook.colour: unknown field "colour"']


def test_metadata_is_only_checked_for_shape() -> None:
    anything = {**META, "uid": "123", "ownerReferences": []}
    assert validate({**HTTP_ROUTE, "metadata": anything}) == []
    errors = validate(_with(HTTP_ROUTE, "metadata.labels", {"tier": 1}))
    assert errors and errors[0].startswith('metadata.labels.tier: expected string'), errors
    assert validate({**HTTP_ROUTE, "metadata": "web"})


def test_duplicate_list_map_keys_are_refused() -> None:
    header = {"name": "X-Frame-Options", "value": "DENY"}
    route = _with(HTTP_ROUTE, "spec.rules.0.filters.0.responseHeaderModifier.set",
                  [header, header])
    errors = validate(route)
    assert any(e.startswith("spec.rules[0].filters[0].responseHeaderModifier.set[1]: duplicate")
               for e in errors), errors


def test_every_error_is_reported_not_just_the_first() -> None:
    route = _with(_with(HTTP_ROUTE, "spec.colour", "x"), "spec.rules.0.backendRefs.0.port", "x")
    assert len(validate(route)) == 2


def test_unknown_kind_has_no_schema() -> None:
    assert schema_for("example.com/v1", "Widget") is None
    assert validate({"apiVersion": "example.com/v1", "kind": "Widget"}) == [
        "<root>: no CRD schema for example.com/v1 Widget"]
    assert schema_for("networking.istio.io/v1", "DestinationRule")["type"] == "object"


def test_core_groups_are_not_custom() -> None:
    assert not is_custom("v1") and not is_custom("apps/v1")
    assert not is_custom("networking.k8s.io/v1") and not is_custom("policy/v1")
    assert is_custom("gateway.networking.k8s.io/v1") and is_custom("karpenter.sh/v1")


def test_cel_rules_are_counted_not_checked() -> None:
    assert cel_rules("gateway.networking.k8s.io/v1", "HTTPRoute") > 0
    assert cel_rules("karpenter.sh/v1", "NodePool") > 0
    assert cel_rules("example.com/v1", "Widget") == 0


PINNED_REFS = {
    "kubernetes-sigs/gateway-api": GATEWAY_API_VERSION,
    "istio/istio": CHARTS["istio-base"].version,
    "cert-manager/cert-manager": CHARTS["cert-manager"].version,
    "aws/karpenter-provider-aws": "v" + CHARTS["karpenter-crd"].version,
    "argoproj/argo-cd": versions.ARGO_CD_VERSION,   # the app version chart argo-cd installs
    "cloudnative-pg/cloudnative-pg": versions.CLOUDNATIVE_PG_VERSION,   # chart cloudnative-pg's
    "prometheus-community/helm-charts":
        "kube-prometheus-stack-" + CHARTS["kube-prometheus-stack"].version,
    "mongodb/mongodb-kubernetes": CHARTS["mongodb-kubernetes"].version,   # MongoDBCommunity
    "rabbitmq/cluster-operator": RABBITMQ_CLUSTER_OPERATOR_VERSION,       # RabbitmqCluster
    # VolumeSnapshotClass: the EKS snapshot-controller add-on's CRDs (unchanged v8.1.1-v8.6.0)
    "kubernetes-csi/external-snapshotter": versions.SNAPSHOT_CONTROLLER_CRDS_VERSION,
}


def _descriptions(node: object):
    """Description texts left in a schema (a field *named* description, AppProject's say, is a
    schema, not a text)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield value
            else:
                yield from _descriptions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _descriptions(item)


def test_every_schema_file_names_its_source_ref() -> None:
    """Each file comes from a pinned release: a shared bundle names its commit and path, a
    fetched file the URLs it was downloaded from."""
    directory = crd_schemas.require()
    assert sorted(s["repo"] for s in sources().values()) == sorted(PINNED_REFS)
    urls = crd_schemas.release_urls()
    for name, source in sources().items():
        assert source["ref"] == PINNED_REFS[source["repo"]], name
        if name.endswith(".json"):
            assert re.fullmatch(r"[0-9a-f]{40}", source["commit"]), name
            assert source["path"], name
            data = json.loads((directory / name).read_text())
            assert data["schemas"], name
            assert not list(_descriptions(data["schemas"])), name
        else:
            assert tuple(source["urls"]) == urls[name.rsplit(".", 1)[0]], name
    for key in crd_schemas.kinds():
        api_version, kind = key.rsplit("/", 1)
        assert source_for(api_version, kind) in sources().values(), key


def test_schema_patterns_compile() -> None:
    def patterns(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
            return own + [p for v in node.values() for p in patterns(v)]
        if isinstance(node, list):
            return [p for v in node for p in patterns(v)]
        return []

    for key in crd_schemas.kinds():
        for pattern in patterns(schema_for(*key.rsplit("/", 1))):
            re.compile(pattern)


def _custom_resources(plan: Plan) -> list[dict[str, Any]]:
    return [m for m in manifests(plan) if is_custom(m["apiVersion"])]


def test_every_custom_kind_in_the_plans_has_a_schema(dev: Plan, prod: Plan) -> None:
    kinds = {(m["apiVersion"], m["kind"]) for plan in (dev, prod)
             for m in _custom_resources(plan)}
    assert kinds, "the plans write no custom resources?"
    missing = sorted(k for k in kinds if schema_for(*k) is None)
    assert not missing, f"custom resources without a CRD schema: {missing}"


def test_every_custom_resource_in_the_stack_validates(stack_plan: Plan) -> None:
    objs = _custom_resources(stack_plan)
    started = time.perf_counter()
    errors = [f"{o['kind']}/{o['metadata'].get('namespace', '-')}/{o['metadata']['name']}: {e}"
              for o in objs for e in validate(o)]
    elapsed = time.perf_counter() - started
    assert not errors, ("custom resources that the pinned CRDs (strict field validation) "
                        "would refuse — fix the component that writes them:\n"
                        + "\n".join(errors))
    assert elapsed < 1.0, f"validating {len(objs)} custom resources took {elapsed:.2f} s"


# ---------------------------------------------------------------------------------------------
# Where the schemas come from: $SHIPYARD_CRDS, ../shared/crds, the fetched cache

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        description: A widget.
        properties:
          spec:
            type: object
            required: [size]
            x-kubernetes-validations: [{rule: self.size > 0}]
            properties:
              size: {type: integer, description: How big.}
              speed: {type: string, pattern: "^(?i)(fast|slow)?$"}
              description: {type: string}
  - name: v1alpha1
    served: false
    storage: false
    schema: {openAPIV3Schema: {type: object}}
---
apiVersion: v1
kind: Namespace
metadata: {name: not-a-crd}
"""
WIDGET = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
          "spec": {"size": 3, "speed": "FAST", "description": "round"}}


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No $SHIPYARD_CRDS, no ../shared/crds, an empty cache: the loader sees only what a test
    puts in tmp_path."""
    monkeypatch.delenv(crd_schemas.ENV_VAR, raising=False)
    monkeypatch.setattr(crd_schemas, "SHARED_DIR", tmp_path / "shared" / "crds")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_the_environment_variable_names_the_directory(isolated: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    mine = isolated / "mine"
    mine.mkdir()
    (mine / "widgets.yaml").write_text(WIDGET_CRD)
    (isolated / "shared" / "crds").mkdir(parents=True)   # present, but the variable wins
    (isolated / "shared" / "crds" / "other.yaml").write_text(WIDGET_CRD.replace("Widget", "Gadget"))
    monkeypatch.setenv(crd_schemas.ENV_VAR, str(mine))
    assert crd_schemas.schema_dir() == mine
    assert crd_schemas.kinds() == ["example.com/v1/Widget"]
    assert validate(WIDGET) == []


def test_raw_crd_yaml_is_read_as_its_served_versions_schemas(isolated: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    (isolated / "widgets.yaml").write_text(WIDGET_CRD)
    monkeypatch.setenv(crd_schemas.ENV_VAR, str(isolated))
    assert crd_schemas.kinds() == ["example.com/v1/Widget"]   # v1alpha1 is not served
    schema = schema_for("example.com/v1", "Widget")
    assert not list(_descriptions(schema))
    assert schema["properties"]["spec"]["properties"]["description"] == {"type": "string"}
    assert cel_rules("example.com/v1", "Widget") == 1
    assert source_for("example.com/v1", "Widget") == {"file": "widgets.yaml"}
    assert validate(WIDGET) == []
    assert validate(_with(WIDGET, "spec.colour", "red")) == ['spec.colour: unknown field "colour"']
    # Go's ^(?i)... pattern, as Python takes it
    assert validate(_with(WIDGET, "spec.speed", "Slow")) == []
    assert validate(_with(WIDGET, "spec.speed", "medium"))
    del WIDGET["spec"]["size"]
    try:
        assert validate(WIDGET) == ["spec.size: required field missing"]
    finally:
        WIDGET["spec"]["size"] = 3


def test_without_schemas_the_checks_say_they_are_skipped(isolated: Path, prod: Plan,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    empty = isolated / "empty"
    empty.mkdir()
    monkeypatch.setenv(crd_schemas.ENV_VAR, str(empty))
    reason = crd_schemas.missing()
    assert reason and str(empty) in reason and crd_schemas.FETCH_COMMAND in reason
    # a check never answers "valid" unchecked: it raises, and the suite skips with the reason
    with pytest.raises(crd_schemas.SchemasUnavailable) as raised:
        validate(HTTP_ROUTE)
    assert str(raised.value) == f"CRD schema checks skipped: {reason}"
    skipping = skip_without_crd_schemas()
    next(skipping)
    with pytest.raises(pytest.skip.Exception, match="CRD schema checks skipped: no CRD schemas"):
        skipping.throw(raised.value)
    # the plan lists every custom resource as unchecked, saying why
    customs = [r for r in prod.resources if r.type.startswith("kubernetes:") and r.custom and
               is_custom(str(r.inputs.get("apiVersion", "v1")))]
    assert customs
    unchecked = {u["urn"]: u["reason"] for u in prod.unchecked()}
    for r in customs:
        assert unchecked[r.urn].endswith(f"CRD schema check skipped, {reason}"), r.urn
    # an empty variable is no variable: ../shared/crds, then the cache
    monkeypatch.setenv(crd_schemas.ENV_VAR, "")
    assert crd_schemas.search_path() == [crd_schemas.SHARED_DIR, crd_schemas.cache_dir()]
    assert crd_schemas.cache_dir() == isolated / "cache" / "shipyard" / "crds"


def test_the_real_schemas_load_from_shared_beside_the_repository(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(crd_schemas.ENV_VAR, raising=False)
    shared = crd_schemas.REPO_ROOT.parent / "shared" / "crds"
    if not shared.is_dir():
        pytest.skip(f"no {shared} beside this clone (CI copies it there)")
    assert crd_schemas.SHARED_DIR == shared and crd_schemas.schema_dir() == shared
    assert set(sources()) == {p.name for p in shared.glob("*.json")}
    assert "gateway.networking.k8s.io/v1/HTTPRoute" in crd_schemas.kinds()
    assert crd_schemas.describe(source_for("cert-manager.io/v1", "ClusterIssuer")) == \
        f"cert-manager/cert-manager {CHARTS['cert-manager'].version}"


def test_no_crd_is_committed() -> None:
    """Upstream material stays out of the repository (the synthetic CRD above is this test's)."""
    root = crd_schemas.REPO_ROOT
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                                check=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    data = [root / p for p in listed.split("\0") if p.endswith((".json", ".yaml", ".yml"))]
    assert data
    holding = [str(p.relative_to(root)) for p in data if p.is_file() and
               "CustomResourceDefinition" in p.read_text(errors="ignore")]
    assert holding == []
    assert not (root / "shipyard" / "crds").exists()


# ---------------------------------------------------------------------------------------------
# python -m offline.crd_schemas fetch (never the network here: a fake downloader)


def test_release_urls_are_built_from_the_pinned_versions() -> None:
    urls = crd_schemas.release_urls()
    releases = crd_schemas.releases()
    assert {r.repo: r.ref for r in releases} == PINNED_REFS
    assert urls[f"gateway-api-{GATEWAY_API_VERSION}"] == (versions.GATEWAY_API_CRDS,)
    cert_manager = CHARTS["cert-manager"].version
    assert urls[f"cert-manager-{cert_manager}"] == (
        f"https://github.com/cert-manager/cert-manager/releases/download/{cert_manager}/"
        f"cert-manager.crds.yaml",)
    assert urls[f"rabbitmq-cluster-operator-{RABBITMQ_CLUSTER_OPERATOR_VERSION}"] == (
        versions.RABBITMQ_CLUSTER_OPERATOR,)
    assert urls[f"istio-{CHARTS['istio-base'].version}"] == (
        f"https://raw.githubusercontent.com/istio/istio/{CHARTS['istio-base'].version}/"
        f"manifests/charts/base/files/crd-all.gen.yaml",)
    for release in releases:
        assert release.urls, release.name
        for url in release.urls:
            assert url.startswith("https://") and release.ref in url, url
            if url.startswith("https://raw.githubusercontent.com/"):
                assert url.startswith(f"https://raw.githubusercontent.com/{release.repo}/"
                                      f"{release.ref}/"), url


def test_fetch_writes_each_release_into_the_cache_and_the_loader_reads_it(
        isolated: Path) -> None:
    asked: list[str] = []

    def download(url: str) -> bytes:
        asked.append(url)
        return WIDGET_CRD.encode()

    written = crd_schemas.fetch(download=download)
    cache = isolated / "cache" / "shipyard" / "crds"
    assert asked == [u for r in crd_schemas.releases() for u in r.urls]
    assert sorted(written) == sorted(cache / f"{r.name}.yaml" for r in crd_schemas.releases())
    assert not list(cache.glob("*.partial"))
    assert crd_schemas.schema_dir() == cache   # no ../shared/crds: the cache
    for name, source in sources().items():
        release = next(r for r in crd_schemas.releases() if f"{r.name}.yaml" == name)
        assert source == {"repo": release.repo, "ref": release.ref, "urls": list(release.urls)}
    # every document of every download is read (here the same synthetic CRD each time)
    assert crd_schemas.kinds() == ["example.com/v1/Widget"]
    assert validate(WIDGET) == []
    docs = [d for d in yaml.safe_load_all(written[0].read_text()) if d]
    assert [d["kind"] for d in docs] == ["CustomResourceDefinition", "Namespace"] * len(
        crd_schemas.releases()[0].urls)


def test_the_fetch_command(isolated: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m offline.crd_schemas fetch [DIR]`; without arguments it says where the
    schemas are read from, or that there are none."""
    assert crd_schemas.main([]) == 1
    assert "no CRD schemas found" in capsys.readouterr().out
    monkeypatch.setattr(crd_schemas, "_download", lambda url: WIDGET_CRD.encode())
    assert crd_schemas.main(["fetch"]) == 0
    cache = isolated / "cache" / "shipyard" / "crds"
    assert f"wrote {cache}" in capsys.readouterr().out
    assert crd_schemas.main(["fetch", str(isolated / "elsewhere")]) == 0
    assert len(list((isolated / "elsewhere").glob("*.yaml"))) == len(crd_schemas.releases())
    assert crd_schemas.main([]) == 0
    assert capsys.readouterr().out.endswith(f"CRD schemas: {cache}\n")
    assert crd_schemas.main(["bogus"]) == 2

    def offline(url: str) -> bytes:
        raise OSError("Name or service not known")

    monkeypatch.setattr(crd_schemas, "_download", offline)
    assert crd_schemas.main(["fetch", str(isolated / "unreachable")]) == 1
    assert "could not download https://" in capsys.readouterr().err


def test_the_shared_schemas_and_the_fetched_ones_come_from_the_same_releases() -> None:
    """What CI reads (../shared/crds) and what a user's clone fetches are the same releases."""
    crd_schemas.require()
    shared = {(s["repo"], s["ref"]) for s in sources().values()}
    assert shared == {(r.repo, r.ref) for r in crd_schemas.releases()}


def test_a_cached_file_names_where_it_came_from() -> None:
    source = {"repo": "cert-manager/cert-manager", "ref": "v1.21.1", "urls": ["https://x"]}
    text = f"# Downloaded by fetch.\n# source: {json.dumps(source)}\n{WIDGET_CRD}"
    assert crd_schemas._yaml_source(Path("c.yaml"), text) == source
    assert crd_schemas._yaml_source(Path("c.yaml"), WIDGET_CRD) == {"file": "c.yaml"}
    assert crd_schemas.describe(source) == "cert-manager/cert-manager v1.21.1"
    assert crd_schemas.describe({"file": "c.yaml"}) == "c.yaml"


def test_unchecked_reason_names_a_fetched_release(isolated: Path) -> None:
    crd_schemas.fetch(download=lambda url: WIDGET_CRD.encode())
    from offline.harness import ResourceRecord
    widget = ResourceRecord(type="kubernetes:example.com/v1:Widget", name="w", urn="urn:w",
                            parent=None, custom=True, inputs=WIDGET, dependencies=[],
                            property_dependencies={}, provider=None, options={})
    source = crd_schemas.describe(source_for("example.com/v1", "Widget"))
    assert f"checked against the CRD schema of {source} " in unchecked_reason(widget)
    assert "its 1 CEL rules" in unchecked_reason(widget)
