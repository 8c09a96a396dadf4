"""What the AWS-managed store components share: the security group that admits only the
cluster, tags, and the checks and conversions of the stack's backup and maintenance windows.

Plain functions (the windows' arithmetic tested without mocks); each registers its resources
as children of the calling component.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.stores.base import ManagedNetwork, StoreArgs
from shipyard.settings import KeyedProblem, StoresSettings

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {"mon": "MONDAY", "tue": "TUESDAY", "wed": "WEDNESDAY", "thu": "THURSDAY",
             "fri": "FRIDAY", "sat": "SATURDAY", "sun": "SUNDAY"}
# The current RDS/DocumentDB certificate authority (RSA 2048, valid to 2061); clients trust
# the regional bundle it is in.
CA_CERT = "rds-ca-rsa2048-g1"
WEEK = 7 * 24 * 60


def problem(key: str, value: object, message: str) -> KeyedProblem:
    """A refused setting, named the way the stack file spells it (raised outside the settings'
    own validation, so the key goes into the message)."""
    return KeyedProblem(key, value, f"shipyard:{key}: {message} (value: {json.dumps(value)})")


def network(args: StoreArgs) -> ManagedNetwork:
    if args.network is None:
        raise ValueError(f"{args.app.name}/{args.store_name}: a managed {args.store.kind} "
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
            "shipyard.dev/store": f"{args.app.name}/{args.store_name}"}


def security_group(name: str, args: StoreArgs, ports: Sequence[int], *,
                   parent: pulumi.Resource) -> aws.ec2.SecurityGroup:
    """The store's security group: its ports from the cluster's security group (the nodes'
    and pods'), nothing else in; no egress (a managed store starts no connection)."""
    net = network(args)
    identifier = args.identifier()
    group = aws.ec2.SecurityGroup(
        f"{name}-sg", vpc_id=net.vpc_id,
        description=f"{args.app.name}/{args.store_name}: only from the cluster",
        tags=tags(args, identifier), opts=pulumi.ResourceOptions(parent=parent))
    for port in ports:
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-cluster-{port}", security_group_id=group.id, ip_protocol="tcp",
            from_port=port, to_port=port,
            referenced_security_group_id=net.client_security_group_id,
            description=f"{args.store.kind} clients in the cluster",
            opts=pulumi.ResourceOptions(parent=group))
    return group


# ---------------------------------------------------------------------------------------------
# Windows (UTC): "hh:mm-hh:mm" daily, "ddd:hh:mm-ddd:hh:mm" weekly


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def weekly_minutes(window: str) -> set[int]:
    """The minutes of the week a weekly window covers (it may wrap past Sunday)."""
    start, end = window.split("-")
    day_a, time_a = start.split(":", 1)
    day_b, time_b = end.split(":", 1)
    a = DAYS.index(day_a) * 1440 + _minutes(time_a)
    b = DAYS.index(day_b) * 1440 + _minutes(time_b)
    return {m % WEEK for m in range(a, a + (b - a) % WEEK)}


def daily_minutes(window: str) -> set[int]:
    """The minutes of the week a daily window covers (it may wrap past midnight)."""
    start, end = (_minutes(t) for t in window.split("-"))
    length = (end - start) % 1440
    return {(day * 1440 + start + m) % WEEK for day in range(7) for m in range(length)}


def check_windows(stores: StoresSettings) -> None:
    """AWS refuses a backup window that overlaps the maintenance window, and windows shorter
    than 30 minutes (RDS, DocumentDB, ElastiCache)."""
    backup = daily_minutes(stores.backup_window)
    maintenance = weekly_minutes(stores.maintenance_window)
    if len(backup) < 7 * 30:
        raise problem("stores.backupWindow", stores.backup_window,
                           "AWS needs a backup window of at least 30 minutes")
    if len(maintenance) < 30:
        raise problem("stores.maintenanceWindow", stores.maintenance_window,
                           "AWS needs a maintenance window of at least 30 minutes")
    if backup & maintenance:
        raise problem("stores.maintenanceWindow", stores.maintenance_window,
                           f"overlaps the daily backup window {stores.backup_window} "
                           f"(stores.backupWindow); AWS refuses overlapping windows")


def maintenance_start(window: str) -> tuple[str, str]:
    """Amazon MQ's maintenance start: (day of week, hh:mm) from ``ddd:hh:mm-ddd:hh:mm``."""
    day, time = window.split("-")[0].split(":", 1)
    return DAY_NAMES[day], time


def host_of(url: str) -> str:
    """``amqps://b-1.mq.us-east-1.amazonaws.com:5671`` -> the host name."""
    netloc = url.split("://", 1)[-1].split("/", 1)[0]
    return netloc.rsplit(":", 1)[0] if ":" in netloc else netloc
