"""Karpenter: on in staging and prod, its interruption queue, its IAM, its charts and its default
NodePool and EC2NodeClass, as a reviewer reads them in the plan."""

import json

import pytest

from components.addons.karpenter import (
    INTERRUPTION_EVENTS,
    controller_policy,
    event_pattern,
    event_rule_name,
    interruption_queue_policy,
    karpenter_values,
    node_class_spec,
    node_pool_spec,
    queue_arn,
)
from shipyard.config.base import SettingsError
from shipyard.versions import CHARTS
from tests.support.plans import assert_pod_identity, run_platform
from tests.support.settings import parse

RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
QUEUE = "aws:sqs/queue:Queue"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ON = ("staging", "prod")


def release(plan, release_name):
    (found,) = [r for r in plan.of_type(RELEASE) if r.inputs["name"] == release_name]
    return found


def one(plan, typ):
    (found,) = plan.of_type(typ)
    return found


def controller_role(plan):
    (role,) = [r for r in plan.of_type("aws:iam/role:Role")
               if (r.inputs.get("tags") or {}).get("shipyard.dev/service-account")
               == "kube-system.karpenter"]
    return role


def controller_policy_doc(plan):
    role = controller_role(plan)
    (policy,) = [p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")
                 if p.inputs["role"] == role.outputs["name"]]
    return json.loads(policy.inputs["policy"])


def node_role(plan):
    return plan.named("addons-karpenter-node-role")


def statements_with(doc, action):
    return [s for s in doc["Statement"]
            if action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]


def settings_of(stack):
    return parse({}, stack=stack).addons.karpenter


# -- switched by settings ---------------------------------------------------------------------


@pytest.mark.parametrize("stack", ON)
def test_on_in_staging_and_prod(plans, stack):
    plan = plans[stack]
    assert release(plan, "karpenter") and release(plan, "karpenter-crd")
    assert len(plan.of_type(NODE_POOL)) == 1 and len(plan.of_type(NODE_CLASS)) == 1


def test_absent_in_dev(dev):
    names = {r.inputs["name"] for r in dev.of_type(RELEASE)}
    assert not names & {"karpenter", "karpenter-crd"}
    assert not [r for r in dev.resources if "karpenter" in r.name]
    assert not dev.of_type(QUEUE) and not dev.of_type(RULE)


def test_existing_cluster_mode_refuses_karpenter_naming_the_key():
    with pytest.raises(SettingsError) as info:
        run_platform("dev", overrides={
            "shipyard:cluster": {"mode": "existing", "context": "minikube"},
            "shipyard:addons": {"certManager": {"acmeEmail": "ops@example.com"},
                                "karpenter": {"enabled": True}}})
    assert any(p.startswith("shipyard:addons.karpenter.enabled:") for p in info.value.problems)


# -- charts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ON)
@pytest.mark.parametrize("release_name,chart_key", [("karpenter", "karpenter"),
                                                    ("karpenter-crd", "karpenter-crd")])
def test_releases_are_pinned_to_charts_in_kube_system(plans, stack, release_name, chart_key):
    r = release(plans[stack], release_name)
    chart = CHARTS[chart_key]
    assert (r.inputs["chart"], r.inputs["version"]) == (chart.chart, chart.version)
    assert chart.chart.startswith("oci://") and not r.inputs.get("repositoryOpts")
    assert r.inputs["namespace"] == "kube-system"


@pytest.mark.parametrize("stack", ON)
def test_the_controller_release_waits_for_the_crd_release(plans, stack):
    plan = plans[stack]
    assert release(plan, "karpenter-crd").urn in release(plan, "karpenter").dependencies


@pytest.mark.parametrize("stack", ON)
@pytest.mark.parametrize("kind", [NODE_POOL, NODE_CLASS])
def test_custom_resources_wait_for_their_crds_the_controller_and_the_node_access(
        plans, stack, kind):
    """CRDs to exist; the controller, so a destroy deletes them while Karpenter can still
    release its finalizers and instances; the access entry, so the first nodes can join.
    Nothing else (no other add-on's release)."""
    plan = plans[stack]
    resource = one(plan, kind)
    releases = {r.urn for r in plan.of_type(RELEASE)}
    assert releases & set(resource.dependencies) == {
        release(plan, "karpenter-crd").urn, release(plan, "karpenter").urn}
    (entry,) = [e for e in plan.of_type("aws:eks/accessEntry:AccessEntry")
                if e.inputs["type"] == "EC2_LINUX"]
    assert entry.urn in resource.dependencies
    assert resource.provider is not None


@pytest.mark.parametrize("stack", ON)
def test_controller_values(plans, stack):
    plan = plans[stack]
    values = release(plan, "karpenter").inputs["values"]
    (cluster,) = plan.of_type("aws:eks/cluster:Cluster")
    assert values["settings"]["clusterName"] == cluster.inputs["name"]
    assert values["settings"]["clusterEndpoint"] == cluster.outputs["endpoint"]
    assert values["settings"]["interruptionQueue"] == one(plan, QUEUE).inputs["name"]
    assert values["serviceAccount"] == {"create": True, "name": "karpenter"}  # Pod Identity
    assert values["replicas"] == 2
    resources = values["controller"]["resources"]
    assert resources["requests"] == resources["limits"] == {"cpu": "1", "memory": "1Gi"}


@pytest.mark.parametrize("stack", ON)
def test_the_controller_runs_only_on_managed_node_group_nodes(plans, stack):
    plan = plans[stack]
    values = release(plan, "karpenter").inputs["values"]
    (term,) = values["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    expressions = {e["key"]: e["operator"] for e in term["matchExpressions"]}
    assert expressions == {"shipyard.dev/node-group": "Exists",
                           "karpenter.sh/nodepool": "DoesNotExist"}
    for group in plan.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert "shipyard.dev/node-group" in group.inputs["labels"]


def test_user_values_are_merged_over_shipyards():
    plan = run_platform("staging", overrides={"shipyard:addons": {
        "certManager": {"acmeEmail": "ops@example.com"},
        "karpenter": {"values": {"replicas": 3, "settings": {"featureGates": {
            "spotToSpotConsolidation": True}}}}}})
    values = release(plan, "karpenter").inputs["values"]
    assert values["replicas"] == 3
    assert values["settings"]["featureGates"] == {"spotToSpotConsolidation": True}
    assert values["settings"]["clusterName"] == "shipyard-staging"


# -- interruption queue -----------------------------------------------------------------------


@pytest.mark.parametrize("stack", ON)
def test_the_interruption_queue(plans, stack):
    plan = plans[stack]
    queue = one(plan, QUEUE)
    assert queue.inputs["name"] == f"shipyard-{stack}"
    assert queue.inputs["messageRetentionSeconds"] == 300
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["tags"]["environment"] == stack
    policy = json.loads(one(plan, "aws:sqs/queuePolicy:QueuePolicy").inputs["policy"])
    allow, deny = policy["Statement"]
    assert allow["Principal"]["Service"] == ["events.amazonaws.com", "sqs.amazonaws.com"]
    assert allow["Action"] == "sqs:SendMessage"
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    arn = f"arn:aws:sqs:us-east-1:123456789012:shipyard-{stack}"
    assert allow["Resource"] == deny["Resource"] == arn


@pytest.mark.parametrize("stack", ON)
def test_five_event_rules_each_target_the_queue(plans, stack):
    plan = plans[stack]
    rules = plan.of_type(RULE)
    assert len(rules) == 5
    patterns = {(json.loads(r.inputs["eventPattern"])["source"][0],
                 json.loads(r.inputs["eventPattern"])["detail-type"][0]) for r in rules}
    assert patterns == set(INTERRUPTION_EVENTS.values())
    assert ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning") in patterns
    queue_arns = {f"arn:aws:sqs:us-east-1:123456789012:{one(plan, QUEUE).inputs['name']}"}
    targets = plan.of_type(TARGET)
    assert {t.inputs["rule"] for t in targets} == {r.inputs["name"] for r in rules}
    assert {t.inputs["arn"] for t in targets} == queue_arns
    for rule in rules:
        assert rule.name.removeprefix("addons-karpenter-") in INTERRUPTION_EVENTS
    for target in targets:  # the queue accepts events before the rule sends any
        assert plan.named("addons-karpenter-queue-policy").urn in target.dependencies


def test_event_patterns_and_rule_names_are_pure():
    assert json.loads(event_pattern("aws.health", "AWS Health Event")) == {
        "source": ["aws.health"], "detail-type": ["AWS Health Event"]}
    assert event_rule_name("c", "rebalance") == "c-rebalance"
    long_a, long_b = "a" * 100, "a" * 99 + "b"
    for key in INTERRUPTION_EVENTS:
        name = event_rule_name(long_a, key)
        assert len(name) <= 64 and name.endswith(key)
        assert name != event_rule_name(long_b, key)
    assert queue_arn("eu-west-1", "1", "q") == "arn:aws:sqs:eu-west-1:1:q"
    doc = json.loads(interruption_queue_policy("arn:aws:sqs:r:1:q"))
    assert doc["Version"] == "2012-10-17"


# -- node role and access entry -----------------------------------------------------------------


@pytest.mark.parametrize("stack", ON)
def test_karpenter_nodes_have_their_own_role_and_an_ec2_linux_access_entry(plans, stack):
    plan = plans[stack]
    role = node_role(plan)
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    attached = {a.inputs["policyArn"].rsplit("/", 1)[-1]
                for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a.inputs["role"] == role.outputs["name"]}
    assert attached == {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly",
                        "AmazonSSMManagedInstanceCore"}
    (entry,) = [e for e in plan.of_type(ACCESS_ENTRY) if e.inputs["type"] == "EC2_LINUX"]
    assert entry.inputs["principalArn"] == role.outputs["arn"]
    (cluster,) = plan.of_type("aws:eks/cluster:Cluster")
    assert entry.inputs["clusterName"] == cluster.inputs["name"]
    assert cluster.urn in entry.dependencies
    managed_roles = {g.inputs["nodeRoleArn"] for g in plan.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert role.outputs["arn"] not in managed_roles


# -- the controller's IAM ---------------------------------------------------------------------


@pytest.mark.parametrize("stack", ON)
def test_the_controllers_role_is_kube_system_karpenter_only(plans, stack):
    plan = plans[stack]
    association = assert_pod_identity(plan, controller_role(plan), "kube-system", "karpenter")
    # the controller starts with its credentials
    assert association.urn in release(plan, "karpenter").dependencies


@pytest.mark.parametrize("stack", ON)
def test_pass_role_is_only_for_the_karpenter_node_role(plans, stack):
    plan = plans[stack]
    doc = controller_policy_doc(plan)
    (statement,) = statements_with(doc, "iam:PassRole")
    assert statement["Resource"] == node_role(plan).outputs["arn"]
    assert statement["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}


@pytest.mark.parametrize("stack", ON)
def test_the_controller_policy_is_scoped(plans, stack):
    plan = plans[stack]
    doc = controller_policy_doc(plan)
    cluster = f"shipyard-{stack}"
    (cluster_record,) = plan.of_type("aws:eks/cluster:Cluster")
    (describe,) = statements_with(doc, "eks:DescribeCluster")
    assert describe["Resource"] == cluster_record.outputs["arn"]
    (sqs,) = statements_with(doc, "sqs:ReceiveMessage")
    assert sqs["Resource"] == f"arn:aws:sqs:us-east-1:123456789012:{cluster}"
    for action in ("ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"):
        (statement,) = statements_with(doc, action)
        assert statement["Condition"]["StringEquals"] == {
            f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}
        assert statement["Condition"]["StringLike"] == {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    (ssm,) = statements_with(doc, "ssm:GetParameter")
    assert ssm["Resource"] == "arn:aws:ssm:us-east-1::parameter/aws/service/*"
    # nothing mutating on "*"
    mutating = ("Run", "Create", "Terminate", "Delete", "Tag", "Pass", "Add", "Remove")
    for statement in doc["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [
            statement["Action"]]
        if statement["Resource"] == "*":
            assert not [a for a in actions if a.split(":")[1].startswith(mutating)], actions
    for statement in statements_with(doc, "ec2:RunInstances") + statements_with(
            doc, "ec2:CreateTags"):
        assert statement["Resource"] != "*"


def test_the_controller_policy_is_a_pure_function_of_its_arns():
    doc = json.loads(controller_policy(
        cluster_name="c", region="eu-west-1", account_id="1", node_role_arn="arn:aws:iam::1:role/n",
        queue="arn:aws:sqs:eu-west-1:1:c", cluster_arn="arn:aws:eks:eu-west-1:1:cluster/c"))
    assert doc["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in doc["Statement"]]
    assert len(sids) == len(set(sids))
    (create,) = statements_with(doc, "ec2:CreateLaunchTemplate")
    assert create["Condition"]["StringEquals"] == {
        "aws:RequestTag/kubernetes.io/cluster/c": "owned",
        "aws:RequestTag/eks:eks-cluster-name": "c"}
    (tagging,) = [s for s in statements_with(doc, "ec2:CreateTags")
                  if "ec2:CreateAction" in s["Condition"]["StringEquals"]]
    assert tagging["Condition"]["StringEquals"]["ec2:CreateAction"] == [
        "RunInstances", "CreateFleet", "CreateLaunchTemplate"]
    (regional,) = statements_with(doc, "ec2:DescribeInstanceTypes")
    assert regional["Condition"] == {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    for action in ("iam:CreateInstanceProfile", "iam:DeleteInstanceProfile",
                   "iam:AddRoleToInstanceProfile"):
        (statement,) = statements_with(doc, action)
        assert statement["Resource"] == "arn:aws:iam::1:instance-profile/*"
        assert "StringLike" in statement["Condition"]


# -- NodePool and EC2NodeClass ----------------------------------------------------------------


@pytest.mark.parametrize("stack", ON)
def test_node_pool_limits_capacity_and_consolidation_follow_settings(plans, stack):
    spec = one(plans[stack], NODE_POOL).inputs["spec"]
    s = settings_of(stack)
    assert spec["limits"] == {"cpu": str(s.cpu_limit), "memory": f"{s.memory_limit_gi}Gi"}
    assert spec["disruption"] == {"consolidationPolicy": "WhenEmptyOrUnderutilized",
                                  "consolidateAfter": s.consolidate_after}
    requirements = {r["key"]: (r["operator"], r["values"])
                    for r in spec["template"]["spec"]["requirements"]}
    assert requirements["karpenter.sh/capacity-type"] == ("In", s.capacity_types)
    assert requirements["karpenter.k8s.aws/instance-category"] == ("In",
                                                                   s.instance_categories)
    assert requirements["karpenter.k8s.aws/instance-generation"] == ("Gt", ["2"])
    assert requirements["kubernetes.io/arch"] == ("In", ["amd64"])
    assert spec["template"]["spec"]["nodeClassRef"] == {
        "group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}
    assert spec["template"]["spec"]["expireAfter"] == "720h"


def test_staging_buys_spot_and_prod_on_demand(staging, prod):
    def capacity(plan):
        spec = one(plan, NODE_POOL).inputs["spec"]
        return next(r["values"] for r in spec["template"]["spec"]["requirements"]
                    if r["key"] == "karpenter.sh/capacity-type")
    assert capacity(staging) == ["spot", "on-demand"]
    assert capacity(prod) == ["on-demand"]


@pytest.mark.parametrize("stack", ON)
def test_node_class_uses_imdsv2_encrypted_gp3_and_the_karpenter_node_role(plans, stack):
    plan = plans[stack]
    node_class = one(plan, NODE_CLASS)
    assert node_class.inputs["metadata"]["name"] == "default"
    spec = node_class.inputs["spec"]
    assert spec["role"] == node_role(plan).outputs["name"]
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert spec["metadataOptions"]["httpEndpoint"] == "enabled"
    (device,) = spec["blockDeviceMappings"]
    assert device["deviceName"] == "/dev/xvda"
    assert device["ebs"]["volumeType"] == "gp3" and device["ebs"]["encrypted"] is True
    assert spec["amiSelectorTerms"] == [{"alias": "al2023@latest"}]


@pytest.mark.parametrize("stack", ON)
def test_node_class_finds_the_private_subnets_and_the_cluster_security_group(plans, stack):
    plan = plans[stack]
    spec = one(plan, NODE_CLASS).inputs["spec"]
    (term,) = spec["subnetSelectorTerms"]
    private = [s for s in plan.of_type("aws:ec2/subnet:Subnet")
               if s.inputs["tags"]["tier"] == "private"]
    assert private and all(
        s.inputs["tags"].get(k) == v for s in private for k, v in term["tags"].items())
    others = [s for s in plan.of_type("aws:ec2/subnet:Subnet")
              if s.inputs["tags"]["tier"] != "private"]
    assert not [s for s in others if "karpenter.sh/discovery" in s.inputs["tags"]]
    (cluster,) = plan.of_type("aws:eks/cluster:Cluster")
    assert spec["securityGroupSelectorTerms"] == [
        {"id": cluster.outputs["vpcConfig"]["clusterSecurityGroupId"]}]


def test_specs_and_values_are_pure_functions():
    pool = node_pool_spec(capacity_types=["spot"], instance_categories=["m"], cpu_limit=8,
                          memory_limit_gi=32, consolidate_after="1m")
    assert pool["limits"] == {"cpu": "8", "memory": "32Gi"}
    assert pool["disruption"]["consolidateAfter"] == "1m"
    node_class = node_class_spec(role_name="r", ami_alias="al2023@v20260801", cluster_name="c",
                                 cluster_security_group_id="sg-1", tags={})
    assert "tags" not in node_class
    assert node_class["amiSelectorTerms"] == [{"alias": "al2023@v20260801"}]
    values = karpenter_values(cluster_name="c", cluster_endpoint="https://e", queue_name="c",
                              annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/k"})
    assert values["settings"] == {"clusterName": "c", "clusterEndpoint": "https://e",
                                  "interruptionQueue": "c"}
    assert values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/k"}
