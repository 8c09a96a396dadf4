"""``shipyard:dns``: the environment's hosted zone, its delegation and certificate."""

from __future__ import annotations

from pydantic import Field, field_validator

from shipyard.config.base import DOMAIN, Int, Model
from shipyard.config.network import retention_period


class DnsSettings(Model):
    enabled: bool = Field(True, description="Create (or adopt) the environment's hosted zone.")
    domain: str | None = Field(None, description="The environment's DNS name, e.g. "
                                                 "dev.example.com; required when enabled.")
    zone_id: str | None = Field(None, pattern=r"^[A-Z0-9]{1,32}$",
                                description="Adopt this existing public hosted zone instead of "
                                            "creating one.")
    parent_zone_id: str | None = Field(
        None, pattern=r"^[A-Z0-9]{1,32}$",
        description="Delegate the domain from this parent zone (NS record) when creating.")
    wildcard_certificate: bool = Field(
        True, description="Issue an ACM certificate for the domain and *.domain, DNS-validated.")
    delegated_elsewhere: bool = Field(
        False, description="The new zone is delegated outside shipyard (at the registrar, by "
                           "another account): do so before the first `pulumi up`, which waits "
                           "for certificates and DNS-01 to validate through it.")

    query_logs: bool = Field(
        True, description="Log every DNS query Route53 answers for the zone shipyard creates "
                          "to a KMS-encrypted CloudWatch log group in us-east-1 (Route53 writes "
                          "query logs there only); costs the logs' ingestion and storage. "
                          "Not for an adopted zone (dns.zoneId): its owner logs it (unset, it "
                          "is off there; an explicit true beside zoneId is refused).")
    query_log_retention_days: Int = Field(365, description="Days the query logs are kept.")
    dnssec: bool = Field(
        False, description="Sign the zone shipyard creates with DNSSEC (a key-signing key on an "
                           "asymmetric KMS key in us-east-1) and publish its DS record in "
                           "dns.parentZoneId's zone. Off by default: signing a live zone needs "
                           "its TTLs waited out before the DS record, and the key becomes what "
                           "the zone's resolution depends on (docs/hardening.md).")

    @field_validator("query_log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        return retention_period(v)

    def delegated(self) -> bool:
        """Whether names in the zone resolve publicly once shipyard has run."""
        return bool(self.zone_id or self.parent_zone_id or self.delegated_elsewhere)

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str | None) -> str | None:
        if v is not None and not DOMAIN.match(v):
            raise ValueError(f"{v!r} is not a DNS name")
        return v
