"""Per-environment defaults, in the same shape (camelCase keys) as a stack file's config.

A stack's own ``shipyard:*`` values are deep-merged over these; what neither sets falls back to
the model's field default (the production-safe choice). Environment differences live here as
values, never as ``if stack == "prod"`` in a component.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "protect": False,
        # CloudFront: North America and Europe edges only, the cheapest
        "cdn": {"priceClass": "PriceClass_100", "waf": False},
        # what costs money for the security review's sake is prod's (docs/hardening.md)
        "accessLogs": {"enabled": False},
        "network": {
            "cidr": "10.10.0.0/16",
            "azCount": 2,
            "natGateways": "single",
            "flowLogs": {"retentionDays": 14},
        },
        "cluster": {
            # A developer's API access from anywhere (still IAM-authenticated); narrow it in
            # the stack file. prod refuses 0.0.0.0/0.
            "endpointPublicAccess": True,
            "publicAccessCidrs": ["0.0.0.0/0"],
            "logTypes": ["api", "audit", "authenticator"],
            "logRetentionDays": 14,
            "deletionProtection": False,
            "nodeGroups": {
                # the five tenants ask ~4.7 vCPU at their dev replica counts, the add-ons and
                # the observability stack ~4 more: three 4-vCPU spot nodes
                # (tests/test_applications.py keeps the tenants' share in bounds)
                "general": {"instanceTypes": ["t3.xlarge", "t3a.xlarge", "m5.xlarge"],
                            "capacityType": "SPOT", "minSize": 2, "desiredSize": 3,
                            "maxSize": 5, "diskSizeGb": 30},
            },
        },
        "registry": {"immutableTags": False, "keepTaggedImages": 10,
                     "untaggedExpiryDays": 1},
        "dns": {"domain": "dev.shipyard.example.com", "queryLogs": False},
        # two zones of spot nodes: spread over zones where it fits, never refuse to schedule
        "workloads": {"zoneSpread": "ScheduleAnyway"},
        # the stores in the cluster, one member each, on the encrypted gp3 volumes
        "stores": {"backend": "inCluster", "multiAz": False,
                   "postgresql": {"storageGi": 10}, "mysql": {"storageGi": 10},
                   "mongodb": {"storageGi": 10}, "redis": {"storageGi": 2},
                   "rabbitmq": {"storageGi": 5}},
        "addons": {
            # one replica of everything: dev trades availability for cost
            "gatewayApi": {"highAvailability": False},
            "loadBalancerController": {"highAvailability": False},
            "certManager": {"issuer": "letsencrypt-staging", "highAvailability": False},
            "ingress": {"highAvailability": False},
            "externalDns": {"policy": "sync", "highAvailability": False},
            "istio": {"mtls": "PERMISSIVE", "traceSampling": 100.0, "highAvailability": False},
            "metricsServer": {"highAvailability": False},
            "karpenter": {"enabled": False, "highAvailability": False},
            # the UIs with a login through the Gateway; small, short-lived, volatile stores
            # Grafana, Argo CD and Kiali log users in; Prometheus and Alertmanager have no
            # login of their own, so they stay behind port-forward everywhere by default
            "monitoring": {"highAvailability": False, "retentionDays": 3, "storageGi": 10,
                           "grafanaPersistence": False, "grafanaHostname": "grafana"},
            "logging": {"highAvailability": False, "retentionDays": 3, "storage": "filesystem"},
            "tracing": {"highAvailability": False, "retentionHours": 24,
                        "storage": "filesystem"},
            "kiali": {"highAvailability": False, "hostname": "kiali"},
            "argocd": {"highAvailability": False, "hostname": "argocd"},
        },
    },
    "staging": {
        "protect": False,
        # CloudFront: North America and Europe edges only, the cheapest
        "cdn": {"priceClass": "PriceClass_100", "waf": False},
        # what costs money for the security review's sake is prod's (docs/hardening.md)
        "accessLogs": {"enabled": False},
        "network": {
            "cidr": "10.20.0.0/16",
            "azCount": 3,
            "natGateways": "per-az",
            "flowLogs": {"retentionDays": 30},
        },
        "cluster": {
            "endpointPublicAccess": True,
            "publicAccessCidrs": ["0.0.0.0/0"],
            "logTypes": ["api", "audit", "authenticator"],
            "logRetentionDays": 30,
            "deletionProtection": False,
            "nodeGroups": {
                "general": {"instanceTypes": ["m6i.large"], "capacityType": "ON_DEMAND",
                            "minSize": 3, "desiredSize": 3, "maxSize": 6},
            },
        },
        "registry": {"keepTaggedImages": 30},
        # the managed services prod runs, single-zone and small: the same engines, drivers and
        # TLS, at a fraction of the price
        "stores": {"backend": "managed", "multiAz": False},
        "dns": {"domain": "staging.shipyard.example.com", "queryLogs": False},
        "addons": {
            "certManager": {"issuer": "letsencrypt-staging"},
            "istio": {"mtls": "STRICT", "traceSampling": 10.0},
            "karpenter": {"capacityTypes": ["spot", "on-demand"], "cpuLimit": 64,
                          "memoryLimitGi": 256},
            "monitoring": {"retentionDays": 15, "storageGi": 50, "grafanaHostname": "grafana"},
            "logging": {"retentionDays": 14},
            "tracing": {"retentionHours": 72},
            "kiali": {"hostname": "kiali"},
            "argocd": {"hostname": "argocd"},
        },
    },
    "prod": {
        "network": {
            "cidr": "10.30.0.0/16",
            "azCount": 3,
            "natGateways": "per-az",
            "flowLogs": {"retentionDays": 365},
            "interfaceEndpoints": ["ecr.api", "ecr.dkr", "sts", "logs"],
        },
        "cluster": {
            "endpointPublicAccess": False,
            "logRetentionDays": 365,
            "deletionProtection": True,
            "nodeGroups": {
                "system": {"instanceTypes": ["m6i.large"], "capacityType": "ON_DEMAND",
                           "minSize": 3, "desiredSize": 3, "maxSize": 6,
                           "labels": {"shipyard.dev/pool": "system"}},
                "general": {"instanceTypes": ["m6i.xlarge"], "capacityType": "ON_DEMAND",
                            "minSize": 3, "desiredSize": 6, "maxSize": 15,
                            "labels": {"shipyard.dev/pool": "general"}},
            },
        },
        "registry": {"keepTaggedImages": 100},
        # managed stores, a standby in another zone each, production sizes
        "stores": {"backend": "managed", "multiAz": True,
                   "postgresql": {"size": "db.m7g.large", "storageGi": 100,
                                  "maxStorageGi": 1000},
                   "mysql": {"size": "db.m7g.large", "storageGi": 100, "maxStorageGi": 1000},
                   "mongodb": {"size": "db.r6g.large", "instances": 3},
                   "redis": {"size": "cache.m7g.large", "instances": 3},
                   "rabbitmq": {"size": "mq.m7g.large"}},
        "dns": {"domain": "shipyard.example.com"},
        "addons": {
            "certManager": {"issuer": "letsencrypt-prod"},
            "istio": {"mtls": "STRICT", "traceSampling": 1.0},
            # no UI on the internet: kubectl port-forward (docs/observability.md)
            "monitoring": {"retentionDays": 30, "storageGi": 200},
            "logging": {"retentionDays": 30},
            "tracing": {"retentionHours": 168},
        },
    },
}


# Laid over the environment's defaults when ``cluster.mode`` is ``existing``: the pieces that
# need an AWS role (no pod gets one there: shipyard knows neither the cluster's OIDC provider nor
# whether it runs the Pod Identity agent) or the VPC are off, certificates are self-signed.
EXISTING_CLUSTER_DEFAULTS: dict[str, Any] = {
    "addons": {
        "loadBalancerController": {"enabled": False},
        "externalDns": {"enabled": False},
        "karpenter": {"enabled": False},
        "certManager": {"issuer": "selfsigned"},
        # no AWS role for a bucket: logs and traces on volumes
        "logging": {"storage": "filesystem"},
        "tracing": {"storage": "filesystem"},
    },
    # the Gateway's certificates come from the self-signed CA; no ACM certificate to validate
    "dns": {"wildcardCertificate": False},
    # no VPC to put a managed store in, no AWS role for Velero's bucket
    "stores": {"backend": "inCluster", "storageClass": "standard"},
    "backups": {"enabled": False},
}


# Laid over the environment's defaults when ``cluster.autoMode`` is true: what Auto Mode runs
# itself (Karpenter, the load balancer controller) is off. The environment's managed node groups
# are dropped too (``without_node_groups``): Auto Mode's built-in node pools replace them.
AUTO_MODE_DEFAULTS: dict[str, Any] = {
    "addons": {
        "karpenter": {"enabled": False},
        "loadBalancerController": {"enabled": False},
    },
}


def without_node_groups(defaults: dict[str, Any]) -> dict[str, Any]:
    """``defaults`` without the environment's managed node groups (a copy)."""
    out = _copy(defaults)
    if isinstance(out.get("cluster"), dict):
        out["cluster"].pop("nodeGroups", None)
    return out


def _copy(value: Any) -> Any:
    """Fresh dicts and lists all the way down; scalars and Pulumi Outputs (which cannot be
    deep-copied, and never change) are shared."""
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``: mappings merge key by key, anything else replaces.
    Neither argument is modified; values may be Outputs."""
    out = {k: _copy(v) for k, v in base.items()}
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = _copy(value)
    return out


def environment_defaults(environment: str) -> dict[str, Any]:
    return copy.deepcopy(ENVIRONMENT_DEFAULTS[environment])
