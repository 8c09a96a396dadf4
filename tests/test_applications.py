"""The hosted applications as a platform engineer checks them: every workload hardened, budgeted
and isolated the same way, whatever its catalog says (issue 5). Seed-specific facts live in
tests/test_seeds.py; the catalog format in tests/test_catalog.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.sizing import pod_footprint
from components.tenant import Routing, http_route_spec, network_policies, quota_spec
from offline.estimates.capacity import capacity
from offline.harness import SECRET, Plan, run_program
from offline.manifests import manifests
from shipyard.catalog.models import Application
from shipyard.catalog.services import cpu_millis, memory_bytes
from shipyard.config.base import SettingsError
from tests.support.plans import assert_pod_identity, run_platform
from tests.support.settings import stack_settings

APPS = ("mentorplatform", "learning-platform", "sre-platform", "code-learn", "everything-portal")
MESH_APPS = ("code-learn", "everything-portal")
NAME = "app.kubernetes.io/name"


def objects(plan: Plan, kind: str, namespaces: tuple[str, ...] = APPS) -> list[dict[str, Any]]:
    return [o for o in manifests(plan)
            if o["kind"] == kind and o["metadata"].get("namespace") in namespaces]


def named(plan: Plan, kind: str, namespace: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects(plan, kind, (namespace,)) if o["metadata"]["name"] == name]
    return found


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# -- every workload -------------------------------------------------------------------------------


def test_every_deployment_is_hardened_and_rolls_without_downtime(stack_plan):
    deployments = objects(stack_plan, "Deployment")
    assert len(deployments) >= 22
    repos = stack_plan.outputs["repositoryUrls"]
    for dep in deployments:
        name = f"{dep['metadata']['namespace']}/{dep['metadata']['name']}"
        spec = dep["spec"]
        assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}, name
        pod = spec["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] >= 10000, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        (container,) = pod["containers"]
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"] == {"drop": ["ALL"]} and sc["privileged"] is False, name
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert probe in container, f"{name}: {probe}"
        for side in ("requests", "limits"):
            assert set(container["resources"][side]) == {"cpu", "memory"}, name
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], name
        # the image comes from this environment's ECR repository, by tag or digest, never latest
        repo, _, tag = container["image"].rpartition(":")
        assert repo in repos.values() and tag and tag != "latest", name
        # endpoints drain before SIGTERM, and the sleep ends inside the grace period
        sleep = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert 0 < sleep < pod["terminationGracePeriodSeconds"], name
        keys = {c["topologyKey"] for c in pod["topologySpreadConstraints"]}
        assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}, name


def test_every_deployment_has_a_budget_and_autoscaled_ones_an_hpa(stack_plan):
    budgets = objects(stack_plan, "PodDisruptionBudget")
    hpas = {(h["metadata"]["namespace"], h["spec"]["scaleTargetRef"]["name"]): h
            for h in objects(stack_plan, "HorizontalPodAutoscaler")}
    for dep in objects(stack_plan, "Deployment"):
        ns, labels = dep["metadata"]["namespace"], dep["spec"]["template"]["metadata"]["labels"]
        covering = [b for b in budgets if b["metadata"]["namespace"] == ns
                    and matches(b["spec"]["selector"]["matchLabels"], labels)]
        assert len(covering) == 1, f"{ns}/{dep['metadata']['name']}: {len(covering)} budgets"
        assert covering[0]["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
        hpa = hpas.get((ns, dep["metadata"]["name"]))
        if hpa is not None:
            assert hpa["apiVersion"] == "autoscaling/v2"
            # the HPA alone owns the replica count: Pulumi never writes it
            assert "replicas" not in dep["spec"]
        else:
            assert dep["spec"]["replicas"] >= 1


def test_every_pod_is_selected_by_its_services_network_policy(stack_plan):
    policies = objects(stack_plan, "NetworkPolicy")
    for dep in objects(stack_plan, "Deployment"):
        ns, labels = dep["metadata"]["namespace"], dep["spec"]["template"]["metadata"]["labels"]
        own = [p for p in policies if p["metadata"]["namespace"] == ns
               and p["spec"]["podSelector"]
               and matches(p["spec"]["podSelector"]["matchLabels"], labels)]
        assert len(own) == 1, f"{ns}/{dep['metadata']['name']}"


def test_zones_are_a_hard_spread_only_where_there_is_capacity_for_it(plans):
    def whens(plan):
        return {c["whenUnsatisfiable"] for d in objects(plan, "Deployment")
                for c in d["spec"]["template"]["spec"]["topologySpreadConstraints"]
                if c["topologyKey"] == "topology.kubernetes.io/zone"}
    assert whens(plans["dev"]) == {"ScheduleAnyway"}   # two zones of spot nodes
    assert whens(plans["staging"]) == whens(plans["prod"]) == {"DoNotSchedule"}


def test_pull_policy_follows_tag_immutability(plans):
    def policies(plan):
        return {d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"]
                for d in objects(plan, "Deployment")}
    assert policies(plans["dev"]) == {"Always"}          # dev's tags move
    assert policies(plans["prod"]) == {"IfNotPresent"}   # prod's cannot


def test_tenant_namespaces_are_restricted_and_reach_no_load_balancer(stack_plan):
    for app in APPS:
        ns = next(o for o in manifests(stack_plan)
                  if o["kind"] == "Namespace" and o["metadata"]["name"] == app)
        labels = ns["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
        assert labels.get("istio-injection") == ("enabled" if app in MESH_APPS else None)
        quota = named(stack_plan, "ResourceQuota", app, app)["spec"]["hard"]
        assert quota["services.loadbalancers"] == "0" and quota["services.nodeports"] == "0"
        named(stack_plan, "LimitRange", app, app)
    assert {s["spec"].get("type", "ClusterIP") for s in objects(stack_plan, "Service")} == \
        {"ClusterIP"}


def test_quotas_hold_each_tenant_at_its_largest(stack_plan):
    """Every Deployment at its HPA maximum plus a surge pod fits its namespace's quota."""
    settings = stack_settings(stack_plan.stack)
    for app in settings.applications:
        hard = named(stack_plan, "ResourceQuota", app.name, app.name)["spec"]["hard"]
        need_cpu = sum((svc.max_replicas + 1) * pod_footprint(svc, mesh=app.mesh)["limits.cpu"]
                       for svc in app.services.values())
        assert cpu_millis(hard["limits.cpu"]) >= need_cpu, app.name
        assert int(hard["pods"]) >= sum(svc.max_replicas + 1 for svc in app.services.values())


def test_each_environment_asks_its_share_of_the_catalogs_requests(stack_plan):
    """workloads.cpuRequests and memoryRequests: dev's containers ask a quarter of their
    catalogs' CPU (at least 25m) and half their memory (at least 64Mi), never more than the
    catalog; staging's and prod's the catalogs' own; limits are the catalogs' everywhere. The
    sidecar asks the environment's sidecarRequests (dev's smaller). Every autoscaler crosses
    its CPU and memory targets at the CPU and memory per pod (sidecar included) where the
    catalog's targets lie with the catalog's requests and shipyard's own sidecar."""
    from components.mesh import SIDECAR
    from shipyard.rules.requests import scaled_cpu, scaled_memory

    settings = stack_settings(stack_plan.stack)
    cpu_sizing, memory_sizing = settings.workloads.cpu_requests, settings.workloads.memory_requests
    proxy = settings.addons.istio.sidecar_requests
    hpas = {(h["metadata"]["namespace"], h["spec"]["scaleTargetRef"]["name"]): h
            for h in objects(stack_plan, "HorizontalPodAutoscaler")}
    scaled = autoscaled = 0
    for app in settings.applications:
        for dep in objects(stack_plan, "Deployment", (app.name,)):
            svc = app.services[dep["metadata"]["labels"][NAME]]
            template = dep["spec"]["template"]
            container = template["spec"]["containers"][0]
            res, catalog = container["resources"], svc.resources
            now = {"cpu": cpu_millis(res["requests"]["cpu"]),
                   "memory": memory_bytes(res["requests"]["memory"])}
            seed = {"cpu": cpu_millis(catalog.requests.cpu),
                    "memory": memory_bytes(catalog.requests.memory)}
            assert now["cpu"] == scaled_cpu(seed["cpu"], cpu_sizing.scale,
                                            cpu_sizing.floor_millicores)
            assert now["memory"] == scaled_memory(seed["memory"], memory_sizing.scale,
                                                  memory_sizing.floor_bytes)
            assert res["limits"] == catalog.limits.model_dump()
            scaled += now["cpu"] < seed["cpu"] and now["memory"] < seed["memory"]
            annotations = template["metadata"]["annotations"]
            sidecar = {"cpu": 0, "memory": 0}
            shipyards = dict(sidecar)
            if app.mesh:
                assert annotations["sidecar.istio.io/proxyCPU"] == proxy.cpu
                assert annotations["sidecar.istio.io/proxyMemory"] == proxy.memory
                assert annotations["sidecar.istio.io/proxyMemoryLimit"] == SIDECAR["memoryLimit"]
                sidecar = {"cpu": cpu_millis(proxy.cpu), "memory": memory_bytes(proxy.memory)}
                shipyards = {"cpu": cpu_millis(SIDECAR["cpu"]),
                             "memory": memory_bytes(SIDECAR["memory"])}
            hpa = hpas.get((app.name, dep["metadata"]["name"]))
            if hpa is None or svc.autoscaling is None:
                continue
            for metric in hpa["spec"]["metrics"]:
                resource = metric["resource"]["name"]
                target = metric["resource"]["target"]["averageUtilization"]
                catalog_target = getattr(svc.autoscaling, f"{resource}_utilization")
                per_pod = target * (now[resource] + sidecar[resource]) / 100
                assert abs(per_pod - catalog_target * (seed[resource] + shipyards[resource])
                           / 100) <= (now[resource] + sidecar[resource]) / 200, \
                    (app.name, dep["metadata"]["name"], resource)
            autoscaled += 1
    assert autoscaled >= 10
    assert (scaled > 10) == (stack_plan.stack == "dev")


def test_the_node_groups_hold_each_stacks_pods_and_little_more(stack_plan):
    """The estimate prices the node groups, not Karpenter's nodes (dev has none): each stack's
    groups hold what its pods ask at their fewest replicas (tenants, sidecars, in-cluster
    stores, add-ons, EKS's own, DaemonSets on every node), and are not half idle."""
    held = capacity(stack_plan)
    assert held is not None and not held.unknown
    assert held.cpu_share <= 1 and held.memory_share <= 1 and held.pod_share <= 1, \
        held.summary()
    # what binds the nodes (dev's memory, the others' CPU) is used
    assert max(held.cpu_share, held.memory_share) >= 0.6, held.summary()
    # the tenants alone, sidecars included, as the scheduler counts them
    minimum = {(h["metadata"]["namespace"], h["spec"]["scaleTargetRef"]["name"]):
               h["spec"]["minReplicas"] for h in objects(stack_plan, "HorizontalPodAutoscaler")}
    tenants = 0
    for dep in objects(stack_plan, "Deployment"):
        replicas = dep["spec"].get("replicas") or minimum[(dep["metadata"]["namespace"],
                                                           dep["metadata"]["name"])]
        template = dep["spec"]["template"]
        requests = template["spec"]["containers"][0]["resources"]["requests"]
        sidecar = template["metadata"]["annotations"].get("sidecar.istio.io/proxyCPU", "0m")
        tenants += replicas * (cpu_millis(requests["cpu"]) + cpu_millis(sidecar))
    # ... which the check counts, exactly: without the tenants' Deployments it asks that less
    import dataclasses
    apps = [r for r in stack_plan.of_type("kubernetes:apps/v1:Deployment")
            if r.inputs["metadata"]["namespace"] in APPS]
    rest = dataclasses.replace(stack_plan, resources=[r for r in stack_plan.resources
                                                      if r not in apps])
    without = capacity(rest)
    assert without is not None and 0 < tenants == held.cpu - without.cpu


def test_devs_nodes_keep_room_for_its_pods(dev):
    """dev's node group, the cheapest the check accepts (issue 18): at most 90% of its CPU and
    memory asked, a rollout of every Deployment at once fitting beside its pods, a slot for
    every pod (prefix delegation)."""
    held = capacity(dev)
    assert held is not None and held.prefix_delegation
    assert held.cpu_share <= 0.9 and held.memory_share <= 0.9, held.summary()
    assert held.surge_fits, held.summary()


def test_an_oversized_node_group_is_seen(prod):
    """prod's groups before issue 18 (three m6i.large, six m6i.xlarge: 30 vCPU for ~16 asked)
    would fail the check above."""
    import copy
    import dataclasses

    groups = []
    for record in prod.of_type("aws:eks/nodeGroup:NodeGroup"):
        group = copy.deepcopy(record)
        general = record.name.endswith("general")
        group.inputs["instanceTypes"] = ["m6i.xlarge" if general else "m6i.large"]
        group.inputs["scalingConfig"]["desiredSize"] = 6 if general else 3
        groups.append(group)
    others = [r for r in prod.resources if r.type != "aws:eks/nodeGroup:NodeGroup"]
    held = capacity(dataclasses.replace(prod, resources=[*others, *groups]))
    assert held is not None and held.nodes == 9 and held.cpu_share < 0.6


# -- secrets ---------------------------------------------------------------------------------------


def test_generated_secrets_stay_secret(stack_plan):
    secrets = [r for r in stack_plan.of_type("kubernetes:core/v1:Secret")
               if r.inputs["metadata"]["namespace"] in APPS]
    assert secrets
    for secret in secrets:
        assert secret.inputs["stringData"] == SECRET
    document = json.dumps({"resources": [r.to_json() for r in stack_plan.resources],
                           "outputs": stack_plan.outputs})
    assert "mock-password-" not in document  # the mocks' stand-in password never shows


def test_secrets_are_mounted_read_only_files(stack_plan):
    backend = named(stack_plan, "Deployment", "mentorplatform", "backend")["spec"]["template"]
    (container,) = backend["spec"]["containers"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "secret-jwt-signing-key")
    assert mount == {"name": "secret-jwt-signing-key", "readOnly": True,
                     "mountPath": "/var/run/secrets/shipyard/jwt-signing-key"}
    assert not any("valueFrom" in e for e in container.get("env", []))


# -- routing, mesh, delivery -----------------------------------------------------------------------


def test_each_application_url_is_a_stack_output(stack_plan):
    domain = stack_settings(stack_plan.stack).dns.domain
    labels = {"mentorplatform": "mentor", "learning-platform": "learn", "sre-platform": "sre",
              "code-learn": "code", "everything-portal": "portal"}
    assert stack_plan.outputs["applicationUrls"] == {
        app: f"https://{label}.{domain}" for app, label in labels.items()}


def test_routed_mesh_ports_accept_the_gateways_plain_text_only_under_strict_mtls(plans):
    def exceptions(plan):
        return {(p["metadata"]["namespace"], p["metadata"]["name"]): p["spec"]["portLevelMtls"]
                for p in objects(plan, "PeerAuthentication")}
    assert exceptions(plans["dev"]) == {}   # PERMISSIVE mesh-wide already
    staging = exceptions(plans["staging"])
    assert staging[("code-learn", "api-gateway-gateway")] == {"8080": {"mode": "PERMISSIVE"}}
    assert ("code-learn", "user-service-gateway") not in staging   # not routed: mTLS only
    assert set(staging) == set(exceptions(plans["prod"]))


def test_the_staging_canary_takes_ten_percent_of_the_mesh_calls(staging):
    canary = named(staging, "Deployment", "code-learn", "post-service-canary")
    assert canary["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":1.1.0")
    assert canary["spec"]["template"]["metadata"]["labels"]["shipyard.dev/track"] == "canary"
    stable = named(staging, "Service", "code-learn", "post-service")["spec"]["selector"]
    assert stable["shipyard.dev/track"] == "stable"
    vs = named(staging, "VirtualService", "code-learn", "post-service")["spec"]
    assert [(r["destination"]["host"].split(".")[0], r["weight"])
            for r in vs["http"][0]["route"]] == [("post-service", 90),
                                                 ("post-service-canary", 10)]


def test_the_prod_blue_green_serves_the_active_slot_and_previews_the_other(prod):
    for slot, tag in (("blue", "1.0.0"), ("green", "1.1.0")):
        dep = named(prod, "Deployment", "everything-portal", f"chat-ui-{slot}")
        assert dep["spec"]["template"]["spec"]["containers"][0]["image"].endswith(f":{tag}")
    assert named(prod, "Service", "everything-portal", "chat-ui")["spec"]["selector"][
        "shipyard.dev/track"] == "blue"
    assert named(prod, "Service", "everything-portal", "chat-ui-preview")["spec"]["selector"][
        "shipyard.dev/track"] == "green"
    rules = named(prod, "HTTPRoute", "everything-portal", "everything-portal")["spec"]["rules"]
    chat = [r for r in rules if r["matches"][0]["path"]["value"] == "/chat"]
    # the header rule comes first: Gateway API prefers it anyway (more matches), and so do readers
    assert chat[0]["matches"][0]["headers"] == [
        {"type": "Exact", "name": "x-shipyard-preview", "value": "true"}]
    assert chat[0]["backendRefs"] == [{"name": "chat-ui-preview", "port": 3000}]
    assert chat[1]["backendRefs"] == [{"name": "chat-ui", "port": 3000}]


def test_mesh_deployments_wait_for_the_sidecar_injector_and_others_do_not(prod):
    istiod = next(r for r in prod.of_type("kubernetes:helm.sh/v3:Release")
                  if r.inputs["name"] == "istiod")
    for record in prod.of_type("kubernetes:apps/v1:Deployment"):
        namespace = record.inputs["metadata"]["namespace"]
        if namespace in APPS:
            assert (istiod.urn in record.dependencies) is (namespace in MESH_APPS), record.name


def test_a_service_that_calls_aws_gets_its_own_role(prod):
    """Through EKS Pod Identity: only this service account may assume it, its pods start once
    the association exists, and no service account carries a role annotation."""
    (role,) = [r for r in prod.of_type("aws:iam/role:Role")
               if (r.inputs.get("tags") or {}).get("shipyard.dev/service-account")
               == "sre-platform.image"]
    association = assert_pod_identity(prod, role, "sre-platform", "image")
    (deployment,) = [r for r in prod.of_type("kubernetes:apps/v1:Deployment")
                     if r.inputs["metadata"]["name"] == "image"
                     and r.inputs["metadata"]["namespace"] == "sre-platform"]
    assert association.urn in deployment.dependencies
    assert not [s for s in objects(prod, "ServiceAccount") if s["metadata"].get("annotations")]


def test_pods_with_a_pod_identity_role_are_let_out_to_the_agent(prod):
    """Under Pod Identity a pod's AWS credentials come from the node's agent (169.254.170.23,
    TCP 80): wherever a NetworkPolicy restricts the egress of a pod whose service account has an
    association, one of the policies selecting it lets it out there. The add-ons' namespaces
    (their charts' pods are not rendered offline) restrict no egress at all."""
    agent = {"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}],
             "ports": [{"protocol": "TCP", "port": 80}]}
    everything = manifests(prod)
    policies = [o for o in everything if o["kind"] == "NetworkPolicy"
                and "Egress" in o["spec"]["policyTypes"]]
    pods: dict[tuple[str, str], list[dict[str, str]]] = {}
    for dep in (o for o in everything if o["kind"] == "Deployment"):
        template = dep["spec"]["template"]
        pods.setdefault((dep["metadata"]["namespace"], template["spec"]["serviceAccountName"]),
                        []).append(template["metadata"]["labels"])
    accounts = {(a.inputs["namespace"], a.inputs["serviceAccount"])
                for a in prod.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")}
    accounts |= {("kube-system", a["serviceAccount"])
                 for addon in prod.of_type("aws:eks/addon:Addon")
                 for a in addon.inputs.get("podIdentityAssociations") or []}
    assert ("sre-platform", "image") in accounts and len(accounts) >= 10
    checked = 0
    for namespace, account in sorted(accounts):
        in_namespace = [p for p in policies if p["metadata"]["namespace"] == namespace]
        if (namespace, account) not in pods:
            assert not in_namespace, f"{namespace}: egress restricted for a chart's pods"
            continue
        for labels in pods[namespace, account]:
            selecting = [p for p in in_namespace
                         if matches(p["spec"]["podSelector"].get("matchLabels", {}), labels)]
            if selecting:
                checked += 1
                assert any(agent in p["spec"].get("egress", []) for p in selecting), \
                    f"{namespace}/{account}: no way out to the Pod Identity agent"
    assert checked


# -- pure functions ---------------------------------------------------------------------------------


def app(**overrides: Any) -> Application:
    data = {
        "name": "shop", "hostname": "shop",
        "routes": [{"path": "/", "service": "web"}],
        "services": {
            "web": {"image": "shop/web", "tag": "1", "ports": [{"name": "http", "port": 8080}],
                    "replicas": 2, "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                                 "limits": {"cpu": "200m", "memory": "128Mi"}}},
            "api": {"image": "shop/api", "tag": "1", "ports": [{"name": "http", "port": 9000}],
                    "autoscaling": {"minReplicas": 2, "maxReplicas": 4, "cpuUtilization": 70},
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                  "limits": {"cpu": "500m", "memory": "256Mi"}},
                    "callers": ["web"], "uses": [{"store": "pg"}], "aws": True},
        },
        "stores": {"pg": {"kind": "postgresql"}},
    }
    data.update(overrides)
    return Application.model_validate(data)


def test_network_policies_allow_exactly_what_the_catalog_declares():
    policies = network_policies(app(), gateway_namespace="gateway",
                                store_cidrs=["10.0.224.0/22"], mesh=False)
    assert set(policies) == {"default-deny", "allow-dns", "web", "api"}
    web, api = policies["web"], policies["api"]
    assert web["ingress"] == [{"from": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "gateway"}}}], "ports": [{"protocol": "TCP",
                                                                 "port": 8080}]}]
    assert web["egress"] == [{"to": [{"podSelector": {"matchLabels": {NAME: "api"}}}],
                              "ports": [{"protocol": "TCP", "port": 9000}]}]
    assert api["ingress"] == [{"from": [{"podSelector": {"matchLabels": {NAME: "web"}}}],
                               "ports": [{"protocol": "TCP", "port": 9000}]}]
    store, aws = api["egress"]
    assert store == {"to": [{"podSelector": {"matchLabels": {"shipyard.dev/store": "pg"}}},
                            {"ipBlock": {"cidr": "10.0.224.0/22"}}],
                     "ports": [{"protocol": "TCP", "port": 5432}]}
    assert aws["ports"] == [{"protocol": "TCP", "port": 443}]
    # under Pod Identity the service that calls AWS also reaches the node's agent; nothing else
    agent = {"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}],
             "ports": [{"protocol": "TCP", "port": 80}]}
    assert agent not in api["egress"]
    with_agent = network_policies(app(), gateway_namespace="gateway",
                                  store_cidrs=["10.0.224.0/22"], mesh=False,
                                  pod_identity_agent=True)
    assert with_agent["api"]["egress"] == [store, aws, agent]
    assert with_agent["web"] == web
    assert "allow-mesh-control-plane" in network_policies(
        app(mesh=True), gateway_namespace=None, store_cidrs=[], mesh=True)


def test_a_mesh_quota_counts_the_sidecars():
    plain, mesh = quota_spec(app(), mesh=False)["hard"], quota_spec(app(), mesh=True)["hard"]
    assert plain["pods"] == mesh["pods"] == str(int((3 + 5) * 1.25))
    assert cpu_millis(mesh["limits.cpu"]) > cpu_millis(plain["limits.cpu"])


def test_a_canary_route_splits_by_weight():
    shop = app(services={**app().model_dump(by_alias=True)["services"],
                         "web": {**app().model_dump(by_alias=True)["services"]["web"],
                                 "delivery": {"strategy": "canary",
                                              "canary": {"tag": "2", "weight": 25}}}})
    spec = http_route_spec(shop, host="shop.example.com", routing=Routing(
        gateway_name="platform", gateway_namespace="gateway", listeners=("https-wildcard",),
        hsts_max_age_seconds=60))
    assert spec["rules"][0]["backendRefs"] == [{"name": "web", "port": 8080, "weight": 75},
                                               {"name": "web-canary", "port": 8080, "weight": 25}]
    assert spec["parentRefs"][0]["sectionName"] == "https-wildcard"


# -- without the add-ons ---------------------------------------------------------------------------


def test_tenants_plan_on_a_bare_existing_cluster():
    """No Gateway, no mesh, no IRSA: the tenants still plan, with what does not need them."""
    plan = run_platform("dev", hosting=("mentorplatform", "learning-platform", "sre-platform"),
                        overrides={
        "shipyard:cluster": {"mode": "existing", "context": "minikube"},
        "shipyard:addons": {"certManager": {"enabled": False, "acmeEmail": "ops@example.com"},
                            "ingress": {"enabled": False}, "istio": {"enabled": False},
                            "externalDns": {"enabled": False}},
        # (code-learn's in-cluster RabbitMQ would need cert-manager: a settings error says so)
    })
    assert len(objects(plan, "Deployment")) >= 10
    assert not objects(plan, "HTTPRoute") and not objects(plan, "DestinationRule")
    assert not plan.of_type("aws:iam/role:Role")
    assert "applicationUrls" in plan.outputs and plan.outputs["applicationUrls"] == {}


def test_an_in_cluster_rabbitmq_without_cert_manager_is_a_settings_error():
    with pytest.raises(SettingsError) as info:
        run_program("dev", overrides={"shipyard:addons": {
            "certManager": {"enabled": False, "acmeEmail": "ops@example.com"}}})
    assert "shipyard:applications.code-learn.stores: its RabbitMQ runs in the cluster" in \
        str(info.value)


def test_a_mesh_application_without_istio_is_a_settings_error():
    with pytest.raises(SettingsError) as info:
        run_program("dev", overrides={"shipyard:addons": {
            "certManager": {"acmeEmail": "ops@example.com"}, "istio": {"enabled": False}}})
    assert "shipyard:applications.code-learn.mesh: the application joins the mesh, but " \
           "addons.istio.enabled is false" in str(info.value)


# -- observability (issue 7) -------------------------------------------------------------------


def test_every_service_with_metrics_is_scraped(stack_plan):
    """A ServiceMonitor per service outside the mesh (its metrics port); in the mesh a
    PodMonitor on the sidecar's merged endpoint, which Prometheus reaches without mTLS."""
    for application in stack_settings(stack_plan.stack).applications:
        for name, svc in application.services.items():
            kind = "PodMonitor" if application.mesh else "ServiceMonitor"
            found = [o for o in objects(stack_plan, kind, (application.name,))
                     if o["metadata"]["name"] == name]
            if svc.metrics is None and not application.mesh:
                assert not found, f"{application.name}/{name} has no metrics endpoint"
                continue
            (monitor,) = found   # in the mesh, every service: its sidecar's metrics
            if application.mesh:
                (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
                assert (endpoint["portNumber"], endpoint["path"]) == (15020, "/stats/prometheus")
            else:
                (endpoint,) = monitor["spec"]["endpoints"]
                assert (endpoint["port"], endpoint["path"]) == (svc.metrics_port.name,
                                                                svc.metrics.path)


def test_prometheus_gets_through_each_scraped_services_network_policy(stack_plan):
    for application in stack_settings(stack_plan.stack).applications:
        for name, svc in application.services.items():
            if svc.metrics is None and not application.mesh:
                continue
            policy = named(stack_plan, "NetworkPolicy", application.name, name)["spec"]
            port = 15020 if application.mesh else svc.metrics_port.port
            assert {"from": [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": "monitoring"}}}],
                "ports": [{"protocol": "TCP", "port": port}]} in policy["ingress"], name


def test_the_tracing_endpoint_reaches_every_deployment(stack_plan):
    for dep in objects(stack_plan, "Deployment"):
        (container,) = dep["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == \
            "http://opentelemetry-collector.observability.svc.cluster.local:4317"
        assert env["OTEL_SERVICE_NAME"] == dep["metadata"]["labels"][NAME]
        assert f"deployment.environment={stack_plan.stack}" in env["OTEL_RESOURCE_ATTRIBUTES"]
    for namespace in APPS:
        out = named(stack_plan, "NetworkPolicy", namespace, "allow-traces-out")["spec"]
        assert out["egress"][0]["ports"] == [{"protocol": "TCP", "port": 4317},
                                             {"protocol": "TCP", "port": 4318}]


def test_without_the_observability_add_ons_the_tenants_carry_none_of_their_wiring():
    plan = run_platform("staging", hosting=("mentorplatform", "sre-platform"),
                        overrides={"shipyard:addons": {
                            "certManager": {"acmeEmail": "ops@example.com"},
                            **{key: {"enabled": False} for key in (
                                "monitoring", "logging", "tracing", "kiali", "argocd")}}})
    charts = {r.inputs["chart"] for r in plan.of_type("kubernetes:helm.sh/v3:Release")}
    assert not charts & {"kube-prometheus-stack", "loki", "alloy", "opentelemetry-collector",
                         "tempo", "kiali-server", "argo-cd"}
    assert not objects(plan, "ServiceMonitor") and not objects(plan, "PodMonitor")
    for dep in objects(plan, "Deployment"):
        env = dep["spec"]["template"]["spec"]["containers"][0].get("env", [])
        assert not [e for e in env if e["name"].startswith("OTEL_")]
    assert not [p for p in objects(plan, "NetworkPolicy")
                if p["metadata"]["name"] == "allow-traces-out"]
    assert "grafanaUrl" not in plan.outputs and len(objects(plan, "Deployment")) >= 5


def test_a_gateway_outside_the_mesh_is_admitted_as_plain_text_only():
    from components.mesh import authorization_policy_spec

    shop = app(mesh=True)
    spec = authorization_policy_spec(shop, "web", shop.services["web"],
                                     routed_ports=shop.services["web"].ports,
                                     gateway_namespace="gateway", gateway_in_mesh=False)
    (rule,) = spec["rules"]
    # no mesh identity: the Gateway's plain text; a mesh workload is not let in by this rule
    assert rule["from"] == [{"source": {"notPrincipals": ["*"]}}]
    inside = authorization_policy_spec(shop, "web", shop.services["web"],
                                       routed_ports=shop.services["web"].ports,
                                       gateway_namespace="gateway", gateway_in_mesh=True)
    assert inside["rules"][0]["from"] == [{"source": {"namespaces": ["gateway"]}}]


def test_route_timeouts_only_where_the_controller_applies_them():
    data = app().model_dump(by_alias=True)
    data["services"]["web"]["resilience"] = {"timeoutSeconds": 3}
    shop = Application.model_validate(data)

    def rule(request_timeouts):
        return http_route_spec(shop, host="shop.example.com", routing=Routing(
            gateway_name="platform", gateway_namespace="gateway", listeners=("https-x",),
            hsts_max_age_seconds=60, request_timeouts=request_timeouts))["rules"][0]
    assert rule(True)["timeouts"] == {"request": "3s"}       # Istio's gateway
    assert "timeouts" not in rule(False)                     # NGINX Gateway Fabric 2.6


def test_a_sidecar_outlives_its_apps_shutdown(prod):
    dep = named(prod, "Deployment", "code-learn", "user-service")["spec"]["template"]
    config = json.loads(dep["metadata"]["annotations"]["proxy.istio.io/config"])
    sleep = dep["spec"]["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert config["holdApplicationUntilProxyStarts"] is True
    assert int(config["terminationDrainDuration"].removesuffix("s")) > sleep
    assert config["proxyMetadata"] == {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": "true"}


def test_the_outputs_a_user_needs_after_pulumi_up(plans):
    """Issue 8: kubeconfig (secret), cluster name, region, ECR URLs, name servers, each
    application's URL (above), Grafana's URL, and the UIs' addresses where they are served."""
    for stack in ("dev", "staging", "prod"):
        out = plans[stack].outputs
        assert out["kubeconfig"] == SECRET and out["grafanaAdminPassword"] == SECRET
        assert out["clusterName"] == f"shipyard-{stack}" and out["region"] == "us-east-1"
        assert out["repositoryUrls"] and len(out["nameServers"]) == 4
    domain = stack_settings("dev").dns.domain
    dev, prod = plans["dev"].outputs, plans["prod"].outputs
    assert dev["grafanaUrl"] == f"https://grafana.{domain}"
    assert dev["argocdUrl"] == f"https://argocd.{domain}"
    assert dev["kialiUrl"] == f"https://kiali.{domain}"
    # prod serves no UI: the output says how to reach Grafana instead
    assert "kubectl -n monitoring port-forward svc/monitoring-grafana" in prod["grafanaUrl"]
    assert "argocdUrl" not in prod and "kialiUrl" not in prod
