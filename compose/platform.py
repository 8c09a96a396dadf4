"""The platform beneath the add-ons: network, cluster, registry, DNS, and the ClusterContext."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.addons.base import ClusterContext
from components.cluster import Cluster, ClusterArgs, NodeGroupSpec, control_plane_log_group
from components.dns import QUERY_LOG_REGION, Dns, DnsArgs, query_log_group
from components.existing_cluster import ExistingCluster, ExistingClusterArgs
from components.log_storage import LogStorage, LogStorageArgs
from components.network import Network, NetworkArgs, flow_log_group_name
from components.registry import RegistryArgs
from shipyard.config.cluster import ClusterMode, NodeGroupSettings
from shipyard.config.network import interface_endpoints
from shipyard.config.stack import Settings
from shipyard.rules import store_logs


def log_storage_args(settings: Settings) -> LogStorageArgs | None:
    """The keys of the stack's CloudWatch log groups, per region; None when it has none."""
    groups: dict[str, list[str]] = {}
    if settings.cluster.mode is ClusterMode.EKS:
        own = groups.setdefault(settings.region, [])
        own.append(control_plane_log_group(settings.cluster_name))
        if settings.network.flow_logs.enabled:
            own.append(flow_log_group_name(settings.cluster_name))
        # the managed databases' exported logs (their groups are shipyard's: encrypted, kept
        # stores.logRetentionDays)
        own += store_logs.database_log_groups(settings.cluster_name, settings.applications,
                                               settings.config.stores)
    if query_logs(settings):
        assert settings.dns.domain is not None
        groups.setdefault(QUERY_LOG_REGION, []).append(query_log_group(settings.dns.domain))
    access = settings.config.access_logs
    if not groups and not access.enabled:
        return None
    return LogStorageArgs(cluster_name=settings.cluster_name, region=settings.region,
                          log_groups=groups, access_logs=access.enabled,
                          access_log_retention_days=access.retention_days,
                          protect=settings.config.protect, tags=settings.tags)


def network_args(settings: Settings,
                 logs_key_arn: pulumi.Input[str] | None = None) -> NetworkArgs:
    net = settings.network
    layout = net.layout()
    names = net.availability_zones
    keys = list(names) if names else [f"az{i + 1}" for i in range(net.az_count)]
    return NetworkArgs(
        vpc_cidr=net.cidr,
        zones=dict(zip(keys, layout, strict=True)),
        availability_zones=names,
        nat=net.nat_gateways,
        region=settings.region,
        cluster_name=settings.cluster_name,
        flow_logs_enabled=net.flow_logs.enabled,
        flow_logs_retention_days=net.flow_logs.retention_days,
        flow_logs_traffic_type=net.flow_logs.traffic_type,
        interface_endpoints=interface_endpoints(net.interface_endpoints,
                                                settings.cluster.workload_identity),
        logs_key_arn=logs_key_arn,
        nat_instance_type=net.nat_instance_type,
        tags=settings.tags,
    )


def node_group_spec(group: NodeGroupSettings) -> NodeGroupSpec:
    return NodeGroupSpec(
        instance_types=tuple(group.instance_types), capacity_type=group.capacity_type,
        min_size=group.min_size, desired_size=group.desired_size, max_size=group.max_size,
        labels=dict(group.labels),
        taints=tuple({"key": t.key, "value": t.value, "effect": t.effect}
                     for t in group.taints),
        disk_size_gb=group.disk_size_gb, ami_type=group.ami_type)


def cluster_args(settings: Settings, subnet_ids: pulumi.Input[Sequence[str]],
                 logs_key_arn: pulumi.Input[str] | None = None,
                 egress: Sequence[pulumi.Resource] = ()) -> ClusterArgs:
    """The EKS cluster, in the network's private subnets, after their egress (``egress``)."""
    c = settings.cluster
    return ClusterArgs(
        cluster_name=settings.cluster_name, version=c.version, region=settings.region,
        subnet_ids=subnet_ids, endpoint_public_access=c.endpoint_public_access,
        public_access_cidrs=tuple(c.public_access_cidrs),
        private_access_cidrs=tuple(c.private_access_cidrs or [settings.network.cidr]),
        log_types=tuple(c.log_types),
        log_retention_days=c.log_retention_days, admins=tuple(c.admins),
        deletion_protection=c.deletion_protection,
        node_groups={k: node_group_spec(g) for k, g in c.node_groups.items()},
        workload_identity=c.workload_identity, irsa_transition=c.irsa_transition,
        auto_mode=c.auto_mode,
        logs_key_arn=logs_key_arn, prefix_delegation=c.prefix_delegation,
        egress=tuple(egress),
        protect=settings.config.protect, tags=settings.tags)


def existing_cluster_args(settings: Settings) -> ExistingClusterArgs:
    return ExistingClusterArgs(kubeconfig=settings.kubeconfig,
                               context=settings.cluster.context)


def registry_args(settings: Settings) -> RegistryArgs:
    reg = settings.registry
    return RegistryArgs(
        images=tuple(settings.images),
        name_prefix=settings.cluster_name,
        immutable_tags=reg.immutable_tags,
        keep_tagged_images=reg.keep_tagged_images,
        untagged_expiry_days=reg.untagged_expiry_days,
        push_principals=tuple(reg.push_principals),
        protect=settings.config.protect,
        tags=settings.tags,
    )


def dns_args(settings: Settings,
             query_log_key_arn: pulumi.Input[str] | None = None) -> DnsArgs | None:
    """The stack's zone and certificate; None when ``dns.enabled`` is false."""
    dns = settings.dns
    if not dns.enabled:
        return None
    if not dns.domain:
        raise ValueError("dns.enabled needs dns.domain")
    return DnsArgs(
        domain=dns.domain,
        name_prefix=settings.cluster_name,
        zone_id=dns.zone_id,
        parent_zone_id=dns.parent_zone_id,
        wildcard_certificate=dns.wildcard_certificate,
        query_logs=query_logs(settings),
        query_log_retention_days=dns.query_log_retention_days,
        query_log_key_arn=query_log_key_arn,
        dnssec=dns.dnssec,
        protect=settings.config.protect,
        tags=settings.tags,
    )


def query_logs(settings: Settings) -> bool:
    """Whether the stack's zone logs its queries: one it creates, with dns.queryLogs on (an
    adopted zone's owner logs it)."""
    dns = settings.dns
    return dns.enabled and bool(dns.domain) and dns.query_logs and not dns.zone_id


def cluster_context(settings: Settings, cluster: Cluster | ExistingCluster,
                    network: Network | None, dns: Dns | None,
                    logs: LogStorage | None = None) -> ClusterContext:
    """The cluster every add-on and tenant lands on, as plain values and Outputs."""
    eks = isinstance(cluster, Cluster)
    return ClusterContext(
        provider=cluster.provider,
        cluster_name=settings.cluster_name,
        region=settings.region,
        environment=settings.environment.value,
        eks=eks,
        auto_mode=eks and settings.cluster.auto_mode,
        identity=cluster.identity if eks else None,
        vpc_id=network.vpc_id if network is not None else None,
        database_subnet_ids=network.database_subnet_ids if network is not None else None,
        cluster_endpoint=cluster.endpoint if eks else None,
        cluster_arn=cluster.eks.arn if eks else None,
        cluster_security_group_id=cluster.cluster_security_group_id if eks else None,
        node_role_arn=cluster.node_role_arn if eks else None,
        zone_id=dns.zone_id if dns is not None else None,
        load_balancer_subnets=(*network.public_subnets.values(),
                               *network.private_subnets.values()) if network else (),
        domain=settings.dns.domain if dns is not None else None,
        access_logs=logs.access_log_target if logs is not None else None,
        logs_key_arn=logs.key_arn(settings.region) if logs is not None else None,
        tags=settings.tags,
    )
