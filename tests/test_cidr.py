"""The subnet arithmetic, property-tested without Pulumi."""

import ipaddress
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipyard.rules import cidr


def vpc_cidrs():
    return st.builds(
        lambda base, prefix: str(ipaddress.ip_network(f"{base}/{prefix}", strict=False)),
        st.sampled_from(["10.0.0.0", "10.128.0.0", "172.16.0.0", "192.168.0.0", "100.64.0.0"]),
        st.integers(min_value=cidr.MIN_VPC_PREFIX, max_value=cidr.MAX_COMPUTED_PREFIX),
    )


@given(vpc_cidrs(), st.integers(min_value=1, max_value=cidr.MAX_ZONES))
def test_computed_subnets_are_inside_the_vpc_and_disjoint(vpc_cidr, zones):
    layout = cidr.computed_layout(vpc_cidr, zones)
    assert len(layout) == zones
    assert cidr.layout_problems(vpc_cidr, cidr.labelled(layout, "s")) == []
    nets = [ipaddress.ip_network(c) for _, c in cidr.labelled(layout, "s")]
    assert len(nets) == 3 * zones
    for a, b in itertools.combinations(nets, 2):
        assert not a.overlaps(b)


@given(vpc_cidrs(), st.integers(min_value=1, max_value=cidr.MAX_ZONES - 1))
def test_adding_a_zone_never_moves_an_existing_subnet(vpc_cidr, zones):
    assert cidr.computed_layout(vpc_cidr, zones + 1)[:zones] == cidr.computed_layout(vpc_cidr, zones)


@given(vpc_cidrs(), st.integers(min_value=1, max_value=cidr.MAX_ZONES))
def test_private_subnets_get_the_most_addresses(vpc_cidr, zones):
    for zone in cidr.computed_layout(vpc_cidr, zones):
        private = ipaddress.ip_network(zone.private).num_addresses
        assert private == 8 * ipaddress.ip_network(zone.public).num_addresses
        assert private == 8 * ipaddress.ip_network(zone.isolated).num_addresses


def test_a_slash_16_gives_slash_19_private_and_slash_22_public():
    zone = cidr.computed_layout("10.0.0.0/16", 3)[2]
    assert (zone.private, zone.public, zone.isolated) == ("10.0.64.0/19", "10.0.200.0/22",
                                                          "10.0.232.0/22")


@pytest.mark.parametrize("vpc_cidr,zones", [("10.0.0.0/23", 2), ("10.0.0.0/16", 7),
                                             ("10.0.0.0/16", 0)])
def test_computed_layout_refuses_what_it_cannot_lay_out(vpc_cidr, zones):
    with pytest.raises(ValueError):
        cidr.computed_layout(vpc_cidr, zones)


def test_layout_problems_name_the_subnet_outside_and_the_overlap():
    problems = cidr.layout_problems("10.0.0.0/16", [
        ("a", "10.0.0.0/24"), ("b", "10.1.0.0/24"), ("c", "10.0.0.128/25"), ("d", "10.0.9.0/29"),
    ])
    assert problems[0] == ("b", "10.1.0.0/24 is not inside the VPC CIDR 10.0.0.0/16")
    assert problems[1] == ("c", "10.0.0.128/25 overlaps a (10.0.0.0/24)")
    assert problems[2][0] == "d" and "smaller than /28" in problems[2][1]
