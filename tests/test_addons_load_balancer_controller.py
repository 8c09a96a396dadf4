"""AWS Load Balancer Controller: the pinned chart in kube-system, told its cluster, region and
VPC (its pods cannot reach IMDS), highly available, with an IRSA role only its service account
may assume and a policy that never lets it create or change a load balancer resource that is
not tagged as this cluster's."""

import fnmatch
import json

import pytest

from components.addons.load_balancer_controller import (
    CLUSTER_TAG,
    load_balancer_controller_policy,
    load_balancer_controller_values,
)
from shipyard.rules import iam
from shipyard.versions import CHARTS
from tests.support.plans import assert_pod_identity, run_platform

RELEASE = "kubernetes:helm.sh/v3:Release"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
COMPONENT = "shipyard:addons:LoadBalancerController"
READ_ONLY = ("Describe", "Get", "List")


def component(plan):
    (found,) = plan.of_type(COMPONENT)
    return found


def children(plan, type_):
    return [r for r in plan.of_type(type_) if r.parent == component(plan).urn]


def release(plan):
    (found,) = children(plan, RELEASE)
    return found


def cluster_name(plan):
    (cluster,) = plan.of_type("aws:eks/cluster:Cluster")
    return cluster.inputs["name"]


def statements(policy_json):
    for statement in json.loads(policy_json)["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        yield (statement, actions if isinstance(actions, list) else [actions],
               resources if isinstance(resources, list) else [resources])


def policy(plan):
    (found,) = children(plan, ROLE_POLICY)
    return found.inputs["policy"]


def mutating(action):
    return not action.split(":", 1)[1].startswith(READ_ONLY)


def test_the_pinned_chart_runs_in_kube_system(stack_plan):
    r = release(stack_plan)
    chart = CHARTS["aws-load-balancer-controller"]
    assert (r.inputs["chart"], r.inputs["version"], r.inputs["repositoryOpts"]["repo"]) == (
        chart.chart, chart.version, chart.repo)
    assert r.inputs["name"] == "aws-load-balancer-controller"
    assert r.inputs["namespace"] == "kube-system"
    assert not [n for n in stack_plan.of_type("kubernetes:core/v1:Namespace")
                if n.inputs["metadata"]["name"] == "kube-system"]


def test_values_name_the_cluster_region_and_vpc(stack_plan):
    values = release(stack_plan).inputs["values"]
    assert values["clusterName"] == cluster_name(stack_plan)
    assert values["region"] == "us-east-1"
    assert values["vpcId"] == stack_plan.outputs["vpcId"]
    # Pod Identity: no role annotation on its service account
    assert values["serviceAccount"] == {"create": True, "name": "aws-load-balancer-controller"}


@pytest.mark.parametrize("stack,replicas", [("dev", 1), ("staging", 2), ("prod", 2)])
def test_two_replicas_behind_a_disruption_budget_outside_dev(plans, stack, replicas):
    values = release(plans[stack]).inputs["values"]
    assert values["replicaCount"] == replicas
    if replicas > 1:
        assert values["podDisruptionBudget"] == {"maxUnavailable": 1}
    else:
        assert "podDisruptionBudget" not in values


def test_it_waits_for_no_other_add_on(prod):
    """Only for the AWS resources its values name (the VPC) and its credentials (its role's
    association and policy: its pods start with them)."""
    r = release(prod)
    (role,) = children(prod, ROLE)
    (policy,) = children(prod, ROLE_POLICY)
    association = assert_pod_identity(prod, role, "kube-system", "aws-load-balancer-controller")
    (vpc,) = prod.of_type("aws:ec2/vpc:Vpc")
    assert sorted(r.dependencies) == sorted([association.urn, policy.urn, vpc.urn])


def test_only_its_service_account_may_assume_the_role(stack_plan):
    (role,) = children(stack_plan, ROLE)
    assert_pod_identity(stack_plan, role, "kube-system", "aws-load-balancer-controller")


def test_no_elasticloadbalancing_create_without_this_clusters_tag(stack_plan):
    name = cluster_name(stack_plan)
    creates = 0
    for statement, actions, _ in statements(policy(stack_plan)):
        if any(fnmatch.fnmatch(a, "elasticloadbalancing:Create*") for a in actions):
            creates += 1
            tag_values = {v for op in statement["Condition"].values() for k, v in op.items()
                          if k.endswith(f"Tag/{CLUSTER_TAG}")}
            assert tag_values == {name}, statement
    assert creates >= 3  # load balancers and target groups, listeners, rules


def test_every_mutation_is_scoped(stack_plan):
    """Writes either carry a tag condition naming this cluster or name the resource exactly;
    nothing mutating is allowed on "*"."""
    name = cluster_name(stack_plan)
    vpc_id = stack_plan.outputs["vpcId"]
    for statement, actions, resources in statements(policy(stack_plan)):
        if not any(mutating(a) for a in actions):
            continue
        assert "*" not in resources, statement
        conditions = json.dumps(statement.get("Condition", {}))
        scoped = (f'"{name}"' in conditions or vpc_id in conditions
                  or "elasticloadbalancing.amazonaws.com" in conditions
                  or resources == [f"arn:aws:ec2:us-east-1:*:vpc/{vpc_id}"])
        assert scoped, statement


def test_untagged_security_groups_are_opened_only_in_this_vpc(prod):
    vpc_id = prod.outputs["vpcId"]
    for statement, actions, _ in statements(policy(prod)):
        if "ec2:AuthorizeSecurityGroupIngress" in actions and \
                CLUSTER_TAG not in json.dumps(statement.get("Condition", {})):
            assert statement["Condition"] == {
                "ArnLike": {"ec2:Vpc": f"arn:aws:ec2:us-east-1:*:vpc/{vpc_id}"}}


def test_the_alb_add_ons_it_has_no_permissions_for_are_off():
    values = load_balancer_controller_values(cluster_name="c", region="eu-west-1",
                                             vpc_id="vpc-1")
    assert values["enableShield"] is False and values["enableWaf"] is False
    assert values["enableWafv2"] is False
    granted = {a for _, actions, _ in statements(
        load_balancer_controller_policy("c", "eu-west-1", "vpc-1")) for a in actions}
    assert not {a for a in granted if a.split(":")[0] in ("shield", "wafv2", "waf-regional",
                                                           "cognito-idp")}
    assert "elasticloadbalancing:SetWebAcl" not in granted


def test_the_policy_passes_iams_validator_and_is_a_pure_function():
    validation = pytest.importorskip("moto.iam.policy_validation")
    document = load_balancer_controller_policy("shipyard-prod", "us-east-1", "vpc-0123")
    validation.IAMPolicyDocumentValidator(document).validate()
    assert document == load_balancer_controller_policy("shipyard-prod", "us-east-1", "vpc-0123")
    assert json.loads(document)["Version"] == iam.VERSION
    sids = [s["Sid"] for s in json.loads(document)["Statement"]]
    assert len(sids) == len(set(sids))


def test_user_values_are_laid_over_shipyards():
    plan = run_platform("staging", overrides={"shipyard:addons": {
        "certManager": {"acmeEmail": "ops@example.com"},
        "loadBalancerController": {"values": {"replicaCount": 3, "logLevel": "debug"}}}})
    values = release(plan).inputs["values"]
    assert values["replicaCount"] == 3 and values["logLevel"] == "debug"
    assert values["clusterName"] == cluster_name(plan)
