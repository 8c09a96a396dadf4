"""Monitoring: kube-prometheus-stack sized per environment, Alertmanager's receivers from a
secret, Grafana with a generated admin password and the repository's dashboards, seed 001's
alerts and seed 002's SLOs as PrometheusRules that validate against the operator's CRD."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from components.addons import endpoints
from components.addons.alert_rules import (
    RUNBOOK_BASE,
    seed_alert_rules,
    slo_rules,
    tenant_selector,
)
from components.addons.monitoring import (
    ALERTMANAGER_KEY,
    ALERTMANAGER_SECRET,
    DASHBOARD_DIR,
    DASHBOARD_LABEL,
    FOLDER_ANNOTATION,
    GRAFANA_ADMIN_SECRET,
    alertmanager_config,
    dashboard_config_map,
    dashboard_files,
    datasources,
    for_tenants,
    monitoring_values,
    prometheus_rule,
)
from components.workload import pod_monitor_spec, service_monitor_spec
from offline import crd_schemas
from offline.harness import SECRET
from shipyard.config.addons import AlertReceiver
from shipyard.versions import CHARTS
from tests.support.plans import children_of, only, run_platform
from tests.support.settings import stack_settings

COMPONENT = "shipyard:addons:Monitoring"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET_TYPE = "kubernetes:core/v1:Secret"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
EMAIL = "ops@example.com"
TENANTS = ("mentorplatform", "learning-platform")


def children(plan, type_):
    return children_of(plan, COMPONENT, type_)


def values(plan):
    return only(children(plan, RELEASE)).inputs["values"]


def by_alert(rules):
    return {r["alert"]: r for r in rules if "alert" in r}


def comparison(expr: str) -> tuple[str, float]:
    """The expression's final comparison: ('>', 3.0) for '... > 3'."""
    match = re.search(r"([<>]=?)\s*([0-9.e+-]+)\s*$", expr)
    assert match, expr
    return match.group(1), float(match.group(2))


def ranges(expr: str) -> set[str]:
    return set(re.findall(r"\[(\d+[smhd])\]", expr))


def tenant_set(expr: str) -> set[str]:
    (names,) = set(re.findall(r'namespace=~"([^"]*)"', expr))
    return set(names.split("|"))


# -- seed 001's alerts ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def alerts():
    return by_alert(seed_alert_rules(TENANTS))


def test_pod_restarts_more_than_3_in_5_minutes(alerts):
    expr = alerts["PodRestartingOften"]["expr"]
    assert "increase(kube_pod_container_status_restarts_total" in expr
    assert comparison(expr) == (">", 3)
    assert ranges(expr) == {"5m"}


def test_error_rate_above_5_percent_for_2_minutes(alerts):
    rule = alerts["HighErrorRate"]
    assert comparison(rule["expr"]) == (">", 0.05)
    assert rule["for"] == "2m"
    assert 'http_response_status_code=~"5.."' in rule["expr"]
    assert "http_server_request_duration_seconds_count" in rule["expr"]


def test_cpu_above_80_percent_of_the_limit_for_5_minutes(alerts):
    rule = alerts["HighCpuUsage"]
    assert comparison(rule["expr"]) == (">", 0.8)
    assert rule["for"] == "5m"
    assert "container_cpu_usage_seconds_total" in rule["expr"]
    assert 'kube_pod_container_resource_limits{' in rule["expr"]
    assert 'resource="cpu"' in rule["expr"]


def test_memory_above_90_percent_of_the_limit(alerts):
    rule = alerts["HighMemoryUsage"]
    assert comparison(rule["expr"]) == (">", 0.9)
    assert "container_memory_working_set_bytes" in rule["expr"]
    assert 'resource="memory"' in rule["expr"]


def test_certificate_expiring_in_less_than_7_days(alerts):
    expr = alerts["CertificateExpiringSoon"]["expr"]
    assert "certmanager_certificate_expiration_timestamp_seconds - time()" in expr
    assert comparison(expr) == ("<", 7 * 86400)


def test_tenant_alerts_are_scoped_to_the_tenants_namespaces(alerts):
    for name, rule in alerts.items():
        if name == "CertificateExpiringSoon":
            # the Gateway's certificates live in the gateway namespace, not the tenants'
            assert "namespace=~" not in rule["expr"]
        else:
            assert tenant_set(rule["expr"]) == set(TENANTS), name


def test_no_tenant_matches_nothing_rather_than_everything():
    assert tenant_selector([]) == 'namespace=~"^$"'


# -- seed 002's SLOs --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slo():
    records, slo_alerts = slo_rules(TENANTS)
    return {r["record"]: r["expr"] for r in records}, by_alert(slo_alerts)


def _windows(expr: str) -> set[str]:
    return set(re.findall(r":rate(\d+[smh])\b", expr))


def test_availability_fast_burn_pages_at_14_4x_over_1h_and_5m(slo):
    records, alerts = slo
    rule = alerts["AvailabilitySLOBurnFast"]
    assert rule["labels"]["severity"] == "critical"
    assert _windows(rule["expr"]) == {"1h", "5m"}
    # 14.4 x the 0.1 % error budget, on both windows
    assert re.findall(r"> ([0-9.]+)", rule["expr"]) == ["0.0144", "0.0144"]
    assert " and" in rule["expr"] or "\nand\n" in rule["expr"]


def test_availability_slow_burn_warns_at_6x_over_6h_and_30m(slo):
    records, alerts = slo
    rule = alerts["AvailabilitySLOBurnSlow"]
    assert rule["labels"]["severity"] == "warning"
    assert _windows(rule["expr"]) == {"6h", "30m"}
    assert re.findall(r"> ([0-9.]+)", rule["expr"]) == ["0.006", "0.006"]


def test_average_latency_slo_is_100_ms(slo):
    records, alerts = slo
    for name in ("LatencySLOFast", "LatencySLOSlow"):
        assert re.findall(r"> ([0-9.]+)", alerts[name]["expr"]) == ["0.1", "0.1"]


def test_every_window_an_slo_alert_reads_is_recorded_over_that_window(slo):
    records, alerts = slo
    for rule in alerts.values():
        for record in re.findall(r"slo:[a-z_]+:rate\d+[smh]", rule["expr"]):
            assert record in records, record
            window = record.rsplit("rate", 1)[1]
            assert ranges(records[record]) == {window}
            assert tenant_set(records[record]) == set(TENANTS)
    assert "http_response_status_code" in records["slo:http_error_ratio:rate1h"]


def test_every_alert_has_severity_summary_description_and_runbook():
    rule = prometheus_rule(TENANTS)
    rules = [r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]
    assert len(rules) == 9
    for r in rules:
        assert r["labels"]["severity"] in ("critical", "warning", "info"), r["alert"]
        assert r["annotations"]["summary"] and r["annotations"]["description"]
        assert r["annotations"]["runbook_url"] == \
            f"{RUNBOOK_BASE}#runbook-{r['alert'].lower()}"


def test_the_prometheus_rule_validates_against_the_operator_crd():
    rule = prometheus_rule(TENANTS)
    assert rule["metadata"]["namespace"] == endpoints.MONITORING_NAMESPACE
    assert crd_schemas.validate(rule) == []
    # and the schema does bite: a duration Prometheus cannot parse is refused
    broken = json.loads(json.dumps(rule))
    broken["spec"]["groups"][0]["rules"][1]["for"] = "2 minutes"
    assert any("for" in e for e in crd_schemas.validate(broken))


def test_every_tenant_monitor_the_workloads_write_validates():
    checked = 0
    for app in stack_settings("dev").applications:
        for name, svc in app.services.items():
            for kind, spec in (("ServiceMonitor", service_monitor_spec(app, name, svc)),
                               ("PodMonitor", pod_monitor_spec(app, name, svc))):
                if spec is None:
                    continue
                obj = {"apiVersion": "monitoring.coreos.com/v1", "kind": kind,
                       "metadata": {"name": name, "namespace": app.name}, "spec": spec}
                assert crd_schemas.validate(obj) == [], (app.name, name, kind)
                checked += 1
    assert checked


# -- Alertmanager -----------------------------------------------------------------------------


RECEIVERS = (AlertReceiver(name="oncall", type="pagerduty", severities=["critical"]),
             AlertReceiver(name="team", type="slack", severities=["critical", "warning"]),
             AlertReceiver(name="audit", type="webhook", severities=["info"]))
URLS = {"oncall": "pd-routing-key", "team": "https://hooks.slack.com/services/T/B/X",
        "audit": "https://audit.example.com/alerts"}


def test_alerts_route_by_severity_to_each_receiver_and_default_to_null():
    config = alertmanager_config(RECEIVERS, URLS)
    route = config["route"]
    assert route["receiver"] == "null"
    by_receiver = {r["receiver"]: r for r in route["routes"] if r["receiver"] != "null"}
    assert by_receiver["oncall"]["matchers"] == ['severity =~ "critical"']
    assert by_receiver["team"]["matchers"] == ['severity =~ "critical|warning"']
    assert by_receiver["audit"]["matchers"] == ['severity =~ "info"']
    # a critical alert reaches both the pager and the team channel
    assert all(r["continue"] for r in by_receiver.values())
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["null"] == {"name": "null"}
    assert receivers["oncall"]["pagerduty_configs"][0]["routing_key"] == "pd-routing-key"
    assert receivers["team"]["slack_configs"][0]["api_url"] == URLS["team"]
    assert receivers["audit"]["webhook_configs"][0]["url"] == URLS["audit"]


def test_without_receivers_alerts_stay_in_alertmanager():
    config = alertmanager_config((), {})
    assert [r["name"] for r in config["receivers"]] == ["null"]
    assert {r["receiver"] for r in config["route"]["routes"]} == {"null"}


def test_a_receiver_without_its_url_is_refused():
    with pytest.raises(ValueError, match="oncall"):
        alertmanager_config(RECEIVERS[:1], {})


def test_alertmanager_reads_its_config_from_the_secret_shipyard_writes(stack_plan):
    spec = values(stack_plan)["alertmanager"]["alertmanagerSpec"]
    assert spec["useExistingSecret"] is True
    assert spec["configSecret"] == ALERTMANAGER_SECRET
    (secret,) = [s for s in children(stack_plan, SECRET_TYPE)
                 if s.inputs["metadata"]["name"] == ALERTMANAGER_SECRET]
    # the receivers' URLs never appear in the plan or the state in clear
    assert secret.inputs["stringData"] in (SECRET, {ALERTMANAGER_KEY: SECRET})
    assert secret.inputs["metadata"]["namespace"] == endpoints.MONITORING_NAMESPACE


# -- chart values -----------------------------------------------------------------------------


def _values(**kw):
    base = dict(retention_days=15, storage_gi=50, replicas=1, storage_class="gp3",
                grafana_persistence=True, loki=True, tempo=True)
    return monitoring_values(**{**base, **kw})


def test_services_carry_the_names_endpoints_promise():
    v = _values()
    assert f"{v['fullnameOverride']}-prometheus" == endpoints.PROMETHEUS_SERVICE
    assert f"{v['fullnameOverride']}-alertmanager" == endpoints.ALERTMANAGER_SERVICE
    assert v["grafana"]["fullnameOverride"] == endpoints.GRAFANA_SERVICE


def test_prometheus_picks_up_every_namespaces_monitors_and_rules():
    spec = _values()["prometheus"]["prometheusSpec"]
    for key in ("serviceMonitor", "podMonitor", "rule"):
        assert spec[f"{key}SelectorNilUsesHelmValues"] is False


def test_eks_control_plane_scrapers_are_off_node_exporter_apart():
    v = _values()
    for key in ("kubeEtcd", "kubeControllerManager", "kubeScheduler", "kubeProxy"):
        assert v[key] == {"enabled": False}
    assert v["kubeStateMetrics"]["enabled"] and v["nodeExporter"]["enabled"]
    assert v["prometheus-node-exporter"]["namespaceOverride"] == \
        endpoints.NODE_EXPORTER_NAMESPACE


def test_crds_installed_and_upgraded_with_the_chart():
    crds = _values()["crds"]
    assert crds["enabled"] is True and crds["upgradeJob"]["enabled"] is True
    # the hook's image is pinned: the chart defaults to busybox:latest
    assert crds["upgradeJob"]["image"]["busybox"]["tag"] not in ("", "latest")


def test_a_persistent_grafana_is_recreated_not_rolled():
    """Its ReadWriteOnce volume cannot attach to a second pod while the first runs."""
    assert _values(grafana_persistence=True)["grafana"]["deploymentStrategy"] == {
        "type": "Recreate"}
    assert "deploymentStrategy" not in _values(grafana_persistence=False)["grafana"]


def test_grafana_passes_restricted_pod_security_with_persistence():
    grafana = _values(grafana_persistence=True)["grafana"]
    assert grafana["initChownData"] == {"enabled": False}      # root + CHOWN otherwise
    assert grafana["securityContext"]["runAsNonRoot"] is True
    assert grafana["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert grafana["persistence"]["storageClassName"] == "gp3"
    assert _values(grafana_persistence=False)["grafana"]["persistence"] == {"enabled": False}


def test_grafana_dashboards_come_from_labelled_config_maps_of_every_namespace():
    sidecar = _values()["grafana"]["sidecar"]["dashboards"]
    assert (sidecar["label"], sidecar["labelValue"]) == (DASHBOARD_LABEL, "1")
    assert sidecar["searchNamespace"] == "ALL"
    assert sidecar["folderAnnotation"] == FOLDER_ANNOTATION


def test_on_an_existing_cluster_volumes_use_the_default_storage_class():
    v = _values(storage_class=None)
    claim = v["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert "storageClassName" not in claim


def test_loki_and_tempo_data_sources_follow_their_add_ons_and_link_each_other():
    assert datasources(loki=False, tempo=False) == []
    (loki,) = datasources(loki=True, tempo=False)
    assert (loki["type"], loki["url"]) == ("loki", endpoints.LOKI_URL)
    (tempo,) = datasources(loki=False, tempo=True)
    assert (tempo["type"], tempo["url"]) == ("tempo", endpoints.TEMPO_URL)
    assert "tracesToLogsV2" not in tempo["jsonData"]
    both = {d["type"]: d for d in datasources(loki=True, tempo=True)}
    assert both["tempo"]["jsonData"]["tracesToLogsV2"]["datasourceUid"] == both["loki"]["uid"]
    assert all(d["isDefault"] is False for d in both.values())   # Prometheus is the default


# -- the stacks -------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "retention", "size", "replicas", "persistence"), [
    ("dev", "3d", "10Gi", 1, False), ("prod", "30d", "100Gi", 2, True)])
def test_prometheus_sized_per_environment(plans, stack, retention, size, replicas,
                                          persistence):
    v = values(plans[stack])
    spec = v["prometheus"]["prometheusSpec"]
    assert spec["retention"] == retention
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == size
    assert claim["storageClassName"] == "gp3"
    assert spec["replicas"] == replicas
    assert v["alertmanager"]["alertmanagerSpec"]["replicas"] == replicas
    assert v["grafana"]["persistence"]["enabled"] is persistence


def test_release_is_the_pinned_chart_in_the_monitoring_namespace(stack_plan):
    release = only(children(stack_plan, RELEASE))
    chart = CHARTS["kube-prometheus-stack"]
    assert (release.inputs["chart"], release.inputs["version"]) == (chart.chart, chart.version)
    assert release.inputs["name"] == endpoints.MONITORING_RELEASE
    assert release.inputs["namespace"] == endpoints.MONITORING_NAMESPACE


def test_namespaces_restricted_node_exporter_privileged(stack_plan):
    levels = {n.inputs["metadata"]["name"]:
              n.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
              for n in children(stack_plan, NAMESPACE_TYPE)}
    assert levels == {endpoints.MONITORING_NAMESPACE: "restricted",
                      endpoints.NODE_EXPORTER_NAMESPACE: "privileged"}


def test_grafana_admin_password_is_generated_and_secret(stack_plan):
    grafana = values(stack_plan)["grafana"]
    assert grafana["admin"]["existingSecret"] == GRAFANA_ADMIN_SECRET
    assert "adminPassword" not in grafana
    (secret,) = [s for s in children(stack_plan, SECRET_TYPE)
                 if s.inputs["metadata"]["name"] == GRAFANA_ADMIN_SECRET]
    assert secret.inputs["stringData"] in (SECRET, {"admin-user": "admin",
                                                    "admin-password": SECRET})
    password = only(children(stack_plan, "random:index/randomPassword:RandomPassword"))
    assert secret.urn and password.urn in secret.dependencies


def test_uis_exposed_in_dev_and_staging_port_forward_only_in_prod(dev, staging, prod):
    """Grafana (it logs users in) is served in dev and staging; Prometheus and Alertmanager
    have no login, so nothing serves them publicly by default; prod serves nothing."""
    def hosts(plan):
        return {r.inputs["spec"]["rules"][0]["backendRefs"][0]["name"]:
                r.inputs["spec"]["hostnames"][0] for r in children(plan, ROUTE)}

    domain = stack_settings("dev").dns.domain
    assert hosts(dev) == {endpoints.GRAFANA_SERVICE: f"grafana.{domain}"}
    assert set(hosts(staging)) == {endpoints.GRAFANA_SERVICE}
    assert hosts(prod) == {}
    assert values(dev)["grafana"]["grafana.ini"]["server"]["root_url"] == \
        f"https://grafana.{domain}"
    assert "server" not in values(prod)["grafana"]["grafana.ini"]


def test_alert_rules_wait_for_the_crds_and_cover_the_stacks_tenants(stack_plan):
    rule = only(children(stack_plan, RULE))
    release = only(children(stack_plan, RELEASE))
    assert release.urn in rule.dependencies
    tenants = {a.name for a in stack_settings(stack_plan.stack).applications}
    error_rate = by_alert(rule.inputs["spec"]["groups"][0]["rules"])["HighErrorRate"]
    assert tenant_set(error_rate["expr"]) == tenants


def test_cert_manager_metrics_are_scraped_for_the_certificate_alert(prod):
    monitor = only(children(prod, SERVICE_MONITOR))
    assert monitor.inputs["spec"]["namespaceSelector"] == {"matchNames": ["cert-manager"]}
    # cert-manager 1.21 renamed the controller's metrics port
    assert CHARTS["cert-manager"].version.startswith("v1.21")
    assert monitor.inputs["spec"]["endpoints"][0]["port"] == "http-metrics"


# -- dashboards -------------------------------------------------------------------------------


def _dashboards():
    return {name: json.loads(text) for name, text in dashboard_files().items()}


def _targets(dashboard):
    return {p["title"]: [t["expr"] for t in p["targets"]] for p in dashboard["panels"]}


def _all_panels():
    return {title: exprs for d in _dashboards().values()
            for title, exprs in _targets(d).items()}


def test_every_dashboard_file_is_grafana_json_with_a_datasource_and_tenant_variable():
    files = sorted(Path(DASHBOARD_DIR).glob("*.json"))
    assert len(files) >= 2
    uids = set()
    for path in files:
        d = json.loads(path.read_text())
        assert 36 <= d["schemaVersion"] <= 41, path.name
        assert d["uid"] not in uids and len(d["uid"]) <= 40
        uids.add(d["uid"])
        variables = {v["name"]: v for v in d["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["namespace"]["type"] == "query"
        for panel in d["panels"]:
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}"
                assert 'namespace="$namespace"' in target["expr"], panel["title"]


def test_request_rate_latency_percentiles_and_error_rate_panels():
    panels = _all_panels()
    assert any("http_server_request_duration_seconds_count" in e for e in panels["Request rate"])
    quantiles = panels["Latency percentiles (p50 / p95 / p99)"]
    assert [re.search(r"histogram_quantile\((0\.\d+)", e).group(1) for e in quantiles] == \
        ["0.50", "0.95", "0.99"]
    assert all("http_server_request_duration_seconds_bucket" in e for e in quantiles)
    assert 'http_response_status_code=~"5.."' in panels["Error rate"][0]


def test_resource_usage_panels_set_usage_against_requests_and_limits():
    panels = _all_panels()
    cpu = " ".join(panels["CPU usage vs requests and limits"])
    memory = " ".join(panels["Memory usage vs requests and limits"])
    assert "container_cpu_usage_seconds_total" in cpu
    assert "container_memory_working_set_bytes" in memory
    for text, resource in ((cpu, "cpu"), (memory, "memory")):
        assert f'kube_pod_container_resource_requests{{namespace="$namespace", pod=~"$service.*", resource="{resource}"}}' in text  # noqa: E501
        assert "kube_pod_container_resource_limits" in text


def test_hpa_scaling_panels():
    panels = _all_panels()
    replicas = " ".join(panels["HPA replicas: current, desired, max"])
    for metric in ("kube_horizontalpodautoscaler_status_current_replicas",
                   "kube_horizontalpodautoscaler_status_desired_replicas",
                   "kube_horizontalpodautoscaler_spec_max_replicas"):
        assert metric in replicas
    assert "changes(kube_horizontalpodautoscaler_status_desired_replicas" in \
        panels["HPA scaling events"][0]


def test_the_tenant_variable_offers_the_stacks_tenants_only():
    d = next(iter(_dashboards().values()))
    scoped = {v["name"]: v for v in for_tenants(d, ["b-app", "a-app"])["templating"]["list"]}
    assert scoped["namespace"]["regex"] == "/^(a-app|b-app)$/"
    assert scoped["namespace"]["current"]["value"] == "a-app"


def test_one_labelled_config_map_per_dashboard_file(stack_plan):
    maps = {c.inputs["metadata"]["name"]: c for c in children(stack_plan, CONFIG_MAP)}
    tenants = [a.name for a in stack_settings(stack_plan.stack).applications]
    for name, text in dashboard_files().items():
        expected = dashboard_config_map(name, text, tenants)
        found = maps[expected["metadata"]["name"]]
        assert found.inputs["metadata"]["namespace"] == endpoints.MONITORING_NAMESPACE
        assert found.inputs["metadata"]["labels"][DASHBOARD_LABEL] == "1"
        assert found.inputs["metadata"]["annotations"][FOLDER_ANNOTATION]
        assert json.loads(found.inputs["data"][name]) == json.loads(expected["data"][name])
    assert len(maps) == len(dashboard_files())


# -- switches ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quiet():
    """staging without logs or traces."""
    return run_platform("staging", overrides={
        "shipyard:addons": {"certManager": {"acmeEmail": EMAIL},
                            "logging": {"enabled": False}, "tracing": {"enabled": False}}})


def test_without_logs_and_traces_grafana_has_only_prometheus(quiet):
    assert values(quiet)["grafana"]["additionalDataSources"] == []


def test_monitoring_off_means_no_release_and_no_monitors():
    plan = run_platform("dev", hosting=("mentorplatform",), overrides={"shipyard:addons": {
        "certManager": {"acmeEmail": EMAIL}, "monitoring": {"enabled": False},
        "kiali": {"enabled": False}}})
    assert plan.of_type(COMPONENT) == []
    assert plan.of_type(SERVICE_MONITOR) == [] and plan.of_type(POD_MONITOR) == []
    assert plan.of_type(RULE) == []



def test_every_alert_has_its_runbook_in_the_runbooks_page():
    runbooks = (Path(__file__).resolve().parent.parent / "docs" / "runbooks.md").read_text()
    headings = {line.removeprefix("### Runbook: ").strip().lower()
                for line in runbooks.splitlines() if line.startswith("### Runbook: ")}
    alerts = {r["alert"] for g in prometheus_rule(TENANTS)["spec"]["groups"]
              for r in g["rules"] if "alert" in r}
    assert len(alerts) == 9
    from components.addons.velero import alert_rules
    alerts |= {r["alert"] for r in alert_rules()}       # the backups' own alerts
    assert {a.lower() for a in alerts} == headings
    for group in prometheus_rule(TENANTS)["spec"]["groups"]:             # the default base
        for rule in group["rules"]:
            if "alert" in rule:
                assert rule["annotations"]["runbook_url"] == \
                    f"docs/runbooks.md#runbook-{rule['alert'].lower()}"
    for group in prometheus_rule(TENANTS, "https://example.com/runbooks.md")["spec"]["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                assert rule["annotations"]["runbook_url"] == \
                    f"https://example.com/runbooks.md#runbook-{rule['alert'].lower()}"
