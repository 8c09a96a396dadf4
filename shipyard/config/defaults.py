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
            # one NAT instance (a t4g.nano, its address and root volume: ~$7 a month) instead of
            # a NAT gateway ($41 with its address and nominal data). dev needs the internet,
            # not just endpoints: only the applications' images come from ECR; the add-ons'
            # come from quay.io, registry.k8s.io, ghcr.io and Docker Hub, and cert-manager
            # (ACME) and external-dns call out (and ECR's two endpoints, STS's and CloudWatch
            # Logs' in two zones alone would cost $58 a month). Not highly available: while the
            # instance or its zone is down dev has no egress (docs/architecture.md)
            "natGateways": "instance",
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
            # the VPC CNI hands out /28 prefixes: a managed node runs up to 110 pods instead of
            # a t3a.medium's 17 addresses (dev's five nodes: 85 addresses for ~110 pods, of
            # which 35 are DaemonSets'). dev's private subnets are fresh /19s, with /28 blocks
            "prefixDelegation": True,
            "nodeGroups": {
                # sized to dev's replicas and dev's requests (workloads.cpuRequests and
                # memoryRequests, the stores' and the sidecars' dev sizes, the add-ons' dev
                # values): its pods ask ~4.7 vCPU and ~13 GiB at their fewest, ~0.3 vCPU and
                # ~0.35 GiB of it a node (DaemonSets). Five 2-vCPU, 4-GiB nodes (9.7 vCPU,
                # 17 GiB allocatable: ~1/2 and ~3/4 asked, a surge pod of every Deployment
                # still fits) for $48 a month: memory binds dev, and a t3a.medium is half a
                # t3a.large's price for the same two vCPUs. Two t3a.large (the same $38 as
                # four mediums) would be asked 99% of their CPU, four mediums 91% of their
                # memory; three t3a.large hold it but bring dev to $200.35.
                # dev has no Karpenter. Spot, x86 (the applications' images are their teams'
                # amd64 builds): AMD's t3a first, 10% under t3, then t3 for spot capacity (both
                # Nitro, which prefix delegation needs; tests/test_applications.py checks what
                # the groups hold). 20 GiB roots, EKS's default: a node holds a fifth of dev's
                # images. desiredSize is the autoscalers' after creation: an existing dev's group
                # is replaced (new instance types) and starts at five (docs/offline-plan.md)
                "general": {"instanceTypes": ["t3a.medium", "t3.medium"],
                            "capacityType": "SPOT", "minSize": 5, "desiredSize": 5,
                            "maxSize": 8, "diskSizeGb": 20},
            },
        },
        "registry": {"immutableTags": False, "keepTaggedImages": 10,
                     "untaggedExpiryDays": 1},
        "dns": {"domain": "dev.shipyard.example.com", "queryLogs": False},
        "workloads": {
            # two zones of spot nodes: spread over zones where it fits, never refuse to schedule
            "zoneSpread": "ScheduleAnyway",
            # the catalogs' CPU requests are the seeds' production figures; dev's developer
            # traffic needs a quarter (a 250m JVM service asks 63m, at least 25m each), limits
            # unchanged so a pod still bursts (a JVM's start-up) where its node has the CPU.
            # The autoscalers' CPU targets are restated to scale at the same CPU per pod as in
            # prod (shipyard/rules/requests.py): against a quarter of the request, 70% would
            # scale dev out at a fifth of the load the seeds meant
            "cpuRequests": {"scale": 0.25, "floor": "25m"},
            # and half the catalogs' memory (at least 64Mi): dev's services hold little data
            # for few users. The JVMs' heaps follow their limits, which stay; a request under a
            # pod's use makes it among the first evicted when its node runs short, not
            # OOM-killed. Memory autoscaling targets are restated as the CPU ones are
            "memoryRequests": {"scale": 0.5, "floor": "64Mi"},
        },
        # the stores in the cluster, one member each, on the encrypted gp3 volumes
        # (a store made managed here gets no paid monitoring - no Performance Insights, no
        # Enhanced Monitoring - and keeps its logs two weeks, like dev's other logs)
        "stores": {"backend": "inCluster", "multiAz": False,
                   "performanceInsights": {"enabled": False}, "monitoringInterval": 0,
                   "logRetentionDays": 14,
                   # a quarter of shipyard's CPU (at least 10m) for every container of the
                   # stores' pods: idle engines serving developers' requests use a few
                   # millicores (a PostgreSQL 25m of its 100m, a mongod 63m of its 250m); the
                   # limits (1 CPU) stay for a migration's or a restore's burst
                   "cpuRequests": {"scale": 0.25, "floor": "10m"},
                   # half of shipyard's memory (at least 16Mi): a PostgreSQL asks 256Mi of its
                   # 512Mi limit, MySQL and RabbitMQ 512Mi of 1Gi, a mongod 256Mi of 1Gi, Valkey
                   # 64Mi of 512Mi. shipyard's requests of PostgreSQL, MySQL and RabbitMQ equal
                   # their limits because their memory is not given back under pressure; dev's
                   # small databases and queues stay far below the halves (PostgreSQL's 128 MB
                   # of shared buffers, InnoDB's 128 MB pool), and an eviction under node
                   # pressure is a restart dev can take. The limits, and so the engines' own
                   # sizing (RabbitMQ's watermark, Valkey's maxmemory), stay
                   "memoryRequests": {"scale": 0.5, "floor": "16Mi"},
                   "postgresql": {"storageGi": 10}, "mysql": {"storageGi": 10},
                   "mongodb": {"storageGi": 10}, "redis": {"storageGi": 2},
                   "rabbitmq": {"storageGi": 5}},
        # The add-ons' requests in dev, in their charts' own value keys (`values` is laid over
        # shipyard's; a stack's own `values` over these): what a small cluster with little
        # traffic uses, not what prod's is sized for. Only requests: limits, where a chart has
        # them, stay. (Velero, the store operators, Istio's CNI, Alloy and the OpenTelemetry
        # Collector take no `values`; the in-cluster stores keep theirs.)
        "addons": {
            # one replica of everything: dev trades availability for cost
            "gatewayApi": {"highAvailability": False},
            "loadBalancerController": {"highAvailability": False},
            "certManager": {"issuer": "letsencrypt-staging", "highAvailability": False},
            "ingress": {"highAvailability": False},
            "externalDns": {"policy": "sync", "highAvailability": False},
            "istio": {"mtls": "PERMISSIVE", "traceSampling": 100.0, "highAvailability": False,
                      # each of dev's eleven sidecars proxies a developer's few requests: an
                      # idle Envoy uses a few millicores and ~40 MiB (Istio measures 60 MB at
                      # 1000 requests a second); its limits (500m, 256Mi) stay
                      "sidecarRequests": {"cpu": "10m", "memory": "48Mi"},
                      # istiod for dev's mesh (two tenants, eleven sidecars) needs a tenth of
                      # prod's 500m/1Gi; its HPA (80% of the request) adds a replica while
                      # config pushes keep it busy
                      "values": {"resources": {"requests": {"cpu": "100m",
                                                            "memory": "256Mi"}}}},
            # metrics for the HPAs of a two-node cluster: the chart's 100m/200Mi is for
            # hundreds of nodes
            "metricsServer": {"highAvailability": False,
                              "values": {"resources": {"requests": {"cpu": "25m",
                                                                    "memory": "64Mi"}}}},
            "karpenter": {"enabled": False, "highAvailability": False},
            # the UIs with a login through the Gateway; small, short-lived, volatile stores
            # Grafana, Argo CD and Kiali log users in; Prometheus and Alertmanager have no
            # login of their own, so they stay behind port-forward everywhere by default
            "monitoring": {"highAvailability": False, "retentionDays": 3, "storageGi": 10,
                           "grafanaPersistence": False, "grafanaHostname": "grafana",
                           # half the CPU for dev's scrapes; the memory stays: the sidecars'
                           # series are as many per pod as in prod
                           "values": {"prometheus": {"prometheusSpec": {"resources": {
                               "requests": {"cpu": "100m"}}}}}},
            # Loki and Tempo ingest one cluster's light logs and traces (three days, one day)
            "logging": {"highAvailability": False, "retentionDays": 3, "storage": "filesystem",
                        "values": {"singleBinary": {"resources": {"requests": {"cpu": "50m"}}}}},
            "tracing": {"highAvailability": False, "retentionHours": 24,
                        "storage": "filesystem",
                        "values": {"tempo": {"resources": {"requests": {"cpu": "50m"}}}}},
            "kiali": {"highAvailability": False, "hostname": "kiali"},
            # five AppProjects and a few Applications to reconcile: less than half of prod's
            "argocd": {"highAvailability": False, "hostname": "argocd", "values": {
                "controller": {"resources": {"requests": {"cpu": "100m", "memory": "256Mi"}}},
                "repoServer": {"resources": {"requests": {"cpu": "50m", "memory": "128Mi"}}},
                "server": {"resources": {"requests": {"cpu": "25m"}}},
                "applicationSet": {"resources": {"requests": {"cpu": "25m"}}},
                "redis": {"resources": {"requests": {"cpu": "25m"}}}}},
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
            # prod's three zones, one NAT gateway: a zone's outage costs staging its egress
            # (image pulls, API calls) for as long, which staging can wait out; $82 a month less
            # than one per zone
            "natGateways": "single",
            "flowLogs": {"retentionDays": 30},
        },
        "cluster": {
            "endpointPublicAccess": True,
            "publicAccessCidrs": ["0.0.0.0/0"],
            "logTypes": ["api", "audit", "authenticator"],
            "logRetentionDays": 30,
            "deletionProtection": False,
            "nodeGroups": {
                # sized to staging's replicas: its pods ask ~14 vCPU and ~23 GiB at their
                # fewest (the tenants at prod's replica counts ~7.9 vCPU, the add-ons ~4.6 with
                # one observability replica each, Karpenter's two controllers 2 of it, EKS's
                # own ~0.3, ~0.3 a node of DaemonSets): four 4-vCPU nodes (15.7 allocatable)
                # hold it, Karpenter adds what bursts.
                # Spot, as Karpenter buys in staging: a reclaimed node's pods reschedule. x86
                # (the applications' images are amd64 builds): AMD's m6a first, 10% under
                # m6i, then others of the size for spot capacity
                "general": {"instanceTypes": ["m6a.xlarge", "m5a.xlarge", "m6i.xlarge",
                                              "m5.xlarge"],
                            "capacityType": "SPOT", "minSize": 3, "desiredSize": 4,
                            "maxSize": 8},
            },
        },
        "registry": {"keepTaggedImages": 30},
        # the managed services prod runs, single-zone, shared by the applications, at the
        # smallest sizes that run them (Graviton everywhere: every engine runs on it): the same
        # engines, drivers and TLS at a fraction of the price
        "stores": {"backend": "managed", "multiAz": False,
                   # no paid monitoring: Enhanced Monitoring's samples are billed as log
                   # ingestion, and Performance Insights (even its free 7 days) is not offered
                   # for MySQL on db.t4g.micro; the logs are exported (statement and slow-query
                   # logs, DocumentDB's audit and profiler), kept a month like staging's others
                   "performanceInsights": {"enabled": False}, "monitoringInterval": 0,
                   "logRetentionDays": 30,
                   # five applications' staging databases, a user for each of their eleven
                   # consuming services: 2 GiB. That gives ~190 connections (RDS's default
                   # max_connections, DBInstanceClassMemory / 9531392, less the reserved);
                   # the eleven services run 23 pods at their fewest replicas, 62 at their
                   # autoscalers' most: a pool of 5 a pod fits at the fewest (115), pools of 10
                   # (many drivers' default) or a scale-out do not. Keep staging's pools small
                   # (the catalogs' environments.staging env); db.t4g.medium (~410) would cost
                   # $24 a month more and break staging's $600 target
                   "postgresql": {"size": "db.t4g.small"},
                   # one service's database (everything-portal's go-service): 1 GiB
                   "mysql": {"size": "db.t4g.micro"},
                   # Valkey: one group per application whose clients do not prefix their
                   # keys (the seeds' three: docs/data-stores.md), each a single node of
                   # 0.5 GiB for one application's staging caches, sessions and rate-limit
                   # counters ($9 a month each); a shared group, where catalogs allow one, is
                   # the same size
                   "redis": {"size": "cache.t4g.micro"}},
        # (DocumentDB and Amazon MQ keep the defaults, their smallest: db.t4g.medium, and
        # mq.m7g.medium, a single instance: RabbitMQ 4 runs on mq.m7g only)
        "dns": {"domain": "staging.shipyard.example.com", "queryLogs": False},
        "addons": {
            "certManager": {"issuer": "letsencrypt-staging"},
            "istio": {"mtls": "STRICT", "traceSampling": 10.0},
            "karpenter": {"capacityTypes": ["spot", "on-demand"], "cpuLimit": 64,
                          "memoryLimitGi": 256},
            # observability: one replica each (staging's metrics, logs and traces are for the
            # release at hand, not for an outage's post-mortem), two weeks' metrics and logs,
            # three days of traces
            "monitoring": {"retentionDays": 15, "storageGi": 50, "grafanaHostname": "grafana",
                           "highAvailability": False},
            "logging": {"retentionDays": 14, "highAvailability": False},
            "tracing": {"retentionHours": 72, "highAvailability": False},
            "kiali": {"hostname": "kiali", "highAvailability": False},
            "argocd": {"hostname": "argocd"},
        },
    },
    "prod": {
        "network": {
            "cidr": "10.30.0.0/16",
            "azCount": 3,
            "natGateways": "per-az",
            "flowLogs": {"retentionDays": 365},
            # images and logs without the NAT; the credentials' endpoint (eks-auth under Pod
            # Identity, sts under IRSA) comes with them (network.interface_endpoints)
            "interfaceEndpoints": ["ecr.api", "ecr.dkr", "logs"],
        },
        "cluster": {
            "endpointPublicAccess": False,
            "logRetentionDays": 365,
            "deletionProtection": True,
            # sized to prod's replicas: its pods ask ~14 vCPU and ~23 GiB at their fewest (the
            # tenants ~8.3 vCPU with their sidecars, the add-ons ~5.2 with two replicas each,
            # EKS's own ~0.3) and ~0.3 vCPU a node of DaemonSets: ~16 vCPU on seven nodes,
            # three system ones (one a zone) and four general ones (21.5 allocatable, ~75%
            # asked: a node's loss and the rollouts' surge pods fit); Karpenter adds what
            # bursts. On-demand; x86 (the applications' images are amd64 builds): AMD's m6a,
            # 10% under m6i. It was 30 vCPU (m6i: three large, six xlarge), half of it idle
            "nodeGroups": {
                "system": {"instanceTypes": ["m6a.large"], "capacityType": "ON_DEMAND",
                           "minSize": 3, "desiredSize": 3, "maxSize": 6,
                           "labels": {"shipyard.dev/pool": "system"}},
                "general": {"instanceTypes": ["m6a.xlarge"], "capacityType": "ON_DEMAND",
                            "minSize": 3, "desiredSize": 4, "maxSize": 15,
                            "labels": {"shipyard.dev/pool": "general"}},
            },
        },
        "registry": {"keepTaggedImages": 100},
        # managed stores shared by the applications (one per engine), a standby in another
        # zone each, Graviton (every engine runs on it), sized to what they hold
        # Performance Insights kept a month (beyond AWS's free 7 days: a month of history for
        # an incident review), Enhanced Monitoring every 60 s, the databases' logs a year (the
        # model's defaults, production's)
        "stores": {"backend": "managed", "multiAz": True,
                   # eleven services of five applications: 2 vCPU, 8 GiB, not burstable;
                   # 50 GiB to start (RDS storage grows, never shrinks: autoscaling to 1000)
                   "postgresql": {"size": "db.m7g.large", "storageGi": 50,
                                  "maxStorageGi": 1000},
                   # one service's database (everything-portal's go-service): 4 GiB, burstable
                   "mysql": {"size": "db.t4g.medium", "storageGi": 20, "maxStorageGi": 1000},
                   # two applications' document stores: one instance per zone, 4 GiB each
                   "mongodb": {"size": "db.t4g.medium", "instances": 3},
                   # Valkey: one group per application whose clients do not prefix their
                   # keys (the seeds' three: docs/data-stores.md), each a primary and a
                   # replica in two zones with automatic failover (Multi-AZ), 1.37 GiB of
                   # Graviton for one application's caches, sessions and counters ($37 a month
                   # a group; three such groups cost what the one shared group of three
                   # t4g.medium nodes did). A shared group, where catalogs allow one, is the
                   # same size: raise stores.redis.size when several applications share it
                   "redis": {"size": "cache.t4g.small", "instances": 2},
                   # AWS's production size for RabbitMQ 4 (mq.m7g.medium is for tests), three
                   # nodes in three zones
                   "rabbitmq": {"size": "mq.m7g.large"}},
        "dns": {"domain": "shipyard.example.com"},
        "addons": {
            "certManager": {"issuer": "letsencrypt-prod"},
            "istio": {"mtls": "STRICT", "traceSampling": 1.0},
            # no UI on the internet: kubectl port-forward (docs/observability.md). Two
            # Prometheus replicas of 30 days: ~200k series at a 30 s scrape is ~25 GB a month;
            # 100 GiB (retentionSize 85 GB) keeps three times that
            "monitoring": {"retentionDays": 30, "storageGi": 100},
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
# itself (Karpenter, the load balancer controller, the VPC CNI) is off or left to it. The
# environment's managed node groups are dropped too (``without_node_groups``): Auto Mode's
# built-in node pools replace them.
AUTO_MODE_DEFAULTS: dict[str, Any] = {
    "addons": {
        "karpenter": {"enabled": False},
        "loadBalancerController": {"enabled": False},
    },
    # Auto Mode runs the VPC CNI itself: no add-on to delegate prefixes (dev's default)
    "cluster": {"prefixDelegation": False},
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
