"""CloudWatch Logs in moto: log groups, resource policies, and log deliveries (a source, a
destination and the delivery between them: how CloudFront's standard logging v2 reaches S3)."""

from __future__ import annotations

import json
import re
from typing import Any

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import drop_none, handles, require

# The values CloudWatch Logs accepts for retention (moto accepts anything).
LOG_RETENTION_DAYS = frozenset({0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
                                731, 1096, 1827, 2192, 2557, 2922, 3288, 3653})
# CloudWatch Logs API reference: PutDeliverySource / PutDeliveryDestination (name)
DELIVERY_NAME = re.compile(r"^[\w-]{1,60}$")
# CloudFront's delivery sources live in us-east-1 only (CloudFront Developer Guide, "Configure
# standard logging (v2)")
CLOUDFRONT_DELIVERY_REGION = "us-east-1"
DELIVERY_SERVICE = "delivery.logs.amazonaws.com"


class Logs(MotoBase):
    """CloudWatch Logs log groups."""

    @handles("aws:cloudwatch/logGroup:LogGroup")
    def _log_group(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        region = i.get("region") or self.region
        logs = self.regional_client("logs", region)
        group = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                  if i.get("namePrefix") else name)
        retention = i.get("retentionInDays")
        require(retention is None or retention in LOG_RETENTION_DAYS, "InvalidParameterException",
                f"retentionInDays {retention} is not one CloudWatch Logs accepts")
        key = i.get("kmsKeyId")
        if key:
            # AWS: the key must be in the group's region, and its policy must let CloudWatch
            # Logs of that region use it for this group (else AccessDeniedException)
            require(key.split(":")[3] == region, "InvalidParameterException",
                    f"the KMS key {key} is not in the log group's region {region}")
            policy = json.loads(self.regional_client("kms", region).get_key_policy(
                KeyId=key, PolicyName="default")["Policy"])
            group_arn = f"arn:aws:logs:{region}:{self.account_id}:log-group:{group}"
            allowed = [s for s in policy["Statement"]
                       if s.get("Principal", {}).get("Service") == f"logs.{region}.amazonaws.com"
                       and "kms:GenerateDataKey*" in s.get("Action", [])
                       and group_arn in json.dumps(s.get("Condition", {}))]
            require(allowed, "AccessDeniedException",
                    f"the key policy of {key} does not let CloudWatch Logs use it for {group}")
        logs.create_log_group(**drop_none(
            logGroupName=group, kmsKeyId=i.get("kmsKeyId"), tags=i.get("tags"),
            logGroupClass=i.get("logGroupClass")))
        if retention:
            logs.put_retention_policy(logGroupName=group, retentionInDays=retention)
        return group, {"name": group,
                       "arn": f"arn:aws:logs:{region}:{self.account_id}:log-group:{group}",
                       "retentionInDays": retention or 0}

    @handles("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    def _log_resource_policy(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        region = i.get("region") or self.region
        document = i.get("policyDocument", "")
        json.loads(document)   # AWS refuses a document that is not JSON
        require(len(document) <= 5120, "InvalidParameterException",
                "a resource policy document has at most 5,120 characters")
        self.regional_client("logs", region).put_resource_policy(
            policyName=i.get("policyName", name), policyDocument=document)
        return i.get("policyName", name), {}

    @handles("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    def _log_delivery_source(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        region = i.get("region") or self.region
        source = str(i.get("name") or name)
        require(DELIVERY_NAME.match(source), "ValidationException", f"name {source!r}")
        resource = str(i.get("resourceArn", ""))
        if resource.split(":")[2:3] == ["cloudfront"]:
            require(region == CLOUDFRONT_DELIVERY_REGION, "ValidationException",
                    f"CloudFront's delivery sources are made in {CLOUDFRONT_DELIVERY_REGION}, "
                    f"not {region}")
            # the distribution exists (moto takes any ARN)
            self.client("cloudfront").get_distribution(Id=resource.rsplit("/", 1)[-1])
        made = self.regional_client("logs", region).put_delivery_source(
            name=source, resourceArn=resource, logType=i.get("logType", ""),
            **({"tags": dict(i["tags"])} if i.get("tags") else {}))["deliverySource"]
        return source, {"name": source, "arn": made["arn"], "service": made.get("service")}

    @handles("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
    def _log_delivery_destination(self, name: str, i: dict[str, Any]
                                  ) -> tuple[str, dict[str, Any]]:
        region = i.get("region") or self.region
        destination = str(i.get("name") or name)
        require(DELIVERY_NAME.match(destination), "ValidationException",
                f"name {destination!r}")
        config = self._one(i.get("deliveryDestinationConfiguration"))
        target = str(config.get("destinationResourceArn", ""))
        if target.startswith("arn:aws:s3:::"):
            # the bucket exists (moto takes any ARN)
            self.client("s3").head_bucket(Bucket=target.removeprefix("arn:aws:s3:::").split(
                "/", 1)[0])
        made = self.regional_client("logs", region).put_delivery_destination(
            name=destination, deliveryDestinationConfiguration={
                "destinationResourceArn": target},
            **({"outputFormat": i["outputFormat"]} if i.get("outputFormat") else {}),
            **({"tags": dict(i["tags"])} if i.get("tags") else {}))["deliveryDestination"]
        return destination, {"name": destination, "arn": made["arn"],
                             "deliveryDestinationType": made.get("deliveryDestinationType")}

    @handles("aws:cloudwatch/logDelivery:LogDelivery")
    def _log_delivery(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        region = i.get("region") or self.region
        logs = self.regional_client("logs", region)
        destination_arn = str(i.get("deliveryDestinationArn", ""))
        destination = next((d for d in logs.describe_delivery_destinations()[
            "deliveryDestinations"] if d["arn"] == destination_arn), None)
        target = ((destination or {}).get("deliveryDestinationConfiguration") or {}).get(
            "destinationResourceArn", "")
        if target.startswith("arn:aws:s3:::"):
            # AWS delivers only where the bucket's policy lets its log delivery service write
            # this account's logs (CloudWatch Logs User Guide, "Logs sent to Amazon S3")
            bucket = target.removeprefix("arn:aws:s3:::").split("/", 1)[0]
            policy = json.loads(self.client("s3").get_bucket_policy(Bucket=bucket)["Policy"])
            prefix = f"arn:aws:s3:::{bucket}/AWSLogs/{self.account_id}/"
            allowed = [st for st in policy["Statement"] if st.get("Effect") == "Allow"
                       and st.get("Principal", {}).get("Service") == DELIVERY_SERVICE
                       and "s3:PutObject" in json.dumps(st.get("Action"))
                       and any(str(r).startswith(prefix) for r in (
                           [st["Resource"]] if isinstance(st["Resource"], str)
                           else st["Resource"]))]
            require(allowed, "AccessDeniedException",
                    f"the policy of {bucket} does not let {DELIVERY_SERVICE} write under "
                    f"AWSLogs/{self.account_id}/")
        s3_config = self._one(i.get("s3DeliveryConfigurations"))
        made = logs.create_delivery(
            deliverySourceName=i.get("deliverySourceName", ""),
            deliveryDestinationArn=destination_arn,
            **({"s3DeliveryConfiguration": drop_none(
                suffixPath=s3_config.get("suffixPath"),
                enableHiveCompatiblePath=s3_config.get("enableHiveCompatiblePath"))}
               if s3_config else {}),
            **({"tags": dict(i["tags"])} if i.get("tags") else {}))["delivery"]
        return made["id"], {"arn": made["arn"],
                            "deliveryDestinationType": made.get("deliveryDestinationType")}
