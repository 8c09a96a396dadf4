"""Argo CD: the pinned chart in a restricted namespace without any AWS role, highly available
outside dev, its UI on the shared Gateway (TLS there) or by port-forward only (prod); an
AppProject per tenant confining what teams deploy from Git to their own namespace and keeping
the platform's objects out of reach; with a GitOps repository, an ApplicationSet making one
Application per tenant in its own namespace and project. Every custom resource validates
against the pinned Argo CD v3.4.4 CRDs."""

from __future__ import annotations

import copy
import fnmatch
import json
import re

import pytest

from components.addons.argocd import (
    API_VERSION,
    FULLNAME,
    IN_CLUSTER,
    app_project_spec,
    application_set_spec,
    argocd_values,
    project_name,
)
from components.addons.base import ClusterContext
from components.addons.endpoints import ARGOCD_NAMESPACE, ARGOCD_PORT, ARGOCD_SERVICE
from components.addons.ingress import ACCESS_LABEL
from compose.addons import argocd_args
from offline.crd_schemas import source_for, validate
from offline.manifests import manifest, manifests
from shipyard.versions import CHARTS
from tests.support.plans import children_of, only, run_platform
from tests.support.settings import stack_settings

COMPONENT = "shipyard:addons:ArgoCd"
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
PROJECT = f"kubernetes:{API_VERSION}:AppProject"
APPSET = f"kubernetes:{API_VERSION}:ApplicationSet"
TENANT = "shipyard:apps:Tenant"
REPO = "https://github.com/example/shipyard-gitops.git"
CTX = ClusterContext(provider=None, cluster_name="shipyard-test", region="us-east-1",
                     environment="dev", eks=True)


# -- readers ----------------------------------------------------------------------------------


def release(plan):
    return only(children_of(plan, COMPONENT, RELEASE))


def projects(plan):
    return {r.inputs["metadata"]["name"]: r for r in children_of(plan, COMPONENT, PROJECT)}


def tenant_namespaces(plan):
    """The namespace each hosted tenant runs in, as the Tenant components create them."""
    out = {}
    for tenant in plan.of_type(TENANT):
        (ns,) = [r for r in plan.of_type(NAMESPACE) if r.parent == tenant.urn]
        out[ns.inputs["metadata"]["labels"]["app.kubernetes.io/part-of"]] = \
            ns.inputs["metadata"]["name"]
    return out


def render(node, params):
    """An ApplicationSet template with one element's parameters filled in (Go template
    ``{{.key}}``, as goTemplate: true renders it; an unknown key is an error, as with
    missingkey=error)."""
    if isinstance(node, dict):
        return {render(k, params): render(v, params) for k, v in node.items()}
    if isinstance(node, list):
        return [render(v, params) for v in node]
    if isinstance(node, str):
        return re.sub(r"\{\{\s*\.(\w+)\s*\}\}", lambda m: params[m.group(1)], node)
    return node


def generated_applications(appset_spec):
    """The Applications the ApplicationSet's list generator makes."""
    assert appset_spec["goTemplate"] is True
    (generator,) = appset_spec["generators"]
    return [render(appset_spec["template"], element)
            for element in generator["list"]["elements"]]


def permitted(project_spec, group, kind, *, namespaced=True):
    """Argo CD's AppProject.IsGroupKindNamePermitted (v3.4.4): glob-matched lists; a missing
    namespace whitelist allows every namespaced kind, an empty cluster whitelist none."""
    def listed(items):
        return any(fnmatch.fnmatchcase(kind, i["kind"]) and fnmatch.fnmatchcase(group, i["group"])
                   for i in items)
    if namespaced:
        white = project_spec.get("namespaceResourceWhitelist")
        black = project_spec.get("namespaceResourceBlacklist") or []
        return (white is None or listed(white)) and not listed(black)
    white = project_spec.get("clusterResourceWhitelist") or []
    black = project_spec.get("clusterResourceBlacklist") or []
    return listed(white) and not listed(black)


def may_deploy(project_spec, app_spec):
    """Whether a project admits an Application's source and destination."""
    source, dest = app_spec["source"], app_spec["destination"]
    repo_ok = any(fnmatch.fnmatchcase(source["repoURL"], r) for r in project_spec["sourceRepos"])
    dest_ok = any(d["server"] == dest["server"] and
                  fnmatch.fnmatchcase(dest["namespace"], d["namespace"])
                  for d in project_spec["destinations"])
    return repo_ok and dest_ok


# -- pure: chart values -----------------------------------------------------------------------


def test_single_replicas_and_plain_redis_when_not_highly_available():
    values = argocd_values(highly_available=False, host=None)
    for component in ("server", "repoServer", "applicationSet"):
        assert values[component]["replicas"] == 1
        assert values[component]["pdb"] == {"enabled": False}
    assert values["controller"]["replicas"] == 1
    assert values["redis"]["enabled"] is True
    assert values["redis-ha"] == {"enabled": False}


def test_two_replicas_behind_pdbs_and_redis_ha_when_highly_available():
    values = argocd_values(highly_available=True, host="argocd.example.com")
    for component in ("server", "repoServer", "applicationSet"):
        assert values[component]["replicas"] == 2, component
        assert values[component]["pdb"] == {"enabled": True, "minAvailable": 1}, component
    # more controllers would shard the one in-cluster destination, not fail over
    assert values["controller"]["replicas"] == 1
    assert values["redis"] == {"enabled": False}
    assert values["redis-ha"]["enabled"] is True


def test_every_pod_asks_for_resources():
    for ha in (False, True):
        values = argocd_values(highly_available=ha, host=None)
        pods = ["controller", "server", "repoServer", "applicationSet", "notifications"]
        if not ha:
            pods.append("redis")
        for pod in pods:
            assert set(values[pod]["resources"]["requests"]) == {"cpu", "memory"}, pod


def test_dex_is_off_and_no_admin_password_is_in_the_values():
    values = argocd_values(highly_available=False, host=None)
    assert values["dex"] == {"enabled": False}
    text = json.dumps(values).lower()
    assert "password" not in text and "bcrypt" not in text
    # the chart's argocd-secret, without a password: Argo CD generates the initial one
    assert values["configs"]["secret"] == {"createSecret": True}


def test_the_server_service_has_the_fixed_name_and_port():
    values = argocd_values(highly_available=False, host=None)
    assert f"{values['fullnameOverride']}-server" == ARGOCD_SERVICE
    assert values["server"]["service"] == {"type": "ClusterIP", "servicePortHttp": ARGOCD_PORT}


def test_plain_http_only_behind_the_gateway():
    exposed = argocd_values(highly_available=False, host="argocd.example.com")
    assert exposed["configs"]["params"] == {"server.insecure": True}
    assert exposed["global"]["domain"] == "argocd.example.com"
    hidden = argocd_values(highly_available=False, host=None)
    assert "server.insecure" not in hidden["configs"]["params"]  # serves TLS itself
    assert hidden["global"]["domain"] == "localhost:8080"


def test_host_comes_from_the_setting_only_when_a_gateway_serves_it():
    settings = stack_settings("dev")
    args = argocd_args(settings, CTX, exposed=True)
    assert args.host == "argocd.dev.shipyard.example.com"
    assert argocd_args(settings, CTX, exposed=False).host is None
    assert argocd_args(stack_settings("prod"), CTX, exposed=True).host is None
    assert list(args.tenants) == [app.name for app in settings.applications]


# -- pure: AppProject -------------------------------------------------------------------------


def test_a_project_admits_its_repository_and_its_namespace_only():
    spec = app_project_spec("shop", namespace_name="shop", repo_url=REPO)
    assert spec["sourceRepos"] == [REPO]
    assert spec["destinations"] == [{"server": IN_CLUSTER, "namespace": "shop"}]
    app = {"source": {"repoURL": REPO}, "destination": {"server": IN_CLUSTER,
                                                         "namespace": "shop"}}
    assert may_deploy(spec, app)
    for other in ({"namespace": "bank"}, {"namespace": "kube-system"},
                  {"server": "https://other.example.com"}):
        wrong = copy.deepcopy(app)
        wrong["destination"].update(other)
        assert not may_deploy(spec, wrong), other
    stranger = copy.deepcopy(app)
    stranger["source"]["repoURL"] = "https://github.com/someone/else.git"
    assert not may_deploy(spec, stranger)


def test_without_a_repository_a_project_admits_no_source():
    spec = app_project_spec("shop", namespace_name="shop", repo_url=None)
    assert spec["sourceRepos"] == []
    assert not may_deploy(spec, {"source": {"repoURL": REPO},
                                 "destination": {"server": IN_CLUSTER, "namespace": "shop"}})


def test_a_project_admits_nothing_cluster_scoped():
    spec = app_project_spec("shop", namespace_name="shop", repo_url=REPO)
    assert spec["clusterResourceWhitelist"] == []
    for group, kind in (("", "Namespace"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
                        ("apiextensions.k8s.io", "CustomResourceDefinition"),
                        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration")):
        assert not permitted(spec, group, kind, namespaced=False), kind


def test_a_project_keeps_the_platform_objects_out_and_lets_the_app_in():
    spec = app_project_spec("shop", namespace_name="shop", repo_url=REPO)
    # an empty namespace whitelist would forbid every kind: it must be absent
    assert "namespaceResourceWhitelist" not in spec
    for group, kind in (("", "ResourceQuota"), ("", "LimitRange"),
                        ("networking.k8s.io", "NetworkPolicy"),
                        ("security.istio.io", "AuthorizationPolicy"),
                        ("security.istio.io", "PeerAuthentication"),
                        ("networking.istio.io", "VirtualService"),
                        ("networking.istio.io", "DestinationRule"),
                        ("networking.istio.io", "Gateway"),
                        ("gateway.networking.k8s.io", "HTTPRoute"),
                        ("gateway.networking.k8s.io", "Gateway")):
        assert not permitted(spec, group, kind), kind
    for group, kind in (("apps", "Deployment"), ("", "Service"), ("", "ConfigMap"),
                        ("", "Secret"), ("batch", "CronJob"), ("autoscaling",
                                                               "HorizontalPodAutoscaler"),
                        ("monitoring.coreos.com", "ServiceMonitor")):
        assert permitted(spec, group, kind), kind


def test_no_tenant_takes_argo_cds_default_project():
    assert project_name("shop") == "shop"
    with pytest.raises(ValueError, match="default"):
        project_name("default")


# -- pure: ApplicationSet ---------------------------------------------------------------------


def test_each_tenant_gets_an_application_from_its_directory_into_its_namespace_and_project():
    spec = application_set_spec(["shop", "bank"], repo_url=REPO, target_revision="v1.2",
                                path="clusters/prod/")
    apps = generated_applications(spec)
    assert [a["metadata"]["name"] for a in apps] == ["shop", "bank"]
    for app, tenant in zip(apps, ["shop", "bank"], strict=True):
        s = app["spec"]
        assert s["project"] == tenant
        assert s["destination"] == {"server": IN_CLUSTER, "namespace": tenant}
        assert s["source"] == {"repoURL": REPO, "targetRevision": "v1.2",
                               "path": f"clusters/prod/{tenant}"}
        project = app_project_spec(tenant, namespace_name=tenant, repo_url=REPO)
        assert may_deploy(project, s)


def test_applications_sync_automatically_with_prune_and_self_heal_into_existing_namespaces():
    spec = application_set_spec(["shop"], repo_url=REPO, target_revision="main", path="t")
    assert spec["goTemplateOptions"] == ["missingkey=error"]
    (app,) = generated_applications(spec)
    policy = app["spec"]["syncPolicy"]
    assert policy["automated"] == {"prune": True, "selfHeal": True}
    assert "CreateNamespace=false" in policy["syncOptions"]
    assert "CreateNamespace=true" not in policy["syncOptions"]


# -- CRD schemas ------------------------------------------------------------------------------


def test_the_schemas_come_from_the_argo_cd_release_the_chart_installs():
    source = source_for(API_VERSION, "AppProject")
    assert source == source_for(API_VERSION, "ApplicationSet")
    assert source["repo"] == "argoproj/argo-cd"
    assert source["ref"] == "v3.4.4"
    # the pinned chart argo-cd 10.1.1 is Argo CD v3.4.4 (its appVersion)
    assert CHARTS["argo-cd"].version == "10.1.1"


@pytest.mark.parametrize("repo_url", [REPO, None])
def test_the_project_validates_against_its_crd(repo_url):
    obj = {"apiVersion": API_VERSION, "kind": "AppProject",
           "metadata": {"name": "shop", "namespace": ARGOCD_NAMESPACE},
           "spec": app_project_spec("shop", namespace_name="shop", repo_url=repo_url)}
    assert validate(obj) == []
    typo = copy.deepcopy(obj)
    typo["spec"]["destinations"][0]["namepsace"] = "shop"
    assert validate(typo) == ['spec.destinations[0].namepsace: unknown field "namepsace"']


def test_the_application_set_validates_against_its_crd():
    obj = {"apiVersion": API_VERSION, "kind": "ApplicationSet",
           "metadata": {"name": "tenants", "namespace": ARGOCD_NAMESPACE},
           "spec": application_set_spec(["shop", "bank"], repo_url=REPO,
                                        target_revision="main", path="tenants")}
    assert validate(obj) == []
    typo = copy.deepcopy(obj)
    typo["spec"]["template"]["spec"]["syncPolicy"]["automated"]["selfheal"] = True
    assert validate(typo) == [
        'spec.template.spec.syncPolicy.automated.selfheal: unknown field "selfheal"']


# -- plans ------------------------------------------------------------------------------------


def test_argo_cd_is_the_pinned_chart_in_a_restricted_namespace_without_aws_access(stack_plan):
    r = release(stack_plan)
    chart = CHARTS["argo-cd"]
    assert (r.inputs["chart"], r.inputs["version"], r.inputs["repositoryOpts"]["repo"]) == \
        (chart.chart, chart.version, chart.repo)
    assert r.inputs["namespace"] == ARGOCD_NAMESPACE
    assert r.inputs["values"]["fullnameOverride"] == FULLNAME
    ns = only([n for n in children_of(stack_plan, COMPONENT, NAMESPACE)])
    labels = ns.inputs["metadata"]["labels"]
    assert ns.inputs["metadata"]["name"] == ARGOCD_NAMESPACE
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    # no IRSA role, no role annotation anywhere in its values
    assert not children_of(stack_plan, COMPONENT, "aws:iam/role:Role")
    assert "eks.amazonaws.com/role-arn" not in json.dumps(r.inputs["values"])
    assert not any("system:serviceaccount:argocd:" in (role.inputs.get("assumeRolePolicy") or "")
                   for role in stack_plan.of_type("aws:iam/role:Role"))


@pytest.mark.parametrize("stack,ha,host", [
    ("dev", False, "argocd.dev.shipyard.example.com"),
    ("staging", True, "argocd.staging.shipyard.example.com"),
    ("prod", True, None),
])
def test_availability_and_access_per_environment(plans, stack, ha, host):
    plan = plans[stack]
    values = release(plan).inputs["values"]
    assert values["server"]["replicas"] == (2 if ha else 1)
    assert values["redis-ha"]["enabled"] is ha
    routes = children_of(plan, COMPONENT, ROUTE)
    ns = only(children_of(plan, COMPONENT, NAMESPACE))
    if host is None:
        # prod: nothing on the internet; kubectl port-forward, and the server keeps its TLS
        assert routes == []
        assert ACCESS_LABEL not in ns.inputs["metadata"]["labels"]
        assert "server.insecure" not in values["configs"]["params"]
        return
    route = only(routes)
    spec = route.inputs["spec"]
    assert spec["hostnames"] == [host]
    assert route.inputs["metadata"]["namespace"] == ARGOCD_NAMESPACE
    (rule,) = spec["rules"]
    assert rule["backendRefs"] == [{"name": ARGOCD_SERVICE, "port": ARGOCD_PORT}]
    # on an HTTPS listener of the shared Gateway (TLS ends there), never the plain one
    assert all(ref["sectionName"].startswith("https-") for ref in spec["parentRefs"])
    assert ns.inputs["metadata"]["labels"][ACCESS_LABEL] == "true"
    assert values["configs"]["params"]["server.insecure"] is True
    assert values["global"]["domain"] == host


def test_every_hosted_tenant_has_a_project_confined_to_its_own_namespace(stack_plan):
    namespaces = tenant_namespaces(stack_plan)
    found = projects(stack_plan)
    assert namespaces and sorted(found) == sorted(namespaces)
    rel = release(stack_plan)
    for tenant, project in found.items():
        assert project.inputs["metadata"]["namespace"] == ARGOCD_NAMESPACE
        spec = project.inputs["spec"]
        assert spec["destinations"] == [{"server": IN_CLUSTER, "namespace": namespaces[tenant]}]
        assert spec["sourceRepos"] == []        # no GitOps repository in the stack files
        assert spec["clusterResourceWhitelist"] == []
        # waits for the release that installs its CRD, and nothing else
        assert project.dependencies == [rel.urn], tenant
    assert children_of(stack_plan, COMPONENT, APPSET) == []


def test_every_platform_object_shipyard_writes_in_a_tenant_namespace_is_out_of_argo_cds_reach(
        prod):
    """Whatever kind of mesh, Gateway, quota or network object the tenants hold in the plan,
    no Application may create, change or prune it."""
    platform_groups = ("security.istio.io", "networking.istio.io", "gateway.networking.k8s.io")
    namespaces = tenant_namespaces(prod)
    found = projects(prod)
    kinds = set()
    for obj in manifests(prod):
        tenant = next((t for t, ns in namespaces.items()
                       if obj["metadata"].get("namespace") == ns), None)
        group = obj["apiVersion"].rpartition("/")[0]
        if tenant is None or not (group in platform_groups or obj["kind"] in (
                "ResourceQuota", "LimitRange", "NetworkPolicy")):
            continue
        kinds.add(obj["kind"])
        assert not permitted(found[tenant].inputs["spec"], group, obj["kind"]), \
            f"{tenant}: {obj['kind']} {obj['metadata']['name']}"
    assert {"ResourceQuota", "LimitRange", "NetworkPolicy", "HTTPRoute",
            "AuthorizationPolicy"} <= kinds


def test_every_argo_cd_custom_resource_in_the_stack_validates(stack_plan):
    objs = [manifest(r) for r in children_of(stack_plan, COMPONENT, PROJECT)]
    assert objs
    assert {f"{o['metadata']['name']}: {e}" for o in objs for e in validate(o)} == set()


# -- a stack with a GitOps repository, and one without Argo CD --------------------------------


@pytest.fixture(scope="module")
def gitops():
    # two tenants: enough to show neither may deploy into the other's namespace
    return run_platform("staging", hosting=("mentorplatform", "sre-platform"), overrides={
        "shipyard:addons": {
            "certManager": {"acmeEmail": "ops@example.com"},
            "argocd": {"repoUrl": REPO, "targetRevision": "release-1",
                       "path": "envs/staging"}}})


def test_the_application_set_lands_each_tenants_application_in_its_namespace_and_project(
        gitops):
    namespaces = tenant_namespaces(gitops)
    found = projects(gitops)
    appset = only(children_of(gitops, COMPONENT, APPSET))
    assert appset.inputs["metadata"]["namespace"] == ARGOCD_NAMESPACE
    assert appset.dependencies == [release(gitops).urn]
    apps = generated_applications(appset.inputs["spec"])
    assert sorted(a["metadata"]["name"] for a in apps) == sorted(namespaces)
    for app in apps:
        tenant = app["metadata"]["name"]
        spec = app["spec"]
        assert spec["destination"]["namespace"] == namespaces[tenant]
        assert spec["project"] == tenant
        assert spec["source"] == {"repoURL": REPO, "targetRevision": "release-1",
                                  "path": f"envs/staging/{tenant}"}
        assert found[tenant].inputs["spec"]["sourceRepos"] == [REPO]
        assert may_deploy(found[tenant].inputs["spec"], spec), tenant
        # and not into any other tenant's namespace
        for other, ns in namespaces.items():
            if other != tenant:
                moved = copy.deepcopy(spec)
                moved["destination"]["namespace"] = ns
                assert not may_deploy(found[tenant].inputs["spec"], moved)
    objs = [manifest(appset), *(manifest(p) for p in found.values())]
    assert [e for o in objs for e in validate(o)] == []


def test_argo_cd_can_be_switched_off():
    plan = run_platform("dev", hosting=("mentorplatform",), overrides={"shipyard:addons": {
        "certManager": {"acmeEmail": "ops@example.com"}, "argocd": {"enabled": False}}})
    assert plan.of_type(COMPONENT) == []
    assert plan.of_type(PROJECT) == []
    assert not [r for r in plan.of_type(NAMESPACE)
                if r.inputs["metadata"]["name"] == ARGOCD_NAMESPACE]
    assert plan.of_type(TENANT)        # the tenants stay
