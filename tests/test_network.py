"""The network each stack's plan creates: zones, NAT, routes, flow logs, endpoints, tags."""

import ipaddress
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from components.network import NAT_IMAGE, Network, nat_instance_user_data, nat_zone_for
from compose import platform
from shipyard.config.network import NatStrategy, interface_endpoints
from tests.support.plans import run_component
from tests.support.settings import SEED_001_NETWORK

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
INSTANCE = "aws:ec2/instance:Instance"
ROUTE = "aws:ec2/route:Route"
ASSOC = "aws:ec2/routeTableAssociation:RouteTableAssociation"
BASE_TAGS = {"project", "stack", "environment", "managed-by", "Name"}


def network_only(settings):
    """The Network component alone, as the program builds it, with its subnet outputs."""
    network = Network("network", platform.network_args(settings))
    return {"privateSubnetIds": network.private_subnet_ids,
            "isolatedSubnetIds": network.isolated_subnet_ids}


def subnets(plan, tier):
    return [r for r in plan.of_type(SUBNET) if r.inputs["tags"]["tier"] == tier]


def zone_of_subnet_id(plan):
    return {r.id: r.inputs["availabilityZone"] for r in plan.of_type(SUBNET)}


@pytest.mark.parametrize("stack,zones,nats,instances",
                         [("dev", 2, 0, 1), ("staging", 3, 1, 0), ("prod", 3, 3, 0)])
def test_zones_and_nat_per_environment(plans, stack, zones, nats, instances):
    plan = plans[stack]
    for tier in ("public", "private", "isolated"):
        assert len({s.inputs["availabilityZone"] for s in subnets(plan, tier)}) == zones
    assert len(plan.of_type(NAT)) == nats
    assert len(plan.of_type(INSTANCE)) == instances
    # an Elastic IP for each NAT gateway or instance, none for anything else
    assert len(plan.of_type("aws:ec2/eip:Eip")) == nats + instances


def test_prod_nat_gateways_sit_one_per_zone_in_public_subnets(prod):
    zone_of = zone_of_subnet_id(prod)
    public_ids = {s.id for s in subnets(prod, "public")}
    nat_zones = [zone_of[n.inputs["subnetId"]] for n in prod.of_type(NAT)]
    assert sorted(nat_zones) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert all(n.inputs["subnetId"] in public_ids for n in prod.of_type(NAT))


def private_default_routes(plan):
    """private subnet zone -> zone of the NAT (gateway, or instance by its network interface)
    its default route goes to."""
    zone_of = zone_of_subnet_id(plan)
    nat_zone = {n.id: zone_of[n.inputs["subnetId"]] for n in plan.of_type(NAT)}
    nat_zone |= {n.outputs["primaryNetworkInterfaceId"]: zone_of[n.inputs["subnetId"]]
                 for n in plan.of_type(INSTANCE)}
    table_of_subnet = {a.inputs["subnetId"]: a.inputs["routeTableId"] for a in plan.of_type(ASSOC)}
    default_route = {r.inputs["routeTableId"]: r for r in plan.of_type(ROUTE)
                     if r.inputs["destinationCidrBlock"] == "0.0.0.0/0"}
    out = {}
    for subnet in subnets(plan, "private"):
        route = default_route[table_of_subnet[subnet.id]]
        target = route.inputs.get("natGatewayId") or route.inputs["networkInterfaceId"]
        out[subnet.inputs["availabilityZone"]] = nat_zone[target]
    return out


def test_per_az_private_subnets_route_to_the_nat_in_their_own_zone(prod):
    routes = private_default_routes(prod)
    assert len(routes) == 3
    assert all(subnet_zone == nat_zone for subnet_zone, nat_zone in routes.items())


@pytest.mark.parametrize("stack,zones", [("dev", 2), ("staging", 3)])
def test_dev_and_staging_private_subnets_share_a_single_nat(plans, stack, zones):
    routes = private_default_routes(plans[stack])
    assert len(routes) == zones and set(routes.values()) == {"us-east-1a"}


def test_dev_routes_through_its_nat_instances_interface(dev):
    (instance,) = dev.of_type(INSTANCE)
    routes = [r for r in dev.of_type(ROUTE) if r.inputs["destinationCidrBlock"] == "0.0.0.0/0"
              and not r.inputs.get("gatewayId")]
    assert len(routes) == 2
    for route in routes:
        assert route.inputs["networkInterfaceId"] == instance.outputs[
            "primaryNetworkInterfaceId"]
        assert "natGatewayId" not in route.inputs
        assert instance.urn in route.property_dependencies["networkInterfaceId"]


def test_the_nat_instance_is_a_hardened_graviton_nat_in_a_public_subnet(dev):
    """Source/dest check off (it forwards), IMDSv2 only (instance and template), its root
    volume encrypted, the latest Amazon Linux 2023 arm64 image resolved by EC2 at launch from
    AWS's public parameter (no lookup at deploy or import time), EC2's automatic recovery,
    standard CPU credits (no surplus charges), tagged, and replaced when its script changes."""
    (instance,) = dev.of_type(INSTANCE)
    (template,) = [t for t in dev.of_type("aws:ec2/launchTemplate:LaunchTemplate")
                   if t.id == instance.inputs["launchTemplate"]["id"]]
    public = {s.id for s in subnets(dev, "public")}
    assert instance.inputs["subnetId"] in public
    assert zone_of_subnet_id(dev)[instance.inputs["subnetId"]] == "us-east-1a"
    assert instance.inputs["instanceType"] == "t4g.nano"
    assert instance.inputs["sourceDestCheck"] is False
    for metadata in (instance.inputs["metadataOptions"], template.inputs["metadataOptions"]):
        assert metadata["httpTokens"] == "required"
        assert metadata["httpPutResponseHopLimit"] == 1
    assert template.inputs["imageId"] == NAT_IMAGE == (
        "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64")
    assert "ami" not in instance.inputs
    (root,) = template.inputs["blockDeviceMappings"]
    assert root["deviceName"] == "/dev/xvda"
    assert root["ebs"]["encrypted"] == "true" and root["ebs"]["volumeType"] == "gp3"
    assert instance.inputs["maintenanceOptions"] == {"autoRecovery": "default"}
    assert instance.inputs["creditSpecification"] == {"cpuCredits": "standard"}
    assert instance.inputs["userDataReplaceOnChange"] is True
    assert instance.inputs["userData"] == nat_instance_user_data("10.10.0.0/16")
    assert "launchTemplate" in instance.options.get("replaceOnChanges", [])
    assert instance.inputs["tags"]["Name"] == "shipyard-dev-nat-instance-us-east-1a"
    assert {s["resourceType"] for s in template.inputs["tagSpecifications"]} == {
        "volume", "network-interface"}


def test_the_nat_instance_admits_only_the_vpc_and_has_its_own_address(dev):
    (instance,) = dev.of_type(INSTANCE)
    (group_id,) = instance.inputs["vpcSecurityGroupIds"]
    ingress = [r for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if r.inputs["securityGroupId"] == group_id]
    egress = [r for r in dev.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
              if r.inputs["securityGroupId"] == group_id]
    assert [(r.inputs["ipProtocol"], r.inputs["cidrIpv4"]) for r in ingress] == [
        ("-1", "10.10.0.0/16")]
    assert [(r.inputs["ipProtocol"], r.inputs["cidrIpv4"]) for r in egress] == [
        ("-1", "0.0.0.0/0")]
    (eip,) = dev.of_type("aws:ec2/eip:Eip")
    assert eip.inputs["instance"] == instance.id and eip.inputs["domain"] == "vpc"
    igw = dev.of_type("aws:ec2/internetGateway:InternetGateway")[0]
    assert igw.urn in eip.dependencies


def test_the_nat_instance_forwards_and_masquerades_across_reboots():
    """The user data turns on forwarding in sysctl.d and installs a systemd unit that writes the
    masquerading rule for the VPC's CIDR at every boot; it is valid shell (shellcheck, when the
    dev requirements' shellcheck is installed; bash -n in any case)."""
    script = nat_instance_user_data("10.10.0.0/16")
    assert script.startswith("#!/bin/bash\n") and "@VPC_CIDR@" not in script
    assert "net.ipv4.ip_forward = 1" in script and "/etc/sysctl.d/" in script
    assert "ip saddr 10.10.0.0/16 oifname \"$out\" masquerade" in script
    assert "-s 10.10.0.0/16 -o \"$out\" -j MASQUERADE" in script
    assert "WantedBy=multi-user.target" in script
    assert "systemctl enable --now shipyard-nat.service" in script
    # the rule script it writes, alone
    rules = script.split("<<'RULES'\n", 1)[1].split("\nRULES\n", 1)[0]
    beside = Path(sys.executable).parent / "shellcheck"
    shellcheck = str(beside) if beside.exists() else shutil.which("shellcheck")
    for text in (script, rules):
        assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0
        if shellcheck:
            result = subprocess.run([shellcheck, "-"], input=text, text=True,
                                    capture_output=True)
            assert result.returncode == 0, result.stdout
    with pytest.raises(ValueError):
        nat_instance_user_data("10.10.0.0/16; reboot")


def test_a_nat_instance_serves_every_zone_from_the_first():
    assert nat_zone_for(["a", "b", "c"], NatStrategy.INSTANCE) == {"a": "a", "b": "a", "c": "a"}


def test_each_private_subnet_has_its_own_route_table(stack_plan):
    private_ids = {s.id for s in subnets(stack_plan, "private")}
    tables = [a.inputs["routeTableId"] for a in stack_plan.of_type(ASSOC)
              if a.inputs["subnetId"] in private_ids]
    assert len(tables) == len(private_ids) == len(set(tables))


def test_isolated_subnets_have_no_route_out(stack_plan):
    isolated_ids = {s.id for s in subnets(stack_plan, "isolated")}
    tables = {a.inputs["routeTableId"] for a in stack_plan.of_type(ASSOC)
              if a.inputs["subnetId"] in isolated_ids}
    assert tables and not any(r.inputs["routeTableId"] in tables for r in stack_plan.of_type(ROUTE))


def test_public_subnets_route_to_the_internet_gateway(stack_plan):
    igw = stack_plan.of_type("aws:ec2/internetGateway:InternetGateway")[0]
    (route,) = [r for r in stack_plan.of_type(ROUTE) if r.inputs.get("gatewayId")]
    assert route.inputs["gatewayId"] == igw.id
    public_ids = {s.id for s in subnets(stack_plan, "public")}
    assert {a.inputs["subnetId"] for a in stack_plan.of_type(ASSOC)
            if a.inputs["routeTableId"] == route.inputs["routeTableId"]} == public_ids


def test_subnets_lie_inside_the_vpc_without_overlap(stack_plan):
    (vpc,) = stack_plan.of_type("aws:ec2/vpc:Vpc")
    vpc_net = ipaddress.ip_network(vpc.inputs["cidrBlock"])
    nets = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in stack_plan.of_type(SUBNET)]
    assert all(n.subnet_of(vpc_net) for n in nets)
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])


@pytest.mark.parametrize("stack,retention", [("dev", 14), ("staging", 30), ("prod", 365)])
def test_flow_logs_go_to_cloudwatch_with_the_configured_retention(plans, stack, retention):
    plan = plans[stack]
    (flow_log,) = plan.of_type("aws:ec2/flowLog:FlowLog")
    group = plan.named("network-flow-logs")
    (vpc,) = plan.of_type("aws:ec2/vpc:Vpc")
    assert flow_log.inputs["vpcId"] == vpc.id
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == group.outputs["arn"]
    assert group.inputs["retentionInDays"] == retention


def test_flow_log_role_may_write_only_to_its_log_group(prod):
    group = prod.named("network-flow-logs")
    policy = prod.named("network-flow-logs-write")
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Resource"] == [group.outputs["arn"], group.outputs["arn"] + ":*"]
    role = prod.named("network-flow-logs-role")
    assert policy.inputs["role"] == role.outputs["name"]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}


def test_subnets_carry_the_eks_load_balancer_and_discovery_tags(stack_plan):
    cluster = f"shipyard-{stack_plan.stack}"
    for s in subnets(stack_plan, "public"):
        assert s.inputs["tags"]["kubernetes.io/role/elb"] == "1"
        assert s.inputs["mapPublicIpOnLaunch"] is False
    for s in subnets(stack_plan, "private"):
        assert s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert s.inputs["tags"]["karpenter.sh/discovery"] == cluster
        assert s.inputs["tags"][f"kubernetes.io/cluster/{cluster}"] == "shared"
    for s in subnets(stack_plan, "isolated"):
        assert not any(k.startswith(("kubernetes.io", "karpenter")) for k in s.inputs["tags"])


def test_the_default_security_group_is_emptied(stack_plan):
    (sg,) = stack_plan.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.inputs.get("ingress", []) == [] and sg.inputs.get("egress", []) == []


def test_every_taggable_aws_resource_carries_the_base_tags(stack_plan):
    tagged = [r for r in stack_plan.resources if r.type.startswith("aws:") and "tags" in r.inputs]
    assert len(tagged) > 15  # the check is not vacuous
    for r in tagged:
        assert BASE_TAGS <= set(r.inputs["tags"]), r.name
        assert r.inputs["tags"]["environment"] == stack_plan.stack


def test_prod_user_tags_are_merged_everywhere(prod):
    tagged = [r for r in prod.resources if "tags" in r.inputs]
    assert all(r.inputs["tags"].get("cost-center") == "platform" for r in tagged)


def test_the_s3_gateway_endpoint_serves_private_and_isolated_route_tables(stack_plan):
    (s3,) = [e for e in stack_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
             if e.inputs["vpcEndpointType"] == "Gateway"]
    assert s3.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    non_public = {a.inputs["routeTableId"] for a in stack_plan.of_type(ASSOC)
                  if a.inputs["subnetId"] not in {s.id for s in subnets(stack_plan, "public")}}
    assert set(s3.inputs["routeTableIds"]) == non_public


def test_prod_has_private_interface_endpoints_for_image_pulls(prod, dev):
    interface = [e for e in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                 if e.inputs["vpcEndpointType"] == "Interface"]
    # images, logs, and the pods' credentials: Pod Identity's agent calls EKS Auth
    assert sorted(e.inputs["serviceName"].split("us-east-1.")[1] for e in interface) == [
        "ecr.api", "ecr.dkr", "eks-auth", "logs"]
    private_ids = sorted(s.id for s in subnets(prod, "private"))
    assert all(sorted(e.inputs["subnetIds"]) == private_ids and e.inputs["privateDnsEnabled"]
               for e in interface)
    assert not [e for e in dev.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                if e.inputs["vpcEndpointType"] == "Interface"]


def test_the_credentials_endpoint_follows_the_workload_identity():
    """A private path to AWS (any interface endpoint) includes the endpoint the pods'
    credentials come through: EKS Auth for Pod Identity's agent, STS for IRSA."""
    assert interface_endpoints([], "podIdentity") == ()
    assert interface_endpoints(["ecr.api"], "podIdentity") == ("ecr.api", "eks-auth")
    assert interface_endpoints(["ecr.api"], "irsa") == ("ecr.api", "sts")
    # one listed explicitly stays (once)
    assert interface_endpoints(["sts", "ecr.api"], "podIdentity") == ("sts", "ecr.api",
                                                                       "eks-auth")
    assert interface_endpoints(["eks-auth"], "podIdentity") == ("eks-auth",)


def test_nat_gateways_wait_for_the_internet_gateway(stack_plan):
    igw = stack_plan.of_type("aws:ec2/internetGateway:InternetGateway")[0]
    assert all(igw.urn in n.dependencies for n in stack_plan.of_type(NAT))


def test_per_zone_resources_are_named_by_zone_not_position(stack_plan):
    for r in stack_plan.of_type(SUBNET) + stack_plan.of_type(NAT) + stack_plan.of_type(INSTANCE):
        assert re.search(r"-us-east-1[a-f]$", r.name), r.name


def test_zones_can_be_discovered_at_deploy_time():
    plan = run_component("staging", network_only, overrides={"shipyard:network": {}})
    private = subnets(plan, "private")
    assert sorted(s.name for s in private) == [
        "network-private-az1", "network-private-az2", "network-private-az3"]
    # the mocks answer getAvailabilityZones like AWS: the region's zones in order
    assert sorted(s.inputs["availabilityZone"] for s in private) == [
        "us-east-1a", "us-east-1b", "us-east-1c"]


def test_seed_001_explicit_layout_builds_exactly_its_subnets():
    plan = run_component("prod", network_only, overrides={"shipyard:network": {
        **SEED_001_NETWORK, "availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"]}})
    assert sorted(s.inputs["cidrBlock"] for s in subnets(plan, "public")) == [
        "10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    assert sorted(s.inputs["cidrBlock"] for s in subnets(plan, "private")) == [
        "10.0.100.0/24", "10.0.101.0/24", "10.0.102.0/24"]
    assert subnets(plan, "isolated") == []
    # with no isolated tier, data stores are told to use the private subnets
    assert plan.outputs["isolatedSubnetIds"] == []
