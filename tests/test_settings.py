"""Stack config -> settings: defaults per environment, and errors that name key and value."""

import json
import subprocess
import sys

import pytest

from shipyard.config.base import SettingsError
from shipyard.config.defaults import ENVIRONMENT_DEFAULTS, deep_merge
from shipyard.config.load import parse_settings
from shipyard.config.network import NatStrategy
from shipyard.config.stack import StackConfig
from tests.support.plans import CountingMocks, run_platform
from tests.support.repo import ROOT
from tests.support.settings import REQUIRED, SEED_001_NETWORK, parse


def problems(raw, stack="prod"):
    with pytest.raises(SettingsError) as info:
        parse(raw, stack)
    return info.value.problems


@pytest.mark.parametrize("env,azs,nat,retention", [
    ("dev", 2, NatStrategy.INSTANCE, 14),
    ("staging", 3, NatStrategy.SINGLE, 30),
    ("prod", 3, NatStrategy.PER_AZ, 365),
])
def test_the_environment_drives_the_defaults(env, azs, nat, retention):
    settings = parse({}, stack=env)
    assert settings.network.az_count == azs
    assert settings.network.nat_gateways is nat
    assert settings.network.flow_logs.retention_days == retention


def test_the_stack_file_overrides_the_environment_defaults():
    settings = parse({"environment": "dev",
                      "network": json.dumps({"natGateways": "per-az", "azCount": 3})}, stack="x")
    assert settings.network.nat_gateways is NatStrategy.PER_AZ
    assert settings.network.az_count == 3
    assert settings.network.cidr == ENVIRONMENT_DEFAULTS["dev"]["network"]["cidr"]


def test_every_environment_default_is_a_valid_config_once_required_keys_are_set():
    for env, defaults in ENVIRONMENT_DEFAULTS.items():
        StackConfig.model_validate(deep_merge(defaults, {
            "environment": env, "addons": {"certManager": {"acmeEmail": "ops@example.com"}},
            "dns": {"parentZoneId": "ZPARENT"}}))


def test_the_acme_email_is_required_config():
    with pytest.raises(SettingsError) as info:
        parse_settings({}, project="shipyard", stack="prod", region="us-east-1")
    assert info.value.problems == [
        "shipyard:addons.certManager.acmeEmail: required for the letsencrypt-prod issuer "
        "(value: null)"]


def test_an_unknown_top_level_key_is_an_error_naming_it():
    (problem,) = problems({"natGateway": "single"})
    assert problem.startswith("shipyard:natGateway: unknown key")
    assert '"single"' in problem


def test_a_typo_in_a_nested_key_names_the_full_key_and_suggests_the_right_one():
    (problem,) = problems({"network": json.dumps({"natGateway": "single"})})
    assert problem.startswith("shipyard:network.natGateway: unknown key")
    assert "did you mean 'natGateways'" in problem


@pytest.mark.parametrize("kind", ["t3a.nano", "m5.large", "g5.xlarge", "t4g"])
def test_the_nat_instance_must_be_graviton(kind):
    """Its image is Amazon Linux 2023 for arm64: an x86 type would not boot it."""
    (problem,) = problems({"network": json.dumps({"natGateways": "instance",
                                                  "natInstanceType": kind})})
    assert problem.startswith("shipyard:network.natInstanceType:") and "Graviton" in problem
    assert json.dumps(kind) in problem


def test_graviton_nat_instance_types_are_accepted():
    for kind in ("t4g.nano", "t4g.micro", "c7gn.medium", "m7g.large"):
        settings = parse({"network": json.dumps({"natGateways": "instance",
                                                 "natInstanceType": kind})}, stack="dev")
        assert settings.network.nat_instance_type == kind


@pytest.mark.parametrize("cpu_requests,key,value", [
    ({"scale": 0}, "scale", 0), ({"scale": 1.5}, "scale", 1.5), ({"scale": "half"}, "scale",
                                                                  "half"),
    ({"floor": "0m"}, "floor", "0m"), ({"floor": "25mi"}, "floor", "25mi"),
    ({"floor": "-5m"}, "floor", "-5m"),
])
def test_a_bad_cpu_request_scaling_names_its_key(cpu_requests, key, value):
    (problem,) = problems({"workloads": json.dumps({"cpuRequests": cpu_requests})}, "dev")
    assert problem.startswith(f"shipyard:workloads.cpuRequests.{key}:"), problem
    assert json.dumps(value) in problem


def test_cpu_requests_are_the_catalogs_but_in_dev():
    for env in ("staging", "prod"):
        assert parse({}, stack=env).workloads.cpu_requests.scale == 1
    sizing = parse({}, stack="dev").workloads.cpu_requests
    assert (sizing.scale, sizing.floor_millicores) == (0.25, 25)
    own = parse({"workloads": json.dumps({"cpuRequests": {"floor": "0.05"}})}, stack="dev")
    assert own.workloads.cpu_requests.floor_millicores == 50
    assert own.workloads.cpu_requests.scale == 0.25    # the rest of dev's default stays


def test_an_invalid_cidr_names_the_key_and_the_value():
    (problem,) = problems({"network": json.dumps({"cidr": "10.0.0.0/33"})})
    assert problem.startswith("shipyard:network.cidr:")
    assert "10.0.0.0/33" in problem


def test_a_public_vpc_cidr_is_refused():
    (problem,) = problems({"network": json.dumps({"cidr": "8.8.0.0/16"})})
    assert problem.startswith("shipyard:network.cidr:") and "private range" in problem


def test_overlapping_subnets_name_both_subnets():
    network = deep_merge(SEED_001_NETWORK, {"subnets": {"private": [
        "10.0.100.0/24", "10.0.101.0/24", "10.0.1.128/25"]}})
    (problem,) = problems({"network": json.dumps(network)})
    assert problem.startswith("shipyard:network.subnets.private[2]:")
    assert "overlaps subnets.public[1]" in problem and "10.0.1.128/25" in problem


def test_a_subnet_outside_the_vpc_is_refused():
    network = deep_merge(SEED_001_NETWORK, {"subnets": {"public": [
        "10.0.0.0/24", "10.0.1.0/24", "10.9.2.0/24"]}})
    (problem,) = problems({"network": json.dumps(network)})
    assert problem.startswith("shipyard:network.subnets.public[2]:")
    assert "not inside the VPC CIDR 10.0.0.0/16" in problem


def test_subnet_count_must_match_the_zone_count():
    network = deep_merge(SEED_001_NETWORK, {"azCount": 2})
    found = problems({"network": json.dumps(network)})
    assert found[0].startswith("shipyard:network.subnets.public:")
    assert "3 subnets for 2 zones" in found[0]


def test_named_zones_must_match_the_zone_count_and_the_region():
    (problem,) = problems({"network": json.dumps({"availabilityZones": ["us-east-1a"]})})
    assert problem.startswith("shipyard:network.availabilityZones:")
    (problem,) = problems({"network": json.dumps(
        {"availabilityZones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"]})})
    assert problem.startswith("shipyard:network.availabilityZones[0]:")
    assert "us-east-1" in problem


def test_a_vpc_too_small_for_the_computed_layout_asks_for_an_explicit_one():
    (problem,) = problems({"network": json.dumps({"cidr": "10.0.0.0/24"})})
    assert problem.startswith("shipyard:network.cidr:") and "network.subnets" in problem


def test_an_unknown_environment_is_refused_and_a_custom_stack_must_name_one():
    (problem,) = problems({"environment": "qa"})
    assert problem.startswith("shipyard:environment:") and '"qa"' in problem
    (problem,) = problems({}, stack="feature-x")
    assert problem.startswith("shipyard:environment: required")


def test_every_problem_is_reported_at_once():
    found = problems({"network": json.dumps({"azCount": 9, "flowLogs": {"retentionDays": 13}})})
    keys = sorted(p.split(":", 2)[1] for p in found)
    assert keys == ["network.azCount", "network.flowLogs.retentionDays"]


def test_seed_001_network_layout_is_expressible():
    settings = parse({"network": json.dumps(SEED_001_NETWORK)})
    layout = settings.network.layout()
    assert [z.public for z in layout] == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    assert [z.private for z in layout] == ["10.0.100.0/24", "10.0.101.0/24", "10.0.102.0/24"]
    assert all(z.isolated is None for z in layout)


def test_base_tags_cannot_be_overridden_by_user_tags():
    settings = parse({"tags": json.dumps({"environment": "oops", "team": "platform"})})
    assert settings.tags["environment"] == "prod"
    assert settings.tags["team"] == "platform"


@pytest.mark.parametrize("overrides,key", [
    ({"shipyard:natGateway": "single"}, "shipyard:natGateway"),
    ({"shipyard:network": {"cidr": "10.0.0.0/33"}}, "shipyard:network.cidr"),
    ({"shipyard:network": {**SEED_001_NETWORK, "subnets": {
        "public": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
        "private": ["10.0.0.0/24", "10.0.101.0/24", "10.0.102.0/24"]}}},
     "shipyard:network.subnets.private[0]"),
])
def test_bad_config_stops_the_program_before_any_resource(overrides, key):
    mocks = CountingMocks()
    with pytest.raises(SettingsError) as info:
        run_platform("prod", mocks=mocks, overrides=overrides)
    assert any(p.startswith(key + ":") for p in info.value.problems)
    assert mocks.registered == []


def test_plan_exits_2_with_only_the_settings_error(tmp_path):
    (tmp_path / "Pulumi.broken.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  shipyard:environment: dev\n"
        "  shipyard:network:\n    natGateway: single\n")
    result = subprocess.run(
        [sys.executable, str(ROOT / "plan.py"), "broken", "--stack-dir", str(tmp_path),
         "--json", str(tmp_path / "plan.json")],
        capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "shipyard:network.natGateway: unknown key" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "plan.json").exists()


def test_existing_mode_says_which_add_ons_it_switched_off():
    settings = parse({"cluster": json.dumps({"mode": "existing", "context": "minikube"})})
    assert not settings.addons.external_dns.enabled and not settings.addons.karpenter.enabled
    assert settings.addons.cert_manager.issuer == "selfsigned"
    note, roles = settings.notes
    assert "externalDns" in note and "karpenter" in note
    assert "sre-platform/image get no AWS role" in roles
    with pytest.raises(SettingsError) as info:
        parse({"cluster": json.dumps({"mode": "existing", "context": "minikube"}),
               "addons": json.dumps({"certManager": {"acmeEmail": "ops@example.com"},
                                     "karpenter": {"enabled": True}})})
    assert info.value.problems[0].startswith("shipyard:addons.karpenter.enabled: needs "
                                             "cluster.mode eks")


def test_deep_merge_copies_containers_but_shares_outputs_and_changes_neither_side():
    class Output:  # like pulumi.Output: cannot be deep-copied
        def __deepcopy__(self, memo):
            raise TypeError("an Output cannot be deep-copied")

    output = Output()
    base = {"a": {"b": [1, {"c": output}]}, "keep": 1}
    merged = deep_merge(base, {"a": {"e": 2}})
    assert merged == {"a": {"b": [1, {"c": output}], "e": 2}, "keep": 1}
    assert merged["a"]["b"][1]["c"] is output          # Outputs cannot be deep-copied
    assert merged["a"]["b"] is not base["a"]["b"]      # but nothing is aliased
    assert base == {"a": {"b": [1, {"c": output}]}, "keep": 1}


def test_alert_receiver_urls_come_only_from_the_secret_alert_urls():
    addons = json.loads(REQUIRED["addons"])
    addons["monitoring"] = {"receivers": [{"name": "oncall", "type": "slack"}]}
    raw = {**REQUIRED, "addons": json.dumps(addons)}

    def settings(extra, secret):
        return parse_settings({**raw, **extra}, project="shipyard", stack="prod",
                              region="us-east-1", secret_keys=frozenset(secret))

    url = json.dumps({"oncall": "https://hooks.slack.com/services/T0/B0/x"})
    with pytest.raises(SettingsError) as info:   # no URL for the receiver
        settings({}, ())
    (line,) = info.value.problems
    assert line.startswith("shipyard:alertUrls: no URL for receiver 'oncall'")
    assert line.endswith('(value: "[secret]")') and "hooks.slack" not in line
    with pytest.raises(SettingsError) as info:   # set, but not as a secret
        settings({"alertUrls": url}, ())
    assert info.value.problems[0].startswith("shipyard:alertUrls: must be set as a secret")
    ok = settings({"alertUrls": url}, {"alertUrls"})
    assert [r.name for r in ok.addons.monitoring.receivers] == ["oncall"]
    assert ok.config.alert_urls == url
