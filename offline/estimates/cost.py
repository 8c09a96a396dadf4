"""An offline monthly cost estimate for a Plan, from the price table in ``prices.json``.

``estimate_cost(plan)`` reads each resource's captured inputs (instance types × desired count, NAT
gateways, interface endpoints × AZs, log groups, …) and prices them at us-east-1 on-demand list
prices for 730 hours a month. Usage-dependent charges (NAT data, log ingestion, registry storage,
load balancer capacity units) use the nominal volumes stated in the table's ``assumptions``.
Whatever it cannot price is listed in ``CostEstimate.assumptions``: never silently zero.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from offline.estimates.apportion import ByApplication, by_application
from offline.estimates.capacity import capacity
from offline.estimates.store_costs import StorePricers
from offline.estimates.volumes import chart_volumes
from offline.harness import Plan, ResourceRecord
from shipyard.rules.aws_names import STORE_TAG

PRICES_FILE = Path(__file__).with_name("prices.json")

# Breakdown order for the printout.
COMPONENTS = ("EKS control plane", "nodes", "EBS volumes", "NAT gateways", "NAT instance",
              "EC2 instances", "public IPv4", "load balancers", "endpoints", "data stores", "storage", "logs", "KMS", "DNS",
              "CDN", "registry", "events")

NLB_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-type"
# Any of these on a Gateway or Service asks for an AWS load balancer: the load balancer
# controller's (aws-load-balancer-type) or EKS Auto Mode's (shipyard gives its Services the
# class eks.amazonaws.com/nlb and the other annotations, not that one).
NLB_ANNOTATION_PREFIX = "service.beta.kubernetes.io/aws-load-balancer-"
# Burstable (T) instance families: CPU credits above a baseline
BURSTABLE = ("t2.", "t3.", "t3a.", "t4g.")
# What an EKS Auto Mode cluster's load-dependent nodes are counted as (automode.* assumptions).
AUTO_MODE_NOMINAL_TYPE = "m6i.large"

# Types with no charge of their own (their cost, if any, is carried by a priced resource).
NO_CHARGE_TYPES = frozenset({
    "aws:acm/certificate:Certificate",  # public ACM certificates are free
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:cloudwatch/eventTarget:EventTarget",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/flowLog:FlowLog",  # priced through its CloudWatch log group
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/launchTemplate:LaunchTemplate",  # priced through its node group's volumes
    "aws:ec2/route:Route",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:eks/accessEntry:AccessEntry",
    "aws:eks/addon:Addon",  # EKS add-ons have no charge; their pods run on the priced nodes
    "aws:eks/podIdentityAssociation:PodIdentityAssociation",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/policy:Policy",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/alias:Alias",
    "aws:route53/record:Record",  # queries are usage; alias queries to AWS resources are free
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
    "aws:s3/bucketVersioning:BucketVersioning",  # versions are priced as the bucket's storage
    # a bucket's configuration: no charge of its own
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    # server access log delivery is free; the logs are priced as the log bucket's storage
    "aws:s3/bucketLogging:BucketLogging",
    # Route53 query logging and DNSSEC: no charge of their own (the log group and the KMS key
    # are priced)
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    "aws:route53/queryLog:QueryLog",
    "aws:route53/keySigningKey:KeySigningKey",
    "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec",
    # the ends of a log delivery: priced through the delivery
    "aws:cloudwatch/logDeliverySource:LogDeliverySource",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
    "aws:cloudfront/originAccessControl:OriginAccessControl",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:elasticache/subnetGroup:SubnetGroup",
    "aws:elasticache/parameterGroup:ParameterGroup",
    "aws:elasticache/user:User",  # RBAC users and groups have no charge of their own
    "aws:elasticache/userGroup:UserGroup",
    "aws:docdb/subnetGroup:SubnetGroup",
    "aws:docdb/clusterParameterGroup:ClusterParameterGroup",
    "aws:secretsmanager/secretVersion:SecretVersion",
})
# Prefixes of types that are configuration, not billed infrastructure: Pulumi providers and
# components, Kubernetes objects (their pods run on the priced nodes), generated values.
NO_CHARGE_PREFIXES = ("pulumi:providers:", "shipyard:", "kubernetes:",
                      "random:")  # generated in Pulumi, no cloud resource


def is_nat_instance(r: ResourceRecord) -> bool:
    """An instance that forwards others' packets: source/destination check off, what makes an
    EC2 instance a NAT (VPC User Guide, "NAT instances")."""
    return r.type == "aws:ec2/instance:Instance" and r.inputs.get("sourceDestCheck") is False


class PriceTableError(Exception):
    """prices.json is missing an entry the estimate needs."""


@dataclass
class CostEstimate:
    monthly_usd: float
    items: list[dict[str, Any]]
    assumptions: list[str]
    prices_date: str
    region: str = "us-east-1"
    by_component: dict[str, float] = field(default_factory=dict)
    # per application (offline/estimates/apportion.py); None: not computed
    by_application: ByApplication | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"monthly_usd": self.monthly_usd, "items": self.items,
                               "assumptions": self.assumptions,
                               "prices_date": self.prices_date}
        if self.by_application is not None:
            out["by_application"] = self.by_application.to_json()
        return out

    def summary_lines(self) -> list[str]:
        lines = [f"estimated monthly cost: ${self.monthly_usd:,.2f} ({self.region} on-demand "
                 f"list prices of {self.prices_date}, 730 h/month)"]
        width = max((len(c) for c in self.by_component), default=0)
        for component, usd in self.by_component.items():
            lines.append(f"    {component:<{width}}  ${usd:>10,.2f}")
        if self.by_application is not None and self.by_application.applications:
            lines += ["", *self.by_application.summary_lines()]
        if self.assumptions:
            lines.append(f"  assumptions ({len(self.assumptions)}):")
            lines += [f"    - {a}" for a in self.assumptions]
        return lines


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def load_prices(path: Path = PRICES_FILE) -> dict[str, Any]:
    """The price table (cached; treat as read-only)."""
    return _load(str(path))


# ---------------------------------------------------------------------------------------------
# The estimator

# Resource type -> the _Estimator method that prices it.
PRICERS: dict[str, str] = {
    "aws:eks/cluster:Cluster": "eks_cluster",
    "aws:eks/nodeGroup:NodeGroup": "node_group",
    "aws:ec2/natGateway:NatGateway": "nat_gateway",
    "aws:ec2/eip:Eip": "eip",
    "aws:ec2/instance:Instance": "ec2_instance",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpc_endpoint",
    "aws:cloudwatch/logGroup:LogGroup": "log_group",
    "aws:kms/key:Key": "kms_key",
    "aws:route53/zone:Zone": "zone",
    "aws:ecr/repository:Repository": "ecr_repository",
    "aws:sqs/queue:Queue": "sqs_queue",
    "aws:cloudwatch/eventRule:EventRule": "event_rule",
    "aws:s3/bucket:Bucket": "s3_bucket",
    "aws:s3/bucketV2:BucketV2": "s3_bucket",
    "aws:cloudfront/distribution:Distribution": "cloudfront_distribution",
    "aws:rds/instance:Instance": "rds_instance",
    "aws:elasticache/replicationGroup:ReplicationGroup": "elasticache_replication_group",
    "aws:elasticache/cluster:Cluster": "elasticache_cluster",
    "aws:mq/broker:Broker": "mq_broker",
    "aws:docdb/clusterInstance:ClusterInstance": "docdb_instance",
    "aws:docdb/cluster:Cluster": "docdb_cluster",
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": "gateway",
    "kubernetes:core/v1:Service": "service",
    "kubernetes:karpenter.sh/v1:NodePool": "nodepool",
    "kubernetes:helm.sh/v3:Release": "helm_release",
    "aws:cloudwatch/logDelivery:LogDelivery": "log_delivery",
    "aws:wafv2/webAcl:WebAcl": "web_acl",
    # the in-cluster stores' volumes (dev): a StatefulSet's claims, the operators' resources
    "kubernetes:apps/v1:StatefulSet": "stateful_set",
    "kubernetes:postgresql.cnpg.io/v1:Cluster": "cnpg_cluster",
    "kubernetes:mongodbcommunity.mongodb.com/v1:MongoDBCommunity": "mongodb_community",
    "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster": "rabbitmq_cluster",
}
# Types whose resources always produce items (the rest only note assumptions or may be free).
PRICED_TYPES = frozenset(t for t in PRICERS if t.startswith("aws:")) - {
    "aws:elasticache/cluster:Cluster",
    "aws:cloudfront/distribution:Distribution"}  # usage only: noted, never an item


class _Estimator(StorePricers):
    def __init__(self, plan: Plan, table: dict[str, Any]) -> None:
        self.plan = plan
        self.table = table
        self.hours = float(table["hours_per_month"])
        self.items: list[dict[str, Any]] = []
        self.assumptions: list[str] = []
        self.by_urn = {r.urn: r for r in plan.resources}
        self.used_assumptions: set[str] = set()
        self.used_prices: set[str] = set()

    # -- table access
    def price(self, key: str) -> float:
        try:
            usd = float(self.table["prices"][key]["usd"])
        except KeyError as exc:
            raise PriceTableError(f"prices.json has no price {key!r}") from exc
        self.used_prices.add(key)
        return usd

    def has_price(self, key: str) -> bool:
        return key in self.table["prices"]

    def nominal(self, key: str) -> float:
        try:
            entry = self.table["assumptions"][key]
        except KeyError as exc:
            raise PriceTableError(f"prices.json has no assumption {key!r}") from exc
        self.used_assumptions.add(key)
        return float(entry["value"])

    # -- output
    def add(self, component: str, record: ResourceRecord, description: str, quantity: float,
            unit: str, unit_usd: float) -> None:
        self.items.append({
            "component": component, "type": record.type, "name": record.name,
            "urn": record.urn, "description": description,
            "quantity": round(quantity, 4), "unit": unit,
            "monthly_usd": round(quantity * unit_usd, 2),
        })

    def note(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)

    def deps_of_type(self, record: ResourceRecord, type_: str) -> list[ResourceRecord]:
        urns = list(record.dependencies)
        for deps in record.property_dependencies.values():
            urns += deps
        seen: dict[str, ResourceRecord] = {}
        for urn in urns:
            dep = self.by_urn.get(urn)
            if dep is not None and dep.type == type_:
                seen[urn] = dep
        return list(seen.values())

    def az_count(self) -> int:
        azs = {r.inputs.get("availabilityZone") for r in self.plan.of_type("aws:ec2/subnet:Subnet")}
        azs.discard(None)
        return max(len(azs), 1)

    # -- pricers, one per type
    def eks_cluster(self, r: ResourceRecord) -> None:
        support = str((r.inputs.get("upgradePolicy") or {}).get("supportType", "STANDARD"))
        key = "eks.control_plane.extended" if support.upper() == "EXTENDED" else \
            "eks.control_plane.standard"
        self.add("EKS control plane", r, f"EKS control plane ({support.lower()} support)",
                 self.hours, "hours", self.price(key))
        if (r.inputs.get("computeConfig") or {}).get("enabled"):
            self.auto_mode_nodes(r)

    def auto_mode_nodes(self, r: ResourceRecord) -> None:
        """EKS Auto Mode's nodes: load-dependent, counted as a nominal number of instances,
        each at its EC2 price plus Auto Mode's management fee and its ephemeral volume."""
        count = self.nominal("automode.nominal_instances")
        kind = AUTO_MODE_NOMINAL_TYPE
        self.note(f"EKS Auto Mode capacity is load-dependent: {r.name}'s nodes are counted as "
                  f"{count:g} {kind} (automode.nominal_instances)")
        self.add("nodes", r, f"{count:g} × {kind} (on-demand, EKS Auto Mode, nominal)",
                 count * self.hours, "instance-hours", self.price(f"ec2.{kind}"))
        self.add("nodes", r, f"EKS Auto Mode management fee, {count:g} × {kind}",
                 count * self.hours, "instance-hours", self.price(f"eks.auto_mode.{kind}"))
        gb = self.nominal("automode.ephemeral_gb")
        self.add("EBS volumes", r, f"{count:g} × {gb:g} GB gp3 ephemeral storage (Auto Mode "
                                   f"nodes)", count * gb, "GB-months",
                 self.price("ebs.gp3.gb_month"))

    def node_group(self, r: ResourceRecord) -> None:
        types = r.inputs.get("instanceTypes") or ["t3.medium"]
        instance_type = str(types[0])
        desired = float((r.inputs.get("scalingConfig") or {}).get("desiredSize", 0))
        capacity = str(r.inputs.get("capacityType") or "ON_DEMAND").upper()
        key = f"ec2.{instance_type}"
        if len(types) > 1:
            self.note(f"node group {r.name}: priced as its first instance type, {instance_type} "
                      f"(also allowed: {', '.join(map(str, types[1:]))})")
        if not self.has_price(key):
            self.note(f"node group {r.name}: no price for instance type {instance_type}; its "
                      f"instances are not included")
        else:
            hourly = self.price(key)
            label = "on-demand"
            if capacity == "SPOT":
                discount = self.nominal("spot.discount")
                hourly *= 1 - discount
                label = f"spot, {discount:.0%} off on-demand"
            self.add("nodes", r, f"{int(desired)} × {instance_type} ({label})",
                     desired * self.hours, "instance-hours", hourly)
            if instance_type.startswith(BURSTABLE):
                self.note(f"node group {r.name}: {instance_type} is burstable, priced as if the "
                          f"nodes' average CPU stays under its baseline; above it, unlimited "
                          f"mode (T3's and T4g's default, Spot's too) bills surplus CPU "
                          f"credits by usage, not included")
        # root volumes: from the launch template's block device mappings
        volumes: list[tuple[float, str]] = []
        for template in self.deps_of_type(r, "aws:ec2/launchTemplate:LaunchTemplate"):
            for mapping in template.inputs.get("blockDeviceMappings") or []:
                ebs = mapping.get("ebs") or {}
                if ebs.get("volumeSize") is not None:
                    volumes.append((float(ebs["volumeSize"]), str(ebs.get("volumeType", "gp3"))))
        if not volumes:
            size = r.inputs.get("diskSize")
            if size is None:
                size = self.nominal("ebs.default_root_gb")
            volumes = [(float(size), "gp3")]
        for size, volume_type in volumes:
            key = f"ebs.{volume_type}.gb_month"
            if not self.has_price(key):
                self.note(f"node group {r.name}: no price for EBS {volume_type}; volumes not "
                          f"included")
                continue
            self.add("EBS volumes", r, f"{int(desired)} × {size:g} GB {volume_type} root volume",
                     desired * size, "GB-months", self.price(key))

    def nat_gateway(self, r: ResourceRecord) -> None:
        kind = "private NAT gateway" if r.inputs.get("connectivityType") == "private" else \
            "NAT gateway"
        self.add("NAT gateways", r, kind, self.hours, "hours", self.price("nat_gateway.hour"))
        gb = self.nominal("nat_gateway.gb_per_gateway_month")
        self.add("NAT gateways", r, f"NAT data processed (nominal {gb:g} GB)", gb, "GB",
                 self.price("nat_gateway.gb"))

    def eip(self, r: ResourceRecord) -> None:
        for_nat = any(r.urn in self.deps_urns(n)
                      for n in self.plan.of_type("aws:ec2/natGateway:NatGateway"))
        nat_instance = any(is_nat_instance(i)
                           for i in self.deps_of_type(r, "aws:ec2/instance:Instance"))
        component = "NAT gateways" if for_nat else \
            "NAT instance" if nat_instance else "public IPv4"
        what = "public IPv4 address of a NAT gateway" if for_nat else \
            "Elastic IP of the NAT instance (public IPv4)" if nat_instance else \
            "Elastic IP (public IPv4)"
        self.add(component, r, what, self.hours, "address-hours", self.price("public_ipv4.hour"))

    def ec2_instance(self, r: ResourceRecord) -> None:
        """An EC2 instance (shipyard's NAT instance): its type's hourly price, its root volume
        from its launch template. A NAT instance has no data-processing charge (a NAT gateway's
        is $0.045/GB); its data transfer out is usage, as a gateway's."""
        kind = str(r.inputs.get("instanceType") or "?")
        nat = is_nat_instance(r)
        component = "NAT instance" if nat else "EC2 instances"
        if not self.has_price(f"ec2.{kind}"):
            self.note(f"instance {r.name}: no price for instance type {kind}; it is not included")
        else:
            self.add(component, r, f"{kind} (on-demand){', NAT' if nat else ''}", self.hours,
                     "instance-hours", self.price(f"ec2.{kind}"))
        if nat:
            self.note("NAT instance: no data-processing charge (a NAT gateway's is per GB); "
                      "internet data transfer out is billed by usage, as for a NAT gateway, "
                      "and not included")
        credits = str((r.inputs.get("creditSpecification") or {}).get("cpuCredits") or "")
        if kind.startswith("t") and credits != "standard":
            self.note(f"instance {r.name}: a burstable {kind} in unlimited mode may add "
                      f"surplus CPU credits, billed by usage, not included")
        for template in self.deps_of_type(r, "aws:ec2/launchTemplate:LaunchTemplate"):
            for mapping in template.inputs.get("blockDeviceMappings") or []:
                ebs = mapping.get("ebs") or {}
                if ebs.get("volumeSize") is None:
                    continue
                volume_type = str(ebs.get("volumeType", "gp3"))
                self.add("EBS volumes", r, f"{float(ebs['volumeSize']):g} GB {volume_type} root "
                                           f"volume ({r.name})", float(ebs["volumeSize"]),
                         "GB-months", self.price(f"ebs.{volume_type}.gb_month"))

    def deps_urns(self, record: ResourceRecord) -> set[str]:
        urns = set(record.dependencies)
        for deps in record.property_dependencies.values():
            urns.update(deps)
        return urns

    def _nlb(self, r: ResourceRecord, annotations: dict[str, Any], what: str) -> None:
        self.add("load balancers", r, f"Network Load Balancer for {what}", self.hours, "hours",
                 self.price("nlb.hour"))
        nlcu = self.nominal("nlb.nlcu")
        self.add("load balancers", r, f"NLB capacity (nominal {nlcu:g} NLCU)",
                 nlcu * self.hours, "NLCU-hours", self.price("nlb.nlcu_hour"))
        scheme = str(annotations.get("service.beta.kubernetes.io/aws-load-balancer-scheme", ""))
        if scheme == "internet-facing":
            azs = self.az_count()
            self.add("load balancers", r, f"public IPv4 of the internet-facing NLB ({azs} AZs)",
                     azs * self.hours, "address-hours", self.price("public_ipv4.hour"))

    def gateway(self, r: ResourceRecord) -> None:
        spec = r.inputs.get("spec") or {}
        annotations = (spec.get("infrastructure") or {}).get("annotations") or {}
        if any(str(k).startswith(NLB_ANNOTATION_PREFIX) for k in annotations):
            name = (r.inputs.get("metadata") or {}).get("name", r.name)
            self._nlb(r, annotations, f"Gateway {name}")
        else:
            self.note(f"Gateway {r.name}: no AWS load balancer annotations; any load balancer "
                      f"its controller creates is not included")

    def service(self, r: ResourceRecord) -> None:
        spec = r.inputs.get("spec") or {}
        if spec.get("type") != "LoadBalancer":
            return
        annotations = (r.inputs.get("metadata") or {}).get("annotations") or {}
        name = (r.inputs.get("metadata") or {}).get("name", r.name)
        self._nlb(r, annotations, f"Service {name}")

    def vpc_endpoint(self, r: ResourceRecord) -> None:
        kind = str(r.inputs.get("vpcEndpointType", "Gateway"))
        service = str(r.inputs.get("serviceName", "")).split(".", 3)[-1]
        if kind != "Interface":
            self.add("endpoints", r, f"gateway endpoint {service} (no charge)", 1, "endpoints",
                     self.price("vpc_endpoint.gateway"))
            return
        subnets = set(map(str, r.inputs.get("subnetIds") or []))
        if not subnets or any(s.startswith("[") for s in subnets):
            subnets = set(r.property_dependencies.get("subnetIds") or [])
        azs = max(len(subnets), 1)
        self.add("endpoints", r, f"interface endpoint {service} in {azs} AZs", azs * self.hours,
                 "AZ-hours", self.price("vpc_endpoint.interface.az_hour"))
        gb = self.nominal("vpc_endpoint.gb_per_endpoint_month")
        self.add("endpoints", r, f"interface endpoint data (nominal {gb:g} GB)", gb, "GB",
                 self.price("vpc_endpoint.interface.gb"))

    def log_group(self, r: ResourceRecord) -> None:
        # a managed database's exported log is far smaller than flow or control-plane logs
        store = STORE_TAG in (r.inputs.get("tags") or {})
        gb = self.nominal("logs.store_ingest_gb_per_group_month" if store
                          else "logs.ingest_gb_per_group_month")
        name = r.inputs.get("name", r.name)
        self.add("logs", r, f"log ingestion {name} (nominal {gb:g} GB)", gb, "GB",
                 self.price("logs.ingest_gb"))
        days = r.inputs.get("retentionInDays")
        if days:
            months = float(days) / (self.hours / 24)
            kept = f"{int(days)}-day retention"
        else:
            months = self.nominal("logs.never_expire_months")
            kept = f"no retention: counted as {months:g} months"
            self.note(f"log group {name} never expires; its storage is counted at {months:g} "
                      f"months of ingestion and keeps growing")
        self.add("logs", r, f"log storage {name} ({kept})", gb * months, "GB-months",
                 self.price("logs.storage_gb_month"))

    def kms_key(self, r: ResourceRecord) -> None:
        what = r.inputs.get("description") or r.name
        self.add("KMS", r, f"KMS key: {what}", 1, "key-months", self.price("kms.key_month"))
        if r.inputs.get("enableKeyRotation"):
            self.note("KMS keys with rotation: priced for their first year; each yearly "
                      "rotation adds $1/month per key (AWS caps this after the second rotation)")

    def zone(self, r: ResourceRecord) -> None:
        self.add("DNS", r, f"hosted zone {r.inputs.get('name', r.name)}", 1, "zone-months",
                 self.price("route53.hosted_zone_month"))
        self.note("Route 53 queries are usage-based and not included (alias queries to AWS "
                  "resources are free)")

    def ecr_repository(self, r: ResourceRecord) -> None:
        gb = self.nominal("ecr.gb_per_repository")
        self.add("registry", r, f"ECR {r.inputs.get('name', r.name)} (nominal {gb:g} GB)", gb,
                 "GB-months", self.price("ecr.storage_gb_month"))

    def sqs_queue(self, r: ResourceRecord) -> None:
        self.add("events", r, "SQS queue (nominal volume within the free 1M requests)", 1,
                 "queue-months", self.price("sqs.queue_month"))

    def event_rule(self, r: ResourceRecord) -> None:
        self.add("events", r, "EventBridge rule on AWS service events (no charge)", 1,
                 "rule-months", self.price("eventbridge.rule_month"))

    def s3_bucket(self, r: ResourceRecord) -> None:
        gb = self.nominal("s3.gb_per_bucket")
        self.add("storage", r, f"S3 Standard (nominal {gb:g} GB)", gb, "GB-months",
                 self.price("s3.standard.gb_month"))

    def web_acl(self, r: ResourceRecord) -> None:
        rules = len(r.inputs.get("rules") or [])
        self.add("CDN", r, f"WAF web ACL {r.inputs.get('name', r.name)}", 1, "ACL-months",
                 self.price("waf.web_acl_month"))
        self.add("CDN", r, f"WAF rules ({rules}: managed rule groups and the rate limit)",
                 rules, "rule-months", self.price("waf.rule_month"))
        requests = self.nominal("waf.million_requests_month")
        self.add("CDN", r, f"WAF requests (nominal {requests:g} million)", requests,
                 "million requests", self.price("waf.million_requests"))

    def log_delivery(self, r: ResourceRecord) -> None:
        gb = self.nominal("cdn.access_log_gb_per_distribution_month")
        self.add("logs", r, f"CloudFront access logs delivered to S3 (nominal {gb:g} GB)", gb,
                 "GB", self.price("logs.vended_s3_gb"))

    def cloudfront_distribution(self, r: ResourceRecord) -> None:
        self.note("CloudFront distributions have no fixed monthly price: requests and data "
                  "transfer out are billed by usage (https://aws.amazon.com/cloudfront/"
                  "pricing/), not included")

    def nodepool(self, r: ResourceRecord) -> None:
        limits = ((r.inputs.get("spec") or {}).get("limits") or {})
        bound = f" (up to {limits.get('cpu')} vCPU)" if limits.get("cpu") else ""
        self.note(f"Karpenter capacity is load-dependent: NodePool {r.name}{bound} is not "
                  f"priced; only the managed node groups' desired size is")

    def helm_release(self, r: ResourceRecord) -> None:
        self.note("Helm charts' templates are not rendered offline: the volumes their values "
                  "ask for are priced (volumeClaimTemplate, persistence.size, "
                  "dataStorage.requestedSize, times the replicas beside them); anything else a "
                  "chart creates by itself is not (the ingress Gateway's NLB is priced from the "
                  "Gateway)")
        chart = str(r.inputs.get("chart", "")).rsplit("/", 1)[-1]
        for path, gib, count in chart_volumes(r.inputs.get("values") or {}):
            self.add("EBS volumes", r, f"{chart}: {count} × {gib:g} GiB gp3 ({path})",
                     count * gib, "GB-months", self.price("ebs.gp3.gb_month"))

    # -- dispatch
    def run(self) -> CostEstimate:
        unpriced: Counter[str] = Counter()
        for record in self.plan.resources:
            method = PRICERS.get(record.type)
            if method is not None:
                getattr(self, method)(record)
            elif record.type not in NO_CHARGE_TYPES and \
                    not record.type.startswith(NO_CHARGE_PREFIXES):
                unpriced[record.type] += 1
        if unpriced:
            listed = ", ".join(f"{t} ×{n}" for t, n in sorted(unpriced.items()))
            self.note(f"not in the price table, not included: {listed}")
        # the node groups are priced, Karpenter's nodes are not: do the groups hold the pods?
        held = capacity(self.plan)
        if held is not None:
            self.note(held.summary())
        for key in sorted(self.used_assumptions):
            entry = self.table["assumptions"][key]
            self.note(f"{key} = {entry['value']:g} {entry['unit']}: {entry['basis']}")
        for key in sorted(self.used_prices):
            basis = self.table["prices"][key].get("basis")
            if basis:
                self.note(f"{key} = ${self.table['prices'][key]['usd']:g} per "
                          f"{self.table['prices'][key]['per']}: {basis}")
        # each unconfirmed price under the date it was read (an entry's own, else the table's)
        unconfirmed: dict[str, list[str]] = {}
        for k in sorted(self.used_prices):
            entry = self.table["prices"][k]
            if not entry.get("confirmed"):
                unconfirmed.setdefault(str(entry.get("date", self.table["date"])), []).append(k)
        if unconfirmed:
            self.note("list prices not re-confirmed: " + "; ".join(
                f"read on {date}: {', '.join(keys)}" for date, keys in sorted(unconfirmed.items())))
        by_component: dict[str, float] = {}
        for component in COMPONENTS:
            total = sum(i["monthly_usd"] for i in self.items if i["component"] == component)
            if any(i["component"] == component for i in self.items):
                by_component[component] = round(total, 2)
        total = round(sum(i["monthly_usd"] for i in self.items), 2)
        return CostEstimate(monthly_usd=total, items=self.items, assumptions=self.assumptions,
                            prices_date=str(self.table["date"]),
                            region=str(self.table.get("region", "us-east-1")),
                            by_component=by_component,
                            by_application=by_application(
                                self.plan, self.items, float(self.table["prices"][
                                    "kms.key_month"]["usd"])))


def estimate_cost(plan: Plan, prices: dict[str, Any] | None = None) -> CostEstimate:
    """The estimated monthly cost of ``plan`` at the price table's list prices."""
    return _Estimator(plan, prices if prices is not None else load_prices()).run()
