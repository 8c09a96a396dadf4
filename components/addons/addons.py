"""All cluster add-ons, in dependency order, each switched by its settings.

Order and waits: the Gateway API CRDs first; the AWS Load Balancer Controller before anything
that creates a LoadBalancer Service (its webhook fails closed); cert-manager after the Gateway
API CRDs (it reads them at start-up); the Gateway after its controller and the load balancer
controller; custom resources only after the release that installs their CRD.
Nothing else waits: independent add-ons install side by side.
"""

from __future__ import annotations

import pulumi

from components.addons.argocd import ArgoCd, ArgoCdArgs
from components.addons.base import ClusterContext
from components.addons.cert_manager import CertManager, CertManagerArgs
from components.addons.external_dns import ExternalDns, ExternalDnsArgs
from components.addons.gateway_api import GatewayApi, GatewayApiArgs
from components.addons.ingress import Exposure, Ingress, IngressArgs
from components.addons.istio import Istio, IstioArgs
from components.addons.karpenter import Karpenter, KarpenterArgs
from components.addons.kiali import Kiali, KialiArgs
from components.addons.load_balancer_controller import (
    LoadBalancerController,
    LoadBalancerControllerArgs,
)
from components.addons.logging import Logging, LoggingArgs
from components.addons.metrics_server import MetricsServer, MetricsServerArgs
from components.addons.monitoring import Monitoring, MonitoringArgs
from components.addons.tracing import Tracing, TracingArgs
from shipyard.config.stack import Settings

TYPE = "shipyard:addons:Addons"


class Addons(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Settings, ctx: ClusterContext,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        a = settings.addons
        child = pulumi.ResourceOptions(parent=self)
        self.gateway_api = None
        self.load_balancer_controller = None
        self.metrics_server = None
        self.cert_manager = None
        self.istio = None
        self.ingress = None
        self.external_dns = None
        self.karpenter = None
        # observability and GitOps (issue 7)
        self.monitoring = None
        self.logging = None
        self.tracing = None
        self.kiali = None
        self.argocd = None
        if a.gateway_api.enabled:
            self.gateway_api = GatewayApi(f"{name}-gateway-api",
                                          GatewayApiArgs.from_settings(settings, ctx), opts=child)
        # what reads the Gateway API CRDs at start-up waits for them
        crds = list(self.gateway_api.ready) if self.gateway_api else []
        if a.load_balancer_controller.enabled:
            self.load_balancer_controller = LoadBalancerController(
                f"{name}-load-balancer-controller",
                LoadBalancerControllerArgs.from_settings(settings, ctx), opts=child)
        if a.metrics_server.enabled:
            self.metrics_server = MetricsServer(
                f"{name}-metrics-server", MetricsServerArgs.from_settings(settings, ctx),
                opts=child)
        if a.cert_manager.enabled:
            # cert-manager reads the Gateway API CRDs at start-up
            self.cert_manager = CertManager(
                f"{name}-cert-manager", CertManagerArgs.from_settings(settings, ctx, after=crds),
                opts=child)
        if a.istio.enabled:
            # istiod reads the Gateway API CRDs at start-up
            self.istio = Istio(f"{name}-istio",
                               IstioArgs.from_settings(settings, ctx, after=crds), opts=child)
        if a.ingress.enabled:
            # The Gateway waits for its CRD, its controller (Istio's; NGINX Gateway Fabric is
            # installed by Ingress itself) and the load balancer controller (which provisions the
            # NLB for the data plane's Service, and on destroy must outlive it to delete it). Not for cert-manager: its gateway-shim
            # lists the Gateways that exist when it starts and issues their certificates (the
            # listeners report ResolvedRefs=False until then), so waiting only lengthened the
            # deploy (offline/estimates/deploy_time.py).
            # Istio's controller is istiod alone (istio-base's CRDs are not the Gateway's; istiod
            # waits for them already).
            istio = ([self.istio.istiod] if self.istio is not None and
                     a.ingress.controller == "istio" else [])
            self.ingress = Ingress(f"{name}-ingress", IngressArgs.from_settings(
                settings, ctx, crds=crds, after=[
                    *crds, *istio, *getattr(self.load_balancer_controller, "ready", [])]),
                opts=child)
        if a.external_dns.enabled:
            self.external_dns = ExternalDns(
                f"{name}-external-dns", ExternalDnsArgs.from_settings(settings, ctx, after=crds),
                opts=child)
        if a.karpenter.enabled:
            self.karpenter = Karpenter(f"{name}-karpenter",
                                       KarpenterArgs.from_settings(settings, ctx, after=[]),
                                       opts=child)
        # Observability and GitOps. Their UIs go through the shared Gateway when it exists.
        self.exposure = Exposure.of(self.ingress, crds) if self.ingress is not None else None
        # -- monitoring
        if a.monitoring.enabled:
            self.monitoring = Monitoring(f"{name}-monitoring", MonitoringArgs.from_settings(
                settings, ctx, exposure=self.exposure), opts=child)
        # -- logging
        if a.logging.enabled:
            # Loki waits for its bucket and role only; Alloy retries until Loki answers
            self.logging = Logging(f"{name}-logging", LoggingArgs.from_settings(
                settings, ctx, exposure=self.exposure), opts=child)
        # -- tracing
        if a.tracing.enabled:
            # Tempo waits for its bucket and role only; the collector retries until Tempo
            # answers (the mesh's spans before the collector is up are lost, nothing else)
            self.tracing = Tracing(f"{name}-tracing", TracingArgs.from_settings(
                settings, ctx, exposure=self.exposure), opts=child)
        # -- kiali
        if a.kiali.enabled:
            # in istio-system, the Istio add-on's namespace (the settings refuse Kiali
            # without Istio and monitoring)
            self.kiali = Kiali(f"{name}-kiali", KialiArgs.from_settings(
                settings, ctx, exposure=self.exposure,
                namespace=self.istio.namespace.metadata.name), opts=child)
        # -- argocd
        if a.argocd.enabled:
            # no IRSA (it needs no AWS access); its AppProjects and ApplicationSet wait only
            # for its own release (their CRDs)
            self.argocd = ArgoCd(f"{name}-argocd", ArgoCdArgs.from_settings(
                settings, ctx, exposure=self.exposure), opts=child)
        # --- store operators (issue 6) ---
        # kind -> what that kind's in-cluster store objects wait for (the operator, its CRDs)
        self.store_operators: dict[str, list[pulumi.Resource]] = {}
        from components.addons.cloudnative_pg import CloudNativePg, CloudNativePgArgs, wanted
        self.cloudnative_pg = None
        if wanted(settings):
            # PostgreSQL in the cluster: CloudNativePG (its CRDs and webhooks) once for all
            # tenants; MySQL in the cluster needs no operator
            self.cloudnative_pg = CloudNativePg(
                f"{name}-cloudnative-pg", CloudNativePgArgs.from_settings(settings, ctx),
                opts=child)
            self.store_operators["postgresql"] = list(self.cloudnative_pg.ready)
        from components.addons import mongodb_operator, rabbitmq_operator
        self.mongodb_operator = self.rabbitmq_operator = None
        if mongodb_operator.wanted(settings):
            # MongoDB in the cluster: MongoDB Controllers for Kubernetes, MongoDBCommunity only
            self.mongodb_operator = mongodb_operator.MongoDbOperator(
                f"{name}-mongodb-operator",
                mongodb_operator.MongoDbOperatorArgs.from_settings(settings, ctx), opts=child)
            self.store_operators["mongodb"] = list(self.mongodb_operator.ready)
        if rabbitmq_operator.wanted(settings):
            # RabbitMQ in the cluster: the Cluster Operator's release manifest, after
            # cert-manager (its webhooks' certificate); Valkey needs no operator
            self.rabbitmq_operator = rabbitmq_operator.RabbitMqOperator(
                f"{name}-rabbitmq-operator", rabbitmq_operator.RabbitMqOperatorArgs.from_settings(
                    settings, ctx, after=self.cert_manager.ready if self.cert_manager else []),
                opts=child)
            self.store_operators["rabbitmq"] = list(self.rabbitmq_operator.ready)
        # --- end store operators ---
        # --- backups (issue 6) ---
        self.backups = None
        if settings.config.backups.enabled:
            # Velero waits for its role's grants only; its ServiceMonitor and alerts wait for
            # the monitoring CRDs
            from components.addons.velero import Velero, VeleroArgs
            self.backups = Velero(f"{name}-velero", VeleroArgs.from_settings(
                settings, ctx, monitoring=list(self.monitoring.crds)
                if self.monitoring is not None else None), opts=child)
        # --- end backups ---
        self.register_outputs({})
