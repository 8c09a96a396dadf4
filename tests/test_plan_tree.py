"""The plan's tree questions (offline/harness.py Plan): answered from indexes built once, so the
summary stays linear in the plan's size; pure, on a hand-made plan."""

import pytest

from offline.harness import Plan, ResourceRecord


def record(name: str, parent: str | None) -> ResourceRecord:
    return ResourceRecord(type="t", name=name, urn=f"urn:{name}", parent=parent and f"urn:{parent}",
                          custom=True, inputs={}, dependencies=[], property_dependencies={},
                          provider=None, options={})


def tree() -> Plan:
    # a -> b -> c, a -> d, e alone; registered out of tree order
    records = [record("a", None), record("d", "a"), record("b", "a"), record("e", None),
               record("c", "b")]
    return Plan(stack="s", project="p", resources=records, outputs={})


def test_descendants_are_everything_below_in_registration_order():
    plan = tree()
    assert [r.name for r in plan.descendants(plan.by_urn("urn:a"))] == ["d", "b", "c"]
    assert [r.name for r in plan.descendants(plan.by_urn("urn:b"))] == ["c"]
    assert plan.descendants(plan.by_urn("urn:e")) == []


def test_ancestors_and_the_top_component():
    plan = tree()
    c = plan.by_urn("urn:c")
    assert [r.name for r in plan.ancestors(c)] == ["b", "a"]
    assert plan.component_of(c) == "a" and plan.component_of(plan.by_urn("urn:e")) == "e"
    with pytest.raises(KeyError):
        plan.by_urn("urn:nowhere")


def test_the_indexes_follow_the_resources():
    plan = tree()
    assert plan.descendants(plan.by_urn("urn:e")) == []
    plan.resources.append(record("f", "e"))
    assert [r.name for r in plan.descendants(plan.by_urn("urn:e"))] == ["f"]
