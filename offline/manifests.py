"""The Kubernetes objects a plan registers, as the YAML a reviewer (or a validator) reads.

Every ``kubernetes:*`` resource shipyard creates itself is an object whose inputs are its
manifest. Helm releases are not rendered (their charts are not available offline); they stay in
the plan as ``kubernetes:helm.sh/v3:Release`` resources with their values.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from offline.harness import SECRET, Plan, ResourceRecord

NOT_MANIFESTS = ("kubernetes:helm.sh/", "pulumi:providers:kubernetes", "kubernetes:yaml")


def is_manifest(record: ResourceRecord) -> bool:
    return record.type.startswith("kubernetes:") and not record.type.startswith(NOT_MANIFESTS)


MASKED_ANNOTATION = "shipyard.dev/masked-fields"


def manifest(record: ResourceRecord) -> dict[str, Any]:
    """The object as applied: inputs, with the name Pulumi would give it when none is set.
    A field whose whole value is secret (a Secret's ``stringData``) is left out, and named in
    an annotation: its value never reaches a plan, and its keys are secret along with it."""
    obj = dict(record.inputs)
    meta = dict(obj.get("metadata") or {})
    meta.setdefault("name", record.name)
    masked = sorted(key for key, value in obj.items() if value == SECRET)
    if masked:
        obj = {k: v for k, v in obj.items() if k not in masked}
        meta["annotations"] = {**(meta.get("annotations") or {}),
                               MASKED_ANNOTATION: ",".join(masked)}
    obj["metadata"] = meta
    return obj


def manifests(plan: Plan) -> list[dict[str, Any]]:
    return [manifest(r) for r in plan.resources if is_manifest(r)]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


def write_manifests(plan: Plan, directory: Path) -> int:
    """One file per object: DIR/<namespace or _cluster>/<kind>-<name>.yaml. Returns the count."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    count = 0
    for obj in manifests(plan):
        meta = obj["metadata"]
        folder = directory / _safe(meta.get("namespace") or "_cluster")
        folder.mkdir(exist_ok=True)
        path = folder / f"{_safe(obj.get('kind', 'Object'))}-{_safe(meta['name'])}.yaml"
        path.write_text(yaml.safe_dump(obj, sort_keys=False))
        count += 1
    return count
