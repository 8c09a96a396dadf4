"""CloudFront in front of an application's static assets (seed 001: "CloudFront/CDN" before the
site), for the applications whose catalog asks for it (``cdn: {hostname: ...}``).

What one ``Cdn`` creates:

- **the assets bucket**: private and owned by the account (ACLs disabled, public access
  blocked), SSE-S3, versioned (a bad ``aws s3 sync --delete`` can be undone; replaced versions
  expire after ``NONCURRENT_DAYS``), protected with ``protect``. CI uploads the built assets to
  it; nothing else reads it but the distribution. SSE-S3 rather than a customer key: the assets
  are public by design, and CloudFront reads SSE-KMS objects only with a key policy for it.
- **an origin access control** (S3, always sign, SigV4) and a **bucket policy** that lets the
  CloudFront service read objects only on behalf of *this* distribution (``AWS:SourceArn``),
  and refuses any request without TLS.
- **the distribution**: the bucket's regional endpoint as its one origin; viewers redirected to
  HTTPS; TLS 1.2 at least (``TLSv1.2_2021``) with SNI; HTTP/2 and HTTP/3; IPv6; the managed
  ``CachingOptimized`` cache policy (no cookies or query strings in the key, compression) and
  the managed ``SecurityHeadersPolicy`` (HSTS, nosniff, frame options); ``index.html`` at the
  root; edge locations by ``shipyard:cdn.priceClass``; no geographic restriction.
- **access logs** (``shipyard:accessLogs``): CloudFront's standard logging v2, delivered by
  CloudWatch Logs (a delivery source for the distribution, in us-east-1, a destination for the
  stack's access-log bucket and the delivery between them) under
  ``AWSLogs/ACCOUNT/CloudFront/DISTRIBUTION/YYYY/MM/DD/HH``: unlike the legacy standard logs it
  needs no ACL-enabled bucket, which the account's buckets refuse. The assets bucket's own S3
  server access logs go to the same bucket.
- **a certificate in us-east-1** for the hostname (CloudFront reads certificates from that
  region only), DNS-validated through records in the stack's zone, and **alias A and AAAA
  records** for the hostname to the distribution.

The hostname is a label under ``dns.domain`` or a full name inside it: the stack's zone holds
its validation and alias records, so a CDN needs ``dns.enabled``
(``shipyard.config.checks.cdn_problems``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.addons.base import AccessLogTarget
from components.addons.object_store import private_bucket, tls_only_statement
from components.dns import validation_domains
from components.log_storage import DELIVERY_REGION
from shipyard.rules import hostnames, iam
from shipyard.rules.aws_names import APPLICATION_TAG, GLOBAL_SERVICES_REGION

TYPE = "shipyard:cdn:Cdn"
CERTIFICATE_REGION = GLOBAL_SERVICES_REGION  # where CloudFront reads ACM certificates from
ORIGIN_ID = "assets"
MINIMUM_TLS = "TLSv1.2_2021"           # TLS 1.2+ with the 2021 cipher list
VIEWER_PROTOCOL = "redirect-to-https"  # plain HTTP gets a redirect, never content
# AWS-managed policies, fixed ids (CloudFront developer guide: managed cache policies,
# managed response headers policies)
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"
# The hosted zone id of every CloudFront distribution, for Route53 alias records.
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
# Edge locations a distribution may use (``shipyard:cdn.priceClass``, by environment in
# shipyard/config/defaults.py).
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
NONCURRENT_DAYS = 30                   # how long a replaced or deleted asset stays recoverable
LOG_DELIVERY_NAME_MAX = 60             # CloudWatch Logs' names of delivery sources/destinations
# partitions of the delivered logs under AWSLogs/ACCOUNT/CloudFront/ (CloudFront Developer
# Guide, "Configure standard logging (v2)", partitioning)
LOG_SUFFIX_PATH = "{DistributionId}/{yyyy}/{MM}/{dd}/{HH}"


# -- pure functions ---------------------------------------------------------------------------


def bucket_policy(bucket_arn: str, distribution_arn: str) -> str:
    """CloudFront may read objects for this distribution only; nobody without TLS."""
    return json.dumps({"Version": iam.VERSION, "Statement": [
        {"Sid": "AllowCloudFrontOriginAccessControl", "Effect": "Allow",
         "Principal": {"Service": "cloudfront.amazonaws.com"},
         "Action": "s3:GetObject", "Resource": f"{bucket_arn}/*",
         "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}}},
        tls_only_statement(bucket_arn),
    ]})


def oac_name(cluster_name: str, app: str) -> str:
    """Origin access control names are unique per account, 64 characters at most."""
    return f"{cluster_name}-{app}"[:64]


def log_delivery_name(cluster_name: str, app: str) -> str:
    """A delivery source's or destination's name: unique per account and region, letters,
    digits, ``-`` and ``_``, 60 characters at most."""
    return f"{cluster_name}-{app}-cdn"[:LOG_DELIVERY_NAME_MAX].rstrip("-")


# -- component --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CdnArgs:
    app: str
    host: str                              # the full hostname
    domain: str                            # the stack's zone (dns.domain)
    zone_id: pulumi.Input[str]
    cluster_name: str
    price_class: str
    protect: bool = True                   # the assets bucket
    access_logs: AccessLogTarget | None = None   # where its access logs go (None: none)
    web_acl_arn: pulumi.Input[str] | None = None  # the stack's CDN firewall (None: none)
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not hostnames.in_zone(self.domain, self.host):
            raise ValueError(f"{self.app}: CDN hostname {self.host} is outside the zone "
                             f"{self.domain}")
        if self.price_class not in PRICE_CLASSES:
            raise ValueError(f"{self.app}: price class {self.price_class!r}")


class Cdn(pulumi.ComponentResource):
    url: str
    bucket_name: pulumi.Output[str]
    distribution_id: pulumi.Output[str]

    def __init__(self, name: str, args: CdnArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, APPLICATION_TAG: args.app}

        # The policy names the distribution, which names the bucket: written after both.
        self.store = private_bucket(
            f"{name}-assets", purpose=f"cdn-{args.app}", cluster_name=args.cluster_name,
            protect=args.protect, parent=self, expire_after_days=None, tags=tags,
            versioned=True, noncurrent_expire_days=NONCURRENT_DAYS, tls_only=False,
            access_logs=args.access_logs)
        bucket = self.store.bucket
        self.origin_access = aws.cloudfront.OriginAccessControl(
            f"{name}-oac", name=oac_name(args.cluster_name, args.app),
            description=f"CloudFront reads {args.app}'s assets bucket",
            origin_access_control_origin_type="s3", signing_behavior="always",
            signing_protocol="sigv4", opts=child)
        certificate_arn = self._certificate(tags)
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            enabled=True,
            comment=f"{args.app}: static assets at {args.host}",
            aliases=[args.host],
            origins=[aws.cloudfront.DistributionOriginArgs(
                origin_id=ORIGIN_ID, domain_name=bucket.bucket_regional_domain_name,
                origin_access_control_id=self.origin_access.id)],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=ORIGIN_ID, viewer_protocol_policy=VIEWER_PROTOCOL,
                allowed_methods=["GET", "HEAD", "OPTIONS"], cached_methods=["GET", "HEAD"],
                cache_policy_id=CACHING_OPTIMIZED,
                response_headers_policy_id=SECURITY_HEADERS, compress=True),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                acm_certificate_arn=certificate_arn, ssl_support_method="sni-only",
                minimum_protocol_version=MINIMUM_TLS),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="none")),
            default_root_object="index.html",
            price_class=args.price_class,
            http_version="http2and3",
            is_ipv6_enabled=True,
            web_acl_id=args.web_acl_arn,            # WAFv2 takes the web ACL's ARN
            tags={**tags, "Name": args.host},
            opts=child)
        self.policy = aws.s3.BucketPolicy(
            f"{name}-assets-policy", bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, self.distribution.arn).apply(
                lambda a: bucket_policy(a[0], a[1])),
            opts=pulumi.ResourceOptions(parent=bucket))
        self.records = self._alias_records()
        if args.access_logs is not None and args.access_logs.bucket_arn is not None:
            self._access_logs(args.access_logs, tags)

        self.url = f"https://{args.host}"
        self.bucket_name = bucket.bucket
        self.distribution_id = self.distribution.id
        self.register_outputs({"url": self.url, "bucket": self.bucket_name,
                               "distributionId": self.distribution_id})

    def _certificate(self, tags: Mapping[str, str]) -> pulumi.Output[str]:
        """The hostname's certificate in us-east-1 (the resource's own region: the stack's
        provider and credentials, another region), validated through the stack's zone."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        self.certificate = aws.acm.Certificate(
            f"{self._name}-certificate", domain_name=args.host, validation_method="DNS",
            key_algorithm="RSA_2048", region=CERTIFICATE_REGION,
            tags={**tags, "Name": args.host}, opts=child)
        options = self.certificate.domain_validation_options
        self.validation_records: dict[str, aws.route53.Record] = {}
        for label, validated in validation_domains(args.domain, [args.host]).items():
            option = options.apply(lambda opts, d=validated: next(
                o for o in opts if o.domain_name == d))
            self.validation_records[label] = aws.route53.Record(
                f"{self._name}-validation-{label}", zone_id=args.zone_id,
                name=option.resource_record_name, type=option.resource_record_type,
                records=[option.resource_record_value], ttl=60, allow_overwrite=True,
                opts=child)
        self.certificate_validation = aws.acm.CertificateValidation(
            f"{self._name}-certificate-validation", certificate_arn=self.certificate.arn,
            validation_record_fqdns=[r.fqdn for r in self.validation_records.values()],
            region=CERTIFICATE_REGION, opts=child)
        # the distribution gets the ARN once the certificate is issued
        return self.certificate_validation.certificate_arn

    def _access_logs(self, target: AccessLogTarget, tags: Mapping[str, str]) -> None:
        """CloudFront's standard logging v2 to the stack's access-log bucket: a delivery source
        for the distribution, a destination for the bucket, the delivery between them (all in
        us-east-1, where CloudFront's delivery sources live); the bucket's policy lets the
        log delivery service write (``target.ready``)."""
        name = log_delivery_name(self._args.cluster_name, self._args.app)
        child = pulumi.ResourceOptions(parent=self)
        self.log_source = aws.cloudwatch.LogDeliverySource(
            f"{self._name}-log-source", name=name, log_type="ACCESS_LOGS",
            resource_arn=self.distribution.arn, region=DELIVERY_REGION,
            tags={**tags, "Name": name}, opts=child)
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{self._name}-log-destination", name=name, region=DELIVERY_REGION,
            delivery_destination_configuration=aws.cloudwatch.
            LogDeliveryDestinationDeliveryDestinationConfigurationArgs(
                destination_resource_arn=target.bucket_arn),
            tags={**tags, "Name": name}, opts=child)
        self.log_delivery = aws.cloudwatch.LogDelivery(
            f"{self._name}-log-delivery", delivery_source_name=self.log_source.name,
            delivery_destination_arn=destination.arn, region=DELIVERY_REGION,
            s3_delivery_configurations=[aws.cloudwatch.LogDeliveryS3DeliveryConfigurationArgs(
                suffix_path=LOG_SUFFIX_PATH, enable_hive_compatible_path=False)],
            tags={**tags, "Name": name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(target.ready)))

    def _alias_records(self) -> Sequence[aws.route53.Record]:
        args = self._args
        return [aws.route53.Record(
            f"{self._name}-{kind.lower()}", zone_id=args.zone_id, name=args.host, type=kind,
            aliases=[aws.route53.RecordAliasArgs(
                name=self.distribution.domain_name, zone_id=CLOUDFRONT_ZONE_ID,
                evaluate_target_health=False)],
            opts=pulumi.ResourceOptions(parent=self)) for kind in ("A", "AAAA")]
