"""The managed databases' exported logs: which logs each engine exports to CloudWatch Logs and
the log groups AWS writes them to, so that shipyard creates those groups first (encrypted, with
a retention) instead of leaving AWS to make them. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable

from shipyard.catalog.models import Application
from shipyard.config.stores import StoresSettings
from shipyard.rules.aws_names import store_identifier
from shipyard.rules.stores import shared_declared, shares

# The logs each managed database exports to CloudWatch Logs: PostgreSQL's log (statements per
# log_statement, those slower than log_min_duration_statement, errors) and upgrade log; MySQL's
# error and slow query logs; DocumentDB's audit and profiler logs.
LOG_EXPORTS = {"postgresql": ("postgresql", "upgrade"), "mysql": ("error", "slowquery"),
               "mongodb": ("audit", "profiler")}


def export_log_group(kind: str, identifier: str, log: str) -> str:
    """The log group AWS writes an export to (RDS User Guide, "Publishing database logs to
    Amazon CloudWatch Logs": /aws/rds/instance/ID/LOG; DocumentDB Developer Guide, "Auditing
    Amazon DocumentDB events" and "Profiling": /aws/docdb/CLUSTER/LOG)."""
    if kind == "mongodb":
        return f"/aws/docdb/{identifier}/{log}"
    return f"/aws/rds/instance/{identifier}/{log}"


def managed_databases(apps: Iterable[Application],
                      stores: StoresSettings) -> list[tuple[str, str | None, str]]:
    """(kind, owner, store name) of every managed database (RDS, DocumentDB) the applications'
    stores make: the stack's shared one of each engine a sharing application declares (owner
    None), and each application's own."""
    apps = list(apps)
    out: list[tuple[str, str | None, str]] = [
        (kind, None, kind) for kind in LOG_EXPORTS if shared_declared(kind, apps, stores)]
    for app in apps:
        for name, store in app.stores.items():
            if store.kind in LOG_EXPORTS and stores.backend_of(store.kind) == "managed" \
                    and not shares(app, store.kind, stores):
                out.append((store.kind, app.name, name))
    return out


def database_log_groups(cluster_name: str, apps: Iterable[Application],
                        stores: StoresSettings) -> list[str]:
    """Every log group the managed databases' exports write to (shipyard creates them)."""
    return [export_log_group(kind, store_identifier(cluster_name, owner, name), log)
            for kind, owner, name in managed_databases(apps, stores) for log in LOG_EXPORTS[kind]]
