"""Object storage for an application: an S3 bucket in every environment.

The in-cluster S3 servers are no answer for dev in 2026 (MinIO's community edition is source
only and unmaintained; the others need imperative set-up or privileged pods), and the services
that use object storage reach it through their IRSA role, which only AWS S3 honours — so dev,
staging and prod all get a bucket: private (ownership enforced, public access blocked), TLS
only, encrypted with the tenant's KMS key (bucket keys on: one KMS call per object, not per
request), versioned so an overwrite or delete can be undone, old versions expiring after the
stores' backup retention. ``protect`` (prod) stops ``pulumi destroy`` at it.

No password: each consuming service's IRSA role gets ``access_policy`` (this bucket, its
objects, the key), and its Connection carries the bucket and region.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.addons.object_store import bucket_prefix, tls_only_policy
from components.stores.base import Connection, StoreArgs, StoreComponent, store_port
from shipyard import iam

TYPE = "shipyard:stores:ObjectBucket"
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion")
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def access_policy(bucket_arn: str, key_arn: str | None) -> str:
    """A consuming service's grants: list the bucket, read/write/delete its objects, and use
    the key they are encrypted with."""
    statements = [iam.allow(["s3:ListBucket"], bucket_arn),
                  iam.allow(list(OBJECT_ACTIONS), f"{bucket_arn}/*")]
    if key_arn:
        statements.append(iam.allow(list(KEY_ACTIONS), key_arn))
    return iam.document(*statements)


class ObjectBucket(StoreComponent):
    bucket: aws.s3.Bucket
    policy: pulumi.Output[str]        # what a consumer's role needs

    def __init__(self, name: str, args: StoreArgs, region: str,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        tags = {**args.tags, "shipyard.dev/store": f"{args.app.name}/{args.store_name}",
                "shipyard.dev/purpose": "store"}
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=bucket_prefix(args.cluster_name,
                                        f"{args.app.name}-{args.store_name}"[:24].rstrip("-")),
            force_destroy=False, tags={**tags, "Name": f"{name}-bucket"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        on_bucket = pulumi.ResourceOptions(parent=self.bucket)
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=on_bucket)
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access", bucket=self.bucket.id, block_public_acls=True,
            block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
            opts=on_bucket)
        aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=self.bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"),
            opts=on_bucket)
        by_default = aws.s3.\
            BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn) \
            if args.kms_key_arn else aws.s3.\
            BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256")
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=self.bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=by_default,
                bucket_key_enabled=bool(args.kms_key_arn))],
            opts=on_bucket)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=self.bucket.id,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-old-versions", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_expiration=aws.s3.
                BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=args.stores.backup_retention_days),
                abort_incomplete_multipart_upload=aws.s3.
                BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=1))],
            opts=on_bucket)
        aws.s3.BucketPolicy(f"{name}-tls-only", bucket=self.bucket.id,
                            policy=self.bucket.arn.apply(tls_only_policy), opts=on_bucket)
        key = args.kms_key_arn
        self.policy = pulumi.Output.all(self.bucket.arn, key).apply(
            lambda v: access_policy(v[0], v[1]))
        host = f"s3.{region}.amazonaws.com"
        self.connections = {
            service: Connection(host=host, port=store_port("objectStorage", "managed"),
                                username="", password=None, tls=True,
                                extra={"BUCKET": self.bucket.bucket, "REGION": region})
            for service in args.consumers}
        self.register_outputs({"bucket": self.bucket.bucket})
