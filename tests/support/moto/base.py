"""``MotoBase``: the Pulumi entry points (``new_resource``, ``call``), the per-account boto3
clients, and the helpers several services share (ARNs, role trust, AWS-managed policies,
nested blocks, the data stores' subnet, key and security group checks). Each service's
module adds its ``@handles`` methods in a subclass; ``tests.support.moto.MotoMocks``
joins them."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Mapping
from functools import cache
from typing import Any

import boto3
import moto.settings
import pulumi
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.models import botocore_stubber
from moto.iam.exceptions import MalformedPolicyDocument

from offline.mocks import EchoMocks
from tests.support.moto.core import (
    HANDLERS,
    MotoResourceError,
    _Invalid,
    integral,
    require,
    revealed,
)

# boto3 clients made up front (boto3 client creation is not thread-safe).
SERVICES = ("ec2", "iam", "kms", "eks", "ecr", "route53", "acm", "logs", "sts", "sqs", "events",
            "s3", "cloudfront", "rds", "elasticache", "mq", "wafv2", "ssm")


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


class MotoBase(EchoMocks):
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

    @staticmethod
    def _one(value: Any) -> dict[str, Any]:
        """A nested block the provider may hand over as an object or a one-element list."""
        if isinstance(value, list):
            return value[0] if value else {}
        return value or {}

    # -- the managed data stores' (RDS, ElastiCache, Amazon MQ) shared checks -------------

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
