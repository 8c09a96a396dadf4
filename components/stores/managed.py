"""What the AWS-managed store components share: the security group that admits only the
cluster, tags, the log groups the databases export to, Enhanced Monitoring's role, and the
checks and conversions of the stack's backup and maintenance windows.

Plain functions (the windows' arithmetic tested without mocks); each registers its resources
as children of the calling component.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.stores.base import ManagedNetwork, StoreArgs
from shipyard.config.base import Problem as Problem
from shipyard.rules import iam
from shipyard.rules.aws_names import STORE_TAG
from shipyard.rules.store_logs import LOG_EXPORTS, export_log_group

DAY_NAMES = {"mon": "MONDAY", "tue": "TUESDAY", "wed": "WEDNESDAY", "thu": "THURSDAY",
             "fri": "FRIDAY", "sat": "SATURDAY", "sun": "SUNDAY"}
# The current RDS/DocumentDB certificate authority (RSA 2048, valid to 2061); clients trust
# the regional bundle it is in.
CA_CERT = "rds-ca-rsa2048-g1"


def network(args: StoreArgs) -> ManagedNetwork:
    if args.network is None:
        raise ValueError(f"{args.label}: a managed {args.store.kind} "
                         f"store needs the stack's VPC (stores.backend: inCluster without one)")
    return args.network


def final_snapshot(name: str, identifier: str, *, parent: pulumi.Resource
                   ) -> pulumi.Output[str]:
    """``<identifier>-final-<8 hex>``: the snapshot a deleted store leaves. The suffix is new
    for every incarnation of the identifier (a RandomId kept by it), so the next delete of a
    re-created store does not fail on the name the previous one left (AWS refuses a second
    snapshot of the same name)."""
    suffix = random.RandomId(f"{name}-final-snapshot-suffix", byte_length=4,
                             keepers={"identifier": identifier},
                             opts=pulumi.ResourceOptions(parent=parent))
    return suffix.hex.apply(lambda h: f"{identifier}-final-{h}")


def tags(args: StoreArgs, name: str) -> dict[str, str]:
    return {**args.tags, "Name": name,
            STORE_TAG: args.label}


def security_group(name: str, args: StoreArgs, ports: Sequence[int], *,
                   parent: pulumi.Resource) -> aws.ec2.SecurityGroup:
    """The store's security group: its ports from the cluster's security group (the nodes'
    and pods'), nothing else in; no egress (a managed store starts no connection)."""
    net = network(args)
    identifier = args.identifier()
    group = aws.ec2.SecurityGroup(
        f"{name}-sg", vpc_id=net.vpc_id,
        description=f"{args.label}: only from the cluster",
        tags=tags(args, identifier), opts=pulumi.ResourceOptions(parent=parent))
    for port in ports:
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-cluster-{port}", security_group_id=group.id, ip_protocol="tcp",
            from_port=port, to_port=port,
            referenced_security_group_id=net.client_security_group_id,
            description=f"{args.store.kind} clients in the cluster",
            opts=pulumi.ResourceOptions(parent=group))
    return group


def log_groups(name: str, args: StoreArgs, identifier: str, *,
               parent: pulumi.Resource) -> list[aws.cloudwatch.LogGroup]:
    """The groups the database's log exports go to, made before it (else AWS makes them, with
    no key and no retention): encrypted with the stack's logs key (its policy names each of
    them: compose.platform.log_storage_args), kept ``stores.logRetentionDays``."""
    kind = args.store.kind
    return [aws.cloudwatch.LogGroup(
        f"{name}-log-{log}", name=export_log_group(kind, identifier, log),
        retention_in_days=args.stores.log_retention_days, kms_key_id=args.logs_key_arn,
        tags=tags(args, identifier), opts=pulumi.ResourceOptions(parent=parent))
        for log in LOG_EXPORTS[kind]]


# RDS Enhanced Monitoring: RDS assumes this role to publish the OS samples to CloudWatch Logs
# (RDS User Guide, "Setting up and enabling Enhanced Monitoring")
MONITORING_SERVICE = "monitoring.rds.amazonaws.com"
MONITORING_POLICY = "service-role/AmazonRDSEnhancedMonitoringRole"


def monitoring_role(name: str, args: StoreArgs, identifier: str, *,
                    parent: pulumi.Resource) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
    """The role RDS publishes the database's Enhanced Monitoring samples with, and its grant."""
    role = aws.iam.Role(
        f"{name}-monitoring-role", assume_role_policy=iam.service_trust(MONITORING_SERVICE),
        description=f"{args.label}: RDS Enhanced Monitoring publishes OS metrics",
        tags=tags(args, identifier), opts=pulumi.ResourceOptions(parent=parent))
    grant = aws.iam.RolePolicyAttachment(
        f"{name}-monitoring", role=role.name,
        policy_arn=iam.managed_policy_arn(MONITORING_POLICY),
        opts=pulumi.ResourceOptions(parent=role))
    return role, grant


def maintenance_start(window: str) -> tuple[str, str]:
    """Amazon MQ's maintenance start: (day of week, hh:mm) from ``ddd:hh:mm-ddd:hh:mm``."""
    day, time = window.split("-")[0].split(":", 1)
    return DAY_NAMES[day], time


def host_of(url: str) -> str:
    """``amqps://b-1.mq.us-east-1.amazonaws.com:5671`` -> the host name."""
    netloc = url.split("://", 1)[-1].split("/", 1)[0]
    return netloc.rsplit(":", 1)[0] if ":" in netloc else netloc
