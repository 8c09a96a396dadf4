"""Object storage for an application: an S3 bucket in every environment.

The in-cluster S3 servers are no answer for dev in 2026 (MinIO's community edition is source
only and unmaintained; the others need imperative set-up or privileged pods), and the services
that use object storage reach it through their AWS role, which only AWS S3 honours — so dev,
staging and prod all get a bucket: private (ownership enforced, public access blocked), TLS
only, encrypted with the tenant's KMS key (bucket keys on: one KMS call per object, not per
request), versioned so an overwrite or delete can be undone, old versions expiring after the
stores' backup retention. ``protect`` (prod) stops ``pulumi destroy`` at it.

No password: each consuming service's AWS role gets ``access_policy`` (this bucket, its
objects, the key), and its Connection carries the bucket and region.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.addons.object_store import private_bucket
from components.stores.base import Connection, StoreArgs, StoreComponent, store_port
from shipyard.rules import iam
from shipyard.rules.aws_names import STORE_TAG

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
        # the account's private-bucket recipe (object_store.private_bucket): ownership
        # enforced, public access blocked, SSE-KMS with the tenant key, versioned, old versions
        # expiring after the stores' backup retention, TLS only
        made = private_bucket(
            name, purpose=f"{args.app.name}-{args.store_name}"[:24].rstrip("-"),
            cluster_name=args.cluster_name, protect=args.protect, parent=self,
            expire_after_days=None, versioned=True, kms_key_arn=args.kms_key_arn,
            noncurrent_expire_days=args.stores.backup_retention_days,
            access_logs=args.access_logs,
            tags={**args.tags, STORE_TAG: f"{args.app.name}/{args.store_name}",
                  "shipyard.dev/purpose": "store"})
        self.bucket = made.bucket
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
