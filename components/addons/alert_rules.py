"""The seeds' alerts and SLOs as Prometheus rules (the monitoring add-on's PrometheusRule).

Seed 001's alerts (restarts, error rate, CPU and memory near their limits, certificates about to
expire) and seed 002's SLOs (availability 99.9 % as multi-window burn rates of its error budget,
average latency under 100 ms), scoped to the tenants' namespaces. Metric names are the
OpenTelemetry semantic conventions for HTTP servers (``components/addons/monitoring.py`` says
what the alerts expect from applications). Every alert links to its runbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Every alert links to its runbook: docs/runbooks.md's heading "Runbook: <AlertName>" (GitHub's
# anchor #runbook-<alertname>), under addons.monitoring.runbookBaseUrl.
RUNBOOK_BASE = "docs/runbooks.md"

# Seed 001's alerts and seed 002's SLOs.
RESTARTS_MAX, RESTARTS_WINDOW = 3, "5m"
ERROR_RATE_MAX, ERROR_RATE_FOR = 0.05, "2m"
CPU_MAX, CPU_FOR = 0.8, "5m"
MEMORY_MAX, MEMORY_FOR = 0.9, "5m"
CERT_MIN_DAYS = 7
AVAILABILITY_SLO = 0.999                   # error budget 0.1 %
LATENCY_SLO_SECONDS = 0.1                  # average latency under 100 ms
# (burn rate, long window, short window, for, severity): the SRE workbook's multi-window,
# multi-burn-rate alerts — 14.4x spends 2 % of a 30-day budget in an hour, 6x 5 % in 6 hours.
BURN_RATES = ((14.4, "1h", "5m", "2m", "critical"), (6.0, "6h", "30m", "15m", "warning"))
HTTP_DURATION = "http_server_request_duration_seconds"
STATUS_LABEL = "http_response_status_code"


def tenant_selector(namespaces: Sequence[str]) -> str:
    """The PromQL label matcher scoping an alert to the tenants' namespaces."""
    if not namespaces:
        return 'namespace=~"^$"'       # no tenant: matches nothing
    return f'namespace=~"{"|".join(sorted(namespaces))}"'


def runbook_url(alert: str) -> str:
    return f"{RUNBOOK_BASE}#runbook-{alert.lower()}"


def _alert(name: str, expr: str, *, severity: str, summary: str, description: str,
           for_: str | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": name, "expr": expr}
    if for_:
        rule["for"] = for_
    rule["labels"] = {"severity": severity}
    rule["annotations"] = {"summary": summary, "description": description,
                           "runbook_url": runbook_url(name)}
    return rule


def _error_ratio(ns: str, window: str) -> str:
    total = f'{HTTP_DURATION}_count{{{ns}}}'
    errors = f'{HTTP_DURATION}_count{{{ns},{STATUS_LABEL}=~"5.."}}'
    return (f"sum by (namespace, job) (rate({errors}[{window}]))\n"
            f"  /\nsum by (namespace, job) (rate({total}[{window}]))")


def _average_latency(ns: str, window: str) -> str:
    return (f"sum by (namespace, job) (rate({HTTP_DURATION}_sum{{{ns}}}[{window}]))\n"
            f"  /\nsum by (namespace, job) (rate({HTTP_DURATION}_count{{{ns}}}[{window}]))")


def seed_alert_rules(namespaces: Sequence[str]) -> list[dict[str, Any]]:
    """Seed 001's alerts, scoped to the tenants' namespaces (the certificate one to every
    namespace: the Gateway's certificates live in ``gateway``)."""
    ns = tenant_selector(namespaces)
    per_container = "sum by (namespace, pod, container)"
    return [
        _alert("PodRestartingOften",
               f"increase(kube_pod_container_status_restarts_total{{{ns}}}"
               f"[{RESTARTS_WINDOW}]) > {RESTARTS_MAX}",
               severity="warning",
               summary="Container {{ $labels.namespace }}/{{ $labels.pod }} "
                       "({{ $labels.container }}) restarts often",
               description=f"It restarted more than {RESTARTS_MAX} times in the last "
                           f"{RESTARTS_WINDOW} ({{{{ $value | humanize }}}})."),
        _alert("HighErrorRate", f"(\n{_error_ratio(ns, '5m')}\n) > {ERROR_RATE_MAX}",
               for_=ERROR_RATE_FOR, severity="critical",
               summary="{{ $labels.namespace }}/{{ $labels.job }} answers with errors",
               description=f"More than {ERROR_RATE_MAX:.0%} of its requests failed (5xx) for "
                           f"{ERROR_RATE_FOR}: {{{{ $value | humanizePercentage }}}}."),
        _alert("HighCpuUsage",
               f"(\n{per_container} (rate(container_cpu_usage_seconds_total"
               f'{{{ns},container!=""}}[5m]))\n  /\n{per_container} '
               f'(kube_pod_container_resource_limits{{{ns},resource="cpu"}})\n) > {CPU_MAX}',
               for_=CPU_FOR, severity="warning",
               summary="{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) "
                       "is near its CPU limit",
               description=f"CPU above {CPU_MAX:.0%} of its limit for {CPU_FOR}: "
                           "{{ $value | humanizePercentage }} (throttling follows)."),
        _alert("HighMemoryUsage",
               f"(\n{per_container} (container_memory_working_set_bytes"
               f'{{{ns},container!=""}})\n  /\n{per_container} '
               f'(kube_pod_container_resource_limits{{{ns},resource="memory"}})\n) '
               f"> {MEMORY_MAX}",
               for_=MEMORY_FOR, severity="warning",
               summary="{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) "
                       "is near its memory limit",
               description=f"Memory above {MEMORY_MAX:.0%} of its limit for {MEMORY_FOR}: "
                           "{{ $value | humanizePercentage }} (an OOM kill follows)."),
        _alert("CertificateExpiringSoon",
               "certmanager_certificate_expiration_timestamp_seconds - time() "
               f"< {CERT_MIN_DAYS * 86400}",
               for_="10m", severity="warning",
               summary="Certificate {{ $labels.namespace }}/{{ $labels.name }} expires soon",
               description=f"It expires in less than {CERT_MIN_DAYS} days "
                           "({{ $value | humanizeDuration }}) and cert-manager has not renewed "
                           "it."),
    ]


def slo_rules(namespaces: Sequence[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Seed 002's SLOs: (recording rules, alerts). Availability 99.9 % as multi-window burn
    rates of its 0.1 % error budget; average latency under 100 ms over the same windows (fast:
    an hour and five minutes above it pages; slow: six hours and thirty minutes warns)."""
    ns = tenant_selector(namespaces)
    budget = round(1 - AVAILABILITY_SLO, 6)
    windows = sorted({w for _, long, short, _, _ in BURN_RATES for w in (long, short)},
                     key=_seconds)
    records = []
    for window in windows:
        records.append({"record": f"slo:http_error_ratio:rate{window}",
                        "expr": _error_ratio(ns, window)})
        records.append({"record": f"slo:http_latency_average_seconds:rate{window}",
                        "expr": _average_latency(ns, window)})
    alerts = []
    for rate, long, short, for_, severity in BURN_RATES:
        threshold = round(rate * budget, 6)
        speed = "fast" if severity == "critical" else "slow"
        alerts.append(_alert(
            f"AvailabilitySLOBurn{speed.capitalize()}",
            f"slo:http_error_ratio:rate{long} > {threshold}\n"
            f"and\nslo:http_error_ratio:rate{short} > {threshold}",
            for_=for_, severity=severity,
            summary="{{ $labels.namespace }}/{{ $labels.job }} burns its error budget "
                    f"{rate:g}x too fast",
            description=f"The {AVAILABILITY_SLO:.1%} availability SLO allows {budget:.1%} "
                        f"errors; the last {long} and {short} ran above {rate:g}x that "
                        f"({threshold:.2%})."))
        alerts.append(_alert(
            f"LatencySLO{speed.capitalize()}",
            f"slo:http_latency_average_seconds:rate{long} > {LATENCY_SLO_SECONDS}\n"
            f"and\nslo:http_latency_average_seconds:rate{short} > {LATENCY_SLO_SECONDS}",
            for_=for_, severity=severity,
            summary="{{ $labels.namespace }}/{{ $labels.job }} is slower than its SLO",
            description=f"Average latency above {LATENCY_SLO_SECONDS * 1000:.0f} ms over the "
                        f"last {long} and {short}: {{{{ $value | humanizeDuration }}}}."))
    return records, alerts


def _seconds(duration: str) -> int:
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[duration[-1]]
    return int(duration[:-1]) * unit


def prometheus_rule_spec(namespaces: Sequence[str],
                         runbook_base: str | None = None) -> dict[str, Any]:
    """The PrometheusRule spec: seed alerts, SLO recording rules and SLO alerts, each alert
    linking its runbook under ``runbook_base``."""
    records, slo_alerts = slo_rules(namespaces)
    groups = [
        {"name": "shipyard.seed-alerts", "rules": seed_alert_rules(namespaces)},
        {"name": "shipyard.slo-records", "interval": "30s", "rules": records},
        {"name": "shipyard.slo-alerts", "rules": slo_alerts},
    ]
    for group in groups:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["annotations"]["runbook_url"] = \
                    f"{runbook_base or RUNBOOK_BASE}#runbook-{rule['alert'].lower()}"
    return {"groups": groups}
