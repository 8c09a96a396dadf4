"""What the plan report shows, as plain data: read from a plan's JSON document (``plan.py
--json``), so the page is a function of the plan alone (same plan, same bytes).

The platform is drawn by *unit*: a top-level component (network, cluster, addons, apps...) or a
component directly inside one (each add-on, each tenant, each CDN); a resource belongs to the
unit it sits under. Edges between units aggregate the resources' dependencies and providers.
The deploy timeline and the costs come from the plan's own estimates
(``offline/estimates``): the critical path, the priced items and their split per application
(``estimate.by_application``) as ``plan.py`` wrote them; the start of each resource is
recomputed from the same create times and dependency graph only to
show what runs beside the critical path.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline.estimates.deploy_time import create_minutes, dependency_edges
from offline.harness import ROOT, Plan, ResourceRecord
from offline.stateful import is_stateful, protected, renamed, replacements

TENANT = "shipyard:apps:Tenant"
NAMESPACE = "kubernetes:core/v1:Namespace"
POLICY_FILE = ROOT / "policies" / "shipyard_policies.py"
SHARED = "shared platform"


def plan_of(document: Mapping[str, Any]) -> Plan:
    """The plan a JSON document describes (what ``Plan.to_json`` wrote)."""
    records = [ResourceRecord(type=r["type"], name=r["name"], urn=r["urn"], parent=r["parent"],
                              custom=bool(r["custom"]), inputs=r.get("inputs") or {},
                              dependencies=list(r.get("dependencies") or ()),
                              property_dependencies={}, provider=r.get("provider"),
                              options=r.get("options") or {})
               for r in document.get("resources") or ()]
    return Plan(stack=str(document.get("stack", "?")), project=str(document.get("project", "?")),
                resources=records, outputs=dict(document.get("outputs") or {}))


@dataclass
class Unit:
    """A box of the platform picture."""

    key: str            # the component's resource name (addons-istio)
    label: str          # what the box says (istio)
    top: str            # its top-level component (addons)
    kind: str           # "component", "tenant" or "own" (a top component's own resources)
    type: str
    resources: int = 0
    stateful: int = 0
    protected: int = 0
    types: Counter[str] = field(default_factory=Counter)
    added: int = 0
    changed: int = 0
    deleted: int = 0
    monthly_usd: float = 0.0


@dataclass
class Bar:
    label: str
    start: float
    finish: float
    detail: str
    critical: bool = False


@dataclass
class Report:
    stack: str
    project: str
    total_resources: int
    tops: list[str]                              # top components, in dependency order
    units: dict[str, Unit]                       # key -> unit
    edges: dict[tuple[str, str], int]            # (dependent unit, dependency unit) -> count
    tenants: dict[str, str]                      # tenant unit key -> namespace (application)
    deploy_minutes: float
    floor_minutes: float
    critical: list[Bar]
    beside: list[Bar]
    monthly_usd: float
    prices_date: str
    cost_by_kind: dict[str, float]
    cost_by_application: dict[str, float]        # its own and its share of the shared stores
    cost_shared: dict[str, float]                # top component -> shared platform cost
    cost_assumptions: list[str]
    deploy_assumptions: list[str]
    policies: list[tuple[str, str]]
    unchecked: list[tuple[str, int, list[str]]]  # (kind of check, count, example reasons)
    stateful: list[dict[str, Any]]               # each stateful resource
    against: bool = False
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    at_risk: list[dict[str, Any]] = field(default_factory=list)
    destroy: dict[str, Any] | None = None        # plan.py --destroy's report, when given
    upgrade: dict[str, Any] | None = None        # plan.py --against's cluster upgrade, if one


def _chain(plan: Plan, record: ResourceRecord) -> list[ResourceRecord]:
    """The record's ancestors from the top component down to the record itself."""
    return [*reversed(list(plan.ancestors(record))), record]


def unit_key(chain: list[ResourceRecord]) -> str:
    if len(chain) > 1 and chain[1].type.startswith("shipyard:"):
        return chain[1].name
    return chain[0].name


def tenant_namespaces(plan: Plan) -> dict[str, str]:
    """Tenant component name -> its namespace, the application's name."""
    out = {}
    for tenant in plan.of_type(TENANT):
        names = [r.inputs.get("metadata", {}).get("name") for r in plan.descendants(tenant)
                 if r.type == NAMESPACE]
        out[tenant.name] = str(names[0]) if names else tenant.name.removeprefix("apps-")
    return out


def _label(key: str, top: str) -> str:
    return key[len(top) + 1:] if key.startswith(top + "-") else key


def _units(plan: Plan, tenants: Mapping[str, str], namespaces: set[str]
           ) -> tuple[dict[str, Unit], dict[str, str]]:
    units: dict[str, Unit] = {}
    of: dict[str, str] = {}                      # urn -> unit key
    for record in plan.resources:
        chain = _chain(plan, record)
        top, key = chain[0], unit_key(chain)
        if key not in units:
            head = chain[1] if key != top.name else top
            kind = "tenant" if head.type == TENANT else "own" if key == top.name else "component"
            label = tenants.get(key, _label(key, top.name))
            units[key] = Unit(key=key, label=label, top=top.name, kind=kind, type=head.type)
        unit = units[key]
        of[record.urn] = key
        if record.type.startswith("shipyard:"):
            continue                             # a component: counted as its resources
        unit.resources += 1
        unit.types[record.type] += 1
        if is_stateful(record, namespaces):
            unit.stateful += 1
            unit.protected += protected(record)
    return units, of


def _order(tops: list[str], edges: Mapping[tuple[str, str], int]) -> list[str]:
    """Top components, each after what it depends on (ties, and cycles, by name)."""
    deps = {t: {b for (a, b) in edges if a == t and b != t} for t in tops}
    done: list[str] = []
    while len(done) < len(tops):
        ready = [t for t in sorted(tops) if t not in done and deps[t] <= set(done)]
        done.append(ready[0] if ready else min(t for t in tops if t not in done))
    return done


def timeline(plan: Plan, critical_path: list[str], of_unit: Mapping[str, str],
             units: Mapping[str, Unit]) -> tuple[list[Bar], list[Bar], float]:
    """(the critical path's steps, one bar per unit of what runs beside them, the end)."""
    weights = {r.urn: create_minutes(r) for r in plan.resources}
    edges = dependency_edges(plan)
    finish: dict[str, float] = {}
    start: dict[str, float] = {}
    for urn in sorted(weights):
        todo = [urn]
        while todo:                              # iterative: no recursion limit at any size
            node = todo[-1]
            if node in finish:
                todo.pop()
                continue
            waiting = [p for p in edges.get(node, ()) if p in weights and p not in finish]
            if waiting:
                todo.extend(sorted(waiting))
                continue
            start[node] = max((finish[p] for p in edges.get(node, ()) if p in weights),
                              default=0.0)
            finish[node] = start[node] + weights[node]
            todo.pop()
    index = {r.urn: r for r in plan.resources}
    critical = [Bar(f"{index[u].type.rsplit(':', 1)[-1]} {index[u].name}", start[u], finish[u],
                    f"{weights[u]:.1f} min, {index[u].type}", critical=True)
                for u in critical_path if u in index]
    spans: dict[str, list[str]] = {}
    for urn, minutes in weights.items():
        if minutes > 0:
            spans.setdefault(of_unit[urn], []).append(urn)
    beside = []
    for key, urns in spans.items():
        unit = units[key]
        first, last = min(start[u] for u in urns), max(finish[u] for u in urns)
        beside.append(Bar(f"{unit.top} / {unit.label}" if unit.label != unit.top else unit.top,
                          first, last, f"{len(urns)} resources that take time"))
    beside.sort(key=lambda b: (b.start, b.finish, b.label))
    return critical, beside, max(finish.values(), default=0.0)


def policy_names(path: Path = POLICY_FILE) -> list[tuple[str, str]]:
    """(name, description) of each policy in the pack's ``ALL`` list, read from its source (the
    pack is not imported: it runs under the Pulumi engine's analyzer)."""
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError):
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            words = {k.arg: k.value for k in node.keywords}
            name, text = words.get("name"), words.get("description")
            if isinstance(name, ast.Constant) and isinstance(text, ast.Constant):
                out.append((str(name.value), str(text.value)))
    return out


def unchecked_kinds(unchecked: list[Mapping[str, str]]) -> list[tuple[str, int, list[str]]]:
    """What the plan cannot check offline, by kind: (kind, how many, the reasons)."""
    groups: dict[str, list[str]] = {}
    for item in unchecked:
        reason = str(item.get("reason", ""))
        if reason.startswith("chart "):
            kind = "Helm charts' templates"
        elif reason.startswith("remote manifests"):
            kind = "remote manifests"
        elif "CEL rules" in reason:
            kind = "custom resources' CEL rules"
        else:
            kind = "custom resources without a CRD schema"
        groups.setdefault(kind, []).append(f"{item.get('urn', '').rsplit('::', 1)[-1]}: "
                                           f"{reason}")
    return [(kind, len(reasons), sorted(reasons)) for kind, reasons in sorted(groups.items())]


def _differs(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return any(a.get(k) != b.get(k) for k in ("inputs", "options", "dependencies", "provider",
                                               "custom", "parent"))


def build(document: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> Report:
    """The report of one plan's JSON document, compared with ``old`` (an earlier plan's
    document) when given."""
    plan = plan_of(document)
    tenants = tenant_namespaces(plan)
    namespaces = set(tenants.values())
    units, of_unit = _units(plan, tenants, namespaces)
    edges: Counter[tuple[str, str]] = Counter()
    top_edges: Counter[tuple[str, str]] = Counter()
    for r in plan.resources:
        for urn in {*r.dependencies, *([r.provider] if r.provider else [])}:
            if urn in of_unit and of_unit[urn] != of_unit[r.urn]:
                a, b = units[of_unit[r.urn]], units[of_unit[urn]]
                edges[a.key, b.key] += 1
                top_edges[a.top, b.top] += 1
    # a top component that holds nothing but components gets no box of its own
    empty = {k for k, u in units.items() if u.kind == "own" and not u.resources}
    edges = Counter({e: n for e, n in edges.items() if not set(e) & empty})
    units = {k: u for k, u in units.items() if k not in empty}
    tops = _order(sorted({u.top for u in units.values()}), top_edges)
    estimate = document.get("estimate") or {}
    critical, beside, _ = timeline(plan, list(estimate.get("critical_path") or ()), of_unit,
                                   units)
    items = list(estimate.get("items") or ())
    by_kind: dict[str, float] = {}
    for item in items:
        usd = float(item["monthly_usd"])
        by_kind[item["component"]] = by_kind.get(item["component"], 0.0) + usd
        unit = units.get(of_unit.get(item["urn"], ""))
        if unit is not None:
            unit.monthly_usd += usd
    # per application: what the plan's estimate says (estimate.by_application, by the rule of
    # offline/estimates/apportion.py, at the prices the plan was made with), never recomputed.
    # Every document plan.py writes carries it; one without (written before issue 18) shows no
    # split rather than one at today's prices.
    split = estimate.get("by_application") or {}
    applications = split.get("applications") or {}
    by_app = {app: float(applications[app]["total_usd"]) if app in applications else 0.0
              for app in namespaces} if applications else {}
    shared = {top: float(usd) for top, usd in
              (split.get("shared_platform_by_component") or {}).items()}
    stateful = []
    for r in plan.resources:
        if is_stateful(r, namespaces):
            unit = units[of_unit[r.urn]]
            stateful.append({"type": r.type, "name": r.name, "unit": unit.label,
                             "top": unit.top, "protected": protected(r)})
    stateful.sort(key=lambda s: (s["top"], s["unit"], s["name"], s["type"]))
    for unit in units.values():
        unit.monthly_usd = round(unit.monthly_usd, 2)
    report = Report(
        stack=plan.stack, project=plan.project, total_resources=len(plan.resources), tops=tops,
        units=units, edges=dict(edges), tenants=tenants,
        deploy_minutes=float(estimate.get("deploy_minutes", 0.0)),
        floor_minutes=float(estimate.get("floor_minutes", 0.0)), critical=critical,
        beside=beside, monthly_usd=float(estimate.get("monthly_usd", 0.0)),
        prices_date=str(estimate.get("prices_date", "?")),
        cost_by_kind={k: round(v, 2) for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])},
        cost_by_application={k: round(v, 2) for k, v in sorted(by_app.items())},
        cost_shared={k: round(v, 2) for k, v in sorted(shared.items())},
        cost_assumptions=list(estimate.get("cost_assumptions") or ()),
        deploy_assumptions=list(estimate.get("deploy_assumptions") or ()),
        policies=policy_names(), unchecked=unchecked_kinds(list(document.get("unchecked") or ())),
        stateful=stateful,
        destroy=dict(document["destroy"]) if isinstance(document.get("destroy"), Mapping)
        else None,
        upgrade=dict(document["upgrade"]) if isinstance(document.get("upgrade"), Mapping)
        else None)
    if old is not None:
        _compare(report, document, old)
    return report


def _compare(report: Report, document: Mapping[str, Any], old: Mapping[str, Any]) -> None:
    new_by = {r["urn"]: r for r in document.get("resources") or ()}
    old_by = {r["urn"]: r for r in old.get("resources") or ()}
    old_plan = plan_of(old)
    old_units = {r.urn: unit_key(_chain(old_plan, r)) for r in old_plan.resources}
    report.against = True
    # a resource moved under an alias is the same resource, updated in place
    moved = renamed(old_by.values(), new_by.values())
    was = {new: old for old, new in moved.items()}
    report.added = sorted(u for u in new_by if u not in old_by and u not in was)
    report.deleted = sorted(u for u in old_by if u not in new_by and u not in moved)
    report.changed = sorted(u for u in new_by if (u in old_by or u in was) and
                            _differs(new_by[u], old_by[was.get(u, u)]))
    new_plan = plan_of(document)
    of_unit = {r.urn: unit_key(_chain(new_plan, r)) for r in new_plan.resources}
    for urn in report.added:
        if of_unit[urn] in report.units:
            report.units[of_unit[urn]].added += 1
    for urn in report.changed:
        if of_unit[urn] in report.units:
            report.units[of_unit[urn]].changed += 1
    for urn in report.deleted:
        key = old_units[urn]
        if key in report.units:
            report.units[key].deleted += 1
    report.at_risk = list(document.get("replacements") or
                          replacements(old.get("resources") or [], list(new_by.values())))
