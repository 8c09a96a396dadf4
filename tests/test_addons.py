"""Add-ons across all of them: pinned charts, custom resources waiting for their CRDs, scoped
IAM, switches per environment, manifests."""

import json

import pytest

from offline.manifests import manifests
from shipyard.versions import CHARTS, GATEWAY_API_CRDS
from tests.support.plans import run_platform

RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"

# API group of a custom resource -> the chart (or manifest) that installs its CRD.
CRD_INSTALLERS = {
    "cert-manager.io": "cert-manager",
    "gateway.networking.k8s.io": GATEWAY_API_CRDS,
    "karpenter.sh": "karpenter-crd",
    "karpenter.k8s.aws": "karpenter-crd",
    "security.istio.io": "istio-base",
    "telemetry.istio.io": "istio-base",
    "networking.istio.io": "istio-base",
    "monitoring.coreos.com": "kube-prometheus-stack",
    "argoproj.io": "argo-cd",
    "postgresql.cnpg.io": "cloudnative-pg",
}


def custom_resources(plan):
    return [r for r in plan.resources if r.type.startswith("kubernetes:")
            and r.inputs.get("apiVersion", "").split("/")[0] in CRD_INSTALLERS]


def installer(plan, group):
    source = CRD_INSTALLERS[group]
    if source == GATEWAY_API_CRDS:
        return [r for r in plan.of_type(CONFIG_FILE) if r.inputs.get("file") == GATEWAY_API_CRDS]
    chart = CHARTS[source]
    return [r for r in plan.of_type(RELEASE)
            if r.inputs["chart"] == chart.chart and r.inputs["version"] == chart.version]


def test_every_release_is_a_pinned_chart(stack_plan):
    releases = stack_plan.of_type(RELEASE)
    assert releases
    pinned = {(c.chart, c.version, c.repo) for c in CHARTS.values()}
    for r in releases:
        repo = (r.inputs.get("repositoryOpts") or {}).get("repo")
        assert (r.inputs["chart"], r.inputs["version"], repo) in pinned, r.name


def test_every_custom_resource_waits_for_the_release_that_installs_its_crd(stack_plan):
    found = custom_resources(stack_plan)
    kinds = {r.inputs["kind"] for r in found}
    assert {"ClusterIssuer", "Gateway", "PeerAuthentication"} <= kinds
    if stack_plan.stack != "dev":
        assert {"NodePool", "EC2NodeClass"} <= kinds
    for r in found:
        group = r.inputs["apiVersion"].split("/")[0]
        (crds,) = installer(stack_plan, group)
        assert crds.urn in r.dependencies, f"{r.inputs['kind']} {r.name} does not wait for {crds.name}"


def route53_statements(plan):
    for policy in plan.of_type("aws:iam/rolePolicy:RolePolicy"):
        doc = json.loads(policy.inputs["policy"])
        for statement in doc["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [
                statement["Action"]]
            yield policy, statement, actions


def test_route53_record_changes_are_scoped_to_the_stacks_zone(stack_plan):
    (zone,) = stack_plan.of_type("aws:route53/zone:Zone")
    zone_arn = f"arn:aws:route53:::hostedzone/{zone.outputs['zoneId']}"
    writers = [(p, s) for p, s, actions in route53_statements(stack_plan)
               if "route53:ChangeResourceRecordSets" in actions]
    assert len(writers) >= 2  # cert-manager and external-dns
    for policy, statement in writers:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [
            statement["Resource"]]
        assert resources == [zone_arn], policy.name


def test_every_aws_calling_add_on_has_its_own_role(prod):
    """One role per service account (its tag names it), each trusted by Pod Identity for that
    service account alone (tests/test_workload_identity.py reads the trusts and associations)."""
    accounts = [(r.inputs.get("tags") or {}).get("shipyard.dev/service-account")
                for r in prod.of_type("aws:iam/role:Role")]
    for account in ("kube-system.aws-load-balancer-controller", "cert-manager.cert-manager",
                    "external-dns.external-dns", "kube-system.karpenter"):
        assert account in accounts
    tagged = [a for a in accounts if a]
    assert len(tagged) == len(set(tagged))


# cert-manager, external-dns, istio, ingress and the Gateway API have their own switch tests
@pytest.mark.parametrize("addon,marker", [
    ("metricsServer", "metrics-server"), ("karpenter", "karpenter"),
])
def test_each_add_on_can_be_switched_off(addon, marker):
    addons = {"certManager": {"acmeEmail": "ops@example.com"}, addon: {"enabled": False}}
    plan = run_platform("staging", overrides={"shipyard:addons": addons})
    names = {r.inputs.get("name") for r in plan.of_type(RELEASE)}
    assert marker not in names
    assert names  # the others stay


def test_manifests_hold_every_object_shipyard_writes(stack_plan):
    objects = manifests(stack_plan)
    kinds = {o["kind"] for o in objects}
    assert {"Namespace", "StorageClass", "ClusterIssuer", "Gateway", "HTTPRoute"} <= kinds
    k8s = [r for r in stack_plan.resources if r.type.startswith("kubernetes:")
           and not r.type.startswith(("kubernetes:helm.sh/", "kubernetes:yaml/"))
           and r.type != "pulumi:providers:kubernetes"]
    assert len(objects) == len(k8s)
    for o in objects:
        assert o["apiVersion"] and o["kind"] and o["metadata"]["name"]


def test_dev_is_permissive_and_staging_and_prod_strict(plans):
    def mode(plan):
        (pa,) = [r for r in plan.resources if r.inputs.get("kind") == "PeerAuthentication"
                 and r.inputs["metadata"]["namespace"] == "istio-system"]
        return pa.inputs["spec"]["mtls"]["mode"]
    assert [mode(plans[s]) for s in ("dev", "staging", "prod")] == [
        "PERMISSIVE", "STRICT", "STRICT"]


# -- dev's requests (shipyard/config/defaults.py) --------------------------------------------

# the add-on section whose `values` go to each release
VALUES_RELEASE = {"istio": "addons-istio-istiod-release",
                  "metricsServer": "addons-metrics-server-release",
                  "monitoring": "addons-monitoring-release",
                  "logging": "addons-logging-loki-release",
                  "tracing": "addons-tracing-tempo-release",
                  "argocd": "addons-argocd-release"}


def leaves(values, path=()):
    if isinstance(values, dict):
        for key, value in values.items():
            yield from leaves(value, (*path, key))
    else:
        yield path, values


def test_dev_sets_its_add_ons_requests_and_nothing_else(plans):
    """dev's add-ons ask what a small cluster uses: its defaults' `values` hold requests only
    (no limits, nothing else), each smaller than shipyard's own (prod's, where prod runs that
    pod: its Argo CD has Redis HA instead), and reach the charts; staging and prod keep
    shipyard's."""
    from offline.estimates.capacity import memory_bytes, millicores
    from shipyard.config.defaults import ENVIRONMENT_DEFAULTS

    dev, prod = plans["dev"], plans["prod"]
    sections = {k: v["values"] for k, v in ENVIRONMENT_DEFAULTS["dev"]["addons"].items()
                if "values" in v}
    assert set(sections) == set(VALUES_RELEASE)
    compared = 0
    for section, values in sections.items():
        assert not ENVIRONMENT_DEFAULTS["prod"]["addons"].get(section, {}).get("values")
        rendered = dev.named(VALUES_RELEASE[section]).inputs["values"]
        own = prod.named(VALUES_RELEASE[section]).inputs["values"]
        for path, value in leaves(values):
            assert path[-3:-1] == ("resources", "requests") or path[-2] == "requests", path
            node, ours = rendered, own
            for key in path:
                node, ours = node[key], (ours or {}).get(key)
            assert node == value, (section, path)
            smaller = millicores if path[-1] == "cpu" else memory_bytes
            assert ours is None or smaller(value) < smaller(ours), (section, path, value, ours)
            compared += ours is not None
    assert compared >= 12
