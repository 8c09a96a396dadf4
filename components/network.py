"""The VPC: public, private and isolated subnets per zone, NAT, routes, flow logs, endpoints.

NAT is one gateway per zone, one shared gateway, none, or one EC2 NAT instance
(``NatStrategy.INSTANCE``): Amazon Linux 2023 on Graviton in the first zone's public subnet,
its image resolved by EC2 at launch from AWS's public SSM parameter (never looked up here),
source/destination check off, IMDSv2 only, its root volume encrypted, reachable from the VPC
only, with an Elastic IP; its user data (``nat_instance_user_data``) turns on IP forwarding and
masquerading, kept across reboots. EC2's simplified automatic recovery moves it to other
hardware when its host fails; nothing more: it is not highly available.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from shipyard.config.network import NatStrategy
from shipyard.rules import cidr as cidrlib
from shipyard.rules.cidr import ZoneSubnets

TYPE = "shipyard:network:Network"


@dataclass(frozen=True)
class NetworkArgs:
    """How many resources exist is decided by plain values here; nothing is an Output."""

    vpc_cidr: str
    # zone key -> its subnets. The key names the zone's resources: the AZ name when the stack
    # names its zones, else a slot ("az1", ...) filled from the region's available zones.
    zones: Mapping[str, ZoneSubnets]
    availability_zones: Sequence[str] | None
    nat: NatStrategy
    region: str
    cluster_name: str
    flow_logs_enabled: bool = True
    flow_logs_retention_days: int = 365
    flow_logs_traffic_type: str = "ALL"
    interface_endpoints: Sequence[str] = ()
    logs_key_arn: pulumi.Input[str] | None = None    # encrypts the flow logs' group
    nat_instance_type: str = "t4g.nano"              # NatStrategy.INSTANCE: a Graviton type
    tags: Mapping[str, str] = field(default_factory=dict)


# The NAT instance's image: the latest Amazon Linux 2023 for arm64, from AWS's public SSM
# parameter, which EC2 resolves when it launches the instance (a launch template's image_id may
# name one). A newer image does not replace a running instance; a replacement gets the newest.
NAT_IMAGE = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
# Amazon Linux 2023's root device, and its image's size (its snapshot is 8 GiB)
NAT_ROOT_DEVICE = "/dev/xvda"
NAT_ROOT_GIB = 8


def flow_log_group_name(cluster_name: str) -> str:
    return f"/shipyard/{cluster_name}/vpc-flow-logs"


def nat_zone_for(zone_keys: Sequence[str], nat: NatStrategy) -> dict[str, str | None]:
    """Pure: which zone's NAT (gateway or instance) each zone's private subnet routes
    through."""
    if nat is NatStrategy.NONE:
        return {z: None for z in zone_keys}
    if nat in (NatStrategy.SINGLE, NatStrategy.INSTANCE):
        return {z: zone_keys[0] for z in zone_keys}
    return {z: z for z in zone_keys}


_NAT_SCRIPT = Path(__file__).with_name("nat_instance.sh")


def nat_instance_user_data(vpc_cidr: str) -> str:
    """Pure: the NAT instance's cloud-init script (``components/nat_instance.sh``) for the VPC
    ``vpc_cidr``. It writes IP forwarding into sysctl.d and a oneshot systemd unit that
    masquerades what the VPC sends out of the interface holding the default route, so both hold
    after a reboot (an automatic recovery reboots). nftables where the image has ``nft``, else
    ``iptables``; only an image with neither makes it install nftables from the Amazon Linux
    repository, through the instance's own address."""
    cidrlib.parse(vpc_cidr)  # a strict CIDR: nothing else reaches the script
    return _NAT_SCRIPT.read_text().replace("@VPC_CIDR@", vpc_cidr)


def flow_logs_trust_policy() -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }],
    })


def flow_logs_write_policy(log_group_arn: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents",
                       "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        }],
    })


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    isolated_subnet_ids: pulumi.Output[list[str]]
    database_subnet_ids: pulumi.Output[list[str]]
    nat_gateway_ids: pulumi.Output[list[str]]
    nat_instance_ids: pulumi.Output[list[str]]
    availability_zones: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NetworkArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)

        zone_keys = list(args.zones)
        self._az_names = self._zone_names(zone_keys)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=self._tags(f"{args.cluster_name}-vpc"),
            opts=self._child,
        )
        # Strip every rule from the default security group (CIS AWS 5.4): nothing may use it.
        self.default_security_group = aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[],
            tags=self._tags(f"{args.cluster_name}-default-do-not-use"), opts=self._child)
        self.internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags=self._tags(f"{args.cluster_name}-igw"),
            opts=self._child)

        self.public_subnets = self._create_subnets("public", zone_keys)
        self.private_subnets = self._create_subnets("private", zone_keys)
        self.isolated_subnets = self._create_subnets("isolated", zone_keys)

        self.nat_gateways: dict[str, aws.ec2.NatGateway] = {}
        self.nat_instances: dict[str, aws.ec2.Instance] = {}
        if args.nat is NatStrategy.INSTANCE:
            self.nat_instances = self._create_nat_instances(zone_keys)
        else:
            self.nat_gateways = self._create_nat_gateways(zone_keys)
        self.public_route_table = self._create_public_routes(zone_keys)
        self.private_route_tables = self._create_private_routes(zone_keys)
        self.isolated_route_table = self._create_isolated_routes()
        self._create_endpoints(zone_keys)
        if args.flow_logs_enabled:
            self._create_flow_logs()

        self.vpc_id = self.vpc.id
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in self.public_subnets.values()])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in self.private_subnets.values()])
        self.isolated_subnet_ids = pulumi.Output.all(
            *[s.id for s in self.isolated_subnets.values()])
        self.database_subnet_ids = (self.isolated_subnet_ids if self.isolated_subnets
                                    else self.private_subnet_ids)
        self.nat_gateway_ids = pulumi.Output.all(*[n.id for n in self.nat_gateways.values()])
        self.nat_instance_ids = pulumi.Output.all(*[n.id for n in self.nat_instances.values()])
        self.availability_zones = pulumi.Output.all(*self._az_names.values())
        self.register_outputs({
            "vpcId": self.vpc_id,
            "publicSubnetIds": self.public_subnet_ids,
            "privateSubnetIds": self.private_subnet_ids,
            "isolatedSubnetIds": self.isolated_subnet_ids,
            "natGatewayIds": self.nat_gateway_ids,
            "natInstanceIds": self.nat_instance_ids,
            "availabilityZones": self.availability_zones,
        })

    # -- helpers --------------------------------------------------------------------------

    def _tags(self, name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**self._args.tags, "Name": name, **(extra or {})}

    def _zone_names(self, zone_keys: list[str]) -> dict[str, pulumi.Input[str]]:
        if self._args.availability_zones:
            return dict(zip(zone_keys, self._args.availability_zones, strict=True))
        available = aws.get_availability_zones_output(
            state="available", opts=pulumi.InvokeOutputOptions(parent=self))
        return {key: available.names.apply(lambda names, i=i: names[i])
                for i, key in enumerate(zone_keys)}

    def _create_subnets(self, tier: str, zone_keys: list[str]) -> dict[str, aws.ec2.Subnet]:
        role_tags = {
            # Where the AWS Load Balancer Controller puts internet-facing / internal LBs.
            "public": {"kubernetes.io/role/elb": "1"},
            # Where nodes (managed node groups, Karpenter) and internal LBs go.
            "private": {"kubernetes.io/role/internal-elb": "1",
                        "karpenter.sh/discovery": self._args.cluster_name},
            "isolated": {},
        }[tier]
        cluster_tag = ({f"kubernetes.io/cluster/{self._args.cluster_name}": "shared"}
                       if tier != "isolated" else {})
        subnets = {}
        for key in zone_keys:
            cidr = getattr(self._args.zones[key], tier)
            if cidr is None:
                continue
            subnets[key] = aws.ec2.Subnet(
                f"{self._name}-{tier}-{key}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=self._az_names[key],
                # Nothing gets a public address by accident; NAT and NLBs use their own.
                map_public_ip_on_launch=False,
                tags=self._tags(f"{self._args.cluster_name}-{tier}-{key}",
                                {"tier": tier, **role_tags, **cluster_tag}),
                opts=self._child,
            )
        return subnets

    def _create_nat_gateways(self, zone_keys: list[str]) -> dict[str, aws.ec2.NatGateway]:
        gateways = {}
        for key in sorted({z for z in nat_zone_for(zone_keys, self._args.nat).values() if z},
                          key=zone_keys.index):
            eip = aws.ec2.Eip(f"{self._name}-nat-eip-{key}", domain="vpc",
                              tags=self._tags(f"{self._args.cluster_name}-nat-{key}"),
                              opts=self._child)
            gateways[key] = aws.ec2.NatGateway(
                f"{self._name}-nat-{key}",
                allocation_id=eip.id,
                subnet_id=self.public_subnets[key].id,
                connectivity_type="public",
                tags=self._tags(f"{self._args.cluster_name}-nat-{key}"),
                # A public NAT needs the VPC's internet gateway attached first.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.internet_gateway]),
            )
        return gateways

    def _create_nat_instances(self, zone_keys: list[str]) -> dict[str, aws.ec2.Instance]:
        """One NAT instance in the zone ``nat_zone_for`` names, with what it needs: a security
        group (the VPC in, anything out), a launch template (its image, resolved at launch; its
        encrypted root volume; IMDSv2), and an Elastic IP."""
        args = self._args
        name, cluster = self._name, args.cluster_name
        tags = self._tags(f"{cluster}-nat-instance")
        sg = aws.ec2.SecurityGroup(
            f"{name}-nat-instance-sg", vpc_id=self.vpc.id,
            description="NAT instance: anything from inside the VPC, anything out",
            tags=tags, opts=self._child)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-nat-instance-from-vpc", security_group_id=sg.id, ip_protocol="-1",
            cidr_ipv4=args.vpc_cidr, description="the VPC's traffic to forward",
            opts=self._child)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-nat-instance-egress", security_group_id=sg.id, ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0", description="forwarded traffic, and the instance's own",
            opts=self._child)
        imdsv2 = {"http_endpoint": "enabled", "http_tokens": "required",
                  "http_put_response_hop_limit": 1}
        template = aws.ec2.LaunchTemplate(
            f"{name}-nat-instance-lt", description=f"{cluster} NAT instance",
            image_id=NAT_IMAGE,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(**imdsv2),
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=NAT_ROOT_DEVICE,
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=NAT_ROOT_GIB, volume_type="gp3", encrypted="true",
                    delete_on_termination="true"))],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
                for kind in ("volume", "network-interface")],
            update_default_version=True, tags=tags, opts=self._child)
        instances = {}
        for key in sorted({z for z in nat_zone_for(zone_keys, args.nat).values() if z},
                          key=zone_keys.index):
            instance = aws.ec2.Instance(
                f"{name}-nat-instance-{key}",
                launch_template=aws.ec2.InstanceLaunchTemplateArgs(
                    id=template.id, version=template.latest_version.apply(str)),
                instance_type=args.nat_instance_type,
                subnet_id=self.public_subnets[key].id,
                vpc_security_group_ids=[sg.id],
                # it forwards packets addressed to others: what makes an instance a NAT
                source_dest_check=False,
                metadata_options=aws.ec2.InstanceMetadataOptionsArgs(**imdsv2),
                # EC2 moves it to other hardware when its host fails (same ID and addresses)
                maintenance_options=aws.ec2.InstanceMaintenanceOptionsArgs(
                    auto_recovery="default"),
                # throttled to its baseline when out of credits, never billed for surplus ones
                credit_specification=aws.ec2.InstanceCreditSpecificationArgs(
                    cpu_credits="standard"),
                user_data=nat_instance_user_data(args.vpc_cidr),
                # cloud-init runs user data once per instance: a new script needs a new one
                user_data_replace_on_change=True,
                tags=self._tags(f"{cluster}-nat-instance-{key}"),
                # a running instance keeps what it was launched with: a new template version
                # (its volume, its metadata options) takes a new instance
                opts=pulumi.ResourceOptions(parent=self, replace_on_changes=["launchTemplate"]))
            aws.ec2.Eip(
                f"{name}-nat-instance-eip-{key}", domain="vpc", instance=instance.id,
                tags=self._tags(f"{cluster}-nat-instance-{key}"),
                # an address is associated in a VPC only once it has its internet gateway
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.internet_gateway]))
            instances[key] = instance
        return instances

    def _create_public_routes(self, zone_keys: list[str]) -> aws.ec2.RouteTable:
        table = aws.ec2.RouteTable(f"{self._name}-public-rt", vpc_id=self.vpc.id,
                                   tags=self._tags(f"{self._args.cluster_name}-public"),
                                   opts=self._child)
        aws.ec2.Route(f"{self._name}-public-default", route_table_id=table.id,
                      destination_cidr_block="0.0.0.0/0",
                      gateway_id=self.internet_gateway.id, opts=self._child)
        for key in zone_keys:
            aws.ec2.RouteTableAssociation(f"{self._name}-public-{key}",
                                          route_table_id=table.id,
                                          subnet_id=self.public_subnets[key].id,
                                          opts=self._child)
        return table

    def _create_private_routes(self, zone_keys: list[str]) -> dict[str, aws.ec2.RouteTable]:
        tables = {}
        for key, nat_zone in nat_zone_for(zone_keys, self._args.nat).items():
            table = aws.ec2.RouteTable(f"{self._name}-private-rt-{key}", vpc_id=self.vpc.id,
                                       tags=self._tags(f"{self._args.cluster_name}-private-{key}"),
                                       opts=self._child)
            if nat_zone is not None and nat_zone in self.nat_instances:
                # through the NAT instance's network interface
                aws.ec2.Route(f"{self._name}-private-default-{key}", route_table_id=table.id,
                              destination_cidr_block="0.0.0.0/0",
                              network_interface_id=self.nat_instances[nat_zone]
                              .primary_network_interface_id, opts=self._child)
            elif nat_zone is not None:
                aws.ec2.Route(f"{self._name}-private-default-{key}", route_table_id=table.id,
                              destination_cidr_block="0.0.0.0/0",
                              nat_gateway_id=self.nat_gateways[nat_zone].id, opts=self._child)
            aws.ec2.RouteTableAssociation(f"{self._name}-private-{key}", route_table_id=table.id,
                                          subnet_id=self.private_subnets[key].id,
                                          opts=self._child)
            tables[key] = table
        return tables

    def _create_isolated_routes(self) -> aws.ec2.RouteTable | None:
        """One table with only the VPC's local route: isolated subnets reach nothing outside."""
        if not self.isolated_subnets:
            return None
        table = aws.ec2.RouteTable(f"{self._name}-isolated-rt", vpc_id=self.vpc.id,
                                   tags=self._tags(f"{self._args.cluster_name}-isolated"),
                                   opts=self._child)
        for key, subnet in self.isolated_subnets.items():
            aws.ec2.RouteTableAssociation(f"{self._name}-isolated-{key}", route_table_id=table.id,
                                          subnet_id=subnet.id, opts=self._child)
        return table

    def _create_endpoints(self, zone_keys: list[str]) -> None:
        route_tables = [t.id for t in self.private_route_tables.values()]
        if self.isolated_route_table is not None:
            route_tables.append(self.isolated_route_table.id)
        # S3 through a gateway endpoint: free, and image layers from ECR never cross the NAT.
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{self._name}-s3-endpoint", vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{self._args.region}.s3",
            vpc_endpoint_type="Gateway", route_table_ids=route_tables,
            tags=self._tags(f"{self._args.cluster_name}-s3"), opts=self._child)
        self.interface_endpoints: dict[str, aws.ec2.VpcEndpoint] = {}
        if not self._args.interface_endpoints:
            return
        sg = aws.ec2.SecurityGroup(
            f"{self._name}-endpoints-sg", vpc_id=self.vpc.id,
            description="HTTPS from inside the VPC to the interface endpoints",
            tags=self._tags(f"{self._args.cluster_name}-endpoints"), opts=self._child)
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-endpoints-https", security_group_id=sg.id, ip_protocol="tcp",
            from_port=443, to_port=443, cidr_ipv4=self._args.vpc_cidr,
            description="HTTPS from the VPC", opts=self._child)
        for service in self._args.interface_endpoints:
            key = service.replace(".", "-")
            self.interface_endpoints[service] = aws.ec2.VpcEndpoint(
                f"{self._name}-endpoint-{key}", vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{self._args.region}.{service}",
                vpc_endpoint_type="Interface", private_dns_enabled=True,
                subnet_ids=[self.private_subnets[z].id for z in zone_keys],
                security_group_ids=[sg.id],
                tags=self._tags(f"{self._args.cluster_name}-{key}"), opts=self._child)

    def _create_flow_logs(self) -> None:
        args = self._args
        self.flow_log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-flow-logs", name=flow_log_group_name(args.cluster_name),
            retention_in_days=args.flow_logs_retention_days, kms_key_id=args.logs_key_arn,
            tags=self._tags(f"{args.cluster_name}-flow-logs"), opts=self._child)
        role = aws.iam.Role(f"{self._name}-flow-logs-role",
                            assume_role_policy=flow_logs_trust_policy(),
                            description="Lets VPC Flow Logs write to its log group",
                            tags=self._tags(f"{args.cluster_name}-flow-logs"), opts=self._child)
        aws.iam.RolePolicy(f"{self._name}-flow-logs-write", role=role.name,
                           policy=self.flow_log_group.arn.apply(flow_logs_write_policy),
                           opts=self._child)
        self.flow_log = aws.ec2.FlowLog(
            f"{self._name}-flow-log", vpc_id=self.vpc.id, traffic_type=args.flow_logs_traffic_type,
            log_destination_type="cloud-watch-logs", log_destination=self.flow_log_group.arn,
            iam_role_arn=role.arn, max_aggregation_interval=60,
            tags=self._tags(f"{args.cluster_name}-flow-log"), opts=self._child)
