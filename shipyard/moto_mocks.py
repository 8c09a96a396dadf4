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

from offline.mocks import EchoMocks, _digest, bucket_name

# boto3 clients made up front (boto3 client creation is not thread-safe).
SERVICES = ("ec2", "iam", "kms", "eks", "ecr", "route53", "acm", "logs", "sts", "sqs", "events",
            "s3", "cloudfront", "rds", "elasticache", "mq")

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
# CloudFront's enums (API reference: ViewerCertificate, CacheBehavior, DistributionConfig,
# OriginAccessControlConfig); moto accepts any value
CLOUDFRONT_TLS_POLICIES = frozenset({
    "SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019",
    "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"})
CLOUDFRONT_SSL_METHODS = frozenset({"sni-only", "vip", "static-ip"})
CLOUDFRONT_VIEWER_POLICIES = frozenset({"allow-all", "https-only", "redirect-to-https"})
CLOUDFRONT_PRICE_CLASSES = frozenset({"PriceClass_100", "PriceClass_200", "PriceClass_All",
                                      "None"})
CLOUDFRONT_HTTP_VERSIONS = frozenset({"http1.1", "http2", "http2and3", "http3"})
CLOUDFRONT_OAC_TYPES = frozenset({"s3", "mediastore", "mediapackagev2", "lambda"})
CLOUDFRONT_SIGNING = frozenset({"always", "never", "no-override"})
# where CloudFront reads ACM certificates from, and its distributions' hosted zone (Route53)
CLOUDFRONT_CERTIFICATE_REGION = "us-east-1"
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"

# Managed data stores (RDS, ElastiCache, Amazon MQ): values AWS accepts and moto does not check.
RDS_ENGINES = frozenset({"postgres", "mysql", "mariadb"})
RDS_CA_CERTIFICATES = frozenset({"rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1",
                                 "rds-ca-2019"})
RDS_LOG_EXPORTS = {"postgres": frozenset({"postgresql", "upgrade", "iam-db-auth-error"}),
                   "mysql": frozenset({"audit", "error", "general", "slowquery",
                                       "iam-db-auth-error"}),
                   "mariadb": frozenset({"audit", "error", "general", "slowquery"})}
RDS_MIN_STORAGE = {"gp2": 20, "gp3": 20, "io1": 100, "io2": 100, "standard": 5}
RDS_PASSWORD_FORBIDDEN = frozenset("/'\"@ ")
PARAMETER_APPLY_METHODS = frozenset({"immediate", "pending-reboot"})
RDS_FAMILY = re.compile(r"^(postgres\d+|mysql\d+\.\d+|mariadb\d+\.\d+)$")
# identifiers of RDS instances, snapshots, parameter groups; ElastiCache ids: a letter, then
# letters, digits and single hyphens, no hyphen at the end
AWS_IDENTIFIER = re.compile(r"^[a-zA-Z](?:-?[a-zA-Z0-9])*$")
ELASTICACHE_ENGINES = frozenset({"redis", "valkey"})
ELASTICACHE_MAX_ID = 40
ELASTICACHE_PASSWORD = re.compile(r'^[^\s"/@]{16,128}$')
MQ_DEPLOYMENT_MODES = frozenset({"SINGLE_INSTANCE", "ACTIVE_STANDBY_MULTI_AZ",
                                 "CLUSTER_MULTI_AZ"})
MQ_BROKER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
MQ_RABBITMQ_USER = re.compile(r"^[A-Za-z0-9._-]{2,100}$")
MQ_DAYS = frozenset({"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY",
                     "SUNDAY"})
WEEK_MINUTES = 7 * 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

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


SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


def revealed(value: Any) -> Any:
    """Inputs with Pulumi's secret wrappers (``{SIG: SECRET, "value": v}``) replaced by ``v``:
    what the provider sends AWS."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG[0]) == SECRET_SIG[1]:
            return revealed(value.get("value"))
        return {k: revealed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [revealed(v) for v in value]
    return value


def as_bool(value: Any) -> bool:
    """The AWS provider types some booleans as strings ("true")."""
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def _hhmm(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def window_minutes(window: str | None) -> set[int]:
    """The minutes of the week a window covers: ``hh:mm-hh:mm`` (daily) or
    ``ddd:hh:mm-ddd:hh:mm`` (weekly); empty when unset or malformed."""
    if not window or "-" not in window:
        return set()
    start, end = window.lower().split("-", 1)
    try:
        if start.count(":") == 2:
            a = WEEKDAYS.index(start[:3]) * 1440 + _hhmm(start[4:])
            b = WEEKDAYS.index(end[:3]) * 1440 + _hhmm(end[4:])
            return {m % WEEK_MINUTES for m in range(a, a + (b - a) % WEEK_MINUTES)}
        a, b = _hhmm(start), _hhmm(end)
    except ValueError:
        return set()
    return {(day * 1440 + a + m) % WEEK_MINUTES for day in range(7)
            for m in range((b - a) % 1440)}


def check_windows(backup: str | None, maintenance: str | None) -> None:
    """RDS, DocumentDB and ElastiCache refuse windows under 30 minutes and a backup window that
    overlaps the maintenance window."""
    daily, weekly = window_minutes(backup), window_minutes(maintenance)
    require(not backup or len(daily) >= 7 * 30, "InvalidParameterValue",
            f"The backup window {backup!r} must be at least 30 minutes")
    require(not maintenance or len(weekly) >= 30, "InvalidParameterValue",
            f"The maintenance window {maintenance!r} must be at least 30 minutes")
    require(not daily & weekly, "InvalidParameterCombination",
            f"The backup window {backup} and the maintenance window {maintenance} overlap")


def rds_family(engine: str, version: str) -> str:
    """The parameter group family an engine version takes: postgres17, mysql8.4."""
    parts = str(version).split(".")
    major = parts[0] if engine == "postgres" and int(parts[0] or 0) >= 10 else \
        ".".join(parts[:2])
    return f"{engine}{major}"


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

    def regional_client(self, service: str, region: str | None) -> Any:
        """This account's client for ``service`` in ``region``: where a resource with its own
        ``region`` input (pulumi_aws 7) lives, e.g. CloudFront's certificate in us-east-1."""
        if not region or region == self.region:
            return self.client(service)
        cache: dict[tuple[str, str], Any] = self.__dict__.setdefault("_regional_clients", {})
        if (service, region) not in cache:
            with _SESSION_LOCK:
                cache[(service, region)] = self.session.client(service, region_name=region)
        return cache[(service, region)]

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
                # handlers see secrets (passwords) in plain text; the state keeps them secret
                resource_id, outputs = getattr(self, method)(args.name, revealed(inputs))
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
        acm = self.regional_client("acm", i.get("region"))
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
        certificate = self.regional_client("acm", i.get("region")).describe_certificate(
            CertificateArn=arn)["Certificate"]
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
            noncurrent = self._one(rule.get("noncurrentVersionExpiration"))
            require(noncurrent.get("noncurrentDays") is None or noncurrent["noncurrentDays"] > 0,
                    "InvalidArgument", f"rule {rule.get('id')!r}: noncurrentDays must be a "
                    f"positive integer")
            flt = rule.get("filter")
            rules.append(drop_none(
                ID=rule.get("id"), Status=status,
                Filter={"Prefix": self._one(flt).get("prefix", "")} if flt is not None
                else None,
                Prefix=rule.get("prefix") if flt is None else None,
                Expiration=drop_none(Days=days, Date=expiration.get("date"),
                                     ExpiredObjectDeleteMarker=expiration.get(
                                         "expiredObjectDeleteMarker")),
                NoncurrentVersionExpiration={"NoncurrentDays": noncurrent["noncurrentDays"]}
                if noncurrent.get("noncurrentDays") else None,
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

    @handles("aws:s3/bucketVersioning:BucketVersioning")
    def _s3_versioning(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        config = self._one(i.get("versioningConfiguration"))
        status = config.get("status")
        # "Disabled" is the provider's own value for never-enabled; S3 takes the other two
        require(status in ("Enabled", "Suspended", "Disabled"), "MalformedXML",
                f"versioning status {status!r}")
        bucket = i.get("bucket", "")
        if status != "Disabled":
            self.client("s3").put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": status})
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

    # -- CloudFront -----------------------------------------------------------------------

    @handles("aws:cloudfront/originAccessControl:OriginAccessControl")
    def _cloudfront_oac(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        # moto stores any values; CloudFront takes only these
        origin_type = i.get("originAccessControlOriginType")
        behavior, protocol = i.get("signingBehavior"), i.get("signingProtocol")
        require(origin_type in CLOUDFRONT_OAC_TYPES, "InvalidArgument",
                f"originAccessControlOriginType {origin_type!r}")
        require(behavior in CLOUDFRONT_SIGNING, "InvalidArgument",
                f"signingBehavior {behavior!r}")
        require(protocol == "sigv4", "InvalidArgument", f"signingProtocol {protocol!r}")
        oac_name = i.get("name") or name
        require(0 < len(oac_name) <= 64, "InvalidArgument",
                f"name {oac_name!r}: 1 to 64 characters")
        created = self.client("cloudfront").create_origin_access_control(
            OriginAccessControlConfig=drop_none(
                Name=oac_name, Description=i.get("description"), SigningProtocol=protocol,
                SigningBehavior=behavior, OriginAccessControlOriginType=origin_type))
        oac_id = created["OriginAccessControl"]["Id"]
        return oac_id, {"name": oac_name, "etag": created.get("ETag", "")}

    def _check_viewer_certificate(self, viewer: Mapping[str, Any],
                                  aliases: list[str]) -> None:
        """CloudFront's own checks (moto makes none): the policy names, and an ACM certificate
        that is ISSUED, in us-east-1, and covers every alias."""
        tls = viewer.get("minimumProtocolVersion")
        require(tls is None or tls in CLOUDFRONT_TLS_POLICIES, "InvalidArgument",
                f"minimumProtocolVersion {tls!r}")
        method = viewer.get("sslSupportMethod")
        require(method is None or method in CLOUDFRONT_SSL_METHODS, "InvalidArgument",
                f"sslSupportMethod {method!r}")
        arn = viewer.get("acmCertificateArn")
        require(not aliases or arn or viewer.get("iamCertificateId"), "InvalidViewerCertificate",
                f"aliases {aliases} need a certificate of their own")
        if not arn:
            return
        region = str(arn).split(":")[3] if str(arn).count(":") >= 5 else ""
        require(region == CLOUDFRONT_CERTIFICATE_REGION, "InvalidViewerCertificate",
                f"{arn}: CloudFront reads ACM certificates from us-east-1 only")
        require(method is not None, "InvalidViewerCertificate",
                "an ACM certificate needs sslSupportMethod")
        certificate = self.regional_client("acm", region).describe_certificate(
            CertificateArn=arn)["Certificate"]
        require(certificate.get("Status") == "ISSUED", "InvalidViewerCertificate",
                f"{arn} is {certificate.get('Status')}, not ISSUED")
        names = {certificate.get("DomainName", ""),
                 *certificate.get("SubjectAlternativeNames", [])}
        for alias in aliases:
            require(any(n == alias or (n.startswith("*.") and
                                       alias.split(".", 1)[-1] == n[2:]) for n in names),
                    "InvalidViewerCertificate",
                    f"the certificate ({sorted(names)}) does not cover the alias {alias}")

    @handles("aws:cloudfront/distribution:Distribution")
    def _cloudfront_distribution(self, name: str, i: dict[str, Any]
                                 ) -> tuple[str, dict[str, Any]]:
        cf = self.client("cloudfront")
        origins = list(i.get("origins") or [])
        require(origins, "InvalidArgument", "a distribution needs an origin")
        origin_ids = {o.get("originId") for o in origins}
        for origin in origins:
            oac_id = origin.get("originAccessControlId")
            if oac_id:
                # moto drops the field and accepts any id; CloudFront refuses an unknown one
                cf.get_origin_access_control(Id=oac_id)
        behaviors = [self._one(i.get("defaultCacheBehavior")),
                     *(i.get("orderedCacheBehaviors") or [])]
        for behavior in behaviors:
            policy = behavior.get("viewerProtocolPolicy")
            require(policy in CLOUDFRONT_VIEWER_POLICIES, "InvalidArgument",
                    f"viewerProtocolPolicy {policy!r}")
            require(behavior.get("targetOriginId") in origin_ids, "NoSuchOrigin",
                    f"targetOriginId {behavior.get('targetOriginId')!r} is not an origin")
        price_class = i.get("priceClass")
        require(price_class is None or price_class in CLOUDFRONT_PRICE_CLASSES,
                "InvalidArgument", f"priceClass {price_class!r}")
        http_version = i.get("httpVersion")
        require(http_version is None or http_version in CLOUDFRONT_HTTP_VERSIONS,
                "InvalidArgument", f"httpVersion {http_version!r}")
        aliases = [str(a) for a in i.get("aliases") or []]
        viewer = self._one(i.get("viewerCertificate"))
        self._check_viewer_certificate(viewer, aliases)
        default = behaviors[0]

        def methods(values: list[str] | None) -> dict[str, Any] | None:
            return {"Quantity": len(values), "Items": list(values)} if values else None

        allowed = methods(default.get("allowedMethods"))
        if allowed is not None and default.get("cachedMethods"):
            allowed["CachedMethods"] = methods(default["cachedMethods"])
        geo = self._one(self._one(i.get("restrictions")).get("geoRestriction"))
        config = drop_none(
            CallerReference=f"pulumi-{_digest(self.account_id, name, length=16)}",
            Comment=i.get("comment", ""), Enabled=as_bool(i.get("enabled", True)),
            Aliases={"Quantity": len(aliases), "Items": aliases} if aliases else None,
            DefaultRootObject=i.get("defaultRootObject"),
            Origins={"Quantity": len(origins), "Items": [drop_none(
                Id=o.get("originId"), DomainName=o.get("domainName"),
                OriginPath=o.get("originPath"),
                OriginAccessControlId=o.get("originAccessControlId"),
                # an S3 origin behind an OAC has an empty origin access identity
                S3OriginConfig={"OriginAccessIdentity": ""}
                if ".s3." in str(o.get("domainName", "")) else None) for o in origins]},
            DefaultCacheBehavior=drop_none(
                TargetOriginId=default.get("targetOriginId"),
                ViewerProtocolPolicy=default.get("viewerProtocolPolicy"),
                AllowedMethods=allowed, CachePolicyId=default.get("cachePolicyId"),
                ResponseHeadersPolicyId=default.get("responseHeadersPolicyId"),
                Compress=as_bool(default["compress"]) if "compress" in default else None),
            ViewerCertificate=drop_none(
                ACMCertificateArn=viewer.get("acmCertificateArn"),
                SSLSupportMethod=viewer.get("sslSupportMethod"),
                MinimumProtocolVersion=viewer.get("minimumProtocolVersion"),
                CloudFrontDefaultCertificate=as_bool(viewer["cloudfrontDefaultCertificate"])
                if "cloudfrontDefaultCertificate" in viewer else None),
            Restrictions={"GeoRestriction": drop_none(
                RestrictionType=geo.get("restrictionType", "none"),
                Quantity=len(geo.get("locations") or []), Items=geo.get("locations"))},
            PriceClass=price_class, HttpVersion=http_version,
            IsIPV6Enabled=as_bool(i["isIpv6Enabled"]) if "isIpv6Enabled" in i else None,
            WebACLId=i.get("webAclId"))
        if i.get("tags"):
            created = cf.create_distribution_with_tags(DistributionConfigWithTags={
                "DistributionConfig": config,
                "Tags": {"Items": tag_list(i["tags"])}})
        else:
            created = cf.create_distribution(DistributionConfig=config)
        distribution = created["Distribution"]
        return distribution["Id"], {
            "arn": distribution["ARN"], "domainName": distribution["DomainName"],
            "hostedZoneId": CLOUDFRONT_ZONE_ID, "status": distribution.get("Status"),
            "etag": created.get("ETag", ""), "callerReference": config["CallerReference"]}

    # -- Managed data stores: RDS, ElastiCache, Amazon MQ ---------------------------------

    def _subnets_in_zones(self, subnet_ids: list[str], zones: int, code: str, what: str
                          ) -> list[dict[str, Any]]:
        subnets = self.client("ec2").describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        require(len({s["AvailabilityZone"] for s in subnets}) >= zones, code,
                f"{what} must cover at least {zones} availability zones")
        require(len({s["VpcId"] for s in subnets}) == 1, "InvalidSubnet",
                f"{what}: the subnets are in different VPCs")
        return subnets

    def _check_key(self, key_id: str | None) -> None:
        """AWS refuses a KMS key that does not exist or is disabled (moto takes any string)."""
        if key_id:
            key = self.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
            require(key.get("Enabled", True), "KMSKeyNotAccessibleFault",
                    f"the KMS key {key_id} is disabled")

    def _check_security_groups(self, group_ids: list[str]) -> None:
        if group_ids:
            self.client("ec2").describe_security_groups(GroupIds=group_ids)

    @handles("aws:rds/subnetGroup:SubnetGroup")
    def _rds_subnet_group(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        group = (i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                   if i.get("namePrefix") else name)).lower()
        require(group != "default", "InvalidParameterValue", "'default' is reserved")
        subnet_ids = list(i.get("subnetIds") or [])
        subnets = self._subnets_in_zones(subnet_ids, 2, "DBSubnetGroupDoesNotCoverEnoughAZs",
                                         f"DB subnet group {group}")
        created = self.client("rds").create_db_subnet_group(
            DBSubnetGroupName=group,
            DBSubnetGroupDescription=i.get("description") or "Managed by Pulumi",
            SubnetIds=subnet_ids, Tags=tag_list(i.get("tags")))["DBSubnetGroup"]
        return group, {"name": group, "arn": created["DBSubnetGroupArn"],
                       "vpcId": subnets[0]["VpcId"], "supportedNetworkTypes": ["IPV4"]}

    @handles("aws:rds/parameterGroup:ParameterGroup")
    def _rds_parameter_group(self, name: str, i: dict[str, Any]
                             ) -> tuple[str, dict[str, Any]]:
        group = (i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                   if i.get("namePrefix") else name)).lower()
        require(AWS_IDENTIFIER.match(group) and len(group) <= 255, "InvalidParameterValue",
                f"parameter group name {group!r}: a letter, then letters, digits and single "
                f"hyphens")
        family = str(i.get("family", ""))
        require(RDS_FAMILY.match(family), "InvalidParameterValue",
                f"unknown parameter group family {family!r}")
        parameters = list(i.get("parameters") or [])
        for p in parameters:
            require(p.get("applyMethod", "immediate") in PARAMETER_APPLY_METHODS,
                    "InvalidParameterValue", f"applyMethod {p.get('applyMethod')!r}")
        rds = self.client("rds")
        created = rds.create_db_parameter_group(
            DBParameterGroupName=group, DBParameterGroupFamily=family,
            Description=i.get("description") or "Managed by Pulumi",
            Tags=tag_list(i.get("tags")))["DBParameterGroup"]
        if parameters:
            rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[{
                "ParameterName": p["name"], "ParameterValue": str(p["value"]),
                "ApplyMethod": p.get("applyMethod", "immediate")} for p in parameters])
        return group, {"name": group, "arn": created["DBParameterGroupArn"]}

    @handles("aws:rds/instance:Instance")
    def _rds_instance(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rds = self.client("rds")
        identifier = (i.get("identifier") or (i["identifierPrefix"] + _digest(name, length=10)
                                              if i.get("identifierPrefix") else name)).lower()
        require(AWS_IDENTIFIER.match(identifier) and len(identifier) <= 63,
                "InvalidParameterValue", f"DB instance identifier {identifier!r}")
        engine, version = str(i.get("engine", "")), str(i.get("engineVersion", ""))
        require(engine in RDS_ENGINES, "InvalidParameterValue", f"engine {engine!r}")
        instance_class = str(i.get("instanceClass", ""))
        require(instance_class.startswith("db."), "InvalidParameterValue",
                f"Invalid DB Instance class: {instance_class}")
        group = i.get("parameterGroupName")
        if group:
            [found] = rds.describe_db_parameter_groups(DBParameterGroupName=group)[
                "DBParameterGroups"]
            wanted = rds_family(engine, version)
            require(found["DBParameterGroupFamily"] == wanted, "InvalidParameterCombination",
                    f"The parameter group {group} with DBParameterGroupFamily "
                    f"{found['DBParameterGroupFamily']} can't be used for this instance. Use a "
                    f"parameter group with DBParameterGroupFamily {wanted}.")
        secret = i.get("password")
        managed = as_bool(i.get("manageMasterUserPassword", False))
        require(not (secret and managed), "InvalidParameterCombination",
                "password and manageMasterUserPassword exclude each other")
        if secret is not None:
            require(8 <= len(secret) <= 128 and not set(secret) & RDS_PASSWORD_FORBIDDEN,
                    "InvalidParameterValue", "The parameter MasterUserPassword is not a valid "
                    "password: 8 to 128 printable characters other than / ' \" @ and space")
        user = str(i.get("username", ""))
        limit = 16 if engine in ("mysql", "mariadb") else 63
        require(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", user) and len(user) <= limit,
                "InvalidParameterValue", f"MasterUsername {user!r}: a letter, then letters, "
                f"digits or _, at most {limit} characters")
        storage_type = str(i.get("storageType", "gp2"))
        allocated = int(i.get("allocatedStorage") or 0)
        require(allocated >= RDS_MIN_STORAGE.get(storage_type, 20), "InvalidParameterValue",
                f"{allocated} GiB is below the minimum of {storage_type} storage")
        ceiling = int(i.get("maxAllocatedStorage") or 0)
        require(ceiling == 0 or ceiling > allocated, "InvalidParameterCombination",
                "Max storage size must be greater than storage size")
        encrypted = as_bool(i.get("storageEncrypted", False))
        require(encrypted or not i.get("kmsKeyId"), "InvalidParameterCombination",
                "a KMS key needs storageEncrypted")
        self._check_key(i.get("kmsKeyId"))
        retention = int(i.get("backupRetentionPeriod", 1))
        require(0 <= retention <= 35, "InvalidParameterValue",
                f"backupRetentionPeriod {retention}: 0 to 35 days")
        check_windows(i.get("backupWindow"), i.get("maintenanceWindow"))
        final = i.get("finalSnapshotIdentifier")
        # AWS refuses the deletion of an instance that keeps a final snapshot without a name
        require(as_bool(i.get("skipFinalSnapshot", False)) or final,
                "InvalidParameterCombination", "FinalDBSnapshotIdentifier is required unless "
                "SkipFinalSnapshot is true")
        require(not final or (AWS_IDENTIFIER.match(final) and len(final) <= 255),
                "InvalidParameterValue", f"FinalDBSnapshotIdentifier {final!r}")
        ca = i.get("caCertIdentifier")
        require(ca is None or ca in RDS_CA_CERTIFICATES, "InvalidParameterValue",
                f"CA certificate {ca!r} not found")
        logs = set(i.get("enabledCloudwatchLogsExports") or [])
        require(logs <= RDS_LOG_EXPORTS.get(engine, frozenset()), "InvalidParameterCombination",
                f"{engine} cannot export the logs {sorted(logs - RDS_LOG_EXPORTS[engine])}")
        self._check_security_groups(list(i.get("vpcSecurityGroupIds") or []))
        instance = rds.create_db_instance(**drop_none(
            DBInstanceIdentifier=identifier, Engine=engine, EngineVersion=version or None,
            DBInstanceClass=instance_class, AllocatedStorage=allocated,
            MaxAllocatedStorage=ceiling or None, StorageType=storage_type,
            StorageEncrypted=encrypted, KmsKeyId=i.get("kmsKeyId"),
            MasterUsername=user, MasterUserPassword=secret,
            ManageMasterUserPassword=managed or None, DBName=i.get("dbName"),
            DBSubnetGroupName=i.get("dbSubnetGroupName"), DBParameterGroupName=group,
            VpcSecurityGroupIds=i.get("vpcSecurityGroupIds"), Port=i.get("port"),
            MultiAZ=as_bool(i.get("multiAz", False)), BackupRetentionPeriod=retention,
            PreferredBackupWindow=i.get("backupWindow"),
            PreferredMaintenanceWindow=i.get("maintenanceWindow"),
            PubliclyAccessible=as_bool(i.get("publiclyAccessible", False)),
            CopyTagsToSnapshot=as_bool(i.get("copyTagsToSnapshot", False)),
            DeletionProtection=as_bool(i.get("deletionProtection", False)),
            CACertificateIdentifier=ca, EnableCloudwatchLogsExports=sorted(logs) or None,
            AutoMinorVersionUpgrade=as_bool(i.get("autoMinorVersionUpgrade", True)),
            Tags=tag_list(i.get("tags"))))["DBInstance"]
        endpoint = instance["Endpoint"]
        return instance["DbiResourceId"], {
            "identifier": identifier, "arn": instance["DBInstanceArn"],
            "resourceId": instance["DbiResourceId"], "address": endpoint["Address"],
            "port": endpoint["Port"], "endpoint": f"{endpoint['Address']}:{endpoint['Port']}",
            "engineVersionActual": instance.get("EngineVersion", version),
            "status": "available", "hostedZoneId": "Z2R2ITUGPM61AM"}

    @handles("aws:elasticache/subnetGroup:SubnetGroup")
    def _elasticache_subnet_group(self, name: str, i: dict[str, Any]
                                  ) -> tuple[str, dict[str, Any]]:
        group = (i.get("name") or name).lower()
        subnet_ids = list(i.get("subnetIds") or [])
        subnets = self._subnets_in_zones(subnet_ids, 1, "InvalidSubnet",
                                         f"cache subnet group {group}")
        created = self.client("elasticache").create_cache_subnet_group(
            CacheSubnetGroupName=group,
            CacheSubnetGroupDescription=i.get("description") or "Managed by Pulumi",
            SubnetIds=subnet_ids, Tags=tag_list(i.get("tags")))["CacheSubnetGroup"]
        return group, {"name": group, "arn": created["ARN"], "vpcId": subnets[0]["VpcId"]}

    @handles("aws:elasticache/user:User")
    def _elasticache_user(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        user_id, engine = str(i.get("userId", "")), str(i.get("engine", "")).lower()
        require(AWS_IDENTIFIER.match(user_id) and user_id == user_id.lower()
                and len(user_id) <= ELASTICACHE_MAX_ID, "InvalidParameterValue",
                f"user id {user_id!r}: a lowercase letter, then letters, digits and single "
                f"hyphens, at most {ELASTICACHE_MAX_ID} characters")
        mode = self._one(i.get("authenticationMode"))
        passwords = list(mode.get("passwords") or i.get("passwords") or [])
        kind = mode.get("type") or ("no-password-required"
                                    if as_bool(i.get("noPasswordRequired", False))
                                    else "password")
        require(all(ELASTICACHE_PASSWORD.match(p) for p in passwords), "InvalidParameterValue",
                "passwords: 16 to 128 printable characters, no spaces, \" / or @")
        require(len(passwords) <= 2, "InvalidParameterValue", "at most two passwords")
        require(engine != "valkey" or kind in ("password", "iam"), "InvalidParameterCombination",
                "a valkey user must authenticate by password or IAM")
        created = self.client("elasticache").create_user(**drop_none(
            UserId=user_id, UserName=i.get("userName"), Engine=engine,
            AccessString=i.get("accessString"),
            AuthenticationMode={"Type": kind, "Passwords": passwords} if kind == "password"
            else {"Type": kind}, Tags=tag_list(i.get("tags"))))
        return user_id, {"arn": created["ARN"], "userId": user_id}

    @handles("aws:elasticache/userGroup:UserGroup")
    def _elasticache_user_group(self, name: str, i: dict[str, Any]
                                ) -> tuple[str, dict[str, Any]]:
        """moto has no user groups: the checks ElastiCache makes, against moto's users, and the
        group kept here for the replication groups that name it."""
        group_id, engine = str(i.get("userGroupId", "")), str(i.get("engine", "")).lower()
        require(AWS_IDENTIFIER.match(group_id) and len(group_id) <= ELASTICACHE_MAX_ID,
                "InvalidParameterValue", f"user group id {group_id!r}")
        require(engine in ELASTICACHE_ENGINES, "InvalidParameterValue", f"engine {engine!r}")
        groups: dict[str, dict[str, Any]] = self.__dict__.setdefault("_user_groups", {})
        require(group_id not in groups, "UserGroupAlreadyExists", f"{group_id} exists")
        ec = self.client("elasticache")
        users = [ec.describe_users(UserId=u)["Users"][0] for u in i.get("userIds") or []]
        require(any(u["UserName"] == "default" for u in users), "DefaultUserRequired",
                "You must add default user to a user group.")
        for user in users:
            require(engine == "valkey" or user["Engine"] == "redis",
                    "InvalidParameterCombination",
                    f"a redis user group cannot hold the {user['Engine']} user {user['UserId']}")
            require(engine != "valkey" or user["Authentication"]["Type"] in ("password", "iam"),
                    "InvalidParameterCombination",
                    f"a valkey user group holds only users with a password or IAM "
                    f"({user['UserId']})")
        arn = self._arn("elasticache", f"usergroup:{group_id}")
        groups[group_id] = {"engine": engine, "users": [u["UserId"] for u in users],
                            "arn": arn}
        return group_id, {"arn": arn, "userGroupId": group_id}

    def user_groups(self) -> dict[str, dict[str, Any]]:
        """The ElastiCache user groups created (moto keeps none)."""
        return dict(self.__dict__.get("_user_groups", {}))

    @handles("aws:elasticache/replicationGroup:ReplicationGroup")
    def _elasticache_replication_group(self, name: str, i: dict[str, Any]
                                       ) -> tuple[str, dict[str, Any]]:
        ec = self.client("elasticache")
        group_id = str(i.get("replicationGroupId", "")).lower()
        require(AWS_IDENTIFIER.match(group_id) and len(group_id) <= ELASTICACHE_MAX_ID,
                "InvalidParameterValue", f"replication group id {group_id!r}: a letter, then "
                f"letters, digits and single hyphens, at most {ELASTICACHE_MAX_ID}")
        engine = str(i.get("engine", "redis")).lower()
        require(engine in ELASTICACHE_ENGINES, "InvalidParameterValue", f"engine {engine!r}")
        require(str(i.get("nodeType", "")).startswith("cache."), "InvalidParameterValue",
                f"node type {i.get('nodeType')!r}")
        nodes = int(i.get("numCacheClusters") or 1)
        failover = as_bool(i.get("automaticFailoverEnabled", False))
        multi_az = as_bool(i.get("multiAzEnabled", False))
        require(not failover or nodes >= 2, "InvalidParameterCombination",
                "automatic failover needs at least 2 cache clusters")
        require(not multi_az or failover, "InvalidParameterCombination",
                "Multi-AZ needs automatic failover")
        transit = as_bool(i.get("transitEncryptionEnabled", False))
        user_groups = list(i.get("userGroupIds") or [])
        token = i.get("authToken")
        require(transit or not (token or user_groups), "InvalidParameterCombination",
                "AUTH and user groups need transit encryption")
        require(not (token and user_groups), "InvalidParameterCombination",
                "authToken and userGroupIds exclude each other")
        require(token is None or ELASTICACHE_PASSWORD.match(token), "InvalidParameterValue",
                "authToken: 16 to 128 printable characters")
        known = self.user_groups()
        for group in user_groups:
            require(group in known, "UserGroupNotFound", f"user group {group} not found")
            require(known[group]["engine"] == engine or engine == "valkey",
                    "InvalidParameterCombination",
                    f"a {engine} replication group cannot use the {known[group]['engine']} user "
                    f"group {group}")
        at_rest = as_bool(i.get("atRestEncryptionEnabled", False))
        require(at_rest or not i.get("kmsKeyId"), "InvalidParameterCombination",
                "a KMS key needs at-rest encryption")
        self._check_key(i.get("kmsKeyId"))
        retention = int(i.get("snapshotRetentionLimit") or 0)
        require(0 <= retention <= 35, "InvalidParameterValue",
                f"snapshotRetentionLimit {retention}: 0 to 35 days")
        check_windows(i.get("snapshotWindow"), i.get("maintenanceWindow"))
        final = i.get("finalSnapshotIdentifier")
        require(not final or AWS_IDENTIFIER.match(final), "InvalidParameterValue",
                f"final snapshot name {final!r}")
        subnet_group = i.get("subnetGroupName")
        if subnet_group:  # moto accepts a missing one
            ec.describe_cache_subnet_groups(CacheSubnetGroupName=subnet_group)
        self._check_security_groups(list(i.get("securityGroupIds") or []))
        group = ec.create_replication_group(**drop_none(
            ReplicationGroupId=group_id,
            ReplicationGroupDescription=i.get("description") or "Managed by Pulumi",
            Engine=engine, EngineVersion=i.get("engineVersion"),
            CacheNodeType=i.get("nodeType"), NumCacheClusters=nodes,
            AutomaticFailoverEnabled=failover, MultiAZEnabled=multi_az,
            CacheSubnetGroupName=subnet_group, SecurityGroupIds=i.get("securityGroupIds"),
            Port=i.get("port"), TransitEncryptionEnabled=transit,
            TransitEncryptionMode=i.get("transitEncryptionMode"),
            AtRestEncryptionEnabled=at_rest, KmsKeyId=i.get("kmsKeyId"),
            UserGroupIds=user_groups, AuthToken=token,
            SnapshotRetentionLimit=retention, SnapshotWindow=i.get("snapshotWindow"),
            PreferredMaintenanceWindow=i.get("maintenanceWindow"),
            AutoMinorVersionUpgrade=as_bool(i.get("autoMinorVersionUpgrade", True)),
            Tags=tag_list(i.get("tags"))))["ReplicationGroup"]
        primary = group["NodeGroups"][0]["PrimaryEndpoint"]
        return group_id, {
            "arn": group["ARN"], "primaryEndpointAddress": primary["Address"],
            "readerEndpointAddress": primary["Address"].replace("master.", "replica.", 1),
            "memberClusters": group.get("MemberClusters", []),
            "engineVersionActual": i.get("engineVersion"), "clusterEnabled": False}

    @handles("aws:mq/broker:Broker")
    def _mq_broker(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        broker_name = str(i.get("brokerName", name))
        require(MQ_BROKER_NAME.match(broker_name), "BadRequestException",
                f"broker name {broker_name!r}: 1 to 50 letters, digits, - and _")
        engine = str(i.get("engineType", ""))
        rabbit = engine.upper() == "RABBITMQ"
        mode = str(i.get("deploymentMode", "SINGLE_INSTANCE"))
        require(mode in MQ_DEPLOYMENT_MODES, "BadRequestException",
                f"deploymentMode {mode!r}")
        require(not rabbit or mode != "ACTIVE_STANDBY_MULTI_AZ", "BadRequestException",
                "RabbitMQ brokers are SINGLE_INSTANCE or CLUSTER_MULTI_AZ")
        instance_type, version = str(i.get("hostInstanceType", "")), str(
            i.get("engineVersion", ""))
        require(instance_type.startswith("mq."), "BadRequestException",
                f"host instance type {instance_type!r}")
        if rabbit and version.split(".")[0].isdigit() and int(version.split(".")[0]) >= 4:
            require(instance_type.startswith("mq.m7g."), "BadRequestException",
                    f"RabbitMQ {version} runs on mq.m7g instance types only")
        if rabbit and version.count(".") == 1:
            # Amazon MQ manages RabbitMQ 3.13+ patch versions itself
            require(as_bool(i.get("autoMinorVersionUpgrade", False)), "BadRequestException",
                    "RabbitMQ 3.13 and later need autoMinorVersionUpgrade")
        users = list(i.get("users") or [])
        require(users, "BadRequestException", "a broker needs a user")
        require(not rabbit or len(users) == 1, "BadRequestException",
                "Amazon MQ for RabbitMQ accepts one and only one administrative user at "
                "creation; create the others through the RabbitMQ management API")
        for user in users:
            username, secret = str(user.get("username", "")), str(user.get("password", ""))
            require(len(secret) >= 12 and len(set(secret)) >= 4 and not set(secret) & set(",:="),
                    "BadRequestException", "a broker password needs 12 or more characters, "
                    "4 or more different ones, and no , : or =")
            require(username != "guest" and (not rabbit or MQ_RABBITMQ_USER.match(username)),
                    "BadRequestException", f"user name {username!r}")
        require(not (rabbit and self._one(i.get("encryptionOptions")).get("kmsKeyId")),
                "BadRequestException", "RabbitMQ brokers are encrypted with an AWS-owned key; "
                "a customer KMS key applies to ActiveMQ only")
        require(not (rabbit and self._one(i.get("logs")).get("audit")), "BadRequestException",
                "audit logs are ActiveMQ's")
        subnet_ids = list(i.get("subnetIds") or [])
        public = as_bool(i.get("publiclyAccessible", False))
        require(public or subnet_ids, "BadRequestException", "a private broker needs subnets")
        if subnet_ids:
            subnets = self._subnets_in_zones(subnet_ids, 1, "BadRequestException", "broker")
            if mode == "SINGLE_INSTANCE":
                require(len(subnet_ids) == 1, "BadRequestException",
                        "a SINGLE_INSTANCE broker takes exactly one subnet")
            else:
                require(len({s["AvailabilityZone"] for s in subnets}) >= 2,
                        "BadRequestException", f"a {mode} broker needs subnets in two or more "
                        f"availability zones")
        window = self._one(i.get("maintenanceWindowStartTime"))
        if window:
            require(window.get("dayOfWeek") in MQ_DAYS and re.fullmatch(
                r"([01]\d|2[0-3]):[0-5]\d", str(window.get("timeOfDay", ""))),
                "BadRequestException", f"maintenance window start {window}")
        self._check_security_groups(list(i.get("securityGroups") or []))
        mq = self.client("mq")
        created = mq.create_broker(**drop_none(
            BrokerName=broker_name, EngineType=engine.upper(), EngineVersion=version,
            HostInstanceType=instance_type, DeploymentMode=mode,
            PubliclyAccessible=public, SubnetIds=subnet_ids or None,
            SecurityGroups=i.get("securityGroups"),
            AutoMinorVersionUpgrade=as_bool(i.get("autoMinorVersionUpgrade", False)),
            AuthenticationStrategy=(i.get("authenticationStrategy") or "simple").upper(),
            StorageType=(i.get("storageType") or "ebs").upper(),
            Logs=drop_none(General=self._one(i.get("logs")).get("general")),
            MaintenanceWindowStartTime=drop_none(
                DayOfWeek=window.get("dayOfWeek"), TimeOfDay=window.get("timeOfDay"),
                TimeZone=window.get("timeZone")) if window else None,
            Users=[drop_none(Username=u.get("username"), Password=u.get("password"),
                             ConsoleAccess=u.get("consoleAccess"), Groups=u.get("groups"))
                   for u in users],
            Tags={k: str(v) for k, v in (i.get("tags") or {}).items()} or None))
        broker = mq.describe_broker(BrokerId=created["BrokerId"])
        return created["BrokerId"], {
            "arn": created["BrokerArn"], "brokerName": broker_name,
            "instances": [{"consoleUrl": b.get("ConsoleURL"), "endpoints": b.get("Endpoints", []),
                           "ipAddress": b.get("IpAddress")}
                          for b in broker.get("BrokerInstances", [])]}

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
