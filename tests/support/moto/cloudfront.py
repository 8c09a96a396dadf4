"""CloudFront in moto: origin access controls and distributions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import as_bool, drop_none, handles, require, tag_list
from tests.support.moto.wafv2 import CLOUDFRONT_ACL_REGION, check_cloudfront_web_acl

# CloudFront's enums (API reference: ViewerCertificate, CacheBehavior, DistributionConfig,
# OriginAccessControlConfig); moto accepts any value
CLOUDFRONT_TLS_POLICIES = frozenset({
    "SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019",
    "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"})
CLOUDFRONT_SSL_METHODS = frozenset({"sni-only", "vip", "static-ip"})
CLOUDFRONT_VIEWER_POLICIES = frozenset({"allow-all", "https-only", "redirect-to-https"})
CLOUDFRONT_PRICE_CLASSES = frozenset({"PriceClass_100", "PriceClass_200", "PriceClass_All",
                                      "None"})
CLOUDFRONT_HTTP_VERSIONS = frozenset({"http1.1", "http2", "http2and3", "http3"})
CLOUDFRONT_OAC_TYPES = frozenset({"s3", "mediastore", "mediapackagev2", "lambda"})
CLOUDFRONT_SIGNING = frozenset({"always", "never", "no-override"})
# where CloudFront reads ACM certificates from, and its distributions' hosted zone (Route53)
CLOUDFRONT_CERTIFICATE_REGION = "us-east-1"
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"


class CloudFront(MotoBase):
    """CloudFront origin access controls and distributions."""

    @handles("aws:cloudfront/originAccessControl:OriginAccessControl")
    def _cloudfront_oac(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        # moto stores any values; CloudFront takes only these
        origin_type = i.get("originAccessControlOriginType")
        behavior, protocol = i.get("signingBehavior"), i.get("signingProtocol")
        require(origin_type in CLOUDFRONT_OAC_TYPES, "InvalidArgument",
                f"originAccessControlOriginType {origin_type!r}")
        require(behavior in CLOUDFRONT_SIGNING, "InvalidArgument",
                f"signingBehavior {behavior!r}")
        require(protocol == "sigv4", "InvalidArgument", f"signingProtocol {protocol!r}")
        oac_name = i.get("name") or name
        require(0 < len(oac_name) <= 64, "InvalidArgument",
                f"name {oac_name!r}: 1 to 64 characters")
        created = self.client("cloudfront").create_origin_access_control(
            OriginAccessControlConfig=drop_none(
                Name=oac_name, Description=i.get("description"), SigningProtocol=protocol,
                SigningBehavior=behavior, OriginAccessControlOriginType=origin_type))
        oac_id = created["OriginAccessControl"]["Id"]
        return oac_id, {"name": oac_name, "etag": created.get("ETag", "")}

    def _check_viewer_certificate(self, viewer: Mapping[str, Any],
                                  aliases: list[str]) -> None:
        """CloudFront's own checks (moto makes none): the policy names, and an ACM certificate
        that is ISSUED, in us-east-1, and covers every alias."""
        tls = viewer.get("minimumProtocolVersion")
        require(tls is None or tls in CLOUDFRONT_TLS_POLICIES, "InvalidArgument",
                f"minimumProtocolVersion {tls!r}")
        method = viewer.get("sslSupportMethod")
        require(method is None or method in CLOUDFRONT_SSL_METHODS, "InvalidArgument",
                f"sslSupportMethod {method!r}")
        arn = viewer.get("acmCertificateArn")
        require(not aliases or arn or viewer.get("iamCertificateId"), "InvalidViewerCertificate",
                f"aliases {aliases} need a certificate of their own")
        if not arn:
            return
        region = str(arn).split(":")[3] if str(arn).count(":") >= 5 else ""
        require(region == CLOUDFRONT_CERTIFICATE_REGION, "InvalidViewerCertificate",
                f"{arn}: CloudFront reads ACM certificates from us-east-1 only")
        require(method is not None, "InvalidViewerCertificate",
                "an ACM certificate needs sslSupportMethod")
        certificate = self.regional_client("acm", region).describe_certificate(
            CertificateArn=arn)["Certificate"]
        require(certificate.get("Status") == "ISSUED", "InvalidViewerCertificate",
                f"{arn} is {certificate.get('Status')}, not ISSUED")
        names = {certificate.get("DomainName", ""),
                 *certificate.get("SubjectAlternativeNames", [])}
        for alias in aliases:
            require(any(n == alias or (n.startswith("*.") and
                                       alias.split(".", 1)[-1] == n[2:]) for n in names),
                    "InvalidViewerCertificate",
                    f"the certificate ({sorted(names)}) does not cover the alias {alias}")

    @handles("aws:cloudfront/distribution:Distribution")
    def _cloudfront_distribution(self, name: str, i: dict[str, Any]
                                 ) -> tuple[str, dict[str, Any]]:
        cf = self.client("cloudfront")
        origins = list(i.get("origins") or [])
        require(origins, "InvalidArgument", "a distribution needs an origin")
        origin_ids = {o.get("originId") for o in origins}
        for origin in origins:
            oac_id = origin.get("originAccessControlId")
            if oac_id:
                # moto drops the field and accepts any id; CloudFront refuses an unknown one
                cf.get_origin_access_control(Id=oac_id)
        behaviors = [self._one(i.get("defaultCacheBehavior")),
                     *(i.get("orderedCacheBehaviors") or [])]
        for behavior in behaviors:
            policy = behavior.get("viewerProtocolPolicy")
            require(policy in CLOUDFRONT_VIEWER_POLICIES, "InvalidArgument",
                    f"viewerProtocolPolicy {policy!r}")
            require(behavior.get("targetOriginId") in origin_ids, "NoSuchOrigin",
                    f"targetOriginId {behavior.get('targetOriginId')!r} is not an origin")
        price_class = i.get("priceClass")
        require(price_class is None or price_class in CLOUDFRONT_PRICE_CLASSES,
                "InvalidArgument", f"priceClass {price_class!r}")
        http_version = i.get("httpVersion")
        require(http_version is None or http_version in CLOUDFRONT_HTTP_VERSIONS,
                "InvalidArgument", f"httpVersion {http_version!r}")
        if i.get("webAclId"):
            # moto keeps any string; CloudFront takes an existing CLOUDFRONT web ACL's ARN
            check_cloudfront_web_acl(
                self.regional_client("wafv2", CLOUDFRONT_ACL_REGION), self.account_id,
                str(i["webAclId"]))
        aliases = [str(a) for a in i.get("aliases") or []]
        viewer = self._one(i.get("viewerCertificate"))
        self._check_viewer_certificate(viewer, aliases)
        default = behaviors[0]

        def methods(values: list[str] | None) -> dict[str, Any] | None:
            return {"Quantity": len(values), "Items": list(values)} if values else None

        allowed = methods(default.get("allowedMethods"))
        if allowed is not None and default.get("cachedMethods"):
            allowed["CachedMethods"] = methods(default["cachedMethods"])
        geo = self._one(self._one(i.get("restrictions")).get("geoRestriction"))
        config = drop_none(
            CallerReference=f"pulumi-{_digest(self.account_id, name, length=16)}",
            Comment=i.get("comment", ""), Enabled=as_bool(i.get("enabled", True)),
            Aliases={"Quantity": len(aliases), "Items": aliases} if aliases else None,
            DefaultRootObject=i.get("defaultRootObject"),
            Origins={"Quantity": len(origins), "Items": [drop_none(
                Id=o.get("originId"), DomainName=o.get("domainName"),
                OriginPath=o.get("originPath"),
                OriginAccessControlId=o.get("originAccessControlId"),
                # an S3 origin behind an OAC has an empty origin access identity
                S3OriginConfig={"OriginAccessIdentity": ""}
                if ".s3." in str(o.get("domainName", "")) else None) for o in origins]},
            DefaultCacheBehavior=drop_none(
                TargetOriginId=default.get("targetOriginId"),
                ViewerProtocolPolicy=default.get("viewerProtocolPolicy"),
                AllowedMethods=allowed, CachePolicyId=default.get("cachePolicyId"),
                ResponseHeadersPolicyId=default.get("responseHeadersPolicyId"),
                Compress=as_bool(default["compress"]) if "compress" in default else None),
            ViewerCertificate=drop_none(
                ACMCertificateArn=viewer.get("acmCertificateArn"),
                SSLSupportMethod=viewer.get("sslSupportMethod"),
                MinimumProtocolVersion=viewer.get("minimumProtocolVersion"),
                CloudFrontDefaultCertificate=as_bool(viewer["cloudfrontDefaultCertificate"])
                if "cloudfrontDefaultCertificate" in viewer else None),
            Restrictions={"GeoRestriction": drop_none(
                RestrictionType=geo.get("restrictionType", "none"),
                Quantity=len(geo.get("locations") or []), Items=geo.get("locations"))},
            PriceClass=price_class, HttpVersion=http_version,
            IsIPV6Enabled=as_bool(i["isIpv6Enabled"]) if "isIpv6Enabled" in i else None,
            WebACLId=i.get("webAclId"))
        if i.get("tags"):
            created = cf.create_distribution_with_tags(DistributionConfigWithTags={
                "DistributionConfig": config,
                "Tags": {"Items": tag_list(i["tags"])}})
        else:
            created = cf.create_distribution(DistributionConfig=config)
        distribution = created["Distribution"]
        return distribution["Id"], {
            "arn": distribution["ARN"], "domainName": distribution["DomainName"],
            "hostedZoneId": CLOUDFRONT_ZONE_ID, "status": distribution.get("Status"),
            "etag": created.get("ETag", ""), "callerReference": config["CallerReference"]}
