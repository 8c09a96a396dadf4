"""Subnet arithmetic: pure functions from a VPC CIDR to one subnet per tier and zone.

The computed layout splits the VPC into eight equal blocks (prefix + 3):

* blocks 0..n-1 hold one large *private* subnet per zone (nodes and pods; with the VPC CNI
  every pod takes a VPC address, so this tier gets most of the space);
* block 6 is cut into eight /prefix+6 pieces, piece i is zone i's *public* subnet
  (load balancers, NAT gateways);
* block 7 is cut the same way for the *isolated* subnets (databases, no route out).

So a /16 gives private /19s (8,190 addresses), public and isolated /22s (1,022), for up to six
zones, and every subnet keeps its address when zones are added (zone i's subnets never move).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

TIERS = ("public", "private", "isolated")
MAX_ZONES = 6
# AWS allows subnets down to /28; the computed layout needs prefix + 6 <= 28.
MAX_COMPUTED_PREFIX = 22
MIN_VPC_PREFIX = 16

IPv4Network = ipaddress.IPv4Network

# An IPv4 CIDR as written: four decimal octets without leading zeros, a slash, a prefix length
# without leading zeros (Python's ipaddress reads ``0.0.0.0/00`` as ``/0``, and ``1.2.3.4`` as a
# /32: neither is what the user meant to write, so neither is accepted).
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
CIDR = re.compile(rf"^{_OCTET}(\.{_OCTET}){{3}}/(3[0-2]|[12]?[0-9])$")
# The most of the IPv4 space a set of CIDRs may cover and still be "a few known networks":
# a /8 (16,777,216 addresses). More than that, together, is as good as open to the internet.
MAX_RESTRICTED_ADDRESSES = 2**24


def parse(text: str) -> IPv4Network:
    """An IPv4 network written strictly (``a.b.c.d/n``, host bits zero); the ValueError says
    what is wrong with ``text``."""
    if not isinstance(text, str) or not CIDR.match(text):
        raise ValueError(f"{text!r} is not an IPv4 CIDR a.b.c.d/n (decimal, no leading zeros)")
    try:
        return ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        raise ValueError(f"{text!r} has host bits set: the network is "
                         f"{ipaddress.IPv4Network(text, strict=False)}") from None


def covered(cidrs: Iterable[str]) -> int:
    """How many IPv4 addresses the CIDRs cover together (overlaps counted once)."""
    nets = ipaddress.collapse_addresses(parse(c) for c in cidrs)
    return sum(n.num_addresses for n in nets)


def too_open(cidrs: Iterable[str]) -> bool:
    """Whether the CIDRs together cover more than a /8 of the IPv4 space: ``0.0.0.0/0`` however
    it is written or split (``0.0.0.0/1`` and ``128.0.0.0/1``), or any other near-open set."""
    return covered(cidrs) > MAX_RESTRICTED_ADDRESSES


@dataclass(frozen=True)
class ZoneSubnets:
    """The subnets of one availability zone. ``isolated`` is None when the layout has no
    isolated tier (an explicit layout may leave it out; data stores then use private)."""

    public: str
    private: str
    isolated: str | None


def computed_layout(vpc_cidr: str, zone_count: int) -> list[ZoneSubnets]:
    """One ZoneSubnets per zone, in zone order, computed from the VPC CIDR alone."""
    vpc = ipaddress.ip_network(vpc_cidr, strict=True)
    if not isinstance(vpc, ipaddress.IPv4Network):
        raise ValueError(f"{vpc_cidr} is not an IPv4 network")
    if not 1 <= zone_count <= MAX_ZONES:
        raise ValueError(f"zone count {zone_count} is outside 1..{MAX_ZONES}")
    if not MIN_VPC_PREFIX <= vpc.prefixlen <= MAX_COMPUTED_PREFIX:
        raise ValueError(
            f"a computed layout needs a VPC prefix between /{MIN_VPC_PREFIX} and "
            f"/{MAX_COMPUTED_PREFIX}, got /{vpc.prefixlen}"
        )
    blocks = list(vpc.subnets(prefixlen_diff=3))
    public_pieces = list(blocks[6].subnets(prefixlen_diff=3))
    isolated_pieces = list(blocks[7].subnets(prefixlen_diff=3))
    return [
        ZoneSubnets(
            public=str(public_pieces[i]),
            private=str(blocks[i]),
            isolated=str(isolated_pieces[i]),
        )
        for i in range(zone_count)
    ]


def explicit_layout(
    public: Sequence[str], private: Sequence[str], isolated: Sequence[str] | None
) -> list[ZoneSubnets]:
    """Zip per-tier lists (zone order) into ZoneSubnets; lengths are checked by the caller."""
    return [
        ZoneSubnets(
            public=public[i],
            private=private[i],
            isolated=isolated[i] if isolated else None,
        )
        for i in range(len(public))
    ]


def layout_problems(vpc_cidr: str, subnets: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Check (label, cidr) pairs against the VPC: each inside it, none overlapping another,
    none smaller than AWS's /28. Returns (label, message) for every problem, in input order."""
    vpc = ipaddress.ip_network(vpc_cidr)
    problems: list[tuple[str, str]] = []
    seen: list[tuple[str, IPv4Network]] = []
    for label, cidr in subnets:
        net = ipaddress.ip_network(cidr)
        if not net.subnet_of(vpc):  # type: ignore[arg-type]
            problems.append((label, f"{cidr} is not inside the VPC CIDR {vpc_cidr}"))
            continue
        if net.prefixlen > 28:
            problems.append((label, f"{cidr} is smaller than /28, the smallest AWS subnet"))
        for other_label, other in seen:
            if net.overlaps(other):
                problems.append((label, f"{cidr} overlaps {other_label} ({other})"))
        seen.append((label, net))
    return problems


def labelled(layout: Sequence[ZoneSubnets], prefix: str) -> list[tuple[str, str]]:
    """(label, cidr) pairs for layout_problems, labels like ``PREFIX.private[1]``."""
    out = []
    for tier in TIERS:
        for i, zone in enumerate(layout):
            cidr = getattr(zone, tier)
            if cidr is not None:
                out.append((f"{prefix}.{tier}[{i}]", cidr))
    return out


def by_zone(zones: Sequence[str], layout: Sequence[ZoneSubnets]) -> Mapping[str, ZoneSubnets]:
    """Key a layout by zone key (AZ name), the stable name its subnets are registered under."""
    if len(zones) != len(layout):
        raise ValueError(f"{len(zones)} zones but {len(layout)} subnet sets")
    return dict(zip(zones, layout, strict=True))
