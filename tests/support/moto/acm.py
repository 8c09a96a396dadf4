"""ACM in moto: certificates and their validation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import drop_none, handles, require, tag_list


class Acm(MotoBase):
    """ACM certificates and certificate validations."""

    @staticmethod
    def _validation_options(certificate: Mapping[str, Any]) -> list[dict[str, Any]]:
        options = []
        for option in certificate.get("DomainValidationOptions", []):
            record = option.get("ResourceRecord") or {}
            options.append(drop_none(
                domainName=option["DomainName"], resourceRecordName=record.get("Name"),
                resourceRecordType=record.get("Type"), resourceRecordValue=record.get("Value")))
        # moto builds these from a set: sort, so runs are stable
        return sorted(options, key=lambda o: o["domainName"])

    @handles("aws:acm/certificate:Certificate")
    def _acm_certificate(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        acm = self.regional_client("acm", i.get("region"))
        method = i.get("validationMethod")
        if i.get("certificateBody"):
            arn = acm.import_certificate(**drop_none(
                Certificate=i["certificateBody"].encode(),
                PrivateKey=str(i.get("privateKey", "")).encode(),
                CertificateChain=i["certificateChain"].encode()
                if i.get("certificateChain") else None,
                Tags=tag_list(i.get("tags"))))["CertificateArn"]
        else:
            require(method in ("DNS", "EMAIL") or i.get("certificateAuthorityArn"),
                    "ValidationException", f"validationMethod {method!r} (DNS or EMAIL)")
            domain = i.get("domainName", "")
            sans = [d for d in i.get("subjectAlternativeNames") or [] if d != domain]
            options = i.get("options") or {}
            arn = acm.request_certificate(**drop_none(
                DomainName=domain, SubjectAlternativeNames=[domain, *sans] if sans else None,
                ValidationMethod=method, KeyAlgorithm=i.get("keyAlgorithm"),
                CertificateAuthorityArn=i.get("certificateAuthorityArn"),
                Options={"CertificateTransparencyLoggingPreference":
                         options["certificateTransparencyLoggingPreference"]}
                if options.get("certificateTransparencyLoggingPreference") else None,
                IdempotencyToken=_digest(name, length=32),
                Tags=tag_list(i.get("tags"))))["CertificateArn"]
        certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        return arn, {
            "arn": arn, "domainName": certificate.get("DomainName"),
            "domainValidationOptions": self._validation_options(certificate)
            if method == "DNS" else [],
            "status": certificate.get("Status"), "type": certificate.get("Type"),
            "keyAlgorithm": certificate.get("KeyAlgorithm"), "validationEmails": [],
        }

    @handles("aws:acm/certificateValidation:CertificateValidation")
    def _acm_certificate_validation(self, name: str, i: dict[str, Any]
                                    ) -> tuple[str, dict[str, Any]]:
        arn = i.get("certificateArn", "")
        certificate = self.regional_client("acm", i.get("region")).describe_certificate(
            CertificateArn=arn)["Certificate"]
        fqdns = {f.rstrip(".").lower() for f in i.get("validationRecordFqdns") or []}
        if fqdns and certificate.get("DomainValidationOptions"):
            # Like the provider: every domain's validation record must be among the fqdns.
            missing = sorted({o["DomainName"] for o in self._validation_options(certificate)
                              if o.get("resourceRecordName", "").rstrip(".").lower()
                              not in fqdns})
            require(not missing, "ValidationRecordMissing",
                    f"missing DNS validation record for {', '.join(missing)}")
        require(certificate.get("Status") == "ISSUED", "CertificateNotIssued",
                f"certificate {arn} is {certificate.get('Status')}")
        return arn, {"certificateArn": arn}
