"""A web application firewall in front of the stack's CloudFront distributions
(``shipyard:cdn.waf``, on by default in prod).

One AWS WAF web ACL for the stack (scope ``CLOUDFRONT``, so in us-east-1 where CloudFront's
ACLs live), shared by every CDN distribution: requests are allowed unless one of its rules
blocks them:

- AWS's managed rule groups that cost nothing beyond the rule itself: the core rule set
  (``AWSManagedRulesCommonRuleSet``: OWASP-style probes, bad user agents, oversized bodies),
  known bad inputs (``AWSManagedRulesKnownBadInputsRuleSet``: exploit patterns such as Log4j
  lookups) and Amazon's IP reputation list (``AWSManagedRulesAmazonIpReputationList``);
- a rate limit per client IP (``shipyard:cdn.wafRateLimit`` requests in five minutes). WAF on
  CloudFront inspects every viewer request, cache hits included, so the limit counts every
  asset of every page a client loads, and many people can share one address (an office behind
  NAT, a mobile carrier): it is set for a crowd behind one address, not for one browser.

Each rule, and the ACL, sends CloudWatch metrics and keeps sampled requests. WAF's own request
logs stay off (a Firehose, S3 or CloudWatch destination of their own: docs/hardening.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from shipyard.rules.aws_names import GLOBAL_SERVICES_REGION

TYPE = "shipyard:cdn:CdnFirewall"
REGION = GLOBAL_SERVICES_REGION  # CloudFront's web ACLs live there
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                       "AWSManagedRulesAmazonIpReputationList")
NAME_MAX = 128


@dataclass(frozen=True)
class CdnFirewallArgs:
    cluster_name: str
    rate_limit: int = 20000             # requests per client IP in WAF's 5-minute window
    tags: Mapping[str, str] = field(default_factory=dict)


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True)


def rules(rate_limit: int) -> list[aws.wafv2.WebAclRuleArgs]:
    """The managed rule groups in order (their own actions apply), then the rate limit
    (requests per client IP in five minutes)."""
    out = [aws.wafv2.WebAclRuleArgs(
        name=group, priority=priority,
        override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
            none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
        statement=aws.wafv2.WebAclRuleStatementArgs(
            managed_rule_group_statement=aws.wafv2.
            WebAclRuleStatementManagedRuleGroupStatementArgs(vendor_name="AWS", name=group)),
        visibility_config=_visibility(group))
        for priority, group in enumerate(MANAGED_RULE_GROUPS)]
    out.append(aws.wafv2.WebAclRuleArgs(
        name="rate-limit-per-ip", priority=len(out),
        action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
        statement=aws.wafv2.WebAclRuleStatementArgs(
            rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                limit=rate_limit, aggregate_key_type="IP")),
        visibility_config=_visibility("rate-limit-per-ip")))
    return out


class CdnFirewall(pulumi.ComponentResource):
    web_acl_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CdnFirewallArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        acl_name = f"{args.cluster_name}-cdn"[:NAME_MAX]
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-acl", name=acl_name, scope="CLOUDFRONT", region=REGION,
            description=f"{args.cluster_name}: the CDN distributions' firewall",
            default_action=aws.wafv2.WebAclDefaultActionArgs(
                allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=rules(args.rate_limit),
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=acl_name,
                sampled_requests_enabled=True),
            tags={**args.tags, "Name": acl_name},
            opts=pulumi.ResourceOptions(parent=self))
        self.web_acl_arn = self.web_acl.arn
        self.register_outputs({"webAclArn": self.web_acl_arn})
