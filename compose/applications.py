"""The hosted applications: the platform every tenant shares, each one's TenantArgs, the CDNs.

What only exists once the add-ons are registered (the mesh's and the monitoring CRDs, the
Gateway API CRDs, the store operators) ``Applications`` fills into the shared platform; the
rest is decided here from the settings.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.addons.addons import AddonsArgs
from components.addons.base import ClusterContext
from components.addons.endpoints import MONITORING_NAMESPACE, TRACING_NAMESPACE
from components.addons.ingress import (
    GATEWAY_NAME,
    GATEWAY_NAMESPACE,
    HTTP_LISTENER,
    IngressArgs,
    listeners_serving,
)
from components.applications import ApplicationsArgs
from components.cdn import CdnArgs
from components.cdn_firewall import CdnFirewallArgs
from components.mesh import MeshContext, sidecar
from components.tenant import Routing, TenantArgs, TenantPlatform
from components.workload import WorkloadPlatform
from compose.stores import https_exceptions, store_cidrs, store_context
from shipyard.catalog.models import Application
from shipyard.config.base import NAMESPACE
from shipyard.config.stack import Settings
from shipyard.rules import hostnames


def applications_args(settings: Settings, ctx: ClusterContext, addons: AddonsArgs,
                      image_repositories: Mapping[str, pulumi.Input[str]]) -> ApplicationsArgs:
    """Every hosted application as a tenant (routed through the shared Gateway the ingress
    add-on's Args describe, when it is on), and its CDN where its catalog asks for one."""
    platform = tenant_platform(settings, ctx, image_repositories)
    tenants = []
    for app in settings.applications:
        host = settings.application_host(app)
        tenants.append(TenantArgs(
            app=app, host=host, platform=platform,
            routing=routing(addons.ingress, host)
            if addons.ingress is not None and app.routes else None))
    return ApplicationsArgs(
        platform=platform, tenants=tuple(tenants),
        cdns=tuple(cdn_args(settings, app, ctx) for app in settings.applications
                   if app.cdn is not None and app.cdn.enabled),
        cdn_firewall=CdnFirewallArgs(cluster_name=settings.cluster_name,
                                     rate_limit=settings.config.cdn.waf_rate_limit,
                                     tags=settings.tags)
        if settings.config.cdn.waf else None)


def tenant_platform(settings: Settings, ctx: ClusterContext,
                    image_repositories: Mapping[str, pulumi.Input[str]]) -> TenantPlatform:
    """What every tenant and each of its workloads shares, once for the stack."""
    a = settings.addons
    return TenantPlatform(
        workload=WorkloadPlatform(
            provider=ctx.provider, identity=ctx.identity, tags=ctx.tags,
            zone_spread=settings.workloads.zone_spread,
            await_rollout=settings.workloads.await_rollouts,
            immutable_tags=settings.registry.immutable_tags,
            environment=settings.environment.value, tracing=a.tracing.enabled,
            sizing=settings.workloads.sizing),
        image_repositories=image_repositories,
        mesh=MeshContext(strict=a.istio.mtls == "STRICT",
                         gateway_in_mesh=a.ingress.controller == "istio",
                         sidecar=sidecar(a.istio.sidecar_requests.cpu,
                                         a.istio.sidecar_requests.memory))
        if a.istio.enabled else None,
        store_cidrs=store_cidrs(settings), https_except=https_exceptions(settings),
        monitoring_namespace=MONITORING_NAMESPACE if a.monitoring.enabled else None,
        tracing_namespace=TRACING_NAMESPACE if a.tracing.enabled else None,
        stores=store_context(settings, ctx), protect=settings.config.protect)


def routing(ingress: IngressArgs, host: str) -> Routing:
    """The shared Gateway's listeners that serve ``host``: no HTTPS hostname at all, and the
    Gateway serves plain HTTP to everyone."""
    return Routing(
        gateway_name=GATEWAY_NAME, gateway_namespace=GATEWAY_NAMESPACE,
        listeners=tuple(listeners_serving(host, ingress.hostnames, ingress.ctx.domain)
                        if ingress.hostnames else [HTTP_LISTENER]),
        hsts_max_age_seconds=ingress.hsts_max_age_seconds,
        # NGINX Gateway Fabric 2.6 accepts HTTPRoute timeouts but does not apply them (it
        # reports them unsupported); Istio's gateway does
        request_timeouts=ingress.controller == "istio")


def cdn_args(settings: Settings, app: Application, ctx: ClusterContext) -> CdnArgs:
    """CloudFront for ``app``'s static assets, its records and certificate in the stack's
    zone (the settings' checks refuse a CDN without one; this stays as a guard), its access
    logs where the stack keeps them."""
    zone_id = ctx.zone_id
    if app.cdn is None or zone_id is None or settings.dns.domain is None:
        raise ValueError(f"{NAMESPACE}:applications.{app.name}.cdn: needs a cdn block and "
                         f"the stack's hosted zone (dns.enabled)")
    return CdnArgs(
        app=app.name, host=hostnames.full_name(app.cdn.hostname, settings.dns.domain),
        domain=settings.dns.domain, zone_id=zone_id, cluster_name=settings.cluster_name,
        price_class=settings.config.cdn.price_class, access_logs=ctx.access_logs,
        protect=settings.config.protect, tags=settings.tags)
