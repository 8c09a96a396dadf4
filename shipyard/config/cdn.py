"""``shipyard:cdn``: how the applications' CloudFront distributions serve (each application
asks for its own in its catalog's ``cdn`` section)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shipyard.config.base import Model


class CdnSettings(Model):
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        "PriceClass_All",
        description="CloudFront edge locations: PriceClass_100 (North America and Europe, "
                    "cheapest), PriceClass_200 (adds most of Asia, the Middle East and Africa) "
                    "or PriceClass_All (every edge location).")
    waf: bool = Field(
        True, description="An AWS WAF web ACL in front of the distributions (AWS's managed "
                          "core, known-bad-inputs and IP-reputation rules, a rate limit per "
                          "IP): costs per ACL, per rule and per million requests.")
