"""EKS Auto Mode (issue 17): ``shipyard:cluster.autoMode: true`` in a variant of each stack.

"Done when": a prod variant with ``cluster.autoMode`` plans with compute config enabled, no
node groups and no Karpenter chart. Besides: block storage and load balancing on together,
the built-in pools, the roles Auto Mode needs, none of what it runs itself (Karpenter, the EBS
CSI, VPC CNI, CoreDNS, kube-proxy and Pod Identity agent add-ons, the load balancer
controller), and the Gateway's NLB, the StorageClass, the snapshot class and NetworkPolicy
enforcement fitted to Auto Mode's own controllers; the estimate prices its fee.
"""

from __future__ import annotations

import json

import pytest

from offline.destroy import destroy_report
from offline.estimates.cost import estimate_cost
from shipyard.config.base import SettingsError
from tests.support.plans import run_platform
from tests.support.settings import parse

STACKS = ("dev", "staging", "prod")
RELEASE = "kubernetes:helm.sh/v3:Release"
AUTO = {"shipyard:cluster": {"autoMode": True}}


@pytest.fixture(scope="module")
def auto():
    return {stack: run_platform(stack, overrides=AUTO) for stack in STACKS}


def cluster(plan):
    (found,) = plan.of_type("aws:eks/cluster:Cluster")
    return found


def attached(plan, role):
    return {a.inputs["policyArn"].rsplit("/", 1)[-1]
            for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            if a.inputs["role"] == role.outputs["name"]}


def role_of(plan, arn):
    (found,) = [r for r in plan.of_type("aws:iam/role:Role") if r.outputs["arn"] == arn]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_compute_storage_and_load_balancing_are_on_together(auto, stack):
    inputs = cluster(auto[stack]).inputs
    assert inputs["computeConfig"]["enabled"] is True
    assert inputs["computeConfig"]["nodePools"] == ["general-purpose", "system"]
    assert inputs["kubernetesNetworkConfig"] == {"elasticLoadBalancing": {"enabled": True}}
    assert inputs["storageConfig"] == {"blockStorage": {"enabled": True}}
    assert inputs["bootstrapSelfManagedAddons"] is False
    assert inputs["accessConfig"]["authenticationMode"] == "API"


@pytest.mark.parametrize("stack", STACKS)
def test_no_node_groups_and_nothing_auto_mode_runs_itself(auto, stack):
    plan = auto[stack]
    assert plan.of_type("aws:eks/nodeGroup:NodeGroup") == []
    # no node's launch template (dev's NAT instance has its own, in the network)
    assert [t.name for t in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")
            if plan.component_of(t) != "network"] == []
    charts = {r.inputs["chart"].rsplit("/", 1)[-1] for r in plan.of_type(RELEASE)}
    assert not charts & {"karpenter", "karpenter-crd", "aws-load-balancer-controller"}
    assert not [r for r in plan.resources if r.type.startswith("kubernetes:karpenter")]
    assert [a.inputs["addonName"] for a in plan.of_type("aws:eks/addon:Addon")] == [
        "snapshot-controller"]


def test_the_prod_variant_has_compute_no_node_groups_and_no_karpenter_chart(auto):
    """The issue's "done when", on prod's variant."""
    prod = auto["prod"]
    assert cluster(prod).inputs["computeConfig"]["enabled"] is True
    assert prod.of_type("aws:eks/nodeGroup:NodeGroup") == []
    assert not [r for r in prod.of_type(RELEASE) if "karpenter" in r.inputs["chart"]]


def test_the_roles_are_the_ones_auto_mode_needs(auto):
    plan = auto["prod"]
    inputs = cluster(plan).inputs
    cluster_role = role_of(plan, inputs["roleArn"])
    (trust,) = json.loads(cluster_role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "eks.amazonaws.com"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert attached(plan, cluster_role) == {
        "AmazonEKSClusterPolicy", "AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
        "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy"}
    node_role = role_of(plan, inputs["computeConfig"]["nodeRoleArn"])
    assert json.loads(node_role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"}
    assert attached(plan, node_role) == {"AmazonEKSWorkerNodeMinimalPolicy",
                                         "AmazonEC2ContainerRegistryPullOnly"}
    # not the node groups' role (cluster-node-role): a switch leaves their nodes' policies and
    # access entry alone until the node groups are gone
    assert node_role.name == "cluster-auto-node-role"
    # the cluster starts once both roles hold their policies (its nodes may start at once)
    grants = [a.urn for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
              if a.inputs["role"] in (cluster_role.outputs["name"], node_role.outputs["name"])]
    assert set(grants) <= set(cluster(plan).dependencies)


def test_storage_snapshots_load_balancers_and_network_policies_fit_auto_mode(auto):
    plan = auto["prod"]
    (storage,) = plan.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert storage.inputs["provisioner"] == "ebs.csi.eks.amazonaws.com"
    assert storage.inputs["parameters"]["encrypted"] == "true"
    (snapshots,) = plan.of_type("kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass")
    assert snapshots.inputs["driver"] == "ebs.csi.eks.amazonaws.com"
    (gateway,) = plan.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    annotations = gateway.inputs["spec"]["infrastructure"]["annotations"]
    # the Service's class names Auto Mode's controller; aws-load-balancer-type (which Auto
    # Mode's page lists, "external") is left off
    assert "service.beta.kubernetes.io/aws-load-balancer-type" not in annotations
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == \
        "internet-facing"
    (ngf,) = [r for r in plan.of_type(RELEASE) if "nginx-gateway-fabric" in r.inputs["chart"]]
    assert ngf.inputs["values"]["nginx"]["service"]["loadBalancerClass"] == \
        "eks.amazonaws.com/nlb"
    (policies,) = [c for c in plan.of_type("kubernetes:core/v1:ConfigMap")
                   if c.inputs["metadata"]["name"] == "amazon-vpc-cni"]
    assert policies.inputs["metadata"]["namespace"] == "kube-system"
    assert policies.inputs["data"] == {"enable-network-policy-controller": "true"}
    # the snapshot controller runs on the system pool: it selects it and tolerates its taint
    (addon,) = plan.of_type("aws:eks/addon:Addon")
    assert json.loads(addon.inputs["configurationValues"]) == {
        "nodeSelector": {"karpenter.sh/nodepool": "system"},
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}]}


def test_the_estimate_adds_auto_modes_fee_and_still_prices_the_nlb(auto):
    estimate = estimate_cost(auto["prod"])
    items = [i for i in estimate.items if i["name"] == "cluster-eks"]
    fee = [i for i in items if "Auto Mode management fee" in i["description"]]
    assert len(fee) == 1 and fee[0]["monthly_usd"] > 0
    assert [i for i in items if "× m6i.large (on-demand, EKS Auto Mode" in i["description"]]
    assert any("Auto Mode capacity is load-dependent" in a for a in estimate.assumptions)
    # the fee is derived, not read off AWS's page: the estimate says how
    assert any(a.startswith("eks.auto_mode.m6i.large = $0.01152 per hour: derived, not read")
               for a in estimate.assumptions)
    assert [i for i in estimate.items if i["description"].startswith("Network Load Balancer")]


def test_destroy_deletes_load_balancers_and_volumes_before_the_auto_mode_cluster(auto):
    assert destroy_report(auto["prod"])["problems"] == []


def test_switching_a_deployed_stack_to_auto_mode_flags_the_volumes_it_strands(prod, auto):
    """plan.py --against the deployed plan: the StorageClass's provisioner moves from the EBS
    CSI add-on's driver to Auto Mode's, which does not attach the volumes the other made, so
    everything that holds volumes of it is DATA AT RISK (Prometheus, Loki, Tempo here)."""
    from offline.stateful import replacements

    old = json.loads(json.dumps([r.to_json() for r in prod.resources]))
    new = json.loads(json.dumps([r.to_json() for r in auto["prod"].resources]))
    stranded = [r for r in replacements(old, new) if "ebs.csi.aws.com" in r["change"]]
    names = {r["name"] for r in stranded}
    assert {"addons-monitoring-release", "addons-logging-loki-release",
            "addons-tracing-tempo-release"} <= names
    assert all("ebs.csi.eks.amazonaws.com" in r["change"] for r in stranded)
    # nothing but what holds volumes; and the same plan against itself flags nothing
    assert all(r["type"] == RELEASE or "StatefulSet" in r["type"] for r in stranded)
    assert replacements(new, new) == []


# -- settings ---------------------------------------------------------------------------------


def test_auto_mode_switches_off_what_it_runs_and_drops_the_node_groups():
    settings = parse({"cluster": json.dumps({"autoMode": True})})
    assert settings.cluster.node_groups == {}
    assert not settings.addons.karpenter.enabled
    assert not settings.addons.load_balancer_controller.enabled
    assert any(n.startswith("cluster.autoMode is true") for n in settings.notes)


@pytest.mark.parametrize("addon", ["karpenter", "loadBalancerController"])
def test_an_explicit_enabled_add_on_with_auto_mode_names_both_keys(addon):
    with pytest.raises(SettingsError) as info:
        parse({"cluster": json.dumps({"autoMode": True}),
               "addons": json.dumps({"certManager": {"acmeEmail": "ops@example.com"},
                                     addon: {"enabled": True}})})
    (problem,) = info.value.problems
    assert problem.startswith(f"shipyard:addons.{addon}.enabled:")
    assert "shipyard:cluster.autoMode" in problem


def test_node_groups_or_an_existing_cluster_with_auto_mode_are_refused():
    group = {"instanceTypes": ["m6i.large"], "minSize": 1, "desiredSize": 1, "maxSize": 2}
    with pytest.raises(SettingsError) as info:
        parse({"cluster": json.dumps({"autoMode": True, "nodeGroups": {"extra": group}})})
    assert info.value.problems[0].startswith("shipyard:cluster.nodeGroups:")
    assert "cluster.autoMode" in info.value.problems[0]
    with pytest.raises(SettingsError) as info:
        parse({"cluster": json.dumps({"autoMode": True, "mode": "existing",
                                      "context": "minikube"})})
    assert info.value.problems[0].startswith("shipyard:cluster.autoMode:")


def test_an_auto_mode_upgrade_has_eks_replace_its_nodes_and_replaces_nothing(auto):
    from offline import upgrade

    plan = auto["prod"]
    now = cluster(plan).inputs["version"]
    doc = {"resources": [r.to_json() for r in plan.resources]}
    old = json.loads(json.dumps(doc))
    for r in old["resources"]:
        if r["type"] == upgrade.CLUSTER:
            r["inputs"]["version"] = "1.34"
        if r["type"] == upgrade.ADDON:
            r["inputs"]["addonVersion"] = r["inputs"]["addonVersion"].replace(now, "1.34")
    report = upgrade.upgrade_report(old, doc)
    assert [s["step"].split(" (")[0] for s in report["steps"]] == [
        "control plane", "EKS managed add-ons", "managed node groups", "EKS Auto Mode's nodes",
        "charts whose version changes"]
    assert report["steps"][2]["changes"] == []
    assert "general-purpose, system" in report["steps"][3]["changes"][0]
    assert report["problems"] == []
