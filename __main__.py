"""shipyard: the program `pulumi up` runs. Settings in, components out, outputs exported."""

import pulumi

from components.cluster import Cluster, ClusterArgs
from components.dns import Dns, DnsArgs
from components.existing_cluster import ExistingCluster, ExistingClusterArgs
from components.network import Network, NetworkArgs
from components.registry import Registry, RegistryArgs
from shipyard.settings import ClusterMode, load_settings

settings = load_settings()  # raises SettingsError before any resource is registered

if settings.cluster.mode is ClusterMode.EKS:
    network = Network("network", NetworkArgs.from_settings(settings))
    cluster = Cluster("cluster", ClusterArgs.from_settings(settings, network.private_subnet_ids))
else:
    network = None
    cluster = ExistingCluster("cluster", ExistingClusterArgs.from_settings(settings))

registry = Registry("registry", RegistryArgs.from_settings(settings))
dns = Dns("dns", DnsArgs.from_settings(settings)) if settings.dns.enabled else None

pulumi.export("environment", settings.environment.value)
pulumi.export("region", settings.region)
if network is not None:
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("availabilityZones", network.availability_zones)
    pulumi.export("publicSubnetIds", network.public_subnet_ids)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
    pulumi.export("isolatedSubnetIds", network.isolated_subnet_ids)
    pulumi.export("natGatewayIds", network.nat_gateway_ids)
if isinstance(cluster, Cluster):
    pulumi.export("clusterName", cluster.name)
    pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("repositoryUrls", registry.repository_urls)
if dns is not None:
    pulumi.export("zoneId", dns.zone_id)
    pulumi.export("zoneName", dns.zone_name)
    pulumi.export("nameServers", dns.name_servers)
