"""Where the stack's own logs are kept: the KMS key its CloudWatch log groups are encrypted with.

- **A logs key per region** that holds a log group of the stack: the stack's own region (the
  EKS control-plane logs, the VPC flow logs) and us-east-1 when Route53 query logs are on
  (Route53 writes them there only). Its policy lets the account administer it and CloudWatch
  Logs of that region use it for exactly the stack's log groups (the encryption context names
  each group). It rotates yearly; losing it makes the logs unreadable, so it is protected with
  ``protect``. A log group must be created after its key's policy exists (CloudWatch Logs checks
  it): the groups take the key's ARN, and so wait for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from shipyard.rules import iam

TYPE = "shipyard:logs:LogStorage"


@dataclass(frozen=True)
class LogStorageArgs:
    cluster_name: str
    region: str                                      # the stack's
    log_groups: Mapping[str, Sequence[str]]          # region -> the stack's log group names
    protect: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


class LogStorage(pulumi.ComponentResource):
    keys: dict[str, aws.kms.Key]                     # region -> its logs key

    def __init__(self, name: str, args: LogStorageArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.keys = {}
        for region, groups in sorted(args.log_groups.items()):
            if not groups:
                continue
            # the stack's own region names nothing; another one names the resources and is
            # the resources' own region (pulumi_aws 7's region argument)
            suffix = "" if region == args.region else f"-{region}"
            self.keys[region] = aws.kms.Key(
                f"{name}-key{suffix}",
                description=f"CloudWatch Logs of {args.cluster_name} in {region}",
                enable_key_rotation=True, deletion_window_in_days=30,
                policy=caller.account_id.apply(
                    lambda account, r=region, g=tuple(groups): iam.key_policy(
                        account, iam.logs_key_statement(r, account, g))),
                region=None if region == args.region else region,
                tags={**args.tags, "Name": f"{args.cluster_name}-logs{suffix}"},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
            aws.kms.Alias(
                f"{name}-key-alias{suffix}", name=f"alias/{args.cluster_name}-logs",
                target_key_id=self.keys[region].key_id,
                region=None if region == args.region else region,
                opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"keyArns": {r: k.arn for r, k in self.keys.items()}})

    def key_arn(self, region: str) -> pulumi.Output[str] | None:
        key = self.keys.get(region)
        return key.arn if key is not None else None
