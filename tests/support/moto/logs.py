"""CloudWatch Logs in moto."""

from __future__ import annotations

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
