"""How the offline plan's time grows with the platform, and how close it is to the bare SDK.

    python benchmarks/plan_scale.py [--sizes 0,5,25,50] [--stack dev] [--runs 3] [--no-prod]

For each size N it copies the program (not the tests) into a temporary directory, adds N
synthetic applications to its ``catalogs/`` (four services each, as a small web platform has:
a front end behind the Gateway, an API and an auth service on PostgreSQL and Redis, a file
service on S3 through its own IAM role), and times ``python plan.py STACK --json F`` there, in a
fresh process each run. Then it replays the plan just written through the bare Pulumi SDK
(``benchmarks/sdk_floor.py``: the same registrations and nothing of shipyard's) and times that
too, alternating the two so that both see the same machine. Last, the same for the prod stack
as it is.

Prints a Markdown table: per size the services, resources, plan wall time (median), ms per
resource, the SDK floor (median) and plan / floor. The medians are of ``--runs`` runs; the
machine's noise is in the spread, so quote ratios. This is a benchmark, not a test: nothing
here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
# What the program needs to run; the copy leaves out the tests, docs, policies and tooling.
PROGRAM = ("__main__.py", "plan.py", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml",
           "Pulumi.prod.yaml", "shipyard", "components", "compose", "offline", "catalogs",
           "dashboards")


def synthetic_catalog(index: int) -> dict[str, Any]:
    """One synthetic application, ``bench-NNN``: four services, PostgreSQL, Redis and S3."""
    name = f"bench-{index:03d}"

    def service(port: int, cpu: str, memory: str, **more: Any) -> dict[str, Any]:
        return {
            "description": f"synthetic service of {name}",
            "image": f"{name}/{more.pop('image')}",
            "tag": "1.0.0",
            "ports": [{"name": "http", "port": port}],
            "autoscaling": {"minReplicas": 2, "maxReplicas": 4, "cpuUtilization": 70},
            "disruptionBudget": {"minAvailable": 1},
            "resources": {"requests": {"cpu": cpu, "memory": memory},
                          "limits": {"cpu": "500m", "memory": "512Mi"}},
            "health": {"startup": "/health", "liveness": "/health", "readiness": "/health"},
            "metrics": {"path": "/metrics"},
            **more,
        }

    data = {"use": [{"store": "db", "database": "app"}, {"store": "cache"}]}
    return {
        "name": name,
        "description": f"synthetic tenant {index} of the plan benchmark",
        "hostname": name,
        "mesh": index % 2 == 0,  # half in the mesh, half out, as tenants differ
        "routes": [{"path": "/", "service": "web"}],
        "services": {
            "web": service(8080, "50m", "64Mi", image="web"),
            "api": service(3000, "100m", "128Mi", image="api", callers=["web"],
                           uses=data["use"]),
            "auth": service(8081, "50m", "64Mi", image="auth", callers=["web", "api"],
                            uses=data["use"],
                            secrets=[{"name": "signing-key", "generate": True}]),
            "files": service(5000, "100m", "256Mi", image="files", callers=["api"],
                             uses=[{"store": "uploads"}], aws=True),
        },
        "stores": {"db": {"kind": "postgresql", "databases": ["app"]},
                   "cache": {"kind": "redis"}, "uploads": {"kind": "objectStorage"}},
    }


def program_copy(extra: int) -> Path:
    """The program in a temporary directory, with ``extra`` synthetic applications."""
    root = Path(tempfile.mkdtemp(prefix=f"shipyard-bench-{extra}-"))
    for name in PROGRAM:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy2(source, root / name)
    for index in range(extra):
        catalog = synthetic_catalog(index)
        (root / "catalogs" / f"{catalog['name']}.yaml").write_text(
            yaml.safe_dump(catalog, sort_keys=False))
    return root


# As on a user's machine: bytecode cached after the warm-up run (some CI images turn it off).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: Sequence[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=ENV)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} (in {cwd}) exited {done.returncode}:\n"
                         f"{done.stderr[-2000:]}")
    return seconds


def measure(root: Path, stack: str, runs: int) -> dict[str, Any]:
    plan_json = root / f"plan-{stack}.json"
    plan_cmd = [sys.executable, "plan.py", stack, "--json", str(plan_json)]
    floor_cmd = [sys.executable, str(ROOT / "benchmarks" / "sdk_floor.py"), str(plan_json)]
    timed(plan_cmd, root)  # warm: bytecode compiled, files cached, the plan's JSON written
    plan_times, floor_times = [], []
    for _ in range(runs):  # alternate, so that both see the same machine
        plan_times.append(timed(plan_cmd, root))
        floor_times.append(timed(floor_cmd, root))
    plan = json.loads(plan_json.read_text())
    resources = plan["resources"]
    services = tenant_services(resources)
    wall, floor = statistics.median(plan_times), statistics.median(floor_times)
    return {"stack": stack, "services": services, "resources": len(resources),
            "plan": wall, "plan_runs": plan_times, "floor": floor, "floor_runs": floor_times,
            "ms_per_resource": 1000 * wall / len(resources), "ratio": wall / floor}


def tenant_services(resources: list[dict[str, Any]]) -> int:
    """The applications' Deployments: those with a Tenant among their ancestors."""
    by_urn = {r["urn"]: r for r in resources}

    def in_tenant(record: dict[str, Any]) -> bool:
        parent = record.get("parent")
        while parent in by_urn:
            if by_urn[parent]["type"] == "shipyard:apps:Tenant":
                return True
            parent = by_urn[parent].get("parent")
        return False

    return sum(1 for r in resources
               if r["type"] == "kubernetes:apps/v1:Deployment" and in_tenant(r))


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| stack | extra applications | services | resources | plan (median) | ms per "
             "resource | SDK floor (median) | plan / floor |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        lines.append(f"| {row['stack']} | {row['extra']} | {row['services']} | "
                     f"{row['resources']:,} | {row['plan']:.1f} s | "
                     f"{row['ms_per_resource']:.1f} | {row['floor']:.1f} s | "
                     f"{row['ratio']:.2f}× |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,5,25,50",
                        help="extra synthetic applications per size (default 0,5,25,50)")
    parser.add_argument("--stack", default="dev", help="the stack to grow (default dev)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per size (default 3)")
    parser.add_argument("--no-prod", action="store_true", help="skip the prod row")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    cases = [(args.stack, n) for n in sizes] + ([] if args.no_prod else [("prod", 0)])
    rows = []
    for stack, extra in cases:
        root = program_copy(extra)
        try:
            row = {"extra": extra, **measure(root, stack, args.runs)}
        finally:
            shutil.rmtree(root, ignore_errors=True)
        rows.append(row)
        print(f"{stack} +{extra}: {row['resources']} resources, plan "
              f"{', '.join(f'{t:.1f}' for t in row['plan_runs'])} s, floor "
              f"{', '.join(f'{t:.1f}' for t in row['floor_runs'])} s", file=sys.stderr)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
