"""An S3 bucket that one add-on's pods (Loki, Tempo) keep their data in, and the AWS role
(Pod Identity or IRSA) that lets exactly their service account use it.

The bucket is private and owned by the account (public access blocked, ACLs disabled),
encrypted at rest (SSE-S3: no key to pay for or to grant), reachable over TLS only, and expires
objects one day after the add-on's own retention, so data the add-on failed to delete (a
compactor that was down) still goes. No versioning: the add-on rewrites and deletes its own
blocks, and old versions would only keep what retention is meant to drop. The bucket is
protected with ``protect`` (stack setting): ``pulumi destroy`` stops at it.

The role's inline policy names this bucket only: list it, read, write and delete its objects.

``private_bucket`` is the bucket half on its own, for buckets whose data must survive a
mistake (Velero's backups, a CDN's assets): it adds versioning, SSE-KMS with a customer key and
the expiry of noncurrent versions when asked, and can leave the bucket policy to the caller
(one policy per bucket: a CDN's names its distribution). Without those options it builds
exactly what ``object_store`` always has. Given an ``AccessLogTarget`` (the stack's access-log
bucket, ``shipyard:accessLogs``), S3 writes the bucket's server access logs there.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.addons.base import AccessLogTarget, ClusterContext
from components.workload_identity import (
    ServiceAccountRole,
    WorkloadIdentity,
    service_account_role,
)
from shipyard.rules import iam

# What Loki and Tempo do with their objects (Tempo also tags them: its docs list the tagging
# actions for the compactor).
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
TAGGING_ACTIONS = ("s3:GetObjectTagging", "s3:PutObjectTagging")
BUCKET_PREFIX_MAX = 37          # the provider's limit for bucket_prefix
ABORT_MULTIPART_DAYS = 1        # an upload still incomplete after a day is abandoned


def expiry_days(retention_days: int) -> int:
    """The bucket's lifecycle expiry: one day after the add-on's own retention."""
    return retention_days + 1


def hours_to_days(hours: int) -> int:
    return math.ceil(hours / 24)


def bucket_prefix(cluster_name: str, purpose: str) -> str:
    """``<cluster>-<purpose>-`` (S3 names are lowercase), within the provider's limit."""
    suffix = f"-{purpose}-"
    return cluster_name.lower()[:BUCKET_PREFIX_MAX - len(suffix)].rstrip("-") + suffix


def access_policy(bucket_arn: str, *, tagging: bool = False) -> str:
    """Least privilege for the add-on's pods: this bucket and its objects, nothing else."""
    actions = [*OBJECT_ACTIONS, *(TAGGING_ACTIONS if tagging else ())]
    return iam.document(
        iam.allow(["s3:ListBucket"], bucket_arn),
        iam.allow(actions, f"{bucket_arn}/*"),
    )


def tls_only_statement(bucket_arn: str) -> dict:
    """Every request to the bucket or its objects without TLS is refused."""
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
            "Action": "s3:*", "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def tls_only_policy(bucket_arn: str) -> str:
    """The bucket policy: every request without TLS is refused."""
    return json.dumps({"Version": iam.VERSION, "Statement": [tls_only_statement(bucket_arn)]})


@dataclass(frozen=True)
class ObjectStore:
    """The bucket, its settings and the role; a release using it waits for ``ready``: the
    role's association and grants (the bucket itself comes in with its name)."""

    bucket: aws.s3.Bucket
    role: ServiceAccountRole
    settings: tuple[pulumi.Resource, ...]

    @property
    def bucket_name(self) -> pulumi.Output[str]:
        return self.bucket.bucket

    @property
    def ready(self) -> list[pulumi.Resource]:
        return self.role.ready


@dataclass(frozen=True)
class PrivateBucket:
    """A private bucket and the resources that configure it (ownership, public access block,
    encryption, lifecycle, and versioning and the TLS-only policy when created)."""

    bucket: aws.s3.Bucket
    settings: tuple[pulumi.Resource, ...]


def lifecycle_rules(*, expire_after_days: int | None,
                    noncurrent_expire_days: int | None = None
                    ) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """The bucket's lifecycle: current objects expire after ``expire_after_days`` (None: never),
    noncurrent versions ``noncurrent_expire_days`` after they were replaced or deleted (a
    versioned bucket); every rule also aborts incomplete multipart uploads after a day (their
    parts are billed as storage and never show in a listing)."""
    abort = aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
        days_after_initiation=ABORT_MULTIPART_DAYS)
    rules = [aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="expire-after-retention" if expire_after_days is not None else "expire-leftovers",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
            days=expire_after_days) if expire_after_days is not None else None,
        noncurrent_version_expiration=aws.s3.
        BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=noncurrent_expire_days)
        if noncurrent_expire_days is not None else None,
        abort_incomplete_multipart_upload=abort)]
    if noncurrent_expire_days is not None:
        # Once its last noncurrent version expires, a deleted object leaves only its delete
        # marker: remove those too (S3 refuses this action in a rule that also expires by days).
        rules.append(aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="remove-expired-delete-markers", status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                expired_object_delete_marker=True),
            abort_incomplete_multipart_upload=abort))
    return rules


def private_bucket(name: str, *, purpose: str, cluster_name: str, protect: bool,
                   parent: pulumi.Resource, expire_after_days: int | None,
                   tags: Mapping[str, str] | None = None,
                   after: Sequence[pulumi.Resource] = (), versioned: bool = False,
                   kms_key_arn: pulumi.Input[str] | None = None,
                   noncurrent_expire_days: int | None = None,
                   tls_only: bool = True,
                   access_logs: AccessLogTarget | None = None) -> PrivateBucket:
    """Create ``{name}-bucket`` and its settings under ``parent``. ``kms_key_arn``: SSE-KMS
    with that key (and S3 Bucket Keys, one KMS call per object batch) instead of SSE-S3;
    ``tls_only`` False: the caller writes the bucket policy (it must deny insecure transport
    too: ``tls_only_statement``); ``access_logs``: where its server access logs go."""
    if noncurrent_expire_days is not None and not versioned:
        raise ValueError(f"{name}: noncurrent versions expire only in a versioned bucket")
    bucket = aws.s3.Bucket(
        f"{name}-bucket",
        bucket_prefix=bucket_prefix(cluster_name, purpose),
        force_destroy=False,
        # a caller's own purpose tag wins (the applications' buckets say "store")
        tags={"shipyard.dev/purpose": purpose, **(tags or {}), "Name": f"{name}-bucket"},
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, depends_on=list(after)))
    on_bucket = pulumi.ResourceOptions(parent=bucket)
    # Ownership first: with ACLs disabled nothing can make an object public through an ACL.
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=on_bucket)
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access", bucket=bucket.id, block_public_acls=True,
        block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
        opts=on_bucket)
    by_default = aws.s3.\
        BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn) if kms_key_arn is not None \
        else aws.s3.\
        BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="AES256")
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=by_default,
            bucket_key_enabled=True if kms_key_arn is not None else None)],
        opts=on_bucket)
    settings: list[pulumi.Resource] = [ownership, public_access, encryption]
    versioning: list[pulumi.Resource] = []
    if versioned:
        versioning.append(aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"),
            opts=on_bucket))
    # Versioning first (the provider's documented order): rules for noncurrent versions are
    # written against a versioned bucket.
    settings += [*versioning, aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle", bucket=bucket.id,
        rules=lifecycle_rules(expire_after_days=expire_after_days,
                              noncurrent_expire_days=noncurrent_expire_days),
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=versioning))]
    if tls_only:
        # Deny only: not a public policy, so the public access block does not refuse it.
        settings.append(aws.s3.BucketPolicy(
            f"{name}-tls-only", bucket=bucket.id, policy=bucket.arn.apply(tls_only_policy),
            opts=on_bucket))
    if access_logs is not None:
        settings.append(aws.s3.BucketLogging(
            f"{name}-access-logs", bucket=bucket.id, target_bucket=access_logs.bucket,
            target_prefix=access_logs.prefix,
            target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                    partition_date_source="EventTime")),
            opts=pulumi.ResourceOptions(parent=bucket, depends_on=list(access_logs.ready))))
    return PrivateBucket(bucket=bucket, settings=tuple(settings))


def object_store(name: str, *, purpose: str, cluster_name: str, identity: WorkloadIdentity,
                 namespace: str, service_account: str, expire_after_days: int,
                 protect: bool, parent: pulumi.Resource, tagging: bool = False,
                 tags: Mapping[str, str] | None = None,
                 after: Sequence[pulumi.Resource] = (),
                 access_logs: AccessLogTarget | None = None) -> ObjectStore:
    """Create ``{name}-bucket`` (and its settings) and ``{name}-role`` (and its policy and
    association) under ``parent``."""
    made = private_bucket(name, purpose=purpose, cluster_name=cluster_name, protect=protect,
                          parent=parent, expire_after_days=expire_after_days, tags=tags,
                          after=after, access_logs=access_logs)
    bucket = made.bucket
    role = service_account_role(
        name, identity=identity, namespace=namespace, service_account=service_account,
        parent=parent, policy=bucket.arn.apply(lambda arn: access_policy(arn, tagging=tagging)),
        tags=tags, former=f"{name}-irsa")
    return ObjectStore(bucket=bucket, role=role, settings=made.settings)


def optional_store(name: str, *, storage: str, ctx: ClusterContext, purpose: str, label: str,
                   namespace: str, service_account: str, expire_after_days: int,
                   protect: bool, parent: pulumi.Resource,
                   tagging: bool = False) -> ObjectStore | None:
    """The bucket and role a release keeps its data in when ``storage`` is s3; None when it
    keeps it on a volume."""
    if storage != "s3":
        return None
    if ctx.identity is None:
        raise ValueError(f"{label} on S3 needs an EKS cluster (its AWS role); use storage "
                         f"filesystem on an existing cluster")
    return object_store(name, purpose=purpose, cluster_name=ctx.cluster_name,
                        identity=ctx.identity,
                        namespace=namespace, service_account=service_account,
                        expire_after_days=expire_after_days, protect=protect, parent=parent,
                        tagging=tagging, tags=ctx.tags, access_logs=ctx.access_logs)


def store_location(store: ObjectStore | None, region: str) -> dict[str, Any]:
    """What a chart's values need of a store: bucket, region, the service account's
    annotations (IRSA's role ARN; none with Pod Identity) and its pods' (the workload identity:
    a switch rolls them) (all None: a volume)."""
    if store is None:
        return {"bucket": None, "region": None, "annotations": None, "pod_annotations": None}
    return {"bucket": store.bucket_name, "region": region,
            "annotations": store.role.annotations,
            "pod_annotations": store.role.pod_annotations}
