"""external-dns: records for Gateway API routes in the stack's zone only, owned by this cluster,
deleted in dev (sync) but never in prod (upsert-only)."""

import json

import pytest

from components.addons.external_dns import external_dns_policy, external_dns_values
from shipyard.config.base import SettingsError
from shipyard.config.load import parse_settings
from shipyard.versions import CHARTS, GATEWAY_API_CRDS
from tests.support.plans import assert_pod_identity, children_of, only, run_platform
from tests.support.settings import stack_settings

RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
COMPONENT = "shipyard:addons:ExternalDns"
ZONE_ID = "Z0EXAMPLE0ZONE"
EMAIL = "ops@example.com"


def component(plan):
    return only(plan.of_type(COMPONENT))


def children(plan, type_):
    return children_of(plan, COMPONENT, type_)


def release(plan):
    return only(children(plan, RELEASE))


def values(plan):
    return release(plan).inputs["values"]


def zone_id(plan):
    (zone,) = plan.of_type("aws:route53/zone:Zone")
    return zone.outputs["zoneId"]


def statements(policy_json):
    return json.loads(policy_json)["Statement"]


def as_list(value):
    return value if isinstance(value, list) else [value]


def pure_values(**changes):
    args = {"domain": "dev.example.com", "owner_id": "shipyard-dev", "policy": "sync",
            "zone_id": ZONE_ID, "region": "us-east-1"}
    return external_dns_values(**{**args, **changes})


# -- pure functions -------------------------------------------------------------------------------


def test_it_reads_gateway_routes_the_standard_crds_serve():
    # TCPRoute/UDPRoute are read at v1alpha2, which the standard channel does not serve
    assert pure_values()["sources"] == ["gateway-httproute", "gateway-grpcroute"]


def test_it_writes_route53_records_in_one_public_zone_with_a_txt_registry():
    v = pure_values()
    assert v["provider"] == {"name": "aws"}
    assert v["registry"] == "txt"
    assert v["txtOwnerId"] == "shipyard-dev"
    assert v["domainFilters"] == ["dev.example.com"]
    assert v["extraArgs"] == ["--aws-zone-type=public", f"--zone-id-filter={ZONE_ID}"]
    assert v["env"] == [{"name": "AWS_DEFAULT_REGION", "value": "us-east-1"}]


def test_the_policy_is_always_explicit():
    assert pure_values(policy="upsert-only")["policy"] == "upsert-only"
    assert pure_values(policy="sync")["policy"] == "sync"


def test_the_service_account_carries_irsas_role_arn_and_nothing_with_pod_identity():
    assert "annotations" not in pure_values()["serviceAccount"]
    assert "annotations" not in pure_values(annotations={})["serviceAccount"]
    account = pure_values(annotations={
        "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/edns"})["serviceAccount"]
    assert account == {"create": True, "name": "external-dns",
                       "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/edns"}}


def test_the_policy_changes_records_in_one_zone_and_only_lists_zones_everywhere():
    by_action = {}
    for statement in statements(external_dns_policy(ZONE_ID)):
        for action in as_list(statement["Action"]):
            by_action[action] = statement["Resource"]
    zone = [f"arn:aws:route53:::hostedzone/{ZONE_ID}"]
    assert by_action == {
        "route53:ChangeResourceRecordSets": zone,
        "route53:ListResourceRecordSets": zone,
        "route53:ListTagsForResources": zone,
        "route53:ListHostedZones": "*",
    }


# -- per stack ------------------------------------------------------------------------------------


def test_the_release_is_the_pinned_chart_in_a_restricted_namespace(stack_plan):
    r = release(stack_plan)
    chart = CHARTS["external-dns"]
    assert (r.inputs["chart"], r.inputs["version"], r.inputs["repositoryOpts"]["repo"]) == (
        chart.chart, chart.version, chart.repo)
    assert (r.inputs["name"], r.inputs["namespace"]) == ("external-dns", "external-dns")
    (ns,) = children(stack_plan, "kubernetes:core/v1:Namespace")
    assert ns.inputs["metadata"]["name"] == "external-dns"
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("stack,policy", [("dev", "sync"), ("staging", "upsert-only"),
                                          ("prod", "upsert-only")])
def test_dev_deletes_stale_records_and_prod_never_does(plans, stack, policy):
    assert values(plans[stack])["policy"] == policy


def test_records_are_owned_by_the_cluster_and_kept_to_the_stacks_domain(stack_plan):
    settings = stack_settings(stack_plan.stack)
    v = values(stack_plan)
    assert v["txtOwnerId"] == settings.cluster_name
    assert v["domainFilters"] == [settings.dns.domain]
    assert f"--zone-id-filter={zone_id(stack_plan)}" in v["extraArgs"]
    assert {"name": "AWS_DEFAULT_REGION", "value": settings.region} in v["env"]


def test_the_release_waits_for_the_gateway_api_crds(stack_plan):
    (crds,) = [r for r in stack_plan.of_type(CONFIG_FILE)
               if r.inputs.get("file") == GATEWAY_API_CRDS]
    assert crds.urn in release(stack_plan).dependencies


def test_the_role_is_external_dns_service_accounts_through_pod_identity(stack_plan):
    (role,) = children(stack_plan, ROLE)
    association = assert_pod_identity(stack_plan, role, "external-dns", "external-dns")
    account = values(stack_plan)["serviceAccount"]
    assert account["name"] == "external-dns"
    assert "annotations" not in account
    # its pods start with their credentials and permissions
    (policy,) = children(stack_plan, ROLE_POLICY)
    assert {association.urn, policy.urn} <= set(release(stack_plan).dependencies)


def test_the_role_policy_changes_records_in_the_stacks_zone_only(stack_plan):
    (policy,) = children(stack_plan, ROLE_POLICY)
    zone = f"arn:aws:route53:::hostedzone/{zone_id(stack_plan)}"
    for statement in statements(policy.inputs["policy"]):
        if statement["Resource"] == "*":
            assert as_list(statement["Action"]) == ["route53:ListHostedZones"]
        else:
            assert as_list(statement["Resource"]) == [zone]
            assert "route53:ChangeResourceRecordSets" in as_list(statement["Action"])


# -- switches and settings ------------------------------------------------------------------------


def test_switching_external_dns_off_removes_it():
    plan = run_platform("dev", overrides={"shipyard:addons": {
        "certManager": {"acmeEmail": EMAIL}, "externalDns": {"enabled": False}}})
    assert plan.of_type(COMPONENT) == []
    assert not [r for r in plan.of_type(RELEASE) if r.inputs["chart"] == "external-dns"]
    assert not [r for r in plan.of_type(ROLE) if "external-dns" in r.name]


def test_an_existing_cluster_has_no_external_dns():
    settings = parse_settings({"cluster": {"mode": "existing", "context": "minikube"}},
                              project="shipyard", stack="dev", region="us-east-1")
    assert settings.addons.external_dns.enabled is False


def test_external_dns_without_dns_is_a_settings_error_naming_it():
    with pytest.raises(SettingsError) as info:
        parse_settings({"dns": {"enabled": False},
                        "addons": {"certManager": {"acmeEmail": EMAIL, "solver": "http01"}}},
                       project="shipyard", stack="prod", region="us-east-1")
    assert "shipyard:addons.externalDns.enabled" in str(info.value)
