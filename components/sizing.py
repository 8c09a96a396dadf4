"""A pod's requests and limits with its mesh sidecar, and the autoscaler targets that keep
their thresholds when an environment sizes requests down (``shipyard.rules.requests``). Pure
functions: the workloads and the tenants' quotas both use them."""

from __future__ import annotations

from collections.abc import Mapping

from components.mesh import SIDECAR
from shipyard.catalog.services import Service, cpu_millis, memory_bytes
from shipyard.rules.requests import same_threshold


def hpa_targets(catalog: Service, svc: Service, *, mesh: bool,
                sidecar: Mapping[str, str] = SIDECAR) -> tuple[int | None, int | None]:
    """The CPU and memory targets of ``svc`` (``catalog`` sized by the environment, its pods'
    sidecar ``sidecar``) that its HPA reaches at the same CPU and memory per pod as the
    catalog's targets with the catalog's requests and shipyard's sidecar: utilization is of
    the pod's requests, the sidecar's included (``shipyard.rules.requests``)."""
    scaling = catalog.autoscaling
    if scaling is None:
        return None, None
    before = pod_footprint(catalog, mesh=mesh)
    now = pod_footprint(svc, mesh=mesh, sidecar=sidecar)
    return tuple(  # type: ignore[return-value]
        None if target is None else same_threshold(target, before[key], now[key])
        for target, key in ((scaling.cpu_utilization, "requests.cpu"),
                            (scaling.memory_utilization, "requests.memory")))


def pod_footprint(svc: Service, *, mesh: bool,
                  sidecar: Mapping[str, str] = SIDECAR) -> dict[str, int]:
    """One pod's requests and limits (millicores, bytes), its sidecar included."""
    r = svc.resources
    out = {"requests.cpu": cpu_millis(r.requests.cpu),
           "requests.memory": memory_bytes(r.requests.memory),
           "limits.cpu": cpu_millis(r.limits.cpu),
           "limits.memory": memory_bytes(r.limits.memory)}
    if mesh:
        out["requests.cpu"] += cpu_millis(sidecar["cpu"])
        out["requests.memory"] += memory_bytes(sidecar["memory"])
        out["limits.cpu"] += cpu_millis(sidecar["cpuLimit"])
        out["limits.memory"] += memory_bytes(sidecar["memoryLimit"])
    return out
