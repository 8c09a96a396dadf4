"""What pods ask of the nodes in an environment that sizes them down, and what that does to an
autoscaler: one rule for the applications' services (``shipyard:workloads.cpuRequests`` and
``memoryRequests``, against their catalogs') and for the in-cluster stores' containers
(``shipyard:stores.cpuRequests`` and ``memoryRequests``, against shipyard's own sizes).

The catalogs' requests are the seeds' production figures, and the stores' shipyard's production
sizes. An environment may scale them (dev does): each container's request becomes ``scale``
times its own, rounded up (to a whole millicore, a whole MiB), never under ``floor`` nor over
its own. Limits stay: a pod still bursts to them when its node has the CPU or memory to spare.
A memory request under a pod's use is not an error (the limit is what kills it): it only
lets more pods onto a node, and makes the pod among the first evicted when the node runs short.

An HPA's ``averageUtilization`` is a percentage of the pod's requests (every container's, the
mesh sidecar's included). Against smaller requests the same load reads as a higher
utilization, so the catalog's target would scale out early: at 70 % of a quarter of the
request, a pod would count as busy at under a fifth of the load the seeds meant. The target is
therefore restated against the smaller requests so that it is crossed at the same CPU (or
memory) per pod as before (it may exceed 100 %, which Kubernetes allows, and which the pod
reaches since its limit is unchanged): dev's autoscalers react to load as prod's would, not to
the sizing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shipyard.catalog.services import Quantities, Service, cpu_millis, memory_bytes

MEBI = 2**20


def scaled_cpu(millicores: int, scale: float, floor: int) -> int:
    """A container's CPU request (millicores) in an environment that scales them."""
    if scale >= 1:
        return millicores
    return min(millicores, max(math.ceil(millicores * scale), floor))


def scaled_memory(size: int, scale: float, floor: int) -> int:
    """A container's memory request (bytes) in an environment that scales them: rounded up to
    a whole MiB."""
    if scale >= 1:
        return size
    return min(size, max(math.ceil(size * scale / MEBI) * MEBI, floor))


@dataclass(frozen=True)
class Sizing:
    """How an environment sizes requests (scale 1: as they are; floors in millicores and
    bytes)."""

    cpu_scale: float = 1.0
    cpu_floor: int = 0
    memory_scale: float = 1.0
    memory_floor: int = 0

    def cpu(self, quantity: str) -> str:
        """A CPU request as a quantity: the same string when the sizing leaves it as it is."""
        own = cpu_millis(quantity)
        size = scaled_cpu(own, self.cpu_scale, self.cpu_floor)
        return quantity if size == own else f"{size}m"

    def memory(self, quantity: str) -> str:
        """A memory request as a quantity: the same string when the sizing leaves it."""
        own = memory_bytes(quantity)
        size = scaled_memory(own, self.memory_scale, self.memory_floor)
        if size == own:
            return quantity
        return f"{size // MEBI}Mi" if size % MEBI == 0 else str(size)


AS_THEY_ARE = Sizing()


def sized(svc: Service, sizing: Sizing) -> Service:
    """``svc`` with its container's requests as the environment sizes them; its limits and
    everything else as its catalog says."""
    own = svc.resources.requests
    requests = Quantities(cpu=sizing.cpu(own.cpu), memory=sizing.memory(own.memory))
    if requests == own:
        return svc
    return svc.model_copy(update={"resources": svc.resources.model_copy(
        update={"requests": requests})})


def same_threshold(utilization: int, requested: int, scaled: int) -> int:
    """The HPA target (% of the pod's requests, now ``scaled``) crossed at the same CPU or
    memory per pod as ``utilization`` % of the ``requested``."""
    if scaled == requested or scaled <= 0:
        return utilization
    return max(1, round(utilization * requested / scaled))
