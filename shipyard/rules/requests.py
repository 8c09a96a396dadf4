"""What a service's pods ask of the nodes in an environment that sizes them down
(``shipyard:workloads.cpuRequests``), and what that does to its autoscaler.

The catalogs' CPU requests are the seeds' production figures. An environment may scale them
(dev asks a quarter): each container's request becomes ``scale`` times the catalog's, rounded up
to a whole millicore, never under ``floor`` nor over the catalog's own. Limits are the
catalog's: a pod still bursts to them when its node has the CPU to spare.

An HPA's ``averageUtilization`` is a percentage of the pod's requests (every container's, the
mesh sidecar's included). Against smaller requests the same load reads as a higher
utilization, so the catalog's target would scale out early: at 70 % of a quarter of the
request, a pod would count as busy at under a fifth of the load the seeds meant. The target is
therefore restated against the smaller requests so that it is crossed at the same CPU per pod
as before (it may exceed 100 %, which Kubernetes allows, and which the pod reaches since its
limit is unchanged): dev's autoscalers react to load as prod's would, not to the sizing.
"""

from __future__ import annotations

import math

from shipyard.catalog.services import Quantities, Service, cpu_millis


def scaled_cpu(millicores: int, scale: float, floor: int) -> int:
    """A container's CPU request (millicores) in an environment that scales them."""
    if scale >= 1:
        return millicores
    return min(millicores, max(math.ceil(millicores * scale), floor))


def sized(svc: Service, scale: float, floor: int) -> Service:
    """``svc`` with its container's CPU request as the environment sizes it; its limits and
    everything else as its catalog says."""
    catalog = cpu_millis(svc.resources.requests.cpu)
    cpu = scaled_cpu(catalog, scale, floor)
    if cpu == catalog:
        return svc
    requests = Quantities(cpu=f"{cpu}m", memory=svc.resources.requests.memory)
    return svc.model_copy(update={"resources": svc.resources.model_copy(
        update={"requests": requests})})


def same_threshold(utilization: int, requested: int, scaled: int) -> int:
    """The HPA target (% of the pod's requests, now ``scaled`` millicores) crossed at the same
    CPU per pod as ``utilization`` % of the ``requested`` millicores."""
    if scaled == requested or scaled <= 0:
        return utilization
    return max(1, round(utilization * requested / scaled))
