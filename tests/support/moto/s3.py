"""S3 in moto: buckets and their configurations."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi

from offline.mocks import bucket_name
from tests.support.moto.base import MotoBase
from tests.support.moto.core import (
    _Invalid,
    as_bool,
    as_json,
    drop_none,
    handles,
    require,
    tag_list,
)

S3_SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
S3_OBJECT_OWNERSHIP = frozenset({"BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"})
# S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit at each end
S3_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class S3(MotoBase):
    """S3 buckets, their encryption, public access block, ownership, lifecycle, versioning
    and policy."""

    @handles("aws:s3/bucket:Bucket")
    def _s3_bucket(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        s3 = self.client("s3")
        bucket = bucket_name(name, i, pulumi.get_stack())
        # moto accepts names AWS refuses (upper case, underscores, too long)
        require(S3_BUCKET_NAME.match(bucket) and ".." not in bucket, "InvalidBucketName",
                f"The specified bucket is not valid: {bucket!r}")
        region = i.get("region") or self.region
        s3.create_bucket(**drop_none(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            if region != "us-east-1" else None))
        if i.get("tags"):
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(i["tags"])})
        return bucket, {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "region": region,
                        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
                        "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com"}

    @handles("aws:s3/bucketServerSideEncryptionConfiguration:"
             "BucketServerSideEncryptionConfiguration")
    def _s3_encryption(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rules = []
        for rule in i.get("rules") or []:
            default = self._one(rule.get("applyServerSideEncryptionByDefault"))
            algorithm = default.get("sseAlgorithm")
            require(algorithm in S3_SSE_ALGORITHMS, "InvalidArgument",
                    f"sseAlgorithm {algorithm!r} is not one of {sorted(S3_SSE_ALGORITHMS)}")
            require(not default.get("kmsMasterKeyId") or algorithm != "AES256",
                    "InvalidArgument", "a KMS key goes with aws:kms, not AES256")
            if default.get("kmsMasterKeyId"):
                self.client("kms").describe_key(KeyId=default["kmsMasterKeyId"])
            rules.append(drop_none(
                ApplyServerSideEncryptionByDefault=drop_none(
                    SSEAlgorithm=algorithm, KMSMasterKeyID=default.get("kmsMasterKeyId")),
                BucketKeyEnabled=as_bool(rule["bucketKeyEnabled"])
                if rule.get("bucketKeyEnabled") is not None else None))
        require(rules, "MalformedXML", "an encryption configuration needs a rule")
        bucket = i.get("bucket", "")
        self.client("s3").put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})
        return bucket, {}

    @handles("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    def _s3_public_access_block(self, name: str, i: dict[str, Any]
                                ) -> tuple[str, dict[str, Any]]:
        bucket = i.get("bucket", "")
        self.client("s3").put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": as_bool(i.get("blockPublicAcls", False)),
            "IgnorePublicAcls": as_bool(i.get("ignorePublicAcls", False)),
            "BlockPublicPolicy": as_bool(i.get("blockPublicPolicy", False)),
            "RestrictPublicBuckets": as_bool(i.get("restrictPublicBuckets", False))})
        return bucket, {}

    @handles("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    def _s3_ownership_controls(self, name: str, i: dict[str, Any]
                               ) -> tuple[str, dict[str, Any]]:
        bucket = i.get("bucket", "")
        ownership = self._one(i.get("rule")).get("objectOwnership")
        require(ownership in S3_OBJECT_OWNERSHIP, "MalformedXML",
                f"objectOwnership {ownership!r} is not one of {sorted(S3_OBJECT_OWNERSHIP)}")
        self.client("s3").put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})
        return bucket, {}

    @handles("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    def _s3_lifecycle(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rules = []
        for rule in i.get("rules") or []:
            status = rule.get("status")
            require(status in ("Enabled", "Disabled"), "MalformedXML",
                    f"rule {rule.get('id')!r}: status {status!r}")
            expiration = self._one(rule.get("expiration"))
            days = expiration.get("days")
            require(days is None or days > 0, "InvalidArgument",
                    f"rule {rule.get('id')!r}: expiration days must be a positive integer")
            abort = self._one(rule.get("abortIncompleteMultipartUpload"))
            noncurrent = self._one(rule.get("noncurrentVersionExpiration"))
            require(noncurrent.get("noncurrentDays") is None or noncurrent["noncurrentDays"] > 0,
                    "InvalidArgument", f"rule {rule.get('id')!r}: noncurrentDays must be a "
                    f"positive integer")
            flt = rule.get("filter")
            rules.append(drop_none(
                ID=rule.get("id"), Status=status,
                Filter={"Prefix": self._one(flt).get("prefix", "")} if flt is not None
                else None,
                Prefix=rule.get("prefix") if flt is None else None,
                Expiration=drop_none(Days=days, Date=expiration.get("date"),
                                     ExpiredObjectDeleteMarker=expiration.get(
                                         "expiredObjectDeleteMarker")),
                NoncurrentVersionExpiration={"NoncurrentDays": noncurrent["noncurrentDays"]}
                if noncurrent.get("noncurrentDays") else None,
                AbortIncompleteMultipartUpload={
                    "DaysAfterInitiation": abort["daysAfterInitiation"]}
                if abort.get("daysAfterInitiation") else None))
            if flt is None and rule.get("prefix") is None:
                rules[-1]["Filter"] = {"Prefix": ""}
        require(rules, "MalformedXML", "a lifecycle configuration needs a rule")
        bucket = i.get("bucket", "")
        self.client("s3").put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": rules})
        return bucket, {}

    @handles("aws:s3/bucketVersioning:BucketVersioning")
    def _s3_versioning(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        config = self._one(i.get("versioningConfiguration"))
        status = config.get("status")
        # "Disabled" is the provider's own value for never-enabled; S3 takes the other two
        require(status in ("Enabled", "Suspended", "Disabled"), "MalformedXML",
                f"versioning status {status!r}")
        bucket = i.get("bucket", "")
        if status != "Disabled":
            self.client("s3").put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": status})
        return bucket, {}

    @handles("aws:s3/bucketPolicy:BucketPolicy")
    def _s3_bucket_policy(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        bucket = i.get("bucket", "")
        document = as_json(i.get("policy", ""))
        try:
            parsed = json.loads(document)
        except ValueError as e:
            raise _Invalid("MalformedPolicy", f"Policies must be valid JSON: {e}") from e
        require(isinstance(parsed, dict) and parsed.get("Statement"), "MalformedPolicy",
                "a bucket policy needs a Statement")
        arn = f"arn:aws:s3:::{bucket}"
        for statement in parsed["Statement"]:
            resources = statement.get("Resource", [])
            resources = [resources] if isinstance(resources, str) else resources
            # AWS refuses a bucket policy naming another bucket
            require(resources and all(r == arn or r.startswith(arn + "/") for r in resources),
                    "MalformedPolicy", "Policy has invalid resource")
        self.client("s3").put_bucket_policy(Bucket=bucket, Policy=document)
        return bucket, {"policy": document}

    @handles("aws:s3/bucketLogging:BucketLogging")
    def _s3_bucket_logging(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        bucket, target = i.get("bucket", ""), i.get("targetBucket", "")
        s3 = self.client("s3")
        # moto checks the target exists, is in the bucket's region and that its policy lets
        # S3's logging service write under the prefix; AWS also refuses a target that logs
        # itself or whose default encryption is SSE-KMS (it cannot write there)
        require(target != bucket, "InvalidTargetBucketForLogging",
                "a bucket cannot keep its own server access logs")
        rules = s3.get_bucket_encryption(Bucket=target)[
            "ServerSideEncryptionConfiguration"]["Rules"]
        require(all(r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
                    for r in rules), "InvalidTargetBucketForLogging",
                "server access logs cannot be delivered to a bucket encrypted with SSE-KMS by "
                "default")
        key_format = self._one(i.get("targetObjectKeyFormat"))
        partitioned = self._one(key_format.get("partitionedPrefix"))
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": drop_none(
            TargetBucket=target, TargetPrefix=i.get("targetPrefix", ""),
            TargetObjectKeyFormat={"PartitionedPrefix": {
                "PartitionDateSource": partitioned.get("partitionDateSource", "EventTime")}}
            if partitioned else None)})
        return bucket, {}
