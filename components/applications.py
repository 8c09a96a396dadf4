"""Every hosted application, as a tenant each, on the cluster and its add-ons.

The stack's settings say which catalogs it hosts (``shipyard:applications``); each becomes a
``Tenant`` wired to the shared Gateway (when the ingress add-on is on), the mesh (when Istio is
on and the application joins it), the ECR repositories of its images and, for services that
call AWS, the cluster's OIDC provider.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.addons.addons import Addons
from components.addons.base import ClusterContext
from components.addons.ingress import HTTP_LISTENER, listeners_serving
from components.tenant import Routing, Tenant, TenantArgs
from components.workload import MeshContext
from shipyard.settings import ClusterMode, Settings

TYPE = "shipyard:apps:Applications"


class Applications(pulumi.ComponentResource):
    tenants: dict[str, Tenant]
    urls: dict[str, str]

    def __init__(self, name: str, settings: Settings, ctx: ClusterContext, addons: Addons,
                 image_repositories: Mapping[str, pulumi.Input[str]],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ingress, istio = addons.ingress, addons.istio
        monitoring, tracing = addons.monitoring, addons.tracing
        mesh = None
        if istio is not None:
            mesh = MeshContext(
                strict=settings.addons.istio.mtls == "STRICT",
                gateway_in_mesh=settings.addons.ingress.controller == "istio",
                crds=[istio.base], injector=[istio.istiod])
        store_cidrs: list[str] = []
        if settings.cluster.mode is ClusterMode.EKS:
            # managed stores live in the isolated subnets (the private ones without that tier)
            layout = settings.network.layout()
            store_cidrs = [z.isolated or z.private for z in layout]
        crds = list(addons.gateway_api.ready) if addons.gateway_api else []
        self.tenants, self.urls = {}, {}
        for app in settings.applications:
            host = settings.application_host(app)
            routing = None
            if ingress is not None and app.routes:
                routing = Routing(
                    gateway_name=ingress.gateway_name,
                    gateway_namespace=ingress.gateway_namespace,
                    # no HTTPS hostname at all: the Gateway serves plain HTTP to everyone
                    listeners=tuple(listeners_serving(host, ingress.https_hostnames,
                                                      ingress.domain)
                                    if ingress.https_hostnames else [HTTP_LISTENER]),
                    hsts_max_age_seconds=ingress.hsts_max_age_seconds, crds=tuple(crds),
                    # NGINX Gateway Fabric 2.6 accepts HTTPRoute timeouts but does not apply
                    # them (it reports them unsupported); Istio's gateway does
                    request_timeouts=settings.addons.ingress.controller == "istio")
            elif app.routes:
                pulumi.log.warn(f"{app.name}: addons.ingress is off, so its routes are not "
                                f"exposed", self)
            tenant = Tenant(f"{name}-{app.name}", TenantArgs(
                app=app, host=host, provider=ctx.provider,
                image_repositories=image_repositories, routing=routing, mesh=mesh,
                store_cidrs=tuple(store_cidrs), oidc=ctx.oidc, tags=ctx.tags,
                zone_spread=settings.workloads.zone_spread,
                await_rollouts=settings.workloads.await_rollouts,
                immutable_tags=settings.registry.immutable_tags,
                environment=settings.environment.value,
                monitoring=list(monitoring.crds) if monitoring is not None else None,
                monitoring_namespace=monitoring.namespace_name if monitoring else None,
                tracing_namespace=tracing.namespace_name if tracing else None),
                opts=pulumi.ResourceOptions(parent=self))
            self.tenants[app.name] = tenant
            if tenant.url:
                self.urls[app.name] = tenant.url
        self.register_outputs({"urls": self.urls})
