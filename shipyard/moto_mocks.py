"""Pulumi mocks backed by moto: every AWS resource shipyard creates is really created, in moto.

``MotoMocks`` answers ``new_resource`` by making the AWS API call ``pulumi up`` would cause
(through boto3, inside an active ``moto.mock_aws()``), so AWS's own checks run: a subnet outside
its VPC, a malformed IAM policy, a duplicate name or a node group without its cluster fail the
way a deploy would, and afterwards the tests read the account back through boto3. The state it
returns is the inputs plus what AWS assigned, under the same camelCase output names
``EchoMocks`` uses, so components keep working.

Types moto does not emulate (EKS add-ons and access entries, Kubernetes objects, shipyard's
components, providers) fall back to ``EchoMocks`` and are counted in ``MotoMocks.echoed``; they
are never dropped silently. Adding a service later (RDS, ElastiCache, MQ, S3, CloudFront,
Secrets Manager) is one entry in ``SERVICES`` and one ``@handles(...)`` method.

Usage::

    with moto.mock_aws():
        mocks = MotoMocks(region="us-east-1", account_id="111111111111")
        plan = run_program("prod", mocks=mocks)
        mocks.client("ec2").describe_vpcs()

Each account id gets its own moto account (through ``sts.assume_role``), so several stacks can
run in one ``mock_aws()`` without seeing each other. Setting ``MOTO_ACCOUNT_ID`` in the
environment overrides that in moto and defeats the isolation.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

import boto3
import moto.settings
import pulumi
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.models import botocore_stubber
from moto.iam.exceptions import MalformedPolicyDocument
from moto.iam.policy_validation import IAMTrustPolicyDocumentValidator

from shipyard.mocks import EchoMocks, _digest, bucket_name

# boto3 clients made up front (boto3 client creation is not thread-safe).
SERVICES = ("ec2", "iam", "kms", "eks", "ecr", "route53", "acm", "logs", "sts", "sqs", "events",
            "s3")

# The values CloudWatch Logs accepts for retention (moto accepts anything).
LOG_RETENTION_DAYS = frozenset({0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
                                731, 1096, 1827, 2192, 2557, 2922, 3288, 3653})
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
ROUTE53_RECORD_TYPES = frozenset({"A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS",
                                  "PTR", "SOA", "SPF", "SRV", "SSHFP", "SVCB", "TLSA", "TXT"})
LT_HTTP_TOKENS = frozenset({"optional", "required"})
EBS_VOLUME_TYPES = frozenset({"standard", "gp2", "gp3", "io1", "io2", "sc1", "st1"})
EVENT_RULE_STATES = frozenset({"ENABLED", "DISABLED",
                               "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"})
# aws:sqs/queue:Queue inputs -> SQS queue attributes
SQS_ATTRIBUTES = {
    "delaySeconds": "DelaySeconds", "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout", "policy": "Policy",
    "redrivePolicy": "RedrivePolicy", "redriveAllowPolicy": "RedriveAllowPolicy",
    "fifoQueue": "FifoQueue", "contentBasedDeduplication": "ContentBasedDeduplication",
    "deduplicationScope": "DeduplicationScope", "fifoThroughputLimit": "FifoThroughputLimit",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
}
SQS_JSON_ATTRIBUTES = frozenset({"policy", "redrivePolicy", "redriveAllowPolicy"})
S3_SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
S3_OBJECT_OWNERSHIP = frozenset({"BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"})
# S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit at each end
S3_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

# Pulumi type token -> name of the MotoMocks method that creates it (filled by @handles).
HANDLERS: dict[str, str] = {}


def handles(*types: str) -> Callable[[Callable], Callable]:
    """Register a ``MotoMocks`` method as the creator of these Pulumi resource types."""

    def register(method: Callable) -> Callable:
        for typ in types:
            HANDLERS[typ] = method.__name__
        return method

    return register


class MotoResourceError(Exception):
    """AWS (as moto emulates it) refused to create a resource, as ``pulumi up`` would report."""

    def __init__(self, resource_type: str, resource_name: str, code: str, message: str) -> None:
        self.resource_type = resource_type
        self.resource_name = resource_name
        self.code = code
        self.aws_message = message
        super().__init__(f"creating {resource_type} {resource_name!r}: {code}: {message}")


class _Invalid(Exception):
    """A check AWS makes that moto does not; raised by handlers, reported as MotoResourceError."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(f"{code}: {message}")


def require(condition: object, code: str, message: str) -> None:
    if not condition:
        raise _Invalid(code, message)


# ---------------------------------------------------------------------------------------------
# Shape helpers: Pulumi's camelCase inputs -> boto3's request shapes


def tag_list(tags: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": k, "Value": str(v)} for k, v in sorted((tags or {}).items())]


def tag_specs(resource_type: str, tags: Mapping[str, str] | None) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tag_list(tags)}] if tags else []


def drop_none(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None and v != [] and v != {}}


def as_json(document: Any) -> str:
    """Policy inputs are JSON strings, or objects when a program passes a dict."""
    return document if isinstance(document, str) else json.dumps(document)


def integral(value: Any) -> Any:
    """Pulumi hands numbers over as floats (protobuf Struct); boto3 wants ints where AWS does."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value


def as_bool(value: Any) -> bool:
    """The AWS provider types some booleans as strings ("true")."""
    return value.lower() == "true" if isinstance(value, str) else bool(value)


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


def _trust_allows_service(document: str, service: str) -> bool:
    try:
        statements = json.loads(document).get("Statement", [])
    except (ValueError, AttributeError):
        return False
    for statement in statements if isinstance(statements, list) else [statements]:
        principals = (statement.get("Principal") or {}).get("Service", [])
        principals = [principals] if isinstance(principals, str) else principals
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if (statement.get("Effect") == "Allow" and service in principals
                and ("sts:AssumeRole" in actions or "sts:*" in actions)):
            return True
    return False


_SESSION_LOCK = threading.Lock()


@cache
def _shared_session() -> boto3.Session:
    return boto3.Session()


@cache
def _aws_managed_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


# ---------------------------------------------------------------------------------------------


class MotoMocks(EchoMocks):
    """Creates each AWS resource in moto; echoes (and counts) what moto cannot emulate."""

    def __init__(self, region: str = "us-east-1", account_id: str = DEFAULT_ACCOUNT_ID,
                 session: boto3.Session | None = None) -> None:
        super().__init__(region=region, account_id=account_id)
        if not botocore_stubber.enabled:
            raise RuntimeError("MotoMocks needs an active moto.mock_aws() (it would otherwise "
                               "call the real AWS)")
        # ACM certificates are ISSUED as soon as they are described, as DNS validation would.
        moto.settings.ACM_VALIDATION_WAIT = 0
        with _SESSION_LOCK:
            self.credentials = self._credentials_for_account(session)
            self.session = session or boto3.Session(region_name=region, **self.credentials)
            # clients from one shared session reuse its parsed service models (fast)
            base = session or _shared_session()
            self._clients = {service: base.client(service, region_name=region,
                                                  **self.credentials)
                             for service in SERVICES}
        self._lock = threading.RLock()
        self.echoed: Counter[str] = Counter()
        self.created: Counter[str] = Counter()
        # EKS cluster name -> the cluster security group EKS would have created for it
        self._cluster_security_groups: dict[str, tuple[str, str]] = {}

    def _credentials_for_account(self, session: boto3.Session | None) -> dict[str, str]:
        if session is not None or self.account_id == DEFAULT_ACCOUNT_ID:
            return {}
        # moto maps the keys assume_role hands out to the role's account
        sts = _shared_session().client("sts", region_name=self.region)
        credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{self.account_id}:role/shipyard-deployer",
            RoleSessionName="shipyard")["Credentials"]
        return {"aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"]}

    def client(self, service: str) -> Any:
        """The boto3 client this account's resources were created with (for reading back)."""
        return self._clients[service]

    # -- Pulumi entry points --------------------------------------------------------------

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        method = HANDLERS.get(args.typ)
        if method is None or args.resource_id:
            # Not emulated by moto (or a read of an existing resource): echo, but say so.
            with self._lock:
                self.echoed[args.typ] += 1
            return super().new_resource(args)
        inputs = integral(dict(args.inputs))
        with self._lock:
            if not botocore_stubber.enabled:
                raise RuntimeError("MotoMocks used outside moto.mock_aws()")
            try:
                resource_id, outputs = getattr(self, method)(args.name, inputs)
            except ClientError as e:
                error = e.response.get("Error", {})
                raise MotoResourceError(args.typ, args.name, error.get("Code", "ClientError"),
                                        error.get("Message", str(e))) from e
            except (ParamValidationError, BotoCoreError) as e:
                raise MotoResourceError(args.typ, args.name, type(e).__name__, str(e)) from e
            except MalformedPolicyDocument as e:
                raise MotoResourceError(args.typ, args.name, "MalformedPolicyDocument",
                                        e.message) from e
            except _Invalid as e:
                raise MotoResourceError(args.typ, args.name, e.code, e.message) from e
            self.created[args.typ] += 1
        state = {**inputs, **outputs}
        if "tags" in inputs:
            state.setdefault("tagsAll", inputs["tags"])
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list]:
        token = args.token
        with self._lock:
            if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
                state = (args.args or {}).get("state")
                filters = [{"Name": "state", "Values": [state]}] if state else []
                zones = self.client("ec2").describe_availability_zones(
                    Filters=filters)["AvailabilityZones"]
                zones.sort(key=lambda z: z["ZoneName"])
                return {"names": [z["ZoneName"] for z in zones],
                        "zoneIds": [z["ZoneId"] for z in zones],
                        "groupNames": sorted({z.get("GroupName", self.region) for z in zones}),
                        "id": self.region}, []
            if token == "aws:index/getCallerIdentity:getCallerIdentity":
                me = self.client("sts").get_caller_identity()
                return {"accountId": me["Account"], "arn": me["Arn"], "userId": me["UserId"],
                        "id": me["Account"]}, []
            if token == "aws:route53/getZone:getZone":
                zone = self._find_zone(args.args or {})
                if zone is not None:
                    return zone, []
        return super().call(args)

    def _find_zone(self, query: Mapping[str, Any]) -> dict[str, Any] | None:
        """A hosted zone created in this account (by id or name), shaped like getZone's result."""
        route53 = self.client("route53")
        zone_id = query.get("zoneId")
        if not zone_id and query.get("name"):
            wanted = str(query["name"]).rstrip(".") + "."
            for candidate in route53.list_hosted_zones()["HostedZones"]:
                private = candidate.get("Config", {}).get("PrivateZone", False)
                if candidate["Name"] == wanted and private == bool(query.get("privateZone")):
                    zone_id = candidate["Id"]
                    break
        if not zone_id:
            return None
        try:
            found = route53.get_hosted_zone(Id=str(zone_id).removeprefix("/hostedzone/"))
        except ClientError:
            return None
        zone = found["HostedZone"]
        short_id = zone["Id"].removeprefix("/hostedzone/")
        return {"id": short_id, "zoneId": short_id, "name": zone["Name"].rstrip("."),
                "arn": f"arn:aws:route53:::hostedzone/{short_id}",
                "comment": zone.get("Config", {}).get("Comment", ""),
                "privateZone": zone.get("Config", {}).get("PrivateZone", False),
                "nameServers": sorted(found.get("DelegationSet", {}).get("NameServers", [])),
                "resourceRecordSetCount": zone.get("ResourceRecordSetCount", 0),
                "callerReference": zone.get("CallerReference", ""), "tags": {}}

    # -- helpers --------------------------------------------------------------------------

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def _role_name(self, role_arn: str) -> str:
        return role_arn.rsplit("/", 1)[-1]

    def _check_role_trusts(self, role_arn: str, service: str) -> None:
        """AWS refuses a role the service cannot assume (moto checks only the ARN's shape)."""
        role = self.client("iam").get_role(RoleName=self._role_name(role_arn))["Role"]
        document = role["AssumeRolePolicyDocument"]
        document = document if isinstance(document, str) else json.dumps(document)
        require(_trust_allows_service(document, service), "InvalidParameterException",
                f"Role with arn: {role_arn}, could not be assumed because it does not exist or "
                f"the trusted entity is not correct ({service} may not assume it)")

    def _ensure_aws_managed_policy(self, arn: str) -> None:
        """Register just this AWS-managed policy in moto's IAM (moto loads none by default; all
        1,582 of them cost about 0.7 s per account). An unknown name or a wrong path is left
        alone, so attaching it fails with NoSuchEntity, as on AWS."""
        from moto.iam.models import AWSManagedPolicy, iam_backends

        prefix = "arn:aws:iam::aws:policy"
        if not arn.startswith(prefix + "/"):
            return
        name = arn.rsplit("/", 1)[-1]
        data = _aws_managed_policies().get(name)
        if data is None or arn != f"{prefix}{data['Path']}{name}":
            return
        backend = iam_backends[self.account_id]["aws"]
        if arn not in backend.managed_policies:
            backend.managed_policies[arn] = AWSManagedPolicy.from_data(
                name, self.account_id, self.region, data)

    # -- EC2: VPC and its network ---------------------------------------------------------

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
        address = self.client("ec2").allocate_address(**drop_none(
            Domain=i.get("domain", "vpc"), PublicIpv4Pool=i.get("publicIpv4Pool"),
            NetworkBorderGroup=i.get("networkBorderGroup"),
            TagSpecifications=tag_specs("elastic-ip", i.get("tags"))))
        allocation_id = address["AllocationId"]
        return allocation_id, {
            "allocationId": allocation_id, "publicIp": address["PublicIp"],
            "domain": address.get("Domain", "vpc"),
            "arn": self._arn("ec2", f"elastic-ip/{allocation_id}"),
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

    # -- EC2: security groups -------------------------------------------------------------

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

    # -- EC2: endpoints, flow logs, launch templates --------------------------------------

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

    # -- CloudWatch Logs, KMS -------------------------------------------------------------

    @handles("aws:cloudwatch/logGroup:LogGroup")
    def _log_group(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        logs = self.client("logs")
        group = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                  if i.get("namePrefix") else name)
        retention = i.get("retentionInDays")
        require(retention is None or retention in LOG_RETENTION_DAYS, "InvalidParameterException",
                f"retentionInDays {retention} is not one CloudWatch Logs accepts")
        logs.create_log_group(**drop_none(
            logGroupName=group, kmsKeyId=i.get("kmsKeyId"), tags=i.get("tags"),
            logGroupClass=i.get("logGroupClass")))
        if retention:
            logs.put_retention_policy(logGroupName=group, retentionInDays=retention)
        return group, {"name": group, "arn": self._arn("logs", f"log-group:{group}"),
                       "retentionInDays": retention or 0}

    @handles("aws:kms/key:Key")
    def _kms_key(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        kms = self.client("kms")
        window = i.get("deletionWindowInDays", 30)
        require(7 <= window <= 30, "ValidationException", "deletionWindowInDays must be 7..30")
        period = i.get("rotationPeriodInDays")
        require(period is None or 90 <= period <= 2560, "ValidationException",
                "rotationPeriodInDays must be 90..2560")
        policy = i.get("policy")
        if policy is not None:
            try:
                json.loads(as_json(policy))
            except ValueError as e:
                raise _Invalid("MalformedPolicyDocumentException",
                               f"the key policy is not valid JSON: {e}") from e
        key = kms.create_key(**drop_none(
            Description=i.get("description"), KeyUsage=i.get("keyUsage"),
            KeySpec=i.get("customerMasterKeySpec"),
            Policy=as_json(policy) if policy is not None else None,
            MultiRegion=i.get("multiRegion"),
            BypassPolicyLockoutSafetyCheck=i.get("bypassPolicyLockoutSafetyCheck"),
            Tags=[{"TagKey": k, "TagValue": v} for k, v in (i.get("tags") or {}).items()]
        ))["KeyMetadata"]
        key_id = key["KeyId"]
        if i.get("enableKeyRotation"):
            require(key.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT",
                    "UnsupportedOperationException", "only symmetric keys rotate")
            kms.enable_key_rotation(**drop_none(KeyId=key_id, RotationPeriodInDays=period))
        if i.get("isEnabled") is False:
            kms.disable_key(KeyId=key_id)
        return key_id, {"keyId": key_id, "arn": key["Arn"],
                        "policy": kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"],
                        "keyUsage": key.get("KeyUsage"),
                        "customerMasterKeySpec": key.get("KeySpec")}

    @handles("aws:kms/alias:Alias")
    def _kms_alias(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        alias = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                  if i.get("namePrefix") else f"alias/{name}")
        require(not alias.startswith("alias/aws/"), "NotAuthorizedException",
                f"{alias}: the alias/aws/ prefix is reserved for AWS-managed keys")
        kms = self.client("kms")
        kms.create_alias(AliasName=alias, TargetKeyId=i.get("targetKeyId", ""))
        key_arn = kms.describe_key(KeyId=i.get("targetKeyId", ""))["KeyMetadata"]["Arn"]
        return alias, {"name": alias, "arn": self._arn("kms", alias), "targetKeyArn": key_arn}

    # -- IAM ------------------------------------------------------------------------------

    @handles("aws:iam/role:Role")
    def _iam_role(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        iam = self.client("iam")
        role_name = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                      if i.get("namePrefix") else name)
        trust = as_json(i.get("assumeRolePolicy", ""))
        # create_role does not validate the trust policy; AWS does.
        IAMTrustPolicyDocumentValidator(trust).validate()
        role = iam.create_role(**drop_none(
            RoleName=role_name, AssumeRolePolicyDocument=trust, Path=i.get("path"),
            Description=i.get("description"), MaxSessionDuration=i.get("maxSessionDuration"),
            PermissionsBoundary=i.get("permissionsBoundary"), Tags=tag_list(i.get("tags"))
        ))["Role"]
        for policy in i.get("inlinePolicies") or []:
            if policy.get("policy"):
                iam.put_role_policy(RoleName=role_name, PolicyName=policy["name"],
                                    PolicyDocument=as_json(policy["policy"]))
        for arn in i.get("managedPolicyArns") or []:
            self._ensure_aws_managed_policy(arn)
            iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
        return role_name, {"name": role_name, "arn": role["Arn"], "uniqueId": role["RoleId"],
                           "createDate": role["CreateDate"].isoformat(),
                           "path": role.get("Path", "/")}

    @handles("aws:iam/rolePolicy:RolePolicy")
    def _iam_role_policy(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        role = i.get("role", "")
        policy_name = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                        if i.get("namePrefix") else name)
        self.client("iam").put_role_policy(RoleName=role, PolicyName=policy_name,
                                           PolicyDocument=as_json(i.get("policy", "")))
        return f"{role}:{policy_name}", {"name": policy_name}

    @handles("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    def _iam_role_policy_attachment(self, name: str, i: dict[str, Any]
                                    ) -> tuple[str, dict[str, Any]]:
        role, arn = i.get("role", ""), i.get("policyArn", "")
        self._ensure_aws_managed_policy(arn)
        self.client("iam").attach_role_policy(RoleName=role, PolicyArn=arn)
        return f"{role}-{_digest(arn, length=20)}", {}

    @handles("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    def _oidc_provider(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn = self.client("iam").create_open_id_connect_provider(**drop_none(
            Url=i.get("url"), ClientIDList=i.get("clientIdLists"),
            ThumbprintList=i.get("thumbprintLists"), Tags=tag_list(i.get("tags"))
        ))["OpenIDConnectProviderArn"]
        return arn, {"arn": arn}

    # -- EKS ------------------------------------------------------------------------------

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

    # -- ECR ------------------------------------------------------------------------------

    @handles("aws:ecr/repository:Repository")
    def _ecr_repository(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        repo_name = i.get("name") or name
        encryption = (i.get("encryptionConfigurations") or [None])[0]
        if encryption and encryption.get("kmsKey"):
            self.client("kms").describe_key(KeyId=encryption["kmsKey"])  # AWS checks it exists
        scanning = i.get("imageScanningConfiguration")
        repo = self.client("ecr").create_repository(**drop_none(
            repositoryName=repo_name, tags=tag_list(i.get("tags")),
            imageTagMutability=i.get("imageTagMutability"),
            imageTagMutabilityExclusionFilters=i.get("imageTagMutabilityExclusionFilters"),
            imageScanningConfiguration={"scanOnPush": bool(scanning.get("scanOnPush"))}
            if scanning else None,
            encryptionConfiguration=drop_none(encryptionType=encryption.get("encryptionType"),
                                              kmsKey=encryption.get("kmsKey"))
            if encryption else None))["repository"]
        return repo_name, {"name": repo_name, "arn": repo["repositoryArn"],
                           "registryId": repo["registryId"],
                           "repositoryUrl": repo["repositoryUri"]}

    @handles("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    def _ecr_lifecycle_policy(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        result = self.client("ecr").put_lifecycle_policy(
            repositoryName=i.get("repository", ""),
            lifecyclePolicyText=as_json(i.get("policy", "")))
        return result["repositoryName"], {"registryId": result["registryId"]}

    @handles("aws:ecr/repositoryPolicy:RepositoryPolicy")
    def _ecr_repository_policy(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        result = self.client("ecr").set_repository_policy(
            repositoryName=i.get("repository", ""), policyText=as_json(i.get("policy", "")))
        return result["repositoryName"], {"registryId": result["registryId"]}

    # -- Route53, ACM ---------------------------------------------------------------------

    @handles("aws:route53/zone:Zone")
    def _route53_zone(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        route53 = self.client("route53")
        vpcs = i.get("vpcs") or []
        zone = route53.create_hosted_zone(**drop_none(
            Name=i.get("name") or name,
            CallerReference=f"pulumi-{name}-{_digest(self.account_id, name, length=12)}",
            HostedZoneConfig={"Comment": i.get("comment", "Managed by Pulumi"),
                              "PrivateZone": bool(vpcs)},
            VPC={"VPCId": vpcs[0]["vpcId"], "VPCRegion": vpcs[0].get("vpcRegion", self.region)}
            if vpcs else None,
            DelegationSetId=i.get("delegationSetId")))
        zone_id = zone["HostedZone"]["Id"].removeprefix("/hostedzone/")
        if i.get("tags"):
            route53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id,
                                             AddTags=tag_list(i["tags"]))
        name_servers = sorted(zone.get("DelegationSet", {}).get("NameServers", []))
        return zone_id, {
            "zoneId": zone_id, "name": (i.get("name") or name).rstrip("."),
            "nameServers": name_servers,
            "primaryNameServer": name_servers[0] if name_servers else None,
            "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
            "comment": i.get("comment", "Managed by Pulumi"),
        }

    @handles("aws:route53/record:Record")
    def _route53_record(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        route53 = self.client("route53")
        zone_id = str(i.get("zoneId", "")).removeprefix("/hostedzone/")
        zone_name = route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"].rstrip(".")
        record_type = i.get("type", "")
        require(record_type in ROUTE53_RECORD_TYPES, "InvalidInput",
                f"record type {record_type!r}")
        # Like the provider: a name outside the zone is relative to it.
        fqdn = str(i.get("name", "")).rstrip(".").lower()
        if not fqdn.endswith(zone_name):
            fqdn = f"{fqdn}.{zone_name}" if fqdn else zone_name
        values = [str(v) for v in i.get("records") or []]
        if record_type == "TXT":
            values = [v if v.startswith('"') else f'"{v}"' for v in values]
        for value in values if record_type in ("A", "AAAA") else []:
            try:
                address = ipaddress.ip_address(value)
            except ValueError as e:
                raise _Invalid("InvalidChangeBatch", f"{value!r} is not an IP address") from e
            require(address.version == (4 if record_type == "A" else 6), "InvalidChangeBatch",
                    f"{value!r} is not an IPv{4 if record_type == 'A' else 6} address")
        aliases = i.get("aliases") or []
        require(bool(aliases) != bool(values), "InvalidInput",
                "a record needs either records or an alias")
        require(aliases or i.get("ttl") is not None, "InvalidInput",
                "ttl is required for a non-alias record")
        record_set = drop_none(
            Name=fqdn, Type=record_type, TTL=i.get("ttl") if not aliases else None,
            ResourceRecords=[{"Value": v} for v in values],
            AliasTarget={"HostedZoneId": aliases[0]["zoneId"], "DNSName": aliases[0]["name"],
                         "EvaluateTargetHealth": bool(aliases[0].get("evaluateTargetHealth"))}
            if aliases else None,
            SetIdentifier=i.get("setIdentifier"), HealthCheckId=i.get("healthCheckId"))
        action = "UPSERT" if i.get("allowOverwrite") else "CREATE"
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
            "Changes": [{"Action": action, "ResourceRecordSet": record_set}]})
        parts = [zone_id, fqdn, record_type] + ([i["setIdentifier"]]
                                               if i.get("setIdentifier") else [])
        return "_".join(parts), {"fqdn": fqdn, "name": fqdn}

    @staticmethod
    def _validation_options(certificate: Mapping[str, Any]) -> list[dict[str, Any]]:
        options = []
        for option in certificate.get("DomainValidationOptions", []):
            record = option.get("ResourceRecord") or {}
            options.append(drop_none(
                domainName=option["DomainName"], resourceRecordName=record.get("Name"),
                resourceRecordType=record.get("Type"), resourceRecordValue=record.get("Value")))
        # moto builds these from a set: sort, so runs are stable
        return sorted(options, key=lambda o: o["domainName"])

    @handles("aws:acm/certificate:Certificate")
    def _acm_certificate(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        acm = self.client("acm")
        method = i.get("validationMethod")
        if i.get("certificateBody"):
            arn = acm.import_certificate(**drop_none(
                Certificate=i["certificateBody"].encode(),
                PrivateKey=str(i.get("privateKey", "")).encode(),
                CertificateChain=i["certificateChain"].encode()
                if i.get("certificateChain") else None,
                Tags=tag_list(i.get("tags"))))["CertificateArn"]
        else:
            require(method in ("DNS", "EMAIL") or i.get("certificateAuthorityArn"),
                    "ValidationException", f"validationMethod {method!r} (DNS or EMAIL)")
            domain = i.get("domainName", "")
            sans = [d for d in i.get("subjectAlternativeNames") or [] if d != domain]
            options = i.get("options") or {}
            arn = acm.request_certificate(**drop_none(
                DomainName=domain, SubjectAlternativeNames=[domain, *sans] if sans else None,
                ValidationMethod=method, KeyAlgorithm=i.get("keyAlgorithm"),
                CertificateAuthorityArn=i.get("certificateAuthorityArn"),
                Options={"CertificateTransparencyLoggingPreference":
                         options["certificateTransparencyLoggingPreference"]}
                if options.get("certificateTransparencyLoggingPreference") else None,
                IdempotencyToken=_digest(name, length=32),
                Tags=tag_list(i.get("tags"))))["CertificateArn"]
        certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        return arn, {
            "arn": arn, "domainName": certificate.get("DomainName"),
            "domainValidationOptions": self._validation_options(certificate)
            if method == "DNS" else [],
            "status": certificate.get("Status"), "type": certificate.get("Type"),
            "keyAlgorithm": certificate.get("KeyAlgorithm"), "validationEmails": [],
        }

    @handles("aws:acm/certificateValidation:CertificateValidation")
    def _acm_certificate_validation(self, name: str, i: dict[str, Any]
                                    ) -> tuple[str, dict[str, Any]]:
        arn = i.get("certificateArn", "")
        certificate = self.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]
        fqdns = {f.rstrip(".").lower() for f in i.get("validationRecordFqdns") or []}
        if fqdns and certificate.get("DomainValidationOptions"):
            # Like the provider: every domain's validation record must be among the fqdns.
            missing = sorted({o["DomainName"] for o in self._validation_options(certificate)
                              if o.get("resourceRecordName", "").rstrip(".").lower()
                              not in fqdns})
            require(not missing, "ValidationRecordMissing",
                    f"missing DNS validation record for {', '.join(missing)}")
        require(certificate.get("Status") == "ISSUED", "CertificateNotIssued",
                f"certificate {arn} is {certificate.get('Status')}")
        return arn, {"certificateArn": arn}

    # -- S3 -------------------------------------------------------------------------------

    @staticmethod
    def _one(value: Any) -> dict[str, Any]:
        """A nested block the provider may hand over as an object or a one-element list."""
        if isinstance(value, list):
            return value[0] if value else {}
        return value or {}

    @handles("aws:s3/bucket:Bucket")
    def _s3_bucket(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        s3 = self.client("s3")
        bucket = bucket_name(name, i, pulumi.get_stack())
        # moto accepts names AWS refuses (upper case, underscores, too long)
        require(S3_BUCKET_NAME.match(bucket) and ".." not in bucket, "InvalidBucketName",
                f"The specified bucket is not valid: {bucket!r}")
        region = i.get("region") or self.region
        s3.create_bucket(**drop_none(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            if region != "us-east-1" else None))
        if i.get("tags"):
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(i["tags"])})
        return bucket, {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "region": region,
                        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
                        "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com"}

    @handles("aws:s3/bucketServerSideEncryptionConfiguration:"
             "BucketServerSideEncryptionConfiguration")
    def _s3_encryption(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rules = []
        for rule in i.get("rules") or []:
            default = self._one(rule.get("applyServerSideEncryptionByDefault"))
            algorithm = default.get("sseAlgorithm")
            require(algorithm in S3_SSE_ALGORITHMS, "InvalidArgument",
                    f"sseAlgorithm {algorithm!r} is not one of {sorted(S3_SSE_ALGORITHMS)}")
            require(not default.get("kmsMasterKeyId") or algorithm != "AES256",
                    "InvalidArgument", "a KMS key goes with aws:kms, not AES256")
            if default.get("kmsMasterKeyId"):
                self.client("kms").describe_key(KeyId=default["kmsMasterKeyId"])
            rules.append(drop_none(
                ApplyServerSideEncryptionByDefault=drop_none(
                    SSEAlgorithm=algorithm, KMSMasterKeyID=default.get("kmsMasterKeyId")),
                BucketKeyEnabled=as_bool(rule["bucketKeyEnabled"])
                if rule.get("bucketKeyEnabled") is not None else None))
        require(rules, "MalformedXML", "an encryption configuration needs a rule")
        bucket = i.get("bucket", "")
        self.client("s3").put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})
        return bucket, {}

    @handles("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    def _s3_public_access_block(self, name: str, i: dict[str, Any]
                                ) -> tuple[str, dict[str, Any]]:
        bucket = i.get("bucket", "")
        self.client("s3").put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": as_bool(i.get("blockPublicAcls", False)),
            "IgnorePublicAcls": as_bool(i.get("ignorePublicAcls", False)),
            "BlockPublicPolicy": as_bool(i.get("blockPublicPolicy", False)),
            "RestrictPublicBuckets": as_bool(i.get("restrictPublicBuckets", False))})
        return bucket, {}

    @handles("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    def _s3_ownership_controls(self, name: str, i: dict[str, Any]
                               ) -> tuple[str, dict[str, Any]]:
        bucket = i.get("bucket", "")
        ownership = self._one(i.get("rule")).get("objectOwnership")
        require(ownership in S3_OBJECT_OWNERSHIP, "MalformedXML",
                f"objectOwnership {ownership!r} is not one of {sorted(S3_OBJECT_OWNERSHIP)}")
        self.client("s3").put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})
        return bucket, {}

    @handles("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    def _s3_lifecycle(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rules = []
        for rule in i.get("rules") or []:
            status = rule.get("status")
            require(status in ("Enabled", "Disabled"), "MalformedXML",
                    f"rule {rule.get('id')!r}: status {status!r}")
            expiration = self._one(rule.get("expiration"))
            days = expiration.get("days")
            require(days is None or days > 0, "InvalidArgument",
                    f"rule {rule.get('id')!r}: expiration days must be a positive integer")
            abort = self._one(rule.get("abortIncompleteMultipartUpload"))
            flt = rule.get("filter")
            rules.append(drop_none(
                ID=rule.get("id"), Status=status,
                Filter={"Prefix": self._one(flt).get("prefix", "")} if flt is not None
                else None,
                Prefix=rule.get("prefix") if flt is None else None,
                Expiration=drop_none(Days=days, Date=expiration.get("date"),
                                     ExpiredObjectDeleteMarker=expiration.get(
                                         "expiredObjectDeleteMarker")),
                AbortIncompleteMultipartUpload={
                    "DaysAfterInitiation": abort["daysAfterInitiation"]}
                if abort.get("daysAfterInitiation") else None))
            if flt is None and rule.get("prefix") is None:
                rules[-1]["Filter"] = {"Prefix": ""}
        require(rules, "MalformedXML", "a lifecycle configuration needs a rule")
        bucket = i.get("bucket", "")
        self.client("s3").put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": rules})
        return bucket, {}

    @handles("aws:s3/bucketPolicy:BucketPolicy")
    def _s3_bucket_policy(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        bucket = i.get("bucket", "")
        document = as_json(i.get("policy", ""))
        try:
            parsed = json.loads(document)
        except ValueError as e:
            raise _Invalid("MalformedPolicy", f"Policies must be valid JSON: {e}") from e
        require(isinstance(parsed, dict) and parsed.get("Statement"), "MalformedPolicy",
                "a bucket policy needs a Statement")
        arn = f"arn:aws:s3:::{bucket}"
        for statement in parsed["Statement"]:
            resources = statement.get("Resource", [])
            resources = [resources] if isinstance(resources, str) else resources
            # AWS refuses a bucket policy naming another bucket
            require(resources and all(r == arn or r.startswith(arn + "/") for r in resources),
                    "MalformedPolicy", "Policy has invalid resource")
        self.client("s3").put_bucket_policy(Bucket=bucket, Policy=document)
        return bucket, {"policy": document}

    # -- SQS, EventBridge -----------------------------------------------------------------

    @staticmethod
    def _check_policy_document(document: str, what: str) -> None:
        """SQS refuses a policy that is not a JSON object with Version and Statement (moto
        stores any string)."""
        try:
            parsed = json.loads(document)
        except ValueError as e:
            raise _Invalid("InvalidAttributeValue", f"{what} is not valid JSON: {e}") from e
        require(isinstance(parsed, dict) and parsed.get("Version") and parsed.get("Statement"),
                "InvalidAttributeValue", f"{what} needs a Version and a Statement")

    @handles("aws:sqs/queue:Queue")
    def _sqs_queue(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        sqs = self.client("sqs")
        fifo = as_bool(i.get("fifoQueue", False))
        queue_name = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                       if i.get("namePrefix") else name)
        if fifo and not i.get("name"):
            queue_name += ".fifo"  # as the provider names a FIFO queue
        require(fifo == queue_name.endswith(".fifo"), "InvalidParameterValue",
                f"queue name {queue_name!r}: a FIFO queue's name (and only its) ends in .fifo")
        require(not (i.get("kmsMasterKeyId") and as_bool(i.get("sqsManagedSseEnabled", False))),
                "InvalidAttributeName", "kmsMasterKeyId and sqsManagedSseEnabled exclude "
                "each other")
        if i.get("policy"):
            self._check_policy_document(as_json(i["policy"]), "policy")
        attributes = {}
        for key, attribute in SQS_ATTRIBUTES.items():
            value = i.get(key)
            if value is None or (key == "fifoQueue" and not fifo):
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            attributes[attribute] = (as_json(value) if key in SQS_JSON_ATTRIBUTES
                                     else str(value))
        url = sqs.create_queue(**drop_none(
            QueueName=queue_name, Attributes=attributes,
            tags={k: str(v) for k, v in (i.get("tags") or {}).items()}))["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        return url, {"url": url, "arn": arn, "name": queue_name, "fifoQueue": fifo}

    @handles("aws:sqs/queuePolicy:QueuePolicy")
    def _sqs_queue_policy(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        url = i.get("queueUrl", "")
        document = as_json(i.get("policy", ""))
        self._check_policy_document(document, "policy")
        self.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": document})
        return url, {"queueUrl": url, "policy": document}

    @handles("aws:cloudwatch/eventRule:EventRule")
    def _event_rule(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        events = self.client("events")
        rule_name = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                      if i.get("namePrefix") else name)
        state = i.get("state") or ("DISABLED" if i.get("isEnabled") is False else "ENABLED")
        require(state in EVENT_RULE_STATES, "ValidationException", f"state {state!r}")
        pattern = i.get("eventPattern")
        if pattern is not None:
            pattern = as_json(pattern)
            try:
                parsed = json.loads(pattern)
            except ValueError as e:
                raise _Invalid("InvalidEventPatternException",
                               f"Event pattern is not valid JSON: {e}") from e
            require(isinstance(parsed, dict) and parsed, "InvalidEventPatternException",
                    "Event pattern must be a non-empty JSON object")
        bus = i.get("eventBusName")
        if bus and bus != "default":
            events.describe_event_bus(Name=bus)  # AWS refuses a rule on a missing bus
        arn = events.put_rule(**drop_none(
            Name=rule_name, EventPattern=pattern, ScheduleExpression=i.get("scheduleExpression"),
            State=state, Description=i.get("description"), RoleArn=i.get("roleArn"),
            EventBusName=bus, Tags=tag_list(i.get("tags"))))["RuleArn"]
        rule_id = f"{bus}/{rule_name}" if bus and bus != "default" else rule_name
        return rule_id, {"arn": arn, "name": rule_name, "state": state,
                         "eventBusName": bus or "default"}

    @handles("aws:cloudwatch/eventTarget:EventTarget")
    def _event_target(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rule, bus = i.get("rule", ""), i.get("eventBusName")
        target_id = i.get("targetId") or name
        sqs_target = i.get("sqsTarget") or {}
        transformer = i.get("inputTransformer") or {}
        retry = i.get("retryPolicy") or {}
        target = drop_none(
            Id=target_id, Arn=i.get("arn", ""), RoleArn=i.get("roleArn"), Input=i.get("input"),
            InputPath=i.get("inputPath"),
            InputTransformer=drop_none(InputPathsMap=transformer.get("inputPaths"),
                                       InputTemplate=transformer.get("inputTemplate"))
            if transformer else None,
            SqsParameters={"MessageGroupId": sqs_target["messageGroupId"]}
            if sqs_target.get("messageGroupId") else None,
            DeadLetterConfig={"Arn": i["deadLetterConfig"]["arn"]}
            if (i.get("deadLetterConfig") or {}).get("arn") else None,
            RetryPolicy=drop_none(MaximumEventAgeInSeconds=retry.get("maximumEventAgeInSeconds"),
                                  MaximumRetryAttempts=retry.get("maximumRetryAttempts"))
            if retry else None)
        # moto raises ResourceNotFoundException for a missing rule, as AWS does
        result = self.client("events").put_targets(**drop_none(
            Rule=rule, EventBusName=bus, Targets=[target]))
        failed = result.get("FailedEntries") or []
        require(not failed, failed[0].get("ErrorCode", "PutTargetsFailed") if failed else "",
                "; ".join(f"{f.get('TargetId')}: {f.get('ErrorMessage')}" for f in failed))
        prefix = f"{bus}-" if bus and bus != "default" else ""
        return f"{prefix}{rule}-{target_id}", {"targetId": target_id,
                                               "eventBusName": bus or "default"}


def echoed_types(mocks_list: Iterable[MotoMocks]) -> dict[str, int]:
    """The types (with counts) several MotoMocks echoed instead of creating, sorted."""
    total: Counter[str] = Counter()
    for mocks in mocks_list:
        total.update(mocks.echoed)
    return dict(sorted(total.items()))
