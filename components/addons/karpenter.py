"""Karpenter: node autoscaling from a default NodePool, with EC2 interruption handling.

What the Karpenter v1.14 getting-started CloudFormation creates, as shipyard resources:

- the interruption queue (SQS, named after the cluster) and the five EventBridge rules that
  feed it (AWS Health, spot interruption, rebalance, instance state change, capacity
  reservation interruption), each with its target;
- a node role for the instances Karpenter launches, and the ``EC2_LINUX`` access entry that
  lets them join (a role of its own: the managed node groups' role gets its entry from EKS);
- the controller's role (``kube-system/karpenter``, EKS Pod Identity as Karpenter's own
  getting-started guide sets it up, or IRSA) with the CloudFormation's policy groups as one
  least-privilege inline policy;
- the ``karpenter-crd`` chart (which owns the CRDs and upgrades them), then the ``karpenter``
  chart; the default EC2NodeClass and NodePool, each waiting only for the CRD chart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.addons.base import helm_release, merged_values
from components.workload_identity import WorkloadIdentity, service_account_role
from shipyard.rules import iam

TYPE = "shipyard:addons:Karpenter"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
# Same as the managed node groups: what nodes may run (AmazonEKS_CNI_Policy is not here: the
# vpc-cni add-on has its own role).
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly",
                 "AmazonSSMManagedInstanceCore")
# The label components/cluster.py puts on every managed node-group node.
NODE_GROUP_LABEL = "shipyard.dev/node-group"
# Root volume of Karpenter nodes: the managed node groups' default diskSizeGb.
ROOT_VOLUME_GI = 50
QUEUE_RETENTION_SECONDS = 300
EVENT_RULE_NAME_MAX = 64

# Stable key -> (source, detail-type) of the events Karpenter handles, as in the v1.14
# CloudFormation. The key names the rule, its target and the AWS rule name.
INTERRUPTION_EVENTS: dict[str, tuple[str, str]] = {
    "scheduled-change": ("aws.health", "AWS Health Event"),
    "spot-interruption": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "instance-state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
    "capacity-reservation-interruption": (
        "aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
}


# -- pure functions ---------------------------------------------------------------------------


def event_pattern(source: str, detail_type: str) -> str:
    return json.dumps({"source": [source], "detail-type": [detail_type]})


def event_rule_name(cluster_name: str, key: str) -> str:
    """``CLUSTER-KEY``; when that exceeds EventBridge's 64 characters, the cluster name is cut
    and a short hash of it keeps names of different clusters apart."""
    name = f"{cluster_name}-{key}"
    if len(name) <= EVENT_RULE_NAME_MAX:
        return name
    digest = hashlib.sha256(cluster_name.encode()).hexdigest()[:8]
    keep = EVENT_RULE_NAME_MAX - len(key) - len(digest) - 2
    return f"{cluster_name[:keep]}-{digest}-{key}"


def queue_arn(region: str, account_id: str, queue_name: str, partition: str = "aws") -> str:
    """An SQS queue's ARN is fixed by its region, account and name."""
    return f"arn:{partition}:sqs:{region}:{account_id}:{queue_name}"


def interruption_queue_policy(queue: str) -> str:
    """EventBridge (and SQS) may send to the queue; nothing may use it without TLS."""
    return iam.document(
        {"Sid": "AllowEventDelivery", "Effect": "Allow",
         "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
         "Action": "sqs:SendMessage", "Resource": queue},
        {"Sid": "DenyHTTP", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
         "Resource": queue, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    )


def controller_policy(*, cluster_name: str, region: str, account_id: str, node_role_arn: str,
                      queue: str, cluster_arn: str, partition: str = "aws") -> str:
    """The controller's permissions: the v1.14 CloudFormation's NodeLifecycle, IAMIntegration,
    EKSIntegration, Interruption and ResourceDiscovery policies (no ZonalShift: shipyard leaves
    ``settings.enableZonalShift`` off) in one document."""
    ec2 = f"arn:{partition}:ec2:{region}"
    profiles = f"arn:{partition}:iam::{account_id}:instance-profile/*"
    owned = f"kubernetes.io/cluster/{cluster_name}"
    launched = [f"{ec2}:*:{kind}/*" for kind in ("fleet", "instance", "volume",
                                                  "network-interface", "launch-template",
                                                  "spot-instances-request")]
    request_tags = {f"aws:RequestTag/{owned}": "owned",
                    "aws:RequestTag/eks:eks-cluster-name": cluster_name}
    owned_resource = {"StringEquals": {f"aws:ResourceTag/{owned}": "owned"},
                      "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}}
    profile_resource = {f"aws:ResourceTag/{owned}": "owned",
                        "aws:ResourceTag/topology.kubernetes.io/region": region}
    profile_request = {**request_tags, "aws:RequestTag/topology.kubernetes.io/region": region}
    nodeclass_tag = "karpenter.k8s.aws/ec2nodeclass"

    def sid(name: str, statement: dict) -> dict:
        return {"Sid": name, **statement}

    return iam.document(
        # -- NodeLifecycle
        sid("AllowScopedEC2InstanceAccessActions", iam.allow(
            ["ec2:RunInstances", "ec2:CreateFleet"],
            [f"{ec2}::image/*", f"{ec2}::snapshot/*", f"{ec2}:*:security-group/*",
             f"{ec2}:*:subnet/*", f"{ec2}:*:capacity-reservation/*",
             f"{ec2}:*:placement-group/*"])),
        sid("AllowScopedEC2LaunchTemplateAccessActions", iam.allow(
            ["ec2:RunInstances", "ec2:CreateFleet"], f"{ec2}:*:launch-template/*",
            owned_resource)),
        sid("AllowScopedEC2InstanceActionsWithTags", iam.allow(
            ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"], launched,
            {"StringEquals": request_tags,
             "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}})),
        sid("AllowScopedResourceCreationTagging", iam.allow(
            ["ec2:CreateTags"], launched,
            {"StringEquals": {**request_tags, "ec2:CreateAction": [
                "RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
             "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}})),
        sid("AllowScopedResourceTagging", iam.allow(
            ["ec2:CreateTags"], f"{ec2}:*:instance/*",
            {**owned_resource,
             "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster_name},
             "ForAllValues:StringEquals": {"aws:TagKeys": [
                 "eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]}})),
        sid("AllowScopedDeletion", iam.allow(
            ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"], owned_resource)),
        # -- IAMIntegration
        sid("AllowPassingInstanceRole", iam.allow(
            ["iam:PassRole"], node_role_arn,
            {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})),
        sid("AllowScopedInstanceProfileCreationActions", iam.allow(
            ["iam:CreateInstanceProfile"], profiles,
            {"StringEquals": profile_request,
             "StringLike": {f"aws:RequestTag/{nodeclass_tag}": "*"}})),
        sid("AllowScopedInstanceProfileTagActions", iam.allow(
            ["iam:TagInstanceProfile"], profiles,
            {"StringEquals": {**profile_resource, **profile_request},
             "StringLike": {f"aws:ResourceTag/{nodeclass_tag}": "*",
                            f"aws:RequestTag/{nodeclass_tag}": "*"}})),
        sid("AllowScopedInstanceProfileActions", iam.allow(
            ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
             "iam:DeleteInstanceProfile"], profiles,
            {"StringEquals": profile_resource,
             "StringLike": {f"aws:ResourceTag/{nodeclass_tag}": "*"}})),
        # -- EKSIntegration
        sid("AllowAPIServerEndpointDiscovery", iam.allow(["eks:DescribeCluster"], cluster_arn)),
        # -- Interruption
        sid("AllowInterruptionQueueActions", iam.allow(
            ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], queue)),
        # -- ResourceDiscovery (Describe* cannot be scoped to resources; the region can)
        sid("AllowRegionalReadActions", iam.allow(
            ["ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances",
             "ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypeOfferings",
             "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates",
             "ec2:DescribePlacementGroups", "ec2:DescribeSecurityGroups",
             "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"], "*",
            {"StringEquals": {"aws:RequestedRegion": region}})),
        sid("AllowSSMReadActions", iam.allow(
            ["ssm:GetParameter"], f"arn:{partition}:ssm:{region}::parameter/aws/service/*")),
        # pricing:GetProducts and iam:ListInstanceProfiles take no resource-level permissions
        # (Service Authorization Reference): "*" is the only resource AWS allows them.
        sid("AllowPricingReadActions", iam.allow(["pricing:GetProducts"], "*")),
        sid("AllowUnscopedInstanceProfileListAction",
            iam.allow(["iam:ListInstanceProfiles"], "*")),
        sid("AllowInstanceProfileReadActions", iam.allow(["iam:GetInstanceProfile"], profiles)),
    )


def karpenter_values(*, cluster_name: str, cluster_endpoint: pulumi.Input[str],
                     queue_name: pulumi.Input[str],
                     annotations: Mapping[str, pulumi.Input[str]] | None = None,
                     pod_annotations: Mapping[str, str] | None = None
                     ) -> dict[str, Any]:
    """The karpenter chart's values (keys as in its values.yaml). ``annotations``: the
    controller's service account's (IRSA's role ARN; none with Pod Identity);
    ``pod_annotations``: the controller's pods' (the workload identity: a switch rolls
    them)."""
    return {
        "settings": {
            "clusterName": cluster_name,
            "clusterEndpoint": cluster_endpoint,
            "interruptionQueue": queue_name,
        },
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT,
                           **({"annotations": dict(annotations)} if annotations else {})},
        **({"podAnnotations": dict(pod_annotations)} if pod_annotations else {}),
        "replicas": 2,
        "controller": {"resources": {"requests": {"cpu": "1", "memory": "1Gi"},
                                     "limits": {"cpu": "1", "memory": "1Gi"}}},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        # Only on managed node-group nodes, never on a node Karpenter manages (it could
        # consolidate away the node it runs on); one replica per node.
        "affinity": {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"},
                    {"key": NODE_GROUP_LABEL, "operator": "Exists"},
                ]}]}},
            "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"topologyKey": "kubernetes.io/hostname"}]},
        },
    }


def node_class_spec(*, role_name: pulumi.Input[str], ami_alias: str, cluster_name: str,
                    cluster_security_group_id: pulumi.Input[str],
                    tags: Mapping[str, str]) -> dict[str, Any]:
    """The default EC2NodeClass (karpenter.k8s.aws/v1)."""
    spec: dict[str, Any] = {
        "role": role_name,
        "amiSelectorTerms": [{"alias": ami_alias}],
        # components/network.py tags the private subnets karpenter.sh/discovery=CLUSTER.
        "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": cluster_name}}],
        # The EKS-created cluster security group (the one the managed nodes use) carries no
        # karpenter.sh/discovery tag, so it is selected by id.
        "securityGroupSelectorTerms": [{"id": cluster_security_group_id}],
        # IMDSv2 only, hop limit 1: pods cannot reach the node role; they use their own.
        "metadataOptions": {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled",
                            "httpPutResponseHopLimit": 1, "httpTokens": "required"},
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
            "volumeSize": f"{ROOT_VOLUME_GI}Gi", "volumeType": "gp3", "encrypted": True,
            "deleteOnTermination": True}}],
    }
    if tags:
        spec["tags"] = dict(tags)
    return spec


def node_pool_spec(*, capacity_types: Sequence[str], instance_categories: Sequence[str],
                   cpu_limit: int, memory_limit_gi: int, consolidate_after: str
                   ) -> dict[str, Any]:
    """The default NodePool (karpenter.sh/v1)."""
    return {
        "template": {"spec": {
            "requirements": [
                {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                {"key": "karpenter.sh/capacity-type", "operator": "In",
                 "values": list(capacity_types)},
                {"key": "karpenter.k8s.aws/instance-category", "operator": "In",
                 "values": list(instance_categories)},
                {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt",
                 "values": ["2"]},
            ],
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                             "name": "default"},
            "expireAfter": "720h",
        }},
        "limits": {"cpu": str(cpu_limit), "memory": f"{memory_limit_gi}Gi"},
        "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized",
                       "consolidateAfter": consolidate_after},
    }


# -- the component ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KarpenterArgs:
    provider: k8s.Provider
    cluster_name: str
    region: str
    identity: WorkloadIdentity
    cluster_endpoint: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    cluster_security_group_id: pulumi.Input[str]
    cpu_limit: int
    memory_limit_gi: int
    capacity_types: Sequence[str]
    instance_categories: Sequence[str]
    consolidate_after: str
    ami_alias: str
    values: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()


class Karpenter(pulumi.ComponentResource):
    ready: list[pulumi.Resource]
    queue_name: pulumi.Output[str]
    node_role_name: pulumi.Output[str]
    controller_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: KarpenterArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self._name, self._args = name, args
        caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))

        self._create_interruption_queue(caller.account_id)
        self.node_role = self._create_node_role()
        self.controller_role = service_account_role(
            name, identity=args.identity, namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT, parent=self, tags=args.tags,
            former=f"{name}-irsa",
            policy=pulumi.Output.all(caller.account_id, self.node_role.arn, self.queue_arn,
                                     args.cluster_arn).apply(
                lambda a: controller_policy(cluster_name=args.cluster_name, region=args.region,
                                            account_id=a[0], node_role_arn=a[1], queue=a[2],
                                            cluster_arn=a[3])))

        # The CRD chart owns the CRDs (templates, so upgrades update them). The karpenter chart
        # also carries them in crds/, which Helm only installs when absent: after this release
        # they exist, so Helm skips them and never touches them again.
        self.crd_release = helm_release(
            f"{name}-crd", "karpenter-crd", release_name="karpenter-crd",
            namespace_name=NAMESPACE, values={}, parent=self, provider=args.provider,
            depends_on=list(args.after))
        self.release = helm_release(
            name, "karpenter", release_name="karpenter", namespace_name=NAMESPACE,
            values=merged_values(karpenter_values(
                cluster_name=args.cluster_name, cluster_endpoint=args.cluster_endpoint,
                queue_name=self.queue.name, annotations=self.controller_role.annotations,
                pod_annotations=self.controller_role.pod_annotations),
                args.values),
            parent=self, provider=args.provider,
            depends_on=[self.crd_release, *self.controller_role.ready])

        # Besides their CRDs, the NodePool and EC2NodeClass wait for the controller: on destroy
        # Pulumi then deletes them while Karpenter still runs to release its finalizers and
        # the instances it launched (else the EC2NodeClass hangs and nodes are left running);
        # and for the nodes' access entry, so the first nodes can join.
        crd_only = pulumi.ResourceOptions(
            parent=self, provider=args.provider,
            depends_on=[self.crd_release, self.release, self.node_access_entry])
        self.node_class = k8s.apiextensions.CustomResource(
            f"{name}-nodeclass", api_version="karpenter.k8s.aws/v1", kind="EC2NodeClass",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default"),
            spec=node_class_spec(role_name=self.node_role.name, ami_alias=args.ami_alias,
                                 cluster_name=args.cluster_name,
                                 cluster_security_group_id=args.cluster_security_group_id,
                                 tags=args.tags),
            opts=crd_only)
        self.node_pool = k8s.apiextensions.CustomResource(
            f"{name}-nodepool", api_version="karpenter.sh/v1", kind="NodePool",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default"),
            spec=node_pool_spec(capacity_types=args.capacity_types,
                                instance_categories=args.instance_categories,
                                cpu_limit=args.cpu_limit, memory_limit_gi=args.memory_limit_gi,
                                consolidate_after=args.consolidate_after),
            opts=crd_only)

        self.ready = [self.release]
        self.queue_name = self.queue.name
        self.node_role_name = self.node_role.name
        self.controller_role_arn = self.controller_role.arn
        self.register_outputs({
            "queueName": self.queue_name, "queueArn": self.queue_arn,
            "nodeRoleName": self.node_role_name, "controllerRoleArn": self.controller_role_arn,
        })

    # -- helpers --------------------------------------------------------------------------

    def _tags(self, name: str) -> dict[str, str]:
        return {**self._args.tags, "Name": name}

    def _create_interruption_queue(self, account_id: pulumi.Output[str]) -> None:
        args, child = self._args, pulumi.ResourceOptions(parent=self)
        self.queue = aws.sqs.Queue(
            f"{self._name}-queue", name=args.cluster_name,
            message_retention_seconds=QUEUE_RETENTION_SECONDS, sqs_managed_sse_enabled=True,
            tags=self._tags(f"{args.cluster_name}-karpenter-interruption"), opts=child)
        # Built from the queue's name (so it waits for the queue) rather than read from it.
        self.queue_arn = pulumi.Output.all(account_id, self.queue.name).apply(
            lambda a: queue_arn(args.region, a[0], a[1]))
        policy = aws.sqs.QueuePolicy(
            f"{self._name}-queue-policy", queue_url=self.queue.id,
            policy=self.queue_arn.apply(interruption_queue_policy), opts=child)
        self.event_rules: dict[str, aws.cloudwatch.EventRule] = {}
        for key, (source, detail_type) in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{self._name}-{key}", name=event_rule_name(args.cluster_name, key),
                description=f"Karpenter interruption handling: {detail_type}",
                event_pattern=event_pattern(source, detail_type),
                tags=self._tags(f"{args.cluster_name}-{key}"), opts=child)
            aws.cloudwatch.EventTarget(
                f"{self._name}-{key}-target", rule=rule.name, arn=self.queue_arn,
                target_id="KarpenterInterruptionQueueTarget",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]))
            self.event_rules[key] = rule

    def _create_node_role(self) -> aws.iam.Role:
        args = self._args
        role = aws.iam.Role(
            f"{self._name}-node-role", assume_role_policy=iam.service_trust("ec2.amazonaws.com"),
            description=f"Nodes Karpenter launches in {args.cluster_name}",
            tags=self._tags(f"{args.cluster_name}-karpenter-node"),
            opts=pulumi.ResourceOptions(parent=self))
        for policy in NODE_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{self._name}-node-{policy}", role=role.name,
                policy_arn=iam.managed_policy_arn(policy),
                opts=pulumi.ResourceOptions(parent=self))
        # ctx.cluster_name is a plain string; taking it through the cluster's ARN makes the
        # entry wait for the cluster.
        cluster_name = pulumi.Output.from_input(args.cluster_arn).apply(
            lambda _: args.cluster_name)
        self.node_access_entry = aws.eks.AccessEntry(
            f"{self._name}-node-access", cluster_name=cluster_name, principal_arn=role.arn,
            type="EC2_LINUX", tags=self._tags(f"{args.cluster_name}-karpenter-node"),
            opts=pulumi.ResourceOptions(parent=self))
        return role
