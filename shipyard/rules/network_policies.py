"""The NetworkPolicies every locked-down namespace starts from: nothing in or out, but DNS to the
cluster's resolver. Pure data; the tenants and the shared stores' namespace add what each of
their pods may reach."""

from __future__ import annotations

from typing import Any


def deny_all_but_dns() -> dict[str, dict[str, Any]]:
    """``default-deny`` (every pod, both directions) and ``allow-dns`` (every pod to CoreDNS in
    kube-system, UDP and TCP 53), by policy name."""
    return {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-dns": {
            "podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
        },
    }
