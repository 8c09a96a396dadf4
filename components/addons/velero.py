"""Backups: Velero copies the tenants' namespaces (every object, and their volumes as EBS
snapshots) on a schedule, and restores them.

- **What is backed up**: one Schedule, ``tenants``, over exactly the hosted applications'
  namespaces: their Kubernetes objects as a tarball in S3, and every PersistentVolumeClaim in
  them as a CSI snapshot (``EnableCSI``) through the snapshot-controller add-on and the
  VolumeSnapshotClass ``ebs`` labelled for Velero (components/cluster.py). Snapshots are EBS
  snapshots in the stack's region; the bucket holds the objects and the snapshots' records.
  Managed stores (RDS, ElastiCache, Amazon MQ, DocumentDB) are outside the cluster: AWS's own
  automated backups cover them. A volume snapshot is crash-consistent, like a power cut.
- **When, how long**: ``backups.schedule`` (cron, UTC; every 6 hours by default, seed 001),
  each backup kept ``backups.retentionDays`` (its ``ttl``): Velero's garbage collection then
  deletes the backup, its objects and its snapshots.
- **Where**: a dedicated bucket - private, owned by the account, SSE-KMS with a customer key
  that rotates yearly, TLS only, versioned (a backup deleted by mistake, or by whoever holds
  Velero's role, stays recoverable as noncurrent versions for ``NONCURRENT_DAYS``), and a
  lifecycle that expires what Velero failed to delete ``MARGIN_DAYS`` after the retention.
  Bucket and key are protected with ``protect`` (stack setting).
- **Credentials**: none stored. Velero's service account gets an AWS role (EKS Pod Identity, or
  IRSA with ``cluster.workloadIdentity: irsa``) whose policy is
  the AWS plugin's documented least privilege, scoped to this bucket (and its key); the EC2
  snapshot actions are for volumes the plugin snapshots itself (not CSI), on the stack's
  region's volumes and snapshots (Describe* takes no resource-level permissions: "*").
- **Pods**: the Velero server alone (no node-agent: CSI snapshots need no file-system
  access), non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp: the
  ``velero`` namespace stays Pod Security ``restricted``.
- **Monitoring** (when on): a ServiceMonitor for Velero's metrics and two alerts,
  ``VeleroBackupFailed`` (the last scheduled backup failed) and ``VeleroBackupMissing`` (no
  successful one for ``STALE_AFTER_HOURS``), each with a runbook in docs/runbooks.md.

The user's ``values`` are not taken: Velero has no ``addons.velero`` settings block (the
``backups`` settings say all a stack chooses).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.addons.alert_rules import RUNBOOK_BASE
from components.addons.base import ClusterContext, helm_release, namespace
from components.addons.monitoring import API_VERSION as MONITORING_API
from components.addons.monitoring import MANAGED
from components.addons.object_store import PrivateBucket, private_bucket
from components.workload_identity import ServiceAccountRole, service_account_role
from shipyard.rules import iam
from shipyard.versions import VELERO_AWS_PLUGIN_IMAGE

TYPE = "shipyard:addons:Velero"
NAMESPACE = "velero"
RELEASE = "velero"                 # also the chart's fullname: Deployment, Service, SA
SERVICE_ACCOUNT = "velero"         # the one its role trusts
SCHEDULE = "tenants"
SCHEDULE_NAME = f"{RELEASE}-{SCHEDULE}"   # the Schedule object (and its metrics' label)
LOCATION = "default"               # the BackupStorageLocation and VolumeSnapshotLocation
PREFIX = "velero"                  # under which Velero writes in the bucket
METRICS_PORT = "http-monitoring"
UID = 65532                        # the AWS plugin image's user; Velero's runs as any
MARGIN_DAYS = 7                    # lifecycle expiry after the retention: Velero deletes first
NONCURRENT_DAYS = 7                # how long a deleted or overwritten object stays recoverable
STALE_AFTER_HOURS = 12             # two missed runs of the 6-hourly schedule

# The AWS plugin's least privilege (velero-plugin-for-aws README, "Set permissions for Velero").
EC2_READ_ACTIONS = ("ec2:DescribeVolumes", "ec2:DescribeSnapshots")
EC2_WRITE_ACTIONS = ("ec2:CreateTags", "ec2:CreateVolume", "ec2:CreateSnapshot",
                     "ec2:DeleteSnapshot")
EC2_ACTIONS = (*EC2_READ_ACTIONS, *EC2_WRITE_ACTIONS)
OBJECT_ACTIONS = ("s3:GetObject", "s3:DeleteObject", "s3:PutObject", "s3:PutObjectTagging",
                  "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
# SSE-KMS: writing asks KMS for a data key, reading (and completing multipart uploads) decrypts.
KMS_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")

RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
                        "seccompProfile": RUNTIME_DEFAULT}


# -- pure functions ---------------------------------------------------------------------------


def backup_ttl(retention_days: int) -> str:
    """A backup's ``ttl`` as Velero writes durations: 30 days -> ``720h0m0s``."""
    if retention_days < 1:
        raise ValueError(f"backups.retentionDays {retention_days}: at least one day")
    return f"{retention_days * 24}h0m0s"


def bucket_expiry_days(retention_days: int) -> int:
    """The bucket's own expiry, a safety net behind Velero's garbage collection."""
    return retention_days + MARGIN_DAYS


def access_policy(bucket_arn: str, key_arn: str, region: str, partition: str = "aws") -> str:
    """Velero's role: EBS snapshots of the region's volumes, this bucket's objects and listing,
    and its key. Describe* takes no resource-level permissions (Service Authorization Reference,
    EC2): "*" is the only resource AWS allows it."""
    ec2 = f"arn:{partition}:ec2:{region}"
    return iam.document(
        iam.allow(EC2_READ_ACTIONS, "*"),
        iam.allow(EC2_WRITE_ACTIONS, [f"{ec2}::snapshot/*", f"{ec2}:*:volume/*"]),
        iam.allow(OBJECT_ACTIONS, f"{bucket_arn}/*"),
        iam.allow(["s3:ListBucket"], bucket_arn),
        iam.allow(KMS_ACTIONS, key_arn),
    )


def velero_values(*, bucket: pulumi.Input[str], region: str,
                  namespaces: Sequence[str], schedule: str, retention_days: int,
                  annotations: Mapping[str, pulumi.Input[str]] | None = None,
                  pod_annotations: Mapping[str, str] | None = None,
                  plugin_image: str = VELERO_AWS_PLUGIN_IMAGE) -> dict[str, Any]:
    """The ``velero`` chart's values (keys as in its values.yaml at velero-12.1.0). No
    namespaces, no schedule: an empty ``includedNamespaces`` would mean every namespace.
    ``annotations``: the server's service account's (IRSA's role ARN; none with Pod
    Identity); ``pod_annotations``: the server's pods' (the workload identity: a switch rolls
    them)."""
    non_root = {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID}
    values: dict[str, Any] = {
        "fullnameOverride": RELEASE,
        "initContainers": [{
            "name": "velero-plugin-for-aws",
            "image": plugin_image,
            "imagePullPolicy": "IfNotPresent",
            # it copies its binary into the shared emptyDir the server loads plugins from
            "volumeMounts": [{"mountPath": "/target", "name": "plugins"}],
            "securityContext": {**RESTRICTED_CONTAINER, "runAsUser": UID, "runAsGroup": UID},
            "resources": {"requests": {"cpu": "10m", "memory": "32Mi"},
                          "limits": {"memory": "64Mi"}},
        }],
        # the projected token (Pod Identity's or IRSA's) is readable by the pod's group (the
        # chart's note for IRSA)
        "podSecurityContext": {**non_root, "fsGroup": UID, "seccompProfile": RUNTIME_DEFAULT},
        # read-only root: the chart then mounts an emptyDir at /tmp
        "containerSecurityContext": {**RESTRICTED_CONTAINER},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"memory": "512Mi"}},
        # the pre-install/upgrade job that applies Velero's CRDs runs the same image, as the
        # same user, with the same read-only root: give it a writable /tmp too
        "upgradeJobResources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                "limits": {"memory": "256Mi"}},
        "upgradeCRDsJob": {"extraVolumes": [{"name": "tmp", "emptyDir": {}}],
                           "extraVolumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]},
        # no keys: the SDK's default chain finds the Pod Identity (or IRSA) credentials
        "credentials": {"useSecret": False},
        "serviceAccount": {"server": {"create": True, "name": SERVICE_ACCOUNT,
                                      **({"annotations": dict(annotations)}
                                         if annotations else {})}},
        **({"podAnnotations": dict(pod_annotations)} if pod_annotations else {}),
        "configuration": {
            "backupStorageLocation": [{
                "name": LOCATION, "provider": "aws", "bucket": bucket, "prefix": PREFIX,
                "default": True, "config": {"region": region}}],
            "volumeSnapshotLocation": [{
                "name": LOCATION, "provider": "aws", "config": {"region": region}}],
            # PVCs of the gp3 class are snapshotted through the CSI driver
            "features": "EnableCSI",
            "defaultVolumesToFsBackup": False,
            "defaultBackupTTL": backup_ttl(retention_days),
        },
        "backupsEnabled": True,
        "snapshotsEnabled": True,
        # file-system backups only: it runs as root with the node's paths (not restricted)
        "deployNodeAgent": False,
        # metrics on; the ServiceMonitor and alerts are shipyard's own (they wait for the CRDs)
        "metrics": {"enabled": True, "serviceMonitor": {"enabled": False},
                    "prometheusRule": {"enabled": False}},
    }
    if namespaces:
        values["schedules"] = {SCHEDULE: {
            "disabled": False,
            "schedule": schedule,
            "template": {
                "ttl": backup_ttl(retention_days),
                "storageLocation": LOCATION,
                "volumeSnapshotLocations": [LOCATION],
                "includedNamespaces": sorted(namespaces),
                "snapshotVolumes": True,
            },
        }}
    return values


def runbook_url(alert: str, runbook_base: str | None = None) -> str:
    return f"{runbook_base or RUNBOOK_BASE}#runbook-{alert.lower()}"


def alert_rules(*, stale_after_hours: int = STALE_AFTER_HOURS,
                runbook_base: str | None = None) -> list[dict[str, Any]]:
    """The schedule's alerts, on Velero's own metrics (pkg/metrics at v1.18.1)."""
    selector = f'{{schedule="{SCHEDULE_NAME}"}}'
    return [
        {"alert": "VeleroBackupFailed",
         # 1 after a success (and at start-up), 0 after a failed or partially failed backup
         "expr": f"velero_backup_last_status{selector} != 1",
         "for": "5m",
         "labels": {"severity": "warning"},
         "annotations": {
             "summary": "The last scheduled backup of the tenants failed",
             "description": f"Velero's backup of schedule {SCHEDULE_NAME} ended Failed or "
                            "PartiallyFailed.",
             "runbook_url": runbook_url("VeleroBackupFailed", runbook_base)}},
        {"alert": "VeleroBackupMissing",
         "expr": f"time() - velero_backup_last_successful_timestamp{selector} > "
                 f"{stale_after_hours * 3600}",
         "for": "10m",
         "labels": {"severity": "critical"},
         "annotations": {
             "summary": f"No successful backup of the tenants for {stale_after_hours} hours",
             "description": "The newest successful backup of schedule "
                            f"{SCHEDULE_NAME} is {{{{ $value | humanizeDuration }}}} old.",
             "runbook_url": runbook_url("VeleroBackupMissing", runbook_base)}},
    ]


def prometheus_rule(*, stale_after_hours: int = STALE_AFTER_HOURS,
                    runbook_base: str | None = None) -> dict[str, Any]:
    return {"apiVersion": MONITORING_API, "kind": "PrometheusRule",
            "metadata": {"name": "velero-alerts", "namespace": NAMESPACE, "labels": MANAGED},
            "spec": {"groups": [{"name": "shipyard.backups", "rules": alert_rules(
                stale_after_hours=stale_after_hours, runbook_base=runbook_base)}]}}


def service_monitor() -> dict[str, Any]:
    """Velero's metrics Service (the chart's ``velero`` Service, port http-monitoring)."""
    return {"apiVersion": MONITORING_API, "kind": "ServiceMonitor",
            "metadata": {"name": "velero", "namespace": NAMESPACE, "labels": MANAGED},
            "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "velero",
                                                  "app.kubernetes.io/instance": RELEASE}},
                     "namespaceSelector": {"matchNames": [NAMESPACE]},
                     "endpoints": [{"port": METRICS_PORT, "path": "/metrics",
                                    "interval": "60s", "scheme": "http"}]}}


# -- component --------------------------------------------------------------------------------


@dataclass(frozen=True)
class VeleroArgs:
    ctx: ClusterContext
    namespaces: Sequence[str]                 # the tenants' namespaces
    schedule: str
    retention_days: int
    protect: bool = True                      # the bucket and its key
    monitoring: Sequence[pulumi.Resource] | None = None   # the monitoring CRDs; None: off
    runbook_base: str | None = None
    stale_after_hours: int = STALE_AFTER_HOURS
    after: Sequence[pulumi.Resource] = ()


class Velero(pulumi.ComponentResource):
    namespace_name: str
    key: aws.kms.Key
    store: PrivateBucket
    role: ServiceAccountRole
    release: k8s.helm.v3.Release
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: VeleroArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ctx = args.ctx
        if ctx.identity is None:
            raise ValueError("backups.enabled: Velero reaches its bucket with an AWS role, "
                             "which needs an EKS cluster (cluster.mode eks)")
        self.namespace_name = NAMESPACE
        if not args.namespaces:
            pulumi.log.warn("backups: the stack hosts no application, so Velero has no "
                            "schedule (an empty namespace list would back up every one)", self)

        # The bucket's key: losing it loses every backup. The account administers it; Velero's
        # role uses it through its IAM policy (S3 asks KMS on its behalf).
        caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.key = aws.kms.Key(
            f"{name}-key", description=f"Velero backups of {ctx.cluster_name}",
            enable_key_rotation=True, deletion_window_in_days=30,
            policy=caller.account_id.apply(iam.key_policy),
            tags={**ctx.tags, "Name": f"{ctx.cluster_name}-velero"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        aws.kms.Alias(f"{name}-key-alias", name=f"alias/{ctx.cluster_name}-velero",
                      target_key_id=self.key.key_id, opts=pulumi.ResourceOptions(parent=self))
        self.store = private_bucket(
            f"{name}-backups", purpose="velero", cluster_name=ctx.cluster_name,
            protect=args.protect, parent=self,
            expire_after_days=bucket_expiry_days(args.retention_days), tags=ctx.tags,
            versioned=True, kms_key_arn=self.key.arn,
            noncurrent_expire_days=NONCURRENT_DAYS, access_logs=ctx.access_logs)
        bucket = self.store.bucket
        self.role = service_account_role(
            name, identity=ctx.identity, namespace=NAMESPACE, service_account=SERVICE_ACCOUNT,
            parent=self, tags=ctx.tags, former=f"{name}-irsa",
            policy=pulumi.Output.all(bucket.arn, self.key.arn).apply(
                lambda a: access_policy(a[0], a[1], ctx.region)))

        # its Backup and Restore objects (the bucket's copies re-sync, but a restore under way
        # would go with them): protected like the data
        self.namespace = namespace(name, NAMESPACE, parent=self, provider=ctx.provider,
                                   protect=args.protect)
        values = velero_values(
            bucket=bucket.bucket, region=ctx.region, annotations=self.role.annotations,
            pod_annotations=self.role.pod_annotations,
            namespaces=args.namespaces, schedule=args.schedule,
            retention_days=args.retention_days)
        # Velero validates its storage location at start-up: its role must hold the bucket
        # policy (and be associated) by then (the bucket itself comes in with its name).
        self.release = helm_release(
            name, "velero", release_name=RELEASE, namespace_name=self.namespace.metadata.name,
            values=values, parent=self, provider=ctx.provider,
            depends_on=[*self.role.ready, *args.after])
        self.ready = [self.release]

        if args.monitoring is not None:
            cr_opts = pulumi.ResourceOptions(parent=self, provider=ctx.provider,
                                             depends_on=list(args.monitoring))
            monitor = service_monitor()
            k8s.apiextensions.CustomResource(
                f"{name}-monitor", api_version=monitor["apiVersion"], kind=monitor["kind"],
                metadata={**monitor["metadata"], "namespace": self.namespace.metadata.name},
                spec=monitor["spec"], opts=cr_opts)
            rule = prometheus_rule(stale_after_hours=args.stale_after_hours,
                                   runbook_base=args.runbook_base)
            k8s.apiextensions.CustomResource(
                f"{name}-rules", api_version=rule["apiVersion"], kind=rule["kind"],
                metadata={**rule["metadata"], "namespace": self.namespace.metadata.name},
                spec=rule["spec"], opts=cr_opts)

        self.register_outputs({"namespace": NAMESPACE, "bucket": bucket.bucket,
                               "schedule": SCHEDULE_NAME if args.namespaces else None})
