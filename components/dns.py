"""Route53 and ACM: the environment's hosted zone (created or adopted), its delegation from a
parent zone, and a DNS-validated certificate for the domain and *.domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from shipyard.rules import hostnames

TYPE = "shipyard:dns:Dns"


@dataclass(frozen=True)
class DnsArgs:
    """Plain values; whether the zone, delegation and certificate exist is decided here."""

    domain: str
    # Names the Name tags and the zone's comment (the cluster name, e.g. shipyard-prod).
    name_prefix: str
    zone_id: str | None = None
    parent_zone_id: str | None = None
    wildcard_certificate: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.zone_id and self.parent_zone_id:
            raise ValueError("parent_zone_id delegates a zone shipyard creates; it cannot be "
                             "combined with an adopted zone_id")


def certificate_names(domain: str) -> list[str]:
    """Pure: what the certificate covers: the domain and every name directly under it."""
    return [domain, f"*.{domain}"]


def validation_domains(domain: str, names: Sequence[str]) -> dict[str, str]:
    """Pure: label -> the domain whose ACM validation record must be created.

    ACM gives ``*.example.com`` the same validation CNAME as ``example.com``, so names are
    deduplicated after dropping a leading ``*.`` (as terraform-aws-modules/acm does). The label
    is known at registration time and names the record resource: ``apex`` for the domain
    itself, the leading labels otherwise (``api.example.com`` -> ``api``)."""
    out: dict[str, str] = {}
    for name in names:
        base = name.removeprefix("*.")
        label = "apex" if base == domain else base.removesuffix(f".{domain}").replace(".", "-")
        out.setdefault(label, base)
    return out


class Dns(pulumi.ComponentResource):
    zone_id: pulumi.Output[str]
    zone_name: pulumi.Output[str]
    name_servers: pulumi.Output[list[str]]
    certificate_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: DnsArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)

        self.zone: aws.route53.Zone | None = None
        self.delegation: aws.route53.Record | None = None
        if args.zone_id:
            self._adopt_zone(args.zone_id)
        else:
            self._create_zone()

        self.certificate: aws.acm.Certificate | None = None
        self.validation_records: dict[str, aws.route53.Record] = {}
        self.certificate_arn = None
        if args.wildcard_certificate:
            self.certificate_arn = self._create_certificate()

        self.register_outputs({
            "zoneId": self.zone_id,
            "zoneName": self.zone_name,
            "nameServers": self.name_servers,
            "certificateArn": self.certificate_arn,
        })

    # -- helpers --------------------------------------------------------------------------

    def _tags(self, name: str) -> dict[str, str]:
        return {**self._args.tags, "Name": name}

    def _adopt_zone(self, zone_id: str) -> None:
        """An existing public zone: looked up (an invoke, at deploy time), never created."""
        domain = self._args.domain
        found = aws.route53.get_zone_output(
            zone_id=zone_id, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=self))

        def checked(zone_name: str) -> str:
            if not hostnames.in_zone(zone_name, domain):
                raise pulumi.RunError(
                    f"dns.zoneId {zone_id} is the zone {zone_name!r}, which does not contain "
                    f"dns.domain {domain!r}")
            return zone_name.rstrip(".")

        self.zone_id = pulumi.Output.from_input(zone_id)
        self.zone_name = found.name.apply(checked)
        self.name_servers = found.name_servers

    def _create_zone(self) -> None:
        args = self._args
        self.zone = aws.route53.Zone(
            f"{self._name}-zone",
            name=args.domain,
            comment=f"{args.name_prefix}: managed by shipyard",
            # Never delete records someone else added; a non-empty zone stops a destroy.
            force_destroy=False,
            tags=self._tags(args.domain),
            opts=self._child,
        )
        self.zone_id = self.zone.zone_id
        self.zone_name = self.zone.name
        self.name_servers = self.zone.name_servers
        if args.parent_zone_id:
            self.delegation = aws.route53.Record(
                f"{self._name}-delegation",
                zone_id=args.parent_zone_id,
                name=self.zone.name,
                type="NS",
                ttl=300,
                records=self.zone.name_servers,
                opts=self._child,
            )

    def _create_certificate(self) -> pulumi.Output[str]:
        domain = self._args.domain
        names = certificate_names(domain)
        self.certificate = aws.acm.Certificate(
            f"{self._name}-certificate",
            domain_name=names[0],
            subject_alternative_names=names[1:],
            validation_method="DNS",
            key_algorithm="RSA_2048",
            tags=self._tags(f"*.{domain}"),
            opts=self._child,
        )
        options = self.certificate.domain_validation_options
        for label, validated in validation_domains(domain, names).items():
            option = options.apply(lambda opts, d=validated: next(
                o for o in opts if o.domain_name == d))
            self.validation_records[label] = aws.route53.Record(
                f"{self._name}-validation-{label}",
                zone_id=self.zone_id,
                name=option.resource_record_name,
                type=option.resource_record_type,
                records=[option.resource_record_value],
                ttl=60,
                allow_overwrite=True,
                opts=self._child,
            )
        self.certificate_validation = aws.acm.CertificateValidation(
            f"{self._name}-certificate-validation",
            certificate_arn=self.certificate.arn,
            validation_record_fqdns=[r.fqdn for r in self.validation_records.values()],
            opts=self._child,
        )
        # Consumers (the ingress gateway) get the ARN once the certificate is issued.
        return self.certificate_validation.certificate_arn
