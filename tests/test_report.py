"""The plan report (``plan.py STACK --html FILE``, offline/report/): one self-contained page per
stack that names every tenant and carries the totals of the plan's JSON, the same bytes for the
same plan, and, opened in headless Chromium, renders every section and picture without a script
error. The pages are made from the session's plans (tests/conftest.py), not by running the
program again; the browser opens all of them in one session."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import plan as plan_cli
from offline.destroy import destroy_report
from offline.estimates.cost import estimate_cost
from offline.harness import Plan
from offline.report import html, write
from offline.report.model import build, policy_names
from offline.report.page import SECTIONS
from offline.stateful import is_stateful
from tests.support.browser import browser, chromium, required
from tests.support.repo import ROOT, STACKS

MAX_BYTES = 3 * 1024 * 1024
TENANT = "shipyard:apps:Tenant"


def document_of(plan: Plan) -> dict[str, Any]:
    """What ``plan.py --json --destroy`` writes for ``plan``."""
    estimates, _ = plan_cli.estimate(plan)
    return {**plan.to_json(), "estimate": estimates, "destroy": destroy_report(plan)}


@pytest.fixture(scope="module")
def documents(plans) -> dict[str, dict[str, Any]]:
    return {stack: document_of(plans[stack]) for stack in STACKS}


@pytest.fixture(scope="module")
def pages(documents) -> dict[str, str]:
    return {stack: html(doc) for stack, doc in documents.items()}


def namespaces(plan: Plan) -> set[str]:
    """Each tenant's namespace, as plan.py's summary finds them."""
    tenants = {r.urn for r in plan.of_type(TENANT)}
    return {r.inputs["metadata"]["name"] for r in plan.of_type("kubernetes:core/v1:Namespace")
            if r.parent in tenants}


def total(page: str, key: str) -> str:
    found = re.findall(rf'data-total="{key}">([^<]*)<', page)
    assert len(found) == 1, key
    return found[0]


# --- the page as text ----------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_the_page_names_every_tenant_and_carries_the_plans_totals(stack, plans, documents,
                                                                  pages):
    page, doc, plan = pages[stack], documents[stack], plans[stack]
    tenants = namespaces(plan)
    assert tenants
    picture = page[page.index('<svg id="platform-picture"'):]
    picture = picture[:picture.index("</svg>")]
    costs = page[page.index('<svg id="cost-by-application"'):]
    assert picture.count('data-kind="tenant"') == len(tenants)
    for tenant in tenants:
        assert f">{tenant}</text>" in picture, tenant            # its box in the picture
        assert f">{tenant}</text>" in costs, tenant              # its bar among the costs
    assert total(page, "resources") == str(len(doc["resources"]))
    assert total(page, "tenants") == str(len(tenants))
    assert total(page, "monthly_usd") == f"${doc['estimate']['monthly_usd']:,.2f}"
    assert total(page, "deploy_minutes") == f"{doc['estimate']['deploy_minutes']:.1f} min"
    assert total(page, "unchecked") == str(len(doc["unchecked"]))
    stateful = [r for r in plan.resources if is_stateful(r, tenants)]
    assert total(page, "stateful").startswith(f"{len(stateful)} (")
    for section in SECTIONS:
        assert page.count(f'<section id="{section}">') == 1, section


@pytest.mark.parametrize("stack", STACKS)
def test_the_page_is_self_contained_and_small(stack, pages):
    page = pages[stack]
    assert len(page.encode()) <= MAX_BYTES
    # nothing fetched: no stylesheet, script, image or font from anywhere
    assert not re.search(r"<link|<img|<iframe|\ssrc=|@import|url\((?!#)", page)
    urls = set(re.findall(r"https?://[^\s\"'<)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "https://aws.amazon.com/cloudfront/pricing/"}


def test_the_same_plan_gives_the_same_bytes_in_any_process(documents, tmp_path):
    """Sets, dicts and floats never leak an order: the page of one plan's JSON is the same
    bytes under other hash seeds."""
    source = tmp_path / "plan-prod.json"
    source.write_text(json.dumps(documents["prod"]))
    script = ("import json, sys; from offline.report import html; "
              "sys.stdout.write(html(json.loads(open(sys.argv[1]).read())))")
    outputs = {subprocess.run([sys.executable, "-c", script, str(source)], cwd=ROOT,
                              capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")}
    assert outputs == {html(documents["prod"])}


@pytest.mark.parametrize("stack", STACKS)
def test_costs_are_the_estimates_split_without_loss(stack, plans, documents):
    """By kind: the estimate's own breakdown. By application: the priced resources inside each
    tenant; everything else is the shared platform's. Together: the estimate's total."""
    report = build(documents[stack])
    assert report.cost_by_kind == {k: v for k, v in estimate_cost(plans[stack]).by_component
                                   .items() if v or k in report.cost_by_kind}
    assert set(report.cost_by_application) == namespaces(plans[stack])
    split = sum(report.cost_by_application.values()) + sum(report.cost_shared.values())
    assert split == pytest.approx(report.monthly_usd, abs=0.05)


def test_the_split_per_application_is_read_from_the_document(documents):
    """The report shows the document's estimate.by_application (made at the prices the plan
    was made with), not a split recomputed at today's; a document without one shows none."""
    doc = copy.deepcopy(documents["prod"])
    split = doc["estimate"]["by_application"]
    split["applications"]["mentorplatform"]["total_usd"] = 12.34
    split["shared_platform_by_component"] = {"network": 1.0}
    report = build(doc)
    assert report.cost_by_application["mentorplatform"] == 12.34
    assert report.cost_shared == {"network": 1.0}
    del doc["estimate"]["by_application"]
    report = build(doc)
    assert report.cost_by_application == {} and report.cost_shared == {}
    page = html(doc)     # an older plan, without the split: the picture stands, with no bar
    picture = page[page.index('id="cost-by-application"'):]
    assert 'class="bar"' not in picture[:picture.index("</svg>")]


@pytest.mark.parametrize("stack", STACKS)
def test_the_timeline_is_the_estimates_critical_path(stack, documents):
    report = build(documents[stack])
    path = documents[stack]["estimate"]["critical_path"]
    assert [b.label.split(" ", 1)[1] for b in report.critical] == \
        [urn.rsplit("::", 1)[-1] for urn in path]
    assert report.critical[-1].finish == pytest.approx(report.deploy_minutes, abs=0.01)
    for before, after in zip(report.critical, report.critical[1:], strict=False):
        assert after.start == pytest.approx(before.finish)   # a chain: each waits for the last
    assert all(b.finish <= report.deploy_minutes + 0.01 for b in report.beside)


def test_the_platform_is_a_box_per_component_not_a_node_per_resource(prod, documents, pages):
    report = build(documents["prod"])
    boxes = re.findall(r'<g class="unit" data-unit="([^"]+)" data-kind="([^"]+)"', pages["prod"])
    assert len(prod.resources) > 500 and len(boxes) <= 40
    assert sorted(k for k, kind in boxes if kind == "tenant") == sorted(
        r.name for r in prod.of_type(TENANT))
    # every resource is counted in exactly one box
    assert sum(u.resources for u in report.units.values()) == sum(
        not r.type.startswith("shipyard:") for r in prod.resources)
    drawn = {k for k, _ in boxes}
    for edge in re.findall(r'<path class="edge" data-from="([^"]+)" data-to="([^"]+)"',
                           pages["prod"]):
        assert set(edge) <= drawn


def test_the_policy_pack_is_listed_unchecked_never_passing(pages):
    import shipyard_policies

    assert [name for name, _ in policy_names()] == [p.name for p in shipyard_policies.ALL]
    page = pages["prod"]
    assert "not run in this report" in page
    assert "pulumi preview --policy-pack policies" in page
    for policy in shipyard_policies.ALL:
        assert f'<code>{policy.name}</code></td><td class="unchecked">unchecked' in page
    assert not re.search(r">\s*(pass|passed|passing)\s*<", page, re.I)


def changed_against(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """An earlier plan: one resource it lacks (added now), one it had (deleted now), one
    database with another identifier (replaced now)."""
    old = copy.deepcopy(doc)
    resources = old["resources"]
    database = next(r for r in resources if r["type"] == "aws:rds/instance:Instance")
    database["inputs"]["identifier"] = "the-old-identifier"
    added = next(r for r in resources if r["type"] == "kubernetes:core/v1:ConfigMap")
    resources.remove(added)
    gone = copy.deepcopy(next(r for r in resources if r["type"] == "aws:s3/bucket:Bucket"))
    gone["urn"] += "-old"
    gone["name"] += "-old"
    resources.append(gone)
    return old, {"database": database["name"], "added": added["name"], "gone": gone["name"]}


def test_against_an_earlier_plan_the_change_and_the_data_at_risk_stand_out(documents):
    old, names = changed_against(documents["prod"])
    page = html(documents["prod"], old)
    change = page[page.index('<section id="change">'):]
    assert "DATA AT RISK" in change and names["database"] in change
    assert "replaced (identifier changed)" in change
    assert names["gone"] in change and "deleted (gone from the program" in change
    assert names["added"] in change
    assert total(page, "change") == "+1 ~1 \u22121"
    assert re.search(r'class="change">[^<]*\+1', page)        # the box that gains a resource
    assert "No earlier plan given" in html(documents["prod"])


def test_a_rename_under_an_alias_is_a_change_not_a_deletion_and_an_addition(documents):
    doc = documents["prod"]
    old = copy.deepcopy(doc)
    role = next(r for r in old["resources"] if r["options"].get("aliases"))
    role["urn"] = role["options"]["aliases"][0]      # the earlier plan had the old name
    del role["options"]["aliases"]
    report = build(doc, old)
    assert report.added == [] and report.deleted == []
    new_urn = next(r["urn"] for r in doc["resources"] if r["name"] == role["name"])
    assert report.changed == [new_urn]                # its options gained the alias


def test_a_destroy_report_in_the_plan_is_shown_with_its_problems_and_what_stays(documents):
    """``plan.py --destroy`` puts its report in the JSON (order, problems, leftBehind, stopsAt):
    the page shows it; without one it says how to get it."""
    doc = copy.deepcopy(documents["prod"])
    urns = [r["urn"] for r in doc["resources"]]
    doc["destroy"] = {
        "order": urns[::-1],
        "problems": [{"problem": "the Gateway goes after its load balancer's subnets"}],
        "leftBehind": [{"urn": urns[0], "type": "aws:kms/key:Key", "what": "KMS key k: "
                        "scheduled for deletion", "remove": "aws kms cancel-key-deletion"}],
        "stopsAt": urns[:3]}
    destroy = html(doc)
    destroy = destroy[destroy.index('<section id="destroy">'):]
    assert f"deletes <b>{len(urns)}</b> resources" in destroy
    assert "ORDER PROBLEMS" in destroy and "after its load balancer&#x27;s subnets" in destroy
    assert "stops at the <b>3</b> protected resources" in destroy
    assert "<code>aws kms cancel-key-deletion</code>" in destroy
    real = html(documents["prod"])                    # plan.py --destroy's own report
    assert f"deletes <b>{len(urns)}</b> resources" in real and "Left behind on purpose" in real
    del doc["destroy"]
    assert "--destroy --html" in html(doc)


def test_plan_py_writes_the_page(dev, tmp_path, monkeypatch, capsys):
    """The CLI with --html beside --json: the page of the JSON it writes. (The session's plan
    stands in for running the program again.)"""
    monkeypatch.setattr(plan_cli, "run_program", lambda stack, stack_dir=None: dev)
    page, plan_json = tmp_path / "dev.html", tmp_path / "dev.json"
    assert plan_cli.main(["dev", "--json", str(plan_json), "--destroy", "--html", str(page)]) == 0
    assert f"plan report written to {page}" in capsys.readouterr().out
    assert page.read_text() == html(json.loads(plan_json.read_text()))


# --- the page in a real browser ------------------------------------------------------------

BROKEN = """<!DOCTYPE html><html><body><section id="platform"><svg id="blank" width="200"
height="100"></svg><img src="missing.png"></section><script>undefinedFunction();</script>
</body></html>"""


@pytest.fixture(scope="module")
def rendered(documents, tmp_path_factory) -> dict[str, Any]:
    found = chromium()
    if isinstance(found, str):
        if required():
            pytest.fail(f"SHIPYARD_BROWSER_REQUIRED, but no browser: {found}")
        pytest.skip(f"no browser to render the report in: {found}")
    out = Path(os.environ.get("SHIPYARD_REPORT_SCREENSHOTS") or
               tmp_path_factory.mktemp("report"))
    out.mkdir(parents=True, exist_ok=True)
    files = {stack: tmp_path_factory.mktemp(stack) / f"plan-{stack}.html" for stack in STACKS}
    for stack, path in files.items():
        write(path, documents[stack])
    broken = tmp_path_factory.mktemp("broken") / "broken.html"
    broken.write_text(BROKEN)
    with browser() as session:
        results = {stack: session.open(path) for stack, path in files.items()}
        results["broken"] = session.open(broken)
    for stack in STACKS:
        (out / f"plan-report-{stack}.png").write_bytes(results[stack].screenshot)
    return results


@pytest.mark.parametrize("stack", STACKS)
def test_the_page_renders_every_section_and_picture_without_a_script_error(stack, rendered):
    page = rendered[stack]
    assert page.errors == []
    assert set(page.sections) == set(SECTIONS)
    for section, (width, height) in page.sections.items():
        assert width > 300 and height > 50, section
    assert set(page.ink) == {"platform-picture", "deploy-timeline", "cost-by-kind",
                             "cost-by-application", "cost-shared"}
    for picture, (share, colours) in page.ink.items():
        assert share > 0.02 and colours > 50, picture      # drawn, not blank
    assert page.screenshot[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_browser_check_sees_a_script_error_and_a_blank_picture(rendered):
    broken = rendered["broken"]
    assert any("undefinedFunction" in error for error in broken.errors)
    assert any("missing.png" in error for error in broken.errors)     # what it cannot load
    assert broken.ink["blank"] == (0.0, 1)


def test_a_cluster_upgrade_against_the_deployed_plan_is_shown_in_its_order(documents):
    from offline.upgrade import upgrade_report

    doc = copy.deepcopy(documents["prod"])
    old = copy.deepcopy(doc)
    for r in old["resources"]:
        if r["type"] in ("aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup"):
            r["inputs"]["version"] = "1.34"
        if r["type"] == "aws:eks/addon:Addon":
            r["inputs"]["addonVersion"] = r["inputs"]["addonVersion"].replace("1.35", "1.34")
    doc["upgrade"] = upgrade_report(old, doc)
    change = html(doc, old)
    change = change[change.index('<section id="change">'):]
    assert "Cluster upgrade 1.34 &rarr; 1.35, in the order it runs" in change
    assert change.index("control plane") < change.index("EKS managed add-ons") < \
        change.index("managed node groups")
    assert "Every step updates in place." in change
