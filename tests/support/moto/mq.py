"""Amazon MQ in moto: brokers."""

from __future__ import annotations

import re
from typing import Any

from tests.support.moto.base import MotoBase
from tests.support.moto.core import as_bool, drop_none, handles, require

# values AWS accepts and moto does not check
MQ_DEPLOYMENT_MODES = frozenset({"SINGLE_INSTANCE", "ACTIVE_STANDBY_MULTI_AZ",
                                 "CLUSTER_MULTI_AZ"})
MQ_BROKER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
MQ_RABBITMQ_USER = re.compile(r"^[A-Za-z0-9._-]{2,100}$")
MQ_DAYS = frozenset({"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY",
                     "SUNDAY"})


class Mq(MotoBase):
    """Amazon MQ brokers."""

    @handles("aws:mq/broker:Broker")
    def _mq_broker(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        broker_name = str(i.get("brokerName", name))
        require(MQ_BROKER_NAME.match(broker_name), "BadRequestException",
                f"broker name {broker_name!r}: 1 to 50 letters, digits, - and _")
        engine = str(i.get("engineType", ""))
        rabbit = engine.upper() == "RABBITMQ"
        mode = str(i.get("deploymentMode", "SINGLE_INSTANCE"))
        require(mode in MQ_DEPLOYMENT_MODES, "BadRequestException",
                f"deploymentMode {mode!r}")
        require(not rabbit or mode != "ACTIVE_STANDBY_MULTI_AZ", "BadRequestException",
                "RabbitMQ brokers are SINGLE_INSTANCE or CLUSTER_MULTI_AZ")
        instance_type, version = str(i.get("hostInstanceType", "")), str(
            i.get("engineVersion", ""))
        require(instance_type.startswith("mq."), "BadRequestException",
                f"host instance type {instance_type!r}")
        if rabbit and version.split(".")[0].isdigit() and int(version.split(".")[0]) >= 4:
            require(instance_type.startswith("mq.m7g."), "BadRequestException",
                    f"RabbitMQ {version} runs on mq.m7g instance types only")
        if rabbit and version.count(".") == 1:
            # Amazon MQ manages RabbitMQ 3.13+ patch versions itself
            require(as_bool(i.get("autoMinorVersionUpgrade", False)), "BadRequestException",
                    "RabbitMQ 3.13 and later need autoMinorVersionUpgrade")
        users = list(i.get("users") or [])
        require(users, "BadRequestException", "a broker needs a user")
        require(not rabbit or len(users) == 1, "BadRequestException",
                "Amazon MQ for RabbitMQ accepts one and only one administrative user at "
                "creation; create the others through the RabbitMQ management API")
        for user in users:
            username, secret = str(user.get("username", "")), str(user.get("password", ""))
            require(len(secret) >= 12 and len(set(secret)) >= 4 and not set(secret) & set(",:="),
                    "BadRequestException", "a broker password needs 12 or more characters, "
                    "4 or more different ones, and no , : or =")
            require(username != "guest" and (not rabbit or MQ_RABBITMQ_USER.match(username)),
                    "BadRequestException", f"user name {username!r}")
        require(not (rabbit and self._one(i.get("encryptionOptions")).get("kmsKeyId")),
                "BadRequestException", "RabbitMQ brokers are encrypted with an AWS-owned key; "
                "a customer KMS key applies to ActiveMQ only")
        require(not (rabbit and self._one(i.get("logs")).get("audit")), "BadRequestException",
                "audit logs are ActiveMQ's")
        subnet_ids = list(i.get("subnetIds") or [])
        public = as_bool(i.get("publiclyAccessible", False))
        require(public or subnet_ids, "BadRequestException", "a private broker needs subnets")
        if subnet_ids:
            subnets = self._subnets_in_zones(subnet_ids, 1, "BadRequestException", "broker")
            if mode == "SINGLE_INSTANCE":
                require(len(subnet_ids) == 1, "BadRequestException",
                        "a SINGLE_INSTANCE broker takes exactly one subnet")
            else:
                require(len({s["AvailabilityZone"] for s in subnets}) >= 2,
                        "BadRequestException", f"a {mode} broker needs subnets in two or more "
                        f"availability zones")
        window = self._one(i.get("maintenanceWindowStartTime"))
        if window:
            require(window.get("dayOfWeek") in MQ_DAYS and re.fullmatch(
                r"([01]\d|2[0-3]):[0-5]\d", str(window.get("timeOfDay", ""))),
                "BadRequestException", f"maintenance window start {window}")
        self._check_security_groups(list(i.get("securityGroups") or []))
        mq = self.client("mq")
        created = mq.create_broker(**drop_none(
            BrokerName=broker_name, EngineType=engine.upper(), EngineVersion=version,
            HostInstanceType=instance_type, DeploymentMode=mode,
            PubliclyAccessible=public, SubnetIds=subnet_ids or None,
            SecurityGroups=i.get("securityGroups"),
            AutoMinorVersionUpgrade=as_bool(i.get("autoMinorVersionUpgrade", False)),
            AuthenticationStrategy=(i.get("authenticationStrategy") or "simple").upper(),
            StorageType=(i.get("storageType") or "ebs").upper(),
            Logs=drop_none(General=self._one(i.get("logs")).get("general")),
            MaintenanceWindowStartTime=drop_none(
                DayOfWeek=window.get("dayOfWeek"), TimeOfDay=window.get("timeOfDay"),
                TimeZone=window.get("timeZone")) if window else None,
            Users=[drop_none(Username=u.get("username"), Password=u.get("password"),
                             ConsoleAccess=u.get("consoleAccess"), Groups=u.get("groups"))
                   for u in users],
            Tags={k: str(v) for k, v in (i.get("tags") or {}).items()} or None))
        broker = mq.describe_broker(BrokerId=created["BrokerId"])
        return created["BrokerId"], {
            "arn": created["BrokerArn"], "brokerName": broker_name,
            "instances": [{"consoleUrl": b.get("ConsoleURL"), "endpoints": b.get("Endpoints", []),
                           "ipAddress": b.get("IpAddress")}
                          for b in broker.get("BrokerInstances", [])]}
