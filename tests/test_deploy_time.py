"""The deploy-time estimate: the longest path through the plan's dependency graph, its floor,
and the 10 % the program's waits may add to the floor."""

from __future__ import annotations

import json

import pytest

from offline.estimates.deploy_time import (
    CREATE_TIMES,
    NECESSARY,
    CreateTimes,
    create_minutes,
    estimate_deploy,
    explicit_dependencies,
    load_create_times,
    longest_path,
    necessary_reason,
)
from offline.harness import Plan, ResourceRecord

EKS = "aws:eks/cluster:Cluster"


def waits_for(plan: Plan, later: ResourceRecord, earlier: str) -> bool:
    """Whether ``later`` waits for ``earlier`` in Pulumi's terms: a dependency, its provider or
    parent, or a descendant of a component it depends on."""
    if earlier in later.dependencies or earlier in (later.provider, later.parent):
        return True
    index = {r.urn: r for r in plan.resources}
    parent = index[earlier].parent
    while parent in index:
        if parent in later.dependencies and not index[parent].custom:
            return True
        parent = index[parent].parent
    return False


# -- the three stacks -------------------------------------------------------------------------


SLOW_STORES = {"aws:mq/broker:Broker", "aws:rds/instance:Instance",
               "aws:elasticache/replicationGroup:ReplicationGroup",
               "aws:docdb/clusterInstance:ClusterInstance"}


def test_prod_takes_a_realistic_time_through_the_eks_cluster_or_a_managed_store(prod):
    """The longest chain runs through the cluster (~12 min before a node) or, since the
    stores, through the slowest managed store (an Amazon MQ cluster takes ~18 min) into the
    Job that creates its users and the Deployments that wait for it."""
    estimate = estimate_deploy(prod)
    assert 15 <= estimate.deploy_minutes <= 60
    path = [prod.by_urn(urn) for urn in estimate.critical_path]
    assert path[0].dependencies == [], f"{path[0].name} is not a root resource"
    assert {EKS, *SLOW_STORES} & {r.type for r in path}


def test_the_critical_path_is_a_chain_of_plan_resources(stack_plan):
    path = estimate_deploy(stack_plan).critical_path
    urns = {r.urn for r in stack_plan.resources}
    assert path and set(path) <= urns
    for earlier, later in zip(path, path[1:], strict=False):
        assert waits_for(stack_plan, stack_plan.by_urn(later), earlier), (earlier, later)


def test_the_floor_never_exceeds_the_estimate(stack_plan):
    estimate = estimate_deploy(stack_plan)
    assert 0 < estimate.floor_minutes <= estimate.deploy_minutes


def test_the_program_waits_at_most_ten_percent_longer_than_it_must(stack_plan):
    estimate = estimate_deploy(stack_plan)
    assert estimate.deploy_minutes <= 1.10 * estimate.floor_minutes, estimate.summary_lines()


def test_every_explicit_wait_in_the_program_has_a_reason(stack_plan):
    """A depends_on no input carries must be in NECESSARY (with why) or go."""
    index = {r.urn: r for r in stack_plan.resources}
    unlisted = sorted(f"{r.type} {r.name} -> {index[d].type} {index[d].name}"
                      for r in stack_plan.resources for d in explicit_dependencies(r)
                      if d in index and necessary_reason(r, index[d]) is None)
    assert unlisted == []


def test_the_json_and_the_summary(prod):
    estimate = estimate_deploy(prod)
    doc = estimate.to_json()
    assert set(doc) == {"deploy_minutes", "critical_path", "floor_minutes", "assumptions"}
    json.dumps(doc)
    assert doc["critical_path"] == estimate.critical_path
    lines = estimate.summary_lines()
    assert f"{doc['deploy_minutes']:.1f} min" in lines[0]    # the JSON's figure, as the report
    assert f"floor {doc['floor_minutes']:.1f} min" in lines[0]
    first = prod.by_urn(estimate.critical_path[1])     # the VPC's first dependent
    assert any(f"{first.type}:{first.name}" in line for line in lines)
    assert len(lines) == 2 + len(estimate.critical_path)


# -- the create-time table --------------------------------------------------------------------


def test_every_figure_has_a_source_and_the_big_ones_match_what_aws_users_report():
    doc = json.loads(CREATE_TIMES.read_text())
    assert doc["default"]["source"] and 0 < doc["default"]["minutes"] <= 0.5
    for kind, entry in doc["types"].items():
        assert entry["minutes"] >= 0 and entry["source"].strip(), kind
    times = load_create_times()
    assert 9 <= times.minutes[EKS] <= 10
    assert 3 <= times.minutes["aws:eks/nodeGroup:NodeGroup"] <= 4
    assert 1.5 <= times.minutes["aws:ec2/natGateway:NatGateway"] <= 2.5
    assert 10 <= times.minutes["aws:rds/instance:Instance"] <= 20


def test_every_cloud_resource_type_the_stacks_create_has_a_figure(stack_plan):
    """AWS types never fall back to the default (Kubernetes objects may: one API call each)."""
    times = load_create_times()
    missing = sorted({r.type for r in stack_plan.resources
                      if r.type.startswith("aws:") and r.type not in times.minutes})
    assert missing == []


def test_helm_releases_are_timed_by_chart(prod):
    times = load_create_times()
    for r in prod.of_type("kubernetes:helm.sh/v3:Release"):
        chart = r.inputs["chart"].rsplit("/", 1)[-1]
        assert create_minutes(r, times) == times.minutes[f"{r.type}[{chart}]"], chart


def test_the_allow_list_gives_a_reason_for_each_pair():
    pairs = [(n.dependent, n.dependency) for n in NECESSARY]
    assert len(pairs) == len(set(pairs))
    assert all(len(n.reason) > 5 for n in NECESSARY)


# -- the maths, on a plan built by hand -------------------------------------------------------


def record(name: str, type_: str, *, deps: tuple[str, ...] = (), props: tuple[str, ...] = (),
           parent: str | None = None, custom: bool = True) -> ResourceRecord:
    urn = f"urn:{name}"
    return ResourceRecord(
        type=type_, name=name, urn=urn, parent=parent and f"urn:{parent}", custom=custom,
        inputs={}, dependencies=sorted(f"urn:{d}" for d in {*deps, *props}),
        property_dependencies={"x": [f"urn:{p}" for p in props]} if props else {},
        provider=None, options={})


TIMES = CreateTimes(default=0.5, minutes={"t:a": 2, "t:b": 3, "t:c": 1, "t:d": 4, "t:big": 5},
                    sources={})


def synthetic(*records: ResourceRecord) -> Plan:
    return Plan(stack="test", project="test", resources=list(records), outputs={})


def test_the_longest_path_weights_each_resource_by_its_create_time():
    plan = synthetic(
        record("a", "t:a"),
        record("b", "t:b", props=("a",)),
        record("c", "t:c", props=("a",)),
        record("d", "t:d", props=("b", "c")),
        record("e", "t:unknown"),               # the default: 0.5, alone
    )
    estimate = estimate_deploy(plan, TIMES)
    assert estimate.deploy_minutes == pytest.approx(2 + 3 + 4)
    assert estimate.critical_path == ["urn:a", "urn:b", "urn:d"]
    assert estimate.floor_minutes == pytest.approx(9)  # every edge carries a value


def test_waiting_for_a_component_waits_for_all_its_descendants_and_only_needed_waits_count():
    plan = synthetic(
        record("a", "t:a"),
        record("comp", "shipyard:test:Comp", custom=False),
        record("inner", "shipyard:test:Inner", parent="comp", custom=False),
        record("slow", "t:big", parent="inner"),        # a grandchild: 5 minutes
        record("quick", "t:c", parent="comp"),
        # waits for the component (explicitly, not in NECESSARY) and uses a's output
        record("user", "t:d", deps=("comp",), props=("a",)),
    )
    estimate = estimate_deploy(plan, TIMES)
    assert estimate.deploy_minutes == pytest.approx(5 + 4)
    assert estimate.critical_path == ["urn:slow", "urn:user"]
    # the floor drops the explicit wait for the component, keeps the value from a
    assert estimate.floor_minutes == pytest.approx(2 + 4)
    assert estimate.floor_path == ["urn:a", "urn:user"]


def test_an_explicit_wait_in_the_allow_list_counts_towards_the_floor():
    nat = record("nat", "aws:ec2/natGateway:NatGateway", deps=("igw",))
    plan = synthetic(record("igw", "aws:ec2/internetGateway:InternetGateway"), nat)
    times = CreateTimes(default=0.1, minutes={"aws:ec2/natGateway:NatGateway": 2,
                                              "aws:ec2/internetGateway:InternetGateway": 1},
                        sources={})
    estimate = estimate_deploy(plan, times)
    assert estimate.floor_minutes == estimate.deploy_minutes == pytest.approx(3)


def test_components_take_no_time_and_a_cycle_is_refused():
    comp = record("comp", "shipyard:test:Comp", custom=False)
    assert create_minutes(comp, TIMES) == 0
    with pytest.raises(ValueError, match="cycle"):
        longest_path({"x": 1, "y": 1}, {"x": {"y"}, "y": {"x"}})
