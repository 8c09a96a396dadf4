"""AWS WAF (wafv2) in moto: web ACLs.

moto stores a web ACL as it is given; AWS checks more, and so does this: a CLOUDFRONT-scope
ACL lives in us-east-1 only, names and metric names match WAF's patterns, priorities are
unique, a rule of a managed rule group takes an override action and any other rule an action,
the rule group is one of AWS's, and a rate-based rule's limit and key are ones WAF takes.
"""

from __future__ import annotations

import re
from typing import Any

from tests.support.moto.base import MotoBase
from tests.support.moto.core import handles, require, tag_list

# AWS WAF API reference: CreateWebACL (Name, Scope), VisibilityConfig (MetricName),
# RateBasedStatement (Limit, AggregateKeyType, EvaluationWindowSec)
WAF_NAME = re.compile(r"^[\w\-]{1,128}$")
WAF_METRIC_NAME = re.compile(r"^[\w#:.\-/]{1,255}$")
WAF_SCOPES = frozenset({"CLOUDFRONT", "REGIONAL"})
WAF_RATE_LIMIT = (10, 2_000_000_000)
WAF_RATE_KEYS = frozenset({"IP", "FORWARDED_IP", "CUSTOM_KEYS", "CONSTANT"})
WAF_RATE_WINDOWS = frozenset({60, 120, 300, 600})
CLOUDFRONT_ACL_REGION = "us-east-1"
# AWS's baseline and IP-reputation managed rule groups (AWS WAF Developer Guide, "AWS Managed
# Rules rule groups list"), those that carry no subscription of their own
AWS_MANAGED_GROUPS = frozenset({
    "AWSManagedRulesCommonRuleSet", "AWSManagedRulesAdminProtectionRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesLinuxRuleSet", "AWSManagedRulesUnixRuleSet",
    "AWSManagedRulesWindowsRuleSet", "AWSManagedRulesPHPRuleSet",
    "AWSManagedRulesWordPressRuleSet", "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList"})
# Pulumi's camelCase keys whose AWS spelling is not just the first letter raised
_AWS_KEYS = {"cloudwatchMetricsEnabled": "CloudWatchMetricsEnabled"}


def aws_shape(value: Any) -> Any:
    """Pulumi's camelCase inputs -> the WAF API's PascalCase request shape."""
    if isinstance(value, dict):
        return {_AWS_KEYS.get(k, k[:1].upper() + k[1:]): aws_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [aws_shape(v) for v in value]
    return value


class Wafv2(MotoBase):
    """AWS WAF web ACLs."""

    def _check_visibility(self, visibility: dict[str, Any], what: str) -> None:
        metric = str(visibility.get("metricName", ""))
        require(WAF_METRIC_NAME.match(metric), "WAFInvalidParameterException",
                f"{what}: metricName {metric!r} does not match {WAF_METRIC_NAME.pattern}")
        for key in ("cloudwatchMetricsEnabled", "sampledRequestsEnabled"):
            require(key in visibility, "WAFInvalidParameterException",
                    f"{what}: visibilityConfig needs {key}")

    def _check_rule(self, rule: dict[str, Any]) -> None:
        name = str(rule.get("name", ""))
        require(WAF_NAME.match(name), "WAFInvalidParameterException", f"rule name {name!r}")
        statement = rule.get("statement") or {}
        managed = statement.get("managedRuleGroupStatement")
        if managed is not None:
            require(rule.get("overrideAction") and not rule.get("action"),
                    "WAFInvalidParameterException",
                    f"rule {name}: a rule group's rule takes overrideAction, not action")
            require(managed.get("vendorName") == "AWS" and
                    managed.get("name") in AWS_MANAGED_GROUPS, "WAFNonexistentItemException",
                    f"rule {name}: no managed rule group {managed.get('vendorName')}/"
                    f"{managed.get('name')}")
        else:
            require(rule.get("action") and not rule.get("overrideAction"),
                    "WAFInvalidParameterException",
                    f"rule {name}: a rule's action is action (overrideAction is a rule "
                    f"group's)")
        rate = statement.get("rateBasedStatement")
        if rate is not None:
            limit = rate.get("limit")
            require(isinstance(limit, int) and WAF_RATE_LIMIT[0] <= limit <= WAF_RATE_LIMIT[1],
                    "WAFInvalidParameterException",
                    f"rule {name}: limit {limit} is not {WAF_RATE_LIMIT[0]} to "
                    f"{WAF_RATE_LIMIT[1]:,}")
            require(rate.get("aggregateKeyType") in WAF_RATE_KEYS,
                    "WAFInvalidParameterException",
                    f"rule {name}: aggregateKeyType {rate.get('aggregateKeyType')!r}")
            window = rate.get("evaluationWindowSec")
            require(window is None or window in WAF_RATE_WINDOWS,
                    "WAFInvalidParameterException", f"rule {name}: evaluationWindowSec {window}")
        self._check_visibility(rule.get("visibilityConfig") or {}, f"rule {name}")

    @handles("aws:wafv2/webAcl:WebAcl")
    def _web_acl(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        scope = i.get("scope")
        region = i.get("region") or self.region
        require(scope in WAF_SCOPES, "WAFInvalidParameterException", f"scope {scope!r}")
        require(scope != "CLOUDFRONT" or region == CLOUDFRONT_ACL_REGION,
                "WAFInvalidParameterException",
                f"a CLOUDFRONT web ACL is made in {CLOUDFRONT_ACL_REGION}, not {region}")
        acl_name = str(i.get("name") or name)
        require(WAF_NAME.match(acl_name), "WAFInvalidParameterException",
                f"name {acl_name!r} does not match {WAF_NAME.pattern}")
        rules = list(i.get("rules") or [])
        priorities = [r.get("priority") for r in rules]
        require(len(set(priorities)) == len(priorities), "WAFInvalidParameterException",
                f"rule priorities {priorities} are not unique")
        for rule in rules:
            self._check_rule(rule)
        self._check_visibility(i.get("visibilityConfig") or {}, "the web ACL")
        created = self.regional_client("wafv2", region).create_web_acl(
            Name=acl_name, Scope=scope, DefaultAction=aws_shape(i.get("defaultAction")),
            Description=i.get("description", ""), Rules=aws_shape(rules),
            VisibilityConfig=aws_shape(i.get("visibilityConfig")),
            **({"Tags": tag_list(i["tags"])} if i.get("tags") else {}))["Summary"]
        return created["Id"], {"arn": created["ARN"], "name": acl_name,
                               "lockToken": created.get("LockToken", ""),
                               "capacity": 0}


def check_cloudfront_web_acl(wafv2: Any, account_id: str, arn: str) -> None:
    """CloudFront takes (WebACLId) a web ACL of CLOUDFRONT scope, of this account, that exists
    (``wafv2``: a client of us-east-1)."""
    parts = arn.split(":")
    require(len(parts) == 6 and parts[2] == "wafv2" and parts[4] == account_id and
            parts[5].startswith("global/webacl/"), "InvalidWebACLId",
            f"{arn} is not a CLOUDFRONT web ACL of this account")
    _, _, acl_name, acl_id = parts[5].split("/", 3)
    wafv2.get_web_acl(Name=acl_name, Scope="CLOUDFRONT", Id=acl_id)
