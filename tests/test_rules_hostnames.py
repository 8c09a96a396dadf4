"""The hostname rules (shipyard/rules/hostnames.py): pure, so tested without mocks. The settings
checks, the Gateway, the CDN and the DNS zone all answer through them."""

import pytest

from shipyard.rules.hostnames import (
    full_name,
    gateway_hostnames,
    in_zone,
    matches,
    wildcard_certificate,
)


@pytest.mark.parametrize(("name", "domain", "full"), [
    ("learn-static", "dev.example.com", "learn-static.dev.example.com"),
    ("static.dev.example.com", "dev.example.com", "static.dev.example.com"),
    ("learn-static", None, "learn-static"),
])
def test_a_label_goes_under_the_domain_and_a_full_name_stays(name, domain, full):
    assert full_name(name, domain) == full


@pytest.mark.parametrize(("host", "pattern", "served"), [
    ("a.example.com", "*.example.com", True),
    ("A.Example.com.", "*.example.com", True),
    ("example.com", "*.example.com", False),        # a wildcard is one label, not the apex
    ("a.b.example.com", "*.example.com", False),    # nor two labels
    ("example.com", "Example.com.", True),
    ("a.example.com", "b.example.com", False),
])
def test_a_wildcard_serves_exactly_one_label(host, pattern, served):
    assert matches(host, pattern) is served


def test_the_gateway_serves_the_configured_names_else_the_domain_and_its_wildcard():
    assert gateway_hostnames([], "Example.com.", wildcard=True) == ["example.com",
                                                                   "*.example.com"]
    assert gateway_hostnames(["A.example.com"], "example.com", wildcard=True) == [
        "a.example.com"]
    assert gateway_hostnames([], None, wildcard=True) == []


def test_without_a_wildcard_certificate_each_served_name_gets_its_own_listener():
    hosts = ["shop.example.com", "grafana.example.com", "shop.example.com"]
    assert gateway_hostnames([], "example.com", wildcard=False, hosts=hosts) == [
        "example.com", "shop.example.com", "grafana.example.com"]


def test_http01_cannot_issue_a_wildcard():
    assert not wildcard_certificate(cert_manager=True, issuer="letsencrypt-prod",
                                    solver="http01")
    assert wildcard_certificate(cert_manager=True, issuer="letsencrypt-prod", solver="dns01")
    assert wildcard_certificate(cert_manager=True, issuer="selfsigned", solver="http01")
    assert wildcard_certificate(cert_manager=False, issuer="letsencrypt-prod",
                                solver="http01")


def test_a_zone_holds_its_domain_and_subdomains_only():
    assert in_zone("example.com.", "example.com")
    assert in_zone("example.com", "dev.example.com")
    assert not in_zone("example.com", "badexample.com")
    assert not in_zone("dev.example.com", "example.com")
