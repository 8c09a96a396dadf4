"""Where the stack's own logs are kept: the KMS keys its CloudWatch log groups are encrypted
with, and the bucket its access logs go to.

- **A logs key per region** that holds a log group of the stack: the stack's own region (the
  EKS control-plane logs, the VPC flow logs) and us-east-1 when Route53 query logs are on
  (Route53 writes them there only). Its policy lets the account administer it and CloudWatch
  Logs of that region use it for exactly the stack's log groups (the encryption context names
  each group). It rotates yearly; losing it makes the logs unreadable, so it is protected with
  ``protect``. A log group must be created after its key's policy exists (CloudWatch Logs checks
  it): the groups take the key's ARN, and so wait for it.
- **The access-log bucket** (``shipyard:accessLogs``): S3 server access logs of every data
  bucket (under ``s3/``, partitioned by source bucket and date) and CloudFront's access logs
  (standard logging v2, through CloudWatch Logs' log delivery, under ``AWSLogs/ACCOUNT/``).
  Private, owned by the account (ACLs disabled: both services write through the bucket policy,
  which names each of them, this account and where they may write), TLS only, SSE-S3 (S3 does
  not deliver server access logs to a bucket whose default encryption is SSE-KMS), expiring
  after ``retention_days``, protected with ``protect``. It logs nothing of its own (a loop).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.addons.base import AccessLogTarget
from components.addons.object_store import private_bucket, tls_only_statement
from shipyard.rules import iam
from shipyard.rules.aws_names import GLOBAL_SERVICES_REGION

TYPE = "shipyard:logs:LogStorage"
S3_LOGS_PREFIX = "s3/"              # S3 server access logs, then account/region/bucket/date
LOGGING_SERVICE = "logging.s3.amazonaws.com"
DELIVERY_SERVICE = "delivery.logs.amazonaws.com"    # CloudWatch Logs' log delivery (CloudFront)
# Where CloudFront's log delivery lives (its delivery sources, and so the destinations and
# deliveries they pair with): us-east-1 only (CloudFront Developer Guide, "Configure standard
# logging (v2)"). The bucket policy's source condition and the CDN's delivery use this one.
DELIVERY_REGION = GLOBAL_SERVICES_REGION


def access_log_bucket_policy(bucket_arn: str, account_id: str,
                             partition: str = "aws") -> str:
    """S3's logging service may write server access logs under ``s3/``, CloudWatch Logs' log
    delivery CloudFront's under ``AWSLogs/ACCOUNT/``, each for this account's sources only
    (S3 User Guide, "Enabling Amazon S3 server access logging"; CloudWatch Logs User Guide,
    "Logs sent to Amazon S3"); nobody without TLS."""
    return json.dumps({"Version": iam.VERSION, "Statement": [
        {"Sid": "S3ServerAccessLogs", "Effect": "Allow",
         "Principal": {"Service": LOGGING_SERVICE},
         "Action": "s3:PutObject", "Resource": f"{bucket_arn}/{S3_LOGS_PREFIX}*",
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}},
        {"Sid": "CloudFrontAccessLogs", "Effect": "Allow",
         "Principal": {"Service": DELIVERY_SERVICE},
         "Action": "s3:PutObject", "Resource": f"{bucket_arn}/AWSLogs/{account_id}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                        "aws:SourceAccount": account_id},
                       "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{DELIVERY_REGION}:"
                                                    f"{account_id}:delivery-source:*"}}},
        tls_only_statement(bucket_arn),
    ]})


@dataclass(frozen=True)
class LogStorageArgs:
    cluster_name: str
    region: str                                      # the stack's
    log_groups: Mapping[str, Sequence[str]]          # region -> the stack's log group names
    access_logs: bool = False                        # the access-log bucket
    access_log_retention_days: int = 365
    protect: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


class LogStorage(pulumi.ComponentResource):
    keys: dict[str, aws.kms.Key]                     # region -> its logs key
    access_log_target: AccessLogTarget | None        # the data buckets' server access logs

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
        self.access_log_target = None
        self.access_log_bucket = None
        if args.access_logs:
            made = private_bucket(
                f"{name}-access", purpose="access-logs", cluster_name=args.cluster_name,
                protect=args.protect, parent=self,
                expire_after_days=args.access_log_retention_days, tags=args.tags,
                tls_only=False)
            bucket = made.bucket
            policy = aws.s3.BucketPolicy(
                f"{name}-access-policy", bucket=bucket.id,
                policy=pulumi.Output.all(bucket.arn, caller.account_id).apply(
                    lambda a: access_log_bucket_policy(a[0], a[1])),
                opts=pulumi.ResourceOptions(parent=bucket))
            self.access_log_bucket = bucket
            self.access_log_target = AccessLogTarget(bucket=bucket.bucket, prefix=S3_LOGS_PREFIX,
                                                     ready=(policy,), bucket_arn=bucket.arn)
        self.register_outputs({
            "keyArns": {r: k.arn for r, k in self.keys.items()},
            "accessLogBucket": self.access_log_bucket.bucket if self.access_log_bucket else None,
        })

    def key_arn(self, region: str) -> pulumi.Output[str] | None:
        key = self.keys.get(region)
        return key.arn if key is not None else None
