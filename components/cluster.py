"""The EKS cluster: control plane, encryption, logs, access, workload identity (EKS Pod Identity,
or IRSA through the cluster's OIDC provider), managed add-ons, node groups, and the Kubernetes
provider every in-cluster resource is created through."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.workload_identity import OidcProvider, WorkloadIdentity, service_account_role
from shipyard.rules import iam
from shipyard.versions import EKS_ADDON_VERSIONS

TYPE = "shipyard:cluster:Cluster"
SNAPSHOT_CLASS = "ebs"             # the VolumeSnapshotClass of the gp3 volumes
CLUSTER_ADMIN = iam.access_policy_arn("AmazonEKSClusterAdminPolicy")
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly",
                 "AmazonSSMManagedInstanceCore")
# EKS Auto Mode (EKS User Guide, "Amazon EKS Auto Mode cluster IAM role" and "... node IAM
# role"): what the control plane's role needs to run compute, block storage, load balancing and
# networking besides AmazonEKSClusterPolicy; what its nodes' role needs. EKS creates the nodes'
# access entry itself when the cluster is created.
AUTO_MODE_CLUSTER_POLICIES = ("AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
                              "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy")
AUTO_MODE_NODE_POLICIES = ("AmazonEKSWorkerNodeMinimalPolicy",
                           "AmazonEC2ContainerRegistryPullOnly")
AUTO_MODE_NODE_POOLS = ("general-purpose", "system")
# Where a critical add-on runs under Auto Mode (EKS User Guide, "Run critical add-ons on
# dedicated instances"): on the built-in system pool, whose nodes carry the taint
# CriticalAddonsOnly:NoSchedule, so the pods both select the pool and tolerate the taint. The
# snapshot-controller add-on takes both as configuration values (nodeSelector, tolerations:
# its schema, `aws eks describe-addon-configuration --addon-name snapshot-controller`, has them
# since aws/containers-roadmap#2311).
SYSTEM_POOL_PLACEMENT = {
    "nodeSelector": {"karpenter.sh/nodepool": "system"},
    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
}
# The EBS CSI driver's name: the add-on's, or Auto Mode's own block storage.
EBS_DRIVERS = {False: "ebs.csi.aws.com", True: "ebs.csi.eks.amazonaws.com"}
# Control plane -> pod ports that admission webhooks listen on. Managed nodes share the
# cluster security group (which allows all traffic within itself), so these rules document
# the requirement and keep it true if a custom node security group is added later.
WEBHOOK_PORTS = {
    "istio-webhook": (15017, "Istio sidecar injection and config validation webhooks"),
    "istio-xds": (15012, "Istio xDS and CA (sidecars and gateways to istiod)"),
    "lbc-webhook": (9443, "AWS Load Balancer Controller webhook"),
    "cert-manager-webhook": (10250, "kubelet and cert-manager webhook"),
}


@dataclass(frozen=True)
class NodeGroupSpec:
    instance_types: Sequence[str]
    capacity_type: str
    min_size: int
    desired_size: int
    max_size: int
    labels: Mapping[str, str]
    taints: Sequence[Mapping[str, str]]
    disk_size_gb: int
    ami_type: str


@dataclass(frozen=True)
class ClusterArgs:
    cluster_name: str
    version: str
    region: str
    subnet_ids: pulumi.Input[Sequence[str]]
    endpoint_public_access: bool
    public_access_cidrs: Sequence[str]
    private_access_cidrs: Sequence[str]
    log_types: Sequence[str]
    log_retention_days: int
    admins: Sequence[str]
    deletion_protection: bool
    node_groups: Mapping[str, NodeGroupSpec]
    workload_identity: str = "podIdentity"     # podIdentity | irsa
    # podIdentity: keep IRSA's OIDC provider, trusted beside Pod Identity (pods started under
    # IRSA, before the switch, keep their credentials until they restart)
    irsa_transition: bool = False
    auto_mode: bool = False                    # EKS Auto Mode: no node groups (node_groups empty)
    logs_key_arn: pulumi.Input[str] | None = None  # encrypts the control-plane logs' group
    # the VPC CNI assigns /28 prefixes: managed nodes run up to 110 pods (EKS sets maxPods)
    prefix_delegation: bool = False
    # the network's default routes and route table associations: the nodes (on Auto Mode the
    # Kubernetes provider) wait for them, and destroy removes them after (Network.egress)
    egress: Sequence[pulumi.Resource] = ()
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


def vpc_cni_configuration(*, prefix_delegation: bool) -> dict[str, object]:
    """The vpc-cni add-on's configuration values: NetworkPolicy objects enforced by its agent;
    with prefix delegation, /28 prefixes on the nodes' interfaces and one spare prefix a node
    (16 addresses ready for the next pods). Managed node groups created after it (the node
    groups wait for the add-on) get EKS's maxPods for prefixes: 110 under 30 vCPUs (EKS User
    Guide, "Increase the available IP addresses for your Amazon EKS node")."""
    configuration: dict[str, object] = {"enableNetworkPolicy": "true"}
    if prefix_delegation:
        configuration["env"] = {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
    return configuration


def control_plane_log_group(cluster_name: str) -> str:
    """The group EKS writes the control-plane logs to (its name is EKS's choice)."""
    return f"/aws/eks/{cluster_name}/cluster"


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with ``aws eks get-token`` (no long-lived token)."""
    return json.dumps({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name,
                      "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": cluster_name,
                      "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
        "users": [{"name": cluster_name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region,
                     "--output", "json"],
            "interactiveMode": "Never",
        }}}],
    })


class Cluster(pulumi.ComponentResource):
    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    identity: WorkloadIdentity
    provider: k8s.Provider
    cluster_security_group_id: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))

        # Envelope encryption of Kubernetes Secrets with a rotating customer key.
        self.secrets_key = aws.kms.Key(
            f"{name}-secrets-key", description=f"EKS secrets encryption for {args.cluster_name}",
            enable_key_rotation=True, deletion_window_in_days=30,
            policy=caller.account_id.apply(iam.key_policy),
            tags=self._tags(f"{args.cluster_name}-secrets"),
            # losing this key loses every Secret in the cluster
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        aws.kms.Alias(f"{name}-secrets-key-alias", name=f"alias/{args.cluster_name}-eks-secrets",
                      target_key_id=self.secrets_key.key_id, opts=child)

        # EKS writes control-plane logs to this exact group; creating it first sets retention.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs", name=control_plane_log_group(args.cluster_name),
            retention_in_days=args.log_retention_days, kms_key_id=args.logs_key_arn,
            tags=self._tags(f"{args.cluster_name}-control-plane"), opts=child)

        if args.auto_mode and args.node_groups:
            raise ValueError("EKS Auto Mode runs no managed node groups")
        # Auto Mode: EKS tags the sessions it starts with this role (sts:TagSession).
        cluster_role = aws.iam.Role(
            f"{name}-cluster-role",
            assume_role_policy=iam.service_trust("eks.amazonaws.com", tag_session=args.auto_mode),
            description=f"EKS control plane of {args.cluster_name}",
            tags=self._tags(f"{args.cluster_name}-cluster"), opts=child)
        cluster_policies = [aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy", role=cluster_role.name,
            policy_arn=iam.managed_policy_arn("AmazonEKSClusterPolicy"), opts=child)]
        auto_mode: dict[str, object] = {}
        if args.auto_mode:
            cluster_policies += [aws.iam.RolePolicyAttachment(
                f"{name}-cluster-{policy}", role=cluster_role.name,
                policy_arn=iam.managed_policy_arn(policy), opts=child)
                for policy in AUTO_MODE_CLUSTER_POLICIES]
            # The nodes' role goes in the cluster's compute config: it exists, with its
            # policies, before the cluster (its nodes start as soon as pods are pending). A
            # role of its own, not the node groups' (cluster-node-role): switching a deployed
            # stack to Auto Mode must not take the node groups' policies from under their
            # running nodes, and the node groups' role has EKS's EC2_LINUX access entry, while
            # Auto Mode gives its role an access entry of type EC2 (a principal has one entry
            # per cluster, whose type never changes).
            self.node_role = self._create_node_role(AUTO_MODE_NODE_POLICIES,
                                                    "EKS Auto Mode nodes", key="auto-node")
            cluster_policies += self._node_policies
            auto_mode = {
                "compute_config": aws.eks.ClusterComputeConfigArgs(
                    enabled=True, node_pools=list(AUTO_MODE_NODE_POOLS),
                    node_role_arn=self.node_role.arn),
                "kubernetes_network_config": aws.eks.ClusterKubernetesNetworkConfigArgs(
                    elastic_load_balancing=aws.eks.
                    ClusterKubernetesNetworkConfigElasticLoadBalancingArgs(enabled=True)),
                "storage_config": aws.eks.ClusterStorageConfigArgs(
                    block_storage=aws.eks.ClusterStorageConfigBlockStorageArgs(enabled=True)),
            }

        self.eks = aws.eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=args.endpoint_public_access,
                public_access_cidrs=(list(args.public_access_cidrs)
                                     if args.endpoint_public_access else None),
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                # whoever runs `pulumi up` administers the cluster it creates (the Kubernetes
                # provider deploys with that identity); everyone else through access entries
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(
                    key_arn=self.secrets_key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(args.log_types),
            # vpc-cni, coredns and kube-proxy come as managed add-ons below, in order (Auto
            # Mode runs them itself, and requires this off)
            bootstrap_self_managed_addons=False,
            **auto_mode,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            deletion_protection=args.deletion_protection,
            tags=self._tags(args.cluster_name),
            # every tenant runs on it: a replacement or a destroy would take them all down,
            # so it is protected with the data (shipyard:protect, on in prod)
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect,
                                        depends_on=[*cluster_policies, self.log_group]),
        )
        self.name = self.eks.name
        self.endpoint = self.eks.endpoint
        self.cluster_security_group_id = self.eks.vpc_config.cluster_security_group_id

        # The IAM OIDC provider only for IRSA: with EKS Pod Identity every role trusts
        # pods.eks.amazonaws.com (every pinned chart and EKS add-on here takes its credentials
        # from Pod Identity: docs/architecture.md), so nothing needs it - but during the move
        # of a stack deployed under IRSA (irsa_transition), whose pods keep IRSA's credentials
        # until they restart: then the roles trust it too, until the pods have all restarted
        # (docs/operations.md).
        self.oidc_provider: aws.iam.OpenIdConnectProvider | None = None
        oidc = None
        if args.workload_identity == "irsa" or args.irsa_transition:
            self.oidc_provider = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc", url=self.eks.identities[0].oidcs[0].issuer,
                client_id_lists=["sts.amazonaws.com"],
                tags=self._tags(f"{args.cluster_name}-oidc"), opts=child)
            oidc = OidcProvider(arn=self.oidc_provider.arn,
                                issuer_url=self.eks.identities[0].oidcs[0].issuer)
        irsa = args.workload_identity == "irsa"
        self.identity = WorkloadIdentity(cluster_name=args.cluster_name, cluster=self.eks.name,
                                         oidc=oidc if irsa else None,
                                         transition=None if irsa else oidc)

        self._create_access_entries()
        self._create_webhook_rules()
        self._create_private_api_access()
        if args.auto_mode:
            self._create_auto_mode_data_plane()
        else:
            self._create_data_plane()

        self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(
            self.eks.name, self.eks.endpoint, self.eks.certificate_authority.data,
        ).apply(lambda a: kubeconfig(a[0], a[1], a[2], args.region)))
        # After the EBS CSI driver too: every Kubernetes object uses this provider, so a destroy
        # deletes them all - the volume claims of stores and charts included - while the
        # driver still runs to detach and delete their volumes (offline/destroy.py). Auto Mode
        # runs the driver and the nodes itself, for as long as the cluster exists.
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig, enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._provider_waits))
        self._create_storage_class()
        self._create_snapshot_class()
        if args.auto_mode:
            self._enable_network_policies()

        self.register_outputs({
            "name": self.name, "endpoint": self.endpoint, "kubeconfig": self.kubeconfig,
            "oidcProviderArn": self.oidc_provider.arn if self.oidc_provider else None,
            "clusterSecurityGroupId": self.cluster_security_group_id,
            "nodeRoleArn": self.node_role_arn,
        })

    def _create_data_plane(self) -> None:
        """Managed add-ons in order and the managed node groups."""
        vpc_cni = self._addon("vpc-cni", service_account=("kube-system", "aws-node"),
                              managed_policies=[iam.managed_policy_arn("AmazonEKS_CNI_Policy")],
                              configuration=vpc_cni_configuration(
                                  prefix_delegation=self._args.prefix_delegation))
        pod_identity = self._addon("eks-pod-identity-agent")
        self.node_role = self._create_node_role()
        self.node_role_arn = self.node_role.arn
        # kube-proxy before the nodes too: with no self-managed add-ons nothing else programs
        # the kubernetes Service address that aws-node needs to reach the API server.
        kube_proxy = self._addon("kube-proxy")
        self.node_groups = self._create_node_groups(depends_on=[vpc_cni, pod_identity, kube_proxy])
        nodes = list(self.node_groups.values())
        self._addon("coredns", depends_on=nodes)
        # The VolumeSnapshot CRDs and their controller (Velero's CSI snapshots of the gp3
        # volumes); it needs no AWS permissions: the EBS CSI driver takes the snapshots.
        self.snapshot_controller = self._addon("snapshot-controller", depends_on=nodes)
        # After the snapshot CRDs, with the snapshot sidecar forced on: the chart the add-on is
        # built from otherwise includes the sidecar only if the CRDs exist when it renders.
        ebs_csi = self._addon(
            "aws-ebs-csi-driver", service_account=("kube-system", "ebs-csi-controller-sa"),
            managed_policies=[iam.managed_policy_arn("AmazonEBSCSIDriverPolicyV2")],
            configuration={"sidecars": {"snapshotter": {"forceEnable": True}}},
            depends_on=[*nodes, self.snapshot_controller])
        self._provider_waits = [*nodes, ebs_csi]

    def _create_auto_mode_data_plane(self) -> None:
        """EKS Auto Mode runs the nodes (its built-in pools), the VPC CNI, kube-proxy, CoreDNS,
        the Pod Identity agent and the EBS CSI driver itself (EKS User Guide, "Update an EKS
        Auto Mode cluster"): of the managed add-ons only the snapshot controller remains, on
        the built-in ``system`` pool as the guide suggests: it selects the pool and tolerates
        its CriticalAddonsOnly taint (without the toleration it would never schedule). No
        managed node groups."""
        self.node_groups = {}
        self.node_role_arn = self.node_role.arn
        self.snapshot_controller = self._addon(
            "snapshot-controller", configuration=SYSTEM_POOL_PLACEMENT)
        # no node group to wait for the routes: everything in the cluster waits for them
        self._provider_waits = list(self._args.egress)

    def _enable_network_policies(self) -> None:
        """Auto Mode enforces NetworkPolicy objects only once its network policy controller is
        switched on (EKS User Guide, "Use network policies with EKS Auto Mode"); its default
        NodeClass allows them (``networkPolicy: DefaultAllow``). The standard cluster's VPC CNI
        add-on does the same with ``enableNetworkPolicy``."""
        k8s.core.v1.ConfigMap(
            f"{self._name}-network-policies",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="amazon-vpc-cni", namespace="kube-system"),
            data={"enable-network-policy-controller": "true"},
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider))

    # -- helpers --------------------------------------------------------------------------

    def _tags(self, name: str) -> dict[str, str]:
        return {**self._args.tags, "Name": name}

    def _create_access_entries(self) -> None:
        for principal in self._args.admins:
            key = principal.rsplit("/", 1)[-1]
            entry = aws.eks.AccessEntry(
                f"{self._name}-admin-{key}", cluster_name=self.eks.name, principal_arn=principal,
                type="STANDARD", tags=self._tags(f"{self._args.cluster_name}-admin-{key}"),
                opts=pulumi.ResourceOptions(parent=self))
            aws.eks.AccessPolicyAssociation(
                f"{self._name}-admin-{key}", cluster_name=self.eks.name, principal_arn=principal,
                policy_arn=CLUSTER_ADMIN,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]))

    def _create_private_api_access(self) -> None:
        """The private endpoint answers only what the cluster security group admits: open 443 to
        where deploys and operators run inside the network (prod has no public endpoint)."""
        for cidr in self._args.private_access_cidrs:
            key = cidr.replace("/", "-").replace(".", "-")
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-api-{key}", security_group_id=self.cluster_security_group_id,
                cidr_ipv4=cidr, ip_protocol="tcp", from_port=443, to_port=443,
                description="Kubernetes API (private endpoint) for deploys and operators",
                opts=pulumi.ResourceOptions(parent=self))

    def _create_webhook_rules(self) -> None:
        for key, (port, description) in WEBHOOK_PORTS.items():
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-{key}", security_group_id=self.cluster_security_group_id,
                referenced_security_group_id=self.cluster_security_group_id,
                ip_protocol="tcp", from_port=port, to_port=port, description=description,
                opts=pulumi.ResourceOptions(parent=self))

    def _addon(self, addon: str, *, service_account: tuple[str, str] | None = None,
               managed_policies: Sequence[str] = (), configuration: dict | None = None,
               depends_on: Sequence[pulumi.Resource] = ()) -> aws.eks.Addon:
        role_arn, grants, associations = None, (), None
        if service_account is not None:
            # Pod Identity: the add-on makes the association itself (EKS checks that this
            # add-on version supports it); IRSA: the add-on annotates its service account.
            role = service_account_role(
                f"{self._name}-{addon}", identity=self.identity, namespace=service_account[0],
                service_account=service_account[1], parent=self,
                managed_policies=managed_policies, tags=self._args.tags, associate=False)
            # the add-on's pods use the role as they start: its policies must be attached
            grants = role.grants
            if self.identity.pod_identity:
                associations = [aws.eks.AddonPodIdentityAssociationArgs(
                    role_arn=role.arn, service_account=service_account[1])]
            else:
                role_arn = role.arn
        # The version follows the cluster's: pinned in shipyard/versions.py, else the default
        # EKS gives this add-on for the cluster's Kubernetes version (looked up at each preview),
        # so a cluster.version step upgrades the add-ons after the control plane.
        version = EKS_ADDON_VERSIONS[addon] or aws.eks.get_addon_version_output(
            addon_name=addon, kubernetes_version=self.eks.version).version
        return aws.eks.Addon(
            f"{self._name}-{addon}", cluster_name=self.eks.name, addon_name=addon,
            addon_version=version, service_account_role_arn=role_arn,
            pod_identity_associations=associations,
            configuration_values=json.dumps(configuration) if configuration else None,
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="PRESERVE",
            tags=self._tags(f"{self._args.cluster_name}-{addon}"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*depends_on, *grants]))

    def _create_node_role(self, policies: Sequence[str] = NODE_POLICIES,
                          what: str = "EKS managed nodes", key: str = "node") -> aws.iam.Role:
        role = aws.iam.Role(
            f"{self._name}-{key}-role", assume_role_policy=iam.service_trust("ec2.amazonaws.com"),
            description=f"{what} of {self._args.cluster_name}",
            tags=self._tags(f"{self._args.cluster_name}-{key}"),
            opts=pulumi.ResourceOptions(parent=self))
        self._node_policies = [
            aws.iam.RolePolicyAttachment(f"{self._name}-{key}-{policy}", role=role.name,
                                         policy_arn=iam.managed_policy_arn(policy),
                                         opts=pulumi.ResourceOptions(parent=self))
            for policy in policies
        ]
        return role

    def _create_node_groups(self, depends_on: Sequence[pulumi.Resource]
                            ) -> dict[str, aws.eks.NodeGroup]:
        groups = {}
        for key, spec in self._args.node_groups.items():
            tags = self._tags(f"{self._args.cluster_name}-{key}")
            template = aws.ec2.LaunchTemplate(
                f"{self._name}-{key}-lt",
                description=f"{self._args.cluster_name} node group {key}",
                metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                    http_endpoint="enabled", http_tokens="required",
                    # pods cannot reach the node's instance role; they use their own
                    http_put_response_hop_limit=1),
                block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=spec.disk_size_gb, volume_type="gp3", encrypted="true",
                        delete_on_termination="true"))],
                tag_specifications=[
                    aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
                    for kind in ("instance", "volume", "network-interface")],
                update_default_version=True, tags=tags,
                opts=pulumi.ResourceOptions(parent=self))
            groups[key] = aws.eks.NodeGroup(
                f"{self._name}-{key}",
                cluster_name=self.eks.name,
                # the cluster's version: a cluster.version step rolls the nodes in place after
                # the control plane (updateConfig's maxUnavailable at a time, PDBs respected)
                version=self.eks.version,
                node_role_arn=self.node_role.arn,
                subnet_ids=self._args.subnet_ids,
                instance_types=list(spec.instance_types),
                capacity_type=spec.capacity_type,
                ami_type=spec.ami_type,
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=spec.min_size, desired_size=spec.desired_size,
                    max_size=spec.max_size),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
                labels={**spec.labels, "shipyard.dev/node-group": key},
                taints=[aws.eks.NodeGroupTaintArgs(**t) for t in spec.taints],
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=template.id, version=template.latest_version.apply(str)),
                tags=tags,
                opts=pulumi.ResourceOptions(
                    # the routes too: a node joins and pulls through them, and destroy keeps
                    # them until the nodes (and what runs on them) are gone
                    parent=self,
                    depends_on=[*self._node_policies, *depends_on, *self._args.egress],
                    # autoscalers own the live size; a deploy must not reset it
                    ignore_changes=["scalingConfig.desiredSize"]),
            )
        return groups

    def _create_storage_class(self) -> None:
        """The default class: encrypted gp3 through the EBS CSI driver, or Auto Mode's block
        storage (which creates no StorageClass itself)."""
        self.storage_class = k8s.storage.v1.StorageClass(
            f"{self._name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="gp3",
                annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
            provisioner=EBS_DRIVERS[self._args.auto_mode],
            parameters={"type": "gp3", "encrypted": "true", "fsType": "ext4"},
            reclaim_policy="Retain",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider))

    def _create_snapshot_class(self) -> None:
        """How the gp3 volumes are snapshotted: through the EBS CSI driver (Auto Mode's own
        with Auto Mode), the snapshot kept when its VolumeSnapshot goes (Velero deletes it when
        the backup expires). The label makes it the class Velero's CSI snapshots use for that
        driver."""
        # A VolumeSnapshotClass keeps driver and deletionPolicy at the top level, beside
        # metadata, where k8s.apiextensions.CustomResource (spec only) cannot put them: a
        # Kubernetes resource of its type token takes the object as it is.
        self.snapshot_class = pulumi.CustomResource(
            "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass",
            f"{self._name}-ebs-snapshots",
            {"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass",
             "metadata": {"name": SNAPSHOT_CLASS,
                          "labels": {"velero.io/csi-volumesnapshot-class": "true"}},
             "driver": EBS_DRIVERS[self._args.auto_mode],
             "deletionPolicy": "Retain"},
            # its CRD comes with the snapshot-controller add-on
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider,
                                        depends_on=[self.snapshot_controller]))
