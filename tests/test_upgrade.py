"""Cluster upgrades against the plan of what is deployed (offline/upgrade.py, plan.py
--against): one minor at a time and never down, refused with the key named; a one-minor step
laid out in the order it runs, with the add-ons and node groups following the cluster."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import plan as plan_cli
from offline import upgrade


def deployed_at(plan, version: str) -> dict:
    """``plan``'s JSON as if deployed at Kubernetes ``version``: what the program plans for
    that version (the cluster, its node groups and add-ons follow it)."""
    doc = copy.deepcopy({"resources": [r.to_json() for r in plan.resources]})
    now = plan.of_type(upgrade.CLUSTER)[0].inputs["version"]
    for r in doc["resources"]:
        if r["type"] in (upgrade.CLUSTER, upgrade.NODE_GROUP):
            r["inputs"]["version"] = version
        if r["type"] == upgrade.ADDON:
            r["inputs"]["addonVersion"] = r["inputs"]["addonVersion"].replace(now, version)
    return doc


def current(plan) -> dict:
    return {"resources": [r.to_json() for r in plan.resources]}


def test_the_add_ons_and_node_groups_follow_the_cluster_version(prod):
    version = prod.of_type(upgrade.CLUSTER)[0].inputs["version"]
    assert {g.inputs["version"] for g in prod.of_type(upgrade.NODE_GROUP)} == {version}
    for addon in prod.of_type(upgrade.ADDON):  # the default build for that version
        assert addon.inputs["addonVersion"].endswith(f"-for-{version}"), addon.name


def test_a_one_minor_step_runs_control_plane_add_ons_nodes_karpenter_charts(prod):
    report = upgrade.upgrade_report(deployed_at(prod, "1.34"), current(prod))
    assert report is not None and (report["from"], report["to"]) == ("1.34", "1.35")
    assert [s["step"].split(" (")[0] for s in report["steps"]] == [
        "control plane", "EKS managed add-ons", "managed node groups", "Karpenter's nodes",
        "charts whose version changes"]
    assert report["problems"] == []
    assert all(not s["replaces"] for s in report["steps"])  # updated in place, never replaced
    groups = report["steps"][2]["changes"]
    assert len(groups) == len(prod.of_type(upgrade.NODE_GROUP))
    assert all("rolled in place to 1.35" in g and "PodDisruptionBudgets" in g for g in groups)
    assert len(report["steps"][1]["changes"]) == len(prod.of_type(upgrade.ADDON))


def test_what_would_replace_or_lag_is_a_problem(prod):
    old = deployed_at(prod, "1.34")
    for r in old["resources"]:
        if r["type"] == upgrade.NODE_GROUP:
            r["inputs"]["instanceTypes"] = ["m5.large"]  # a ForceNew input: a new group
        if r["type"] == upgrade.ADDON and r["name"].endswith("coredns"):
            r["inputs"]["addonVersion"] = prod.named(r["name"]).inputs["addonVersion"]
    report = upgrade.upgrade_report(old, current(prod))
    assert any("replaces" in p and "instanceTypes" in p for p in report["problems"])
    assert any("coredns stays at" in p for p in report["problems"])


@pytest.mark.parametrize(("deployed", "why"), [("1.33", "one minor version at a time"),
                                                ("1.36", "does not downgrade")])
def test_a_skip_or_a_downgrade_is_refused_naming_the_key(prod, deployed, why):
    with pytest.raises(upgrade.UpgradeError, match=why) as refused:
        upgrade.upgrade_report(deployed_at(prod, deployed), current(prod))
    assert str(refused.value).startswith("shipyard:cluster.version: ")
    assert '(value: "1.35")' in str(refused.value)


def test_the_same_version_is_no_upgrade(prod):
    assert upgrade.upgrade_report(current(prod), current(prod)) is None


def test_plan_py_exits_2_on_a_skip_and_prints_a_step(prod, tmp_path: Path, monkeypatch,
                                                     capsys):
    monkeypatch.setattr(plan_cli, "run_program", lambda *a, **k: prod)
    old = tmp_path / "deployed.json"
    old.write_text(json.dumps(deployed_at(prod, "1.33")))
    assert plan_cli.main(["prod", "--against", str(old)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("shipyard:cluster.version: moves one minor version at a time")
    assert out == ""  # refused before anything is printed
    old.write_text(json.dumps(deployed_at(prod, "1.34")))
    assert plan_cli.main(["prod", "--against", str(old)]) == 0
    out, _ = capsys.readouterr()
    assert "cluster upgrade 1.34 -> 1.35, in the order it runs:" in out
    assert out.index("1. control plane") < out.index("3. managed node groups")
