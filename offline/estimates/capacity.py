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

A rollout adds pods for a while: each Deployment of shipyard's its ``maxSurge`` (a change to
every Deployment at once, a platform-wide ``pulumi up``, surges them all together), which the
nodes should hold besides (``surge_*``).

Pods are counted the same way, for the addresses the nodes give them: shipyard's own workloads
and the operators' stores at their replicas, each DaemonSet once per node, EKS's add-ons (and
their snapshot controller and Pod Identity agent); a chart's pods from its values (each
component that states a replica count, or requests outside such a component, that many pods;
a component switched off none) and, for the components whose values state neither, from
``UNSIZED``; a remote manifest's operator from ``MANIFEST_PODS``.

A node gives its vCPUs and memory less what the EKS AMI reserves for the kubelet and the system
(``kube-reserved``: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% of the
rest; 255 MiB plus 11 MiB per pod of the instance type's address limit, and 100 MiB for
evictions: nodeadm reckons the memory from that limit even where a managed node group lets the
node run more pods), and as many pods as the VPC CNI gives it addresses for: one per secondary
address of its network interfaces (``ENIs x (addresses per ENI - 1) + 2``), or, with the VPC
CNI's prefix delegation on (the vpc-cni add-on's ``ENABLE_PREFIX_DELEGATION``), 16 per /28
prefix in their place, which a managed node group caps at 110 pods (250 from 30 vCPUs): the
``maxPods`` EKS gives a managed node of the EKS AMI (no AMI in its launch template) itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from offline.harness import Plan
from shipyard.catalog.services import cpu_millis
from shipyard.catalog.services import memory_bytes as catalog_memory_bytes

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
MEBI = 2**20

# vCPUs, GiB, network interfaces and IPv4 addresses per interface of the instance types the
# stacks' node groups start with (https://aws.amazon.com/ec2/instance-types/, "Maximum IP
# addresses per network interface" in the EC2 User Guide)
INSTANCES: dict[str, tuple[int, int, int, int]] = {
    "t3.medium": (2, 4, 3, 6), "t3a.medium": (2, 4, 3, 6),
    "t3.large": (2, 8, 3, 12), "t3a.large": (2, 8, 3, 12), "t3.xlarge": (4, 16, 4, 15),
    "t3a.xlarge": (4, 16, 4, 15), "m5.large": (2, 8, 3, 10), "m5.xlarge": (4, 16, 4, 15),
    "m5a.xlarge": (4, 16, 4, 15), "m6i.large": (2, 8, 3, 10), "m6i.xlarge": (4, 16, 4, 15),
    "m6a.large": (2, 8, 3, 10), "m6a.xlarge": (4, 16, 4, 15),
}
# The most pods a managed node group lets a node run (EKS User Guide, "Assign more IP addresses
# to Amazon EKS nodes with prefixes"): under 30 vCPUs, and from 30
MANAGED_MAX_PODS = (110, 250)
# EKS's own add-ons at their default requests (millicores, MiB): CoreDNS's two replicas, the
# EBS CSI driver's two controllers; on every node kube-proxy, the VPC CNI and the EBS CSI node
EKS_CLUSTER = (2 * 100 + 2 * 60, 2 * 70 + 2 * 240)
EKS_PER_NODE = (100 + 25 + 30, 120)
# ... and their pods: CoreDNS's, the EBS CSI controllers and the snapshot controller's two each;
# on every node kube-proxy, the VPC CNI, the EBS CSI node and the Pod Identity agent
EKS_PODS = (2 + 2 + 2, 4)
# Chart components whose values state neither a replica count nor requests: (pods, pods per
# node) by chart and the values key that switches the component on ("": always there)
UNSIZED: dict[str, dict[str, tuple[int, int]]] = {
    "external-dns": {"": (1, 0)},
    # the Prometheus operator and kube-state-metrics; the node exporter on every node
    "kube-prometheus-stack": {"": (2, 1)},
    # the redis-ha chart's three Redis and three HAProxy pods (Argo CD's HA mode)
    "argo-cd": {"redis-ha": (6, 0)},
}
# Remote manifests' pods, by a fragment of the manifest's URL: the RabbitMQ Cluster Operator
MANIFEST_PODS = {"cluster-operator": 1}
# Charts whose pods run one per node (DaemonSets): Istio's CNI, Alloy (the log collector)
PER_NODE_CHARTS = frozenset({"cni", "alloy"})
# Chart values that size init containers and hook Jobs, not the running pods (valkey's
# initResources, velero's initContainers and upgradeJobResources)
NOT_RUNNING = frozenset({"initContainers", "initResources", "upgradeJobResources"})
REPLICA_KEYS = ("replicas", "replicaCount", "autoscaleMin")
# the mesh sidecar's requests, as its injector reads them from a pod template's annotations
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
    pods: int = 0               # the pods, node-count independent
    per_node_pods: int = 0      # each node's DaemonSet pods
    pod_slots: int = 0          # the pods those nodes may run
    prefix_delegation: bool = False
    surge_cpu: float = 0.0      # every Deployment of shipyard's rolling out at once
    surge_memory: float = 0.0
    surge_pods: int = 0

    @property
    def requested_cpu(self) -> float:
        return self.cpu + self.nodes * self.per_node_cpu

    @property
    def requested_memory(self) -> float:
        return self.memory + self.nodes * self.per_node_memory

    @property
    def requested_pods(self) -> int:
        return self.pods + self.nodes * self.per_node_pods

    @property
    def cpu_share(self) -> float:
        return self.requested_cpu / self.allocatable_cpu if self.allocatable_cpu else 0.0

    @property
    def memory_share(self) -> float:
        return self.requested_memory / self.allocatable_memory \
            if self.allocatable_memory else 0.0

    @property
    def pod_share(self) -> float:
        return self.requested_pods / self.pod_slots if self.pod_slots else 0.0

    @property
    def surge_fits(self) -> bool:
        """Whether the nodes hold a rollout of every Deployment at once besides."""
        return self.requested_cpu + self.surge_cpu <= self.allocatable_cpu and \
            self.requested_memory + self.surge_memory <= self.allocatable_memory and \
            self.requested_pods + self.surge_pods <= self.pod_slots

    def summary(self) -> str:
        """One line for the estimate's assumptions."""
        slots = f"{self.pod_slots} pod slots" + (
            " (prefix delegation)" if self.prefix_delegation else "")
        line = (f"the pods ask {self.requested_cpu / 1000:.1f} vCPU and "
                f"{self.requested_memory / 2**30:.0f} GiB at their fewest replicas "
                f"(requests), {self.requested_pods} pods; the node groups' {self.nodes} nodes "
                f"give {self.allocatable_cpu / 1000:.1f} vCPU, "
                f"{self.allocatable_memory / 2**30:.0f} GiB and {slots} "
                f"({self.cpu_share:.0%}, {self.memory_share:.0%} and {self.pod_share:.0%} "
                f"asked)")
        if self.cpu_share > 1 or self.memory_share > 1 or self.pod_share > 1:
            line += ": the rest runs on nodes this estimate does not price"
        elif self.surge_pods:
            line += (f"; every Deployment rolling out at once adds {self.surge_pods} pods, "
                     f"{self.surge_cpu / 1000:.1f} vCPU and {self.surge_memory / 2**30:.1f} "
                     f"GiB, which {'fit' if self.surge_fits else 'do not fit'} beside them")
        if self.unknown:
            line += f"; not counted: node groups of {', '.join(self.unknown)}"
        return line


def max_pods(instance_type: str, prefix_delegation: bool = False) -> int | None:
    """The pods a managed node of ``instance_type`` may run: one per secondary address of its
    network interfaces, or with prefix delegation 16 per address, capped as managed node
    groups cap it."""
    spec = INSTANCES.get(instance_type)
    if spec is None:
        return None
    vcpu, _, enis, addresses = spec
    if not prefix_delegation:
        return enis * (addresses - 1) + 2
    return min(enis * (addresses - 1) * 16 + 2, MANAGED_MAX_PODS[vcpu >= 30])


def allocatable(instance_type: str) -> tuple[float, float] | None:
    """(millicores, bytes) a node of ``instance_type`` gives pods on the EKS AMI: its memory
    reserve follows the address limit, whatever the node's pods (nodeadm's rule)."""
    spec = INSTANCES.get(instance_type)
    if spec is None:
        return None
    vcpu, gib, _, _ = spec
    pods = max_pods(instance_type)
    assert pods is not None
    reserved = 60 + (10 if vcpu > 1 else 0) + 5 * max(0, min(vcpu, 4) - 2) + \
        2.5 * max(0, vcpu - 4)
    return vcpu * 1000 - reserved, gib * 2**30 - (255 + 11 * pods + 100) * MEBI


def prefix_delegation(plan: Plan) -> bool:
    """Whether the VPC CNI add-on assigns /28 prefixes (``ENABLE_PREFIX_DELEGATION``)."""
    for addon in plan.of_type(ADDON):
        if addon.inputs.get("addonName") == "vpc-cni":
            values = json.loads(addon.inputs.get("configurationValues") or "{}")
            return str((values.get("env") or {}).get("ENABLE_PREFIX_DELEGATION")) == "true"
    return False


def _replicas(values: Mapping[str, Any]) -> int | None:
    """The replica count a chart's values state for a component, if they state one."""
    replicas = None
    for key in REPLICA_KEYS:
        if isinstance(values.get(key), int):
            replicas = values[key]
    scaling = values.get("autoscaling")
    if isinstance(scaling, Mapping) and scaling.get("enabled") is True and \
            isinstance(scaling.get("minReplicas"), int):
        replicas = scaling["minReplicas"]
    return replicas


def _requests(values: Any, replicas: int = 1) -> list[tuple[float, float, int]]:
    """(millicores, bytes, replicas) of every ``requests`` in a chart's values."""
    found: list[tuple[float, float, int]] = []
    if isinstance(values, Mapping):
        replicas = _replicas(values) if _replicas(values) is not None else replicas
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


def _asks(values: Mapping[str, Any]) -> bool:
    requests = (values.get("resources") or {}).get("requests") \
        if isinstance(values.get("resources"), Mapping) else None
    return isinstance(requests, Mapping) and bool({"cpu", "memory"} & set(requests))


def _pods(values: Any, inside: bool = False) -> int:
    """The pods a chart's values describe: each component that states a replica count runs
    that many; one that states requests outside such a component, one; a component switched
    off (``enabled: false``), none. Containers and init containers of a pod are not pods."""
    if isinstance(values, list):
        return sum(_pods(child, inside) for child in values)
    if not isinstance(values, Mapping) or values.get("enabled") is False:
        return 0
    replicas = _replicas(values)
    if replicas is None and not inside and _asks(values):
        replicas = 1
    inside = inside or replicas is not None
    return (replicas or 0) + sum(_pods(child, inside) for key, child in values.items()
                                 if key not in NOT_RUNNING)


def chart_pods(chart: str, values: Mapping[str, Any]) -> tuple[int, int]:
    """(pods, pods per node) a chart runs with these values."""
    pods = _pods(values)
    per_node = 0
    if chart in PER_NODE_CHARTS:
        pods, per_node = 0, max(pods, 1)
    for key, (more, more_per_node) in UNSIZED.get(chart, {}).items():
        component = values.get(key) if key else {}
        if not key or (isinstance(component, Mapping) and component.get("enabled") is True):
            pods, per_node = pods + more, per_node + more_per_node
    return pods, per_node


def surge(spec: Mapping[str, Any], replicas: int) -> int:
    """The pods a Deployment adds while it rolls out (``maxSurge``: a number, a percentage of
    its replicas rounded up, by default 25%; none when it is recreated)."""
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0
    value = (strategy.get("rollingUpdate") or {}).get("maxSurge", "25%")
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(replicas * int(value[:-1]) / 100)
    return int(value)


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
    pods, node_pods = EKS_PODS
    surge_cpu = surge_memory = 0.0
    surge_pods = 0
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
                node_cpu, node_memory, node_pods = node_cpu + c, node_memory + m, node_pods + 1
                continue
            replicas = spec.get("replicas") or minimum.get(
                (meta.get("namespace"), meta.get("name")), 1)
            cpu, memory, pods = cpu + replicas * c, memory + replicas * m, pods + replicas
            if kind == "Deployment":
                more = surge(spec, replicas)
                surge_cpu, surge_memory = surge_cpu + more * c, surge_memory + more * m
                surge_pods += more
        elif r.type == "kubernetes:postgresql.cnpg.io/v1:Cluster":
            requests = (spec.get("resources") or {}).get("requests") or {}
            count = spec.get("instances") or 1
            cpu += count * millicores(requests.get("cpu"))
            memory += count * memory_bytes(requests.get("memory"))
            pods += count
        elif r.type == "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster":
            requests = (spec.get("resources") or {}).get("requests") or {}
            count = spec.get("replicas") or 1
            cpu += count * millicores(requests.get("cpu"))
            memory += count * memory_bytes(requests.get("memory"))
            pods += count
        elif r.type == "kubernetes:mongodbcommunity.mongodb.com/v1:MongoDBCommunity":
            pod = (((spec.get("statefulSet") or {}).get("spec") or {}).get("template") or {})
            c, m = _containers((pod.get("spec") or {}).get("containers"))
            count = spec.get("members") or 1
            cpu, memory, pods = cpu + count * c, memory + count * m, pods + count
        elif r.type == RELEASE:
            chart = str(r.inputs.get("chart", "")).rsplit("/", 1)[-1]
            values = r.inputs.get("values") or {}
            for c, m, replicas in _requests(values):
                if chart in PER_NODE_CHARTS:
                    node_cpu, node_memory = node_cpu + c, node_memory + m
                else:
                    cpu, memory = cpu + replicas * c, memory + replicas * m
            more, more_per_node = chart_pods(chart, values)
            pods, node_pods = pods + more, node_pods + more_per_node
        elif r.type == CONFIG_FILE:
            pods += sum(n for fragment, n in MANIFEST_PODS.items()
                        if fragment in str(r.inputs.get("file", "")))
    delegated = prefix_delegation(plan)
    nodes, alloc_cpu, alloc_memory, slots, unknown = 0, 0.0, 0.0, 0, []
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
        slots += desired * (max_pods(instance_type, delegated) or 0)
    return Capacity(cpu=cpu, memory=memory, per_node_cpu=node_cpu, per_node_memory=node_memory,
                    nodes=nodes, allocatable_cpu=alloc_cpu, allocatable_memory=alloc_memory,
                    unknown=tuple(unknown), pods=pods, per_node_pods=node_pods,
                    pod_slots=slots, prefix_delegation=delegated, surge_cpu=surge_cpu,
                    surge_memory=surge_memory, surge_pods=surge_pods)
