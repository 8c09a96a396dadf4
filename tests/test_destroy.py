"""What `pulumi destroy` would do (offline/destroy.py, plan.py --destroy): the order it deletes
in, that nothing a controller made outlives the controller, and what it leaves behind."""

from __future__ import annotations

import dataclasses

import pytest

from offline import destroy
from offline.harness import Plan, ResourceRecord
from tests.support.plans import run_platform
from tests.support.repo import STACKS


def test_no_stack_orphans_what_a_controller_made(stack_plan):
    assert [p["problem"] for p in destroy.problems(stack_plan)] == []


def test_the_order_deletes_dependents_children_and_users_of_a_provider_first(stack_plan):
    order = destroy.DestroyGraph(stack_plan).order()
    assert sorted(order) == sorted(r.urn for r in stack_plan.resources)  # each once
    position = {urn: i for i, urn in enumerate(order)}
    for r in stack_plan.resources:
        for first_gone_after in (*r.dependencies, r.parent, r.provider):
            if first_gone_after in position:
                assert position[r.urn] < position[first_gone_after], (r.urn, first_gone_after)


@pytest.fixture(scope="module")
def all_plans(plans):
    # and the one setting that changes who owns the Gateway: Istio as its controller
    istio = run_platform("staging", overrides={"shipyard:addons": {
        "certManager": {"acmeEmail": "platform@example.com"},
        "ingress": {"controller": "istio"}}})
    return {**{stack: plans[stack] for stack in STACKS}, "staging, ingress by Istio": istio}


@pytest.mark.parametrize("rule", destroy.RULES, ids=lambda rule: rule.controller)
def test_each_rule_catches_its_controller_going_first(rule, all_plans):
    # in some stack the rule covers something; cut what orders one of them before the
    # controller (its dependencies and provider) and the report must name it
    for plan in all_plans.values():
        made = [r for r in plan.resources if rule.makes(r)]
        needed = destroy.needed(rule, plan)
        if made and needed:
            break
    else:
        pytest.fail(f"no stack has what the rule for {rule.controller} covers")
    assert destroy.problems(plan) == []  # as the program is: in order
    victim = made[0]
    cut = dataclasses.replace(victim, dependencies=[], provider=None)
    broken = Plan(stack=plan.stack, project=plan.project, outputs={},
                  resources=[cut if r is victim else r for r in plan.resources])
    found = destroy.problems(broken, rules=(rule,))
    assert [p["resource"] for p in found] == [victim.urn]
    assert victim.name in found[0]["problem"] and rule.why in found[0]["problem"]


def test_what_prod_leaves_behind_and_where_destroy_stops(prod):
    report = destroy.destroy_report(prod)
    protected = {r.urn for r in prod.resources if r.options.get("protect")}
    assert protected and set(report["stopsAt"]) == protected
    left = report["leftBehind"]
    by_what = {entry["what"]: entry for entry in left}
    for r in prod.of_type("aws:rds/instance:Instance"):
        snapshot = r.inputs["finalSnapshotIdentifier"]
        assert by_what[f"final snapshot {snapshot}"]["remove"].endswith(snapshot)
    assert all(entry["remove"] for entry in left)  # each with the command that removes it
    assert any("unprotect" in entry["remove"] for entry in left)
    # the databases' export groups are the program's (destroy deletes them once their
    # database is gone); Enhanced Monitoring's RDSOSMetrics is the account's, left behind
    assert not any(entry["what"].startswith(("log group /aws/rds/", "log group /aws/docdb/"))
                   for entry in left)
    groups = {g.inputs["name"] for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")}
    for r in prod.of_type("aws:rds/instance:Instance"):
        assert {f"/aws/rds/instance/{r.inputs['identifier']}/{log}"
                for log in r.inputs["enabledCloudwatchLogsExports"]} <= groups
    assert [entry["remove"] for entry in left if "RDSOSMetrics" in entry["what"]] == [
        "aws logs delete-log-group --log-group-name RDSOSMetrics  (only once no RDS instance "
        "of the account and region is monitored)"]
    lines = destroy.summary_lines(prod, report)
    assert any("destroy stops at the" in line for line in lines)


def test_dev_stops_nowhere_and_keeps_its_retained_volumes(dev):
    report = destroy.destroy_report(dev)
    assert report["stopsAt"] == []
    assert any("reclaimPolicy Retain" in entry["what"] for entry in report["leftBehind"])
    assert not any("stops at" in line for line in destroy.summary_lines(dev, report))


def record(name: str, parent: str | None = None, deps: tuple[str, ...] = (),
           provider: str | None = None) -> ResourceRecord:
    return ResourceRecord(type="t:m:T", name=name, urn=name, parent=parent, custom=True,
                          inputs={}, dependencies=list(deps), property_dependencies={},
                          provider=provider, options={})


def test_the_order_on_a_hand_made_plan():
    plan = Plan(stack="s", project="p", outputs={}, resources=[
        record("component"), record("provider"), record("db", parent="component"),
        record("app", parent="component", deps=("db",), provider="provider")])
    assert destroy.DestroyGraph(plan).order() == ["app", "db", "provider", "component"]


def test_a_cycle_is_refused():
    plan = Plan(stack="s", project="p", outputs={},
                resources=[record("a", deps=("b",)), record("b", deps=("a",))])
    with pytest.raises(ValueError, match="cycle"):
        destroy.DestroyGraph(plan).order()


def test_a_failed_helm_install_or_upgrade_cleans_up_after_itself(stack_plan):
    # atomic: a failed install is uninstalled and a failed upgrade rolled back, so the release
    # is never left "failed" or "pending-*" (what makes the next run report "another
    # operation (install/upgrade/rollback) is in progress"); cleanupOnFail: what the failed
    # upgrade created is deleted; the history stays bounded
    releases = stack_plan.of_type("kubernetes:helm.sh/v3:Release")
    assert releases
    for r in releases:
        assert r.inputs.get("atomic") is True and r.inputs.get("cleanupOnFail") is True, r.name
        assert r.inputs.get("skipAwait") is False and 0 < r.inputs.get("maxHistory", 0) <= 10
