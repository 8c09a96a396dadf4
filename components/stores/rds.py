"""A managed PostgreSQL or MySQL store: one RDS instance in the VPC's isolated subnets.

What a reviewer checks on a production database, from the stack's settings:
- reachable only from the cluster (its security group admits the cluster's on the engine's
  port; no public address) and only over TLS (a parameter group forcing it:
  ``rds.force_ssl=1`` / ``require_secure_transport=ON``; the current RSA CA);
- encrypted at rest with its data key (the shared stores' or its application's), gp3 storage
  that grows by itself up to ``maxStorageGi``;
- Multi-AZ where ``stores.multiAz`` (prod), automated backups kept ``backupRetentionDays`` (point
  in time restore within them) in ``backupWindow``, minor upgrades in ``maintenanceWindow``,
  never applied immediately; tags copied to snapshots; kept after deletion;
- observed: Performance Insights (``stores.performanceInsights``, kept ``retentionDays``,
  encrypted with the store's KMS key), Enhanced Monitoring every ``stores.monitoringInterval``
  seconds (a role RDS publishes with), and the engine's logs exported to CloudWatch Logs -
  PostgreSQL's (DDL and every statement slower than ``stores.slowQueryMs``, by
  ``log_statement`` and ``log_min_duration_statement``) and upgrade log, MySQL's error and slow
  query logs - into log groups made beforehand, encrypted with the stack's logs key and kept
  ``stores.logRetentionDays``;
- impossible to lose by accident: deletion protection and Pulumi ``protect`` where
  ``protect`` (prod), and always a final snapshot ``<identifier>-final-<suffix>``.

Users: the master (``shipyardadmin``, a generated password) is the bootstrap Job's alone; each
consuming service gets a user of its own in its own database (components/stores/bootstrap.py),
and its Connection waits for that Job.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.stores import bootstrap, managed
from components.stores.base import Connection, StoreArgs, StoreComponent, password, store_port
from shipyard.config.stores import StoresSettings
from shipyard.rules.store_logs import LOG_EXPORTS

TYPE = "shipyard:stores:RdsDatabase"
ENGINES = {"postgresql": "postgres", "mysql": "mysql"}


def major(version: str) -> str:
    """``17`` and ``17.4`` -> ``17``; ``8.4.3`` -> ``8.4`` (MySQL's majors have two parts)."""
    parts = version.split(".")
    return ".".join(parts[:1]) if parts[0].isdigit() and int(parts[0]) >= 10 else \
        ".".join(parts[:2])


def parameter_family(kind: str, version: str) -> str:
    """The parameter group family of an engine version: postgres17, mysql8.4."""
    return f"{ENGINES[kind]}{major(version)}"


def seconds(ms: int) -> str:
    """MySQL's long_query_time (seconds, fractions allowed): 2000 -> ``2``, 500 -> ``0.5``."""
    return f"{ms / 1000:g}"


def parameters(kind: str, stores: StoresSettings) -> list[dict[str, str]]:
    """TLS only; what the exported logs hold: PostgreSQL logs DDL (``stores.logStatement``)
    and every statement slower than ``stores.slowQueryMs``; MySQL writes its slow query log."""
    if kind == "postgresql":
        wanted = {"rds.force_ssl": "1"}
        logging = {"log_statement": stores.log_statement,
                   "log_min_duration_statement": str(stores.slow_query_ms)}
    else:
        wanted = {"require_secure_transport": "ON", "slow_query_log": "1",
                  "long_query_time": seconds(stores.slow_query_ms)}
        logging = {}
    # pending-reboot is accepted for static and dynamic parameters alike; a new instance
    # starts with them. The logging parameters are dynamic: immediate, so a deployed database
    # logs from its next pulumi up, not its next reboot.
    out = [{"name": k, "value": v, "apply_method": "pending-reboot"} for k, v in wanted.items()]
    out += [{"name": k, "value": v, "apply_method": "immediate"} for k, v in logging.items()]
    return sorted(out, key=lambda p: p["name"])


class RdsDatabase(StoreComponent):
    instance: aws.rds.Instance
    security_group: aws.ec2.SecurityGroup
    parameter_group: aws.rds.ParameterGroup
    subnet_group: aws.rds.SubnetGroup
    job: pulumi.Resource

    def __init__(self, name: str, args: StoreArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        kind = args.store.kind
        if kind not in ENGINES:
            raise ValueError(f"RdsDatabase runs postgresql or mysql, not {kind}")
        grant_list = bootstrap.grants_of(kind, args)
        net = managed.network(args)
        super().__init__(TYPE, name, None, opts)
        identifier = args.identifier()
        port = store_port(kind, "managed")
        child = pulumi.ResourceOptions(parent=self)
        family = parameter_family(kind, args.version)

        self.subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets", name=identifier, subnet_ids=net.subnet_ids,
            description=f"{args.label}: the isolated subnets",
            tags=managed.tags(args, identifier), opts=child)
        self.security_group = managed.security_group(name, args, [port], parent=self)
        self.parameter_group = aws.rds.ParameterGroup(
            f"{name}-params", name=f"{identifier}-{family.replace('.', '-')}"[:255],
            family=family, description=f"{args.label}: TLS only",
            parameters=parameters(kind, args.stores), tags=managed.tags(args, identifier),
            opts=child)
        # where its exported logs go, and the role Enhanced Monitoring publishes with: both
        # exist before it
        self.log_groups = managed.log_groups(name, args, identifier, parent=self)
        monitoring = managed.monitoring_role(name, args, identifier, parent=self) \
            if args.stores.monitoring_interval else None
        insights = args.stores.performance_insights
        master = password(f"{name}-master", parent=self)
        settings, stores = args.kind_settings, args.stores
        autoscale = settings.max_storage_gi > settings.storage_gi
        self.instance = aws.rds.Instance(
            f"{name}-instance",
            identifier=identifier, engine=ENGINES[kind], engine_version=args.version,
            instance_class=args.size,
            allocated_storage=settings.storage_gi,
            # 0 turns storage autoscaling off (maxStorageGi == storageGi)
            max_allocated_storage=settings.max_storage_gi if autoscale else 0,
            storage_type="gp3", storage_encrypted=True, kms_key_id=args.kms_key_arn,
            db_subnet_group_name=self.subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            parameter_group_name=self.parameter_group.name,
            publicly_accessible=False, port=port, ca_cert_identifier=managed.CA_CERT,
            multi_az=stores.multi_az,
            backup_retention_period=stores.backup_retention_days,
            backup_window=stores.backup_window, maintenance_window=stores.maintenance_window,
            copy_tags_to_snapshot=True, delete_automated_backups=False,
            deletion_protection=args.protect, skip_final_snapshot=False,
            final_snapshot_identifier=managed.final_snapshot(name, identifier, parent=self),
            auto_minor_version_upgrade=True, allow_major_version_upgrade=False,
            apply_immediately=False,
            username=bootstrap.MASTER_USER, password=master.result,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS[kind]),
            performance_insights_enabled=insights.enabled,
            # the store's own key (the shared stores' or the application's), as its data's
            performance_insights_kms_key_id=args.kms_key_arn if insights.enabled else None,
            performance_insights_retention_period=insights.retention_days
            if insights.enabled else None,
            monitoring_interval=args.stores.monitoring_interval,
            monitoring_role_arn=monitoring[0].arn if monitoring else None,
            tags=managed.tags(args, identifier),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=[
                *self.log_groups, *([monitoring[1]] if monitoring else [])]))

        passwords = {g.key: password(f"{name}-{g.key}", parent=self) for g in grant_list}
        files = self._files(kind, grant_list, master.result, passwords, port)
        self.job = bootstrap.create(name, args, kind=kind, grant_list=grant_list, files=files,
                                    ports=[port], parent=self, store_id=self.instance.id)
        self.connections = {
            g.key: Connection(host=self.instance.address, port=port, username=g.user,
                                  password=passwords[g.key].result, database=g.database,
                                  tls=True, ready=(self.job,), store_id=identifier)
            for g in grant_list}
        self.register({"identifier": identifier, "address": self.instance.address,
                       "port": port})

    def _files(self, kind: str, grant_list: list[bootstrap.Grant],
               master: pulumi.Output[str], passwords: dict, port: int
               ) -> pulumi.Output[dict[str, str]]:
        services = [g.key for g in grant_list]

        def render(values: list) -> dict[str, str]:
            host, master_password, *secrets = values
            by_service = dict(zip(services, secrets, strict=True))
            if kind == "postgresql":
                return {"pg_service.conf": bootstrap.pg_service_file(
                            host, port, bootstrap.MASTER_USER, master_password),
                        "bootstrap.sql": bootstrap.postgres_sql(grant_list, by_service)}
            return {"client.cnf": bootstrap.mysql_option_file(
                        host, port, bootstrap.MASTER_USER, master_password),
                    "bootstrap.sql": bootstrap.mysql_sql(grant_list, by_service)}

        return pulumi.Output.all(self.instance.address, master,
                                 *[passwords[s].result for s in services]).apply(render)
