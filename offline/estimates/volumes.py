"""The persistent volumes the plan asks for where no AWS resource carries them: Helm charts'
values and Kubernetes objects (StatefulSet claim templates), read for the cost estimate."""

from __future__ import annotations

from typing import Any

_SIZE_UNITS = {"Gi": 1.0, "G": 1e9 / 2**30, "Ti": 1024.0, "T": 1e12 / 2**30, "Mi": 1 / 1024}


def gib_of(size: Any) -> float | None:
    if not isinstance(size, str):
        return None
    for unit, factor in _SIZE_UNITS.items():
        if size.endswith(unit) and size[: -len(unit)].replace(".", "", 1).isdigit():
            return float(size[: -len(unit)]) * factor
    return None


def chart_volumes(values: Any, path: tuple[str, ...] = (),
                  replicas: int = 1) -> list[tuple[str, float, int]]:
    """The persistent volumes a chart's values ask for: (values path, GiB, how many), from a
    StatefulSet-style ``volumeClaimTemplate``, a ``persistence`` block that is enabled (or sits
    in an enabled block) or an enabled ``dataStorage``, each times the nearest ``replicas`` at
    or above it."""
    found: list[tuple[str, float, int]] = []
    if not isinstance(values, dict):
        return found
    if isinstance(values.get("replicas"), int):
        replicas = values["replicas"]
    for key, child in values.items():
        here = (*path, str(key))
        if key == "volumeClaimTemplate" and isinstance(child, dict):
            size = (((child.get("spec") or {}).get("resources") or {}).get("requests") or
                    {}).get("storage")
            if (gib := gib_of(size)) is not None:
                found.append((".".join(here), gib, replicas))
        elif key == "persistence" and isinstance(child, dict) and (
                child.get("enabled") is True
                or ("enabled" not in child and values.get("enabled") is True)):
            # enabled, or inside an enabled block (the valkey chart's replica.persistence)
            if (gib := gib_of(child.get("size"))) is not None:
                found.append((".".join(here), gib, replicas))
        elif key == "dataStorage" and isinstance(child, dict) and child.get("enabled") is True:
            # the valkey chart's single instance's volume
            if (gib := gib_of(child.get("requestedSize"))) is not None:
                found.append((".".join(here), gib, replicas))
        elif isinstance(child, dict):
            found += chart_volumes(child, here, replicas)
    return found


def claim_templates(templates: Any) -> list[tuple[str, float]]:
    """(claim name, GiB) of a StatefulSet's ``volumeClaimTemplates``."""
    out = []
    for template in templates if isinstance(templates, list) else []:
        size = ((((template or {}).get("spec") or {}).get("resources") or {}).get("requests")
                or {}).get("storage")
        if (gib := gib_of(size)) is not None:
            out.append((str(((template or {}).get("metadata") or {}).get("name", "claim")), gib))
    return out
