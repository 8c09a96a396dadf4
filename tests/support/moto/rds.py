"""RDS in moto: subnet groups, parameter groups, instances."""

from __future__ import annotations

import re
from typing import Any

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import as_bool, drop_none, handles, require, tag_list
from tests.support.moto.windows import AWS_IDENTIFIER, check_windows

# values AWS accepts and moto does not check
RDS_ENGINES = frozenset({"postgres", "mysql", "mariadb"})
RDS_CA_CERTIFICATES = frozenset({"rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1",
                                 "rds-ca-2019"})
RDS_LOG_EXPORTS = {"postgres": frozenset({"postgresql", "upgrade", "iam-db-auth-error"}),
                   "mysql": frozenset({"audit", "error", "general", "slowquery",
                                       "iam-db-auth-error"}),
                   "mariadb": frozenset({"audit", "error", "general", "slowquery"})}
RDS_MIN_STORAGE = {"gp2": 20, "gp3": 20, "io1": 100, "io2": 100, "standard": 5}
RDS_PASSWORD_FORBIDDEN = frozenset("/'\"@ ")
PARAMETER_APPLY_METHODS = frozenset({"immediate", "pending-reboot"})
RDS_FAMILY = re.compile(r"^(postgres\d+|mysql\d+\.\d+|mariadb\d+\.\d+)$")
# CreateDBInstance: MonitoringInterval, PerformanceInsightsRetentionPeriod; the classes RDS for
# MySQL and MariaDB have no Performance Insights on (RDS User Guide, "... instance class support
# for Database Insights")
RDS_MONITORING_INTERVALS = frozenset({0, 1, 5, 10, 15, 30, 60})
RDS_PI_RETENTION = frozenset({7, 731, *(31 * m for m in range(1, 24))})
RDS_NO_PI = {engine: frozenset({"db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small",
                                "db.t4g.micro", "db.t4g.small"})
             for engine in ("mysql", "mariadb")}
MONITORING_SERVICE = "monitoring.rds.amazonaws.com"
MONITORING_POLICY = "AmazonRDSEnhancedMonitoringRole"


def rds_family(engine: str, version: str) -> str:
    """The parameter group family an engine version takes: postgres17, mysql8.4."""
    parts = str(version).split(".")
    major = parts[0] if engine == "postgres" and int(parts[0] or 0) >= 10 else \
        ".".join(parts[:2])
    return f"{engine}{major}"


class Rds(MotoBase):
    """RDS subnet groups, parameter groups and DB instances."""

    @handles("aws:rds/subnetGroup:SubnetGroup")
    def _rds_subnet_group(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        group = (i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                   if i.get("namePrefix") else name)).lower()
        require(group != "default", "InvalidParameterValue", "'default' is reserved")
        subnet_ids = list(i.get("subnetIds") or [])
        subnets = self._subnets_in_zones(subnet_ids, 2, "DBSubnetGroupDoesNotCoverEnoughAZs",
                                         f"DB subnet group {group}")
        created = self.client("rds").create_db_subnet_group(
            DBSubnetGroupName=group,
            DBSubnetGroupDescription=i.get("description") or "Managed by Pulumi",
            SubnetIds=subnet_ids, Tags=tag_list(i.get("tags")))["DBSubnetGroup"]
        return group, {"name": group, "arn": created["DBSubnetGroupArn"],
                       "vpcId": subnets[0]["VpcId"], "supportedNetworkTypes": ["IPV4"]}

    @handles("aws:rds/parameterGroup:ParameterGroup")
    def _rds_parameter_group(self, name: str, i: dict[str, Any]
                             ) -> tuple[str, dict[str, Any]]:
        group = (i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                   if i.get("namePrefix") else name)).lower()
        require(AWS_IDENTIFIER.match(group) and len(group) <= 255, "InvalidParameterValue",
                f"parameter group name {group!r}: a letter, then letters, digits and single "
                f"hyphens")
        family = str(i.get("family", ""))
        require(RDS_FAMILY.match(family), "InvalidParameterValue",
                f"unknown parameter group family {family!r}")
        parameters = list(i.get("parameters") or [])
        for p in parameters:
            require(p.get("applyMethod", "immediate") in PARAMETER_APPLY_METHODS,
                    "InvalidParameterValue", f"applyMethod {p.get('applyMethod')!r}")
        rds = self.client("rds")
        created = rds.create_db_parameter_group(
            DBParameterGroupName=group, DBParameterGroupFamily=family,
            Description=i.get("description") or "Managed by Pulumi",
            Tags=tag_list(i.get("tags")))["DBParameterGroup"]
        if parameters:
            rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[{
                "ParameterName": p["name"], "ParameterValue": str(p["value"]),
                "ApplyMethod": p.get("applyMethod", "immediate")} for p in parameters])
        return group, {"name": group, "arn": created["DBParameterGroupArn"]}

    @handles("aws:rds/instance:Instance")
    def _rds_instance(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rds = self.client("rds")
        identifier = (i.get("identifier") or (i["identifierPrefix"] + _digest(name, length=10)
                                              if i.get("identifierPrefix") else name)).lower()
        require(AWS_IDENTIFIER.match(identifier) and len(identifier) <= 63,
                "InvalidParameterValue", f"DB instance identifier {identifier!r}")
        engine, version = str(i.get("engine", "")), str(i.get("engineVersion", ""))
        require(engine in RDS_ENGINES, "InvalidParameterValue", f"engine {engine!r}")
        instance_class = str(i.get("instanceClass", ""))
        require(instance_class.startswith("db."), "InvalidParameterValue",
                f"Invalid DB Instance class: {instance_class}")
        group = i.get("parameterGroupName")
        if group:
            [found] = rds.describe_db_parameter_groups(DBParameterGroupName=group)[
                "DBParameterGroups"]
            wanted = rds_family(engine, version)
            require(found["DBParameterGroupFamily"] == wanted, "InvalidParameterCombination",
                    f"The parameter group {group} with DBParameterGroupFamily "
                    f"{found['DBParameterGroupFamily']} can't be used for this instance. Use a "
                    f"parameter group with DBParameterGroupFamily {wanted}.")
        secret = i.get("password")
        managed = as_bool(i.get("manageMasterUserPassword", False))
        require(not (secret and managed), "InvalidParameterCombination",
                "password and manageMasterUserPassword exclude each other")
        if secret is not None:
            require(8 <= len(secret) <= 128 and not set(secret) & RDS_PASSWORD_FORBIDDEN,
                    "InvalidParameterValue", "The parameter MasterUserPassword is not a valid "
                    "password: 8 to 128 printable characters other than / ' \" @ and space")
        user = str(i.get("username", ""))
        limit = 16 if engine in ("mysql", "mariadb") else 63
        require(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", user) and len(user) <= limit,
                "InvalidParameterValue", f"MasterUsername {user!r}: a letter, then letters, "
                f"digits or _, at most {limit} characters")
        storage_type = str(i.get("storageType", "gp2"))
        allocated = int(i.get("allocatedStorage") or 0)
        require(allocated >= RDS_MIN_STORAGE.get(storage_type, 20), "InvalidParameterValue",
                f"{allocated} GiB is below the minimum of {storage_type} storage")
        ceiling = int(i.get("maxAllocatedStorage") or 0)
        require(ceiling == 0 or ceiling > allocated, "InvalidParameterCombination",
                "Max storage size must be greater than storage size")
        encrypted = as_bool(i.get("storageEncrypted", False))
        require(encrypted or not i.get("kmsKeyId"), "InvalidParameterCombination",
                "a KMS key needs storageEncrypted")
        self._check_key(i.get("kmsKeyId"))
        retention = int(i.get("backupRetentionPeriod", 1))
        require(0 <= retention <= 35, "InvalidParameterValue",
                f"backupRetentionPeriod {retention}: 0 to 35 days")
        check_windows(i.get("backupWindow"), i.get("maintenanceWindow"))
        final = i.get("finalSnapshotIdentifier")
        # AWS refuses the deletion of an instance that keeps a final snapshot without a name
        require(as_bool(i.get("skipFinalSnapshot", False)) or final,
                "InvalidParameterCombination", "FinalDBSnapshotIdentifier is required unless "
                "SkipFinalSnapshot is true")
        require(not final or (AWS_IDENTIFIER.match(final) and len(final) <= 255),
                "InvalidParameterValue", f"FinalDBSnapshotIdentifier {final!r}")
        ca = i.get("caCertIdentifier")
        require(ca is None or ca in RDS_CA_CERTIFICATES, "InvalidParameterValue",
                f"CA certificate {ca!r} not found")
        logs = set(i.get("enabledCloudwatchLogsExports") or [])
        require(logs <= RDS_LOG_EXPORTS.get(engine, frozenset()), "InvalidParameterCombination",
                f"{engine} cannot export the logs {sorted(logs - RDS_LOG_EXPORTS[engine])}")
        self._check_security_groups(list(i.get("vpcSecurityGroupIds") or []))
        self._check_monitoring(i)
        insights = as_bool(i.get("performanceInsightsEnabled", False))
        self._check_performance_insights(i, engine, instance_class, insights)
        instance = rds.create_db_instance(**drop_none(
            DBInstanceIdentifier=identifier, Engine=engine, EngineVersion=version or None,
            DBInstanceClass=instance_class, AllocatedStorage=allocated,
            MaxAllocatedStorage=ceiling or None, StorageType=storage_type,
            StorageEncrypted=encrypted, KmsKeyId=i.get("kmsKeyId"),
            MasterUsername=user, MasterUserPassword=secret,
            ManageMasterUserPassword=managed or None, DBName=i.get("dbName"),
            DBSubnetGroupName=i.get("dbSubnetGroupName"), DBParameterGroupName=group,
            VpcSecurityGroupIds=i.get("vpcSecurityGroupIds"), Port=i.get("port"),
            MultiAZ=as_bool(i.get("multiAz", False)), BackupRetentionPeriod=retention,
            PreferredBackupWindow=i.get("backupWindow"),
            PreferredMaintenanceWindow=i.get("maintenanceWindow"),
            PubliclyAccessible=as_bool(i.get("publiclyAccessible", False)),
            CopyTagsToSnapshot=as_bool(i.get("copyTagsToSnapshot", False)),
            DeletionProtection=as_bool(i.get("deletionProtection", False)),
            CACertificateIdentifier=ca, EnableCloudwatchLogsExports=sorted(logs) or None,
            MonitoringInterval=int(i.get("monitoringInterval") or 0) or None,
            MonitoringRoleArn=i.get("monitoringRoleArn"),
            EnablePerformanceInsights=insights or None,
            PerformanceInsightsKMSKeyId=i.get("performanceInsightsKmsKeyId"),
            PerformanceInsightsRetentionPeriod=i.get("performanceInsightsRetentionPeriod"),
            AutoMinorVersionUpgrade=as_bool(i.get("autoMinorVersionUpgrade", True)),
            Tags=tag_list(i.get("tags"))))["DBInstance"]
        endpoint = instance["Endpoint"]
        # (moto keeps the monitoring settings, not Performance Insights': the plan's inputs are
        # what the tests read for those, once the checks above let them through)
        return instance["DbiResourceId"], {
            "identifier": identifier, "arn": instance["DBInstanceArn"],
            "resourceId": instance["DbiResourceId"], "address": endpoint["Address"],
            "port": endpoint["Port"], "endpoint": f"{endpoint['Address']}:{endpoint['Port']}",
            "engineVersionActual": instance.get("EngineVersion", version),
            "status": "available", "hostedZoneId": "Z2R2ITUGPM61AM"}

    def _check_monitoring(self, i: dict[str, Any]) -> None:
        """Enhanced Monitoring: an interval RDS takes, and a role only with one: a role RDS's
        monitoring service may assume, with AmazonRDSEnhancedMonitoringRole attached (AWS
        validates it when the instance names it; moto checks nothing)."""
        interval = int(i.get("monitoringInterval") or 0)
        role = i.get("monitoringRoleArn")
        require(interval in RDS_MONITORING_INTERVALS, "InvalidParameterValue",
                f"MonitoringInterval {interval}: one of {sorted(RDS_MONITORING_INTERVALS)}")
        require(bool(role) == bool(interval), "InvalidParameterCombination",
                "a MonitoringRoleArn needs a MonitoringInterval other than 0, and the other "
                "way round")
        if not role:
            return
        self._check_role_trusts(role, MONITORING_SERVICE)
        attached = {p["PolicyName"] for p in self.client("iam").list_attached_role_policies(
            RoleName=self._role_name(role))["AttachedPolicies"]}
        require(MONITORING_POLICY in attached, "InvalidParameterValue",
                f"IAM role ARN value is invalid or does not include the required permissions "
                f"for: ENHANCED_MONITORING ({MONITORING_POLICY} is not attached to {role})")

    def _check_performance_insights(self, i: dict[str, Any], engine: str,
                                    instance_class: str, enabled: bool) -> None:
        """Performance Insights: its key and retention only with it on; a retention RDS
        takes; a key that exists; a class that has it."""
        key, retention = i.get("performanceInsightsKmsKeyId"), \
            i.get("performanceInsightsRetentionPeriod")
        require(enabled or (key is None and retention is None), "InvalidParameterCombination",
                "a Performance Insights key or retention needs EnablePerformanceInsights")
        if not enabled:
            return
        require(retention is None or int(retention) in RDS_PI_RETENTION,
                "InvalidParameterValue", f"PerformanceInsightsRetentionPeriod {retention}: 7, "
                f"a multiple of 31 up to 713, or 731")
        self._check_key(key)
        require(instance_class not in RDS_NO_PI.get(engine, frozenset()),
                "InvalidParameterCombination", f"Performance Insights is not supported for "
                f"{engine} on {instance_class}")
