"""metrics-server: on in every stack, highly available outside dev."""

import pytest

from components.addons.metrics_server import metrics_server_values
from shipyard.versions import CHARTS
from tests.support.plans import run_platform

RELEASE = "kubernetes:helm.sh/v3:Release"


def release(plan):
    (found,) = [r for r in plan.of_type(RELEASE) if r.inputs["name"] == "metrics-server"]
    return found


def test_one_replica_without_a_pdb_when_not_highly_available():
    values = metrics_server_values(highly_available=False)
    assert values["replicas"] == 1
    assert values["podDisruptionBudget"] == {"enabled": False}
    assert "topologySpreadConstraints" not in values


def test_two_spread_replicas_behind_a_pdb_when_highly_available():
    values = metrics_server_values(highly_available=True)
    assert values["replicas"] == 2
    assert values["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    (spread,) = values["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    assert spread["labelSelector"]["matchLabels"]["app.kubernetes.io/instance"] == \
        "metrics-server"


def test_resource_requests_are_set():
    for ha in (False, True):
        assert metrics_server_values(highly_available=ha)["resources"]["requests"] == {
            "cpu": "100m", "memory": "200Mi"}


def test_metrics_server_is_a_pinned_chart_in_kube_system_in_every_stack(stack_plan):
    r = release(stack_plan)
    chart = CHARTS["metrics-server"]
    assert (r.inputs["chart"], r.inputs["version"], r.inputs["repositoryOpts"]["repo"]) == \
        (chart.chart, chart.version, chart.repo)
    assert r.inputs["namespace"] == "kube-system"


@pytest.mark.parametrize("stack,replicas,pdb", [("dev", 1, False), ("staging", 2, True),
                                                ("prod", 2, True)])
def test_replicas_and_pdb_per_environment(plans, stack, replicas, pdb):
    values = release(plans[stack]).inputs["values"]
    assert values["replicas"] == replicas
    assert values["podDisruptionBudget"]["enabled"] is pdb
    if pdb:
        assert values["podDisruptionBudget"]["minAvailable"] == 1


def test_user_values_are_laid_over_shipyards():
    addons = {"certManager": {"acmeEmail": "ops@example.com"},
              "metricsServer": {"values": {"args": ["--kubelet-insecure-tls"]}}}
    values = release(run_platform("prod", overrides={"shipyard:addons": addons})).inputs["values"]
    assert values["args"] == ["--kubelet-insecure-tls"]
    assert values["replicas"] == 2
