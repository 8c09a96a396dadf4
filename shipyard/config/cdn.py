"""``shipyard:cdn``: how the applications' CloudFront distributions serve (each application
asks for its own in its catalog's ``cdn`` section)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shipyard.config.base import Int, Model

# What AWS WAF takes as a rate-based rule's limit (requests per client IP per window).
WAF_RATE_LIMIT_RANGE = (10, 2_000_000_000)


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
    # WAF on CloudFront counts every viewer request, cache hits included: one page of a
    # static site loads tens of assets, and an office or a mobile carrier puts many people
    # behind one address. 2,000 in five minutes (6.7 a second) blocks such a crowd; 20,000 (67
    # a second, sustained for five minutes) still stops a scraper or a flood from one address.
    waf_rate_limit: Int = Field(
        20000, ge=WAF_RATE_LIMIT_RANGE[0], le=WAF_RATE_LIMIT_RANGE[1],
        description="cdn.waf: requests one client IP may send in five minutes before the web "
                    "ACL blocks it (every viewer request counts, cache hits included: many "
                    "people share an office's or a carrier's address); AWS WAF takes 10 to "
                    "2,000,000,000.")
