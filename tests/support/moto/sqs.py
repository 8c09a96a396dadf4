"""SQS in moto: queues and queue policies."""

from __future__ import annotations

import json
from typing import Any

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import _Invalid, as_bool, as_json, drop_none, handles, require

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


class Sqs(MotoBase):
    """SQS queues and queue policies."""

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
