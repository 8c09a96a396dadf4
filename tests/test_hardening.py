"""The security review's findings (issue 17), read off the plans: encrypted log groups, a key
policy on every key, lifecycle rules that abort incomplete uploads, IAM "*" only where AWS
allows nothing else, prod's cluster protected, and (docs/hardening.md) the options that cost
money, on by default in prod.

The data stores' own findings (Performance Insights, enhanced monitoring, log exports, audit
logs) are issue 18's restructuring's to carry."""

from __future__ import annotations

import json

import pytest

from shipyard.rules import iam

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
    the policy's function), or Describe* reads, which never do."""
    for policy in stack_plan.of_type("aws:iam/rolePolicy:RolePolicy"):
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
