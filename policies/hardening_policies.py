"""The policies issue 17's security review asked for, beside the pack's others
(``shipyard_policies.ALL`` holds them all): every bucket's lifecycle aborts incomplete
uploads, every KMS key states its key policy, every log group is encrypted, a role pods assume
admits one service account, IAM allows actions on every resource only where they read, and a
prod database is observed (Performance Insights encrypted, its logs exported).
Each is a plain ``validate_*`` function, tested on its own.
"""

from __future__ import annotations

import json
from typing import Any

from policy_environment import environment_of, is_prod, unknown_note
from policy_values import get, get_list, is_list, is_true, known, reveal
from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

S3_BUCKETS = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})


S3_LIFECYCLES = frozenset({
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
})


def _rules_without_abort(props: Any) -> list[str]:
    return [str(get(rule, "id", default="?")) for rule in get_list(props, "rules")
            if get(rule, "status") == "Enabled"
            and get(rule, "abortIncompleteMultipartUpload", "daysAfterInitiation") is None]


def validate_s3_abort_incomplete_uploads(args: StackValidationArgs,
                                         report_violation: ReportViolation) -> None:
    """Every bucket has a lifecycle configuration, and each of its enabled rules aborts
    incomplete multipart uploads (their parts are billed as storage and never listed)."""
    configured: set[str] = set()
    for r in args.resources:
        if r.resource_type not in S3_LIFECYCLES:
            continue
        configured.update(d.urn for d in r.property_dependencies.get("bucket", []))
        if known(r.props, "bucket"):
            configured.add(str(known(r.props, "bucket")))
        missing = _rules_without_abort(r.props)
        if missing:
            report_violation(f"lifecycle {r.name}: rules {', '.join(missing)} never abort "
                             f"incomplete multipart uploads (abortIncompleteMultipartUpload)",
                             r.urn)
    for r in args.resources:
        if r.resource_type not in S3_BUCKETS or get(r.props, "lifecycleRules"):
            continue
        if r.urn not in configured and str(known(r.props, "bucket")) not in configured:
            report_violation(f"S3 bucket {r.name} has no lifecycle configuration aborting "
                             f"incomplete multipart uploads", r.urn)


def validate_kms_key_policy(args: ResourceValidationArgs,
                            report_violation: ReportViolation) -> None:
    if args.resource_type == "aws:kms/key:Key" and not get(args.props, "policy"):
        report_violation("KMS key without an explicit key policy: AWS's default lets the "
                         "account's IAM decide everything; state who administers and uses it")


def validate_log_group_encrypted(args: ResourceValidationArgs,
                                 report_violation: ReportViolation) -> None:
    if args.resource_type == "aws:cloudwatch/logGroup:LogGroup" and \
            not get(args.props, "kmsKeyId"):
        report_violation("CloudWatch log group not encrypted with a KMS key (kmsKeyId)")


def _statements(document: Any) -> list[Any]:
    """The statements of a policy document (a JSON string or an object)."""
    document = reveal(document)
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    found = get(document, "Statement", default=[])
    return list(found) if is_list(found) else [found]


def _as_list(value: Any) -> list[Any]:
    return list(value) if is_list(value) else [value]


POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
POD_IDENTITY_TAGS = ("aws:RequestTag/kubernetes-namespace",
                     "aws:RequestTag/kubernetes-service-account")


def validate_workload_role_trust(args: ResourceValidationArgs,
                                 report_violation: ReportViolation) -> None:
    """A role pods assume admits one service account: through EKS Pod Identity on the session
    tags of its namespace and service account, through IRSA on the token's subject."""
    if args.resource_type != "aws:iam/role:Role":
        return
    for statement in _statements(get(args.props, "assumeRolePolicy")):
        if get(statement, "Effect") != "Allow":
            continue
        services = _as_list(get(statement, "Principal", "Service", default=[]))
        conditions = get(statement, "Condition", "StringEquals", default={})
        if POD_IDENTITY_SERVICE in services:
            missing = [t for t in POD_IDENTITY_TAGS if t not in conditions]
            if missing:
                report_violation(f"role trusted by {POD_IDENTITY_SERVICE} without conditions "
                                 f"on {', '.join(missing)}: any Pod Identity association in "
                                 f"the account could hand it to any pod")
        if get(statement, "Principal", "Federated") and \
                "sts:AssumeRoleWithWebIdentity" in _as_list(get(statement, "Action")) and \
                not any(str(k).endswith(":sub") for k in conditions):
            report_violation("role trusted through an OIDC provider without a condition on "
                             "the token's subject (system:serviceaccount:NS:NAME)")


IAM_POLICIES = frozenset({"aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"})
READ_VERBS = ("Describe", "List", "Get")


def validate_iam_star_resources_read_only(args: ResourceValidationArgs,
                                          report_violation: ReportViolation) -> None:
    """An IAM policy allows an action on every resource ("*") only if it reads: actions that
    change something can always be scoped to resources (and are, in shipyard)."""
    if args.resource_type not in IAM_POLICIES:
        return
    for statement in _statements(get(args.props, "policy")):
        if get(statement, "Effect") != "Allow" or "*" not in _as_list(get(statement,
                                                                          "Resource")):
            continue
        writes = [a for a in _as_list(get(statement, "Action"))
                  if not str(a).split(":")[-1].startswith(READ_VERBS)]
        if writes:
            report_violation(f"{', '.join(map(str, writes))} allowed on every resource (\"*\"):"
                             f" name the resources")


RDS_INSTANCE = "aws:rds/instance:Instance"
DOCDB_CLUSTER = "aws:docdb/cluster:Cluster"


def validate_prod_databases_observed(args: ResourceValidationArgs,
                                     report_violation: ReportViolation) -> None:
    """In prod, an RDS database has Performance Insights on, encrypted with a customer key, and
    exports its logs to CloudWatch Logs; a DocumentDB cluster exports its audit log."""
    if args.resource_type not in (RDS_INSTANCE, DOCDB_CLUSTER):
        return
    environment = environment_of(args.props)
    if not is_prod(environment):
        return
    exports = [str(e) for e in get_list(args.props, "enabledCloudwatchLogsExports")]
    if args.resource_type == DOCDB_CLUSTER:
        if "audit" not in exports:
            report_violation(f"prod DocumentDB cluster does not export its audit log "
                             f"(enabledCloudwatchLogsExports){unknown_note(environment)}")
        return
    if not is_true(get(args.props, "performanceInsightsEnabled")):
        report_violation(f"prod RDS database without Performance Insights "
                         f"(performanceInsightsEnabled){unknown_note(environment)}")
    elif not get(args.props, "performanceInsightsKmsKeyId"):
        report_violation(f"prod RDS database's Performance Insights not encrypted with a "
                         f"customer key (performanceInsightsKmsKeyId){unknown_note(environment)}")
    if not exports:
        report_violation(f"prod RDS database exports no logs to CloudWatch Logs "
                         f"(enabledCloudwatchLogsExports){unknown_note(environment)}")
