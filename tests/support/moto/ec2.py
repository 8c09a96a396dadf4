"""EC2 in moto: the VPC and its network, security groups, endpoints, flow logs,
launch templates, instances (the NAT instance)."""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from typing import Any

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import (
    as_bool,
    as_json,
    drop_none,
    handles,
    require,
    tag_list,
    tag_specs,
)

LT_HTTP_TOKENS = frozenset({"optional", "required"})
EBS_VOLUME_TYPES = frozenset({"standard", "gp2", "gp3", "io1", "io2", "sc1", "st1"})
_PASCAL_RENAMES = {"vpcSecurityGroupIds": "SecurityGroupIds", "ebs": "Ebs"}
_BOOL_STRINGS = {"Encrypted", "DeleteOnTermination"}


def pascal(value: Any, key: str = "") -> Any:
    """camelCase object -> PascalCase (launch template data); ``tags`` maps become tag lists."""
    if isinstance(value, dict):
        if key == "Tags":
            return tag_list(value)
        out = {}
        for k, v in value.items():
            new_key = _PASCAL_RENAMES.get(k, k[:1].upper() + k[1:])
            out[new_key] = as_bool(v) if new_key in _BOOL_STRINGS else pascal(v, new_key)
        return out
    if isinstance(value, list):
        return [pascal(v, key) for v in value]
    return value


class Ec2(MotoBase):
    """EC2 resources."""

    # -- the VPC and its network ----------------------------------------------------------

    @handles("aws:ec2/vpc:Vpc")
    def _vpc(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(**drop_none(
            CidrBlock=i.get("cidrBlock"), InstanceTenancy=i.get("instanceTenancy"),
            TagSpecifications=tag_specs("vpc", i.get("tags"))))["Vpc"]
        vpc_id = vpc["VpcId"]
        dns_support = i.get("enableDnsSupport", True)
        dns_hostnames = i.get("enableDnsHostnames", False)
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": dns_support})
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": dns_hostnames})
        in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        default_sg = ec2.describe_security_groups(
            Filters=[*in_vpc, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
        main_rt = ec2.describe_route_tables(
            Filters=[*in_vpc, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
        acls = ec2.describe_network_acls(
            Filters=[*in_vpc, {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
        return vpc_id, {
            "arn": self._arn("ec2", f"vpc/{vpc_id}"), "ownerId": vpc["OwnerId"],
            "enableDnsSupport": dns_support, "enableDnsHostnames": dns_hostnames,
            "defaultSecurityGroupId": default_sg["GroupId"],
            "mainRouteTableId": main_rt["RouteTableId"],
            "defaultRouteTableId": main_rt["RouteTableId"],
            "defaultNetworkAclId": acls[0]["NetworkAclId"] if acls else None,
            "dhcpOptionsId": vpc.get("DhcpOptionsId"),
            "instanceTenancy": vpc.get("InstanceTenancy", "default"),
        }

    @handles("aws:ec2/subnet:Subnet")
    def _subnet(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        cidr = i.get("cidrBlock")
        if cidr:
            try:
                prefix = ipaddress.ip_network(cidr, strict=False).prefixlen
            except ValueError:
                prefix = 0  # moto reports the malformed CIDR itself
            require(prefix <= 28, "InvalidSubnet.Range",
                    f"The CIDR '{cidr}' is invalid: a subnet is at most a /28")
        ec2 = self.client("ec2")
        subnet = ec2.create_subnet(**drop_none(
            VpcId=i.get("vpcId"), CidrBlock=cidr, Ipv6CidrBlock=i.get("ipv6CidrBlock"),
            AvailabilityZone=i.get("availabilityZone"),
            AvailabilityZoneId=i.get("availabilityZoneId"),
            TagSpecifications=tag_specs("subnet", i.get("tags"))))["Subnet"]
        subnet_id = subnet["SubnetId"]
        if i.get("mapPublicIpOnLaunch"):
            ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
        return subnet_id, {
            "arn": subnet.get("SubnetArn", self._arn("ec2", f"subnet/{subnet_id}")),
            "availabilityZone": subnet["AvailabilityZone"],
            "availabilityZoneId": subnet.get("AvailabilityZoneId"),
            "ownerId": subnet.get("OwnerId", self.account_id),
            "mapPublicIpOnLaunch": bool(i.get("mapPublicIpOnLaunch", False)),
        }

    @handles("aws:ec2/internetGateway:InternetGateway")
    def _internet_gateway(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = self.client("ec2")
        igw = ec2.create_internet_gateway(**drop_none(
            TagSpecifications=tag_specs("internet-gateway", i.get("tags"))))["InternetGateway"]
        igw_id = igw["InternetGatewayId"]
        if i.get("vpcId"):
            ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=i["vpcId"])
        return igw_id, {"arn": self._arn("ec2", f"internet-gateway/{igw_id}"),
                        "ownerId": igw.get("OwnerId", self.account_id)}

    @handles("aws:ec2/eip:Eip")
    def _eip(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = self.client("ec2")
        address = ec2.allocate_address(**drop_none(
            Domain=i.get("domain", "vpc"), PublicIpv4Pool=i.get("publicIpv4Pool"),
            NetworkBorderGroup=i.get("networkBorderGroup"),
            TagSpecifications=tag_specs("elastic-ip", i.get("tags"))))
        allocation_id = address["AllocationId"]
        association = None
        if i.get("instance") or i.get("networkInterface"):
            # the provider associates the address with what it names; moto does not check
            # that the VPC has the internet gateway AWS asks for (Gateway.NotAttached)
            association = ec2.associate_address(**drop_none(
                AllocationId=allocation_id, InstanceId=i.get("instance"),
                NetworkInterfaceId=i.get("networkInterface")))["AssociationId"]
        return allocation_id, drop_none(
            allocationId=allocation_id, publicIp=address["PublicIp"],
            domain=address.get("Domain", "vpc"), associationId=association,
            arn=self._arn("ec2", f"elastic-ip/{allocation_id}"))

    @handles("aws:ec2/instance:Instance")
    def _instance(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """RunInstances, as the provider calls it: from the launch template, whose image may
        be ``resolve:ssm:PARAMETER`` (EC2 resolves it at launch; moto's SSM holds AWS's public
        Amazon Linux parameters, so a misspelt one fails as it would), then the source/dest
        check the provider turns off with ModifyInstanceAttribute."""
        ec2 = self.client("ec2")
        template = i.get("launchTemplate") or {}
        image = i.get("ami")
        if template and not image:
            versions = ec2.describe_launch_template_versions(**drop_none(
                LaunchTemplateId=template.get("id"), LaunchTemplateName=template.get("name"),
                Versions=[str(template.get("version") or "$Default")]))
            image = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"].get("ImageId")
        require(image, "MissingParameter", "an instance needs an AMI (ami, or its template's)")
        if str(image).startswith("resolve:ssm:"):
            parameter = str(image).removeprefix("resolve:ssm:")
            image = self.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"]
        metadata = i.get("metadataOptions") or {}
        user_data = i.get("userData")
        reservation = ec2.run_instances(**drop_none(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType=i.get("instanceType"),
            SubnetId=i.get("subnetId"), SecurityGroupIds=i.get("vpcSecurityGroupIds"),
            LaunchTemplate=drop_none(LaunchTemplateId=template.get("id"),
                                     LaunchTemplateName=template.get("name"),
                                     Version=str(template["version"])
                                     if template.get("version") else None),
            MetadataOptions=drop_none(HttpTokens=metadata.get("httpTokens"),
                                      HttpEndpoint=metadata.get("httpEndpoint"),
                                      HttpPutResponseHopLimit=metadata.get(
                                          "httpPutResponseHopLimit")),
            UserData=base64.b64encode(user_data.encode()).decode() if user_data else None,
            CreditSpecification=drop_none(CpuCredits=(i.get("creditSpecification") or {})
                                          .get("cpuCredits")),
            TagSpecifications=tag_specs("instance", i.get("tags"))))
        instance = reservation["Instances"][0]
        instance_id = instance["InstanceId"]
        if "sourceDestCheck" in i:
            ec2.modify_instance_attribute(InstanceId=instance_id,
                                          SourceDestCheck={"Value": bool(i["sourceDestCheck"])})
        interface = instance["NetworkInterfaces"][0]
        return instance_id, {
            "arn": self._arn("ec2", f"instance/{instance_id}"), "ami": image,
            "availabilityZone": instance["Placement"]["AvailabilityZone"],
            "primaryNetworkInterfaceId": interface["NetworkInterfaceId"],
            "privateIp": instance.get("PrivateIpAddress"),
            "instanceState": instance["State"]["Name"],
        }

    @handles("aws:ec2/natGateway:NatGateway")
    def _nat_gateway(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        nat = self.client("ec2").create_nat_gateway(**drop_none(
            SubnetId=i.get("subnetId"), AllocationId=i.get("allocationId"),
            ConnectivityType=i.get("connectivityType"),
            PrivateIpAddress=i.get("privateIp"),
            TagSpecifications=tag_specs("natgateway", i.get("tags"))))["NatGateway"]
        address = (nat.get("NatGatewayAddresses") or [{}])[0]
        return nat["NatGatewayId"], drop_none(
            networkInterfaceId=address.get("NetworkInterfaceId"),
            privateIp=address.get("PrivateIp"), publicIp=address.get("PublicIp"),
            associationId=address.get("AssociationId"),
            connectivityType=i.get("connectivityType", "public"))

    @handles("aws:ec2/routeTable:RouteTable")
    def _route_table(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        table = self.client("ec2").create_route_table(**drop_none(
            VpcId=i.get("vpcId"),
            TagSpecifications=tag_specs("route-table", i.get("tags"))))["RouteTable"]
        table_id = table["RouteTableId"]
        for route in i.get("routes") or []:
            self._create_route(table_id, {"destinationCidrBlock": route.get("cidrBlock"),
                                          **{k: v for k, v in route.items() if k != "cidrBlock"}})
        return table_id, {"arn": self._arn("ec2", f"route-table/{table_id}"),
                          "ownerId": table.get("OwnerId", self.account_id),
                          "routes": i.get("routes", []), "propagatingVgws": []}

    def _create_route(self, table_id: str, i: Mapping[str, Any]) -> None:
        ec2 = self.client("ec2")
        if i.get("natGatewayId"):
            # moto accepts a NAT gateway that does not exist; AWS does not
            nats = ec2.describe_nat_gateways(NatGatewayIds=[i["natGatewayId"]])["NatGateways"]
            require(nats, "InvalidNatGatewayID.NotFound",
                    f"The natGateway ID '{i['natGatewayId']}' does not exist")
        ec2.create_route(**drop_none(
            RouteTableId=table_id,
            DestinationCidrBlock=i.get("destinationCidrBlock"),
            DestinationIpv6CidrBlock=i.get("destinationIpv6CidrBlock"),
            DestinationPrefixListId=i.get("destinationPrefixListId"),
            GatewayId=i.get("gatewayId"), NatGatewayId=i.get("natGatewayId"),
            VpcEndpointId=i.get("vpcEndpointId"), TransitGatewayId=i.get("transitGatewayId"),
            NetworkInterfaceId=i.get("networkInterfaceId"),
            VpcPeeringConnectionId=i.get("vpcPeeringConnectionId"),
            EgressOnlyInternetGatewayId=i.get("egressOnlyGatewayId")))

    @handles("aws:ec2/route:Route")
    def _route(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        table_id = i.get("routeTableId", "")
        self._create_route(table_id, i)
        destination = (i.get("destinationCidrBlock") or i.get("destinationIpv6CidrBlock")
                       or i.get("destinationPrefixListId") or "")
        return f"r-{table_id}{_digest(destination, length=10)}", {"origin": "CreateRoute",
                                                                  "state": "active"}

    @handles("aws:ec2/routeTableAssociation:RouteTableAssociation")
    def _route_table_association(self, name: str, i: dict[str, Any]
                                 ) -> tuple[str, dict[str, Any]]:
        ec2 = self.client("ec2")
        subnet_id = i.get("subnetId")
        if subnet_id:
            # moto hands back the existing association; AWS refuses a second one
            tables = ec2.describe_route_tables(Filters=[
                {"Name": "association.subnet-id", "Values": [subnet_id]}])["RouteTables"]
            require(not tables, "Resource.AlreadyAssociated",
                    f"the subnet {subnet_id} is already associated with route table "
                    f"{tables[0]['RouteTableId'] if tables else ''}")
        association = ec2.associate_route_table(**drop_none(
            RouteTableId=i.get("routeTableId"), SubnetId=subnet_id,
            GatewayId=i.get("gatewayId")))
        return association["AssociationId"], {}

    # -- security groups ------------------------------------------------------------------

    @staticmethod
    def _inline_permission(rule: Mapping[str, Any]) -> dict[str, Any]:
        """An inline ingress/egress block of (Default)SecurityGroup -> an IpPermission."""
        description = rule.get("description")
        pairs = [drop_none(GroupId=g, Description=description)
                 for g in rule.get("securityGroups", [])]
        return drop_none(
            IpProtocol=str(rule.get("protocol", "-1")),
            FromPort=rule.get("fromPort") if str(rule.get("protocol")) != "-1" else None,
            ToPort=rule.get("toPort") if str(rule.get("protocol")) != "-1" else None,
            IpRanges=[drop_none(CidrIp=c, Description=description)
                      for c in rule.get("cidrBlocks", [])],
            Ipv6Ranges=[drop_none(CidrIpv6=c, Description=description)
                        for c in rule.get("ipv6CidrBlocks", [])],
            PrefixListIds=[drop_none(PrefixListId=p, Description=description)
                           for p in rule.get("prefixListIds", [])],
            UserIdGroupPairs=pairs)

    def _set_inline_rules(self, group_id: str, i: Mapping[str, Any]) -> None:
        ec2 = self.client("ec2")
        for rule in i.get("ingress") or []:
            permission = self._inline_permission(rule)
            if rule.get("self"):
                permission.setdefault("UserIdGroupPairs", []).append({"GroupId": group_id})
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])
        for rule in i.get("egress") or []:
            permission = self._inline_permission(rule)
            if rule.get("self"):
                permission.setdefault("UserIdGroupPairs", []).append({"GroupId": group_id})
            ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[permission])

    def _revoke_all(self, group: Mapping[str, Any]) -> None:
        ec2 = self.client("ec2")
        strip = ("UserIdGroupPairs", "IpRanges", "Ipv6Ranges", "PrefixListIds")

        def clean(permission: dict[str, Any]) -> dict[str, Any]:
            out = {k: v for k, v in permission.items() if v or k not in strip}
            for pair in out.get("UserIdGroupPairs", []):
                pair.pop("UserId", None)
            return out

        if group.get("IpPermissions"):
            ec2.revoke_security_group_ingress(
                GroupId=group["GroupId"], IpPermissions=[clean(p) for p in group["IpPermissions"]])
        if group.get("IpPermissionsEgress"):
            ec2.revoke_security_group_egress(
                GroupId=group["GroupId"],
                IpPermissions=[clean(p) for p in group["IpPermissionsEgress"]])

    @handles("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    def _default_security_group(self, name: str, i: dict[str, Any]
                                ) -> tuple[str, dict[str, Any]]:
        """Adopt the VPC's default group: remove every rule, then add the declared ones."""
        ec2 = self.client("ec2")
        groups = ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [i.get("vpcId", "")]},
            {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
        require(groups, "InvalidGroup.NotFound",
                f"no default security group in VPC {i.get('vpcId')!r}")
        group = groups[0]
        self._revoke_all(group)
        self._set_inline_rules(group["GroupId"], i)
        if i.get("tags"):
            ec2.create_tags(Resources=[group["GroupId"]], Tags=tag_list(i["tags"]))
        group_id = group["GroupId"]
        return group_id, {"arn": self._arn("ec2", f"security-group/{group_id}"),
                          "name": "default", "description": group.get("Description"),
                          "ownerId": group.get("OwnerId", self.account_id),
                          "ingress": i.get("ingress", []), "egress": i.get("egress", [])}

    @handles("aws:ec2/securityGroup:SecurityGroup")
    def _security_group(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = self.client("ec2")
        group_name = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                       if i.get("namePrefix") else name)
        description = i.get("description", "Managed by Pulumi")
        group_id = ec2.create_security_group(**drop_none(
            GroupName=group_name, Description=description, VpcId=i.get("vpcId"),
            TagSpecifications=tag_specs("security-group", i.get("tags"))))["GroupId"]
        # Like the AWS provider: remove the allow-all egress AWS adds, then add what is declared.
        group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
        self._revoke_all({"GroupId": group_id,
                          "IpPermissionsEgress": group.get("IpPermissionsEgress")})
        self._set_inline_rules(group_id, i)
        return group_id, {"arn": self._arn("ec2", f"security-group/{group_id}"),
                          "name": group_name, "description": description,
                          "ownerId": self.account_id}

    @handles("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    def _security_group_ingress_rule(self, name: str, i: dict[str, Any]
                                     ) -> tuple[str, dict[str, Any]]:
        return self._security_group_rule(name, i, egress=False)

    @handles("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    def _security_group_egress_rule(self, name: str, i: dict[str, Any]
                                    ) -> tuple[str, dict[str, Any]]:
        return self._security_group_rule(name, i, egress=True)

    def _security_group_rule(self, name: str, i: dict[str, Any], *, egress: bool
                             ) -> tuple[str, dict[str, Any]]:
        ec2 = self.client("ec2")
        sources = [k for k in ("cidrIpv4", "cidrIpv6", "prefixListId",
                               "referencedSecurityGroupId") if i.get(k)]
        require(len(sources) == 1, "InvalidParameterValue",
                "exactly one of cidrIpv4, cidrIpv6, prefixListId or referencedSecurityGroupId "
                f"must be set (got {sources or 'none'})")
        protocol = str(i.get("ipProtocol", ""))
        description = i.get("description")
        ports = protocol not in ("-1", "all")
        permission = drop_none(
            IpProtocol="-1" if protocol == "all" else protocol,
            FromPort=i.get("fromPort") if ports else None,
            ToPort=i.get("toPort") if ports else None,
            IpRanges=[drop_none(CidrIp=i.get("cidrIpv4"), Description=description)]
            if i.get("cidrIpv4") else None,
            Ipv6Ranges=[drop_none(CidrIpv6=i.get("cidrIpv6"), Description=description)]
            if i.get("cidrIpv6") else None,
            PrefixListIds=[drop_none(PrefixListId=i.get("prefixListId"),
                                     Description=description)]
            if i.get("prefixListId") else None,
            UserIdGroupPairs=[drop_none(GroupId=i.get("referencedSecurityGroupId"),
                                        Description=description)]
            if i.get("referencedSecurityGroupId") else None)
        call = (ec2.authorize_security_group_egress if egress
                else ec2.authorize_security_group_ingress)
        result = call(**drop_none(
            GroupId=i.get("securityGroupId"), IpPermissions=[permission],
            TagSpecifications=tag_specs("security-group-rule", i.get("tags"))))
        rules = result.get("SecurityGroupRules") or []
        rule_id = rules[0]["SecurityGroupRuleId"] if rules else "sgr-" + _digest(name)
        return rule_id, {"arn": self._arn("ec2", f"security-group-rule/{rule_id}"),
                         "securityGroupRuleId": rule_id}

    # -- endpoints, flow logs, launch templates -------------------------------------------

    @handles("aws:ec2/vpcEndpoint:VpcEndpoint")
    def _vpc_endpoint(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        service = str(i.get("serviceName", ""))
        if service.startswith("com.amazonaws.") and not service.startswith("com.amazonaws.vpce."):
            # moto accepts any service name; AWS knows only its region's services
            require(service.split(".")[2:3] == [self.region] and len(service.split(".")) > 3,
                    "InvalidServiceName", f"The Vpc Endpoint Service '{service}' does not exist")
        endpoint = self.client("ec2").create_vpc_endpoint(**drop_none(
            VpcId=i.get("vpcId"), ServiceName=service,
            VpcEndpointType=i.get("vpcEndpointType", "Gateway"),
            RouteTableIds=i.get("routeTableIds"), SubnetIds=i.get("subnetIds"),
            SecurityGroupIds=i.get("securityGroupIds"),
            PrivateDnsEnabled=i.get("privateDnsEnabled"),
            PolicyDocument=as_json(i["policy"]) if i.get("policy") else None,
            TagSpecifications=tag_specs("vpc-endpoint", i.get("tags"))))["VpcEndpoint"]
        endpoint_id = endpoint["VpcEndpointId"]
        return endpoint_id, {
            "arn": self._arn("ec2", f"vpc-endpoint/{endpoint_id}"),
            "ownerId": endpoint.get("OwnerId", self.account_id),
            "state": endpoint.get("State", "available"),
            "networkInterfaceIds": endpoint.get("NetworkInterfaceIds", []),
            "dnsEntries": [{"dnsName": d.get("DnsName"), "hostedZoneId": d.get("HostedZoneId")}
                           for d in endpoint.get("DnsEntries", [])],
            "policy": endpoint.get("PolicyDocument", i.get("policy")),
            "requesterManaged": False,
        }

    @handles("aws:ec2/flowLog:FlowLog")
    def _flow_log(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        kinds = {"vpcId": "VPC", "subnetId": "Subnet", "eniId": "NetworkInterface",
                 "transitGatewayId": "TransitGateway",
                 "transitGatewayAttachmentId": "TransitGatewayAttachment"}
        targets = [(kinds[k], i[k]) for k in kinds if i.get(k)]
        require(len(targets) == 1, "InvalidParameter",
                "a flow log needs exactly one of vpcId, subnetId, eniId, transitGatewayId")
        result = self.client("ec2").create_flow_logs(**drop_none(
            ResourceType=targets[0][0], ResourceIds=[targets[0][1]],
            TrafficType=i.get("trafficType"),
            LogDestinationType=i.get("logDestinationType", "cloud-watch-logs"),
            LogDestination=i.get("logDestination"), LogGroupName=i.get("logGroupName"),
            DeliverLogsPermissionArn=i.get("iamRoleArn"),
            DeliverCrossAccountRole=i.get("deliverCrossAccountRole"),
            MaxAggregationInterval=i.get("maxAggregationInterval"),
            LogFormat=i.get("logFormat"),
            TagSpecifications=tag_specs("vpc-flow-log", i.get("tags"))))
        failed = result.get("Unsuccessful") or []
        require(not failed, "FlowLogFailed",
                "; ".join(f"{f.get('ResourceId')}: {f.get('Error', {}).get('Message')}"
                          for f in failed))
        flow_log_id = result["FlowLogIds"][0]
        return flow_log_id, {"arn": self._arn("ec2", f"vpc-flow-log/{flow_log_id}")}

    @handles("aws:ec2/launchTemplate:LaunchTemplate")
    def _launch_template(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        metadata = i.get("metadataOptions") or {}
        require(metadata.get("httpTokens", "optional") in LT_HTTP_TOKENS,
                "InvalidParameterValue", f"httpTokens {metadata.get('httpTokens')!r}")
        require(1 <= int(metadata.get("httpPutResponseHopLimit", 1)) <= 64,
                "InvalidParameterValue", "httpPutResponseHopLimit must be 1..64")
        for mapping in i.get("blockDeviceMappings") or []:
            volume_type = (mapping.get("ebs") or {}).get("volumeType", "gp3")
            require(volume_type in EBS_VOLUME_TYPES, "InvalidParameterValue",
                    f"volumeType {volume_type!r}")
        lt_name = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                    if i.get("namePrefix") else name)
        data_keys = ("blockDeviceMappings", "metadataOptions", "tagSpecifications", "imageId",
                     "instanceType", "keyName", "userData", "vpcSecurityGroupIds",
                     "monitoring", "ebsOptimized", "iamInstanceProfile", "networkInterfaces",
                     "placement", "privateDnsNameOptions", "instanceInitiatedShutdownBehavior",
                     "disableApiTermination", "disableApiStop", "creditSpecification")
        data = pascal({k: i[k] for k in data_keys if k in i})
        if "EbsOptimized" in data:
            data["EbsOptimized"] = as_bool(data["EbsOptimized"])
        template = self.client("ec2").create_launch_template(**drop_none(
            LaunchTemplateName=lt_name, LaunchTemplateData=data,
            VersionDescription=i.get("description"),
            TagSpecifications=tag_specs("launch-template", i.get("tags"))))["LaunchTemplate"]
        lt_id = template["LaunchTemplateId"]
        return lt_id, {"arn": self._arn("ec2", f"launch-template/{lt_id}"), "name": lt_name,
                       "latestVersion": int(template.get("LatestVersionNumber", 1)),
                       "defaultVersion": int(template.get("DefaultVersionNumber", 1))}
