"""shipyard: the program `pulumi up` runs. Settings in, components out, outputs exported."""

import pulumi

from components.network import Network, NetworkArgs
from shipyard.settings import load_settings

settings = load_settings()  # raises SettingsError before any resource is registered

network = Network("network", NetworkArgs.from_settings(settings))

pulumi.export("environment", settings.environment.value)
pulumi.export("region", settings.region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("availabilityZones", network.availability_zones)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("isolatedSubnetIds", network.isolated_subnet_ids)
pulumi.export("natGatewayIds", network.nat_gateway_ids)
