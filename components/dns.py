"""Route53 and ACM: the environment's hosted zone (created or adopted), its delegation from a
parent zone, and a DNS-validated certificate for the domain and *.domain.

For a zone shipyard creates, two options a security review asks for (``shipyard:dns``):

- **Query logs** (``queryLogs``, on in prod): Route53 writes every query it answers to
  ``/aws/route53/DOMAIN``, a log group that must be in us-east-1 whatever the stack's region
  (Route53 writes nowhere else), encrypted with the stack's logs key of that region, kept
  ``queryLogRetentionDays``. Route53 writes through a CloudWatch Logs resource policy (account
  and region wide: at most 10 per region in an account, so each stack's is named after its
  cluster and names only its own log group and zone), which the query logging configuration
  waits for.
- **DNSSEC** (``dnssec``, off by default: docs/hardening.md): a key-signing key backed by an
  asymmetric KMS key (ECC_NIST_P256, sign/verify, in us-east-1) whose policy lets Route53's
  DNSSEC service use it for this account's zones only; the zone signed with it; and, where
  shipyard delegates the zone (``parentZoneId``), the DS record in the parent zone that
  completes the chain of trust. The key is protected with ``protect``: deleting or disabling
  it makes the zone unresolvable for validating resolvers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from shipyard.rules import hostnames, iam
from shipyard.rules.aws_names import GLOBAL_SERVICES_REGION

TYPE = "shipyard:dns:Dns"
QUERY_LOG_REGION = GLOBAL_SERVICES_REGION  # Route53 writes query logs to log groups there only
DNSSEC_REGION = GLOBAL_SERVICES_REGION  # and reads key-signing keys from there only
DS_TTL = 3600


def query_log_group(domain: str) -> str:
    """The log group Route53 writes the zone's query logs to (its recommended prefix)."""
    return f"/aws/route53/{domain}"


def query_log_resource_policy(log_group_arn: str, account_id: str, zone_arn: str) -> str:
    """Route53 may write this zone's query logs to this log group, for this account only
    (Route 53 Developer Guide, "Public DNS query logging": the resource policy, with the
    confused-deputy conditions)."""
    return iam.document({
        "Sid": "Route53QueryLogs", "Effect": "Allow",
        "Principal": {"Service": "route53.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{log_group_arn}:*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                      "ArnLike": {"aws:SourceArn": zone_arn}}})


def dnssec_key_policy(account_id: str, partition: str = "aws") -> str:
    """The key-signing key's KMS key: the account administers it; Route53's DNSSEC service may
    read its public key, sign with it and hold a grant on it, for this account's hosted zones
    only (Route 53 Developer Guide, "Working with customer managed keys for DNSSEC")."""
    source = {"StringEquals": {"aws:SourceAccount": account_id},
              "ArnLike": {"aws:SourceArn": f"arn:{partition}:route53:::hostedzone/*"}}
    service = {"Service": "dnssec-route53.amazonaws.com"}
    return iam.key_policy(
        account_id,
        {"Sid": "Route53DnssecUsesTheKey", "Effect": "Allow", "Principal": service,
         "Action": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"], "Resource": "*",
         "Condition": source},
        {"Sid": "Route53DnssecHoldsAGrant", "Effect": "Allow", "Principal": service,
         "Action": "kms:CreateGrant", "Resource": "*",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        partition=partition)


@dataclass(frozen=True)
class DnsArgs:
    """Plain values; whether the zone, delegation and certificate exist is decided here."""

    domain: str
    # Names the Name tags and the zone's comment (the cluster name, e.g. shipyard-prod).
    name_prefix: str
    zone_id: str | None = None
    parent_zone_id: str | None = None
    wildcard_certificate: bool = True
    query_logs: bool = False                   # a zone shipyard creates only
    query_log_retention_days: int = 365
    query_log_key_arn: pulumi.Input[str] | None = None   # the logs key in us-east-1
    dnssec: bool = False                       # a zone shipyard creates only
    protect: bool = True                       # the DNSSEC key
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.zone_id and self.parent_zone_id:
            raise ValueError("parent_zone_id delegates a zone shipyard creates; it cannot be "
                             "combined with an adopted zone_id")
        if self.zone_id and (self.query_logs or self.dnssec):
            raise ValueError("query logs and DNSSEC are for a zone shipyard creates, not an "
                             "adopted zone_id")


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
        if args.query_logs or args.dnssec:   # the account their policies name
            account_id = aws.get_caller_identity_output(
                opts=pulumi.InvokeOutputOptions(parent=self)).account_id
            if args.query_logs:
                self._create_query_logs(self.zone, account_id)
            if args.dnssec:
                self._sign_zone(self.zone, account_id)

    def _create_query_logs(self, zone: aws.route53.Zone,
                           account_id: pulumi.Output[str]) -> None:
        args = self._args
        in_region = pulumi.ResourceOptions(parent=self)
        self.query_log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-query-logs", name=query_log_group(args.domain),
            retention_in_days=args.query_log_retention_days,
            kms_key_id=args.query_log_key_arn, region=QUERY_LOG_REGION,
            tags=self._tags(f"{args.domain}-query-logs"), opts=in_region)
        policy = aws.cloudwatch.LogResourcePolicy(
            f"{self._name}-query-logs-policy",
            policy_name=f"{args.name_prefix}-route53-query-logs", region=QUERY_LOG_REGION,
            policy_document=pulumi.Output.all(self.query_log_group.arn, account_id,
                                              zone.arn).apply(
                lambda a: query_log_resource_policy(a[0], a[1], a[2])),
            opts=in_region)
        self.query_log = aws.route53.QueryLog(
            f"{self._name}-query-log", zone_id=zone.zone_id,
            cloudwatch_log_group_arn=self.query_log_group.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]))

    def _sign_zone(self, zone: aws.route53.Zone, account_id: pulumi.Output[str]) -> None:
        args = self._args
        self.dnssec_key = aws.kms.Key(
            f"{self._name}-dnssec-key", description=f"DNSSEC key-signing key of {args.domain}",
            customer_master_key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY",
            deletion_window_in_days=30, region=DNSSEC_REGION,
            policy=account_id.apply(dnssec_key_policy),
            tags=self._tags(f"{args.domain}-dnssec"),
            # the zone's resolution depends on it once its DS record is published
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        self.key_signing_key = aws.route53.KeySigningKey(
            f"{self._name}-ksk", hosted_zone_id=zone.zone_id,
            key_management_service_arn=self.dnssec_key.arn,
            name=args.name_prefix.replace("-", "_")[:128], status="ACTIVE",
            opts=pulumi.ResourceOptions(parent=self))
        self.dnssec = aws.route53.HostedZoneDnsSec(
            f"{self._name}-dnssec", hosted_zone_id=zone.zone_id, signing_status="SIGNING",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.key_signing_key]))
        if args.parent_zone_id:
            # the chain of trust: published once the zone is signed
            aws.route53.Record(
                f"{self._name}-ds", zone_id=args.parent_zone_id, name=zone.name, type="DS",
                ttl=DS_TTL, records=[self.key_signing_key.ds_record],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.dnssec]))

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
