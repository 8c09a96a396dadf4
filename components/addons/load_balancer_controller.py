"""The AWS Load Balancer Controller: provisions the NLB in front of the shared Gateway.

It runs in ``kube-system`` with an AWS role (Pod Identity or IRSA) whose policy is a
least-privilege rewrite of the controller's published ``docs/install/iam_policy.json`` (v3.5.0):

- everything it creates, modifies or deletes must carry (or be created with) the tag
  ``elbv2.k8s.aws/cluster`` equal to *this* cluster's name — the published policy only checks
  that the tag exists, so one cluster's controller could delete another's load balancers;
- listeners and rules too: ``CreateListener`` is authorised on the parent load balancer and
  ``CreateRule`` on the parent listener, both tagged by the controller (feature gate
  ``ListenerRulesTagging``, on by default), so no ``elasticloadbalancing:Create*`` is
  unconditional;
- the only untagged resources it touches are the node/cluster security groups it opens to the
  load balancer, and only those in this cluster's VPC (``ec2:Vpc``);
- the ALB add-ons shipyard does not use (Shield, WAF, WAFv2, Cognito) are switched off in the
  chart values and their permissions dropped.

The pods cannot reach IMDS (node hop limit 1), so region and VPC id are passed as values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.addons.base import (
    ClusterContext,
    helm_release,
    merged_values,
)
from components.workload_identity import service_account_role
from shipyard.rules import iam

TYPE = "shipyard:addons:LoadBalancerController"
NAMESPACE = "kube-system"
RELEASE = "aws-load-balancer-controller"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
CLUSTER_TAG = "elbv2.k8s.aws/cluster"


def load_balancer_controller_values(*, cluster_name: str, region: str,
                                    vpc_id: pulumi.Input[str],
                                    annotations: Mapping[str, pulumi.Input[str]] | None = None,
                                    pod_annotations: Mapping[str, str] | None = None,
                                    highly_available: bool = True,
                                    tags: Mapping[str, str] | None = None) -> dict[str, Any]:
    """shipyard's Helm values for the aws-load-balancer-controller chart. Highly available: two
    replicas (the chart keeps them on different nodes) behind a PodDisruptionBudget, so the
    webhook every LoadBalancer Service passes through keeps answering through a node drain.
    ``annotations``: its service account's (IRSA's role ARN; none with Pod Identity);
    ``pod_annotations``: its pods' (the workload identity: a switch rolls them)."""
    values: dict[str, Any] = {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": 2 if highly_available else 1,
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            **({"annotations": dict(annotations)} if annotations else {}),
        },
        **({"podAnnotations": dict(pod_annotations)} if pod_annotations else {}),
        # No Service mutating webhook: it would intercept every Service created anywhere (and
        # fail closed while the controller is starting or rolling), breaking the other add-ons'
        # installs. The Gateway's Service carries aws-load-balancer-type: external, which the
        # controller reconciles without it.
        "enableServiceMutatorWebhook": False,
        # ALB add-ons shipyard does not use; their IAM permissions are not granted.
        "enableShield": False,
        "enableWaf": False,
        "enableWafv2": False,
        # The stack's tags on every load balancer, target group and security group it creates
        # (which the controller, not Pulumi, manages).
        "defaultTags": {**(tags or {}), "managed-by": "aws-load-balancer-controller"},
    }
    if highly_available:
        values["podDisruptionBudget"] = {"maxUnavailable": 1}
    return values


def load_balancer_controller_policy(cluster_name: str, region: str, vpc_id: str,
                                    partition: str = "aws") -> str:
    """The controller's IAM policy, every mutation scoped to this cluster's tagged resources."""
    elb = f"arn:{partition}:elasticloadbalancing:{region}:*"
    ec2 = f"arn:{partition}:ec2:{region}:*"
    security_groups = f"{ec2}:security-group/*"
    load_balancers = [f"{elb}:loadbalancer/net/*/*", f"{elb}:loadbalancer/app/*/*"]
    target_groups = f"{elb}:targetgroup/*/*"
    listeners = [f"{elb}:listener/net/*/*/*", f"{elb}:listener/app/*/*/*"]
    rules = [f"{elb}:listener-rule/net/*/*/*", f"{elb}:listener-rule/app/*/*/*"]
    ours = {"StringEquals": {f"aws:ResourceTag/{CLUSTER_TAG}": cluster_name}}
    tagged_on_create = {f"aws:RequestTag/{CLUSTER_TAG}": cluster_name}
    # Retagging one of ours, but never changing (or adding) the cluster tag itself.
    retag_ours = {"StringEquals": {f"aws:ResourceTag/{CLUSTER_TAG}": cluster_name},
                  "Null": {f"aws:RequestTag/{CLUSTER_TAG}": "true"}}

    def sid(name: str, statement: dict) -> dict:
        return {"Sid": name, **statement}

    return iam.document(
        sid("ElbServiceLinkedRole", iam.allow(
            ["iam:CreateServiceLinkedRole"],
            f"arn:{partition}:iam::*:role/aws-service-role/elasticloadbalancing.amazonaws.com/*",
            {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}})),
        # Describe*/Get* reads take no resource-level permissions (Service Authorization
        # Reference, EC2 and ELB): "*" is the only resource AWS allows them.
        sid("Describe", iam.allow([
            "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses",
            "ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways",
            "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections", "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage",
            "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
            "ec2:DescribeRouteTables",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeListenerCertificates",
            "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTrustStores",
            "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeCapacityReservation",
        ], "*")),
        # Listing certificates takes no resource; reading one names it.
        sid("ListCertificates", iam.allow(
            ["acm:ListCertificates", "iam:ListServerCertificates"], "*")),
        sid("ReadCertificates", iam.allow(
            ["acm:DescribeCertificate"], f"arn:{partition}:acm:{region}:*:certificate/*")),
        sid("ReadServerCertificates", iam.allow(
            ["iam:GetServerCertificate"], f"arn:{partition}:iam::*:server-certificate/*")),
        # -- security groups --
        sid("CreateSecurityGroupInVpc", iam.allow(
            ["ec2:CreateSecurityGroup"], f"{ec2}:vpc/{vpc_id}")),
        sid("CreateTaggedSecurityGroup", iam.allow(
            ["ec2:CreateSecurityGroup"], security_groups,
            {"StringEquals": tagged_on_create})),
        sid("TagSecurityGroupOnCreate", iam.allow(
            ["ec2:CreateTags"], security_groups,
            {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup", **tagged_on_create}})),
        sid("RetagOwnSecurityGroups", iam.allow(
            ["ec2:CreateTags", "ec2:DeleteTags"], security_groups, retag_ours)),
        sid("ManageOwnSecurityGroups", iam.allow(
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
             "ec2:DeleteSecurityGroup"], security_groups, ours)),
        # Node and cluster security groups (not the controller's) get the rules that let the
        # load balancer reach the pods: only in this cluster's VPC.
        sid("OpenNodeSecurityGroupsInVpc", iam.allow(
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            security_groups,
            {"ArnLike": {"ec2:Vpc": f"{ec2}:vpc/{vpc_id}"}})),
        # -- load balancers and target groups --
        sid("CreateTaggedLoadBalancers", iam.allow(
            ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            [*load_balancers, target_groups], {"StringEquals": tagged_on_create})),
        sid("TagLoadBalancersOnCreate", iam.allow(
            ["elasticloadbalancing:AddTags"], [*load_balancers, target_groups],
            {"StringEquals": {"elasticloadbalancing:CreateAction": [
                "CreateLoadBalancer", "CreateTargetGroup"], **tagged_on_create}})),
        sid("RetagOwnLoadBalancers", iam.allow(
            ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            [*load_balancers, target_groups], retag_ours)),
        sid("ManageOwnLoadBalancers", iam.allow([
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetIpAddressType", "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets", "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:ModifyCapacityReservation",
            "elasticloadbalancing:ModifyIpPools",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
        ], [*load_balancers, target_groups], ours)),
        # -- listeners and rules --
        sid("CreateListenersOnOwnLoadBalancers", iam.allow(
            ["elasticloadbalancing:CreateListener"], load_balancers, ours)),
        sid("ManageOwnListeners", iam.allow([
            "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyListenerAttributes",
            "elasticloadbalancing:AddListenerCertificates",
            "elasticloadbalancing:RemoveListenerCertificates",
        ], listeners, ours)),
        sid("ManageOwnRules", iam.allow([
            "elasticloadbalancing:DeleteRule", "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:SetRulePriorities",
        ], rules, ours)),
        sid("TagListenersOnCreate", iam.allow(
            ["elasticloadbalancing:AddTags"], [*listeners, *rules],
            {"StringEquals": {"elasticloadbalancing:CreateAction": [
                "CreateListener", "CreateRule"], **tagged_on_create}})),
        sid("RetagOwnListeners", iam.allow(
            ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            [*listeners, *rules], retag_ours)),
    )


@dataclass(frozen=True)
class LoadBalancerControllerArgs:
    ctx: ClusterContext
    highly_available: bool = True
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()


class LoadBalancerController(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: LoadBalancerControllerArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ctx = args.ctx
        if ctx.identity is None or ctx.vpc_id is None:
            raise pulumi.ResourceError(
                "the AWS Load Balancer Controller needs an EKS cluster (its AWS role and its "
                "VPC); set addons.loadBalancerController.enabled to false", self)
        policy = pulumi.Output.from_input(ctx.vpc_id).apply(
            lambda vpc_id: load_balancer_controller_policy(ctx.cluster_name, ctx.region, vpc_id))
        role = service_account_role(
            name, identity=ctx.identity, namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT, parent=self, policy=policy, tags=ctx.tags,
            former=f"{name}-irsa")
        self.role_arn = role.arn
        values = load_balancer_controller_values(
            cluster_name=ctx.cluster_name, region=ctx.region, vpc_id=ctx.vpc_id,
            annotations=role.annotations, pod_annotations=role.pod_annotations,
            highly_available=args.highly_available,
            tags=ctx.tags)
        # kube-system exists on every cluster: no namespace of our own. Its pods start with
        # their credentials: after the role's association and policy.
        self.release = helm_release(
            name, "aws-load-balancer-controller", release_name=RELEASE,
            namespace_name=NAMESPACE, values=merged_values(values, args.values),
            parent=self, provider=ctx.provider, depends_on=[*args.after, *role.ready])
        self.ready = [self.release]
        self.register_outputs({"roleArn": self.role_arn})
