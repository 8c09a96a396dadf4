"""shipyard: the program `pulumi up` runs. Settings in, components out, outputs exported."""

import pulumi

from components.addons.addons import Addons
from components.applications import Applications
from components.cluster import Cluster
from components.dns import QUERY_LOG_REGION, Dns
from components.existing_cluster import ExistingCluster
from components.log_storage import LogStorage
from components.network import Network
from components.registry import Registry
from components.stores.shared import SharedStores
from compose import platform
from compose.addons import addons_args
from compose.applications import applications_args
from compose.stores import shared_stores_args
from shipyard.config.cluster import ClusterMode
from shipyard.config.load import load_settings

settings = load_settings()  # raises SettingsError before any resource is registered
for note in settings.notes:
    pulumi.log.info(note)

# the keys the stack's CloudWatch log groups are encrypted with
log_args = platform.log_storage_args(settings)
logs = LogStorage("logs", log_args) if log_args is not None else None
logs_key = logs.key_arn(settings.region) if logs is not None else None

if settings.cluster.mode is ClusterMode.EKS:
    network = Network("network", platform.network_args(settings, logs_key))
    cluster = Cluster("cluster", platform.cluster_args(settings, network.private_subnet_ids,
                                                       logs_key))
else:
    network = None
    cluster = ExistingCluster("cluster", platform.existing_cluster_args(settings))

registry = Registry("registry", platform.registry_args(settings))
dns_args = platform.dns_args(
    settings, logs.key_arn(QUERY_LOG_REGION) if logs is not None else None)
dns = Dns("dns", dns_args) if dns_args is not None else None

ctx = platform.cluster_context(settings, cluster, network, dns, logs)
addon_args = addons_args(settings, ctx)
addons = Addons("addons", addon_args)
# the managed stores the applications share (stores.placement: shared), one per engine
shared_args = shared_stores_args(settings, ctx)
stores = SharedStores("stores", shared_args) if shared_args is not None else None
apps = Applications("apps", applications_args(settings, ctx, addon_args, {
    image: repo.repository_url for image, repo in registry.repositories.items()}), addons,
    shared=stores)

pulumi.export("environment", settings.environment.value)
pulumi.export("region", settings.region)
if network is not None:
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("availabilityZones", network.availability_zones)
    pulumi.export("publicSubnetIds", network.public_subnet_ids)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
    pulumi.export("isolatedSubnetIds", network.isolated_subnet_ids)
    pulumi.export("natGatewayIds", network.nat_gateway_ids)
    if network.nat_instances:
        pulumi.export("natInstanceIds", network.nat_instance_ids)
if isinstance(cluster, Cluster):
    pulumi.export("clusterName", cluster.name)
    pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("repositoryUrls", registry.repository_urls)
pulumi.export("applicationUrls", apps.urls)
# where CI uploads each application's static assets, and the distribution to invalidate
pulumi.export("cdnUrls", apps.cdn_urls)
pulumi.export("cdnBuckets", apps.cdn_buckets)
pulumi.export("cdnDistributionIds", apps.cdn_distribution_ids)
if addons.monitoring is not None:
    # the UI's address, or how to reach it where it is not exposed (prod by default)
    pulumi.export("grafanaUrl", addons.monitoring.grafana_url or
                  "http://localhost:3000 after: kubectl -n monitoring port-forward "
                  "svc/monitoring-grafana 3000:80")
    pulumi.export("grafanaAdminPassword", addons.monitoring.grafana_admin_password)
if addons.argocd is not None and addons.argocd.url:
    pulumi.export("argocdUrl", addons.argocd.url)
if addons.kiali is not None and addons.kiali.url:
    pulumi.export("kialiUrl", addons.kiali.url)
if dns is not None:
    pulumi.export("zoneId", dns.zone_id)
    pulumi.export("zoneName", dns.zone_name)
    pulumi.export("nameServers", dns.name_servers)
