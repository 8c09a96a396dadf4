"""Each stack's real program, deployed into moto: the AWS API calls really happen, and the tests
read the accounts back through boto3 the way an operator would look at the console.

One ``mock_aws()`` for the module; each stack gets its own moto account so they do not collide.
Nothing here touches the network or ~/.aws.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from test_registry import stack_settings

pytest.importorskip("moto")

import moto.settings  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core.models import botocore_stubber  # noqa: E402
from moto.iam.policy_validation import (  # noqa: E402
    IAMPolicyDocumentValidator,
    IAMTrustPolicyDocumentValidator,
)
from pulumi.runtime import MockResourceArgs  # noqa: E402

from shipyard.catalog import load_catalogs  # noqa: E402
from shipyard.harness import Plan, read_stack_config, run_program  # noqa: E402
from shipyard.moto_mocks import MotoMocks, MotoResourceError, echoed_types  # noqa: E402

STACKS = ("dev", "staging", "prod")
ACCOUNTS = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}
NEGATIVE_ACCOUNT = "999999999999"
# What moto cannot emulate, and so is echoed: anything else echoed would be a silent gap.
EXPECTED_ECHO_PREFIXES = ("shipyard:", "kubernetes:", "pulumi:providers:", "random:",
                          "aws:eks/addon:",
                          "aws:eks/accessEntry:", "aws:eks/accessPolicyAssociation:",
                          "aws:eks/podIdentityAssociation:")
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
        with mock_aws():
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
    overrides = {"shipyard:dns": {"parentZoneId": parent.rsplit("/", 1)[-1]},
                 # moto checks the AWS side: of the tenants only sre-platform has any (its image
                 # service's IRSA role, and ECR repositories for its images); the Kubernetes
                 # objects of the others would only be echoed, at a cost in time
                 "shipyard:applications": {name: {"enabled": name == "sre-platform"}
                                           for name in load_catalogs()}}
    return Deployed(stack, run_program(stack, mocks=mocks, overrides=overrides), mocks)


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


@pytest.mark.parametrize("stack,nats", [("dev", 1), ("staging", 3), ("prod", 3)])
def test_nat_gateways_per_environment(deployed, stack, nats):
    d = deployed[stack]
    gateways = d.client("ec2").describe_nat_gateways(
        Filters=[{"Name": "vpc-id", "Values": [d.vpc_id]}])["NatGateways"]
    assert len(gateways) == nats
    public_ids = {s["SubnetId"] for s in subnets(d, "public")}
    assert all(g["SubnetId"] in public_ids and g["State"] == "available" for g in gateways)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_private_subnets_route_through_the_nat_in_their_own_zone(deployed, stack):
    d = deployed[stack]
    ec2 = d.client("ec2")
    zone_of_subnet = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets(d, "public")}
    for subnet in subnets(d, "private"):
        route = default_route(route_table_of(d, subnet["SubnetId"]))
        assert route is not None and route.get("NatGatewayId"), subnet["SubnetId"]
        nat = ec2.describe_nat_gateways(NatGatewayIds=[route["NatGatewayId"]])["NatGateways"][0]
        assert zone_of_subnet[nat["SubnetId"]] == subnet["AvailabilityZone"]


def test_dev_private_subnets_share_one_nat(deployed):
    dev = deployed["dev"]
    targets = {default_route(route_table_of(dev, s["SubnetId"]))["NatGatewayId"]
               for s in subnets(dev, "private")}
    assert len(targets) == 1


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
                  for e in by_type["Interface"]) == ["ecr.api", "ecr.dkr", "logs", "sts"]
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


def test_irsa_roles_trust_only_this_clusters_oidc_provider(each):
    each.require("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    iam = each.client("iam")
    providers = [p["Arn"] for p in iam.list_open_id_connect_providers()[
        "OpenIDConnectProviderList"]]
    assert len(providers) == 1
    federated = []
    for role in iam.list_roles()["Roles"]:
        for statement in role["AssumeRolePolicyDocument"]["Statement"]:
            principal = statement.get("Principal", {}).get("Federated")
            if principal:
                federated.append(principal)
                assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
                conditions = statement["Condition"]["StringEquals"]
                assert any(k.endswith(":sub") and v.startswith("system:serviceaccount:")
                           for k, v in conditions.items())
    assert federated and set(federated) == set(providers)


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
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    records = d.plan.of_type("aws:s3/bucket:Bucket")
    assert buckets == {r.id for r in records} and len(buckets) == 2
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
        arn = record.outputs["arn"]
        users = []
        for role in iam.list_roles()["Roles"]:
            for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
                document = iam.get_role_policy(RoleName=role["RoleName"],
                                               PolicyName=name)["PolicyDocument"]
                if json.dumps(document).count(arn):
                    users.append(role)
        [role] = users
        [statement] = role["AssumeRolePolicyDocument"]["Statement"]
        subjects = [v for k, v in statement["Condition"]["StringEquals"].items()
                    if k.endswith(":sub")]
        purpose = record.inputs["tags"]["shipyard.dev/purpose"]
        assert subjects == [{"loki": "system:serviceaccount:logging:loki",
                             "tempo": "system:serviceaccount:observability:tempo"}[purpose]]


def test_dev_keeps_logs_and_traces_on_volumes_not_in_buckets(deployed):
    assert deployed["dev"].client("s3").list_buckets()["Buckets"] == []


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
    [summary] = acm.list_certificates()["CertificateSummaryList"]
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
