"""What the stack's pods ask of the nodes at their fewest replicas, against what its managed node
groups give: the estimate prices the node groups' desired size and not Karpenter's extra nodes
(load-dependent), so the node groups must hold the steady state for that to be truthful.

Read from the plan, as the scheduler would count it (requests, not use):

- shipyard's own workloads: each Deployment and StatefulSet at its replicas, or its
  HorizontalPodAutoscaler's ``minReplicas``, with the mesh's sidecar where injected (its
  annotations name the sidecar's requests); each DaemonSet once per node;
- the in-cluster stores' operators' resources: CloudNativePG ``Cluster`` (instances),
  ``MongoDBCommunity`` (members, its StatefulSet's containers), ``RabbitmqCluster`` (replicas);
- the Helm charts: the ``requests`` their values declare, times the nearest replica count at
  or above them (``replicas``, ``replicaCount``, ``autoscaling.minReplicas``, istiod's
  ``autoscaleMin``); the DaemonSet charts' once per node. A chart's pod whose values declare no
  requests counts nothing, as it counts nothing for the scheduler; nor do init containers
  (a pod asks the larger of its init containers' and the sum of its containers', and these
  are smaller) and hook Jobs, which do not run at the steady state;
- EKS's own add-ons (CoreDNS, kube-proxy, the VPC CNI, the EBS CSI driver) at their default
  requests, which the plan does not carry.

A node gives its vCPUs and memory less what the EKS AMI reserves for the kubelet and the system
(``kube-reserved``: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% of the
rest; 255 MiB plus 11 MiB per pod it may run, and 100 MiB for evictions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from offline.harness import Plan
from shipyard.catalog.services import cpu_millis
from shipyard.catalog.services import memory_bytes as catalog_memory_bytes

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
RELEASE = "kubernetes:helm.sh/v3:Release"
MEBI = 2**20

# vCPUs, GiB and the most pods the VPC CNI gives the instance types the stacks' node groups
# start with (https://aws.amazon.com/ec2/instance-types/; pods: ENIs x (IPs per ENI - 1) + 2)
INSTANCES: dict[str, tuple[int, int, int]] = {
    "t3.large": (2, 8, 35), "t3a.large": (2, 8, 35), "t3.xlarge": (4, 16, 58),
    "t3a.xlarge": (4, 16, 58), "m5.large": (2, 8, 29), "m5.xlarge": (4, 16, 58),
    "m5a.xlarge": (4, 16, 58), "m6i.large": (2, 8, 29), "m6i.xlarge": (4, 16, 58),
    "m6a.large": (2, 8, 29), "m6a.xlarge": (4, 16, 58),
}
# EKS's own add-ons at their default requests (millicores, MiB): CoreDNS's two replicas, the
# EBS CSI driver's two controllers; on every node kube-proxy, the VPC CNI and the EBS CSI node
EKS_CLUSTER = (2 * 100 + 2 * 60, 2 * 70 + 2 * 240)
EKS_PER_NODE = (100 + 25 + 30, 120)
# Charts whose pods run one per node (DaemonSets): Istio's CNI, Alloy (the log collector)
PER_NODE_CHARTS = frozenset({"cni", "alloy"})
# Chart values that size init containers and hook Jobs, not the running pods (valkey's
# initResources, velero's initContainers and upgradeJobResources)
NOT_RUNNING = frozenset({"initContainers", "initResources", "upgradeJobResources"})
# The operators' resources that run a store's pods: type -> (replica count key, how to find
# each pod's containers' requests)
SIDECAR_CPU, SIDECAR_MEMORY = "sidecar.istio.io/proxyCPU", "sidecar.istio.io/proxyMemory"



def millicores(value: Any) -> int:
    """A CPU request as the plan carries it (a string, a number, or nothing: 0), read by the
    catalog's rule (``shipyard.catalog.services.cpu_millis``)."""
    return cpu_millis(str(value)) if value not in (None, "") else 0


def memory_bytes(value: Any) -> int:
    """A memory request as the plan carries it, read by the catalog's rule
    (``shipyard.catalog.services.memory_bytes``)."""
    return catalog_memory_bytes(str(value)) if value not in (None, "") else 0


@dataclass
class Capacity:
    cpu: float                  # millicores the pods ask, node-count independent
    memory: float               # bytes
    per_node_cpu: float         # millicores each node's DaemonSets ask
    per_node_memory: float
    nodes: int                  # the node groups' desired size
    allocatable_cpu: float      # what those nodes give, millicores
    allocatable_memory: float
    unknown: tuple[str, ...] = ()   # node groups of an instance type not in INSTANCES

    @property
    def requested_cpu(self) -> float:
        return self.cpu + self.nodes * self.per_node_cpu

    @property
    def requested_memory(self) -> float:
        return self.memory + self.nodes * self.per_node_memory

    @property
    def cpu_share(self) -> float:
        return self.requested_cpu / self.allocatable_cpu if self.allocatable_cpu else 0.0

    @property
    def memory_share(self) -> float:
        return self.requested_memory / self.allocatable_memory \
            if self.allocatable_memory else 0.0

    def summary(self) -> str:
        """One line for the estimate's assumptions."""
        line = (f"the pods ask {self.requested_cpu / 1000:.1f} vCPU and "
                f"{self.requested_memory / 2**30:.0f} GiB at their fewest replicas "
                f"(requests); the node groups' {self.nodes} nodes give "
                f"{self.allocatable_cpu / 1000:.1f} vCPU and "
                f"{self.allocatable_memory / 2**30:.0f} GiB ({self.cpu_share:.0%} and "
                f"{self.memory_share:.0%} asked)")
        if self.cpu_share > 1 or self.memory_share > 1:
            line += ": the rest runs on nodes this estimate does not price"
        if self.unknown:
            line += f"; not counted: node groups of {', '.join(self.unknown)}"
        return line


def allocatable(instance_type: str) -> tuple[float, float] | None:
    """(millicores, bytes) a node of ``instance_type`` gives pods on the EKS AMI."""
    spec = INSTANCES.get(instance_type)
    if spec is None:
        return None
    vcpu, gib, pods = spec
    reserved = 60 + (10 if vcpu > 1 else 0) + 5 * max(0, min(vcpu, 4) - 2) + \
        2.5 * max(0, vcpu - 4)
    return vcpu * 1000 - reserved, gib * 2**30 - (255 + 11 * pods + 100) * MEBI


def _requests(values: Any, replicas: int = 1) -> list[tuple[float, float, int]]:
    """(millicores, bytes, replicas) of every ``requests`` in a chart's values."""
    found: list[tuple[float, float, int]] = []
    if isinstance(values, Mapping):
        for key in ("replicas", "replicaCount", "autoscaleMin"):
            if isinstance(values.get(key), int):
                replicas = values[key]
        scaling = values.get("autoscaling")
        if isinstance(scaling, Mapping) and scaling.get("enabled") is True and \
                isinstance(scaling.get("minReplicas"), int):
            replicas = scaling["minReplicas"]
        for key, child in values.items():
            if key in NOT_RUNNING:
                continue
            if key == "requests" and isinstance(child, Mapping) and \
                    ({"cpu", "memory"} & set(child)):
                found.append((millicores(child.get("cpu")), memory_bytes(child.get("memory")),
                              replicas))
            else:
                found += _requests(child, replicas)
    elif isinstance(values, list):
        for child in values:
            found += _requests(child, replicas)
    return found


def _containers(containers: Any) -> tuple[float, float]:
    cpu = memory = 0.0
    for container in containers if isinstance(containers, list) else []:
        requests = ((container or {}).get("resources") or {}).get("requests") or {}
        cpu += millicores(requests.get("cpu"))
        memory += memory_bytes(requests.get("memory"))
    return cpu, memory


def capacity(plan: Plan) -> Capacity | None:
    """The pods' requests against the node groups; None where the plan has no node group (an
    existing cluster's nodes are not the stack's)."""
    groups = plan.of_type(NODE_GROUP)
    if not groups:
        return None
    minimum = {((r.inputs.get("metadata") or {}).get("namespace"),
                ((r.inputs.get("spec") or {}).get("scaleTargetRef") or {}).get("name")):
               (r.inputs.get("spec") or {}).get("minReplicas") or 1
               for r in plan.of_type(HPA)}
    cpu, memory = float(EKS_CLUSTER[0]), float(EKS_CLUSTER[1] * MEBI)
    node_cpu, node_memory = float(EKS_PER_NODE[0]), float(EKS_PER_NODE[1] * MEBI)
    for r in plan.resources:
        spec = r.inputs.get("spec") or {}
        kind = r.type.rsplit(":", 1)[-1]
        if r.type in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
                      "kubernetes:apps/v1:DaemonSet"):
            meta = r.inputs.get("metadata") or {}
            template = spec.get("template") or {}
            c, m = _containers((template.get("spec") or {}).get("containers"))
            annotations = (template.get("metadata") or {}).get("annotations") or {}
            if SIDECAR_CPU in annotations:
                c += millicores(annotations[SIDECAR_CPU])
                m += memory_bytes(annotations.get(SIDECAR_MEMORY))
            if kind == "DaemonSet":
                node_cpu, node_memory = node_cpu + c, node_memory + m
                continue
            replicas = spec.get("replicas") or minimum.get(
                (meta.get("namespace"), meta.get("name")), 1)
            cpu, memory = cpu + replicas * c, memory + replicas * m
        elif r.type == "kubernetes:postgresql.cnpg.io/v1:Cluster":
            requests = (spec.get("resources") or {}).get("requests") or {}
            count = spec.get("instances") or 1
            cpu += count * millicores(requests.get("cpu"))
            memory += count * memory_bytes(requests.get("memory"))
        elif r.type == "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster":
            requests = (spec.get("resources") or {}).get("requests") or {}
            count = spec.get("replicas") or 1
            cpu += count * millicores(requests.get("cpu"))
            memory += count * memory_bytes(requests.get("memory"))
        elif r.type == "kubernetes:mongodbcommunity.mongodb.com/v1:MongoDBCommunity":
            pod = (((spec.get("statefulSet") or {}).get("spec") or {}).get("template") or {})
            c, m = _containers((pod.get("spec") or {}).get("containers"))
            count = spec.get("members") or 1
            cpu, memory = cpu + count * c, memory + count * m
        elif r.type == RELEASE:
            chart = str(r.inputs.get("chart", "")).rsplit("/", 1)[-1]
            for c, m, replicas in _requests(r.inputs.get("values") or {}):
                if chart in PER_NODE_CHARTS:
                    node_cpu, node_memory = node_cpu + c, node_memory + m
                else:
                    cpu, memory = cpu + replicas * c, memory + replicas * m
    nodes, alloc_cpu, alloc_memory, unknown = 0, 0.0, 0.0, []
    for group in groups:
        desired = int((group.inputs.get("scalingConfig") or {}).get("desiredSize") or 0)
        instance_type = str((group.inputs.get("instanceTypes") or ["?"])[0])
        node = allocatable(instance_type)
        if node is None:
            unknown.append(instance_type)
            continue
        nodes += desired
        alloc_cpu += desired * node[0]
        alloc_memory += desired * node[1]
    return Capacity(cpu=cpu, memory=memory, per_node_cpu=node_cpu, per_node_memory=node_memory,
                    nodes=nodes, allocatable_cpu=alloc_cpu, allocatable_memory=alloc_memory,
                    unknown=tuple(unknown))
