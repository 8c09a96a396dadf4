"""A managed RabbitMQ store: an Amazon MQ for RabbitMQ broker in the isolated subnets.

- ``CLUSTER_MULTI_AZ`` (three nodes in three zones behind one endpoint, quorum queues by
  default) where ``stores.multiAz`` (prod), else ``SINGLE_INSTANCE`` (in exactly one subnet:
  the first isolated one). RabbitMQ 4.2 runs on ``mq.m7g.*`` only (checked in settings).
- Private (no public endpoint), reachable only from the cluster's security group: AMQP over TLS
  on 5671 and the management API on 443 (the bootstrap Job's).
- Users: Amazon MQ creates exactly one user for RabbitMQ, the administrator
  (``shipyardadmin``, generated password); its API refuses more. Each consuming service gets a
  user of its own (a generated password; configure/write/read on the default vhost, since the
  services share exchanges; on a shared broker its application's own vhost) through the
  RabbitMQ management API, by a bootstrap Job
  (components/stores/bootstrap.py), and its Connection waits for that Job.
- General logs to CloudWatch, minor versions applied by AWS in the maintenance window (Amazon
  MQ requires automatic minor upgrades for RabbitMQ 3.13 and later), ``protect`` in prod.

At rest: **no customer-managed KMS key.** Amazon MQ for RabbitMQ encrypts its broker volumes
with an AWS-owned key only; ``encryption_options`` (a KMS key) applies to ActiveMQ brokers and
does not apply to RabbitMQ. This broker is the one store not encrypted with a customer key (the
tenant's for a broker of its own, the shared stores' for the shared one): keep payloads that
need a customer key encrypted by the application, or in a store that has one.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.stores import bootstrap, managed
from components.stores.base import Connection, StoreArgs, StoreComponent, password, store_port

TYPE = "shipyard:stores:RabbitMqBroker"
MAX_NAME = 50                            # broker names: 1-50 letters, digits, - and _
MANAGEMENT_PORT = 443


def deployment_mode(multi_az: bool) -> str:
    return "CLUSTER_MULTI_AZ" if multi_az else "SINGLE_INSTANCE"


def first_subnet(subnet_ids: list[str]) -> list[str]:
    """A single-instance broker takes exactly one subnet."""
    return sorted(subnet_ids)[:1]


class RabbitMqBroker(StoreComponent):
    broker: aws.mq.Broker
    job: pulumi.Resource

    def __init__(self, name: str, args: StoreArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        if args.store.kind != "rabbitmq":
            raise ValueError(f"RabbitMqBroker runs rabbitmq, not {args.store.kind}")
        grant_list = bootstrap.grants_of("rabbitmq", args)
        net = managed.network(args)
        super().__init__(TYPE, name, None, opts)
        identifier = args.identifier(MAX_NAME)
        port = store_port("rabbitmq", "managed")
        mode = deployment_mode(args.stores.multi_az)
        subnets = pulumi.Output.from_input(net.subnet_ids).apply(
            lambda ids: list(ids) if mode == "CLUSTER_MULTI_AZ" else first_subnet(list(ids)))
        security_group = managed.security_group(name, args, [port, MANAGEMENT_PORT],
                                                 parent=self)
        admin = password(f"{name}-admin", parent=self)
        day, time = managed.maintenance_start(args.stores.maintenance_window)
        self.broker = aws.mq.Broker(
            f"{name}-broker", broker_name=identifier, engine_type="RabbitMQ",
            engine_version=args.version, host_instance_type=args.size,
            deployment_mode=mode, publicly_accessible=False, subnet_ids=subnets,
            security_groups=[security_group.id], authentication_strategy="simple",
            storage_type="ebs", auto_minor_version_upgrade=True, apply_immediately=False,
            users=[aws.mq.BrokerUserArgs(username=bootstrap.MASTER_USER,
                                         password=admin.result)],
            logs=aws.mq.BrokerLogsArgs(general=True),
            maintenance_window_start_time=aws.mq.BrokerMaintenanceWindowStartTimeArgs(
                day_of_week=day, time_of_day=time, time_zone="UTC"),
            tags=managed.tags(args, identifier),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        self.host = self.broker.instances.apply(_host)

        passwords = {g.key: password(f"{name}-{g.key}", parent=self) for g in grant_list}
        services = [g.key for g in grant_list]

        def render(values: list) -> dict[str, str]:
            host, admin_password, *secrets = values
            files = {"netrc": bootstrap.rabbitmq_netrc(host, bootstrap.MASTER_USER,
                                                       admin_password)}
            for g, secret in zip(grant_list, secrets, strict=True):
                files[f"user-{g.user}.json"] = bootstrap.rabbitmq_user(secret)
            return files

        files = pulumi.Output.all(self.host, admin.result,
                                  *[passwords[s].result for s in services]).apply(render)
        self.job = bootstrap.create(
            name, args, kind="rabbitmq", grant_list=grant_list, files=files,
            ports=[MANAGEMENT_PORT], parent=self,
            command=["sh", "-c", bootstrap.rabbitmq_script(
                grant_list, "quorum" if mode == "CLUSTER_MULTI_AZ" else "classic")],
            env={"MQ_HOST": self.host}, store_id=self.broker.id)
        self.connections = {
            g.key: Connection(host=self.host, port=port, username=g.user,
                                  password=passwords[g.key].result, database=None,
                                  tls=True, extra={"VHOST": g.database or "/"},
                                  ready=(self.job,), store_id=identifier)
            for g in grant_list}
        self.register({"brokerName": identifier, "host": self.host, "port": port})


def _host(instances: list | None) -> str | None:
    """The broker's host, from its AMQPS endpoint (a cluster has one, behind its NLB)."""
    for instance in instances or []:
        endpoints = instance.get("endpoints") if isinstance(instance, dict) \
            else getattr(instance, "endpoints", None)
        for endpoint in endpoints or []:
            if endpoint.startswith("amqps://"):
                return managed.host_of(endpoint)
    return None
