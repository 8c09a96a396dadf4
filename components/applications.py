"""Every hosted application, as a tenant each, on the cluster and its add-ons.

The stack's settings say which catalogs it hosts (``shipyard:applications``); ``compose``
turns each into a ``TenantArgs`` wired to the shared Gateway (when the ingress add-on is on),
the mesh (when Istio is on and the application joins it), the ECR repositories of its images
and, for services that call AWS, the cluster's workload identity (EKS Pod Identity, or IRSA's
OIDC provider). What only the add-ons know (the
resources to wait for: the mesh's and the monitoring CRDs, the Gateway API CRDs, the store
operators) this component fills in, once, into the platform every tenant shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pulumi

from components.addons.addons import Addons
from components.cdn import Cdn, CdnArgs
from components.cdn_firewall import CdnFirewall, CdnFirewallArgs
from components.stores.shared import SharedStores
from components.tenant import Tenant, TenantArgs, TenantPlatform

TYPE = "shipyard:apps:Applications"


@dataclass(frozen=True)
class ApplicationsArgs:
    platform: TenantPlatform                 # what every tenant shares (from the settings)
    tenants: Sequence[TenantArgs] = ()       # one per hosted application, in the settings' order
    # CloudFront for the applications whose catalog asks for it (issue 6)
    cdns: Sequence[CdnArgs] = ()
    cdn_firewall: CdnFirewallArgs | None = None   # one WAF web ACL for them all (cdn.waf)


def wired(platform: TenantPlatform, addons: Addons,
          shared: SharedStores | None = None) -> TenantPlatform:
    """The platform with the add-ons' resources the tenants wait for, and the stack's shared
    stores their services connect to."""
    mesh = platform.mesh
    if mesh is not None and addons.istio is not None:
        mesh = replace(mesh, crds=[addons.istio.base], injector=[addons.istio.istiod])
    monitoring = addons.monitoring
    stores = platform.stores
    if stores is not None:
        stores = replace(stores, operators=addons.store_operators,
                         shared=dict.fromkeys(shared.stores, shared) if shared else {})
    return replace(
        platform, mesh=mesh, stores=stores,
        workload=replace(platform.workload, monitoring=list(monitoring.crds)
                         if monitoring is not None else None),
        route_needs=tuple(addons.route_needs))


class Applications(pulumi.ComponentResource):
    tenants: dict[str, Tenant]
    urls: dict[str, str]

    def __init__(self, name: str, args: ApplicationsArgs, addons: Addons,
                 opts: pulumi.ResourceOptions | None = None,
                 shared: SharedStores | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        platform = wired(args.platform, addons, shared)
        self.tenants, self.urls = {}, {}
        for tenant_args in args.tenants:
            app = tenant_args.app
            if tenant_args.routing is None and app.routes:
                pulumi.log.warn(f"{app.name}: addons.ingress is off, so its routes are not "
                                f"exposed", self)
            tenant = Tenant(f"{name}-{app.name}", replace(tenant_args, platform=platform),
                            opts=pulumi.ResourceOptions(parent=self))
            self.tenants[app.name] = tenant
            if tenant.url:
                self.urls[app.name] = tenant.url
        # --- cdn (issue 6) ---
        # CloudFront for the applications whose catalog asks for it: an assets bucket CI
        # uploads to, served at the CDN hostname (records and certificate in the stack's zone)
        self.cdns: dict[str, Cdn] = {}
        self.cdn_firewall = None
        if args.cdns and args.cdn_firewall is not None:
            self.cdn_firewall = CdnFirewall(f"{name}-cdn-firewall", args.cdn_firewall,
                                            opts=pulumi.ResourceOptions(parent=self))
        for cdn_args in args.cdns:
            if self.cdn_firewall is not None:
                cdn_args = replace(cdn_args, web_acl_arn=self.cdn_firewall.web_acl_arn)
            self.cdns[cdn_args.app] = Cdn(f"{name}-{cdn_args.app}-cdn", cdn_args,
                                          opts=pulumi.ResourceOptions(parent=self))
        self.cdn_urls: dict[str, str] = {a: c.url for a, c in self.cdns.items()}
        self.cdn_buckets = {a: c.bucket_name for a, c in self.cdns.items()}
        self.cdn_distribution_ids = {a: c.distribution_id for a, c in self.cdns.items()}
        # --- end cdn ---
        self.register_outputs({"urls": self.urls})
