"""Where the observability and GitOps add-ons live: namespaces, Services and in-cluster URLs.

One place, because they find each other by these names (Grafana's data sources, Kiali's
Prometheus and tracing, the applications' OTLP endpoint, the network policies); each add-on's
chart values make its Services carry exactly these names (``fullnameOverride``).
"""

from __future__ import annotations

CLUSTER_DOMAIN = "svc.cluster.local"

MONITORING_NAMESPACE = "monitoring"          # kube-prometheus-stack, Grafana
NODE_EXPORTER_NAMESPACE = "node-exporter"    # host network and paths: a privileged namespace
MONITORING_RELEASE = "monitoring"
PROMETHEUS_SERVICE, PROMETHEUS_PORT = "monitoring-prometheus", 9090
ALERTMANAGER_SERVICE, ALERTMANAGER_PORT = "monitoring-alertmanager", 9093
GRAFANA_SERVICE, GRAFANA_PORT = "monitoring-grafana", 80

LOGGING_NAMESPACE = "logging"                # Loki, Grafana Alloy
LOKI_SERVICE, LOKI_PORT = "loki", 3100

TRACING_NAMESPACE = "observability"          # OpenTelemetry Collector, Tempo
COLLECTOR_SERVICE = "opentelemetry-collector"
OTLP_GRPC_PORT, OTLP_HTTP_PORT = 4317, 4318
TEMPO_SERVICE, TEMPO_QUERY_PORT = "tempo", 3200

KIALI_NAMESPACE, KIALI_SERVICE, KIALI_PORT = "istio-system", "kiali", 20001
ARGOCD_NAMESPACE, ARGOCD_SERVICE, ARGOCD_PORT = "argocd", "argocd-server", 80


def url(service: str, namespace: str, port: int, scheme: str = "http") -> str:
    return f"{scheme}://{service}.{namespace}.{CLUSTER_DOMAIN}:{port}"


PROMETHEUS_URL = url(PROMETHEUS_SERVICE, MONITORING_NAMESPACE, PROMETHEUS_PORT)
ALERTMANAGER_URL = url(ALERTMANAGER_SERVICE, MONITORING_NAMESPACE, ALERTMANAGER_PORT)
GRAFANA_URL = url(GRAFANA_SERVICE, MONITORING_NAMESPACE, GRAFANA_PORT)
LOKI_URL = url(LOKI_SERVICE, LOGGING_NAMESPACE, LOKI_PORT)
TEMPO_URL = url(TEMPO_SERVICE, TRACING_NAMESPACE, TEMPO_QUERY_PORT)
OTLP_GRPC_URL = url(COLLECTOR_SERVICE, TRACING_NAMESPACE, OTLP_GRPC_PORT)
