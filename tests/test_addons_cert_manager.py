"""cert-manager: the pinned chart with its CRDs and Gateway API support, highly available outside
dev, the ClusterIssuers each environment issues from, a Route53 role that may write TXT records
in the stack's zone only, and a self-signed CA chain on a cluster without public DNS."""

import json

import pytest

from components.addons.base import ClusterContext
from components.addons.cert_manager import (
    ACME_SERVERS,
    acme_issuer_spec,
    ca_certificate_spec,
    cert_manager_policy,
    cert_manager_values,
    dns01_solver,
    http01_solver,
)
from components.addons.ingress import GATEWAY_NAME, GATEWAY_NAMESPACE, HTTP_LISTENER
from compose.addons import cert_manager_args
from shipyard.config.base import SettingsError
from shipyard.config.load import parse_settings
from shipyard.versions import CHARTS, GATEWAY_API_CRDS
from tests.support.plans import assert_pod_identity, children_of, only, run_platform
from tests.support.settings import stack_settings

RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
COMPONENT = "shipyard:addons:CertManager"
EMAIL = "ops@example.com"
ZONE_ID = "Z0EXAMPLE0ZONE"
# Only what compose.addons reads; the component itself is exercised through the plans.
CTX = ClusterContext(provider=None, cluster_name="shipyard-test", region="us-east-1",
                     environment="dev", eks=True)


def component(plan):
    return only(plan.of_type(COMPONENT))


def children(plan, type_):
    return children_of(plan, COMPONENT, type_)


def release(plan):
    return only(children(plan, RELEASE))


def issuers(plan):
    return {r.inputs["metadata"]["name"]: r for r in children(plan, CLUSTER_ISSUER)}


def zone_id(plan):
    (zone,) = plan.of_type("aws:route53/zone:Zone")
    return zone.outputs["zoneId"]


def statements(policy_json):
    return json.loads(policy_json)["Statement"]


def as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def existing():
    """dev on a cluster shipyard did not create (Minikube): no OIDC provider, no public DNS."""
    return run_platform("dev", overrides={"shipyard:cluster": {"mode": "existing",
                                                              "context": "minikube"}})


@pytest.fixture(scope="module")
def http01():
    return run_platform("staging", overrides={"shipyard:addons": {
        "certManager": {"acmeEmail": EMAIL, "solver": "http01"}}})


# -- pure functions -------------------------------------------------------------------------------


def test_the_chart_installs_and_keeps_its_crds_and_watches_gateways():
    values = cert_manager_values(replicas=1)
    assert values["crds"] == {"enabled": True, "keep": True}
    assert "installCRDs" not in values  # deprecated in favour of crds.*
    assert values["config"] == {
        "apiVersion": "controller.config.cert-manager.io/v1alpha1",
        "kind": "ControllerConfiguration",
        "gatewayAPI": {"enabled": True},  # v1.21's key; enableGatewayAPI is deprecated
    }


def test_more_than_one_replica_gets_a_disruption_budget_for_every_deployment():
    values = cert_manager_values(replicas=2)
    for part in (values, values["webhook"], values["cainjector"]):
        assert part["replicaCount"] == 2
        assert part["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    single = cert_manager_values(replicas=1)
    for part in (single, single["webhook"], single["cainjector"]):
        assert part["replicaCount"] == 1
        assert part["podDisruptionBudget"] == {"enabled": False}


def test_the_service_account_carries_irsas_role_arn_and_nothing_with_pod_identity():
    assert "annotations" not in cert_manager_values(replicas=1)["serviceAccount"]
    assert "annotations" not in cert_manager_values(replicas=1,
                                                    annotations={})["serviceAccount"]
    account = cert_manager_values(replicas=1, annotations={
        "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/cm"})["serviceAccount"]
    assert account == {"create": True, "name": "cert-manager",
                       "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/cm"}}


def test_no_service_monitor_until_prometheus_operator_is_installed():
    assert cert_manager_values(replicas=2)["prometheus"]["servicemonitor"] == {"enabled": False}


def test_the_route53_policy_writes_txt_records_in_one_zone_only():
    by_action = {}
    for statement in statements(cert_manager_policy(ZONE_ID)):
        for action in as_list(statement["Action"]):
            by_action[action] = statement
    assert set(by_action) == {"route53:GetChange", "route53:ChangeResourceRecordSets",
                              "route53:ListResourceRecordSets"}
    assert by_action["route53:GetChange"]["Resource"] == "arn:aws:route53:::change/*"
    change = by_action["route53:ChangeResourceRecordSets"]
    assert change["Resource"] == [f"arn:aws:route53:::hostedzone/{ZONE_ID}"]
    assert change["Condition"] == {"ForAllValues:StringEquals": {
        "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}}


def test_dns01_names_the_zone_and_uses_ambient_credentials():
    solver = dns01_solver(region="us-east-1", zone_id=ZONE_ID, domain="dev.example.com")
    assert solver == {"selector": {"dnsZones": ["dev.example.com"]},
                      "dns01": {"route53": {"region": "us-east-1", "hostedZoneID": ZONE_ID}}}


def test_http01_answers_through_the_shared_gateways_http_listener():
    (ref,) = http01_solver()["http01"]["gatewayHTTPRoute"]["parentRefs"]
    assert ref == {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                   "name": "platform", "namespace": "gateway", "sectionName": "http"}
    # the very Gateway and listener the ingress add-on builds
    assert (ref["name"], ref["namespace"], ref["sectionName"]) == (
        GATEWAY_NAME, GATEWAY_NAMESPACE, HTTP_LISTENER)


def test_an_acme_issuer_keeps_its_account_key_in_its_own_secret():
    spec = acme_issuer_spec("letsencrypt-prod", email=EMAIL, solver=http01_solver())["acme"]
    assert spec["server"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert spec["email"] == EMAIL
    assert spec["privateKeySecretRef"] == {"name": "letsencrypt-prod-account-key"}


def test_the_ca_certificate_is_a_ca_signed_by_the_bootstrap_issuer():
    spec = ca_certificate_spec()
    assert spec["isCA"] is True
    assert spec["secretName"] == "shipyard-ca"
    assert spec["issuerRef"] == {"group": "cert-manager.io", "kind": "ClusterIssuer",
                                 "name": "selfsigned-bootstrap"}


# -- per stack ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack,issuer", [
    ("dev", "letsencrypt-staging"),
    ("staging", "letsencrypt-staging"),
    ("prod", "letsencrypt-prod"),
])
def test_each_environment_issues_from_its_lets_encrypt_ca(plans, stack, issuer):
    assert cert_manager_args(stack_settings(stack), CTX).issuer == issuer
    found = issuers(plans[stack])
    assert issuer in found
    # both ACME issuers exist everywhere, each pointing at its own Let's Encrypt directory
    assert set(found) == set(ACME_SERVERS)
    assert found["letsencrypt-staging"].inputs["spec"]["acme"]["server"] == (
        "https://acme-staging-v02.api.letsencrypt.org/directory")
    assert found["letsencrypt-prod"].inputs["spec"]["acme"]["server"] == (
        "https://acme-v02.api.letsencrypt.org/directory")
    for spec in found.values():
        assert spec.inputs["spec"]["acme"]["email"] == (
            stack_settings(stack).addons.cert_manager.acme_email)


def test_the_release_is_the_pinned_chart_in_a_restricted_namespace(stack_plan):
    r = release(stack_plan)
    chart = CHARTS["cert-manager"]
    assert (r.inputs["chart"], r.inputs["version"], r.inputs["repositoryOpts"]["repo"]) == (
        chart.chart, chart.version, chart.repo)
    assert (r.inputs["name"], r.inputs["namespace"]) == ("cert-manager", "cert-manager")
    assert r.inputs["atomic"] is True and r.inputs["skipAwait"] is False
    (ns,) = children(stack_plan, "kubernetes:core/v1:Namespace")
    assert ns.inputs["metadata"]["name"] == "cert-manager"
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("stack,replicas", [("dev", 1), ("staging", 2), ("prod", 2)])
def test_cert_manager_is_highly_available_outside_dev(plans, stack, replicas):
    values = release(plans[stack]).inputs["values"]
    for part in (values, values["webhook"], values["cainjector"]):
        assert part["replicaCount"] == replicas
        assert part["podDisruptionBudget"]["enabled"] is (replicas > 1)


def test_the_release_waits_for_the_gateway_api_crds(stack_plan):
    (crds,) = [r for r in stack_plan.of_type(CONFIG_FILE)
               if r.inputs.get("file") == GATEWAY_API_CRDS]
    assert crds.urn in release(stack_plan).dependencies


def test_every_issuer_and_certificate_waits_for_the_release(stack_plan, existing):
    for plan in (stack_plan, existing):
        resources = children(plan, CLUSTER_ISSUER) + children(plan, CERTIFICATE)
        assert resources
        for r in resources:
            assert release(plan).urn in r.dependencies, r.name
            assert r.provider == release(plan).provider


def test_dns01_issuers_solve_in_the_stacks_zone(stack_plan):
    settings = stack_settings(stack_plan.stack)
    for issuer in issuers(stack_plan).values():
        (solver,) = issuer.inputs["spec"]["acme"]["solvers"]
        assert solver["dns01"]["route53"] == {"region": settings.region,
                                             "hostedZoneID": zone_id(stack_plan)}
        assert solver["selector"] == {"dnsZones": [settings.dns.domain]}


def test_the_role_is_cert_managers_service_accounts_through_pod_identity(stack_plan):
    (role,) = children(stack_plan, ROLE)
    association = assert_pod_identity(stack_plan, role, "cert-manager", "cert-manager")
    account = release(stack_plan).inputs["values"]["serviceAccount"]
    assert account["name"] == "cert-manager"
    assert "annotations" not in account
    (policy,) = children(stack_plan, ROLE_POLICY)
    assert {association.urn, policy.urn} <= set(release(stack_plan).dependencies)


def test_the_role_policy_changes_records_in_the_stacks_zone_only(stack_plan):
    (policy,) = children(stack_plan, ROLE_POLICY)
    writes = [s for s in statements(policy.inputs["policy"])
              if "route53:ChangeResourceRecordSets" in as_list(s["Action"])]
    assert writes
    for statement in writes:
        assert as_list(statement["Resource"]) == [
            f"arn:aws:route53:::hostedzone/{zone_id(stack_plan)}"]
    for statement in statements(policy.inputs["policy"]):
        assert statement["Resource"] != "*"


def test_http01_issuers_route_through_the_gateway_and_need_no_aws_role(http01):
    for issuer in issuers(http01).values():
        (solver,) = issuer.inputs["spec"]["acme"]["solvers"]
        assert solver == http01_solver()
    assert children(http01, ROLE) == []
    assert "annotations" not in release(http01).inputs["values"]["serviceAccount"]


# -- an existing cluster --------------------------------------------------------------------------


def test_an_existing_cluster_gets_a_self_signed_ca_chain(existing):
    found = issuers(existing)
    assert set(found) == {"selfsigned-bootstrap", "selfsigned"}
    assert found["selfsigned-bootstrap"].inputs["spec"] == {"selfSigned": {}}
    (ca,) = children(existing, CERTIFICATE)
    assert ca.inputs["metadata"]["name"] == "shipyard-ca"
    assert ca.inputs["metadata"]["namespace"] == "cert-manager"
    assert ca.inputs["spec"]["isCA"] is True
    assert ca.inputs["spec"]["issuerRef"]["name"] == "selfsigned-bootstrap"
    # the issuer certificates come from signs with that CA's key
    assert found["selfsigned"].inputs["spec"] == {"ca": {"secretName":
                                                         ca.inputs["spec"]["secretName"]}}


def test_an_existing_cluster_issues_from_the_ca_and_has_no_aws_role(existing):
    settings = parse_settings({"cluster": {"mode": "existing", "context": "minikube"}},
                              project="shipyard", stack="dev", region="us-east-1")
    assert cert_manager_args(settings, CTX).issuer == "selfsigned"
    assert children(existing, ROLE) == []
    assert "annotations" not in release(existing).inputs["values"]["serviceAccount"]


# -- switches and settings ------------------------------------------------------------------------


def test_switching_cert_manager_off_removes_it():
    plan = run_platform("dev", overrides={"shipyard:addons": {
        "certManager": {"acmeEmail": EMAIL, "enabled": False}}})
    assert plan.of_type(COMPONENT) == []
    assert plan.of_type(CLUSTER_ISSUER) == []
    assert not [r for r in plan.of_type(RELEASE) if r.inputs["chart"] == "cert-manager"]


def test_dns01_without_dns_is_a_settings_error_naming_cert_manager():
    with pytest.raises(SettingsError) as info:
        parse_settings({"dns": {"enabled": False},
                        "addons": {"certManager": {"acmeEmail": EMAIL},
                                   "externalDns": {"enabled": False}}},
                       project="shipyard", stack="prod", region="us-east-1")
    message = str(info.value)
    assert "shipyard:addons.certManager.enabled" in message
    assert "dns.enabled" in message
