"""EKS in moto: clusters (with the security group EKS creates) and node groups."""

from __future__ import annotations

from typing import Any

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import drop_none, handles, require, tag_specs

EKS_LOG_TYPES = frozenset({"api", "audit", "authenticator", "controllerManager", "scheduler"})
EKS_CAPACITY_TYPES = frozenset({"ON_DEMAND", "SPOT", "CAPACITY_BLOCK"})
EKS_TAINT_EFFECTS = frozenset({"NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"})
EKS_AMI_TYPES = frozenset({
    "AL2_x86_64", "AL2_x86_64_GPU", "AL2_ARM_64", "CUSTOM", "BOTTLEROCKET_ARM_64",
    "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64_FIPS", "BOTTLEROCKET_x86_64_FIPS",
    "BOTTLEROCKET_ARM_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA", "WINDOWS_CORE_2019_x86_64",
    "WINDOWS_FULL_2019_x86_64", "WINDOWS_CORE_2022_x86_64", "WINDOWS_FULL_2022_x86_64",
    "AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2023_x86_64_NEURON",
    "AL2023_x86_64_NVIDIA", "AL2023_ARM_64_NVIDIA"})


class Eks(MotoBase):
    """EKS clusters and managed node groups."""

    def _cluster_security_group(self, cluster: str, subnet_ids: list[str]) -> tuple[str, str]:
        """The security group EKS creates for a cluster (moto does not): all traffic within
        itself, all egress; attached to the control plane's ENIs and to managed nodes."""
        ec2 = self.client("ec2")
        vpc_id = ec2.describe_subnets(SubnetIds=subnet_ids[:1])["Subnets"][0]["VpcId"]
        group_name = f"eks-cluster-sg-{cluster}-{_digest(self.account_id, cluster, length=10)}"
        group_id = ec2.create_security_group(
            GroupName=group_name, VpcId=vpc_id,
            Description="EKS created security group applied to ENI that is attached to EKS "
                        "Control Plane master nodes, as well as any managed workloads.",
            TagSpecifications=tag_specs("security-group", {
                "Name": group_name, f"kubernetes.io/cluster/{cluster}": "owned"}))["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id}]}])
        return group_id, vpc_id

    @handles("aws:eks/cluster:Cluster")
    def _eks_cluster(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        eks, ec2 = self.client("eks"), self.client("ec2")
        cluster = i.get("name") or name
        vpc_config = dict(i.get("vpcConfig") or {})
        subnet_ids = list(vpc_config.get("subnetIds") or [])
        # checks AWS makes and moto does not
        log_types = list(i.get("enabledClusterLogTypes") or [])
        unknown = sorted(set(log_types) - EKS_LOG_TYPES)
        require(not unknown, "InvalidParameterException", f"unknown log types {unknown}")
        require(subnet_ids, "InvalidParameterException", "vpcConfig.subnetIds is required")
        subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        zones = {s["AvailabilityZone"] for s in subnets}
        require(len(zones) >= 2, "InvalidParameterException",
                "Subnets specified must be in at least two different AZs")
        require(len({s["VpcId"] for s in subnets}) == 1, "InvalidParameterException",
                "Subnets must all be in the same VPC")
        self._check_role_trusts(i.get("roleArn", ""), "eks.amazonaws.com")
        encryption = i.get("encryptionConfig")
        if encryption:
            key_arn = (encryption.get("provider") or {}).get("keyArn", "")
            key = self.client("kms").describe_key(KeyId=key_arn)["KeyMetadata"]
            require(key.get("Enabled", True), "InvalidParameterException",
                    f"KMS key {key_arn} is disabled")
            require(set(encryption.get("resources") or []) == {"secrets"},
                    "InvalidParameterException", "encryptionConfig.resources must be [secrets]")
        public = vpc_config.get("endpointPublicAccess", True)
        created = eks.create_cluster(**drop_none(
            name=cluster, version=i.get("version"), roleArn=i.get("roleArn"),
            resourcesVpcConfig=drop_none(
                subnetIds=subnet_ids, securityGroupIds=vpc_config.get("securityGroupIds"),
                endpointPublicAccess=public,
                endpointPrivateAccess=vpc_config.get("endpointPrivateAccess", False),
                publicAccessCidrs=vpc_config.get("publicAccessCidrs") if public else None),
            kubernetesNetworkConfig=i.get("kubernetesNetworkConfig"),
            logging={"clusterLogging": [{"types": log_types, "enabled": True}]}
            if log_types else None,
            encryptionConfig=[{"resources": encryption.get("resources"),
                               "provider": {"keyArn": encryption["provider"]["keyArn"]}}]
            if encryption else None,
            accessConfig=i.get("accessConfig"), upgradePolicy=i.get("upgradePolicy"),
            bootstrapSelfManagedAddons=i.get("bootstrapSelfManagedAddons"),
            deletionProtection=i.get("deletionProtection"),
            tags=i.get("tags")))["cluster"]
        group_id, vpc_id = self._cluster_security_group(cluster, subnet_ids)
        self._cluster_security_groups[cluster] = (group_id, vpc_id)
        issuer = created["identity"]["oidc"]["issuer"]
        return cluster, {
            "name": cluster, "arn": created["arn"],
            "endpoint": created["endpoint"].rstrip("/"),
            "certificateAuthority": {"data": created["certificateAuthority"]["data"]},
            "identities": [{"oidcs": [{"issuer": issuer}]}],
            "vpcConfig": {**vpc_config, "endpointPublicAccess": public,
                          "clusterSecurityGroupId": group_id, "vpcId": vpc_id},
            "kubernetesNetworkConfig": i.get("kubernetesNetworkConfig") or {
                "serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4"},
            "status": created.get("status", "ACTIVE"),
            "platformVersion": created.get("platformVersion"),
            "version": i.get("version", created.get("version")),
            "createdAt": str(created.get("createdAt", "")),
        }

    def cluster_security_group(self, cluster: str) -> str:
        """The id of the security group created for EKS cluster ``cluster``."""
        return self._cluster_security_groups[cluster][0]

    @handles("aws:eks/nodeGroup:NodeGroup")
    def _eks_node_group(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        eks, ec2 = self.client("eks"), self.client("ec2")
        cluster = i.get("clusterName", "")
        group = i.get("nodeGroupName") or (i["nodeGroupNamePrefix"] + _digest(name, length=10)
                                           if i.get("nodeGroupNamePrefix") else name)
        capacity = i.get("capacityType", "ON_DEMAND")
        require(capacity in EKS_CAPACITY_TYPES, "InvalidParameterException",
                f"capacityType {capacity!r}")
        require(i.get("amiType") is None or i["amiType"] in EKS_AMI_TYPES,
                "InvalidParameterException", f"amiType {i.get('amiType')!r}")
        for taint in i.get("taints") or []:
            require(taint.get("effect") in EKS_TAINT_EFFECTS, "InvalidParameterException",
                    f"taint effect {taint.get('effect')!r} (expected one of "
                    f"{sorted(EKS_TAINT_EFFECTS)})")
        scaling = i.get("scalingConfig") or {}
        require(scaling.get("minSize", 0) <= scaling.get("desiredSize", 0)
                <= scaling.get("maxSize", 0) and scaling.get("maxSize", 0) >= 1,
                "InvalidParameterException", f"scalingConfig {scaling} needs min<=desired<=max")
        ec2.describe_subnets(SubnetIds=i.get("subnetIds") or [])
        self._check_role_trusts(i.get("nodeRoleArn", ""), "ec2.amazonaws.com")
        template = i.get("launchTemplate")
        if template:
            # moto does not check the launch template exists; EKS does
            selector = ({"LaunchTemplateId": template["id"]} if template.get("id")
                        else {"LaunchTemplateName": template.get("name", "")})
            ec2.describe_launch_template_versions(**selector,
                                                  Versions=[str(template.get("version"))])
        cluster_info = eks.describe_cluster(name=cluster)["cluster"]
        created = eks.create_nodegroup(**drop_none(
            clusterName=cluster, nodegroupName=group,
            scalingConfig=scaling, diskSize=i.get("diskSize"), subnets=i.get("subnetIds"),
            instanceTypes=i.get("instanceTypes"), amiType=i.get("amiType"),
            remoteAccess=i.get("remoteAccess"), nodeRole=i.get("nodeRoleArn"),
            labels=i.get("labels"),
            taints=[drop_none(key=t.get("key"), value=t.get("value"), effect=t.get("effect"))
                    for t in i.get("taints") or []],
            tags=i.get("tags"),
            launchTemplate=drop_none(id=template.get("id"), name=template.get("name"),
                                     version=str(template["version"])
                                     if template.get("version") is not None else None)
            if template else None,
            updateConfig=i.get("updateConfig"), nodeRepairConfig=i.get("nodeRepairConfig"),
            capacityType=capacity,
            version=i.get("version") or cluster_info.get("version"),
            releaseVersion=i.get("releaseVersion")))["nodegroup"]
        resources = created.get("resources") or {}
        return f"{cluster}:{group}", {
            "nodeGroupName": group, "arn": created["nodegroupArn"],
            "status": created.get("status", "ACTIVE"), "capacityType": capacity,
            "version": i.get("version") or cluster_info.get("version"),
            "amiType": i.get("amiType", created.get("amiType")),
            "resources": [{"autoscalingGroups": [{"name": g.get("name")} for g in
                                                 resources.get("autoScalingGroups", [])],
                           "remoteAccessSecurityGroupId":
                               resources.get("remoteAccessSecurityGroup")}],
        }
