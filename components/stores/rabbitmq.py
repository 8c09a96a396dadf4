"""An in-cluster RabbitMQ cluster (dev, existing-cluster mode): a ``RabbitmqCluster`` of the
RabbitMQ Cluster Operator (``components/addons/rabbitmq_operator.py``).

- ``stores.rabbitmq.instances`` nodes of RabbitMQ 4.2 (the minor Amazon MQ runs in staging and
  prod; Docker Hub's official image with the management plugin), quorum-ready; each node's
  volume on ``args.storage_class``; explicit resources (memory request = limit, as the
  operator asks: RabbitMQ sizes its memory watermark from the limit; an environment may ask
  less, as dev does: ``stores.memoryRequests``).
- Credentials: one user for the application's services, shared. The Cluster Operator creates
  exactly one user (its "default user", an administrator); per-service users need the
  Messaging Topology Operator, whose release manifest cannot be applied beside this one (both
  declare the ``rabbitmq-system`` Namespace). So ``secretBackend.externalSecret`` names a
  Secret shipyard writes, in the operator's format (``default_user.conf`` plus the binding
  keys), with a ``pulumi_random`` password: the password never enters the resource, the
  operator generates none, and every consuming service gets that user through its own
  connection Secret. Amazon MQ (staging, prod) has the same shape: one broker user.
- The StatefulSet override only labels the pods (store name, out of the mesh); the operator's
  pods already meet PSA ``restricted`` (non-root, RuntimeDefault seccomp, no privilege
  escalation, all capabilities dropped, read-only root) and spread over zones. With more than
  one node, a PodDisruptionBudget of one.
- Metrics: the ``rabbitmq_prometheus`` plugin the operator enables (port 15692) and a
  PodMonitor (a ServiceMonitor would scrape every node twice, through both Services), when
  monitoring is on.
- Plain AMQP on 5672, ``tls: false``: the operator's TLS needs a certificate Secret and every
  client configured with its CA, which the connection wiring does not carry; the
  NetworkPolicy admits only the consuming services. Amazon MQ speaks AMQPS (5671).
- Awaited until all its nodes are ready (``pulumi.com/waitFor``): the consuming services start
  after. ``protect`` on the resource: the operator owns the volume claims (controller
  references), so deleting the RabbitmqCluster deletes its data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.rabbitmq_operator import MANAGEMENT_PORT, OPERATOR_POD_LABELS
from components.addons.rabbitmq_operator import NAMESPACE as OPERATOR_NAMESPACE
from components.stores import in_cluster
from components.stores.base import (
    STORE_LABEL,
    Connection,
    Footprint,
    StoreArgs,
    StoreComponent,
    password,
    store_port,
)
from components.stores.in_cluster import Container
from components.workload import MANAGED
from shipyard.config.stores import StoreSettings
from shipyard.rules import stores as store_rules
from shipyard.rules.requests import AS_THEY_ARE, Sizing

TYPE = "shipyard:stores:RabbitMqCluster"
API_VERSION = "rabbitmq.com/v1beta1"
KIND = "RabbitmqCluster"
PORT = store_port("rabbitmq", "inCluster")
METRICS_PORT = 15692
# epmd, inter-node (clustering), and the CLI tools' distribution ports
PEER_PORTS: tuple[int | tuple[int, int], ...] = (4369, 25672, (35672, 35682))
# The operator's default is 7 days, for draining big queues; long enough for shipyard's sizes
# and short enough that a node drain is not held up for days.
TERMINATION_GRACE_SECONDS = 600
# Pulumi awaits the resource until every node is ready: the consuming services start after it
WAIT_READY = "condition=AllReplicasReady"

RABBITMQ = Container("rabbitmq", "250m", "1Gi", "1", "1Gi")
SETUP = Container("setup-container", "20m", "64Mi", "20m", "64Mi")   # the operator's, fixed


def footprint(kind_settings: StoreSettings, sizing: Sizing = AS_THEY_ARE) -> Footprint:
    # the setup container is the operator's, its size fixed: not ours to scale
    return in_cluster.footprint(kind_settings.instances, (RABBITMQ.sized(sizing),), (SETUP,))


def image(kind_settings: StoreSettings) -> str:
    return store_rules.in_cluster_image("rabbitmq", kind_settings.version)


def credentials_secret(store_name: str) -> str:
    return f"{store_name}-default-user"[:63].rstrip("-")


def default_user_conf(username: str, secret: pulumi.Input[str]) -> pulumi.Output[str]:
    """The operator's ``default_user.conf`` (a rabbitmq.conf fragment it mounts into
    ``conf.d``); a secret Output, as the password in it."""
    return pulumi.Output.concat("default_user = ", username, "\ndefault_pass = ", secret, "\n")


def cluster_spec(store_name: str, *, replicas: int, image_ref: str, storage_class: str,
                 storage_gi: int, secret_name: pulumi.Input[str],
                 sizing: Sizing = AS_THEY_ARE) -> dict[str, Any]:
    """The RabbitmqCluster spec. The credentials Secret is referenced by name only."""
    return {
        "replicas": replicas,
        "image": image_ref,
        "resources": RABBITMQ.sized(sizing).resources(),
        "persistence": {"storageClassName": storage_class, "storage": f"{storage_gi}Gi"},
        "secretBackend": {"externalSecret": {"name": secret_name}},
        "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
        "override": {"statefulSet": {"spec": {"template": {
            "metadata": {"labels": in_cluster.pod_labels(store_name)}}}}},
    }


def pod_monitor_spec(store_name: str) -> dict[str, Any]:
    return {"selector": {"matchLabels": {"app.kubernetes.io/name": store_name,
                                         "app.kubernetes.io/component": "rabbitmq"}},
            "podMetricsEndpoints": [{"port": "prometheus", "interval": "30s",
                                     "scheme": "http"}]}


def network_policy(store_name: str, consumers: Mapping[str, str | None], *,
                   monitoring_namespace: str | None) -> dict[str, Any]:
    """Consumers on AMQP; nodes to each other (epmd, clustering, CLI tools); the operator on
    the management API; Prometheus on the plugin's port; the Kubernetes API for peer discovery
    (the operator configures ``rabbit_peer_discovery_k8s`` and grants the pods its Role)."""
    return in_cluster.network_policy_spec(
        store_name, port=PORT, consumers=consumers, peer_ports=PEER_PORTS,
        operator=in_cluster.Operator(OPERATOR_NAMESPACE, OPERATOR_POD_LABELS,
                                     [MANAGEMENT_PORT]),
        monitoring_namespace=monitoring_namespace, metrics_port=METRICS_PORT, api_server=True)


class RabbitMqCluster(StoreComponent):
    cluster: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: StoreArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        store, ks, app = args.store_name, args.kind_settings, args.app
        image_ref = image(ks)                          # refuses a bad setting first
        if args.store.databases:
            raise ValueError(f"{app.name}: stores.{store}.databases {args.store.databases}: an "
                             f"in-cluster RabbitMQ has only the default virtual host '/'")
        ns = args.namespace
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        meta = {"namespace": ns, "labels": {"app.kubernetes.io/part-of": app.name,
                                            STORE_LABEL: store, **MANAGED}}
        host = pulumi.Output.concat(store, ".", ns, ".svc.cluster.local")
        username = app.name                            # the application's services' user

        secret_pw = password(f"{name}-password", parent=self)
        secret = k8s.core.v1.Secret(
            f"{name}-default-user", metadata={**meta, "name": credentials_secret(store)},
            type="Opaque",
            string_data={"default_user.conf": default_user_conf(username, secret_pw.result),
                         "username": username, "password": secret_pw.result,
                         "host": pulumi.Output.concat(store, ".", ns, ".svc"),
                         "port": str(PORT), "provider": "rabbitmq", "type": "rabbitmq"},
            opts=k8s_opts)

        self.cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster", api_version=API_VERSION, kind=KIND,
            metadata={**meta, "name": store, "annotations": {"pulumi.com/waitFor": WAIT_READY}},
            spec=cluster_spec(store, replicas=ks.instances, image_ref=image_ref,
                              storage_class=args.storage_class, storage_gi=ks.storage_gi,
                              secret_name=secret.metadata.name, sizing=args.stores.sizing),
            opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(
                protect=args.protect, depends_on=list(args.operator))))

        metrics = args.monitoring is not None
        if args.monitoring is not None:
            k8s.apiextensions.CustomResource(
                f"{name}-podmonitor", api_version="monitoring.coreos.com/v1", kind="PodMonitor",
                metadata={**meta, "name": store}, spec=pod_monitor_spec(store),
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(
                    depends_on=list(args.monitoring))))

        budget = in_cluster.disruption_budget_spec(store, ks.instances)
        if budget is not None:
            k8s.policy.v1.PodDisruptionBudget(f"{name}-pdb", metadata={**meta, "name": store},
                                              spec=budget, opts=k8s_opts)

        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol", metadata={**meta, "name": in_cluster.policy_name(store)},
            spec=network_policy(store, args.consumers,
                                monitoring_namespace=args.monitoring_namespace
                                if metrics else None),
            opts=k8s_opts)

        self.connections = {
            service: Connection(host=host, port=PORT, username=username,
                                password=secret_pw.result, database=None, tls=False,
                                ready=(self.cluster,))
            for service in args.consumers}
        self.register({"host": host, "port": PORT, "image": image_ref})
