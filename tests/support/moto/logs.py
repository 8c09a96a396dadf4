"""CloudWatch Logs in moto."""

from __future__ import annotations

import json
from typing import Any

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import drop_none, handles, require

# The values CloudWatch Logs accepts for retention (moto accepts anything).
LOG_RETENTION_DAYS = frozenset({0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
                                731, 1096, 1827, 2192, 2557, 2922, 3288, 3653})


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
