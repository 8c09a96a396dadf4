"""shipyard's policies: what the platform promises, checked on every resource `pulumi` plans.

Each policy's check is a plain module-level function ``validate_*(args, report_violation)``,
so tests call it directly with ``ResourceValidationArgs`` / ``StackValidationArgs`` built from
the offline plan; ``__main__.py`` only hands ``ALL`` to a ``PolicyPack``.

- Reading inputs (secrets kept marked, values unknown in preview): ``policy_values``.
- Which environment a resource is in (prod's rules, immutable ECR tags): ``policy_environment``,
  from ``shipyard:environment`` or the resource's ``environment`` tag, never the stack's name.
- Resource options. The analyzer protocol carries ``protect`` but not ``retainOnDelete``, so
  ``prod-data-protected`` can only accept ``protect``.

The analyzer runs this directory as a script, so the pack's modules import each other by their
top-level names (tests put ``policies/`` on ``pythonpath`` the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from hardening_policies import (
    S3_BUCKETS,
    validate_iam_star_resources_read_only,
    validate_kms_key_policy,
    validate_log_group_encrypted,
    validate_prod_databases_observed,
    validate_s3_abort_incomplete_uploads,
    validate_workload_role_trust,
)
from policy_environment import environment_of, has_immutable_tags, is_prod, unknown_note
from policy_secrets import K8S_SECRET, plaintext_entries, plaintext_secrets
from policy_values import get, get_list, is_true, known, reveal
from pulumi_policy import (
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

# ---------------------------------------------------------------------------------------------
# EKS public endpoint

EKS_CLUSTER = "aws:eks/cluster:Cluster"
OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})


def validate_eks_endpoint(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    environment = environment_of(args.props)
    if not is_prod(environment):
        return
    vpc = get(args.props, "vpcConfig", default={})
    # AWS defaults: the public endpoint is on, open to 0.0.0.0/0, unless told otherwise.
    if "endpointPublicAccess" in vpc and not is_true(get(vpc, "endpointPublicAccess")):
        return
    cidrs = [str(c) for c in get_list(vpc, "publicAccessCidrs")]
    if not cidrs:
        report_violation(f"prod EKS public endpoint is on with no publicAccessCidrs, which AWS "
                         f"opens to 0.0.0.0/0: turn it off or list the CIDRs allowed"
                         f"{unknown_note(environment)}")
    elif OPEN_CIDRS & set(cidrs):
        report_violation(f"prod EKS public endpoint is open to "
                         f"{', '.join(sorted(OPEN_CIDRS & set(cidrs)))}"
                         f"{unknown_note(environment)}")


# ---------------------------------------------------------------------------------------------
# Encryption at rest


def _ebs_mappings_unencrypted(mappings: list[Any]) -> list[str]:
    return [str(get(m, "deviceName", default="?")) for m in mappings
            if get(m, "ebs") is not None and not is_true(get(m, "ebs", "encrypted"))]


def _check_eks(props: Any) -> str | None:
    resources = get_list(props, "encryptionConfig", "resources")
    if "secrets" not in resources or not get(props, "encryptionConfig", "provider", "keyArn"):
        return "EKS cluster must envelope-encrypt secrets with a KMS key (encryptionConfig)"
    return None


def _check_ecr(props: Any) -> str | None:
    configs = get_list(props, "encryptionConfigurations")
    if not configs or any(get(c, "encryptionType") != "KMS" for c in configs):
        return "ECR repository must be encrypted with KMS (encryptionConfigurations)"
    return None


def _check_launch_template(props: Any) -> str | None:
    mappings = get_list(props, "blockDeviceMappings")
    if not any(get(m, "ebs") is not None for m in mappings):
        return "launch template must declare its EBS root volume, encrypted"
    bad = _ebs_mappings_unencrypted(mappings)
    return f"launch template EBS volumes not encrypted: {', '.join(bad)}" if bad else None


def _check_instance(props: Any) -> str | None:
    """Its root volume encrypted, here or in its launch template (checked there)."""
    root = get(props, "rootBlockDevice")
    if (root is None and not get(props, "launchTemplate")) or \
            (root is not None and not is_true(get(root, "encrypted"))):
        return "EC2 instance root volume must be encrypted (rootBlockDevice or launch template)"
    bad = [str(get(v, "deviceName", default="?")) for v in get_list(props, "ebsBlockDevices")
           if not is_true(get(v, "encrypted"))]
    return f"EC2 instance EBS volumes not encrypted: {', '.join(bad)}" if bad else None


def _check_node_class(props: Any) -> str | None:
    # No blockDeviceMappings: Karpenter's default root volume is encrypted.
    bad = _ebs_mappings_unencrypted(get_list(props, "spec", "blockDeviceMappings"))
    return f"EC2NodeClass EBS volumes not encrypted: {', '.join(bad)}" if bad else None


# the EBS CSI driver, EKS Auto Mode's block storage, the in-tree plugin
EBS_PROVISIONERS = frozenset({"ebs.csi.aws.com", "ebs.csi.eks.amazonaws.com",
                              "kubernetes.io/aws-ebs"})


def _check_storage_class(props: Any) -> str | None:
    if get(props, "provisioner") in EBS_PROVISIONERS and \
            not is_true(get(props, "parameters", "encrypted")):
        return "EBS StorageClass must set parameters.encrypted: \"true\""
    return None


def _flag(key: str, what: str) -> Callable[[Any], str | None]:
    def check(props: Any) -> str | None:
        return None if is_true(get(props, key)) else f"{what} must set {key}: true"

    return check


def _check_rds_instance(props: Any) -> str | None:
    # A cross-region read replica takes its encryption from kmsKeyId, not storageEncrypted.
    if is_true(get(props, "storageEncrypted")) or \
            (get(props, "replicateSourceDb") and get(props, "kmsKeyId")):
        return None
    return "RDS instance must set storageEncrypted: true"


def _check_rds_cluster(props: Any) -> str | None:
    if is_true(get(props, "storageEncrypted")) or get(props, "engineMode") == "serverless":
        return None
    return "RDS cluster must set storageEncrypted: true"


def _check_elasticache_cluster(props: Any) -> str | None:
    if get(props, "engine") in ("redis", "valkey") and not get(props, "replicationGroupId"):
        return ("a standalone ElastiCache cluster cannot encrypt at rest: use a ReplicationGroup "
                "with atRestEncryptionEnabled")
    return None


def _check_sqs(props: Any) -> str | None:
    if get(props, "sqsManagedSseEnabled") is False and not get(props, "kmsMasterKeyId"):
        return "SQS queue must keep server-side encryption (sqsManagedSseEnabled or a KMS key)"
    return None


ENCRYPTION_CHECKS: dict[str, Callable[[Any], str | None]] = {
    EKS_CLUSTER: _check_eks,
    "aws:ecr/repository:Repository": _check_ecr,
    "aws:ec2/launchTemplate:LaunchTemplate": _check_launch_template,
    "aws:ec2/instance:Instance": _check_instance,
    "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": _check_node_class,
    "kubernetes:storage.k8s.io/v1:StorageClass": _check_storage_class,
    "aws:rds/instance:Instance": _check_rds_instance,
    "aws:rds/cluster:Cluster": _check_rds_cluster,
    "aws:elasticache/replicationGroup:ReplicationGroup":
        _flag("atRestEncryptionEnabled", "ElastiCache replication group"),
    "aws:elasticache/cluster:Cluster": _check_elasticache_cluster,
    "aws:docdb/cluster:Cluster": _flag("storageEncrypted", "DocumentDB cluster"),
    "aws:ebs/volume:Volume": _flag("encrypted", "EBS volume"),
    "aws:efs/fileSystem:FileSystem": _flag("encrypted", "EFS file system"),
    "aws:sqs/queue:Queue": _check_sqs,
}


def validate_encryption_at_rest(args: ResourceValidationArgs,
                                report_violation: ReportViolation) -> None:
    check = ENCRYPTION_CHECKS.get(args.resource_type)
    if check is not None and (message := check(args.props)) is not None:
        report_violation(message)


S3_SSE_CONFIGS = frozenset({
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
})


def validate_s3_encryption(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every bucket has a server-side encryption configuration (inline, or a
    BucketServerSideEncryptionConfiguration whose ``bucket`` is that bucket)."""
    configured: set[str] = set()  # bucket URNs and names with a configuration
    for r in args.resources:
        if r.resource_type in S3_SSE_CONFIGS:
            configured.update(d.urn for d in r.property_dependencies.get("bucket", []))
            if known(r.props, "bucket"):
                configured.add(str(known(r.props, "bucket")))
    for r in args.resources:
        if r.resource_type not in S3_BUCKETS or known(r.props, "serverSideEncryptionConfiguration"):
            continue
        if r.urn not in configured and str(known(r.props, "bucket")) not in configured:
            report_violation(f"S3 bucket {r.name} has no server-side encryption configuration",
                             r.urn)


# ---------------------------------------------------------------------------------------------
# IMDSv2


def validate_imdsv2(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    t = args.resource_type
    if t in ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"):
        if get(args.props, "metadataOptions", "httpTokens") != "required":
            report_violation("instance metadata must require IMDSv2 "
                             "(metadataOptions.httpTokens: required)")
    elif t == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":
        # Karpenter's default is "required"; only an explicit other value is a violation.
        tokens = get(args.props, "spec", "metadataOptions", "httpTokens", default="required")
        if tokens != "required":
            report_violation(f"EC2NodeClass metadataOptions.httpTokens is {tokens!r}: "
                             f"it must be required (IMDSv2)")
    elif t == "aws:eks/nodeGroup:NodeGroup" and not get(args.props, "launchTemplate"):
        report_violation("managed node group without a launch template gets EKS's default "
                         "(IMDSv1 allowed): give it one that requires IMDSv2")


# ---------------------------------------------------------------------------------------------
# ECR

ECR_REPOSITORY = "aws:ecr/repository:Repository"


def validate_ecr_scan_on_push(args: ResourceValidationArgs,
                              report_violation: ReportViolation) -> None:
    if args.resource_type == ECR_REPOSITORY and \
            not is_true(get(args.props, "imageScanningConfiguration", "scanOnPush")):
        report_violation("ECR repository must scan images on push "
                         "(imageScanningConfiguration.scanOnPush: true)")


def validate_ecr_immutable_tags(args: ResourceValidationArgs,
                                report_violation: ReportViolation) -> None:
    if args.resource_type != ECR_REPOSITORY:
        return
    environment = environment_of(args.props)
    if not has_immutable_tags(environment):
        return
    mutability = get(args.props, "imageTagMutability", default="MUTABLE")
    if mutability != "IMMUTABLE":
        report_violation(f"ECR repository tags are {mutability} in {environment or 'this stack'}"
                         f": they must be IMMUTABLE{unknown_note(environment)}")


# ---------------------------------------------------------------------------------------------
# Kubernetes workloads

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    DEPLOYMENT: ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def containers(resource_type: str, props: Any) -> Iterator[tuple[str, Any]]:
    """(list name, container) for every container of a workload's pod spec."""
    path = POD_SPEC_PATHS.get(resource_type)
    if path is None:
        return
    spec = get(props, *path, default={})
    for kind in CONTAINER_LISTS:
        for c in get_list(spec, kind):
            yield kind, c


def image_tag(image: str) -> str | None:
    """The tag of an image reference (``None`` when it has none); a digest counts as a tag."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]  # a registry's :port is before the last slash
    return last.split(":", 1)[1] if ":" in last else None


def validate_no_latest_images(args: ResourceValidationArgs,
                              report_violation: ReportViolation) -> None:
    for kind, c in containers(args.resource_type, args.props):
        image = str(get(c, "image", default=""))
        tag = image_tag(image)
        if tag is None or tag == "latest":
            report_violation(f"{kind} {get(c, 'name', default='?')}: image {image!r} must be "
                             f"pinned to a version tag or digest, not "
                             f"{'latest' if tag else 'untagged'}")


PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
LIMITS = ("cpu", "memory")


def validate_deployment_probes_and_limits(args: ResourceValidationArgs,
                                          report_violation: ReportViolation) -> None:
    if args.resource_type != DEPLOYMENT:
        return
    for kind, c in containers(args.resource_type, args.props):
        if kind != "containers":
            continue
        name = get(c, "name", default="?")
        missing = [p for p in PROBES if not get(c, p)]
        missing += [f"limits.{r}" for r in LIMITS if get(c, "resources", "limits", r) is None]
        if missing:
            report_violation(f"container {name} lacks {', '.join(missing)}")


def namespace_of(props: Any) -> str:
    return str(get(props, "metadata", "namespace", default="default"))


def _requirement_holds(labels: Mapping[str, str], requirement: Any) -> bool:
    key, op = get(requirement, "key"), get(requirement, "operator")
    values = [str(v) for v in get_list(requirement, "values")]
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    return False


def selects(selector: Any, labels: Mapping[str, str]) -> bool:
    """Whether a Kubernetes LabelSelector selects pods with ``labels``: a missing selector
    selects none, an empty one every pod in the namespace (policy/v1 PDBs and NetworkPolicies)."""
    if selector is None:
        return False
    match = {str(k): str(v) for k, v in dict(get(selector, "matchLabels", default={})).items()}
    return all(labels.get(k) == v for k, v in match.items()) and \
        all(_requirement_holds(labels, e) for e in get_list(selector, "matchExpressions"))


def _pod_labels(props: Any) -> dict[str, str]:
    labels = get(props, "spec", "template", "metadata", "labels", default={})
    return {str(k): str(reveal(v)) for k, v in dict(labels).items()}


def _deployments(args: StackValidationArgs) -> Iterator[Any]:
    return (r for r in args.resources if r.resource_type == DEPLOYMENT)


def validate_deployment_has_pdb(args: StackValidationArgs,
                                report_violation: ReportViolation) -> None:
    pdbs = [r for r in args.resources
            if r.resource_type == "kubernetes:policy/v1:PodDisruptionBudget"]
    for d in _deployments(args):
        ns, labels = namespace_of(d.props), _pod_labels(d.props)
        if not any(namespace_of(p.props) == ns and
                   selects(get(p.props, "spec", "selector"), labels)
                   for p in pdbs):
            report_violation(f"Deployment {d.name} (namespace {ns}) has no PodDisruptionBudget "
                             f"selecting its pods", d.urn)


def validate_deployment_has_network_policy(args: StackValidationArgs,
                                           report_violation: ReportViolation) -> None:
    policies = [r for r in args.resources
                if r.resource_type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"]
    for d in _deployments(args):
        ns, labels = namespace_of(d.props), _pod_labels(d.props)
        if not any(namespace_of(p.props) == ns and
                   selects(get(p.props, "spec", "podSelector"), labels)
                   for p in policies):
            report_violation(f"Deployment {d.name} (namespace {ns}) has no NetworkPolicy in its "
                             f"namespace selecting its pods", d.urn)


# ---------------------------------------------------------------------------------------------
# Plaintext secrets

def validate_no_plaintext_secrets(args: ResourceValidationArgs,
                                  report_violation: ReportViolation) -> None:
    found = dict.fromkeys(plaintext_secrets(args.props))
    if args.resource_type == K8S_SECRET:
        found.update(dict.fromkeys(plaintext_entries(args.props)))
    for path in found:
        report_violation(f"{path} is plaintext: pass it as a secret "
                         f"(pulumi.Output.secret or config --secret)")


# ---------------------------------------------------------------------------------------------
# Prod data protection

DATA_STORES = frozenset({
    # not data, but every tenant runs on it: a replacement or a destroy takes them all down
    EKS_CLUSTER,
    "aws:kms/key:Key",
    "aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:rds/globalCluster:GlobalCluster",
    "aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster",
    "aws:elasticache/serverlessCache:ServerlessCache",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2",
    "aws:mq/broker:Broker",
    "aws:docdb/cluster:Cluster", "aws:docdb/globalCluster:GlobalCluster",
    "aws:docdb/elasticCluster:ElasticCluster",
    "aws:ebs/volume:Volume", "aws:efs/fileSystem:FileSystem", "aws:dynamodb/table:Table",
    "kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:apps/v1:StatefulSet",
    # the data operators' resources: deleting one deletes its database and volumes
    "kubernetes:postgresql.cnpg.io/v1:Cluster", "kubernetes:postgresql.cnpg.io/v1:Database",
    "kubernetes:mongodbcommunity.mongodb.com/v1:MongoDBCommunity",
    "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster",
})


def validate_prod_data_protected(args: ResourceValidationArgs,
                                 report_violation: ReportViolation) -> None:
    if args.resource_type not in DATA_STORES or args.opts.protect:
        return
    environment = environment_of(args.props)
    if is_prod(environment):
        report_violation(f"{args.resource_type.rsplit(':', 1)[-1]} holds prod data: create it "
                         f"with protect=True (policies cannot see retainOnDelete)"
                         f"{unknown_note(environment)}")


# ---------------------------------------------------------------------------------------------
# The pack

ALL: list[Policy] = [
    ResourceValidationPolicy(
        name="eks-endpoint-not-open-in-prod",
        description="A prod EKS cluster's public API endpoint is off or limited to listed CIDRs, "
                    "never 0.0.0.0/0.",
        validate=validate_eks_endpoint),
    ResourceValidationPolicy(
        name="encryption-at-rest",
        description="EKS secrets, ECR, node volumes, EBS StorageClasses, RDS, ElastiCache, "
                    "DocumentDB, EBS, EFS and SQS are encrypted at rest.",
        validate=validate_encryption_at_rest),
    StackValidationPolicy(
        name="s3-server-side-encryption",
        description="Every S3 bucket has a server-side encryption configuration.",
        validate=validate_s3_encryption),
    StackValidationPolicy(
        name="s3-abort-incomplete-uploads",
        description="Every S3 bucket has a lifecycle configuration whose every rule aborts "
                    "incomplete multipart uploads.",
        validate=validate_s3_abort_incomplete_uploads),
    ResourceValidationPolicy(
        name="kms-key-policy",
        description="Every KMS key states its key policy.",
        validate=validate_kms_key_policy),
    ResourceValidationPolicy(
        name="log-groups-encrypted",
        description="Every CloudWatch log group is encrypted with a KMS key.",
        validate=validate_log_group_encrypted),
    ResourceValidationPolicy(
        name="prod-databases-observed",
        description="In prod, RDS databases have Performance Insights encrypted with a "
                    "customer key and export their logs; DocumentDB exports its audit log.",
        validate=validate_prod_databases_observed),
    ResourceValidationPolicy(
        name="workload-role-trust-scoped",
        description="A role pods assume (EKS Pod Identity or IRSA) admits one service account.",
        validate=validate_workload_role_trust),
    ResourceValidationPolicy(
        name="iam-star-resources-read-only",
        description="IAM policies allow actions on every resource only where they read.",
        validate=validate_iam_star_resources_read_only),
    ResourceValidationPolicy(
        name="imdsv2-required",
        description="Launch templates, instances and Karpenter EC2NodeClasses require IMDSv2; "
                    "managed node groups use a launch template.",
        validate=validate_imdsv2),
    ResourceValidationPolicy(
        name="ecr-scan-on-push",
        description="Every ECR repository scans images on push.",
        validate=validate_ecr_scan_on_push),
    ResourceValidationPolicy(
        name="ecr-immutable-tags",
        description="ECR repositories in staging and prod have IMMUTABLE tags (dev may overwrite).",
        validate=validate_ecr_immutable_tags),
    ResourceValidationPolicy(
        name="no-latest-images",
        description="No Kubernetes workload runs an untagged or :latest image.",
        validate=validate_no_latest_images),
    ResourceValidationPolicy(
        name="deployment-probes-and-limits",
        description="Every Deployment container has startup, readiness and liveness probes and "
                    "cpu and memory limits.",
        validate=validate_deployment_probes_and_limits),
    StackValidationPolicy(
        name="deployment-has-pdb",
        description="Every Deployment has a PodDisruptionBudget selecting its pods.",
        validate=validate_deployment_has_pdb),
    StackValidationPolicy(
        name="deployment-has-network-policy",
        description="Every Deployment has a NetworkPolicy in its namespace selecting its pods.",
        validate=validate_deployment_has_network_policy),
    ResourceValidationPolicy(
        name="no-plaintext-secrets",
        description="Kubernetes Secret data and every input named like a password, secret or "
                    "token is a Pulumi secret.",
        validate=validate_no_plaintext_secrets),
    ResourceValidationPolicy(
        name="prod-data-protected",
        description="In prod, every resource that holds data (KMS keys, databases, caches, "
                    "brokers, buckets, volumes, PVCs) and the EKS cluster is protected.",
        validate=validate_prod_data_protected),
]
