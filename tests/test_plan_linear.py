"""The plan stays linear as tenants are added: what plan.py computes after the program ran
(summaries, tenants, data, cost and deploy estimates, the JSON) does the same work for each
further tenant, never work that grows with the whole plan per resource. Measured as Python
calls made (deterministic), not as time."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable

import plan as plan_cli
from offline.harness import Plan, ResourceRecord

TENANT = "shipyard:apps:Tenant"


def with_copies(plan: Plan, tenant: ResourceRecord, copies: int) -> Plan:
    """``plan`` with ``copies`` more tenants like ``tenant`` (its whole subtree, renamed)."""
    subtree = [tenant, *plan.descendants(tenant)]
    name = tenant.name
    extra = []
    for i in range(copies):
        for record in subtree:
            text = json.dumps(record.__dict__).replace(name, f"{name}-copy{i}")
            extra.append(ResourceRecord(**json.loads(text)))
    return Plan(stack=plan.stack, project=plan.project,
                resources=copy.copy(plan.resources) + extra, outputs=plan.outputs)


def calls(work: Callable[[], object]) -> int:
    count = 0

    def profile(frame, event, arg):  # noqa: ANN001
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


def post_processing(plan: Plan) -> None:
    estimates, lines = plan_cli.estimate(plan)
    plan_cli.summary(plan)
    plan_cli.data_lines(plan)
    json.dumps({**plan.to_json(), "estimate": estimates}, sort_keys=True)


def test_each_further_tenant_costs_the_same(dev):
    tenant = next(r for r in dev.of_type(TENANT) if r.name.endswith("sre-platform"))
    post_processing(dev)  # warm: the price list, the create times and the CRD schemas read
    counts = [calls(lambda n=n: post_processing(with_copies(dev, tenant, n))) for n in (0, 3, 6)]
    first, second = counts[1] - counts[0], counts[2] - counts[1]
    assert first > 0
    # linear: the second three tenants cost what the first three did (measured: within 2 %).
    # A term that grows with the plan per resource or per tenant makes the second step the
    # larger: the tenant summary walking every resource's ancestors per tenant, as it once did,
    # makes it 12 % larger.
    assert second <= 1.05 * first, counts
