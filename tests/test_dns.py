"""The DNS each stack's plan creates: the hosted zone, its delegation, the wildcard certificate."""

import pulumi
import pytest

from components.dns import Dns, DnsArgs, certificate_names, validation_domains
from compose import platform
from offline.mocks import EchoMocks
from shipyard.config.base import SettingsError
from tests.support.plans import run_component, run_platform
from tests.support.settings import stack_settings

ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
CERT = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
DNS = "shipyard:dns:Dns"
GET_ZONE = "aws:route53/getZone:getZone"
ADOPTED_ID = "Z0ADOPTED0EXAMPLE"
PARENT_ID = "Z0PARENT0EXAMPLE"
ADOPTED_NS = ["ns-10.awsdns-10.com", "ns-20.awsdns-20.net"]


class AdoptedZoneMocks(EchoMocks):
    """EchoMocks plus an answer for the hosted-zone lookup, as Route53 would give it."""

    def __init__(self, zone_name: str) -> None:
        super().__init__()
        self.zone_name = zone_name
        self.lookups: list[dict] = []

    def call(self, args):
        if args.token == GET_ZONE:
            self.lookups.append(dict(args.args))
            zone_id = args.args["zoneId"]
            return {"id": zone_id, "zoneId": zone_id, "name": self.zone_name,
                    "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
                    "nameServers": ADOPTED_NS, "privateZone": False, "comment": "",
                    "callerReference": "ref", "resourceRecordSetCount": 2, "tags": {}}, []
        return super().call(args)


def domain(stack):
    return stack_settings(stack).dns.domain


def dns_only(settings):
    """The Dns component alone, from the stack's settings as the program builds it, with the
    outputs the program exports of it."""
    args = platform.dns_args(settings)
    if args is None:
        return {}
    dns = Dns("dns", args)
    return {"zoneId": dns.zone_id, "zoneName": dns.zone_name, "nameServers": dns.name_servers}


def run_dns(stack, **kwargs):
    return run_component(stack, dns_only, **kwargs)


def children(plan, type_):
    (dns,) = plan.of_type(DNS)
    return [r for r in plan.of_type(type_) if r.parent == dns.urn]


# -- pure helpers (no mocks) --------------------------------------------------------------------


def test_the_certificate_covers_the_domain_and_its_wildcard():
    assert certificate_names("dev.example.com") == ["dev.example.com", "*.dev.example.com"]


def test_the_domain_and_its_wildcard_share_one_validation_record():
    names = certificate_names("example.com")
    assert validation_domains("example.com", names) == {"apex": "example.com"}
    assert validation_domains("example.com", [*names, "api.example.com", "*.api.example.com"]) == {
        "apex": "example.com", "api": "api.example.com"}


def test_delegation_cannot_be_combined_with_an_adopted_zone():
    with pytest.raises(ValueError):
        DnsArgs(domain="example.com", name_prefix="p", zone_id=ADOPTED_ID,
                parent_zone_id=PARENT_ID)


# -- the plans ----------------------------------------------------------------------------------


def test_each_stack_creates_a_zone_named_by_its_domain(stack_plan):
    (zone,) = children(stack_plan, ZONE)
    assert zone.inputs["name"] == domain(stack_plan.stack)
    assert zone.inputs["forceDestroy"] is False
    assert zone.inputs["tags"]["environment"] == stack_plan.stack
    assert stack_plan.outputs["zoneId"] == zone.outputs["zoneId"]
    assert stack_plan.outputs["zoneName"] == domain(stack_plan.stack)
    assert stack_plan.outputs["nameServers"] == zone.outputs["nameServers"]


def test_the_certificate_covers_domain_and_wildcard_with_dns_validation(stack_plan):
    (cert,) = children(stack_plan, CERT)
    name = domain(stack_plan.stack)
    assert cert.inputs["domainName"] == name
    assert cert.inputs["subjectAlternativeNames"] == [f"*.{name}"]
    assert cert.inputs["validationMethod"] == "DNS"


def test_validation_records_sit_in_the_zone_and_match_what_acm_asks_for(stack_plan):
    (zone,) = children(stack_plan, ZONE)
    (cert,) = children(stack_plan, CERT)
    options = cert.outputs["domainValidationOptions"]
    # ACM asks for the same record name for the domain and *.domain: one record serves both
    assert len({o["resourceRecordName"] for o in options}) == 1
    (apex,) = [o for o in options if o["domainName"] == domain(stack_plan.stack)]
    records = [r for r in children(stack_plan, RECORD) if r.inputs["type"] == "CNAME"]
    assert [(r.inputs["name"], r.inputs["type"], r.inputs["records"]) for r in records] == [
        (apex["resourceRecordName"], apex["resourceRecordType"], [apex["resourceRecordValue"]])]
    for r in records:
        assert r.inputs["zoneId"] == zone.outputs["zoneId"]
        assert r.inputs["ttl"] == 60 and r.inputs["allowOverwrite"] is True
        assert r.name == "dns-validation-apex"  # known at registration, not from an Output


def test_certificate_validation_waits_for_the_records(stack_plan):
    (cert,) = children(stack_plan, CERT)
    (validation,) = children(stack_plan, VALIDATION)
    records = [r for r in children(stack_plan, RECORD) if r.inputs["type"] == "CNAME"]
    assert validation.inputs["certificateArn"] == cert.outputs["arn"]
    assert sorted(validation.inputs["validationRecordFqdns"]) == sorted(
        r.outputs["fqdn"] for r in records)
    assert all(r.urn in validation.dependencies for r in records)


def test_each_stack_delegates_its_zone_from_the_parent_zone_it_names(stack_plan):
    parent = stack_settings(stack_plan.stack).dns.parent_zone_id
    (ns,) = [r for r in children(stack_plan, RECORD) if r.inputs["type"] == "NS"]
    assert parent and ns.inputs["zoneId"] == parent


def test_a_parent_zone_gets_an_ns_record_delegating_the_domain():
    plan = run_dns("dev", overrides={"shipyard:dns": {"parentZoneId": PARENT_ID}})
    (zone,) = children(plan, ZONE)
    (ns,) = [r for r in children(plan, RECORD) if r.inputs["type"] == "NS"]
    assert ns.inputs["zoneId"] == PARENT_ID
    assert ns.inputs["name"] == domain("dev")
    assert ns.inputs["ttl"] == 300
    assert ns.inputs["records"] == zone.outputs["nameServers"]
    assert zone.urn in ns.dependencies


def test_an_adopted_zone_is_looked_up_never_created():
    name = domain("staging")
    mocks = AdoptedZoneMocks(zone_name=f"{name}.")
    plan = run_dns("staging", mocks=mocks, overrides={"shipyard:dns": {"zoneId": ADOPTED_ID}})
    assert plan.of_type(ZONE) == []
    assert [lookup["zoneId"] for lookup in mocks.lookups] == [ADOPTED_ID]
    assert plan.outputs["zoneId"] == ADOPTED_ID
    assert plan.outputs["zoneName"] == name
    assert plan.outputs["nameServers"] == ADOPTED_NS
    # the certificate is still validated, through a record in the adopted zone
    records = children(plan, RECORD)
    assert records and all(r.inputs["zoneId"] == ADOPTED_ID for r in records)
    assert not [r for r in records if r.inputs["type"] == "NS"]
    (validation,) = children(plan, VALIDATION)
    assert all(r.urn in validation.dependencies for r in records)


def test_without_the_wildcard_certificate_there_is_no_certificate():
    plan = run_dns("dev", overrides={"shipyard:dns": {"wildcardCertificate": False,
                                                     "parentZoneId": PARENT_ID}})
    assert children(plan, CERT) == [] and children(plan, VALIDATION) == []
    assert [r.inputs["type"] for r in children(plan, RECORD)] == ["NS"]  # the delegation only
    assert len(children(plan, ZONE)) == 1


def test_dns_can_be_switched_off_with_what_needs_it():
    plan = run_platform("dev", overrides={
        "shipyard:dns": {"enabled": False},
        "shipyard:addons": {"certManager": {"solver": "http01", "acmeEmail": "ops@example.com"},
                            "externalDns": {"enabled": False}}})
    assert plan.of_type(DNS) == [] and plan.of_type(ZONE) == [] and plan.of_type(CERT) == []
    assert "zoneId" not in plan.outputs


def test_an_adopted_zone_that_does_not_hold_the_domain_stops_the_program():
    mocks = AdoptedZoneMocks(zone_name="other.example.org.")
    with pytest.raises(pulumi.RunError, match="does not contain dns.domain"):
        run_dns("staging", mocks=mocks, overrides={"shipyard:dns": {"zoneId": ADOPTED_ID}})


def test_an_undelegated_zone_is_refused_before_anything_waits_on_it():
    """A new zone nobody delegates to never resolves: ACM validation and DNS-01 would wait
    for ever (75 minutes, then fail) on the first `pulumi up`."""
    with pytest.raises(SettingsError) as info:
        run_platform("dev", overrides={"shipyard:dns": {"domain": "dev.example.org"}})
    assert info.value.problems[0].startswith("shipyard:dns.parentZoneId:")
    assert "dns.wildcardCertificate" in info.value.problems[0]
    plan = run_dns("dev", overrides={"shipyard:dns": {"delegatedElsewhere": True}})
    assert plan.of_type(ZONE)
    assert not [r for r in plan.of_type(RECORD) if r.inputs["type"] == "NS"]
