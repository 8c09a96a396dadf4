"""The EKS cluster each stack plans: secure by default, cheaper in dev, decided by settings."""

import json

import pytest

from components.cluster import kubeconfig
from offline.harness import SECRET
from shipyard.config.base import SettingsError
from shipyard.config.cluster import EKS_LOG_TYPES, EKS_VERSIONS
from shipyard.rules import iam
from tests.support.plans import pod_identity_statement, run_platform, transition_provider

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"


def eks(plan):
    (cluster,) = plan.of_type(CLUSTER)
    return cluster


def addon(plan, name):
    (found,) = [a for a in plan.of_type(ADDON) if a.inputs["addonName"] == name]
    return found


def private_subnet_ids(plan):
    return sorted(s.id for s in plan.of_type("aws:ec2/subnet:Subnet")
                  if s.inputs["tags"]["tier"] == "private")


def test_the_cluster_runs_in_every_private_subnet(stack_plan):
    cluster = eks(stack_plan)
    assert sorted(cluster.inputs["vpcConfig"]["subnetIds"]) == private_subnet_ids(stack_plan)
    for group in stack_plan.of_type(NODE_GROUP):
        assert sorted(group.inputs["subnetIds"]) == private_subnet_ids(stack_plan)


def test_the_kubernetes_version_is_in_standard_support(stack_plan):
    assert eks(stack_plan).inputs["version"] in EKS_VERSIONS
    assert eks(stack_plan).inputs["upgradePolicy"] == {"supportType": "STANDARD"}


def test_secrets_are_envelope_encrypted_with_a_rotating_key(stack_plan):
    cluster = eks(stack_plan)
    key = stack_plan.named("cluster-secrets-key")
    assert key.inputs["enableKeyRotation"] is True
    (config,) = cluster.inputs["encryptionConfig"] if isinstance(
        cluster.inputs["encryptionConfig"], list) else [cluster.inputs["encryptionConfig"]]
    assert config["resources"] == ["secrets"]
    assert config["provider"]["keyArn"] == key.outputs["arn"]


@pytest.mark.parametrize("stack,log_types,retention", [
    ("dev", ["api", "audit", "authenticator"], 14),
    ("staging", ["api", "audit", "authenticator"], 30),
    ("prod", list(EKS_LOG_TYPES), 365),
])
def test_control_plane_logs_go_to_a_group_with_retention(plans, stack, log_types, retention):
    plan = plans[stack]
    cluster = eks(plan)
    assert cluster.inputs["enabledClusterLogTypes"] == log_types
    group = plan.named("cluster-control-plane-logs")
    assert group.inputs["name"] == f"/aws/eks/{cluster.inputs['name']}/cluster"
    assert group.inputs["retentionInDays"] == retention
    assert group.urn in cluster.dependencies  # created first, so EKS does not make its own


def test_the_private_endpoint_is_always_on_and_prod_has_no_public_one(stack_plan, prod):
    assert eks(stack_plan).inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert eks(prod).inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in eks(prod).inputs["vpcConfig"]


def test_dev_public_endpoint_lists_its_cidrs(dev):
    vpc = eks(dev).inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True and vpc["publicAccessCidrs"]


def test_prod_refuses_a_world_open_endpoint():
    with pytest.raises(SettingsError) as info:
        run_platform("prod", overrides={"shipyard:cluster": {
            "endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}})
    assert info.value.problems[0].startswith("shipyard:cluster.publicAccessCidrs:")


def test_access_is_by_api_access_entries(stack_plan):
    assert eks(stack_plan).inputs["accessConfig"]["authenticationMode"] == "API"
    assert not [r for r in stack_plan.resources if r.type == "kubernetes:core/v1:ConfigMap"
                and r.inputs.get("metadata", {}).get("name") == "aws-auth"]


def test_admins_from_config_get_cluster_admin_access_entries():
    admin = "arn:aws:iam::123456789012:role/platform-admins"
    plan = run_platform("staging", overrides={"shipyard:cluster": {"admins": [admin]}})
    # (Karpenter's nodes have an EC2_LINUX entry of their own)
    (entry,) = [e for e in plan.of_type("aws:eks/accessEntry:AccessEntry")
                if e.inputs["type"] == "STANDARD"]
    (association,) = plan.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert entry.inputs["principalArn"] == association.inputs["principalArn"] == admin
    assert association.inputs["policyArn"].endswith("cluster-access-policy/"
                                                    "AmazonEKSClusterAdminPolicy")
    assert association.inputs["accessScope"] == {"type": "cluster"}
    assert entry.urn in association.dependencies


def test_irsa_trust_is_scoped_to_one_service_account_and_the_sts_audience():
    doc = json.loads(iam.irsa_trust("arn:aws:iam::1:oidc-provider/oidc.eks/id/X",
                                    "https://oidc.eks/id/X", "kube-system", "aws-node"))
    (statement,) = doc["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks/id/X"}
    assert statement["Condition"]["StringEquals"] == {
        "oidc.eks/id/X:sub": "system:serviceaccount:kube-system:aws-node",
        "oidc.eks/id/X:aud": "sts.amazonaws.com"}


@pytest.mark.parametrize("name,namespace,account,policy", [
    ("vpc-cni", "kube-system", "aws-node", "AmazonEKS_CNI_Policy"),
    ("aws-ebs-csi-driver", "kube-system", "ebs-csi-controller-sa", "AmazonEBSCSIDriverPolicyV2"),
])
def test_aws_calling_addons_have_their_own_role_through_pod_identity(prod, name, namespace,
                                                                     account, policy):
    """The add-on makes its own association (EKS checks its version supports Pod Identity)."""
    role = prod.named(f"cluster-{name}-role")
    inputs = addon(prod, name).inputs
    assert inputs["podIdentityAssociations"] == [
        {"roleArn": role.outputs["arn"], "serviceAccount": account}]
    assert "serviceAccountRoleArn" not in inputs
    assert role.outputs["arn"] != prod.named("cluster-node-role").outputs["arn"]
    trust = pod_identity_statement(json.loads(role.inputs["assumeRolePolicy"]),
                                   transition_provider(prod))
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {
        "aws:RequestTag/eks-cluster-name": eks(prod).inputs["name"],
        "aws:RequestTag/kubernetes-namespace": namespace,
        "aws:RequestTag/kubernetes-service-account": account}
    attachment = prod.named(f"cluster-{name}-{policy}")
    assert attachment.inputs["policyArn"] == f"arn:aws:iam::aws:policy/{policy}"


def test_the_vpc_cni_enforces_network_policies(prod):
    config = json.loads(addon(prod, "vpc-cni").inputs["configurationValues"])
    assert config["enableNetworkPolicy"] == "true"


def test_dev_delegates_prefixes_and_eks_sets_its_nodes_max_pods(plans):
    """dev's VPC CNI assigns /28 prefixes (one warm a node), staging's and prod's single
    addresses. EKS sets a managed node's maxPods for prefixes itself (110 under 30 vCPUs) when
    its launch template names no AMI: the templates name none and carry no user data, and the
    groups are created after the add-on is configured."""
    for stack in ("dev", "staging", "prod"):
        plan = plans[stack]
        cni = addon(plan, "vpc-cni")
        env = json.loads(cni.inputs["configurationValues"]).get("env", {})
        if stack == "dev":
            assert env == {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
        else:
            assert "ENABLE_PREFIX_DELEGATION" not in env, stack
        for group in plan.of_type(NODE_GROUP):
            (template,) = [t for t in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")
                           if t.id == group.inputs["launchTemplate"]["id"]]
            assert "imageId" not in template.inputs and "userData" not in template.inputs
            assert cni.urn in group.dependencies


def test_addons_install_in_order_around_the_nodes(stack_plan):
    groups = stack_plan.of_type(NODE_GROUP)
    assert groups
    for before in ("vpc-cni", "eks-pod-identity-agent"):
        assert all(addon(stack_plan, before).urn in g.dependencies for g in groups)
    for after in ("coredns", "aws-ebs-csi-driver"):
        assert {g.urn for g in groups} <= set(addon(stack_plan, after).dependencies)
    # kube-proxy is a DaemonSet, ACTIVE without nodes: it does not wait for them
    assert not {g.urn for g in groups} & set(addon(stack_plan, "kube-proxy").dependencies)
    assert eks(stack_plan).inputs["bootstrapSelfManagedAddons"] is False


def test_node_groups_come_from_the_config_map(dev, prod):
    assert sorted(g.name for g in prod.of_type(NODE_GROUP)) == ["cluster-general", "cluster-system"]
    assert [g.name for g in dev.of_type(NODE_GROUP)] == ["cluster-general"]


def test_dev_is_cheaper_spot_capacity_with_fewer_nodes(dev, prod):
    dev_groups, prod_groups = dev.of_type(NODE_GROUP), prod.of_type(NODE_GROUP)
    assert {g.inputs["capacityType"] for g in dev_groups} == {"SPOT"}
    assert {g.inputs["capacityType"] for g in prod_groups} == {"ON_DEMAND"}
    desired = lambda groups: sum(g.inputs["scalingConfig"]["desiredSize"] for g in groups)  # noqa: E731
    assert desired(dev_groups) < desired(prod_groups)


def test_nodes_use_imdsv2_encrypted_gp3_and_no_ssh(stack_plan):
    for group in stack_plan.of_type(NODE_GROUP):
        template = [t for t in stack_plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")
                    if t.id == group.inputs["launchTemplate"]["id"]][0]
        meta = template.inputs["metadataOptions"]
        assert meta["httpTokens"] == "required" and meta["httpPutResponseHopLimit"] == 1
        (disk,) = template.inputs["blockDeviceMappings"]
        assert disk["ebs"]["volumeType"] == "gp3" and disk["ebs"]["encrypted"] == "true"
        assert "keyName" not in template.inputs and "remoteAccess" not in group.inputs
        assert group.inputs["launchTemplate"]["version"] == "1"
        assert "scalingConfig.desiredSize" in group.options["ignoreChanges"]


def test_the_node_role_has_only_worker_ecr_pull_and_ssm_policies(stack_plan):
    role = stack_plan.named("cluster-node-role")
    attached = sorted(a.inputs["policyArn"].rsplit("/", 1)[1]
                      for a in stack_plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                      if a.inputs["role"] == role.outputs["name"])
    assert attached == ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy",
                        "AmazonSSMManagedInstanceCore"]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"}


def test_webhook_ports_are_open_from_the_control_plane(stack_plan):
    cluster_sg = eks(stack_plan).outputs["vpcConfig"]["clusterSecurityGroupId"]
    rules = {r.inputs["fromPort"]: r for r in
             stack_plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r.inputs["securityGroupId"] == cluster_sg}
    for port in (15017, 15012):
        assert rules[port].inputs["ipProtocol"] == "tcp"
        assert rules[port].inputs["referencedSecurityGroupId"] == cluster_sg
        assert rules[port].inputs["toPort"] == port


def test_the_default_storage_class_is_encrypted_gp3_that_keeps_its_data(stack_plan):
    (sc,) = stack_plan.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert sc.inputs["metadata"]["annotations"][
        "storageclass.kubernetes.io/is-default-class"] == "true"
    assert sc.inputs["parameters"] == {"type": "gp3", "encrypted": "true", "fsType": "ext4"}
    assert sc.inputs["reclaimPolicy"] == "Retain"
    (provider,) = stack_plan.of_type("pulumi:providers:kubernetes")
    assert sc.provider == provider.urn


def test_the_kubeconfig_is_a_secret_that_uses_aws_eks_get_token(stack_plan):
    assert stack_plan.outputs["kubeconfig"] == SECRET
    (provider,) = stack_plan.of_type("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == SECRET
    doc = json.loads(kubeconfig("c", "https://x", "Y2E=", "us-east-1"))
    assert doc["users"][0]["user"]["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name",
                                                           "c"]


def test_existing_cluster_mode_creates_no_vpc_or_eks():
    plan = run_platform("dev", overrides={"shipyard:cluster": {"mode": "existing",
                                                              "context": "minikube"}})
    assert not [r for r in plan.resources if r.type.startswith(("aws:ec2", "aws:eks"))]
    (provider,) = plan.of_type("pulumi:providers:kubernetes")
    assert provider.inputs["context"] == "minikube"


def test_existing_cluster_mode_takes_the_kubeconfig_only_as_a_secret():
    plan = run_platform("dev", overrides={"shipyard:cluster": {"mode": "existing"},
                                         "shipyard:kubeconfig": {"secure": "v1:ciphertext"}})
    (provider,) = plan.of_type("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == SECRET
    with pytest.raises(SettingsError) as info:
        run_platform("dev", overrides={"shipyard:cluster": {"mode": "existing"},
                                      "shipyard:kubeconfig": "apiVersion: v1"})
    assert info.value.problems[0].startswith("shipyard:kubeconfig: must be set as a secret")
    assert "apiVersion" not in str(info.value)


@pytest.mark.parametrize("name,policy", [("vpc-cni", "AmazonEKS_CNI_Policy"),
                                         ("aws-ebs-csi-driver", "AmazonEBSCSIDriverPolicyV2")])
def test_add_ons_with_a_role_wait_until_it_has_its_policy(prod, name, policy):
    attachment = prod.named(f"cluster-{name}-{policy}")
    assert attachment.urn in addon(prod, name).dependencies


def test_existing_cluster_mode_deploys_the_same_in_cluster_layer_minus_aws_add_ons(dev):
    """Everything in-cluster that needs no AWS role lands on an existing cluster too; nothing
    there gets a role (no OIDC provider, no Pod Identity association)."""
    existing = run_platform("dev", overrides={"shipyard:cluster": {"mode": "existing",
                                                                  "context": "minikube"}})

    def releases(plan):
        return {r.inputs["name"] for r in plan.of_type("kubernetes:helm.sh/v3:Release")}

    aws_only = {"aws-load-balancer-controller", "external-dns", "karpenter", "karpenter-crd"}
    # the variant hosts no tenant: no store operators or stores; Velero needs an AWS role
    for_tenants = {r.inputs["name"] for r in dev.of_type("kubernetes:helm.sh/v3:Release")
                   if r.inputs["chart"] in ("cloudnative-pg", "mongodb-kubernetes", "valkey",
                                            "velero")}
    assert releases(existing) == releases(dev) - aws_only - for_tenants
    assert not existing.of_type("aws:iam/role:Role")
    assert not existing.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    kinds = {r.inputs.get("kind") for r in existing.resources if r.type.startswith("kubernetes:")}
    assert {"Gateway", "HTTPRoute", "ClusterIssuer", "PeerAuthentication", "Namespace"} <= kinds
    (provider,) = existing.of_type("pulumi:providers:kubernetes")
    k8s = [r for r in existing.resources if r.type.startswith("kubernetes:")]
    assert k8s and all(r.provider == provider.urn for r in k8s)
