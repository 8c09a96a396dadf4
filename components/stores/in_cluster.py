"""What the in-cluster MongoDB, Valkey and RabbitMQ stores share (pure functions).

- Container sizes, as the environment sizes their requests (``stores.cpuRequests`` and
  ``memoryRequests``: ``shipyard.rules.requests``, one rule for every store's containers;
  limits stay), and the quota ``Footprint`` they add up to: a pod counts as the larger of its
  containers' sum and its largest init container (how the API server computes a pod's
  effective requests and limits), the LimitRange's ceiling as the largest single container.
- The labels every store pod carries: its store's name (the consuming services' NetworkPolicy
  lets them reach pods with it) and an opt-out of sidecar injection: the stores stay out of
  the mesh (the operators' pods restart members and exec into them on their own terms; a
  sidecar would also hold up their Jobs and shutdown ordering). Clients in the mesh reach them
  in plain text (Istio's auto mTLS sees no sidecar).
- The store's NetworkPolicy (``<store>-store``): the tenant's namespace denies everything by
  default; this admits the store's consumers on its port, its own members to each other, the
  operator and Prometheus where they need it, and lets the members reach each other and, where
  their tools need it, the Kubernetes API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.stores.base import STORE_LABEL, Footprint
from components.workload import NAME_LABEL
from shipyard.catalog.services import cpu_millis, memory_bytes
from shipyard.rules.requests import Sizing

SIDECAR_OPT_OUT = {"sidecar.istio.io/inject": "false"}
# The API server behind the ``kubernetes`` Service, after its DNAT (which network policies
# see): 443 on EKS, 6443 on kubeadm-style clusters (existing-cluster mode). Its addresses are
# the control plane's (EKS-owned ENIs, or public endpoints), so no narrower peer than "any".
API_SERVER_PORTS = (443, 6443)


@dataclass(frozen=True)
class Container:
    """One container's requests and limits (Kubernetes quantities)."""

    name: str
    requests_cpu: str
    requests_memory: str
    limits_cpu: str
    limits_memory: str

    def resources(self) -> dict[str, dict[str, str]]:
        return {"requests": {"cpu": self.requests_cpu, "memory": self.requests_memory},
                "limits": {"cpu": self.limits_cpu, "memory": self.limits_memory}}

    def sized(self, sizing: Sizing) -> Container:
        """This container with its requests as the environment sizes them; its limits as
        they are."""
        return Container(self.name, sizing.cpu(self.requests_cpu),
                         sizing.memory(self.requests_memory), self.limits_cpu,
                         self.limits_memory)

    def amounts(self) -> tuple[int, int, int, int]:
        """(requests cpu m, requests bytes, limits cpu m, limits bytes)."""
        return (cpu_millis(self.requests_cpu), memory_bytes(self.requests_memory),
                cpu_millis(self.limits_cpu), memory_bytes(self.limits_memory))


def footprint(pods: int, containers: Sequence[Container],
              init_containers: Sequence[Container] = ()) -> Footprint:
    """What ``pods`` identical pods run at most."""
    def total(items: Iterable[Container]) -> tuple[int, ...]:
        sums = [0, 0, 0, 0]
        for c in items:
            sums = [a + b for a, b in zip(sums, c.amounts(), strict=True)]
        return tuple(sums)

    running = total(containers)
    largest_init = [max((c.amounts()[i] for c in init_containers), default=0) for i in range(4)]
    pod = [max(a, b) for a, b in zip(running, largest_init, strict=True)]
    every = [*containers, *init_containers]
    return Footprint(pods=pods, requests_cpu=pods * pod[0], requests_memory=pods * pod[1],
                     limits_cpu=pods * pod[2], limits_memory=pods * pod[3],
                     max_container_cpu=max(c.amounts()[2] for c in every),
                     max_container_memory=max(c.amounts()[3] for c in every))


def pod_labels(store_name: str) -> dict[str, str]:
    return {STORE_LABEL: store_name, **SIDECAR_OPT_OUT}


def _ports(ports: Iterable[int | tuple[int, int]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in ports:
        if isinstance(p, tuple):
            out.append({"protocol": "TCP", "port": p[0], "endPort": p[1]})
        else:
            out.append({"protocol": "TCP", "port": p})
    return out


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


@dataclass(frozen=True)
class Operator:
    """Who manages the store from outside the tenant's namespace, and on which ports."""

    namespace: str
    pod_labels: Mapping[str, str]
    ports: Sequence[int]


def network_policy_spec(store_name: str, *, port: int, consumers: Iterable[str],
                        peer_ports: Sequence[int | tuple[int, int]],
                        operator: Operator | None = None,
                        monitoring_namespace: str | None = None,
                        metrics_port: int | None = None,
                        api_server: bool = False) -> dict[str, Any]:
    """The store pods' NetworkPolicy: who may reach them, and what they may reach."""
    own = {"podSelector": {"matchLabels": {STORE_LABEL: store_name}}}
    ingress: list[dict[str, Any]] = []
    services = sorted(set(consumers))
    if services:
        ingress.append({"from": [{"podSelector": {"matchLabels": {NAME_LABEL: s}}}
                                 for s in services], "ports": _ports([port])})
    ingress.append({"from": [own], "ports": _ports(peer_ports)})
    if operator is not None:
        ingress.append({"from": [{**_namespace(operator.namespace), "podSelector": {
            "matchLabels": dict(operator.pod_labels)}}], "ports": _ports(operator.ports)})
    if monitoring_namespace and metrics_port is not None:
        ingress.append({"from": [_namespace(monitoring_namespace)],
                        "ports": _ports([metrics_port])})
    egress: list[dict[str, Any]] = [{"to": [own], "ports": _ports(peer_ports)}]
    if api_server:
        egress.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                       "ports": _ports(API_SERVER_PORTS)})
    return {"podSelector": {"matchLabels": {STORE_LABEL: store_name}},
            "policyTypes": ["Ingress", "Egress"], "ingress": ingress, "egress": egress}


def policy_name(store_name: str) -> str:
    return f"{store_name}-store"[:63].rstrip("-")


def image_tag(image: str) -> str:
    return image.rpartition(":")[2]


def disruption_budget_spec(store_name: str, members: int) -> dict[str, Any] | None:
    """One member down at a time in a node drain; none for a single member (its budget would
    block every drain)."""
    if members < 2:
        return None
    return {"maxUnavailable": 1, "selector": {"matchLabels": {STORE_LABEL: store_name}}}


def anti_affinity(store_name: str) -> dict[str, Any]:
    """Members on different nodes where the scheduler can (preferred: a small dev cluster
    still schedules them all)."""
    return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
        "weight": 100, "podAffinityTerm": {
            "topologyKey": "kubernetes.io/hostname",
            "labelSelector": {"matchLabels": {STORE_LABEL: store_name}}}}]}}
