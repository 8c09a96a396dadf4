"""Monitoring: kube-prometheus-stack (Prometheus, Alertmanager, Grafana, node-exporter,
kube-state-metrics, the Prometheus Operator and its CRDs), the seeds' alerts and SLOs as
PrometheusRules (``components/addons/alert_rules.py``), and the dashboards in ``dashboards/`` provisioned into Grafana.

Where things are: the release ``monitoring`` in namespace ``monitoring`` (Pod Security
``restricted``), its Services named as ``components/addons/endpoints.py`` says; node-exporter
alone in the privileged namespace ``node-exporter`` (host network, PID and paths).

Prometheus selects every ServiceMonitor, PodMonitor and PrometheusRule of every namespace (no
``release`` label needed): tenants' monitors come from components/workload.py.

CRDs: the chart's ``crds`` subchart installs the monitoring.coreos.com CRDs on first install,
and ``crds.upgradeJob`` (a pre-upgrade hook applying them server-side) keeps them in step with
the chart pin on every upgrade — Helm itself never upgrades a chart's ``crds/``. ``crds`` (the
release) is what custom resources wait for.

What the alerts expect from applications (the seeds' services; metric names are the
OpenTelemetry semantic conventions for HTTP servers, as the OpenTelemetry Prometheus exporter
and .NET 8+/ASP.NET Core, Java, Go and Node instrumentations emit them):

- ``http_server_request_duration_seconds_bucket|_sum|_count`` (histogram, seconds) with the
  label ``http_response_status_code``, scraped from the service's metrics port (ServiceMonitor)
  or, in the mesh, from the sidecar's merged endpoint (PodMonitor), so ``namespace`` and ``job``
  identify the tenant and service. Error rate, availability SLO, latency SLO and the request
  dashboards read these; a service that exposes none has no request alerts (``absent`` is not
  alerted: some seed services are workers).
- Resource alerts need nothing from applications: cAdvisor's ``container_cpu_usage_seconds_total``
  / ``container_memory_working_set_bytes`` (kubelet) against kube-state-metrics'
  ``kube_pod_container_resource_limits``; restarts from
  ``kube_pod_container_status_restarts_total``; HPA panels from
  ``kube_horizontalpodautoscaler_status_{current,desired}_replicas`` / ``_spec_max_replicas``.
- Certificates: cert-manager's ``certmanager_certificate_expiration_timestamp_seconds``, scraped
  by a ServiceMonitor this component adds when cert-manager is on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.addons import endpoints
from components.addons.alert_rules import prometheus_rule_spec
from components.addons.base import ClusterContext, helm_release, merged_values, namespace
from components.addons.ingress import ACCESS_LABEL, Exposure, expose_ui
from shipyard.config.addons import AlertReceiver

TYPE = "shipyard:addons:Monitoring"
NAMESPACE = endpoints.MONITORING_NAMESPACE
NODE_EXPORTER_NAMESPACE = endpoints.NODE_EXPORTER_NAMESPACE
RELEASE = endpoints.MONITORING_RELEASE
API_VERSION = "monitoring.coreos.com/v1"
MANAGED = {"app.kubernetes.io/managed-by": "shipyard"}

STORAGE_CLASS = "gp3"                      # components/cluster.py creates it on EKS
HA_REPLICAS = 2
ALERTMANAGER_SECRET = "alertmanager-config"
ALERTMANAGER_KEY = "alertmanager.yaml"
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_USER = "admin"
DASHBOARD_LABEL = "grafana_dashboard"
FOLDER_ANNOTATION = "grafana_folder"
DASHBOARD_FOLDER = "Shipyard"
DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "dashboards"
# Grafana data source uids the dashboards and the trace/log links name.
PROMETHEUS_UID, LOKI_UID, TEMPO_UID = "prometheus", "loki", "tempo"



# -- pure functions: values ---------------------------------------------------------------


def _volume(size_gi: int, storage_class: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": f"{size_gi}Gi"}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"volumeClaimTemplate": {"spec": spec}}


def datasources(*, loki: bool, tempo: bool) -> list[dict[str, Any]]:
    """Grafana's data sources beside the chart's own Prometheus (uid ``prometheus``, default)
    and Alertmanager: Loki and Tempo when those add-ons are on, linked to each other."""
    out: list[dict[str, Any]] = []
    if loki:
        loki_ds: dict[str, Any] = {"name": "Loki", "type": "loki", "uid": LOKI_UID,
                                   "access": "proxy", "url": endpoints.LOKI_URL,
                                   "isDefault": False}
        if tempo:
            # a trace id in a log line opens the trace
            loki_ds["jsonData"] = {"derivedFields": [{
                "name": "TraceID", "datasourceUid": TEMPO_UID,
                "matcherRegex": r"(?:trace_?id|traceID)[\"=:\s]+(\w+)", "url": "$${__value.raw}"}]}
        out.append(loki_ds)
    if tempo:
        json_data: dict[str, Any] = {
            "serviceMap": {"datasourceUid": PROMETHEUS_UID},
            "nodeGraph": {"enabled": True},
        }
        if loki:
            # a span opens its service's logs around it
            json_data["tracesToLogsV2"] = {
                "datasourceUid": LOKI_UID, "spanStartTimeShift": "-5m",
                "spanEndTimeShift": "5m", "filterByTraceID": True,
                # the workloads set service.namespace (OTEL_RESOURCE_ATTRIBUTES)
                "tags": [{"key": "service.namespace", "value": "namespace"}]}
        out.append({"name": "Tempo", "type": "tempo", "uid": TEMPO_UID, "access": "proxy",
                    "url": endpoints.TEMPO_URL, "isDefault": False, "jsonData": json_data})
    return out


def monitoring_values(*, retention_days: int, storage_gi: int, replicas: int,
                      storage_class: str | None, grafana_persistence: bool,
                      loki: bool, tempo: bool, grafana_url: str | None = None,
                      alertmanager_url: str | None = None,
                      prometheus_url: str | None = None,
                      grafana_admin_secret: pulumi.Input[str] = GRAFANA_ADMIN_SECRET,
                      alertmanager_secret: pulumi.Input[str] = ALERTMANAGER_SECRET,
                      node_exporter_namespace: pulumi.Input[str] = NODE_EXPORTER_NAMESPACE,
                      ) -> dict[str, Any]:
    """The kube-prometheus-stack chart's values (keys as in its values.yaml, 88.x). The
    Secrets' and the node-exporter namespace's names may be Outputs: the release then waits
    for them through its values."""
    restricted_pod = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    prometheus_spec: dict[str, Any] = {
        "replicas": replicas,
        "retention": f"{retention_days}d",
        # stop before the volume fills: Prometheus drops the oldest blocks first
        "retentionSize": f"{int(storage_gi * 0.85)}GB",
        "storageSpec": _volume(storage_gi, storage_class),
        # every namespace's monitors and rules, whatever their labels
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "ruleSelectorNilUsesHelmValues": False,
        "probeSelectorNilUsesHelmValues": False,
        "scrapeConfigSelectorNilUsesHelmValues": False,
        "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}},
    }
    alertmanager_spec: dict[str, Any] = {
        "replicas": replicas,
        # the config (receivers' secret URLs) lives in a Secret shipyard writes
        "useExistingSecret": True,
        "configSecret": alertmanager_secret,
        "storage": _volume(5, storage_class),
        "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}},
    }
    if prometheus_url:
        prometheus_spec["externalUrl"] = prometheus_url
    if alertmanager_url:
        alertmanager_spec["externalUrl"] = alertmanager_url
    if replicas > 1:
        prometheus_spec["podAntiAffinity"] = "soft"
        alertmanager_spec["podAntiAffinity"] = "soft"
    grafana_ini: dict[str, Any] = {"analytics": {"reporting_enabled": False,
                                                 "check_for_updates": False},
                                   "users": {"allow_sign_up": False}}
    if grafana_url:
        grafana_ini["server"] = {"root_url": grafana_url}
    persistence: dict[str, Any] = {"enabled": grafana_persistence}
    if grafana_persistence:
        persistence.update({"type": "pvc", "size": "10Gi", "accessModes": ["ReadWriteOnce"]})
        if storage_class:
            persistence["storageClassName"] = storage_class
    return {
        # Service names: <fullname>-prometheus, <fullname>-alertmanager (endpoints.py)
        "fullnameOverride": RELEASE,
        # the hook's busybox is pinned (the chart's default tag is latest)
        "crds": {"enabled": True, "upgradeJob": {"enabled": True, "image": {
            "busybox": {"registry": "docker.io", "repository": "busybox", "tag": "1.37.0"}}}},
        "prometheus": {"prometheusSpec": prometheus_spec},
        "alertmanager": {"alertmanagerSpec": alertmanager_spec},
        # EKS runs the control plane: nothing to scrape there (the API server is scraped)
        "kubeEtcd": {"enabled": False},
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeProxy": {"enabled": False},
        "kubeStateMetrics": {"enabled": True},
        "kube-state-metrics": {"fullnameOverride": f"{RELEASE}-kube-state-metrics"},
        "nodeExporter": {"enabled": True},
        # host network, PID and paths: its own privileged namespace
        "prometheus-node-exporter": {"namespaceOverride": node_exporter_namespace,
                                     "fullnameOverride": f"{RELEASE}-node-exporter"},
        "grafana": {
            "enabled": True,
            "fullnameOverride": endpoints.GRAFANA_SERVICE,
            "adminUser": GRAFANA_ADMIN_USER,
            # keys admin-user / admin-password (the chart's defaults)
            "admin": {"existingSecret": grafana_admin_secret},
            "persistence": persistence,
            # a ReadWriteOnce volume cannot attach to the next pod while the old one runs
            **({"deploymentStrategy": {"type": "Recreate"}} if grafana_persistence else {}),
            # runs as root with CHOWN: Pod Security "restricted" refuses it (fsGroup suffices)
            "initChownData": {"enabled": False},
            "securityContext": {"runAsUser": 472, "runAsGroup": 472, "fsGroup": 472,
                                **restricted_pod},
            "grafana.ini": grafana_ini,
            "sidecar": {
                "dashboards": {
                    "enabled": True, "label": DASHBOARD_LABEL, "labelValue": "1",
                    "searchNamespace": "ALL", "folderAnnotation": FOLDER_ANNOTATION,
                    "provider": {"foldersFromFilesStructure": True},
                },
                "datasources": {"enabled": True, "defaultDatasourceEnabled": True,
                                "isDefaultDatasource": True, "uid": PROMETHEUS_UID},
            },
            "additionalDataSources": datasources(loki=loki, tempo=tempo),
            "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}},
        },
    }


# -- pure functions: Alertmanager ---------------------------------------------------------


def receiver_config(receiver: AlertReceiver, url: str) -> dict[str, Any]:
    """One Alertmanager receiver: its URL (a secret) where its type takes it."""
    if receiver.type == "slack":
        configs: dict[str, Any] = {"slack_configs": [{
            "api_url": url, "send_resolved": True,
            "title": '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}',
            "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n"
                    "{{ .Annotations.description }}\n{{ .Annotations.runbook_url }}\n"
                    "{{ end }}"}]}
    elif receiver.type == "webhook":
        configs = {"webhook_configs": [{"url": url, "send_resolved": True}]}
    elif receiver.type == "pagerduty":
        configs = {"pagerduty_configs": [{"routing_key": url, "send_resolved": True}]}
    else:
        raise ValueError(f"unknown receiver type {receiver.type!r}")
    return {"name": receiver.name, **configs}


def alertmanager_config(receivers: Sequence[AlertReceiver],
                        urls: Mapping[str, str]) -> dict[str, Any]:
    """Alertmanager's configuration: each receiver gets the alerts of its severities (an alert
    may reach several), everything else goes to the ``null`` receiver (kept in the UI)."""
    routes: list[dict[str, Any]] = [
        # kube-prometheus-stack's always-firing heartbeat
        {"receiver": "null", "matchers": ['alertname = "Watchdog"']}]
    for receiver in receivers:
        if receiver.name not in urls:
            raise ValueError(f"no URL for alert receiver {receiver.name!r} (alertUrls)")
        routes.append({"receiver": receiver.name,
                       "matchers": [f'severity =~ "{"|".join(receiver.severities)}"'],
                       "continue": True})
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {"receiver": "null", "group_by": ["namespace", "alertname"],
                  "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h",
                  "routes": routes},
        # a critical alert silences the warning of the same problem
        "inhibit_rules": [{"source_matchers": ['severity = "critical"'],
                           "target_matchers": ['severity =~ "warning|info"'],
                           "equal": ["namespace", "alertname"]}],
        "receivers": [{"name": "null"},
                      *(receiver_config(r, urls[r.name]) for r in receivers)],
    }


def alertmanager_yaml(receivers: Sequence[AlertReceiver], urls: Mapping[str, str]) -> str:
    # JSON is YAML: no serializer quirks around the templates' braces
    return json.dumps(alertmanager_config(receivers, urls), indent=2, sort_keys=True)


# -- pure functions: the rules' manifest, cert-manager's monitor ------------------------------


def prometheus_rule(namespaces: Sequence[str],
                    runbook_base: str | None = None) -> dict[str, Any]:
    """The whole manifest of the seeds' alerts and SLOs (``alert_rules``), what
    crd_schemas.validate checks."""
    return {"apiVersion": API_VERSION, "kind": "PrometheusRule",
            "metadata": {"name": "shipyard-alerts", "namespace": NAMESPACE,
                         "labels": {**MANAGED, "app.kubernetes.io/part-of": "shipyard",
                                    "release": RELEASE}},
            "spec": prometheus_rule_spec(namespaces, runbook_base)}


def cert_manager_monitor_spec(cert_manager_namespace: str = "cert-manager") -> dict[str, Any]:
    """cert-manager's controller metrics (certificate expiry among them): the chart's
    controller Service, port ``http-metrics`` (9402; ``tcp-prometheus-servicemonitor`` before
    cert-manager 1.21)."""
    return {"selector": {"matchLabels": {"app.kubernetes.io/name": "cert-manager",
                                         "app.kubernetes.io/component": "controller"}},
            "namespaceSelector": {"matchNames": [cert_manager_namespace]},
            "endpoints": [{"port": "http-metrics", "path": "/metrics",
                           "interval": "60s", "scheme": "http"}]}


# -- pure functions: dashboards ---------------------------------------------------------------


def dashboard_files(directory: Path = DASHBOARD_DIR) -> dict[str, str]:
    """``dashboards/*.json`` by file name."""
    return {p.name: p.read_text() for p in sorted(directory.glob("*.json"))}


def for_tenants(dashboard: Mapping[str, Any], namespaces: Sequence[str]) -> dict[str, Any]:
    """The dashboard with its ``namespace`` variable (labelled Tenant) offering the stack's
    tenants only, the first selected: one dashboard serves every tenant, and the files stay
    free of any stack's tenant list."""
    out = json.loads(json.dumps(dashboard))
    tenants = sorted(namespaces)
    for variable in out.get("templating", {}).get("list", []):
        if variable.get("name") == "namespace" and tenants:
            variable["regex"] = f"/^({'|'.join(tenants)})$/"
            variable["current"] = {"text": tenants[0], "value": tenants[0]}
    return out


def dashboard_config_map(file_name: str, text: str, namespaces: Sequence[str] = (),
                         folder: str = DASHBOARD_FOLDER) -> dict[str, Any]:
    """One dashboard as the ConfigMap Grafana's sidecar loads (label, folder annotation)."""
    dashboard = for_tenants(json.loads(text), namespaces)
    return {"metadata": {"name": f"dashboard-{Path(file_name).stem}", "namespace": NAMESPACE,
                         "labels": {**MANAGED, DASHBOARD_LABEL: "1"},
                         "annotations": {FOLDER_ANNOTATION: folder}},
            "data": {file_name: json.dumps(dashboard, indent=1, sort_keys=True)}}


# -- component --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitoringArgs:
    ctx: ClusterContext
    retention_days: int
    storage_gi: int
    replicas: int
    grafana_persistence: bool
    receivers: Sequence[AlertReceiver]
    alert_urls: pulumi.Input[Mapping[str, str]]
    tenant_namespaces: Sequence[str]
    loki: bool = False
    tempo: bool = False
    cert_manager: bool = False
    exposure: Exposure | None = None
    grafana_host: str | None = None
    alertmanager_host: str | None = None
    prometheus_host: str | None = None
    runbook_base: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()
    protect: bool = False           # its namespace holds Prometheus' and Grafana's volumes


class Monitoring(pulumi.ComponentResource):
    namespace_name: str
    crds: list[pulumi.Resource]
    ready: list[pulumi.Resource]
    grafana_url: str | None
    grafana_admin_password: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ctx = args.ctx
        provider = ctx.provider
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=provider)
        exposed = args.exposure is not None and any(
            (args.grafana_host, args.alertmanager_host, args.prometheus_host))
        self.namespace_name = NAMESPACE
        self.namespace = namespace(name, NAMESPACE, parent=self, provider=provider,
                                   labels={ACCESS_LABEL: "true"} if exposed else None,
                                   protect=args.protect)
        self.node_exporter_namespace = namespace(
            f"{name}-node-exporter", NODE_EXPORTER_NAMESPACE, parent=self, provider=provider,
            pod_security="privileged")
        # objects in the namespace wait for it through their metadata
        ns_name = self.namespace.metadata.name

        # Grafana's admin: a generated password, in a Secret the chart reads
        password = random.RandomPassword(f"{name}-grafana-admin", length=32, special=False,
                                         opts=pulumi.ResourceOptions(parent=self))
        self.grafana_admin_password = pulumi.Output.secret(password.result)
        grafana_secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata={"name": GRAFANA_ADMIN_SECRET, "namespace": ns_name, "labels": MANAGED},
            type="Opaque",
            string_data={"admin-user": GRAFANA_ADMIN_USER,
                         "admin-password": self.grafana_admin_password},
            opts=k8s_opts)

        # Alertmanager's configuration, receivers' URLs included: secret end to end
        receivers = tuple(args.receivers)
        config = pulumi.Output.secret(pulumi.Output.from_input(args.alert_urls).apply(
            lambda urls: alertmanager_yaml(receivers, urls or {})))
        alertmanager_secret = k8s.core.v1.Secret(
            f"{name}-alertmanager-config",
            metadata={"name": ALERTMANAGER_SECRET, "namespace": ns_name, "labels": MANAGED},
            type="Opaque", string_data={ALERTMANAGER_KEY: config}, opts=k8s_opts)

        def url(host: str | None) -> str | None:
            return f"https://{host}" if host else None

        self.grafana_url = url(args.grafana_host)
        storage_class = STORAGE_CLASS if ctx.eks else None   # else the cluster's default
        own = monitoring_values(
            retention_days=args.retention_days, storage_gi=args.storage_gi,
            replicas=args.replicas, storage_class=storage_class,
            grafana_persistence=args.grafana_persistence, loki=args.loki, tempo=args.tempo,
            grafana_url=self.grafana_url, alertmanager_url=url(args.alertmanager_host),
            prometheus_url=url(args.prometheus_host),
            grafana_admin_secret=grafana_secret.metadata.name,
            alertmanager_secret=alertmanager_secret.metadata.name,
            node_exporter_namespace=self.node_exporter_namespace.metadata.name)
        self.release = helm_release(
            name, "kube-prometheus-stack", release_name=RELEASE,
            namespace_name=ns_name,
            values=merged_values(own, args.values), parent=self, provider=provider,
            depends_on=args.after,
            timeout_seconds=900)
        self.crds: list[pulumi.Resource] = [self.release]
        cr_opts = pulumi.ResourceOptions.merge(
            k8s_opts, pulumi.ResourceOptions(depends_on=[self.release]))

        rule = prometheus_rule(args.tenant_namespaces, args.runbook_base)
        self.rules = k8s.apiextensions.CustomResource(
            f"{name}-rules", api_version=rule["apiVersion"], kind=rule["kind"],
            metadata=rule["metadata"], spec=rule["spec"], opts=cr_opts)
        if args.cert_manager:
            k8s.apiextensions.CustomResource(
                f"{name}-cert-manager-monitor", api_version=API_VERSION, kind="ServiceMonitor",
                metadata={"name": "cert-manager", "namespace": NAMESPACE, "labels": MANAGED},
                spec=cert_manager_monitor_spec(), opts=cr_opts)

        for file_name, text in dashboard_files().items():
            cm = dashboard_config_map(file_name, text, args.tenant_namespaces)
            k8s.core.v1.ConfigMap(f"{name}-dashboard-{Path(file_name).stem}",
                                  metadata={**cm["metadata"], "namespace": ns_name},
                                  data=cm["data"], opts=k8s_opts)

        if args.exposure is not None:
            for ui, host, service, port in (
                    ("grafana", args.grafana_host, endpoints.GRAFANA_SERVICE,
                     endpoints.GRAFANA_PORT),
                    ("alertmanager", args.alertmanager_host, endpoints.ALERTMANAGER_SERVICE,
                     endpoints.ALERTMANAGER_PORT),
                    ("prometheus", args.prometheus_host, endpoints.PROMETHEUS_SERVICE,
                     endpoints.PROMETHEUS_PORT)):
                if host:
                    expose_ui(f"{name}-{ui}", args.exposure, namespace_name=ns_name,
                              host=host, service=service, port=port, parent=self,
                              provider=provider)

        self.ready: list[pulumi.Resource] = [self.release]
        self.register_outputs({"grafanaUrl": self.grafana_url,
                               "grafanaAdminPassword": self.grafana_admin_password})
