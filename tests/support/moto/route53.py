"""Route53 in moto: hosted zones, records and query logging configurations."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import _Invalid, drop_none, handles, require, tag_list

ROUTE53_RECORD_TYPES = frozenset({"A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS",
                                  "PTR", "SOA", "SPF", "SRV", "SSHFP", "SVCB", "TLSA", "TXT"})


class Route53(MotoBase):
    """Route53 hosted zones and records."""

    @handles("aws:route53/zone:Zone")
    def _route53_zone(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        route53 = self.client("route53")
        vpcs = i.get("vpcs") or []
        zone = route53.create_hosted_zone(**drop_none(
            Name=i.get("name") or name,
            CallerReference=f"pulumi-{name}-{_digest(self.account_id, name, length=12)}",
            HostedZoneConfig={"Comment": i.get("comment", "Managed by Pulumi"),
                              "PrivateZone": bool(vpcs)},
            VPC={"VPCId": vpcs[0]["vpcId"], "VPCRegion": vpcs[0].get("vpcRegion", self.region)}
            if vpcs else None,
            DelegationSetId=i.get("delegationSetId")))
        zone_id = zone["HostedZone"]["Id"].removeprefix("/hostedzone/")
        if i.get("tags"):
            route53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id,
                                             AddTags=tag_list(i["tags"]))
        name_servers = sorted(zone.get("DelegationSet", {}).get("NameServers", []))
        return zone_id, {
            "zoneId": zone_id, "name": (i.get("name") or name).rstrip("."),
            "nameServers": name_servers,
            "primaryNameServer": name_servers[0] if name_servers else None,
            "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
            "comment": i.get("comment", "Managed by Pulumi"),
        }

    @handles("aws:route53/record:Record")
    def _route53_record(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        route53 = self.client("route53")
        zone_id = str(i.get("zoneId", "")).removeprefix("/hostedzone/")
        zone_name = route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"].rstrip(".")
        record_type = i.get("type", "")
        require(record_type in ROUTE53_RECORD_TYPES, "InvalidInput",
                f"record type {record_type!r}")
        # Like the provider: a name outside the zone is relative to it.
        fqdn = str(i.get("name", "")).rstrip(".").lower()
        if not fqdn.endswith(zone_name):
            fqdn = f"{fqdn}.{zone_name}" if fqdn else zone_name
        values = [str(v) for v in i.get("records") or []]
        if record_type == "TXT":
            values = [v if v.startswith('"') else f'"{v}"' for v in values]
        for value in values if record_type in ("A", "AAAA") else []:
            try:
                address = ipaddress.ip_address(value)
            except ValueError as e:
                raise _Invalid("InvalidChangeBatch", f"{value!r} is not an IP address") from e
            require(address.version == (4 if record_type == "A" else 6), "InvalidChangeBatch",
                    f"{value!r} is not an IPv{4 if record_type == 'A' else 6} address")
        aliases = i.get("aliases") or []
        require(bool(aliases) != bool(values), "InvalidInput",
                "a record needs either records or an alias")
        require(aliases or i.get("ttl") is not None, "InvalidInput",
                "ttl is required for a non-alias record")
        record_set = drop_none(
            Name=fqdn, Type=record_type, TTL=i.get("ttl") if not aliases else None,
            ResourceRecords=[{"Value": v} for v in values],
            AliasTarget={"HostedZoneId": aliases[0]["zoneId"], "DNSName": aliases[0]["name"],
                         "EvaluateTargetHealth": bool(aliases[0].get("evaluateTargetHealth"))}
            if aliases else None,
            SetIdentifier=i.get("setIdentifier"), HealthCheckId=i.get("healthCheckId"))
        action = "UPSERT" if i.get("allowOverwrite") else "CREATE"
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
            "Changes": [{"Action": action, "ResourceRecordSet": record_set}]})
        parts = [zone_id, fqdn, record_type] + ([i["setIdentifier"]]
                                               if i.get("setIdentifier") else [])
        return "_".join(parts), {"fqdn": fqdn, "name": fqdn}

    @handles("aws:route53/queryLog:QueryLog")
    def _route53_query_log(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn = i.get("cloudwatchLogGroupArn", "")
        # AWS: the log group in us-east-1, and a resource policy that lets Route53 write
        # there (moto checks neither; it wants the group's ARN as ARN:*, which AWS also takes)
        require(arn.split(":")[3:4] == ["us-east-1"], "InvalidInput",
                "the query log group must be in us-east-1")
        group = arn.removesuffix(":*").split(":log-group:", 1)[-1]
        logs = self.regional_client("logs", "us-east-1")
        allowed = False
        for policy in logs.describe_resource_policies()["resourcePolicies"]:
            for statement in json.loads(policy["policyDocument"])["Statement"]:
                resources = statement.get("Resource", [])
                resources = [resources] if isinstance(resources, str) else resources
                actions = statement.get("Action", [])
                if (statement.get("Principal", {}).get("Service") == "route53.amazonaws.com"
                        and "logs:PutLogEvents" in actions
                        and any(r.removesuffix(":*").endswith(f":log-group:{group}")
                                or r.endswith(":log-group:/aws/route53/*") for r in resources)):
                    allowed = True
        require(allowed, "InsufficientCloudWatchLogsResourcePolicy",
                "no resource policy lets Route53 write to the log group")
        config = self.client("route53").create_query_logging_config(
            HostedZoneId=i.get("zoneId", ""),
            CloudWatchLogsLogGroupArn=arn if arn.endswith(":*") else f"{arn}:*")
        config_id = config["QueryLoggingConfig"]["Id"]
        return config_id, {"arn": f"arn:aws:route53:::queryloggingconfig/{config_id}"}
