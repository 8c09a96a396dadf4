"""``shipyard:dns``: the environment's hosted zone, its delegation and certificate."""

from __future__ import annotations

from pydantic import Field, field_validator

from shipyard.config.base import DOMAIN, Model


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

    def delegated(self) -> bool:
        """Whether names in the zone resolve publicly once shipyard has run."""
        return bool(self.zone_id or self.parent_zone_id or self.delegated_elsewhere)

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str | None) -> str | None:
        if v is not None and not DOMAIN.match(v):
            raise ValueError(f"{v!r} is not a DNS name")
        return v
