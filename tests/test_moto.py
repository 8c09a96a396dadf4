"""Each stack's real program, deployed into moto: the AWS API calls really happen, and the tests
read the accounts back through boto3 the way an operator would look at the console.

One ``mock_aws()`` for the module; each stack gets its own moto account so they do not collide.
Nothing here touches the network or ~/.aws.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.settings import stack_settings

pytest.importorskip("moto")

import moto.settings  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core.models import botocore_stubber  # noqa: E402
from moto.iam.policy_validation import (  # noqa: E402
    IAMPolicyDocumentValidator,
    IAMTrustPolicyDocumentValidator,
)
from pulumi.runtime import MockResourceArgs  # noqa: E402

from offline.harness import Plan, read_stack_config, run_program  # noqa: E402
from shipyard.catalog.load import load_catalogs
from shipyard.config.defaults import deep_merge  # noqa: E402
from tests.support.moto import (  # noqa: E402
    HANDLERS,
    MotoMocks,
    MotoResourceError,
    echoed_types,
    one_rsa_key_per_size,
)
from tests.support.plans import pod_identity_statement  # noqa: E402
from tests.support.stores import Served, served  # noqa: E402

STACKS = ("dev", "staging", "prod")
ACCOUNTS = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}
NEGATIVE_ACCOUNT = "999999999999"
# The tenants each stack hosts under moto. sre-platform in prod (its image service's AWS
# role, ECR repositories, S3 store, RDS and ElastiCache); in dev only
# learning-platform (its CloudFront CDN; in-cluster stores there, so nothing else of it
# reaches AWS, and the suite's minute is better spent on the managed stores). Staging
# hosts code-learn (PostgreSQL, a single-node cache, a single-instance Amazon MQ broker) and prod
# everything-portal (MySQL and DocumentDB, Multi-AZ): every managed store kind meets moto once,
# for about 3 s of Kubernetes objects that are only echoed.
HOSTED = {"dev": ("learning-platform",),
          "staging": ("code-learn",),
          "prod": ("sre-platform", "everything-portal")}
# Both placements meet moto: staging's code-learn and prod's sre-platform use the stack's shared
# stores (the default), prod's everything-portal keeps stores of its own (MySQL, DocumentDB).
OWN_STORES = {"prod": ("everything-portal",)}
# dev's run also switches on what prod has and dev lacks around its CDN (the WAF web ACL, access
# logs: the log bucket and CloudFront's log delivery), and DNSSEC (an option everywhere: its
# asymmetric KMS key meets moto, the signing itself moto cannot do), so those AWS calls meet
# moto: prod's run hosts no CDN application, and a tenant more there costs more than these.
SWITCHED_ON = {"dev": {"shipyard:cdn": {"waf": True},
                       "shipyard:accessLogs": {"enabled": True},
                       "shipyard:dns": {"dnssec": True}}}
# What moto cannot emulate, and so is echoed: anything else echoed would be a silent gap.
EXPECTED_ECHO_PREFIXES = ("shipyard:", "kubernetes:", "pulumi:providers:", "random:",
                          "aws:eks/addon:",
                          "aws:eks/accessEntry:", "aws:eks/accessPolicyAssociation:",
                          "aws:eks/podIdentityAssociation:",
                          # moto has no DocumentDB (its docdb client reaches the RDS backend,
                          # which refuses engine docdb): checked in components/stores/documentdb.py
                          "aws:docdb/",
                          # moto 5.2.5's Route53 answers GetDNSSEC only: no key-signing keys, no
                          # EnableHostedZoneDNSSEC (the KMS key they use is moto's)
                          "aws:route53/keySigningKey:", "aws:route53/hostedZoneDnsSec:")
ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    # the AMI catalogue is not needed and costs a second per EC2 backend
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
ENV_REMOVED = ("AWS_PROFILE", "MOTO_ACCOUNT_ID", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")


@dataclass
class Deployed:
    stack: str
    plan: Plan
    mocks: MotoMocks

    def client(self, service: str) -> Any:
        return self.mocks.client(service)

    @property
    def vpc_id(self) -> str:
        return self.plan.outputs["vpcId"]

    def require(self, typ: str) -> None:
        if not self.plan.of_type(typ):
            pytest.skip(f"{typ} is not in the {self.stack} plan yet")


@pytest.fixture(scope="module")
def deployed() -> Iterator[dict[str, Deployed]]:
    acm_wait = moto.settings.ACM_VALIDATION_WAIT
    with pytest.MonkeyPatch.context() as mp:
        for key, value in ENV.items():
            mp.setenv(key, value)
        for key in ENV_REMOVED:
            mp.delenv(key, raising=False)
        with mock_aws(), one_rsa_key_per_size():
            out = {stack: deploy(stack) for stack in STACKS}
            print("\nechoed (not emulated by moto):",
                  json.dumps(echoed_types(d.mocks for d in out.values()), indent=1))
            yield out
    moto.settings.ACM_VALIDATION_WAIT = acm_wait


def deploy(stack: str) -> Deployed:
    region = read_stack_config(stack)[0].get("aws:region", "us-east-1")
    mocks = MotoMocks(region=region, account_id=ACCOUNTS[stack])
    # The stack file names its parent zone by a placeholder id; in moto the parent zone is
    # created first (moto picks its id) and the stack delegates from it.
    domain = stack_settings(stack).dns.domain
    parent = mocks.client("route53").create_hosted_zone(
        Name=domain.split(".", 1)[1], CallerReference=f"parent-{stack}")["HostedZone"]["Id"]
    overrides = deep_merge(switched_on(stack), {
        "shipyard:dns": {"parentZoneId": parent.rsplit("/", 1)[-1]},
        "shipyard:applications": application_overrides(stack)})
    return Deployed(stack, run_program(stack, mocks=mocks, overrides=overrides), mocks)


def application_overrides(stack: str) -> dict[str, dict[str, Any]]:
    """moto checks the AWS side of the tenants HOSTED names; the Kubernetes objects of the
    others would only be echoed, at a cost in time."""
    return {name: {"enabled": name in HOSTED[stack],
                   **({"storePlacement": "perApplication"}
                      if name in OWN_STORES.get(stack, ()) else {})}
            for name in load_catalogs()}


def switched_on(stack: str) -> dict[str, Any]:
    """SWITCHED_ON's keys over the stack file's values of them (an override replaces a key)."""
    config = read_stack_config(stack)[0]
    return {key: deep_merge(json.loads(config.get(key, "{}")), value)
            for key, value in SWITCHED_ON.get(stack, {}).items()}


@functools.cache
def deployed_settings(stack: str) -> Any:
    """The settings the stack is deployed with here (its applications overridden)."""
    from shipyard.config.load import parse_settings

    config, _, project = read_stack_config(stack, overrides={
        **switched_on(stack), "shipyard:applications": application_overrides(stack)})
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{project}:")}
    return parse_settings(raw, project=project, stack=stack, region=config["aws:region"])


@pytest.fixture(params=STACKS)
def each(request: pytest.FixtureRequest, deployed: dict[str, Deployed]) -> Deployed:
    return deployed[request.param]


def tag(resource: dict[str, Any], key: str) -> str | None:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}.get(key)


def vpc_filter(vpc_id: str, **tags: str) -> list[dict[str, Any]]:
    return [{"Name": "vpc-id", "Values": [vpc_id]},
            *({"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items())]


def subnets(d: Deployed, tier: str) -> list[dict[str, Any]]:
    return d.client("ec2").describe_subnets(Filters=vpc_filter(d.vpc_id, tier=tier))["Subnets"]


def route_table_of(d: Deployed, subnet_id: str) -> dict[str, Any]:
    tables = d.client("ec2").describe_route_tables(Filters=[
        {"Name": "association.subnet-id", "Values": [subnet_id]}])["RouteTables"]
    assert len(tables) == 1, f"{subnet_id} has no explicit route table"
    return tables[0]


def default_route(table: dict[str, Any]) -> dict[str, Any] | None:
    return next((r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"),
                None)


# -- what moto emulated, and what it did not ----------------------------------------------


def test_every_service_module_is_joined_into_the_mocks():
    """Each module of tests/support/moto registers its ``@handles`` methods on a MotoBase
    subclass; MotoMocks must be built on every one of them."""
    import importlib
    import inspect
    import pkgutil

    import tests.support.moto as package
    from tests.support.moto.base import MotoBase

    services = {cls for info in pkgutil.iter_modules(package.__path__)
                for _, cls in inspect.getmembers(
                    importlib.import_module(f"{package.__name__}.{info.name}"), inspect.isclass)
                if issubclass(cls, MotoBase) and cls.__module__.endswith(f".{info.name}")
                and cls is not MotoBase}
    assert len(services) >= 15
    assert services <= set(MotoMocks.__mro__)
    missing = {typ: method for typ, method in HANDLERS.items()
               if not callable(getattr(MotoMocks, method, None))}
    assert not missing, f"handlers registered but not among MotoMocks' bases: {missing}"


def test_only_types_moto_cannot_emulate_are_echoed(deployed):
    echoed = echoed_types(d.mocks for d in deployed.values())
    unexpected = [t for t in echoed if not t.startswith(EXPECTED_ECHO_PREFIXES)]
    assert not unexpected, f"AWS types echoed instead of created in moto: {unexpected}"


def test_every_aws_resource_in_the_plan_was_created_or_echoed(each):
    aws_records = [r for r in each.plan.resources if r.custom and r.type.startswith("aws:")]
    accounted = sum(each.mocks.created.values()) + sum(
        n for t, n in each.mocks.echoed.items() if t.startswith("aws:"))
    assert accounted == len(aws_records)


def test_stacks_live_in_separate_accounts(deployed):
    cidrs = {}
    for stack, d in deployed.items():
        vpcs = d.client("ec2").describe_vpcs(
            Filters=[{"Name": "is-default", "Values": ["false"]}])["Vpcs"]
        assert [v["VpcId"] for v in vpcs] == [d.vpc_id]
        assert vpcs[0]["OwnerId"] == d.mocks.account_id
        cidrs[stack] = vpcs[0]["CidrBlock"]
    assert len(set(cidrs.values())) == 3


# -- network ------------------------------------------------------------------------------


def test_prod_private_subnets_span_three_zones_tagged_for_internal_load_balancers(deployed):
    prod = deployed["prod"]
    private = subnets(prod, "private")
    assert sorted(s["AvailabilityZone"] for s in private) == [
        "us-east-1a", "us-east-1b", "us-east-1c"]
    for subnet in private:
        assert tag(subnet, "kubernetes.io/role/internal-elb") == "1"
        assert subnet["MapPublicIpOnLaunch"] is False


@pytest.mark.parametrize("stack,nats", [("dev", 0), ("staging", 1), ("prod", 3)])
def test_nat_gateways_per_environment(deployed, stack, nats):
    d = deployed[stack]
    gateways = d.client("ec2").describe_nat_gateways(
        Filters=[{"Name": "vpc-id", "Values": [d.vpc_id]}])["NatGateways"]
    assert len(gateways) == nats
    public_ids = {s["SubnetId"] for s in subnets(d, "public")}
    assert all(g["SubnetId"] in public_ids and g["State"] == "available" for g in gateways)


def test_private_subnets_route_through_the_nat_in_their_own_zone(deployed):
    d = deployed["prod"]
    ec2 = d.client("ec2")
    zone_of_subnet = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets(d, "public")}
    for subnet in subnets(d, "private"):
        route = default_route(route_table_of(d, subnet["SubnetId"]))
        assert route is not None and route.get("NatGatewayId"), subnet["SubnetId"]
        nat = ec2.describe_nat_gateways(NatGatewayIds=[route["NatGatewayId"]])["NatGateways"][0]
        assert zone_of_subnet[nat["SubnetId"]] == subnet["AvailabilityZone"]


def test_staging_private_subnets_share_one_nat_gateway(deployed):
    d = deployed["staging"]
    targets = {default_route(route_table_of(d, s["SubnetId"]))["NatGatewayId"]
               for s in subnets(d, "private")}
    assert len(targets) == 1


def nat_instances(d: Deployed) -> list[dict[str, Any]]:
    reservations = d.client("ec2").describe_instances(Filters=vpc_filter(d.vpc_id))
    return [i for r in reservations["Reservations"] for i in r["Instances"]]


def test_dev_egresses_through_one_nat_instance(deployed):
    """dev's NAT is an instance (natGateways: instance): Graviton, in the first zone's public
    subnet, from the Amazon Linux 2023 arm64 image the launch template names through AWS's
    public SSM parameter, forwarding (source/dest check off), IMDSv2 only, reachable from the
    VPC only, its Elastic IP on it, and every private subnet's default route through its
    network interface."""
    d = deployed["dev"]
    ec2 = d.client("ec2")
    [instance] = nat_instances(d)
    assert instance["InstanceType"] == "t4g.nano" and instance["State"]["Name"] == "running"
    public = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets(d, "public")}
    assert public[instance["SubnetId"]] == "us-east-1a"
    image = d.client("ssm").get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64")
    assert instance["ImageId"] == image["Parameter"]["Value"]
    check = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"],
                                            Attribute="sourceDestCheck")
    assert check["SourceDestCheck"]["Value"] is False
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert instance["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    # its root volume, from the launch template: encrypted gp3 (moto also attaches a default
    # /dev/sda1 of its own, which the template's /dev/xvda replaces on AWS)
    [root] = ec2.describe_volumes(Filters=[
        {"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]},
        {"Name": "attachment.device", "Values": ["/dev/xvda"]}])["Volumes"]
    assert root["Encrypted"] and root["VolumeType"] == "gp3"
    # the VPC in, anything out
    [group] = ec2.describe_security_groups(
        GroupIds=[g["GroupId"] for g in instance["SecurityGroups"]])["SecurityGroups"]
    assert [r["CidrIp"] for p in group["IpPermissions"] for r in p["IpRanges"]] == [
        "10.10.0.0/16"]
    assert [r["CidrIp"] for p in group["IpPermissionsEgress"] for r in p["IpRanges"]] == [
        "0.0.0.0/0"]
    [address] = ec2.describe_addresses(Filters=[
        {"Name": "instance-id", "Values": [instance["InstanceId"]]}])["Addresses"]
    assert address["Domain"] == "vpc"
    interface = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
    private = subnets(d, "private")
    assert len(private) == 2
    for subnet in private:
        route = default_route(route_table_of(d, subnet["SubnetId"]))
        assert route["NetworkInterfaceId"] == interface and "NatGatewayId" not in route
    assert not ec2.describe_nat_gateways(Filters=vpc_filter(d.vpc_id))["NatGateways"]


def test_public_subnets_route_to_the_vpcs_internet_gateway(each):
    ec2 = each.client("ec2")
    igws = ec2.describe_internet_gateways(Filters=[
        {"Name": "attachment.vpc-id", "Values": [each.vpc_id]}])["InternetGateways"]
    assert len(igws) == 1
    for subnet in subnets(each, "public"):
        assert default_route(route_table_of(each, subnet["SubnetId"]))["GatewayId"] == (
            igws[0]["InternetGatewayId"])


def test_isolated_subnets_reach_only_the_vpc_and_the_s3_endpoint(each):
    for subnet in subnets(each, "isolated"):
        routes = route_table_of(each, subnet["SubnetId"])["Routes"]
        assert default_route({"Routes": routes}) is None
        targets = {r.get("GatewayId", "") for r in routes}
        assert "local" in targets and all(t == "local" or t.startswith("vpce-") for t in targets)


def test_default_security_group_has_no_rules(each):
    group = each.client("ec2").describe_security_groups(Filters=[
        *vpc_filter(each.vpc_id), {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"][0]
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []


def test_flow_logs_deliver_to_a_cloudwatch_group_with_the_configured_retention(each):
    retention = {"dev": 14, "staging": 30, "prod": 365}[each.stack]
    logs = each.client("logs")
    flow_logs = each.client("ec2").describe_flow_logs(Filters=[
        {"Name": "resource-id", "Values": [each.vpc_id]}])["FlowLogs"]
    assert len(flow_logs) == 1
    flow_log = flow_logs[0]
    assert flow_log["LogDestinationType"] == "cloud-watch-logs"
    assert flow_log["TrafficType"] == "ALL"
    group_name = flow_log.get("LogGroupName") or flow_log["LogDestination"].split(
        ":log-group:")[1]
    groups = logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    assert [g["logGroupName"] for g in groups] == [group_name]
    assert groups[0]["retentionInDays"] == retention
    role = each.client("iam").get_role(
        RoleName=flow_log["DeliverLogsPermissionArn"].rsplit("/", 1)[-1])["Role"]
    trust = json.dumps(role["AssumeRolePolicyDocument"])
    assert "vpc-flow-logs.amazonaws.com" in trust


def test_prod_interface_endpoints_sit_in_the_private_subnets(deployed):
    prod = deployed["prod"]
    endpoints = prod.client("ec2").describe_vpc_endpoints(Filters=vpc_filter(prod.vpc_id))[
        "VpcEndpoints"]
    by_type: dict[str, list] = {}
    for endpoint in endpoints:
        by_type.setdefault(endpoint["VpcEndpointType"], []).append(endpoint)
    assert [e["ServiceName"] for e in by_type["Gateway"]] == ["com.amazonaws.us-east-1.s3"]
    private = {s["SubnetId"] for s in subnets(prod, "private")}
    assert sorted(e["ServiceName"].removeprefix("com.amazonaws.us-east-1.")
                  for e in by_type["Interface"]) == ["ecr.api", "ecr.dkr", "eks-auth", "logs"]
    for endpoint in by_type["Interface"]:
        assert set(endpoint["SubnetIds"]) == private


# -- IAM ----------------------------------------------------------------------------------


def test_every_role_trust_policy_and_inline_policy_passes_the_iam_validators(each):
    iam = each.client("iam")
    roles = iam.list_roles()["Roles"]
    assert roles
    for role in roles:
        IAMTrustPolicyDocumentValidator(json.dumps(role["AssumeRolePolicyDocument"])).validate()
        for policy_name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role["RoleName"],
                                           PolicyName=policy_name)["PolicyDocument"]
            IAMPolicyDocumentValidator(json.dumps(document)).validate()


def kept_provider(d: Deployed) -> str | None:
    """The OIDC provider (its ARN in moto) a stack keeps during its move from IRSA
    (cluster.irsaTransition, on in the three stack files); None once the move is over."""
    providers = d.client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
    if not deployed_settings(d.stack).cluster.irsa_transition:
        assert providers == []      # nothing uses IRSA
        return None
    [provider] = providers
    return provider["Arn"]


def pod_identity_subject(d: Deployed, role: dict[str, Any]) -> str | None:
    """``NS/NAME`` a role's trust admits through EKS Pod Identity (None: not such a role);
    besides it, only IRSA's for the same account through the kept provider (kept_provider)."""
    statement = pod_identity_statement(role["AssumeRolePolicyDocument"], kept_provider(d))
    if statement is None:
        return None
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    tags = statement["Condition"]["StringEquals"]
    return (f"{tags['aws:RequestTag/kubernetes-namespace']}/"
            f"{tags['aws:RequestTag/kubernetes-service-account']}")


def test_service_account_roles_trust_pod_identity_for_their_own_account_only(each):
    """Every role of a service account, as IAM holds it, trusts pods.eks.amazonaws.com for that
    service account of this cluster alone (and during the move from IRSA that account alone
    through the kept OIDC provider)."""
    iam = each.client("iam")
    cluster = each.plan.of_type("aws:eks/cluster:Cluster")[0].inputs["name"]
    accounts = []
    for role in iam.list_roles()["Roles"]:
        tags = {t["Key"]: t["Value"] for t in
                iam.list_role_tags(RoleName=role["RoleName"])["Tags"]}
        account = tags.get("shipyard.dev/service-account")
        if account is None:
            assert pod_identity_subject(each, role) is None, role["RoleName"]
            continue
        assert pod_identity_subject(each, role) == account.replace(".", "/", 1)
        statement = pod_identity_statement(role["AssumeRolePolicyDocument"], kept_provider(each))
        assert statement["Condition"]["StringEquals"][
            "aws:RequestTag/eks-cluster-name"] == cluster
        accounts.append(account)
    assert {"kube-system.aws-node", "kube-system.ebs-csi-controller-sa"} <= set(accounts)


def test_each_pod_identity_association_names_a_role_iam_lets_it_assume(each):
    """moto has no EKS Pod Identity (associations and add-ons are echoed): the IAM side is
    checked here, against the roles moto holds."""
    iam = each.client("iam")
    bindings = [(a.inputs["namespace"], a.inputs["serviceAccount"], a.inputs["roleArn"])
                for a in each.plan.of_type(
                    "aws:eks/podIdentityAssociation:PodIdentityAssociation")]
    bindings += [("kube-system", p["serviceAccount"], p["roleArn"])
                 for a in each.plan.of_type("aws:eks/addon:Addon")
                 for p in a.inputs.get("podIdentityAssociations") or []]
    assert len(bindings) >= 5   # vpc-cni, EBS CSI, load balancer controller, DNS, certificates
    for namespace, account, arn in bindings:
        role = iam.get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"]
        assert role["Arn"] == arn
        assert pod_identity_subject(each, role) == f"{namespace}/{account}"


def test_node_role_has_the_worker_policies_attached(each):
    each.require("aws:eks/nodeGroup:NodeGroup")
    iam = each.client("iam")
    group = each.plan.of_type("aws:eks/nodeGroup:NodeGroup")[0]
    role_name = group.inputs["nodeRoleArn"].rsplit("/", 1)[-1]
    attached = {p["PolicyName"] for p in
                iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]}
    assert {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"} <= attached


# -- EKS ----------------------------------------------------------------------------------


def eks_cluster(d: Deployed) -> dict[str, Any]:
    d.require("aws:eks/cluster:Cluster")
    eks = d.client("eks")
    names = eks.list_clusters()["clusters"]
    assert len(names) == 1
    return eks.describe_cluster(name=names[0])["cluster"]


def test_cluster_encrypts_secrets_with_a_rotating_key_and_logs_audit(each):
    cluster = eks_cluster(each)
    kms = each.client("kms")
    [encryption] = cluster["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    key_arn = encryption["provider"]["keyArn"]
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"]
    enabled = {t for entry in cluster["logging"]["clusterLogging"] if entry["enabled"]
               for t in entry["types"]}
    assert {"api", "audit", "authenticator"} <= enabled
    log_group = f"/aws/eks/{cluster['name']}/cluster"
    assert each.client("logs").describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]


def test_prod_api_endpoint_is_private_only(deployed):
    config = eks_cluster(deployed["prod"])["resourcesVpcConfig"]
    assert config["endpointPublicAccess"] is False
    assert config["endpointPrivateAccess"] is True


def test_cluster_runs_in_the_private_subnets(each):
    cluster = eks_cluster(each)
    private = {s["SubnetId"] for s in subnets(each, "private")}
    assert set(cluster["resourcesVpcConfig"]["subnetIds"]) == private


def test_node_groups_use_launch_templates_with_imdsv2_and_encrypted_disks(each):
    cluster = eks_cluster(each)
    each.require("aws:eks/nodeGroup:NodeGroup")
    eks, ec2 = each.client("eks"), each.client("ec2")
    names = eks.list_nodegroups(clusterName=cluster["name"])["nodegroups"]
    assert len(names) == len(each.plan.of_type("aws:eks/nodeGroup:NodeGroup"))
    private = {s["SubnetId"] for s in subnets(each, "private")}
    for name in names:
        group = eks.describe_nodegroup(clusterName=cluster["name"], nodegroupName=name)[
            "nodegroup"]
        assert set(group["subnets"]) == private
        template = group["launchTemplate"]
        [version] = ec2.describe_launch_template_versions(
            LaunchTemplateId=template["id"], Versions=[str(template["version"])])[
            "LaunchTemplateVersions"]
        data = version["LaunchTemplateData"]
        assert data["MetadataOptions"]["HttpTokens"] == "required"
        assert all(m["Ebs"]["Encrypted"] for m in data["BlockDeviceMappings"])


def test_webhook_rules_are_on_the_cluster_security_group(each):
    cluster = eks_cluster(each)
    group_id = each.mocks.cluster_security_group(cluster["name"])
    group = each.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    ports = {p.get("FromPort") for p in group["IpPermissions"]}
    assert {15017, 9443} <= ports


# -- Karpenter's interruption handling ----------------------------------------------------


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_interruption_rules_feed_an_encrypted_queue_events_may_send_to(deployed, stack):
    d = deployed[stack]
    sqs, events = d.client("sqs"), d.client("events")
    [record] = d.plan.of_type("aws:sqs/queue:Queue")
    url = sqs.get_queue_url(QueueName=record.inputs["name"])["QueueUrl"]
    assert record.id == url
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert attributes["MessageRetentionPeriod"] == "300"
    queue_arn = attributes["QueueArn"]
    assert record.outputs["arn"] == queue_arn
    policy = json.loads(attributes["Policy"])
    allowed = [s for s in policy["Statement"] if s["Effect"] == "Allow"
               and s["Action"] == "sqs:SendMessage" and s["Resource"] == queue_arn]
    assert allowed and "events.amazonaws.com" in allowed[0]["Principal"]["Service"]
    rules = [r for r in events.list_rules()["Rules"] if r.get("EventPattern")]
    assert len(rules) == 5
    assert len(rules) == len(d.plan.of_type("aws:cloudwatch/eventRule:EventRule"))
    for rule in rules:
        assert rule["State"] == "ENABLED"
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert [(t["Id"], t["Arn"]) for t in targets] == [
            ("KarpenterInterruptionQueueTarget", queue_arn)], rule["Name"]


# -- S3: Loki's and Tempo's buckets -------------------------------------------------------


def expected_expiry_days(d: Deployed, purpose: str) -> int:
    addons = stack_settings(d.stack).addons
    if purpose == "loki":
        return addons.logging.retention_days + 1
    return -(-addons.tracing.retention_hours // 24) + 1


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_log_and_trace_buckets_are_private_encrypted_tls_only_and_expire_after_retention(
        deployed, stack):
    d = deployed[stack]
    s3 = d.client("s3")
    records = [r for r in d.plan.of_type("aws:s3/bucket:Bucket")
               if r.inputs["tags"]["shipyard.dev/purpose"] in ("loki", "tempo")]
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} >= {r.id for r in records}
    assert len(records) == 2
    for record in records:
        bucket = record.id
        purpose = record.inputs["tags"]["shipyard.dev/purpose"]
        [rule] = s3.get_bucket_encryption(Bucket=bucket)[
            "ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256",
                                                                               "aws:kms")
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                         "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
        [ownership] = s3.get_bucket_ownership_controls(Bucket=bucket)[
            "OwnershipControls"]["Rules"]
        assert ownership["ObjectOwnership"] == "BucketOwnerEnforced"
        [lifecycle] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        assert lifecycle["Status"] == "Enabled"
        assert lifecycle["Expiration"]["Days"] == expected_expiry_days(d, purpose)
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        assert any(st["Effect"] == "Deny" and st["Condition"] == {
            "Bool": {"aws:SecureTransport": "false"}} for st in policy["Statement"])


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_only_the_bucket_roles_service_account_may_use_its_bucket(deployed, stack):
    d = deployed[stack]
    iam = d.client("iam")
    for record in d.plan.of_type("aws:s3/bucket:Bucket"):
        purpose = record.inputs["tags"]["shipyard.dev/purpose"]
        if purpose not in ("loki", "tempo"):
            continue
        arn = record.outputs["arn"]
        users = []
        for role in iam.list_roles()["Roles"]:
            for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
                document = iam.get_role_policy(RoleName=role["RoleName"],
                                               PolicyName=name)["PolicyDocument"]
                if json.dumps(document).count(arn):
                    users.append(role)
        [role] = users
        assert pod_identity_subject(d, role) == {"loki": "logging/loki",
                                              "tempo": "observability/tempo"}[purpose]


def test_prods_data_buckets_keep_their_access_logs_in_the_access_log_bucket(deployed):
    """S3 accepted each data bucket's logging (its target exists, in the region, with a
    policy that lets S3's logging service write under s3/ and SSE-S3); the log bucket itself
    logs nowhere. staging keeps none (accessLogs is prod's; dev's run switches them on:
    SWITCHED_ON)."""
    d = deployed["prod"]
    s3 = d.client("s3")
    buckets = {r.inputs["tags"]["shipyard.dev/purpose"]: r.outputs["bucket"]
               for r in d.plan.of_type("aws:s3/bucket:Bucket")}
    logs = buckets.pop("access-logs")
    assert {"velero", "loki", "tempo", "store"} <= set(buckets)
    for bucket in buckets.values():
        enabled = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
        assert (enabled["TargetBucket"], enabled["TargetPrefix"]) == (logs, "s3/")
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=logs)
    policy = json.loads(s3.get_bucket_policy(Bucket=logs)["Policy"])
    writers = {st["Principal"]["Service"] for st in policy["Statement"]
               if st["Effect"] == "Allow"}
    assert writers == {"logging.s3.amazonaws.com", "delivery.logs.amazonaws.com"}
    assert not deployed["staging"].plan.of_type("aws:s3/bucketLogging:BucketLogging")


def test_the_cdn_delivers_its_access_logs_to_the_log_bucket_through_cloudwatch_logs(deployed):
    """CloudFront's standard logging v2 as AWS holds it (dev's run, SWITCHED_ON): a delivery
    source for the distribution in us-east-1, a destination for the access-log bucket, and the
    delivery between them, which AWS made only because the bucket's policy lets its log
    delivery service write under AWSLogs/ACCOUNT/."""
    d = deployed["dev"]
    logs = d.mocks.regional_client("logs", "us-east-1")
    (distribution,) = d.plan.of_type("aws:cloudfront/distribution:Distribution")
    (source,) = logs.describe_delivery_sources()["deliverySources"]
    assert source["resourceArns"] == [distribution.outputs["arn"]]
    assert (source["service"], source["logType"]) == ("cloudfront", "ACCESS_LOGS")
    (bucket,) = [b for b in d.plan.of_type("aws:s3/bucket:Bucket")
                 if b.inputs["tags"]["shipyard.dev/purpose"] == "access-logs"]
    (destination,) = logs.describe_delivery_destinations()["deliveryDestinations"]
    assert destination["deliveryDestinationConfiguration"]["destinationResourceArn"] == \
        bucket.outputs["arn"]
    (delivery,) = logs.describe_deliveries()["deliveries"]
    assert (delivery["deliverySourceName"], delivery["deliveryDestinationArn"]) == (
        source["name"], destination["arn"])
    assert delivery["s3DeliveryConfiguration"]["suffixPath"].startswith("{DistributionId}/")


def test_the_cdn_sits_behind_the_waf_web_acl_aws_holds(deployed):
    """The web ACL exists in WAF (CLOUDFRONT scope, us-east-1) with the managed groups and the
    rate limit, and the distribution names it (dev's run, SWITCHED_ON)."""
    d = deployed["dev"]
    wafv2 = d.mocks.regional_client("wafv2", "us-east-1")
    (summary,) = wafv2.list_web_acls(Scope="CLOUDFRONT")["WebACLs"]
    acl = wafv2.get_web_acl(Name=summary["Name"], Scope="CLOUDFRONT", Id=summary["Id"])[
        "WebACL"]
    assert acl["DefaultAction"] == {"Allow": {}}
    rate = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert [r["Statement"]["RateBasedStatement"]["Limit"] for r in rate] == [
        deployed_settings("dev").config.cdn.waf_rate_limit]
    assert len(acl["Rules"]) == 4
    (distribution,) = d.plan.of_type("aws:cloudfront/distribution:Distribution")
    config = d.client("cloudfront").get_distribution_config(
        Id=distribution.outputs["arn"].rsplit("/", 1)[-1])
    assert config["DistributionConfig"]["WebACLId"] == summary["ARN"]


def test_the_dnssec_signing_key_is_an_asymmetric_key_route53_may_use(deployed):
    """moto cannot sign a zone (the key-signing key and the signing are echoed), but the KMS
    key they rest on is moto's: ECC_NIST_P256 for signing, in us-east-1, Route53's DNSSEC
    service allowed for this account only (dev's run, SWITCHED_ON)."""
    d = deployed["dev"]
    kms = d.mocks.regional_client("kms", "us-east-1")
    keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    (key,) = [k for k in keys if k.get("KeySpec") == "ECC_NIST_P256"]
    assert key["KeyUsage"] == "SIGN_VERIFY"
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    (route53,) = [s for s in policy["Statement"]
                  if s.get("Principal") == {"Service": "dnssec-route53.amazonaws.com"}
                  and "kms:Sign" in s["Action"]]
    assert d.mocks.account_id in json.dumps(route53["Condition"])
    assert d.mocks.echoed["aws:route53/keySigningKey:KeySigningKey"] == 1


def test_prods_zone_logs_its_queries_to_an_encrypted_group_in_us_east_1(deployed):
    """Route53 took the query logging configuration: the group exists in us-east-1, encrypted
    with a key whose policy lets CloudWatch Logs use it for that group, and a resource policy
    lets Route53 write there."""
    d = deployed["prod"]
    [record] = d.plan.of_type("aws:route53/queryLog:QueryLog")
    zone = record.inputs["zoneId"]
    # moto lists every zone's configurations, whatever HostedZoneId says
    [config] = [c for c in d.client("route53").list_query_logging_configs()[
        "QueryLoggingConfigs"] if c["HostedZoneId"] == zone]
    group = config["CloudWatchLogsLogGroupArn"].removesuffix(":*").split(":log-group:")[1]
    assert group == "/aws/route53/shipyard.example.com"
    [found] = d.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert found["kmsKeyId"].startswith("arn:aws:kms:us-east-1:")
    for stack in ("dev", "staging"):
        assert not deployed[stack].plan.of_type("aws:route53/queryLog:QueryLog")


def test_dev_keeps_logs_and_traces_on_volumes_not_in_buckets(deployed):
    names = [b["Name"] for b in deployed["dev"].client("s3").list_buckets()["Buckets"]]
    assert names and not [n for n in names if "-loki-" in n or "-tempo-" in n]


@pytest.mark.parametrize("stack", ["prod"])
def test_application_object_storage_is_a_versioned_kms_bucket_only_its_users_reach(
        deployed, stack):
    """sre-platform's images store: S3 in every environment, versioned (an overwrite can be
    undone), encrypted with the tenant's key, and granted to the image service's role only."""
    d = deployed[stack]
    s3, iam = d.client("s3"), d.client("iam")
    [record] = [r for r in d.plan.of_type("aws:s3/bucket:Bucket")
                if r.inputs["tags"]["shipyard.dev/purpose"] == "store"]
    bucket, arn = record.id, record.outputs["arn"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=bucket)[
        "ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    [lifecycle] = [r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
                   if "NoncurrentVersionExpiration" in r]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    users = [role["RoleName"] for role in iam.list_roles()["Roles"]
             for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
             if arn in json.dumps(iam.get_role_policy(RoleName=role["RoleName"],
                                                      PolicyName=name)["PolicyDocument"])]
    assert len(users) == 1 and "image" in users[0]


# -- ECR, DNS -----------------------------------------------------------------------------


def test_repositories_scan_on_push_are_kms_encrypted_and_expire_images(each):
    each.require("aws:ecr/repository:Repository")
    ecr = each.client("ecr")
    repos = ecr.describe_repositories()["repositories"]
    assert len(repos) == len(each.plan.of_type("aws:ecr/repository:Repository"))
    for repo in repos:
        assert repo["imageScanningConfiguration"]["scanOnPush"] is True
        assert repo["encryptionConfiguration"]["encryptionType"] == "KMS"
        policy = json.loads(ecr.get_lifecycle_policy(
            repositoryName=repo["repositoryName"])["lifecyclePolicyText"])
        assert policy["rules"]
    expected = "MUTABLE" if each.stack == "dev" else "IMMUTABLE"
    assert {r["imageTagMutability"] for r in repos} == {expected}


def test_hosted_zone_exists_and_the_wildcard_certificate_is_issued(each):
    each.require("aws:route53/zone:Zone")
    route53, acm = each.client("route53"), each.client("acm")
    domain = each.plan.of_type("aws:route53/zone:Zone")[0].inputs["name"]
    zones = [z for z in route53.list_hosted_zones()["HostedZones"]
             if z["Name"] == domain + "."]
    assert len(zones) == 1
    each.require("aws:acm/certificate:Certificate")
    # the stack's own certificate (a CDN's, for its hostname alone, may sit beside it)
    [summary] = [c for c in acm.list_certificates()["CertificateSummaryList"]
                 if c["DomainName"] == domain]
    certificate = acm.describe_certificate(CertificateArn=summary["CertificateArn"])[
        "Certificate"]
    assert certificate["Status"] == "ISSUED"
    assert set(certificate["SubjectAlternativeNames"]) == {domain, f"*.{domain}"}
    records = {r["Name"].rstrip(".") for r in route53.list_resource_record_sets(
        HostedZoneId=zones[0]["Id"])["ResourceRecordSets"] if r["Type"] == "CNAME"}
    for option in certificate["DomainValidationOptions"]:
        assert option["ResourceRecord"]["Name"].rstrip(".") in records


def test_plan_outputs_carry_the_ids_aws_assigned(each):
    ec2 = each.client("ec2")
    for record in each.plan.of_type("aws:ec2/subnet:Subnet"):
        [subnet] = ec2.describe_subnets(SubnetIds=[record.id])["Subnets"]
        assert record.outputs["arn"] == subnet["SubnetArn"]
    for record in each.plan.of_type("aws:ecr/repository:Repository"):
        assert record.outputs["repositoryUrl"].startswith(
            f"{each.mocks.account_id}.dkr.ecr.")


# -- Velero's bucket, the CDN (issue 6) ----------------------------------------------------


def velero_bucket(d: Deployed) -> Any:
    [record] = [r for r in d.plan.of_type("aws:s3/bucket:Bucket")
                if r.inputs["tags"]["shipyard.dev/purpose"] == "velero"]
    return record


@pytest.mark.parametrize("stack", STACKS)
def test_velero_bucket_is_versioned_kms_encrypted_tls_only_and_outlives_the_retention(
        deployed, stack):
    d = deployed[stack]
    s3, kms = d.client("s3"), d.client("kms")
    bucket = velero_bucket(d).id
    retention = stack_settings(stack).config.backups.retention_days
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=bucket)[
        "ServerSideEncryptionConfiguration"]["Rules"]
    default = rule["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms" and rule["BucketKeyEnabled"] is True
    assert kms.get_key_rotation_status(KeyId=default["KMSMasterKeyID"])["KeyRotationEnabled"]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True}
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules["expire-after-retention"]["Expiration"]["Days"] == retention + 7
    assert rules["expire-after-retention"]["NoncurrentVersionExpiration"][
        "NoncurrentDays"] == 7
    assert rules["remove-expired-delete-markers"]["Expiration"][
        "ExpiredObjectDeleteMarker"] is True
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert [st["Effect"] for st in policy["Statement"]] == ["Deny"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_only_velero_may_use_its_bucket_and_key(deployed, stack):
    d = deployed[stack]
    iam = d.client("iam")
    record = velero_bucket(d)
    users = []
    for role in iam.list_roles()["Roles"]:
        for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role["RoleName"],
                                           PolicyName=name)["PolicyDocument"]
            if record.outputs["arn"] in json.dumps(document):
                users.append((role, document))
    [(role, document)] = users
    assert pod_identity_subject(d, role) == "velero/velero"
    s3_resources = {r for st in document["Statement"] for r in
                    ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
                    if any(a.startswith("s3:") for a in st["Action"])}
    assert s3_resources == {record.outputs["arn"], record.outputs["arn"] + "/*"}


def test_the_cdn_serves_its_hostname_over_tls_12_through_cloudfront_only(deployed):
    d = deployed["dev"]
    cf, acm, s3 = d.client("cloudfront"), d.client("acm"), d.client("s3")
    domain = stack_settings("dev").dns.domain
    host = f"learn-static.{domain}"
    [record] = d.plan.of_type("aws:cloudfront/distribution:Distribution")
    config = cf.get_distribution_config(Id=record.id)["DistributionConfig"]
    assert config["Aliases"]["Items"] == [host]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    viewer = config["ViewerCertificate"]
    assert (viewer["MinimumProtocolVersion"], viewer["SSLSupportMethod"]) == (
        "TLSv1.2_2021", "sni-only")
    arn = viewer["ACMCertificateArn"]
    assert arn.split(":")[3] == "us-east-1"
    certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert certificate["Status"] == "ISSUED" and certificate["DomainName"] == host
    # moto keeps no origin access control on the origin: read it from the inputs, find it
    [origin] = record.inputs["origins"]
    oac = cf.get_origin_access_control(Id=origin["originAccessControlId"])[
        "OriginAccessControl"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"],
            oac["SigningProtocol"]) == ("s3", "always", "sigv4")
    [bucket] = [r for r in d.plan.of_type("aws:s3/bucket:Bucket")
                if r.outputs["bucketRegionalDomainName"] == origin["domainName"]]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket.id)["Policy"])
    [allow] = [st for st in policy["Statement"] if st["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": record.outputs["arn"]}}
    assert s3.get_bucket_versioning(Bucket=bucket.id)["Status"] == "Enabled"


def test_the_cdn_hostname_is_an_alias_to_the_distribution(deployed):
    d = deployed["dev"]
    route53 = d.client("route53")
    domain = stack_settings("dev").dns.domain
    [zone] = [z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == domain + "."]
    [record] = d.plan.of_type("aws:cloudfront/distribution:Distribution")
    aliases = {r["Type"]: r["AliasTarget"] for r in route53.list_resource_record_sets(
        HostedZoneId=zone["Id"])["ResourceRecordSets"]
        if r["Name"] == f"learn-static.{domain}." and "AliasTarget" in r}
    assert set(aliases) == {"A", "AAAA"}
    for target in aliases.values():
        assert target["HostedZoneId"] == "Z2FDTNDATAQYW2"
        assert target["DNSName"].rstrip(".") == record.outputs["domainName"]


# -- AWS refuses what it would refuse ----------------------------------------------------


@pytest.fixture
def fresh(deployed: dict[str, Deployed]) -> MotoMocks:
    """MotoMocks for an account of its own, inside the module's mock_aws()."""
    return MotoMocks(region="us-east-1", account_id=NEGATIVE_ACCOUNT)


def create(mocks: MotoMocks, typ: str, name: str, **inputs: Any) -> tuple[str, dict[str, Any]]:
    return mocks.new_resource(MockResourceArgs(typ=typ, name=name, inputs=inputs, custom=True))


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


def test_a_subnet_outside_its_vpc_fails_naming_the_resource(fresh):
    vpc_id, _ = create(fresh, "aws:ec2/vpc:Vpc", "neg-vpc", cidrBlock="10.50.0.0/16")
    with pytest.raises(MotoResourceError) as error:
        create(fresh, "aws:ec2/subnet:Subnet", "neg-bad-subnet", vpcId=vpc_id,
               cidrBlock="10.51.0.0/24", availabilityZone="us-east-1a")
    message = str(error.value)
    assert "neg-bad-subnet" in message and "aws:ec2/subnet:Subnet" in message
    assert error.value.code == "InvalidSubnet.Range"


def test_a_role_policy_without_resources_is_malformed(fresh):
    role, _ = create(fresh, "aws:iam/role:Role", "neg-role", assumeRolePolicy=TRUST)
    bad = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject"}]})
    with pytest.raises(MotoResourceError, match="neg-bad-policy.*MalformedPolicyDocument"):
        create(fresh, "aws:iam/rolePolicy:RolePolicy", "neg-bad-policy", role=role, policy=bad)


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
     "Action": "sts:AssumeRole", "Resource": "*"},
    {"Effect": "Maybe", "Principal": {"Service": "ec2.amazonaws.com"},
     "Action": "sts:AssumeRole"},
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "s3:*"},
], ids=["resource", "effect", "action"])
def test_a_role_with_a_malformed_trust_policy_fails(fresh, statement):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    with pytest.raises(MotoResourceError, match="neg-bad-trust.*MalformedPolicyDocument"):
        create(fresh, "aws:iam/role:Role", "neg-bad-trust", assumeRolePolicy=trust)
    assert "neg-bad-trust" not in {r["RoleName"] for r in fresh.client("iam").list_roles()["Roles"]}


def test_checks_moto_skips_are_made(fresh):
    vpc_id, _ = create(fresh, "aws:ec2/vpc:Vpc", "neg-vpc2", cidrBlock="10.60.0.0/16")
    with pytest.raises(MotoResourceError, match="at most a /28"):
        create(fresh, "aws:ec2/subnet:Subnet", "neg-tiny", vpcId=vpc_id,
               cidrBlock="10.60.0.0/29")
    with pytest.raises(MotoResourceError, match="retentionInDays"):
        create(fresh, "aws:cloudwatch/logGroup:LogGroup", "neg-logs", retentionInDays=4)
    with pytest.raises(MotoResourceError, match="NoSuchEntity"):
        create(fresh, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "neg-attach",
               role="nobody", policyArn="arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicy")


def test_an_event_target_needs_its_rule_and_a_queue_policy_needs_a_statement(fresh):
    url, state = create(fresh, "aws:sqs/queue:Queue", "neg-queue", sqsManagedSseEnabled=True)
    with pytest.raises(MotoResourceError, match="neg-target.*ResourceNotFoundException"):
        create(fresh, "aws:cloudwatch/eventTarget:EventTarget", "neg-target",
               rule="no-such-rule", arn=state["arn"])
    with pytest.raises(MotoResourceError, match="neg-queue-policy.*InvalidAttributeValue"):
        create(fresh, "aws:sqs/queuePolicy:QueuePolicy", "neg-queue-policy", queueUrl=url,
               policy=json.dumps({"Version": "2012-10-17"}))


def test_s3_refuses_a_bad_bucket_name_and_an_unknown_encryption(fresh):
    with pytest.raises(MotoResourceError, match="neg-bucket.*InvalidBucketName"):
        create(fresh, "aws:s3/bucket:Bucket", "neg-bucket", bucket="Not_A_Bucket")
    bucket, _ = create(fresh, "aws:s3/bucket:Bucket", "neg-bucket2", bucketPrefix="neg-")
    with pytest.raises(MotoResourceError, match="neg-sse.*InvalidArgument"):
        create(fresh, "aws:s3/bucketServerSideEncryptionConfiguration:"
               "BucketServerSideEncryptionConfiguration", "neg-sse", bucket=bucket,
               rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "ROT13"}}])
    with pytest.raises(MotoResourceError, match="neg-policy.*MalformedPolicy"):
        create(fresh, "aws:s3/bucketPolicy:BucketPolicy", "neg-policy", bucket=bucket,
               policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                   "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                   "Resource": "arn:aws:s3:::someone-elses-bucket/*"}]}))


def test_unknown_types_are_echoed_and_counted(fresh):
    # an echo needs the Pulumi stack name; outside a program it is the empty string
    resource_id, state = create(fresh, "aws:eks/addon:Addon", "neg-addon",
                                clusterName="c", addonName="vpc-cni")
    assert resource_id and state["addonName"] == "vpc-cni"
    assert fresh.echoed["aws:eks/addon:Addon"] == 1


def test_refuses_to_run_without_moto(monkeypatch):
    monkeypatch.setattr(botocore_stubber, "enabled", False)
    with pytest.raises(RuntimeError, match="mock_aws"):
        MotoMocks(account_id=NEGATIVE_ACCOUNT)


def origin_access_control(mocks: MotoMocks, resource_name: str, **changes: Any) -> str:
    """An OAC (its ``name`` input clashes with ``create``'s own argument)."""
    inputs = {"name": resource_name, "originAccessControlOriginType": "s3",
              "signingBehavior": "always", "signingProtocol": "sigv4", **changes}
    return mocks.new_resource(MockResourceArgs(
        typ="aws:cloudfront/originAccessControl:OriginAccessControl", name=resource_name,
        inputs=inputs, custom=True))[0]


def distribution_inputs(certificate_arn: str, oac_id: str, **changes: Any) -> dict[str, Any]:
    inputs = {
        "enabled": True, "aliases": ["cdn.neg.example.com"],
        "origins": [{"originId": "assets", "originAccessControlId": oac_id,
                     "domainName": "neg-assets.s3.us-east-1.amazonaws.com"}],
        "defaultCacheBehavior": {"targetOriginId": "assets",
                                 "viewerProtocolPolicy": "redirect-to-https",
                                 "allowedMethods": ["GET", "HEAD"],
                                 "cachedMethods": ["GET", "HEAD"]},
        "viewerCertificate": {"acmCertificateArn": certificate_arn,
                              "sslSupportMethod": "sni-only",
                              "minimumProtocolVersion": "TLSv1.2_2021"},
        "restrictions": {"geoRestriction": {"restrictionType": "none"}}}
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            inputs[section] = {**inputs[section], field: value}
        else:
            inputs[section] = value
    return inputs


def test_cloudfront_refuses_what_moto_would_accept(fresh):
    oac_id = origin_access_control(fresh, "neg-oac")
    with pytest.raises(MotoResourceError, match="neg-oac2.*signingBehavior"):
        origin_access_control(fresh, "neg-oac2", signingBehavior="sometimes")
    arn, _ = create(fresh, "aws:acm/certificate:Certificate", "neg-cert",
                    domainName="cdn.neg.example.com", validationMethod="DNS")
    # the valid distribution goes through; each change below is one AWS refuses
    create(fresh, "aws:cloudfront/distribution:Distribution", "neg-ok",
           **distribution_inputs(arn, oac_id))
    cases = {
        "viewerCertificate__minimumProtocolVersion": ("TLSv1.9_2030", "minimumProtocolVersion"),
        "defaultCacheBehavior__viewerProtocolPolicy": ("http-please", "viewerProtocolPolicy"),
        "aliases": (["other.example.org"], "does not cover"),
        "origins": ([{"originId": "assets", "originAccessControlId": "E0NOSUCHOAC",
                      "domainName": "neg-assets.s3.us-east-1.amazonaws.com"}],
                    "NoSuchOriginAccessControl"),
    }
    for n, (key, (value, message)) in enumerate(cases.items()):
        with pytest.raises(MotoResourceError, match=message):
            create(fresh, "aws:cloudfront/distribution:Distribution", f"neg-dist-{n}",
                   **distribution_inputs(arn, oac_id, **{key: value}))


def test_cloudfront_reads_certificates_from_us_east_1_only(fresh):
    oac_id = origin_access_control(fresh, "neg-oac3")
    # pulumi_aws 7: the certificate's own region; the mocks create it there
    arn, _ = create(fresh, "aws:acm/certificate:Certificate", "neg-cert-eu",
                    domainName="cdn.neg.example.com", validationMethod="DNS",
                    region="eu-west-1")
    assert arn.split(":")[3] == "eu-west-1"
    assert fresh.regional_client("acm", "eu-west-1").describe_certificate(
        CertificateArn=arn)["Certificate"]["DomainName"] == "cdn.neg.example.com"
    with pytest.raises(MotoResourceError, match="InvalidViewerCertificate.*us-east-1"):
        create(fresh, "aws:cloudfront/distribution:Distribution", "neg-dist-eu",
               **distribution_inputs(arn, oac_id))


# -- Managed data stores (issue 6): RDS, ElastiCache, Amazon MQ ------------------------------


def hosted_stores(d: Deployed, *kinds: str) -> list[Served]:
    """The hosted tenants' managed stores of these kinds, each with the store holding it."""
    return served(deployed_settings(d.stack), kinds=kinds)


def data_key(d: Deployed, entry: Served) -> str:
    """The KMS key the store holding ``entry`` is encrypted with: the shared stores' or its
    tenant's."""
    text = "the shared data stores" if entry.shared else f" {entry.app.name}: data stores"
    [key] = [r for r in d.plan.of_type("aws:kms/key:Key")
             if text in r.inputs.get("description", "")]
    return key.outputs["arn"]


def only_from_the_cluster(d: Deployed, group_ids: list[str], ports: set[int]) -> None:
    """The store's security groups admit the EKS cluster's group on its ports, nothing else,
    and send nothing."""
    cluster_group = d.mocks.cluster_security_group(eks_cluster(d)["name"])
    groups = d.client("ec2").describe_security_groups(GroupIds=group_ids)["SecurityGroups"]
    for group in groups:
        assert group["IpPermissionsEgress"] == []
        assert {p["FromPort"] for p in group["IpPermissions"]} == ports
        for permission in group["IpPermissions"]:
            assert permission["IpRanges"] == [] and permission.get("Ipv6Ranges", []) == []
            assert [g["GroupId"] for g in permission["UserIdGroupPairs"]] == [cluster_group]


def config_map(d: Deployed, app: str, service: str, store: str) -> dict[str, Any]:
    from components.stores.stores import object_name

    [record] = [r for r in d.plan.of_type("kubernetes:core/v1:ConfigMap")
                if r.inputs["metadata"]["name"] == object_name(service, store)
                and r.inputs["metadata"]["namespace"] == app]
    return record.inputs["data"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_managed_databases_are_private_encrypted_tls_only_and_kept(deployed, stack):
    d = deployed[stack]
    rds = d.client("rds")
    expected = hosted_stores(d, "postgresql", "mysql")
    assert {e.kind == "mysql" for e in expected} >= {stack == "prod"}
    # prod: sre-platform's PostgreSQL on the shared store, everything-portal's MySQL its own
    assert {e.shared for e in expected} == ({True, False} if stack == "prod" else {True})
    isolated = {s["SubnetId"] for s in subnets(d, "isolated")}
    instances = {i["DBInstanceIdentifier"]: i for i in rds.describe_db_instances()["DBInstances"]}
    assert set(instances) == {e.identifier() for e in expected}
    for entry in expected:
        db = instances[entry.identifier()]
        assert db["Engine"] == {"postgresql": "postgres", "mysql": "mysql"}[entry.kind]
        assert db["StorageEncrypted"] and db["KmsKeyId"] == data_key(d, entry)
        assert db["MultiAZ"] is (stack == "prod")
        assert db["PubliclyAccessible"] is False
        assert db["DeletionProtection"] is (stack == "prod")
        assert db["BackupRetentionPeriod"] == 30
        assert db["CACertificateIdentifier"] == "rds-ca-rsa2048-g1"
        assert {s["SubnetIdentifier"] for s in db["DBSubnetGroup"]["Subnets"]} == isolated
        [group] = db["DBParameterGroups"]
        values = {p["ParameterName"]: p.get("ParameterValue") for p in rds.describe_db_parameters(
            DBParameterGroupName=group["DBParameterGroupName"])["Parameters"]}
        assert values.get("rds.force_ssl") == "1" or values.get(
            "require_secure_transport") == "ON"
        only_from_the_cluster(d, [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]],
                              {db["Endpoint"]["Port"]})
        observed(d, db)


def observed(d: Deployed, db: dict[str, Any]) -> None:
    """A database's exports go to groups that exist, encrypted with the stack's logs key (the
    logs handler refuses a key whose policy does not name the group) and kept
    stores.logRetentionDays; Enhanced Monitoring publishes with a role RDS's monitoring service
    may assume, holding AmazonRDSEnhancedMonitoringRole (the handler refuses it otherwise)."""
    stores = deployed_settings(d.stack).config.stores
    logs_key = d.plan.named("logs-key").outputs["arn"]
    exports = db["EnabledCloudwatchLogsExports"]
    assert exports
    for export in exports:
        name = f"/aws/rds/instance/{db['DBInstanceIdentifier']}/{export}"
        [group] = d.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        assert (group["logGroupName"], group["kmsKeyId"], group["retentionInDays"]) == (
            name, logs_key, stores.log_retention_days)
    assert db.get("MonitoringInterval", 0) == stores.monitoring_interval
    if stores.monitoring_interval:
        iam = d.client("iam")
        role = db["MonitoringRoleArn"].rsplit("/", 1)[-1]
        trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        assert trust["Statement"][0]["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
        assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role)[
            "AttachedPolicies"]] == ["AmazonRDSEnhancedMonitoringRole"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_caches_are_valkey_tls_encrypted_with_a_user_per_service(deployed, stack):
    from components.stores.stores import consumers

    d = deployed[stack]
    ec = d.client("elasticache")
    groups = {g["ReplicationGroupId"]: g for g in ec.describe_replication_groups()[
        "ReplicationGroups"]}
    expected = hosted_stores(d, "redis")
    assert set(groups) == {e.identifier(40) for e in expected}
    user_groups = d.mocks.user_groups()
    for entry in expected:
        app, store = entry.app, entry.name
        group = groups[entry.identifier(40)]
        assert group["Engine"] == "valkey" and group["TransitEncryptionEnabled"]
        assert group["AtRestEncryptionEnabled"] and group["SnapshotRetentionLimit"] == 30
        assert group["AutomaticFailover"] == ("enabled" if stack == "prod" else "disabled")
        assert group["MultiAZ"] == ("enabled" if stack == "prod" else "disabled")
        [user_group] = group["UserGroupIds"]
        users = [ec.describe_users(UserId=u)["Users"][0] for u in user_groups[user_group]["users"]]
        names = {u["UserName"]: u for u in users}
        assert set(names) == {"default", *(entry.user(s) for s in consumers(app, store))}
        assert names["default"]["AccessString"].startswith("off")
        assert all(u["Authentication"]["Type"] == "password" for u in users)
        for service in consumers(app, store):
            data = config_map(d, app.name, service, store)
            assert data["HOST"] == group["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
            assert data["USERNAME"] == entry.user(service) and data["TLS"] == "true"
            if entry.shared:      # its application's keys only
                assert data["KEY_PREFIX"] == f"{app.name}:"
                assert names[entry.user(service)]["AccessString"].startswith(
                    f"on ~{app.name}:* &{app.name}:* ")


def test_staging_broker_is_a_private_single_instance_with_only_its_administrator(deployed):
    d = deployed["staging"]
    mq = d.client("mq")
    [summary] = mq.list_brokers()["BrokerSummaries"]
    broker = mq.describe_broker(BrokerId=summary["BrokerId"])
    [entry] = hosted_stores(d, "rabbitmq")
    assert entry.shared and broker["BrokerName"] == entry.identifier(50)
    assert broker["EngineType"].upper() == "RABBITMQ" and broker["EngineVersion"] == "4.2"
    assert broker["DeploymentMode"] == "SINGLE_INSTANCE"
    assert broker["HostInstanceType"].startswith("mq.m7g.")
    assert broker["PubliclyAccessible"] is False
    [subnet] = broker["SubnetIds"]
    assert subnet in {s["SubnetId"] for s in subnets(d, "isolated")}
    assert [u["Username"] for u in broker["Users"]] == ["shipyardadmin"]
    only_from_the_cluster(d, broker["SecurityGroups"], {5671, 443})
    data = config_map(d, "code-learn", "post-service", "rabbitmq")
    assert (data["HOST"], data["PORT"], data["USERNAME"], data["VHOST"]) == (
        "mockmq", "5671", "code-learn.post-service", "code-learn")


def test_database_connections_name_the_instance_aws_made(deployed):
    d = deployed["prod"]
    address = {i["DBInstanceIdentifier"]: i["Endpoint"]["Address"]
               for i in d.client("rds").describe_db_instances()["DBInstances"]}
    # everything-portal's own MySQL, sre-platform's database on the shared PostgreSQL
    data = config_map(d, "everything-portal", "go-service", "mysql")
    assert data["HOST"] == address["shipyard-prod-everything-portal-mysql"]
    assert (data["USERNAME"], data["DATABASE"], data["PORT"]) == ("go_service", "go_service",
                                                                  "3306")
    data = config_map(d, "sre-platform", "api", "postgres")
    assert data["HOST"] == address["shipyard-prod-postgresql"]
    assert (data["USERNAME"], data["DATABASE"]) == ("sre_platform_api", "sre_platform_sreplatform")


def subnet_pair(mocks: MotoMocks, cidr: str) -> tuple[str, list[str]]:
    vpc_id, _ = create(mocks, "aws:ec2/vpc:Vpc", f"neg-vpc-{cidr}", cidrBlock=cidr)
    base = cidr.rsplit(".", 2)[0]
    return vpc_id, [create(mocks, "aws:ec2/subnet:Subnet", f"neg-sn-{base}-{z}", vpcId=vpc_id,
                           cidrBlock=f"{base}.{n}.0/24", availabilityZone=f"us-east-1{z}")[0]
                    for n, z in enumerate("ab")]


def test_rds_refuses_what_moto_would_accept(fresh):
    _, subnet_ids = subnet_pair(fresh, "10.70.0.0/16")
    # a role RDS's monitoring service may assume, but without AmazonRDSEnhancedMonitoringRole
    _, made = create(fresh, "aws:iam/role:Role", "neg-monitoring", assumeRolePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "monitoring.rds.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}))
    role = made["arn"]
    # the provider names a group after its resource when no name is given
    create(fresh, "aws:rds/subnetGroup:SubnetGroup", "neg-dbsn", subnetIds=subnet_ids)
    with pytest.raises(MotoResourceError, match="DBSubnetGroupDoesNotCoverEnoughAZs"):
        create(fresh, "aws:rds/subnetGroup:SubnetGroup", "neg-dbsn1", subnetIds=subnet_ids[:1])
    create(fresh, "aws:rds/parameterGroup:ParameterGroup", "neg-pg16", family="postgres16")
    good = {"identifier": "neg-db", "engine": "postgres", "engineVersion": "17",
            "instanceClass": "db.t4g.medium", "allocatedStorage": 20, "storageType": "gp3",
            "username": "shipyardadmin", "password": "a" * 32, "dbSubnetGroupName": "neg-dbsn",
            "skipFinalSnapshot": False, "finalSnapshotIdentifier": "neg-db-final",
            "backupWindow": "03:00-04:00", "maintenanceWindow": "sun:04:30-sun:05:30"}
    cases = [({"parameterGroupName": "neg-pg16"}, "DBParameterGroupFamily postgres17"),
             ({"finalSnapshotIdentifier": None}, "FinalDBSnapshotIdentifier is required"),
             ({"maintenanceWindow": "mon:03:30-mon:04:30"}, "overlap"),
             ({"password": "short"}, "MasterUserPassword"),
             ({"allocatedStorage": 10}, "below the minimum"),
             ({"maxAllocatedStorage": 20}, "Max storage size"),
             ({"caCertIdentifier": "rds-ca-nope"}, "CA certificate"),
             ({"storageEncrypted": True, "kmsKeyId": "arn:aws:kms:us-east-1:999999999999:key/"
                                                      "00000000-0000-0000-0000-000000000000"},
              "NotFoundException"),
             ({"monitoringInterval": 60}, "MonitoringRoleArn needs"),
             ({"monitoringInterval": 45, "monitoringRoleArn": role}, "MonitoringInterval 45"),
             ({"monitoringInterval": 60, "monitoringRoleArn": role}, "ENHANCED_MONITORING"),
             ({"performanceInsightsEnabled": True, "performanceInsightsRetentionPeriod": 30},
              "PerformanceInsightsRetentionPeriod 30"),
             ({"performanceInsightsRetentionPeriod": 31}, "needs EnablePerformanceInsights"),
             ({"engine": "mysql", "engineVersion": "8.4", "instanceClass": "db.t4g.micro",
               "performanceInsightsEnabled": True}, "not supported for mysql on db.t4g.micro")]
    for n, (change, message) in enumerate(cases):
        with pytest.raises(MotoResourceError, match=message):
            create(fresh, "aws:rds/instance:Instance", f"neg-db-{n}",
                   **{k: v for k, v in {**good, **change}.items() if v is not None})
    _, state = create(fresh, "aws:rds/instance:Instance", "neg-db-ok", **good)
    assert state["address"].startswith("neg-db.")


def test_elasticache_and_mq_refuse_what_moto_would_accept(fresh):
    _, subnet_ids = subnet_pair(fresh, "10.71.0.0/16")
    create(fresh, "aws:elasticache/user:User", "neg-u1", userId="neg-u1", userName="app",
           engine="valkey", accessString="on ~* &* +@all",
           authenticationMode={"type": "password", "passwords": ["p" * 32]})
    with pytest.raises(MotoResourceError, match="DefaultUserRequired"):
        create(fresh, "aws:elasticache/userGroup:UserGroup", "neg-ug", userGroupId="neg-ug",
               engine="valkey", userIds=["neg-u1"])
    with pytest.raises(MotoResourceError, match="valkey user must authenticate"):
        create(fresh, "aws:elasticache/user:User", "neg-u2", userId="neg-u2",
               userName="default", engine="valkey", accessString="off -@all",
               noPasswordRequired=True)
    group = {"replicationGroupId": "neg-rg", "description": "neg", "engine": "valkey",
             "nodeType": "cache.t4g.small", "numCacheClusters": 1,
             "transitEncryptionEnabled": True, "snapshotWindow": "03:00-04:00",
             "maintenanceWindow": "sun:04:30-sun:05:30"}
    cases = [({"automaticFailoverEnabled": True}, "at least 2 cache clusters"),
             ({"userGroupIds": ["no-such-group"]}, "UserGroupNotFound"),
             ({"transitEncryptionEnabled": False, "authToken": "t" * 20}, "transit encryption"),
             ({"snapshotRetentionLimit": 36}, "0 to 35"),
             ({"replicationGroupId": "x" * 41}, "at most 40")]
    for n, (change, message) in enumerate(cases):
        with pytest.raises(MotoResourceError, match=message):
            create(fresh, "aws:elasticache/replicationGroup:ReplicationGroup", f"neg-rg-{n}",
                   **{**group, **change})
    broker = {"brokerName": "neg-mq", "engineType": "RabbitMQ", "engineVersion": "4.2",
              "hostInstanceType": "mq.m7g.medium", "deploymentMode": "SINGLE_INSTANCE",
              "publiclyAccessible": False, "subnetIds": subnet_ids[:1],
              "autoMinorVersionUpgrade": True,
              "users": [{"username": "shipyardadmin", "password": "m" * 8 + "abcd1234"}]}
    cases = [({"subnetIds": subnet_ids}, "exactly one subnet"),
             ({"deploymentMode": "CLUSTER_MULTI_AZ", "subnetIds": subnet_ids[:1]},
              "two or more availability zones"),
             ({"users": [*broker["users"], {"username": "app", "password": "n" * 16}]},
              "one and only one"),
             ({"users": [{"username": "shipyardadmin", "password": "a:b=c,d" * 3}]},
              "no , : or ="),
             ({"hostInstanceType": "mq.m5.large"}, "mq.m7g"),
             ({"encryptionOptions": {"kmsKeyId": "arn:aws:kms:us-east-1:1:key/k"}},
              "AWS-owned key"),
             ({"autoMinorVersionUpgrade": False}, "autoMinorVersionUpgrade")]
    for n, (change, message) in enumerate(cases):
        with pytest.raises(MotoResourceError, match=message):
            create(fresh, "aws:mq/broker:Broker", f"neg-mq-{n}", **{**broker, **change})
    _, state = create(fresh, "aws:mq/broker:Broker", "neg-mq-ok",
                      **{**broker, "deploymentMode": "CLUSTER_MULTI_AZ",
                         "subnetIds": subnet_ids})
    assert state["instances"][0]["endpoints"][0].startswith("amqps://")
