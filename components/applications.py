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
from components.stores.base import ManagedNetwork
from components.stores.stores import StoreContext
from components.tenant import Routing, Tenant, TenantArgs
from components.workload import MeshContext
from shipyard.config.cluster import ClusterMode
from shipyard.config.stack import Settings

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
        network = None
        if settings.cluster.mode is ClusterMode.EKS:
            assert ctx.vpc_id is not None and ctx.database_subnet_ids is not None
            assert ctx.cluster_security_group_id is not None
            network = ManagedNetwork(vpc_id=ctx.vpc_id, subnet_ids=ctx.database_subnet_ids,
                                     client_security_group_id=ctx.cluster_security_group_id,
                                     cidrs=tuple(store_cidrs))
        store_context = StoreContext(
            settings=settings.config.stores, cluster_name=settings.cluster_name,
            environment=settings.environment.value, region=settings.region,
            protect=settings.config.protect, network=network,
            operators=addons.store_operators, tags=ctx.tags,
            storage_class=settings.config.stores.storage_class)
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
                tracing_namespace=tracing.namespace_name if tracing else None,
                stores=store_context, protect=settings.config.protect),
                opts=pulumi.ResourceOptions(parent=self))
            self.tenants[app.name] = tenant
            if tenant.url:
                self.urls[app.name] = tenant.url
        # --- cdn (issue 6) ---
        # CloudFront for the applications whose catalog asks for it: an assets bucket CI
        # uploads to, served at the CDN hostname (records and certificate in the stack's zone)
        from components.cdn import Cdn, CdnArgs
        self.cdns: dict[str, Cdn] = {}
        for app in settings.applications:
            if app.cdn is not None and app.cdn.enabled:
                self.cdns[app.name] = Cdn(
                    f"{name}-{app.name}-cdn", CdnArgs.from_settings(settings, app, ctx.zone_id),
                    opts=pulumi.ResourceOptions(parent=self))
        self.cdn_urls: dict[str, str] = {a: c.url for a, c in self.cdns.items()}
        self.cdn_buckets = {a: c.bucket_name for a, c in self.cdns.items()}
        self.cdn_distribution_ids = {a: c.distribution_id for a, c in self.cdns.items()}
        # --- end cdn ---
        self.register_outputs({"urls": self.urls})
