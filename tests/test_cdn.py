"""CloudFront for the applications that ask for it (learning-platform, code-learn): a private,
versioned assets bucket only the distribution reads (origin access control, AWS:SourceArn),
HTTPS only with TLS 1.2+, a certificate in us-east-1 validated in the stack's zone, and alias
records for the hostname. No CDN for the other applications."""

import json

import pytest

from components.cdn import (
    CACHING_OPTIMIZED,
    CLOUDFRONT_ZONE_ID,
    MINIMUM_TLS,
    NONCURRENT_DAYS,
    SECURITY_HEADERS,
    bucket_policy,
    oac_name,
)
from shipyard.catalog.models import Cdn
from shipyard.config.checks import cdn_problems
from shipyard.config.dns import DnsSettings
from tests.support.plans import only
from tests.support.settings import stack_settings

COMPONENT = "shipyard:cdn:Cdn"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
BUCKET_ARN = "arn:aws:s3:::shipyard-prod-cdn-learning-platform-abc"
DISTRIBUTION_ARN = "arn:aws:cloudfront::123456789012:distribution/E1ABCDEF"
WITH_CDN = {"learning-platform": "learn-static", "code-learn": "code-static"}


def cdn_of(plan, app):
    return only([r for r in plan.of_type(COMPONENT) if r.name == f"apps-{app}-cdn"])


def under(plan, component, type_):
    """Resources of ``type_`` anywhere below ``component``."""
    index = {r.urn: r for r in plan.resources}

    def below(r):
        parent = r.parent
        while parent in index:
            if parent == component.urn:
                return True
            parent = index[parent].parent
        return False

    return [r for r in plan.of_type(type_) if below(r)]


def one(plan, app, type_, suffix=""):
    return only([r for r in under(plan, cdn_of(plan, app), type_) if r.name.endswith(suffix)])


# -- pure -------------------------------------------------------------------------------------


def test_the_bucket_is_readable_only_through_this_distribution_and_tls():
    statements = json.loads(bucket_policy(BUCKET_ARN, DISTRIBUTION_ARN))["Statement"]
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject" and allow["Resource"] == f"{BUCKET_ARN}/*"
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": DISTRIBUTION_ARN}}
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Principal"] == "*" and deny["Resource"] == [BUCKET_ARN, f"{BUCKET_ARN}/*"]


def test_oac_names_fit_cloudfronts_limit():
    assert oac_name("shipyard-prod", "learning-platform") == "shipyard-prod-learning-platform"
    assert len(oac_name("c" * 60, "a" * 60)) == 64


def test_the_stacks_cdns_are_consistent():
    for stack in ("dev", "staging", "prod"):
        assert cdn_problems(stack_settings(stack)) == [], stack


def _without_dns(settings):
    config = settings.config.model_copy(update={"dns": DnsSettings(enabled=False)})
    return settings.model_copy(update={"config": config})


def _with_cdn(settings, app_name, hostname):
    apps = tuple(a.model_copy(update={"cdn": Cdn(hostname=hostname)}) if a.name == app_name
                 else a for a in settings.applications)
    return settings.model_copy(update={"applications": apps})


def test_a_cdn_without_the_stacks_zone_is_refused_naming_the_setting():
    problems = cdn_problems(_without_dns(stack_settings("dev")))
    assert sorted(p.split(":", 2)[1] for p in problems) == [
        "applications.code-learn.cdn", "applications.learning-platform.cdn"]
    assert all("dns.enabled is false" in p for p in problems)


def test_a_cdn_hostname_outside_the_zone_or_taken_is_refused():
    settings = stack_settings("dev")
    outside = cdn_problems(_with_cdn(settings, "learning-platform", "static.example.org"))
    assert outside == [f"shipyard:applications.learning-platform.cdn.hostname: "
                       f"static.example.org is outside dns.domain ({settings.dns.domain}), the "
                       f"zone its records go in (value: \"static.example.org\")"]
    site = settings.application_host(only([a for a in settings.applications
                                           if a.name == "sre-platform"]))
    [taken] = cdn_problems(_with_cdn(settings, "learning-platform", site))
    assert "learning-platform.cdn.hostname" in taken and "sre-platform's site" in taken


def test_a_disabled_cdn_needs_nothing():
    settings = _without_dns(stack_settings("dev"))
    apps = tuple(a.model_copy(update={"cdn": None}) for a in settings.applications)
    assert cdn_problems(settings.model_copy(update={"applications": apps})) == []


# -- the plans --------------------------------------------------------------------------------


def test_only_the_applications_asking_for_a_cdn_get_one(stack_plan):
    distributions = stack_plan.of_type(DISTRIBUTION)
    cdns = {r.name.removeprefix("apps-").removesuffix("-cdn")
            for r in stack_plan.of_type(COMPONENT)}
    assert cdns == set(WITH_CDN)
    assert len(distributions) == len(WITH_CDN)
    domain = stack_settings(stack_plan.stack).dns.domain
    assert stack_plan.outputs["cdnUrls"] == {
        app: f"https://{label}.{domain}" for app, label in WITH_CDN.items()}
    assert set(stack_plan.outputs["cdnBuckets"]) == set(WITH_CDN)
    assert set(stack_plan.outputs["cdnDistributionIds"]) == set(WITH_CDN)


@pytest.mark.parametrize("app", sorted(WITH_CDN))
def test_the_distribution_serves_https_only_with_tls_12_from_the_bucket_via_oac(prod, app):
    host = f"{WITH_CDN[app]}.{stack_settings('prod').dns.domain}"
    distribution = one(prod, app, DISTRIBUTION)
    i = distribution.inputs
    assert i["aliases"] == [host] and i["enabled"] is True
    behaviour = i["defaultCacheBehavior"]
    assert behaviour["viewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["cachePolicyId"] == CACHING_OPTIMIZED
    assert behaviour["responseHeadersPolicyId"] == SECURITY_HEADERS
    assert behaviour["compress"] is True
    assert set(behaviour["allowedMethods"]) == {"GET", "HEAD", "OPTIONS"}
    viewer = i["viewerCertificate"]
    assert viewer["minimumProtocolVersion"] == MINIMUM_TLS == "TLSv1.2_2021"
    assert viewer["sslSupportMethod"] == "sni-only"
    validation = one(prod, app, "aws:acm/certificateValidation:CertificateValidation")
    assert validation.urn in distribution.dependencies
    assert (i["httpVersion"], i["isIpv6Enabled"], i["defaultRootObject"]) == (
        "http2and3", True, "index.html")
    assert i["restrictions"]["geoRestriction"]["restrictionType"] == "none"
    assert i["priceClass"] == "PriceClass_All"
    [origin] = i["origins"]
    oac = one(prod, app, OAC)
    assert origin["originAccessControlId"] == oac.id
    assert (oac.inputs["originAccessControlOriginType"], oac.inputs["signingBehavior"],
            oac.inputs["signingProtocol"]) == ("s3", "always", "sigv4")
    bucket = one(prod, app, "aws:s3/bucket:Bucket")
    assert origin["domainName"] == bucket.outputs["bucketRegionalDomainName"]
    assert behaviour["targetOriginId"] == origin["originId"]


def test_dev_uses_the_cheapest_edge_locations(dev):
    assert {r.inputs["priceClass"] for r in dev.of_type(DISTRIBUTION)} == {"PriceClass_100"}


@pytest.mark.parametrize("app", sorted(WITH_CDN))
def test_the_certificate_is_in_us_east_1_and_validated_in_the_stacks_zone(prod, app):
    host = f"{WITH_CDN[app]}.{stack_settings('prod').dns.domain}"
    certificate = one(prod, app, "aws:acm/certificate:Certificate")
    assert certificate.inputs["region"] == "us-east-1"
    assert certificate.inputs["domainName"] == host
    assert certificate.inputs["validationMethod"] == "DNS"
    validation = one(prod, app, "aws:acm/certificateValidation:CertificateValidation")
    assert validation.inputs["region"] == "us-east-1"
    zone = only(prod.of_type("aws:route53/zone:Zone"))
    record = one(prod, app, "aws:route53/record:Record", f"-validation-{WITH_CDN[app]}")
    assert record.inputs["zoneId"] == zone.outputs["zoneId"]
    assert record.urn in validation.dependencies


@pytest.mark.parametrize("app", sorted(WITH_CDN))
def test_the_hostname_is_an_a_and_aaaa_alias_to_the_distribution(prod, app):
    host = f"{WITH_CDN[app]}.{stack_settings('prod').dns.domain}"
    zone = only(prod.of_type("aws:route53/zone:Zone"))
    distribution = one(prod, app, DISTRIBUTION)
    kinds = set()
    for kind in ("A", "AAAA"):
        record = one(prod, app, "aws:route53/record:Record", f"-{kind.lower()}")
        assert (record.inputs["type"], record.inputs["name"]) == (kind, host)
        assert record.inputs["zoneId"] == zone.outputs["zoneId"]
        [alias] = record.inputs["aliases"]
        assert alias["zoneId"] == CLOUDFRONT_ZONE_ID
        assert distribution.urn in record.dependencies
        kinds.add(kind)
    assert kinds == {"A", "AAAA"}


@pytest.mark.parametrize("app", sorted(WITH_CDN))
def test_the_bucket_is_private_versioned_protected_and_read_only_by_its_distribution(prod, app):
    bucket = one(prod, app, "aws:s3/bucket:Bucket")
    assert bucket.options["protect"] is True
    distribution = one(prod, app, DISTRIBUTION)
    policy = one(prod, app, "aws:s3/bucketPolicy:BucketPolicy")
    # the distribution's ARN, once AWS assigns it (tests/test_moto.py reads the real one)
    assert distribution.urn in policy.dependencies
    assert json.loads(policy.inputs["policy"]) == json.loads(
        bucket_policy(bucket.outputs["arn"], distribution.outputs.get("arn")))
    public = one(prod, app, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(public.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy",
                                          "ignorePublicAcls", "restrictPublicBuckets"))
    ownership = one(prod, app, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    versioning = one(prod, app, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    encryption = one(prod, app, "aws:s3/bucketServerSideEncryptionConfiguration:"
                                "BucketServerSideEncryptionConfiguration")
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"][
        "sseAlgorithm"] == "AES256"
    lifecycle = one(prod, app, "aws:s3/bucketLifecycleConfiguration:"
                               "BucketLifecycleConfiguration")
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    # the assets themselves never expire; replaced versions do
    assert "expiration" not in rules["expire-leftovers"]
    assert rules["expire-leftovers"]["noncurrentVersionExpiration"]["noncurrentDays"] == \
        NONCURRENT_DAYS
    # exactly one bucket policy (S3 keeps one per bucket): no separate TLS-only policy
    assert len(under(prod, cdn_of(prod, app), "aws:s3/bucketPolicy:BucketPolicy")) == 1


def test_the_assets_bucket_is_not_protected_in_dev(dev):
    assert {r.options["protect"] for r in under(dev, cdn_of(dev, "learning-platform"),
                                                "aws:s3/bucket:Bucket")} == {False}
