"""A cluster upgrade between two plans: checked, and laid out in the order it runs.

EKS upgrades a control plane one minor version at a time and never down. ``upgrade_report``
compares the plan of what is deployed (``plan.py --against OLD.json``) with the new one: a
downgrade or a jump of more than one minor in ``shipyard:cluster.version`` is an
``UpgradeError`` (plan.py: exit 2); a one-minor step is the list of what changes, in the order
``pulumi up`` runs it (each step waits for the one before: they depend on the cluster) — the
control plane, the EKS managed add-ons (their versions follow the cluster's), the managed node
groups (rolled in place), Karpenter's nodes (replaced by drift), EKS Auto Mode's nodes
(replaced by EKS), then the charts whose version changes — with what any step would replace instead of updating, which an upgrade must never do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from offline.stateful import input_at

CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
RELEASE = "kubernetes:helm.sh/v3:Release"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
KEY = "shipyard:cluster.version"

# Inputs the AWS provider cannot change in place (ForceNew): changing one replaces the resource.
REPLACED_BY: dict[str, tuple[str, ...]] = {
    # kubernetesNetworkConfig's address family and Service range (not its elasticLoadBalancing,
    # which EKS switches in place with Auto Mode)
    CLUSTER: ("name", "roleArn", "bootstrapSelfManagedAddons",
              "kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr"),
    ADDON: ("addonName", "clusterName"),
    NODE_GROUP: ("amiType", "capacityType", "clusterName", "diskSize", "instanceTypes",
                 "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "remoteAccess",
                 "subnetIds", "launchTemplate.id", "launchTemplate.name"),
}


class UpgradeError(Exception):
    """A cluster.version change EKS cannot make."""


def minor(version: Any) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)", str(version))
    return (int(match[1]), int(match[2])) if match else None


def _by_urn(doc: Mapping[str, Any], type_: str) -> dict[str, Mapping[str, Any]]:
    return {r["urn"]: r for r in doc.get("resources", []) if r.get("type") == type_}


def _replaced(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [k for k in REPLACED_BY.get(new["type"], ())
            if input_at(old.get("inputs") or {}, k) != input_at(new.get("inputs") or {}, k)]


def upgrade_report(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any] | None:
    """None when no EKS cluster is in both plans or its version is unchanged; else the steps.
    Raises UpgradeError for a downgrade or a skipped minor."""
    old_clusters, new_clusters = _by_urn(old, CLUSTER), _by_urn(new, CLUSTER)
    both = sorted(set(old_clusters) & set(new_clusters))
    if not both:
        return None
    urn = both[0]
    was, now = old_clusters[urn]["inputs"].get("version"), new_clusters[urn]["inputs"].get(
        "version")
    if was == now or minor(was) is None or minor(now) is None:
        return None
    (was_major, was_minor), (now_major, now_minor) = minor(was), minor(now)  # type: ignore[misc]
    if (now_major, now_minor) < (was_major, was_minor):
        raise UpgradeError(f"{KEY}: pulumi up does not downgrade a cluster: {was} is deployed, "
                           f"the plan asks for {now} (to go back one minor within 7 days of "
                           f"the upgrade, roll back with EKS first: docs/operations.md) (value: "
                           f"\"{now}\")")
    if now_major != was_major or now_minor - was_minor > 1:
        step = f"{was_major}.{was_minor + 1}"
        raise UpgradeError(f"{KEY}: moves one minor version at a time: {was} is deployed, the "
                           f"plan asks for {now}; set {step}, pulumi up, then go on (value: "
                           f"\"{now}\")")
    steps: list[dict[str, Any]] = []
    problems: list[str] = []

    def step(name: str, changes: list[str], replaced: list[str] | None = None) -> None:
        steps.append({"step": name, "changes": changes, "replaces": replaced or []})

    cluster = new_clusters[urn]
    replaced = _replaced(old_clusters[urn], cluster)
    step("control plane", [f"{cluster['name']}: Kubernetes {was} -> {now}"],
         [f"{cluster['name']} ({', '.join(replaced)} changed)"] if replaced else [])

    old_addons, new_addons = _by_urn(old, ADDON), _by_urn(new, ADDON)
    changes, replaced_addons = [], []
    for addon_urn, addon in sorted(new_addons.items()):
        before = old_addons.get(addon_urn)
        if before is None:
            changes.append(f"{addon['name']}: added")
            continue
        v0, v1 = before["inputs"].get("addonVersion"), addon["inputs"].get("addonVersion")
        if v0 == v1:
            problems.append(f"EKS add-on {addon['name']} stays at {v0} under Kubernetes {now}: "
                            f"its version does not follow the cluster's")
        else:
            changes.append(f"{addon['name']}: {v0} -> {v1}")
        if keys := _replaced(before, addon):
            replaced_addons.append(f"{addon['name']} ({', '.join(keys)} changed)")
    step("EKS managed add-ons", changes, replaced_addons)

    old_groups, new_groups = _by_urn(old, NODE_GROUP), _by_urn(new, NODE_GROUP)
    budgets = sum(1 for r in new.get("resources", []) if r.get("type") == PDB)
    changes, replaced_groups = [], []
    for group_urn, group in sorted(new_groups.items()):
        before = old_groups.get(group_urn)
        version = group["inputs"].get("version")
        if before is None:
            changes.append(f"{group['name']}: added at {version or now}")
            continue
        update = group["inputs"].get("updateConfig") or {}
        surge = (f"{update['maxUnavailable']} node(s)" if update.get("maxUnavailable") else
                 f"{update.get('maxUnavailablePercentage')} % of the nodes"
                 if update.get("maxUnavailablePercentage") else None)
        if version in (None, was):
            problems.append(f"node group {group['name']} stays at Kubernetes {version or was}: "
                            f"its version does not follow the cluster's")
        if surge is None:
            problems.append(f"node group {group['name']} has no updateConfig: EKS rolls one "
                            f"node at a time by default, but the plan should say so")
        changes.append(f"{group['name']}: rolled in place to {version}, {surge or '?'} at a "
                       f"time, each node drained respecting the {budgets} "
                       f"PodDisruptionBudgets")
        if keys := _replaced(before, group):
            replaced_groups.append(f"{group['name']} ({', '.join(keys)} changed)")
    step("managed node groups", changes, replaced_groups)

    classes = list(_by_urn(new, NODE_CLASS).values())
    if classes:
        step("Karpenter's nodes", [
            f"{c['name']}: drift onto {now}'s AMI (amiSelectorTerms "
            f"{(c['inputs'].get('spec') or {}).get('amiSelectorTerms')}); Karpenter replaces "
            f"its nodes as the NodePools' disruption budgets allow" for c in classes])

    compute = cluster["inputs"].get("computeConfig") or {}
    if compute.get("enabled"):
        step("EKS Auto Mode's nodes", [
            f"{cluster['name']}: EKS replaces the nodes of its pools "
            f"({', '.join(compute.get('nodePools') or [])}) with {now} nodes after the control "
            f"plane, each drained respecting the PodDisruptionBudgets"])

    old_releases = _by_urn(old, RELEASE)
    charts = []
    for release_urn, release in sorted(_by_urn(new, RELEASE).items()):
        before = old_releases.get(release_urn)
        if before is not None and before["inputs"].get("version") != release["inputs"].get(
                "version"):
            charts.append(f"{release['name']}: chart {release['inputs'].get('chart')} "
                          f"{before['inputs'].get('version')} -> "
                          f"{release['inputs'].get('version')}")
    step("charts whose version changes (their kubeVersion and CRDs are Helm's to check at "
         "deploy time: unchecked offline)", charts)
    for s in steps:
        problems += [f"the {s['step']} step replaces {what} instead of updating it"
                     for what in s["replaces"]]
    return {"from": was, "to": now, "steps": steps, "problems": problems}


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    lines = [f"cluster upgrade {report['from']} -> {report['to']}, in the order it runs:"]
    for i, s in enumerate(report["steps"], 1):
        lines.append(f"  {i}. {s['step']}" + ("" if s["changes"] else ": nothing changes"))
        lines += [f"       {c}" for c in s["changes"]]
        lines += [f"       REPLACES {r}" for r in s["replaces"]]
    lines += [f"  PROBLEM  {p}" for p in report["problems"]]
    return lines
