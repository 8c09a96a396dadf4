"""A managed MongoDB store: an Amazon DocumentDB cluster in the isolated subnets.

- ``stores.mongodb.instances`` instances of ``stores.mongodb.size`` (a primary, the rest
  replicas DocumentDB fails over to, spread over the zones by DocumentDB); ``stores.multiAz``
  (prod) needs at least two, else there is no standby in another zone — refused, naming the
  setting.
- TLS required (a cluster parameter group with ``tls=enabled``), reachable only from the
  cluster's security group on 27017; encrypted at rest with its data key (the shared
  stores' or its application's).
- Backups kept ``backupRetentionDays`` (point-in-time restore within them) in ``backupWindow``,
  maintenance in ``maintenanceWindow``; deletion protection and Pulumi ``protect`` in prod;
  always a final snapshot ``<identifier>-final-<suffix>``.
- Audited: the cluster parameter group turns on the audit log (``audit_logs``) and the
  profiler (operations slower than ``stores.slowQueryMs``); both are exported to CloudWatch Logs
  into log groups made beforehand, encrypted with the stack's logs key and kept
  ``stores.logRetentionDays``.
- Users: the master (``shipyardadmin``) is the bootstrap Job's; each consuming service gets a
  user in ``admin`` with readWrite on its own database (components/stores/bootstrap.py), and
  its Connection carries ``AUTH_SOURCE=admin`` and the options DocumentDB needs.

moto does not emulate DocumentDB: its resources are echoed in the moto tests, and the checks
AWS would make are made here.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.stores import bootstrap, managed
from components.stores.base import Connection, StoreArgs, StoreComponent, password, store_port
from shipyard.config.stores import StoresSettings
from shipyard.rules.store_logs import LOG_EXPORTS

TYPE = "shipyard:stores:DocumentDbCluster"
ENGINE = "docdb"
# What a client adds to its connection: DocumentDB's replica set, no retryable writes (it has
# none), reads from replicas where they may be stale.
CLIENT_OPTIONS = "tls=true&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false"


def engine_version(version: str) -> str:
    """DocumentDB names its versions major.minor.patch: ``8.0`` -> ``8.0.0``."""
    parts = version.split(".")
    return ".".join(parts + ["0"] * (3 - len(parts)))


def parameter_family(version: str) -> str:
    """``8.0.0`` -> ``docdb8.0``."""
    return "docdb" + ".".join(version.split(".")[:2])


def parameters(stores: StoresSettings) -> list[dict[str, str]]:
    """TLS; the audit log; the profiler, for operations slower than ``stores.slowQueryMs``
    (DocumentDB Developer Guide, "Profiling Amazon DocumentDB operations"). The audit and
    profiler settings are dynamic: immediate, so a deployed cluster logs from its next update."""
    return [{"name": "tls", "value": "enabled", "apply_method": "pending-reboot"},
            {"name": "audit_logs", "value": "enabled", "apply_method": "pending-reboot"},
            {"name": "profiler", "value": "enabled", "apply_method": "immediate"},
            {"name": "profiler_threshold_ms", "value": str(stores.slow_query_ms),
             "apply_method": "immediate"}]


class DocumentDbCluster(StoreComponent):
    cluster: aws.docdb.Cluster
    instances: list[aws.docdb.ClusterInstance]
    job: pulumi.Resource

    def __init__(self, name: str, args: StoreArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        if args.store.kind != "mongodb":
            raise ValueError(f"DocumentDbCluster runs mongodb, not {args.store.kind}")
        grant_list = bootstrap.grants_of("mongodb", args)
        net = managed.network(args)
        super().__init__(TYPE, name, None, opts)
        identifier = args.identifier()
        port = store_port("mongodb", "managed")
        child = pulumi.ResourceOptions(parent=self)
        tags = managed.tags(args, identifier)
        version = engine_version(args.version)
        family = parameter_family(version)

        subnet_group = aws.docdb.SubnetGroup(
            f"{name}-subnets", name=identifier, subnet_ids=net.subnet_ids,
            description=f"{args.label}: the isolated subnets",
            tags=tags, opts=child)
        security_group = managed.security_group(name, args, [port], parent=self)
        parameter_group = aws.docdb.ClusterParameterGroup(
            f"{name}-params", name=f"{identifier}-{family.replace('.', '-')}"[:255],
            family=family, description=f"{args.label}: TLS, audit log",
            parameters=parameters(args.stores), tags=tags, opts=child)
        self.log_groups = managed.log_groups(name, args, identifier, parent=self)
        master = password(f"{name}-master", parent=self)
        stores = args.stores
        self.cluster = aws.docdb.Cluster(
            f"{name}-cluster", cluster_identifier=identifier, engine=ENGINE,
            engine_version=version, port=port,
            master_username=bootstrap.MASTER_USER, master_password=master.result,
            db_subnet_group_name=subnet_group.name, vpc_security_group_ids=[security_group.id],
            db_cluster_parameter_group_name=parameter_group.name,
            storage_encrypted=True, kms_key_id=args.kms_key_arn,
            backup_retention_period=stores.backup_retention_days,
            preferred_backup_window=stores.backup_window,
            preferred_maintenance_window=stores.maintenance_window,
            deletion_protection=args.protect, skip_final_snapshot=False,
            final_snapshot_identifier=managed.final_snapshot(name, identifier, parent=self),
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS["mongodb"]),
            apply_immediately=False, tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect,
                                        depends_on=list(self.log_groups)))
        self.instances = [
            aws.docdb.ClusterInstance(
                f"{name}-instance-{i}", identifier=f"{identifier[:60]}-{i}",
                cluster_identifier=self.cluster.id, engine=ENGINE,
                instance_class=args.size, ca_cert_identifier=managed.CA_CERT,
                auto_minor_version_upgrade=True,
                preferred_maintenance_window=stores.maintenance_window,
                promotion_tier=min(i - 1, 15), apply_immediately=False, tags=tags,
                opts=pulumi.ResourceOptions(parent=self.cluster))
            for i in range(1, args.kind_settings.instances + 1)]

        passwords = {g.key: password(f"{name}-{g.key}", parent=self) for g in grant_list}
        services = [g.key for g in grant_list]

        def render(values: list) -> dict[str, str]:
            host, master_password, *secrets = values
            uri = bootstrap.mongo_uri(host, port, bootstrap.MASTER_USER, master_password)
            return {"bootstrap.js": bootstrap.mongo_script(
                grant_list, dict(zip(services, secrets, strict=True)), uri)}

        # the users can be made once the primary instance answers
        primary = self.instances[0]
        files = pulumi.Output.all(self.cluster.endpoint, master.result,
                                  *[passwords[s].result for s in services],
                                  primary.id).apply(lambda v: render(v[:-1]))
        self.job = bootstrap.create(name, args, kind="mongodb", grant_list=grant_list,
                                    files=files, ports=[port], parent=self,
                                    store_id=self.cluster.id)
        self.connections = {
            g.key: Connection(host=self.cluster.endpoint, port=port, username=g.user,
                                  password=passwords[g.key].result, database=g.database,
                                  tls=True,
                                  extra={"AUTH_SOURCE": "admin", "OPTIONS": CLIENT_OPTIONS},
                                  ready=(self.job,), store_id=identifier)
            for g in grant_list}
        self.register({"clusterIdentifier": identifier, "endpoint": self.cluster.endpoint,
                       "port": port})
