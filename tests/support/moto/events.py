"""EventBridge (CloudWatch Events) in moto: rules and targets."""

from __future__ import annotations

import json
from typing import Any

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import _Invalid, as_json, drop_none, handles, require, tag_list

EVENT_RULE_STATES = frozenset({"ENABLED", "DISABLED",
                               "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"})


class Events(MotoBase):
    """EventBridge rules and targets."""

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
