"""Issue 14 in the stack settings: every ``shipyard:*`` value checked against what the system it
lands in accepts, refused as ``shipyard:KEY: message (value: as written)`` before any resource.
Pure: parse_settings only, one test (or a parametrized few) per class of bad input."""

import json

import pytest

from shipyard.config.base import SettingsError
from shipyard.config.defaults import deep_merge
from shipyard.rules import aws_names
from shipyard.rules import cidr as cidrlib
from shipyard.rules import stores as store_rules
from tests.support.settings import REQUIRED, parse

ARN = "arn:aws:iam::123456789012:role/"


def refused(raw, stack="prod"):
    """The problems parse_settings reports for ``raw`` (sections as dicts, over REQUIRED)."""
    raw = dict(raw)
    for key in ("addons", "dns"):
        if key in raw:
            raw[key] = deep_merge(json.loads(REQUIRED[key]), raw[key])
    with pytest.raises(SettingsError) as info:
        parse({k: json.dumps(v) for k, v in raw.items()}, stack)
    return info.value.problems


def accepted(raw, stack="prod"):
    raw = dict(raw)
    for key in ("addons", "dns"):
        if key in raw:
            raw[key] = deep_merge(json.loads(REQUIRED[key]), raw[key])
    return parse({k: json.dumps(v) for k, v in raw.items()}, stack)


def group(**values):
    return {"nodeGroups": {"general": {"instanceTypes": ["m6i.large"], "minSize": 1,
                                       "desiredSize": 2, "maxSize": 3, **values}}}


def the_one(problems, key):
    """The single problem, which names ``shipyard:KEY``."""
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"shipyard:{key}: "), problems
    return problems[0]


# --- 1. loose types: a boolean is never a number, and the right key is blamed


@pytest.mark.parametrize("raw,key", [
    ({"cluster": group(maxSize=True)}, "cluster.nodeGroups.general.maxSize"),
    ({"cluster": group(minSize=False)}, "cluster.nodeGroups.general.minSize"),
    ({"cluster": group(diskSizeGb=True)}, "cluster.nodeGroups.general.diskSizeGb"),
    ({"cluster": {"logRetentionDays": True}}, "cluster.logRetentionDays"),
    ({"network": {"azCount": True}}, "network.azCount"),
    ({"network": {"flowLogs": {"retentionDays": True}}}, "network.flowLogs.retentionDays"),
    ({"registry": {"keepTaggedImages": True}}, "registry.keepTaggedImages"),
    ({"registry": {"untaggedExpiryDays": True}}, "registry.untaggedExpiryDays"),
    ({"addons": {"monitoring": {"retentionDays": True}}}, "addons.monitoring.retentionDays"),
    ({"addons": {"monitoring": {"storageGi": True}}}, "addons.monitoring.storageGi"),
    ({"addons": {"istio": {"traceSampling": True}}}, "addons.istio.traceSampling"),
    ({"addons": {"karpenter": {"cpuLimit": True}}}, "addons.karpenter.cpuLimit"),
    ({"addons": {"ingress": {"hstsMaxAgeSeconds": True}}}, "addons.ingress.hstsMaxAgeSeconds"),
    ({"addons": {"tracing": {"retentionHours": True}}}, "addons.tracing.retentionHours"),
    ({"stores": {"backupRetentionDays": True}}, "stores.backupRetentionDays"),
    ({"stores": {"redis": {"instances": True}}}, "stores.redis.instances"),
    ({"backups": {"retentionDays": False}}, "backups.retentionDays"),
])
def test_a_boolean_is_refused_where_a_number_is_expected_naming_its_own_key(raw, key):
    line = the_one(refused(raw), key)
    assert line.endswith("(value: true)") or line.endswith("(value: false)")
    assert "(value: 1)" not in line and "(value: 0)" not in line


# --- 2. Kubernetes and EKS: node labels and taints, EC2 instance types, Karpenter's lists


@pytest.mark.parametrize("labels,key,value", [
    ({"Bad Key": "x"}, "Bad Key", '"Bad Key"'),
    ({"-pool": "x"}, "-pool", '"-pool"'),
    ({"example.com/" + "x" * 60: "x"}, "example.com/" + "x" * 60, None),   # EKS: 63 in all
    ({"kubernetes.io/pool": "x"}, "kubernetes.io/pool", '"kubernetes.io/pool"'),
    ({"pool": "bad value!"}, "pool", '"bad value!"'),
    ({"pool": ""}, "pool", '""'),
    ({"pool": "x" * 64}, "pool", None),
])
def test_node_labels_kubernetes_or_eks_refuses_are_refused(labels, key, value):
    line = the_one(refused({"cluster": group(labels=labels)}),
                   f"cluster.nodeGroups.general.labels.{key}")
    if value:
        assert line.endswith(f"(value: {value})")


def test_the_kubelets_own_label_namespaces_are_accepted():
    settings = accepted({"cluster": group(labels={"node.kubernetes.io/pool": "a",
                                                  "shipyard.dev/pool": "general"})})
    assert settings.cluster.node_groups["general"].labels["shipyard.dev/pool"] == "general"


@pytest.mark.parametrize("taints,key,value", [
    ([{"key": "a b", "effect": "NO_SCHEDULE"}], "taints[0].key", '"a b"'),
    ([{"key": "x" * 64, "effect": "NO_SCHEDULE"}], "taints[0].key", None),
    ([{"key": "dedicated", "value": "-x", "effect": "NO_SCHEDULE"}], "taints[0].value", '"-x"'),
    ([{"key": "dedicated", "effect": "NoSchedule"}], "taints[0].effect", '"NoSchedule"'),
    ([{"key": "a", "effect": "NO_SCHEDULE"}, {"key": "a", "value": "v", "effect": "NO_SCHEDULE"}],
     "taints[1]", None),
])
def test_taints_kubernetes_or_eks_refuses_are_refused(taints, key, value):
    line = the_one(refused({"cluster": group(taints=taints)}), f"cluster.nodeGroups.general.{key}")
    if value:
        assert line.endswith(f"(value: {value})")


def test_one_taint_key_with_two_effects_is_accepted():
    accepted({"cluster": group(taints=[{"key": "a", "effect": "NO_SCHEDULE"},
                                       {"key": "a", "effect": "NO_EXECUTE"}])})


@pytest.mark.parametrize("bad", ["banana", "", "m7g", "m7g.", ".large", "M7G.large",
                                 "m7g.large.x", "m7g.huge"])
def test_an_instance_type_that_is_no_ec2_type_is_refused(bad):
    line = the_one(refused({"cluster": group(instanceTypes=["m6i.large", bad])}),
                   "cluster.nodeGroups.general.instanceTypes[1]")
    assert line.endswith(f"(value: {json.dumps(bad)})")


def test_real_instance_types_are_accepted():
    types = ["m7g.large", "c6i.2xlarge", "r5d.metal", "m7i.metal-24xl", "u-6tb1.metal",
             "t3.nano", "p4de.24xlarge", "x2iedn.32xlarge", "u7i-12tb.224xlarge", "inf2.xlarge"]
    assert accepted({"cluster": group(instanceTypes=types)}).cluster.node_groups[
        "general"].instance_types == types


@pytest.mark.parametrize("karpenter,key,value", [
    ({"instanceCategories": ["zzz"]}, "instanceCategories[0]", '"zzz"'),
    ({"instanceCategories": ["c", ""]}, "instanceCategories[1]", '""'),
    ({"instanceCategories": ["c", "m", "c"]}, "instanceCategories[2]", '"c"'),
    ({"capacityTypes": ["spot", "SPOT"]}, "capacityTypes[1]", '"SPOT"'),
    ({"capacityTypes": ["spot", "spot"]}, "capacityTypes[1]", '"spot"'),
])
def test_karpenter_takes_only_real_categories_and_capacity_types_each_once(karpenter, key, value):
    line = the_one(refused({"addons": {"karpenter": karpenter}}), f"addons.karpenter.{key}")
    assert line.endswith(f"(value: {value})")
    accepted({"addons": {"karpenter": {"instanceCategories": ["c", "m", "r", "g", "inf"]}}})


# --- 3. names: hostnames, e-mail, the cluster's name, the stores' sizes and versions


@pytest.mark.parametrize("bad", ["-x.example.com", "Bad_Host", "a..example.com", "*.*.example.com",
                                 "x" * 64 + ".example.com", ""])
def test_an_ingress_hostname_that_is_not_rfc_1123_is_reported_as_itself(bad):
    problems = refused({"addons": {"ingress": {"hostnames": ["shipyard.example.com", bad]}}})
    line = the_one(problems, "addons.ingress.hostnames[1]")
    assert line.endswith(f"(value: {json.dumps(bad)})") and "not served" not in line


def test_an_ingress_hostname_listed_twice_is_refused():
    line = the_one(refused({"addons": {"ingress": {"hostnames": [
        "*.shipyard.example.com", "shipyard.example.com", "*.shipyard.example.com"]}}}),
        "addons.ingress.hostnames[2]")
    assert "twice" in line


@pytest.mark.parametrize("section,field", [
    ("monitoring", "grafanaHostname"), ("monitoring", "alertmanagerHostname"),
    ("monitoring", "prometheusHostname"), ("kiali", "hostname"), ("argocd", "hostname")])
@pytest.mark.parametrize("bad", ["Bad_Host", "kiali ui", "-argo", "x.-y.example.com"])
def test_a_ui_hostname_that_is_no_label_nor_hostname_is_reported_as_itself(section, field, bad):
    problems = refused({"addons": {section: {field: bad}}}, stack="dev")
    line = the_one(problems, f"addons.{section}.{field}")
    assert line.endswith(f"(value: {json.dumps(bad)})") and "not served" not in line


def test_a_ui_hostname_may_be_a_label_or_a_full_name():
    settings = accepted({"addons": {"monitoring": {"grafanaHostname": "grafana.dev.shipyard."
                                                                      "example.com"},
                                    "kiali": {"hostname": "mesh"}}}, stack="dev")
    assert settings.ui_hosts()["addons.kiali.hostname"] == "mesh.dev.shipyard.example.com"


@pytest.mark.parametrize("bad", ["a@b..com", "ops", "ops@", "@example.com", "o ps@example.com",
                                 "ops@example"])
def test_an_acme_email_that_is_no_address_is_refused(bad):
    line = the_one(refused({"addons": {"certManager": {"acmeEmail": bad}}}),
                   "addons.certManager.acmeEmail")
    assert line.endswith(f"(value: {json.dumps(bad)})")


@pytest.mark.parametrize("bad", ["Shipyard_Staging", "shipyard_staging", "1shipyard",
                                 "shipyard--x", "shipyard-", "-shipyard", "ship.yard",
                                 "x" * 33, ""])
def test_a_cluster_name_aws_refuses_in_the_names_derived_from_it_is_refused(bad):
    line = the_one(refused({"cluster": {"name": bad}}), "cluster.name")
    assert "RDS" in line and "S3" in line and line.endswith(f"(value: {json.dumps(bad)})")


def test_the_default_cluster_name_is_checked_too():
    with pytest.raises(SettingsError) as info:
        parse({"environment": "dev"}, stack="Feature_X")
    line = the_one(info.value.problems, "cluster.name")
    assert "shipyard-Feature_X" in line and line.endswith("(value: null)")
    assert parse({"environment": "dev", "cluster": json.dumps({"name": "feature-x"})},
                 stack="Feature_X").cluster_name == "feature-x"


@pytest.mark.parametrize("name", ["shipyard-prod", "a", "x" * 32, "shipyard-2"])
def test_every_name_derived_from_an_accepted_cluster_name_is_one_aws_accepts(name):
    assert aws_names.cluster_name_problem(name) is None
    derived = f"{name}-code-learn-orders-db"
    for service in ("rds", "documentdb", "mq"):
        assert aws_names.accepted(service, derived[:50])
    assert aws_names.accepted("elasticache", derived[:40].rstrip("-"))
    assert aws_names.accepted("s3", f"{name}-loki-20261201000000000000000001"[:63])


@pytest.mark.parametrize("kind,bad", [
    ("postgresql", "db."), ("postgresql", "db.t4g"), ("postgresql", "t4g.medium"),
    ("mysql", "db.t4g.medium.x"), ("mongodb", "cache.t4g.medium"), ("redis", "cache."),
    ("redis", "db.t4g.small"), ("rabbitmq", "mq.m7g"), ("rabbitmq", "mq."),
])
def test_a_store_size_that_is_no_instance_class_is_refused(kind, bad):
    line = the_one(refused({"stores": {kind: {"size": bad}}}), f"stores.{kind}.size")
    assert line.endswith(f"(value: {json.dumps(bad)})")


def test_real_instance_classes_are_accepted():
    for kind, size in (("postgresql", "db.r7g.2xlarge"), ("mysql", "db.m6gd.large"),
                       ("mongodb", "db.r6g.large"), ("redis", "cache.t4g.small"),
                       ("rabbitmq", "mq.m7g.medium")):
        assert store_rules.instance_class_problem(kind, size) is None


@pytest.mark.parametrize("kind,bad", [
    ("postgresql", "banana"), ("postgresql", "10"), ("postgresql", "19"), ("postgresql", "17.x"),
    ("mysql", "17"), ("mysql", "5.6"), ("mysql", "8.1"), ("mongodb", "3.6"), ("mongodb", "7.0"),
    ("redis", "6.2"), ("redis", "9.2"), ("rabbitmq", "3.12"), ("rabbitmq", "4"),
])
def test_a_managed_engine_version_aws_does_not_have_is_refused(kind, bad):
    line = the_one(refused({"stores": {kind: {"version": bad}}}, stack="staging"),
                   f"stores.{kind}.version")
    assert line.endswith(f"(value: {json.dumps(bad)})")


def test_managed_engine_versions_aws_has_are_accepted():
    for kind, versions in (("postgresql", ["12", "13", "16", "17", "17.6", "18"]),
                           ("mysql", ["5.7", "8.0", "8.4", "8.4.6"]),
                           ("mongodb", ["4.0", "5.0", "5.0.1", "8.0.0"]),
                           ("redis", ["7.2", "8.0", "8.2", "9.0", "9.1"]),
                           ("rabbitmq", ["3.13", "4.2"])):
        for version in versions:
            assert store_rules.managed_version_problem(kind, version) is None, (kind, version)


# --- 4. the prod guard by coverage, CIDRs parsed strictly

OPEN = [["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"],
        ["10.0.0.0/7"], ["10.0.0.0/8", "203.0.113.0/24"]]


@pytest.mark.parametrize("cidrs", OPEN)
def test_prod_refuses_public_access_cidrs_that_together_cover_more_than_a_slash_8(cidrs):
    line = the_one(refused({"cluster": {"endpointPublicAccess": True,
                                        "publicAccessCidrs": cidrs}}), "cluster.publicAccessCidrs")
    assert "never open" in line and line.endswith(f"(value: {json.dumps(cidrs)})")
    accepted({"cluster": {"endpointPublicAccess": True, "publicAccessCidrs": cidrs}},
             stack="staging")


def test_prod_accepts_a_few_known_networks():
    accepted({"cluster": {"endpointPublicAccess": True,
                          "publicAccessCidrs": ["11.0.0.0/9", "203.0.113.0/24",
                                                "198.51.100.0/24"]}})


@pytest.mark.parametrize("bad", ["0.0.0.0/00", "0.0.0.0", "010.0.0.0/8", "10.0.0.1/8",
                                 "10.0.0.0/33", " 10.0.0.0/8", "::/0"])
def test_a_cidr_not_written_strictly_is_refused(bad):
    for key in ("publicAccessCidrs", "privateAccessCidrs"):
        line = the_one(refused({"cluster": {"endpointPublicAccess": True,
                                            key: ["203.0.113.0/24", bad]}}),
                       f"cluster.{key}[1]")
        assert line.endswith(f"(value: {json.dumps(bad)})")
    assert cidrlib.covered(["0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/8"]) == 2**32


# --- 5. AWS tags


@pytest.mark.parametrize("tags,key", [
    ({"aws:owner": "x"}, "tags.aws:owner"), ({"AWS:owner": "x"}, "tags.AWS:owner"),
    ({"": "x"}, 'tags[""]'), ({"k" * 129: "x"}, "tags." + "k" * 129),
    ({"team": "v" * 257}, "tags.team"), ({"team": "a|b"}, "tags.team"),
])
def test_tags_aws_refuses_are_refused(tags, key):
    the_one(refused({"tags": tags}), key)


def test_tags_beyond_what_aws_takes_with_shipyards_own_are_refused():
    tags = {f"t{i}": "x" for i in range(40)}
    settings = accepted({"tags": {**tags, "environment": "overridden"}})
    assert len(settings.tags) == 44
    line = the_one(refused({"tags": {**tags, "one-more": "x"}}), "tags")
    assert "41 tags" in line and "50" in line


# --- 6. schedules


@pytest.mark.parametrize("bad", ["61 * * * *", "0 25 * * *", "a b c d e", "* * * *",
                                 "0 0 0 * *", "0 0 * 13 *", "*/0 * * * *"])
def test_a_backup_schedule_that_is_no_cron_is_refused(bad):
    line = the_one(refused({"backups": {"schedule": bad}}), "backups.schedule")
    assert line.endswith(f"(value: {json.dumps(bad)})")
    assert accepted({"backups": {"schedule": "30 2 * * mon-fri"}}).config.backups.schedule


# --- 7. duplicates in lists whose items become named resources


@pytest.mark.parametrize("raw,key", [
    ({"cluster": {"admins": [ARN + "ops", ARN + "ops"]}}, "cluster.admins[1]"),
    ({"cluster": {"admins": [ARN + "ops", "arn:aws:iam::210987654321:role/ops"]}},
     "cluster.admins[1]"),
    ({"registry": {"pushPrincipals": [ARN + "ci", ARN + "ci"]}}, "registry.pushPrincipals[1]"),
    ({"registry": {"images": ["tools/a", "tools/a"]}}, "registry.images[1]"),
    ({"network": {"interfaceEndpoints": ["sts", "sts"]}}, "network.interfaceEndpoints[1]"),
    ({"network": {"availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1a"]}},
     "network.availabilityZones[2]"),
    ({"cluster": {"logTypes": ["api", "audit", "authenticator", "api"]}}, "cluster.logTypes[3]"),
    ({"cluster": {"endpointPublicAccess": True,
                  "publicAccessCidrs": ["203.0.113.0/24", "203.0.113.0/24"]}},
     "cluster.publicAccessCidrs[1]"),
    ({"cluster": group(instanceTypes=["m6i.large", "m6i.large"])},
     "cluster.nodeGroups.general.instanceTypes[1]"),
])
def test_a_list_item_that_would_name_a_resource_twice_is_refused(raw, key):
    line = the_one(refused(raw), key)
    assert "twice" in line


def test_the_stack_files_values_are_all_still_accepted():
    from tests.support.settings import stack_settings
    for stack in ("dev", "staging", "prod"):
        assert stack_settings(stack).cluster_name == f"shipyard-{stack}"


@pytest.mark.parametrize("name", ["Prod-EKS", "Shipyard"])
def test_a_cluster_name_in_upper_case_is_fine(name):
    # every AWS name derived from it is lower-cased
    assert parse({"cluster": json.dumps({"name": name})}).cluster_name == name


@pytest.mark.parametrize("value", ["1h30m", "Never", "30s"])
def test_karpenter_consolidation_takes_what_its_node_pool_takes(value):
    parse({"addons": json.dumps({"certManager": {"acmeEmail": "ops@example.com"},
                                 "karpenter": {"consolidateAfter": value}})})
