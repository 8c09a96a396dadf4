#!/usr/bin/env python3
"""The offline plan: what `pulumi up` would create for a stack, without the CLI or a cloud.

    python plan.py STACK [--json FILE] [--manifests DIR] [--against OLD.json] [--destroy]
                         [--html FILE]

Runs the real __main__.py for STACK under Pulumi mocks (offline/harness.py) with the stack's
Pulumi.<STACK>.yaml and Pulumi.yaml, then prints resources per component and per type, the
total, and the stack outputs (secrets masked). --json writes the whole plan, --manifests every
Kubernetes object shipyard itself creates. --against compares with an earlier plan's JSON
(main's, in a pull request) and flags every stateful resource (offline/stateful.py) the change
would replace or delete, and checks a cluster.version change: one minor at a time, never down,
printed in the order the upgrade runs (offline/upgrade.py). --destroy reports what `pulumi destroy` would do (offline/destroy.py):
the order it deletes in, controller-made resources it would orphan, what it leaves behind.
--html writes the plan report, one self-contained page (the platform, the first deploy, the
cost, the checks, the data, the change and the destroy report: offline/report/). Bad config:
the settings error alone, exit 2.
"""

from __future__ import annotations

import atexit
import gc

if __name__ == "__main__":
    # A command: the process ends with the plan. Its objects live to the end, so the cyclic
    # collector never runs (as benchmarks/sdk_floor.py, the floor it is measured against), not
    # even on the way out: frozen at exit, the interpreter's last collection skips them (a
    # third of a second for prod, and a second at exit for both).
    gc.disable()
    atexit.register(gc.freeze)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

from offline import crd_schemas
from offline.destroy import destroy_report
from offline.destroy import summary_lines as destroy_lines
from offline.estimates.cost import estimate_cost
from offline.estimates.deploy_time import estimate_deploy
from offline.harness import Plan, StackFileError, collector_paused, run_program
from offline.manifests import write_manifests
from offline.report import write as write_report
from offline.stateful import connection_of, is_stateful, protected, renamed, replacements
from offline.upgrade import UpgradeError, upgrade_report
from offline.upgrade import summary_lines as upgrade_lines
from shipyard.catalog.load import CatalogError
from shipyard.config.base import SettingsError

# Input errors: the message alone, exit 2. Anything else is a bug of shipyard's: one line (the
# traceback with SHIPYARD_TRACEBACK=1), exit 1.
INPUT_ERRORS = (SettingsError, StackFileError, CatalogError, UpgradeError)


def summary(plan: Plan) -> str:
    lines = [f"stack {plan.stack}: {len(plan.resources)} resources "
             f"(planned offline in {plan.seconds:.1f} s)", ""]
    by_component: dict[str, Counter[str]] = {}
    for record in plan.resources:
        by_component.setdefault(plan.component_of(record), Counter())[record.type] += 1
    for component in sorted(by_component):
        types = by_component[component]
        lines.append(f"{component}  ({sum(types.values())})")
        for type_, count in sorted(types.items()):
            lines.append(f"    {count:4d}  {type_}")
    tenants = tenant_lines(plan)
    if tenants:
        lines += ["", "tenants (one per hosted application):", *tenants]
    lines += ["", "by type:"]
    for type_, count in sorted(Counter(r.type for r in plan.resources).items()):
        lines.append(f"    {count:4d}  {type_}")
    lines += ["", f"total: {len(plan.resources)}"]
    unchecked = plan.unchecked()
    if unchecked:
        lines += ["", f"unchecked offline ({len(unchecked)}): Helm charts' templates, remote "
                      f"manifests, custom resources' CEL rules and any custom resource without "
                      f"a CRD schema (see --json)"]
        if (missing := crd_schemas.missing()) is not None:
            lines.append(f"CRD schema checks skipped: {missing}")
    lines += ["", "outputs:"]
    for key in sorted(plan.outputs):
        lines.append(f"    {key}: {json.dumps(plan.outputs[key])}")
    if plan.messages:  # what `pulumi up` would print of the program's own: its settings' notes
        lines += ["", f"the program's messages ({len(plan.messages)}):"]
        lines += [f"    {m['severity']}: {m['message']}" for m in plan.messages]
    return "\n".join(lines)


TENANT = "shipyard:apps:Tenant"
TENANT_KINDS = (("Deployment", "deployments"), ("HorizontalPodAutoscaler", "autoscalers"),
                ("PodDisruptionBudget", "budgets"), ("Service", "services"),
                ("NetworkPolicy", "network policies"), ("HTTPRoute", "routes"),
                ("DestinationRule", "destination rules"),
                ("AuthorizationPolicy", "authorization policies"))


def tenant_lines(plan: Plan) -> list[str]:
    """Each tenant: its namespace, and how many of each workload object it holds."""
    lines = []
    for tenant in plan.of_type(TENANT):
        inside = plan.descendants(tenant)
        kinds = Counter(r.type.rsplit(":", 1)[-1] for r in inside)
        namespace = next((r.inputs.get("metadata", {}).get("name") for r in inside
                          if r.type == "kubernetes:core/v1:Namespace"), "?")
        counts = ", ".join(f"{kinds[kind]} {label}" for kind, label in TENANT_KINDS
                           if kinds[kind])
        lines.append(f"    {namespace:<20} {len(inside):4d} resources: {counts}")
        own = {r.name.rsplit('-stores-', 1)[-1]: r.type.rsplit(':', 1)[-1] for r in inside
               if r.type.startswith("shipyard:stores:") and r.type != "shipyard:stores:Stores"}
        # a store on the stack's shared one: its services' connections name it
        shared = dict(connection_of(r.type, r.inputs) for r in inside)
        stores = sorted([f"{name} ({kind})" for name, kind in own.items()] +
                        [f"{name} (shared {store})" for name, store in shared.items()
                         if name and store and name not in own])
        if stores:
            lines.append(f"    {'':<20}      stores: {', '.join(stores)}")
    return lines


def data_lines(plan: Plan) -> list[str]:
    """The resources that hold data (offline/stateful.py) and how many are protected."""
    tenant_urns = {r.urn for r in plan.of_type(TENANT)}
    tenants = {r.inputs["metadata"]["name"] for r in plan.of_type("kubernetes:core/v1:Namespace")
               if r.parent in tenant_urns}
    stateful = [r for r in plan.resources if is_stateful(r, tenants)]
    kept = [r for r in stateful if protected(r)]
    return ["", f"data: {len(stateful)} stateful resources, {len(kept)} protected "
                f"(pulumi destroy and replacements stop at them)"]


def estimate(plan: Plan) -> tuple[dict, list[str]]:
    """The plan's cost and deploy-time estimates: one JSON object, and lines to print."""
    cost, deploy = estimate_cost(plan), estimate_deploy(plan)
    cost_json, deploy_json = cost.to_json(), deploy.to_json()
    # both carry "assumptions": keep them apart in the one flat object
    cost_json["cost_assumptions"] = cost_json.pop("assumptions", [])
    deploy_json["deploy_assumptions"] = deploy_json.pop("assumptions", [])
    return ({**cost_json, **deploy_json},
            ["", *cost.summary_lines(), "", *deploy.summary_lines()])


def main(argv: list[str] | None = None) -> int:
    try:
        # the whole plan without the cyclic collector's passes (offline/harness.py): nearly
        # everything it allocates lives to its end
        with collector_paused():
            return _main(argv)
    except INPUT_ERRORS as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:  # --json, --manifests, --html or --against: a path that cannot be used
        print(f"plan.py: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("SHIPYARD_TRACEBACK"):
            traceback.print_exc()
        print(f"plan.py: internal error, not a problem of the input ({type(exc).__name__}: "
              f"{exc}); SHIPYARD_TRACEBACK=1 shows where", file=sys.stderr)
        return 1


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("stack", help="dev, staging, prod, or any stack with a Pulumi.STACK.yaml")
    parser.add_argument("--json", metavar="FILE", type=Path, help="write the plan as JSON")
    parser.add_argument("--manifests", metavar="DIR", type=Path,
                        help="write every Kubernetes object shipyard creates as YAML")
    parser.add_argument("--stack-dir", metavar="DIR", type=Path,
                        help="where Pulumi.STACK.yaml lives (default: beside Pulumi.yaml)")
    parser.add_argument("--against", metavar="OLD.json", type=Path,
                        help="an earlier plan: flag the stateful resources this one replaces")
    parser.add_argument("--destroy", action="store_true",
                        help="also report what pulumi destroy would delete, in which order, "
                             "and leave behind")
    parser.add_argument("--html", metavar="FILE", type=Path,
                        help="write the plan report: one self-contained HTML page")
    args = parser.parse_args(argv)
    old = None
    if args.against:
        try:
            old = json.loads(args.against.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            print(f"plan.py: --against {args.against}: not a plan's JSON ({exc})",
                  file=sys.stderr)
            return 2
        if not isinstance(old, dict) or not isinstance(old.get("resources", []), list):
            print(f"plan.py: --against {args.against}: not a plan's JSON (no resources list)",
                  file=sys.stderr)
            return 2
    plan = run_program(args.stack, stack_dir=args.stack_dir)
    estimates, estimate_lines = estimate(plan)
    document = {**plan.to_json(), "estimate": estimates}
    # a cluster.version step EKS cannot take is refused before anything is printed
    upgrade = upgrade_report(old, document) if old is not None else None
    print(summary(plan))
    print("\n".join(estimate_lines + data_lines(plan)))
    if old is not None:
        risks = replacements(old.get("resources", []), document["resources"])
        document["replacements"] = risks
        print(f"\nstateful resources replaced or deleted against {args.against}: "
              f"{len(risks)}")
        for risk in risks:
            print(f"  DATA AT RISK  {risk['type']} {risk['name']}: {risk['change']}")
        moved = renamed(old.get("resources", []), document["resources"])
        if moved:
            print(f"renamed under an alias, updated in place (not replaced): {len(moved)}")
        if upgrade is not None:
            document["upgrade"] = upgrade
            print("\n" + "\n".join(upgrade_lines(upgrade)))
    if args.destroy:
        document["destroy"] = destroy_report(plan)
        print("\n" + "\n".join(destroy_lines(plan, document["destroy"])))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        print(f"\nplan written to {args.json}")
    if args.manifests:
        written = write_manifests(plan, args.manifests)
        print(f"{written} Kubernetes manifests written to {args.manifests}")
    if args.html:
        size = write_report(args.html, document, old)
        print(f"plan report written to {args.html} ({size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
