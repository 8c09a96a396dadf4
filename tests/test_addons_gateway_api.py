"""Gateway API CRDs: the pinned standard-channel bundle, applied first, waited for by everything
that reads Gateway API resources; switching it off while something needs it is a settings
error."""

import pytest

from shipyard.config.base import SettingsError
from shipyard.versions import GATEWAY_API_CRDS, GATEWAY_API_VERSION
from tests.support.plans import run_platform

CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
COMPONENT = "shipyard:addons:GatewayApi"
EMAIL = {"acmeEmail": "ops@example.com"}


def crds(plan):
    (found,) = [r for r in plan.of_type(CONFIG_FILE) if r.inputs.get("file") == GATEWAY_API_CRDS]
    return found


def test_the_pinned_standard_bundle_is_applied_with_the_clusters_provider(stack_plan):
    config_file = crds(stack_plan)
    assert config_file.name == "addons-gateway-api-crds"
    assert f"/{GATEWAY_API_VERSION}/standard-install.yaml" in config_file.inputs["file"]
    (component,) = stack_plan.of_type(COMPONENT)
    assert config_file.parent == component.urn
    (provider,) = stack_plan.of_type("pulumi:providers:kubernetes")
    assert config_file.provider == provider.urn
    assert config_file.dependencies == []  # first: it waits for nothing


def test_what_reads_gateway_api_resources_waits_for_the_crds(prod):
    urn = crds(prod).urn
    for name in ("addons-ingress-gateway", "addons-ingress-https-redirect",
                 "addons-ingress-ngf-release", "addons-cert-manager-release"):
        assert urn in prod.named(name).dependencies, name


def test_switching_gateway_api_off_while_ingress_is_on_names_the_ingress_switch():
    with pytest.raises(SettingsError) as info:
        run_platform("prod", overrides={"shipyard:addons": {
            "certManager": EMAIL, "gatewayApi": {"enabled": False}}})
    assert info.value.problems[0].startswith(
        "shipyard:addons.ingress.enabled: needs addons.gatewayApi.enabled, which is false")


def test_switching_gateway_api_off_with_everything_that_needs_it():
    plan = run_platform("dev", overrides={"shipyard:addons": {
        "certManager": {**EMAIL, "enabled": False}, "gatewayApi": {"enabled": False},
        "ingress": {"enabled": False}, "externalDns": {"enabled": False}}})
    assert not plan.of_type(CONFIG_FILE) and not plan.of_type(COMPONENT)
    assert not [r for r in plan.resources if r.type.startswith("kubernetes:gateway.networking")]
