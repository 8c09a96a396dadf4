"""Custom resources checked offline against the real CRD schemas of the pinned releases.

The schemas are vendored in shipyard/crds/ (one file per source, each naming its repo, tag, path
and commit); offline.crd_schemas validates strictly: an unknown field anywhere is an error, as
it is for the API server's strict field validation. CEL rules (x-kubernetes-validations) are
not evaluated; cel_rules() counts them.
"""

from __future__ import annotations

import copy
import json
import re
import time
from typing import Any

import pytest

from offline import crd_schemas
from offline.crd_schemas import cel_rules, is_custom, schema_for, source_for, sources, validate
from offline.harness import Plan
from offline.manifests import manifests
from shipyard.versions import CHARTS, GATEWAY_API_VERSION, RABBITMQ_CLUSTER_OPERATOR_VERSION

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
        "<root>: no vendored CRD schema for example.com/v1 Widget"]
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
    "argoproj/argo-cd": "v3.4.4",   # the app version chart argo-cd 10.1.1 installs
    "cloudnative-pg/cloudnative-pg": "v1.30.0",   # what chart cloudnative-pg 0.29.0 installs
    "prometheus-community/helm-charts":
        "kube-prometheus-stack-" + CHARTS["kube-prometheus-stack"].version,
    "mongodb/mongodb-kubernetes": CHARTS["mongodb-kubernetes"].version,   # MongoDBCommunity
    "rabbitmq/cluster-operator": RABBITMQ_CLUSTER_OPERATOR_VERSION,       # RabbitmqCluster
    # VolumeSnapshotClass: the EKS snapshot-controller add-on's CRDs (unchanged v8.1.1-v8.6.0)
    "kubernetes-csi/external-snapshotter": "v8.6.0",
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


def test_every_vendored_schema_file_names_its_source_ref() -> None:
    assert sorted(s["repo"] for s in sources().values()) == sorted(PINNED_REFS)
    for name, source in sources().items():
        assert source["ref"] == PINNED_REFS[source["repo"]], name
        assert re.fullmatch(r"[0-9a-f]{40}", source["commit"]), name
        assert source["path"], name
        data = json.loads((crd_schemas.CRD_DIR / name).read_text())
        assert data["schemas"], name
        assert not list(_descriptions(data["schemas"])), name
    for key in crd_schemas.kinds():
        api_version, kind = key.rsplit("/", 1)
        assert source_for(api_version, kind) in sources().values(), key


def test_vendored_patterns_compile() -> None:
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
    assert not missing, f"custom resources without a vendored CRD schema: {missing}"


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
