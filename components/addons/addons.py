"""All cluster add-ons, in dependency order, each installed when its Args are given
(``compose.addons`` builds them from the settings: None where an add-on is off).

Order and waits: the Gateway API CRDs first; the AWS Load Balancer Controller before anything
that creates a LoadBalancer Service (its webhook fails closed); cert-manager after the Gateway
API CRDs (it reads them at start-up); the Gateway after its controller and the load balancer
controller; custom resources only after the release that installs their CRD.
Nothing else waits: independent add-ons install side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pulumi

from components.addons.argocd import ArgoCd, ArgoCdArgs
from components.addons.cert_manager import CertManager, CertManagerArgs
from components.addons.cloudnative_pg import CloudNativePg, CloudNativePgArgs
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
from components.addons.mongodb_operator import MongoDbOperator, MongoDbOperatorArgs
from components.addons.monitoring import Monitoring, MonitoringArgs
from components.addons.rabbitmq_operator import RabbitMqOperator, RabbitMqOperatorArgs
from components.addons.tracing import Tracing, TracingArgs
from components.addons.velero import Velero, VeleroArgs

TYPE = "shipyard:addons:Addons"


@dataclass(frozen=True)
class AddonsArgs:
    """Each add-on's Args, or None: not installed. Built from the settings (``compose``);
    what only exists once the add-ons are registered (CRDs and releases to wait for, the
    shared Gateway's ``Exposure``, Istio's namespace) ``Addons`` fills in itself."""

    gateway_api: GatewayApiArgs | None = None
    load_balancer_controller: LoadBalancerControllerArgs | None = None
    metrics_server: MetricsServerArgs | None = None
    cert_manager: CertManagerArgs | None = None
    istio: IstioArgs | None = None
    ingress: IngressArgs | None = None
    external_dns: ExternalDnsArgs | None = None
    karpenter: KarpenterArgs | None = None
    # observability and GitOps (issue 7)
    monitoring: MonitoringArgs | None = None
    logging: LoggingArgs | None = None
    tracing: TracingArgs | None = None
    kiali: KialiArgs | None = None
    argocd: ArgoCdArgs | None = None
    # store operators (issue 6): wanted where a hosted application's store of their kind
    # runs in the cluster
    cloudnative_pg: CloudNativePgArgs | None = None
    mongodb_operator: MongoDbOperatorArgs | None = None
    rabbitmq_operator: RabbitMqOperatorArgs | None = None
    backups: VeleroArgs | None = None


class Addons(pulumi.ComponentResource):
    def __init__(self, name: str, args: AddonsArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
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
        if args.gateway_api is not None:
            self.gateway_api = GatewayApi(f"{name}-gateway-api", args.gateway_api, opts=child)
        # what reads the Gateway API CRDs at start-up waits for them
        crds = list(self.gateway_api.ready) if self.gateway_api else []
        if args.load_balancer_controller is not None:
            self.load_balancer_controller = LoadBalancerController(
                f"{name}-load-balancer-controller", args.load_balancer_controller, opts=child)
        if args.metrics_server is not None:
            self.metrics_server = MetricsServer(f"{name}-metrics-server", args.metrics_server,
                                                opts=child)
        if args.cert_manager is not None:
            # cert-manager reads the Gateway API CRDs at start-up
            self.cert_manager = CertManager(
                f"{name}-cert-manager", replace(args.cert_manager, after=tuple(crds)),
                opts=child)
        if args.istio is not None:
            # istiod reads the Gateway API CRDs at start-up
            self.istio = Istio(f"{name}-istio", replace(args.istio, after=tuple(crds)),
                               opts=child)
        if args.external_dns is not None:
            self.external_dns = ExternalDns(
                f"{name}-external-dns", replace(args.external_dns, after=tuple(crds)),
                opts=child)
        # What an HTTPRoute (and the Gateway) waits for: its CRD, and external-dns, which makes
        # DNS records of their hostnames: so a destroy deletes them while external-dns still
        # runs to delete the records (a zone with records left in it cannot be deleted).
        self.route_needs: list[pulumi.Resource] = [
            *crds, *(self.external_dns.ready if self.external_dns is not None else [])]
        if args.ingress is not None:
            # The Gateway waits for its CRD, its controller (Istio's; NGINX Gateway Fabric is
            # installed by Ingress itself) and the load balancer controller (which provisions the
            # NLB for the data plane's Service, and on destroy must outlive it to delete it). Not for cert-manager: its gateway-shim
            # lists the Gateways that exist when it starts and issues their certificates (the
            # listeners report ResolvedRefs=False until then), so waiting only lengthened the
            # deploy (offline/estimates/deploy_time.py).
            # Istio's controller is istiod alone (istio-base's CRDs are not the Gateway's; istiod
            # waits for them already).
            istio = ([self.istio.istiod] if self.istio is not None and
                     args.ingress.controller == "istio" else [])
            self.ingress = Ingress(f"{name}-ingress", replace(
                args.ingress, crds=tuple(crds), after=(
                    *self.route_needs, *istio,
                    *getattr(self.load_balancer_controller, "ready", []))),
                opts=child)
        if args.karpenter is not None:
            self.karpenter = Karpenter(f"{name}-karpenter", args.karpenter, opts=child)
        # Observability and GitOps. Their UIs go through the shared Gateway when it exists.
        self.exposure = (Exposure.of(self.ingress, self.route_needs)
                         if self.ingress is not None else None)
        # -- monitoring
        if args.monitoring is not None:
            self.monitoring = Monitoring(f"{name}-monitoring", replace(
                args.monitoring, exposure=self.exposure), opts=child)
        # -- logging
        if args.logging is not None:
            # Loki waits for its bucket and role only; Alloy retries until Loki answers
            self.logging = Logging(f"{name}-logging", args.logging, opts=child)
        # -- tracing
        if args.tracing is not None:
            # Tempo waits for its bucket and role only; the collector retries until Tempo
            # answers (the mesh's spans before the collector is up are lost, nothing else)
            self.tracing = Tracing(f"{name}-tracing", args.tracing, opts=child)
        # -- kiali
        if args.kiali is not None:
            # in istio-system, the Istio add-on's namespace (the settings refuse Kiali
            # without Istio and monitoring)
            assert self.istio is not None, "Kiali needs the Istio add-on"
            self.kiali = Kiali(f"{name}-kiali", replace(
                args.kiali, exposure=self.exposure,
                namespace=self.istio.namespace.metadata.name), opts=child)
        # -- argocd
        if args.argocd is not None:
            # no AWS role (it needs no AWS access); its AppProjects and ApplicationSet wait only
            # for its own release (their CRDs)
            self.argocd = ArgoCd(f"{name}-argocd", replace(args.argocd, exposure=self.exposure),
                                 opts=child)
        # --- store operators (issue 6) ---
        # kind -> what that kind's in-cluster store objects wait for (the operator, its CRDs)
        self.store_operators: dict[str, list[pulumi.Resource]] = {}
        self.cloudnative_pg = None
        if args.cloudnative_pg is not None:
            # PostgreSQL in the cluster: CloudNativePG (its CRDs and webhooks) once for all
            # tenants; MySQL in the cluster needs no operator
            self.cloudnative_pg = CloudNativePg(f"{name}-cloudnative-pg", args.cloudnative_pg,
                                                opts=child)
            self.store_operators["postgresql"] = list(self.cloudnative_pg.ready)
        self.mongodb_operator = self.rabbitmq_operator = None
        if args.mongodb_operator is not None:
            # MongoDB in the cluster: MongoDB Controllers for Kubernetes, MongoDBCommunity only
            self.mongodb_operator = MongoDbOperator(
                f"{name}-mongodb-operator", args.mongodb_operator, opts=child)
            self.store_operators["mongodb"] = list(self.mongodb_operator.ready)
        if args.rabbitmq_operator is not None:
            # RabbitMQ in the cluster: the Cluster Operator's release manifest, after
            # cert-manager (its webhooks' certificate); Valkey needs no operator
            self.rabbitmq_operator = RabbitMqOperator(
                f"{name}-rabbitmq-operator", replace(
                    args.rabbitmq_operator,
                    after=tuple(self.cert_manager.ready if self.cert_manager else [])),
                opts=child)
            self.store_operators["rabbitmq"] = list(self.rabbitmq_operator.ready)
        # --- end store operators ---
        # --- backups (issue 6) ---
        self.backups = None
        if args.backups is not None:
            # Velero waits for its role's grants only; its ServiceMonitor and alerts wait for
            # the monitoring CRDs
            self.backups = Velero(f"{name}-velero", replace(
                args.backups, monitoring=tuple(self.monitoring.crds)
                if self.monitoring is not None else None), opts=child)
        # --- end backups ---
        self.register_outputs({})
