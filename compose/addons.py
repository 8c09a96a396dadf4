"""The cluster add-ons: each one's Args from the settings, None where it is switched off.

What only exists once the add-ons are registered (the CRDs to wait for, the shared Gateway's
``Exposure``, Istio's namespace, cert-manager's release, the monitoring CRDs) is not known
here: ``Addons`` fills it in. A UI's host is set here when the ingress add-on is on
(``exposed``): that is when ``Addons`` gives its add-on an ``Exposure``.
"""

from __future__ import annotations

from components.addons.addons import AddonsArgs
from components.addons.argocd import ArgoCdArgs
from components.addons.base import ClusterContext
from components.addons.cert_manager import HA_REPLICAS as CERT_MANAGER_HA_REPLICAS
from components.addons.cert_manager import CertManagerArgs
from components.addons.external_dns import ExternalDnsArgs
from components.addons.gateway_api import GatewayApiArgs
from components.addons.ingress import IngressArgs
from components.addons.istio import IstioArgs
from components.addons.karpenter import KarpenterArgs
from components.addons.kiali import KialiArgs
from components.addons.load_balancer_controller import LoadBalancerControllerArgs
from components.addons.logging import LoggingArgs
from components.addons.metrics_server import MetricsServerArgs
from components.addons.monitoring import HA_REPLICAS as MONITORING_HA_REPLICAS
from components.addons.monitoring import MonitoringArgs
from components.addons.tracing import TracingArgs
from components.addons.velero import VeleroArgs
from compose.stores import cloudnative_pg_args, mongodb_operator_args, rabbitmq_operator_args
from shipyard.config.stack import Settings


def addons_args(settings: Settings, ctx: ClusterContext) -> AddonsArgs:
    """Every add-on the settings switch on, as its Args; None for the others."""
    a = settings.addons
    exposed = a.ingress.enabled     # the UIs go through the shared Gateway when it exists
    return AddonsArgs(
        gateway_api=gateway_api_args(settings, ctx) if a.gateway_api.enabled else None,
        load_balancer_controller=load_balancer_controller_args(settings, ctx)
        if a.load_balancer_controller.enabled else None,
        metrics_server=metrics_server_args(settings, ctx) if a.metrics_server.enabled else None,
        cert_manager=cert_manager_args(settings, ctx) if a.cert_manager.enabled else None,
        istio=istio_args(settings, ctx) if a.istio.enabled else None,
        ingress=ingress_args(settings, ctx) if a.ingress.enabled else None,
        external_dns=external_dns_args(settings, ctx) if a.external_dns.enabled else None,
        karpenter=karpenter_args(settings, ctx) if a.karpenter.enabled else None,
        monitoring=monitoring_args(settings, ctx, exposed=exposed)
        if a.monitoring.enabled else None,
        logging=logging_args(settings, ctx) if a.logging.enabled else None,
        tracing=tracing_args(settings, ctx) if a.tracing.enabled else None,
        kiali=kiali_args(settings, ctx, exposed=exposed) if a.kiali.enabled else None,
        argocd=argocd_args(settings, ctx, exposed=exposed) if a.argocd.enabled else None,
        cloudnative_pg=cloudnative_pg_args(settings, ctx),
        mongodb_operator=mongodb_operator_args(settings, ctx),
        rabbitmq_operator=rabbitmq_operator_args(settings, ctx),
        backups=velero_args(settings, ctx) if settings.config.backups.enabled else None,
    )


# -- the platform add-ons ---------------------------------------------------------------------


def gateway_api_args(settings: Settings, ctx: ClusterContext) -> GatewayApiArgs:
    del settings  # nothing to choose: the bundle is pinned in shipyard.versions
    return GatewayApiArgs(ctx=ctx)


def load_balancer_controller_args(settings: Settings,
                                  ctx: ClusterContext) -> LoadBalancerControllerArgs:
    lbc = settings.addons.load_balancer_controller
    return LoadBalancerControllerArgs(ctx=ctx, highly_available=lbc.high_availability,
                                      values=dict(lbc.values))


def metrics_server_args(settings: Settings, ctx: ClusterContext) -> MetricsServerArgs:
    s = settings.addons.metrics_server
    return MetricsServerArgs(ctx=ctx, highly_available=s.high_availability,
                             values=dict(s.values))


def cert_manager_args(settings: Settings, ctx: ClusterContext) -> CertManagerArgs:
    cm = settings.addons.cert_manager
    return CertManagerArgs(
        ctx=ctx, issuer=cm.issuer, solver=cm.solver, acme_email=cm.acme_email,
        replicas=CERT_MANAGER_HA_REPLICAS if cm.high_availability else 1,
        values=dict(cm.values))


def istio_args(settings: Settings, ctx: ClusterContext) -> IstioArgs:
    a = settings.addons
    s = a.istio
    return IstioArgs(
        ctx=ctx, mtls=s.mtls, trace_sampling=s.trace_sampling, access_logs=s.access_logs,
        highly_available=s.high_availability, values=dict(s.values),
        gateway_routes=a.kiali.enabled and a.ingress.enabled and a.kiali.hostname is not None)


def ingress_args(settings: Settings, ctx: ClusterContext) -> IngressArgs:
    ingress, cm = settings.addons.ingress, settings.addons.cert_manager
    # the configured names, else the domain and *.domain, else (HTTP-01 cannot issue a
    # wildcard) a listener and certificate per application and UI hostname
    return IngressArgs(
        ctx=ctx, controller=ingress.controller, hostnames=tuple(settings.gateway_hostnames()),
        hsts_max_age_seconds=ingress.hsts_max_age_seconds,
        cluster_issuer=cm.issuer if cm.enabled else None,
        highly_available=ingress.high_availability, values=dict(ingress.values))


def external_dns_args(settings: Settings, ctx: ClusterContext) -> ExternalDnsArgs:
    # One replica whatever externalDns.highAvailability says: external-dns has no leader
    # election, and two would race each other over the same records.
    ed = settings.addons.external_dns
    return ExternalDnsArgs(ctx=ctx, owner_id=settings.cluster_name, policy=ed.policy,
                           values=dict(ed.values))


def karpenter_args(settings: Settings, ctx: ClusterContext) -> KarpenterArgs:
    k = settings.addons.karpenter
    if not ctx.eks or ctx.identity is None or ctx.cluster_arn is None or \
            ctx.cluster_endpoint is None or ctx.cluster_security_group_id is None:
        # settings refuse addons.karpenter.enabled outside cluster.mode eks
        raise ValueError("Karpenter needs an EKS cluster (workload identity, ARN, endpoint, "
                         "security group)")
    return KarpenterArgs(
        provider=ctx.provider, cluster_name=ctx.cluster_name, region=ctx.region,
        identity=ctx.identity, cluster_endpoint=ctx.cluster_endpoint, cluster_arn=ctx.cluster_arn,
        cluster_security_group_id=ctx.cluster_security_group_id,
        cpu_limit=k.cpu_limit, memory_limit_gi=k.memory_limit_gi,
        capacity_types=tuple(k.capacity_types),
        instance_categories=tuple(k.instance_categories),
        consolidate_after=k.consolidate_after, ami_alias=k.ami_alias,
        values=dict(k.values), tags=dict(ctx.tags))


# -- observability and GitOps ---------------------------------------------------------------


def monitoring_args(settings: Settings, ctx: ClusterContext, *,
                    exposed: bool) -> MonitoringArgs:
    m, a = settings.addons.monitoring, settings.addons

    def host(hostname: str | None) -> str | None:
        return settings.exposed_host(hostname) if exposed else None

    return MonitoringArgs(
        protect=settings.config.protect,
        ctx=ctx, retention_days=m.retention_days, storage_gi=m.storage_gi,
        replicas=MONITORING_HA_REPLICAS if m.high_availability else 1,
        grafana_persistence=m.grafana_persistence, receivers=tuple(m.receivers),
        alert_urls=settings.alert_urls,
        tenant_namespaces=tuple(app.name for app in settings.applications),
        loki=a.logging.enabled, tempo=a.tracing.enabled,
        cert_manager=a.cert_manager.enabled,
        grafana_host=host(m.grafana_hostname),
        alertmanager_host=host(m.alertmanager_hostname),
        prometheus_host=host(m.prometheus_hostname),
        runbook_base=m.runbook_base_url, values=dict(m.values))


def logging_args(settings: Settings, ctx: ClusterContext) -> LoggingArgs:
    s = settings.addons.logging
    return LoggingArgs(ctx=ctx, retention_days=s.retention_days, storage=s.storage,
                       highly_available=s.high_availability,
                       protect=settings.config.protect, values=dict(s.values))


def tracing_args(settings: Settings, ctx: ClusterContext) -> TracingArgs:
    s = settings.addons.tracing
    return TracingArgs(ctx=ctx, retention_hours=s.retention_hours, storage=s.storage,
                       highly_available=s.high_availability,
                       protect=settings.config.protect, values=dict(s.values))


def kiali_args(settings: Settings, ctx: ClusterContext, *, exposed: bool) -> KialiArgs:
    a = settings.addons
    s = a.kiali
    grafana_host = (settings.exposed_host(a.monitoring.grafana_hostname)
                    if a.monitoring.enabled and exposed else None)
    return KialiArgs(
        ctx=ctx, highly_available=s.high_availability, tracing=a.tracing.enabled,
        host=settings.exposed_host(s.hostname) if exposed else None,
        grafana_external_url=f"https://{grafana_host}" if grafana_host else None,
        values=dict(s.values))


def argocd_args(settings: Settings, ctx: ClusterContext, *, exposed: bool) -> ArgoCdArgs:
    s = settings.addons.argocd
    return ArgoCdArgs(
        ctx=ctx, highly_available=s.high_availability,
        tenants=tuple(app.name for app in settings.applications),
        host=settings.exposed_host(s.hostname) if exposed else None,
        repo_url=s.repo_url, target_revision=s.target_revision, path=s.path,
        values=dict(s.values))


# -- backups ------------------------------------------------------------------------------------


def velero_args(settings: Settings, ctx: ClusterContext) -> VeleroArgs:
    b = settings.config.backups
    return VeleroArgs(
        ctx=ctx, namespaces=tuple(app.name for app in settings.applications),
        schedule=b.schedule, retention_days=b.retention_days,
        protect=settings.config.protect,
        runbook_base=settings.addons.monitoring.runbook_base_url)
