"""What every add-on shares: the cluster it lands on, its namespace, its pinned Helm release.

An add-on is a ComponentResource that takes ``(name, args: <X>Args, opts)``, where the Args
are built from the settings and a ClusterContext by ``compose.addons`` (components never see
the settings).
Its Helm values come from a pure function of its settings; the user's ``values`` from config
are deep-merged on top (``merged_values``). Every chart comes from ``shipyard.versions.CHARTS``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.workload_identity import WorkloadIdentity
from shipyard.config.defaults import deep_merge
from shipyard.versions import CHARTS

PodSecurity = Literal["restricted", "baseline", "privileged"]


@dataclass(frozen=True)
class AccessLogTarget:
    """Where a bucket's server access logs go: the stack's access-log bucket
    (components/log_storage.py), under ``prefix`` (partitioned by account, region and source
    bucket, then date), once the bucket's policy (in ``ready``) lets S3's logging service write
    there."""

    bucket: pulumi.Input[str]
    prefix: str
    ready: Sequence[pulumi.Resource] = ()
    bucket_arn: pulumi.Input[str] | None = None     # where CloudFront's logs are delivered


@dataclass(frozen=True)
class ClusterContext:
    """The cluster an add-on is installed on, as plain values and Outputs."""

    provider: k8s.Provider
    cluster_name: str
    region: str
    environment: str
    eks: bool                                       # False: an existing (non-EKS) cluster
    auto_mode: bool = False                         # EKS Auto Mode runs nodes, storage, NLBs
    # how pods get AWS roles (Pod Identity or IRSA); None on an existing cluster: none do
    identity: WorkloadIdentity | None = None
    vpc_id: pulumi.Input[str] | None = None
    database_subnet_ids: pulumi.Input[Sequence[str]] | None = None  # the isolated tier
    cluster_endpoint: pulumi.Input[str] | None = None
    cluster_arn: pulumi.Input[str] | None = None
    cluster_security_group_id: pulumi.Input[str] | None = None
    node_role_arn: pulumi.Input[str] | None = None
    zone_id: pulumi.Input[str] | None = None        # the stack's hosted zone
    # the subnets load balancers go in: the Gateway waits for them, so that a destroy deletes
    # it (and its NLB) before them (else DependencyViolation on the subnets and the VPC)
    load_balancer_subnets: Sequence[pulumi.Resource] = ()
    domain: str | None = None
    # where the data buckets' server access logs go (shipyard:accessLogs); None: nowhere
    access_logs: AccessLogTarget | None = None
    # the KMS key of the stack's CloudWatch log groups in its region; None: it has none
    logs_key_arn: pulumi.Input[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def merged_values(own: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """shipyard's values for a chart (which may hold Outputs: a role's ARN, a zone id)
    with the user's ``values`` from config laid on top."""
    return deep_merge(own, overrides)


def namespace(name: str, namespace_name: str, *, parent: pulumi.Resource,
              provider: k8s.Provider, pod_security: PodSecurity = "restricted",
              labels: Mapping[str, str] | None = None,
              depends_on: Sequence[pulumi.Resource] = (),
              protect: bool = False) -> k8s.core.v1.Namespace:
    """A namespace with Pod Security Admission enforcing ``pod_security`` (and warning and
    auditing at ``restricted``). ``protect``: it holds data (deleting a namespace deletes its
    volume claims), so ``pulumi destroy`` and replacements stop at it."""
    return k8s.core.v1.Namespace(
        f"{name}-ns",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace_name,
            labels={
                "pod-security.kubernetes.io/enforce": pod_security,
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "app.kubernetes.io/managed-by": "shipyard",
                **(labels or {}),
            },
        ),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider,
                                    depends_on=list(depends_on), protect=protect),
    )


def helm_release(name: str, chart_key: str, *, release_name: str,
                 namespace_name: pulumi.Input[str], values: Mapping[str, Any],
                 parent: pulumi.Resource, provider: k8s.Provider,
                 depends_on: Sequence[pulumi.Resource] = (),
                 timeout_seconds: int = 600) -> k8s.helm.v3.Release:
    """The pinned chart ``CHARTS[chart_key]`` as a Helm release that waits until it is ready
    (so whatever depends on it finds its CRDs and webhooks serving) and rolls back on failure."""
    chart = CHARTS[chart_key]
    return k8s.helm.v3.Release(
        f"{name}-release",
        name=release_name,
        chart=chart.chart,
        version=chart.version,
        repository_opts=(k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo)
                         if chart.repo else None),
        namespace=namespace_name,
        create_namespace=False,
        values=dict(values),
        atomic=True,
        cleanup_on_fail=True,
        max_history=10,
        timeout=timeout_seconds,
        skip_await=False,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider,
                                    depends_on=list(depends_on)),
    )

