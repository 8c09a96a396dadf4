"""The security review's findings (issue 17), read off the plans: encrypted log groups, a key
policy on every key, lifecycle rules that abort incomplete uploads, IAM "*" only where AWS
allows nothing else, prod's cluster protected, and (docs/hardening.md) the options that cost
money, on by default in prod; and the managed databases' own (Performance Insights with its
key, Enhanced Monitoring, their logs exported into encrypted log groups, DocumentDB's audit
log)."""

from __future__ import annotations

import json

import pytest

from offline.estimates.cost import estimate_cost
from shipyard.config.base import SettingsError
from shipyard.rules import iam
from tests.support.plans import run_platform
from tests.support.settings import parse, stack_settings

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"

# Actions that take no resource-level permissions (Service Authorization Reference): "*" is the
# only resource AWS allows them. Anything else on "*" is a finding.
UNSCOPABLE = {
    "acm:ListCertificates", "iam:ListServerCertificates", "iam:ListInstanceProfiles",
    "route53:ListHostedZones", "pricing:GetProducts", "ec2:GetCoipPoolUsage",
    "ec2:GetSecurityGroupsForVpc",
}


def statements(document: str) -> list[dict]:
    doc = json.loads(document)
    found = doc["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_every_log_group_is_encrypted_with_a_logs_key_scoped_to_the_stacks_groups(stack_plan):
    keys = {k.outputs["arn"]: k for k in stack_plan.of_type(KEY)}
    groups = stack_plan.of_type(LOG_GROUP)
    assert groups
    for group in groups:
        key = keys[group.inputs["kmsKeyId"]]
        (logs,) = [s for s in statements(key.inputs["policy"])
                   if s.get("Principal", {}).get("Service", "").startswith("logs.")]
        region = logs["Principal"]["Service"].split(".")[1]
        arns = as_list(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
        assert any(a.startswith(f"arn:aws:logs:{region}:") and
                   a.endswith(f":log-group:{group.inputs['name']}") for a in arns)
        assert not [a for a in arns if a.endswith("*")]


def test_every_kms_key_states_its_policy(stack_plan):
    for key in stack_plan.of_type(KEY):
        policy = key.inputs.get("policy")
        assert policy, f"{key.name} has no explicit key policy"
        admins = [s for s in statements(policy) if s.get("Sid") == "AccountAdministers"]
        assert admins == [iam.account_administers("123456789012")], key.name


def test_every_lifecycle_rule_aborts_incomplete_multipart_uploads(stack_plan):
    lifecycles = stack_plan.of_type(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycles
    for lifecycle in lifecycles:
        for rule in lifecycle.inputs["rules"]:
            assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}, \
                (lifecycle.name, rule["id"])
    buckets = stack_plan.of_type("aws:s3/bucket:Bucket")
    configured = {u for lc in lifecycles for u in lc.property_dependencies.get("bucket", [])}
    assert {b.urn for b in buckets} <= configured


def test_iam_policies_name_resources_wherever_aws_allows(stack_plan):
    """"*" only for actions that take no resource-level permissions (each with its comment in
    the policy's function), or Describe* reads, which never do. Inline role policies and
    managed policies alike (the policy pack's IAM_POLICIES: a policy the program adds later
    is held to the same rule)."""
    policies = [*stack_plan.of_type("aws:iam/rolePolicy:RolePolicy"),
                *stack_plan.of_type("aws:iam/policy:Policy")]
    assert policies
    for policy in policies:
        for statement in statements(policy.inputs["policy"]):
            if statement["Resource"] != "*":
                continue
            for action in as_list(statement["Action"]):
                assert action.split(":")[1].startswith("Describe") or action in UNSCOPABLE, \
                    f"{policy.name}: {action} on *"


@pytest.mark.parametrize("stack,protected", [("dev", False), ("staging", False),
                                             ("prod", True)])
def test_prods_eks_cluster_is_protected(plans, stack, protected):
    (cluster,) = plans[stack].of_type("aws:eks/cluster:Cluster")
    assert cluster.options["protect"] is protected


# -- access logs (shipyard:accessLogs, prod's by default) ------------------------------------


def access_log_bucket(plan):
    (bucket,) = [b for b in plan.of_type("aws:s3/bucket:Bucket")
                 if b.inputs["tags"]["shipyard.dev/purpose"] == "access-logs"]
    return bucket


def test_prods_data_buckets_keep_server_access_logs_in_the_protected_log_bucket(prod):
    logs = access_log_bucket(prod)
    assert logs.options["protect"] is True
    loggings = {r.inputs["bucket"]: r for r in prod.of_type("aws:s3/bucketLogging:BucketLogging")}
    data = [b for b in prod.of_type("aws:s3/bucket:Bucket") if b.urn != logs.urn]
    assert {b.outputs["bucket"] for b in data} == set(loggings)
    (policy,) = [p for p in prod.of_type("aws:s3/bucketPolicy:BucketPolicy")
                 if p.inputs["bucket"] == logs.outputs["bucket"]]
    for logging in loggings.values():
        assert logging.inputs["targetBucket"] == logs.outputs["bucket"]
        assert logging.inputs["targetPrefix"] == "s3/"
        assert logging.inputs["targetObjectKeyFormat"] == {
            "partitionedPrefix": {"partitionDateSource": "EventTime"}}
        assert policy.urn in logging.dependencies   # S3 checks the target's policy
    # SSE-S3: S3 delivers no server access logs to a bucket encrypted with SSE-KMS by default
    (encryption,) = [e for e in prod.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        if e.inputs["bucket"] == logs.outputs["bucket"]]
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "AES256"}


def test_the_log_bucket_admits_only_the_two_log_services_of_this_account(prod):
    logs = access_log_bucket(prod)
    (policy,) = [p for p in prod.of_type("aws:s3/bucketPolicy:BucketPolicy")
                 if p.inputs["bucket"] == logs.outputs["bucket"]]
    allowed = {s["Principal"]["Service"]: s for s in statements(policy.inputs["policy"])
               if s["Effect"] == "Allow"}
    assert set(allowed) == {"logging.s3.amazonaws.com", "delivery.logs.amazonaws.com"}
    for statement in allowed.values():
        assert statement["Action"] == "s3:PutObject"
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert [s for s in statements(policy.inputs["policy"]) if s["Effect"] == "Deny"] == [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [logs.outputs["arn"], f"{logs.outputs['arn']}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]


def test_prods_cdns_deliver_cloudfront_access_logs_to_the_log_bucket(prod):
    logs = access_log_bucket(prod)
    distributions = prod.of_type("aws:cloudfront/distribution:Distribution")
    sources = prod.of_type("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    assert distributions
    assert sorted(s.inputs["resourceArn"] for s in sources) == sorted(
        d.outputs["arn"] for d in distributions)
    for source in sources:
        assert (source.inputs["logType"], source.inputs["region"]) == ("ACCESS_LOGS",
                                                                      "us-east-1")
    destinations = {d.outputs["arn"]: d for d in prod.of_type(
        "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")}
    deliveries = prod.of_type("aws:cloudwatch/logDelivery:LogDelivery")
    assert len(deliveries) == len(sources)
    for delivery in deliveries:
        destination = destinations[delivery.inputs["deliveryDestinationArn"]]
        assert destination.inputs["deliveryDestinationConfiguration"] == {
            "destinationResourceArn": logs.outputs["arn"]}
    estimate_items = [i for i in estimate_cost(prod).items
                      if i["type"].endswith("LogDelivery")]
    assert len(estimate_items) == len(deliveries) and estimate_items[0]["monthly_usd"] > 0


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_dev_and_staging_keep_no_access_logs(plans, stack):
    plan = plans[stack]
    assert not plan.of_type("aws:s3/bucketLogging:BucketLogging")
    assert not plan.of_type("aws:cloudwatch/logDelivery:LogDelivery")
    assert not [b for b in plan.of_type("aws:s3/bucket:Bucket")
                if b.inputs["tags"]["shipyard.dev/purpose"] == "access-logs"]


# -- the CDN's firewall (shipyard:cdn.waf, prod's by default) --------------------------------


def test_prods_distributions_sit_behind_one_waf_web_acl(prod):
    (acl,) = prod.of_type("aws:wafv2/webAcl:WebAcl")
    assert (acl.inputs["scope"], acl.inputs["region"]) == ("CLOUDFRONT", "us-east-1")
    assert acl.inputs["defaultAction"] == {"allow": {}}
    groups = [r["statement"]["managedRuleGroupStatement"]["name"] for r in acl.inputs["rules"]
              if "managedRuleGroupStatement" in r["statement"]]
    assert groups == ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                      "AWSManagedRulesAmazonIpReputationList"]
    (rate,) = [r for r in acl.inputs["rules"] if "rateBasedStatement" in r["statement"]]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    # every viewer request counts, cache hits too: a crowd behind one address gets through
    assert rate["statement"]["rateBasedStatement"]["limit"] == \
        stack_settings("prod").config.cdn.waf_rate_limit == 20000
    assert len({r["priority"] for r in acl.inputs["rules"]}) == len(acl.inputs["rules"])
    distributions = prod.of_type("aws:cloudfront/distribution:Distribution")
    assert distributions
    assert {d.inputs["webAclId"] for d in distributions} == {acl.outputs["arn"]}
    items = [i for i in estimate_cost(prod).items if i["type"] == acl.type]
    assert {i["unit"] for i in items} == {"ACL-months", "rule-months", "million requests"}


def test_the_waf_rate_limit_is_a_setting_within_what_aws_waf_takes():
    assert parse({"cdn": json.dumps({"wafRateLimit": 50000})}).config.cdn.waf_rate_limit == \
        50000
    with pytest.raises(SettingsError) as info:
        parse({"cdn": json.dumps({"wafRateLimit": 5})})
    (problem,) = info.value.problems
    assert problem.startswith("shipyard:cdn.wafRateLimit:") and "5" in problem


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_dev_and_staging_cdns_have_no_firewall(plans, stack):
    assert plans[stack].of_type("aws:wafv2/webAcl:WebAcl") == []
    assert not [d for d in plans[stack].of_type("aws:cloudfront/distribution:Distribution")
                if d.inputs.get("webAclId")]


# -- Route53: query logs (prod's by default) and DNSSEC (an option) ----------------------------


def test_prods_zone_logs_its_queries_in_us_east_1_through_a_scoped_resource_policy(prod):
    (zone,) = prod.of_type("aws:route53/zone:Zone")
    (group,) = [g for g in prod.of_type(LOG_GROUP)
                if g.inputs["name"] == f"/aws/route53/{zone.inputs['name']}"]
    assert group.inputs["region"] == "us-east-1"
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:us-east-1:")
    (policy,) = prod.of_type("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    assert policy.inputs["region"] == "us-east-1"
    assert policy.inputs["policyName"] == "shipyard-prod-route53-query-logs"
    (statement,) = statements(policy.inputs["policyDocument"])
    assert statement["Principal"] == {"Service": "route53.amazonaws.com"}
    assert statement["Resource"] == f"{group.outputs['arn']}:*"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": zone.outputs["arn"]}}
    (query_log,) = prod.of_type("aws:route53/queryLog:QueryLog")
    assert (query_log.inputs["zoneId"], query_log.inputs["cloudwatchLogGroupArn"]) == (
        zone.outputs["zoneId"], group.outputs["arn"])
    assert policy.urn in query_log.dependencies


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_dev_and_staging_log_no_queries(plans, stack):
    assert plans[stack].of_type("aws:route53/queryLog:QueryLog") == []


@pytest.fixture(scope="module")
def signed():
    return run_platform("prod", overrides={"shipyard:dns": {
        "dnssec": True, "parentZoneId": "Z0PARENT0ZONE0PROD"}})


def test_dnssec_signs_the_zone_with_a_protected_kms_key_and_publishes_its_ds(signed):
    (zone,) = signed.of_type("aws:route53/zone:Zone")
    (key,) = [k for k in signed.of_type(KEY) if k.inputs.get("keyUsage") == "SIGN_VERIFY"]
    assert (key.inputs["customerMasterKeySpec"], key.inputs["region"]) == ("ECC_NIST_P256",
                                                                           "us-east-1")
    assert key.options["protect"] is True
    service = [s for s in statements(key.inputs["policy"])
               if s.get("Principal") == {"Service": "dnssec-route53.amazonaws.com"}]
    assert {a for s in service for a in as_list(s["Action"])} == {
        "kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:CreateGrant"}
    (ksk,) = signed.of_type("aws:route53/keySigningKey:KeySigningKey")
    assert (ksk.inputs["hostedZoneId"], ksk.inputs["keyManagementServiceArn"],
            ksk.inputs["status"]) == (zone.outputs["zoneId"], key.outputs["arn"], "ACTIVE")
    (signing,) = signed.of_type("aws:route53/hostedZoneDnsSec:HostedZoneDnsSec")
    assert signing.inputs["signingStatus"] == "SIGNING"
    assert ksk.urn in signing.dependencies
    (ds,) = [r for r in signed.of_type("aws:route53/record:Record") if r.inputs["type"] == "DS"]
    assert ds.inputs["zoneId"] == "Z0PARENT0ZONE0PROD"          # the parent zone
    assert ds.inputs["records"] == [ksk.outputs["dsRecord"]]
    assert signing.urn in ds.dependencies


def test_query_logs_are_refused_for_an_adopted_zone_only_when_asked_for():
    """prod's default (on) gives way to an adopted zone; an explicit true beside zoneId is a
    settings error naming the key, as dnssec is."""
    adopted = {"zoneId": "ZADOPTED", "domain": "shipyard.example.com"}
    assert parse({"dns": json.dumps(adopted)}).dns.query_logs
    with pytest.raises(SettingsError) as info:
        parse({"dns": json.dumps({**adopted, "queryLogs": True})})
    (problem,) = info.value.problems
    assert problem.startswith("shipyard:dns.queryLogs:") and "dns.zoneId" in problem
    assert not parse({"dns": json.dumps({**adopted, "queryLogs": False})}).dns.query_logs


def test_dnssec_is_off_by_default_and_refused_for_an_adopted_zone(prod):
    assert prod.of_type("aws:route53/keySigningKey:KeySigningKey") == []
    with pytest.raises(SettingsError) as info:
        parse({"dns": json.dumps({"zoneId": "ZADOPTED", "dnssec": True,
                                  "domain": "shipyard.example.com"})})
    assert info.value.problems[0].startswith("shipyard:dns.dnssec:")


# -- the managed databases: Performance Insights, Enhanced Monitoring, exported logs -----------


RDS = "aws:rds/instance:Instance"
DOCDB = "aws:docdb/cluster:Cluster"


def groups_of(plan, record) -> dict[str, object]:
    """The log groups the database's exports go to, made before it (it depends on them)."""
    groups = {g.inputs["name"]: g for g in plan.of_type(LOG_GROUP)}
    if record.type == RDS:
        names = [f"/aws/rds/instance/{record.inputs['identifier']}/{log}"
                 for log in record.inputs["enabledCloudwatchLogsExports"]]
    else:
        names = [f"/aws/docdb/{record.inputs['clusterIdentifier']}/{log}"
                 for log in record.inputs["enabledCloudwatchLogsExports"]]
    assert set(names) <= set(groups), record.name
    assert {groups[n].urn for n in names} <= set(record.dependencies), record.name
    return {n: groups[n] for n in names}


def parameters_of(plan, record, key: str) -> dict[str, str]:
    (group,) = [g for g in plan.resources if g.outputs.get("name") == record.inputs[key]
                and "arameterGroup" in g.type]
    return {p["name"]: p["value"] for p in group.inputs["parameters"]}


def test_prods_databases_keep_performance_insights_monitoring_and_their_logs(prod):
    """Each RDS database: Performance Insights kept stores.performanceInsights.retentionDays,
    encrypted with the store's own key; Enhanced Monitoring every 60 s through a role RDS's
    monitoring service assumes; its logs exported into groups made first, encrypted with the
    stack's logs key and kept a year; PostgreSQL logs DDL and slow statements. DocumentDB
    audits and profiles into its groups."""
    stores = stack_settings("prod").config.stores
    logs_key = prod.named("logs-key").outputs["arn"]
    databases = prod.of_type(RDS)
    assert {d.inputs["engine"] for d in databases} == {"postgres", "mysql"}
    for db in databases:
        i = db.inputs
        assert i["performanceInsightsEnabled"] is True
        assert i["performanceInsightsKmsKeyId"] == i["kmsKeyId"]
        assert i["performanceInsightsRetentionPeriod"] == \
            stores.performance_insights.retention_days == 31
        assert i["monitoringInterval"] == stores.monitoring_interval == 60
        (role,) = [r for r in prod.of_type("aws:iam/role:Role")
                   if r.outputs["arn"] == i["monitoringRoleArn"]]
        assert statements(role.inputs["assumeRolePolicy"])[0]["Principal"] == {
            "Service": "monitoring.rds.amazonaws.com"}
        (grant,) = [a for a in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                    if a.inputs["role"] == role.outputs["name"]]
        assert grant.inputs["policyArn"].endswith(
            "policy/service-role/AmazonRDSEnhancedMonitoringRole")
        assert grant.urn in db.dependencies
        for group in groups_of(prod, db).values():
            assert (group.inputs["kmsKeyId"], group.inputs["retentionInDays"]) == (
                logs_key, stores.log_retention_days)
    postgres = next(d for d in databases if d.inputs["engine"] == "postgres")
    assert postgres.inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    params = parameters_of(prod, postgres, "parameterGroupName")
    assert (params["log_statement"], params["log_min_duration_statement"]) == (
        "ddl", str(stores.slow_query_ms))
    mysql = next(d for d in databases if d.inputs["engine"] == "mysql")
    assert mysql.inputs["enabledCloudwatchLogsExports"] == ["error", "slowquery"]
    assert parameters_of(prod, mysql, "parameterGroupName")["slow_query_log"] == "1"
    (docdb,) = prod.of_type(DOCDB)
    assert docdb.inputs["enabledCloudwatchLogsExports"] == ["audit", "profiler"]
    assert len(groups_of(prod, docdb)) == 2
    params = parameters_of(prod, docdb, "dbClusterParameterGroupName")
    assert (params["audit_logs"], params["profiler"]) == ("enabled", "enabled")


def test_the_paid_monitoring_is_priced_and_staging_has_none(prod, staging):
    items = [i for i in estimate_cost(prod).items if i["type"] == RDS]
    insights = [i for i in items if i["unit"] == "vCPU-months"]
    # two databases of 2 vCPU each, Multi-AZ: 4 vCPU each, one paid month
    assert [i["quantity"] for i in insights] == [4, 4]
    assert len([i for i in items if "Enhanced Monitoring" in i["description"]]) == 4
    assert not [i for i in estimate_cost(staging).items if i["type"] == RDS
                and ("Enhanced" in i["description"] or i["unit"] == "vCPU-months")]
    for db in staging.of_type(RDS):
        assert (db.inputs["performanceInsightsEnabled"], db.inputs["monitoringInterval"]) == (
            False, 0)
        assert db.inputs["enabledCloudwatchLogsExports"]       # the logs are exported anyway
        for group in groups_of(staging, db).values():
            assert group.inputs["retentionInDays"] == 30


@pytest.mark.parametrize("stores,key", [
    ({"performanceInsights": {"retentionDays": 30}}, "stores.performanceInsights.retentionDays"),
    ({"monitoringInterval": 45}, "stores.monitoringInterval"),
    ({"logRetentionDays": 10}, "stores.logRetentionDays"),
    ({"slowQueryMs": 10}, "stores.slowQueryMs"),
    ({"logStatement": "some"}, "stores.logStatement"),
    # AWS has no Performance Insights for MySQL on the smallest classes
    ({"mysql": {"size": "db.t4g.micro"}}, "stores.performanceInsights.enabled"),
])
def test_the_databases_monitoring_settings_take_what_aws_takes(stores, key):
    with pytest.raises(SettingsError) as info:
        parse({"stores": json.dumps(stores)})
    assert info.value.problems[0].startswith(f"shipyard:{key}:")
    # off, the small MySQL is fine
    assert not parse({"stores": json.dumps({"mysql": {"size": "db.t4g.micro"},
                                            "performanceInsights": {"enabled": False}})}
                     ).config.stores.performance_insights.enabled
