"""Offline stand-ins for the cloud: Pulumi ``Mocks`` that answer like the providers would.

``EchoMocks`` returns each resource's inputs as its state plus the ids and ARNs AWS would assign
(deterministic, derived from the resource's name), and answers the invokes shipyard makes. An
invoke it does not know is an error, never an empty answer.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"

# Resource type -> (id prefix, ARN resource part). ``{id}`` and ``{name}`` are filled in.
_AWS_IDS: dict[str, tuple[str, str | None]] = {
    "aws:ec2/vpc:Vpc": ("vpc-", "vpc/{id}"),
    "aws:ec2/subnet:Subnet": ("subnet-", "subnet/{id}"),
    "aws:ec2/internetGateway:InternetGateway": ("igw-", "internet-gateway/{id}"),
    "aws:ec2/eip:Eip": ("eipalloc-", "elastic-ip/{id}"),
    "aws:ec2/natGateway:NatGateway": ("nat-", "natgateway/{id}"),
    "aws:ec2/routeTable:RouteTable": ("rtb-", "route-table/{id}"),
    "aws:ec2/route:Route": ("r-", None),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("rtbassoc-", None),
    "aws:ec2/securityGroup:SecurityGroup": ("sg-", "security-group/{id}"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("sg-", "security-group/{id}"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("sgr-", None),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("sgr-", None),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpce-", "vpc-endpoint/{id}"),
    "aws:ec2/flowLog:FlowLog": ("fl-", "vpc-flow-log/{id}"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("lt-", "launch-template/{id}"),
    "aws:ec2/instance:Instance": ("i-", "instance/{id}"),
    "aws:kms/key:Key": ("", "key/{id}"),
    "aws:kms/alias:Alias": ("alias/", None),
    "aws:acm/certificate:Certificate": ("", "certificate/{id}"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ("", None),
    "aws:eks/nodeGroup:NodeGroup": ("", None),
    "aws:eks/addon:Addon": ("", None),
}


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def bucket_name(name: str, inputs: dict[str, Any], stack: str = "") -> str:
    """An S3 bucket's name as the provider would choose it: ``bucket``, else ``bucketPrefix``
    plus 26 unique characters, else the resource name plus a 7-character suffix."""
    if inputs.get("bucket"):
        return str(inputs["bucket"])
    if inputs.get("bucketPrefix"):
        return str(inputs["bucketPrefix"]) + _digest(stack, name, length=26)
    return f"{name}-{_digest(stack, name, length=7)}"


def _service(type_: str) -> str:
    return type_.split(":")[1].split("/")[0]


def _secret(value: Any) -> dict[str, Any]:
    """A value in the wire form of a secret: the resource's Output comes back secret."""
    from pulumi.runtime.rpc import _special_secret_sig, _special_sig_key
    return {_special_sig_key: _special_secret_sig, "value": value}


class EchoMocks(pulumi.runtime.Mocks):
    """Inputs in, inputs plus AWS-shaped ids and ARNs out; deterministic across runs."""

    def __init__(self, region: str = "us-east-1", account_id: str = ACCOUNT_ID) -> None:
        self.region = region
        self.account_id = account_id

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", state
        prefix, arn_part = _AWS_IDS.get(args.typ, ("", None))
        resource_id = prefix + _digest(pulumi.get_stack(), args.typ, args.name)
        if args.typ == "aws:s3/bucket:Bucket":
            resource_id = state["bucket"] = bucket_name(args.name, state, pulumi.get_stack())
        if args.typ.startswith("aws:"):
            self._add_aws_fields(args.typ, args.name, resource_id, arn_part, state)
        if args.typ == "random:index/randomId:RandomId":
            raw = _digest(pulumi.get_stack(), args.name, length=2 * int(state["byteLength"]))
            state.update({"hex": raw, "dec": str(int(raw, 16)), "id": raw})
        if args.typ == "random:index/randomPassword:RandomPassword":
            # a stand-in the secret-scanning tests can look for, secret as the engine makes it
            # (the provider's schema lists result and bcryptHash as additionalSecretOutputs,
            # which the engine applies and mocks otherwise would not)
            state["result"] = _secret("mock-password-" + _digest(pulumi.get_stack(), args.name))
            state["bcryptHash"] = _secret("$2a$10$" + _digest(args.name, "bcrypt"))
        return resource_id, state

    def _add_aws_fields(self, typ: str, name: str, resource_id: str, arn_part: str | None,
                        state: dict[str, Any]) -> None:
        service = _service(typ)
        region, account = self.region, self.account_id
        if typ == "aws:iam/role:Role":
            state.setdefault("name", name)
            state["arn"] = f"arn:aws:iam::{account}:role/{state['name']}"
            state["uniqueId"] = "AROA" + _digest(name, length=17).upper()
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            state.setdefault("name", name)
            state["arn"] = (f"arn:aws:logs:{state.get('region') or region}:{account}:"
                            f"log-group:{state['name']}")
        elif arn_part is not None:
            state["arn"] = f"arn:aws:{service}:{region}:{account}:" + arn_part.format(
                id=resource_id, name=name)
        if typ == "aws:kms/key:Key":
            state["keyId"] = resource_id
            state["arn"] = (f"arn:aws:kms:{state.get('region') or region}:{account}:"
                            f"key/{resource_id}")
        if typ == "aws:route53/keySigningKey:KeySigningKey":
            state["dsRecord"] = f"12345 13 2 {_digest(name, length=64).upper()}"
        if typ == "aws:cloudfront/distribution:Distribution":
            state.update({"arn": f"arn:aws:cloudfront::{account}:distribution/{resource_id}",
                          "domainName": f"{resource_id.lower()}.cloudfront.net",
                          "hostedZoneId": "Z2FDTNDATAQYW2"})
        if typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state["latestVersion"] = 1
            state["defaultVersion"] = 1
        if typ == "aws:eks/cluster:Cluster":
            cluster = state.get("name", name)
            oidc_id = _digest(cluster, length=32).upper()
            state.update({
                "name": cluster,
                "arn": f"arn:aws:eks:{region}:{account}:cluster/{cluster}",
                "endpoint": f"https://{oidc_id}.gr7.{region}.eks.amazonaws.com",
                "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="},
                "identities": [{"oidcs": [{
                    "issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc_id}"}]}],
                "vpcConfig": {**state.get("vpcConfig", {}),
                              "clusterSecurityGroupId": "sg-" + _digest(cluster, "cluster-sg"),
                              "vpcId": "vpc-" + _digest(cluster, "vpc")},
                "status": "ACTIVE",
            })
        if typ == "aws:eks/nodeGroup:NodeGroup":
            state["arn"] = (f"arn:aws:eks:{region}:{account}:nodegroup/"
                            f"{state.get('clusterName', 'cluster')}/{name}/{resource_id}")
        if typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            host = str(state.get("url", "")).removeprefix("https://")
            state["arn"] = f"arn:aws:iam::{account}:oidc-provider/{host}"
        if typ == "aws:ecr/repository:Repository":
            repo = state.get("name", name)
            state.update({
                "name": repo, "registryId": account,
                "arn": f"arn:aws:ecr:{region}:{account}:repository/{repo}",
                "repositoryUrl": f"{account}.dkr.ecr.{region}.amazonaws.com/{repo}",
            })
        if typ == "aws:route53/zone:Zone":
            zone_id = "Z" + _digest(name, length=20).upper()
            state.update({
                "zoneId": zone_id, "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
                "nameServers": [f"ns-{i}.awsdns-{i:02d}.{tld}" for i, tld in
                                enumerate(["com", "net", "org", "co.uk"], start=1)],
            })
        if typ == "aws:s3/bucket:Bucket":
            bucket = state.get("bucket", name)
            state.update({"arn": f"arn:aws:s3:::{bucket}", "region": region,
                          "bucketDomainName": f"{bucket}.s3.amazonaws.com",
                          "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com"})
        if typ == "aws:route53/record:Record":
            state["fqdn"] = str(state.get("name", name)).rstrip(".")
        if typ == "aws:wafv2/webAcl:WebAcl":
            scope = "global" if state.get("scope") == "CLOUDFRONT" else "regional"
            state["arn"] = (f"arn:aws:wafv2:{state.get('region') or region}:{account}:{scope}/"
                            f"webacl/{state.get('name', name)}/{resource_id}")
        if typ in ("aws:cloudwatch/logDeliverySource:LogDeliverySource",
                   "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"):
            # resources with a region input of their own (pulumi_aws 7) live in that region
            kind = "delivery-source" if typ.endswith("Source") else "delivery-destination"
            state["arn"] = (f"arn:aws:logs:{state.get('region') or region}:{account}:{kind}:"
                            f"{state.get('name', name)}")
        if typ == "aws:acm/certificate:Certificate":
            domains = [state.get("domainName", name), *state.get("subjectAlternativeNames", [])]
            state["domainValidationOptions"] = [{
                "domainName": d,
                "resourceRecordName": f"_{_digest(d.lstrip('*.'), length=32)}."
                                      f"{d.lstrip('*.')}.",
                "resourceRecordType": "CNAME",
                # ACM answers *.d and d with one and the same record
                "resourceRecordValue": f"_{_digest(d.removeprefix('*.'), 'v', length=32)}"
                                       f".acm-validations.aws.",
            } for d in domains]
            state["status"] = "ISSUED"
        if typ == "aws:ec2/vpc:Vpc":
            state.setdefault("defaultSecurityGroupId", "sg-" + _digest(name, "default"))
            state.setdefault("mainRouteTableId", "rtb-" + _digest(name, "main"))
        # managed stores: the endpoints AWS assigns (the stores' Connections carry them)
        suffix = _digest(account, region, length=12)
        if typ == "aws:rds/instance:Instance":
            ident = state.get("identifier", name)
            state.update({"address": f"{ident}.c{suffix}.{region}.rds.amazonaws.com",
                          "port": state.get("port", 5432), "resourceId": "db-" + resource_id})
            state["endpoint"] = f"{state['address']}:{state['port']}"
        if typ == "aws:elasticache/replicationGroup:ReplicationGroup":
            group = f"{state.get('replicationGroupId', name)}.{suffix[:6]}.cache.amazonaws.com"
            state["primaryEndpointAddress"] = f"master.{group}"
            state["readerEndpointAddress"] = f"replica.{group}"
        if typ == "aws:docdb/cluster:Cluster":
            ident = state.get("clusterIdentifier", name)
            state["endpoint"] = f"{ident}.cluster-c{suffix}.{region}.docdb.amazonaws.com"
            state["readerEndpoint"] = f"{ident}.cluster-ro-c{suffix}.{region}.docdb.amazonaws.com"
        if typ == "aws:mq/broker:Broker":
            host = f"b-{_digest(name, length=8)}.mq.{region}.amazonaws.com"
            state["instances"] = [{"consoleUrl": f"https://{host}",
                                   "endpoints": [f"amqps://{host}:5671"]}]
        if typ == "aws:ec2/instance:Instance":
            state["primaryNetworkInterfaceId"] = "eni-" + _digest(name, "eni")
        if typ == "aws:ec2/eip:Eip":
            state["publicIp"] = "203.0.113." + str(int(_digest(name, length=2), 16) % 254 + 1)
            state["allocationId"] = resource_id
        state.setdefault("tagsAll", state.get("tags", {}))

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list]:
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            letters = "abcdef"
            return {
                "names": [f"{self.region}{c}" for c in letters],
                "zoneIds": [f"use1-az{i + 1}" for i in range(len(letters))],
                "id": self.region,
            }, []
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": self.account_id, "arn": f"arn:aws:iam::{self.account_id}:user/ci",
                    "userId": "AIDA" + _digest("ci").upper(), "id": self.account_id}, []
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if token == "aws:eks/getAddonVersion:getAddonVersion":
            # offline there is no catalogue of add-on versions: a marked stand-in that names
            # the add-on and the Kubernetes version it was asked for
            addon, kubernetes = args.args.get("addonName"), args.args.get("kubernetesVersion")
            return {"addonName": addon, "kubernetesVersion": kubernetes, "mostRecent": False,
                    "version": f"offline-default-{addon}-for-{kubernetes}",
                    "id": f"{addon}-{kubernetes}"}, []
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}, []
        raise NotImplementedError(f"the offline mocks do not answer the invoke {token}")
