"""Which resources hold data, and which of their inputs replace them when changed.

Every resource type the program can create is classified here: ``STATEFUL`` (losing or
replacing it loses data, so prod protects it) or ``STATELESS`` (recreated from the program
alone), each with its reason. ``tests/test_protection.py`` fails on a type in any plan that is
in neither, and on a stateful resource in prod without ``protect`` (or ``retainOnDelete``).

``STATEFUL`` maps a type to the inputs the provider cannot change in place (it replaces the
resource: a new, empty database). ``replacements`` compares two plans and lists the stateful
resources such a change would replace — ``plan.py --against OLD.json`` prints them, so a pull
request that renames a database identifier or changes its engine says so before anyone runs
``pulumi up`` (where ``protect`` then stops it in prod).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from offline.estimates.volumes import chart_volumes
from shipyard.rules.stores import STORE_ID_ANNOTATION, USES_LABEL

RELEASE = "kubernetes:helm.sh/v3:Release"

# type (or "type[chart]" for Helm releases) -> inputs whose change replaces it
STATEFUL: dict[str, tuple[str, ...]] = {
    # databases, caches and brokers: identifier, engine and encryption are fixed at creation
    "aws:rds/instance:Instance": ("identifier", "engine", "storageEncrypted", "kmsKeyId",
                                  "username", "dbName", "characterSetName"),
    "aws:docdb/cluster:Cluster": ("clusterIdentifier", "engine", "storageEncrypted", "kmsKeyId",
                                  "masterUsername"),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "replicationGroupId", "atRestEncryptionEnabled", "kmsKeyId", "subnetGroupName"),
    "aws:mq/broker:Broker": ("brokerName", "engineType", "deploymentMode", "subnetIds",
                             "storageType", "publiclyAccessible", "encryptionOptions"),
    # buckets and the keys everything at rest is encrypted with
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix"),
    "aws:kms/key:Key": ("keyUsage", "customerMasterKeySpec", "multiRegion"),
    # in the cluster: the objects that own volumes (their claims follow them)
    "kubernetes:core/v1:PersistentVolumeClaim": ("metadata.name", "metadata.namespace",
                                                 "spec.storageClassName"),
    "kubernetes:apps/v1:StatefulSet": ("metadata.name", "metadata.namespace",
                                       "spec.volumeClaimTemplates"),
    "kubernetes:postgresql.cnpg.io/v1:Cluster": ("metadata.name", "metadata.namespace"),
    "kubernetes:postgresql.cnpg.io/v1:Database": ("metadata.name", "metadata.namespace",
                                                  "spec.name", "spec.cluster"),
    "kubernetes:mongodbcommunity.mongodb.com/v1:MongoDBCommunity": ("metadata.name",
                                                                    "metadata.namespace"),
    "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster": ("metadata.name", "metadata.namespace"),
    f"{RELEASE}[valkey]": ("name", "namespace"),
}

# Namespaces are stateful when they hold volumes or store credentials: deleting one deletes
# every claim and Secret in it. The tenants' namespaces, and these add-ons':
DATA_NAMESPACES = ("monitoring", "logging", "observability", "velero")

# type -> why losing it loses no data (what recreates it)
STATELESS: dict[str, str] = {
    **{t: "network plumbing: recreated from the settings" for t in (
        "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/route:Route",
        "aws:ec2/routeTable:RouteTable", "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/flowLog:FlowLog")},
    # shipyard's only instances are NAT instances (components/network.py)
    "aws:ec2/instance:Instance": "a NAT instance: its root volume holds the image and what its "
                                 "user data writes, which a replacement writes again",
    **{t: "compute and its configuration: nodes are cattle, the cluster's state is in the "
          "Kubernetes objects this program recreates" for t in (
        "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon",
        "aws:eks/accessEntry:AccessEntry",
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider")},
    **{t: "identity and permissions: recreated from the program" for t in (
        "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policy:Policy",
        "aws:iam/instanceProfile:InstanceProfile", "aws:kms/alias:Alias")},
    **{t: "a setting of a bucket (the bucket itself is stateful)" for t in (
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketLogging:BucketLogging")},
    **{t: "where logs are delivered: recreated from the program (the logs are the "
          "access-log bucket's)" for t in (
        "aws:cloudwatch/logDeliverySource:LogDeliverySource",
        "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
        "aws:cloudwatch/logDelivery:LogDelivery")},
    **{t: "a managed store's network, parameters or users: recreated from the program "
          "(the store keeps its data)" for t in (
        "aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup",
        "aws:docdb/subnetGroup:SubnetGroup",
        "aws:docdb/clusterParameterGroup:ClusterParameterGroup",
        "aws:elasticache/subnetGroup:SubnetGroup", "aws:elasticache/user:User",
        "aws:elasticache/userGroup:UserGroup", "aws:elasticache/parameterGroup:ParameterGroup",
        "aws:mq/configuration:Configuration")},
    "aws:docdb/clusterInstance:ClusterInstance": "a DocumentDB cluster's compute: the data "
                                                 "is the cluster's volume",
    "aws:ecr/repository:Repository": "images: CI rebuilds and pushes them from source",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "a repository's setting",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "a repository's setting",
    "aws:cloudwatch/logGroup:LogGroup": "logs age out by retention; a new group starts empty",
    "aws:cloudwatch/eventRule:EventRule": "Karpenter's interruption events: transient",
    "aws:cloudwatch/eventTarget:EventTarget": "Karpenter's interruption events: transient",
    "aws:sqs/queue:Queue": "Karpenter's interruption queue: transient messages",
    "aws:sqs/queuePolicy:QueuePolicy": "a queue's setting",
    "aws:route53/zone:Zone": "records are recreated from the program (a new zone needs its "
                             "delegation renewed, which shipyard does when it owns the parent)",
    "aws:route53/record:Record": "recreated from the program",
    "aws:route53/queryLog:QueryLog": "a zone's setting: where its query logs go",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "who may write to the account's "
                                                          "log groups: recreated from the "
                                                          "program",
    "aws:route53/keySigningKey:KeySigningKey": "a zone's signing key: recreated from its KMS "
                                               "key (which is stateful)",
    "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec": "a zone's setting: signing on",
    "aws:acm/certificate:Certificate": "reissued by DNS validation",
    "aws:acm/certificateValidation:CertificateValidation": "a wait, not a resource",
    "aws:cloudfront/distribution:Distribution": "a cache in front of a bucket",
    "aws:cloudfront/originAccessControl:OriginAccessControl": "a distribution's setting",
    "aws:wafv2/webAcl:WebAcl": "the CDN's firewall rules: recreated from the program",
    "random:index/randomPassword:RandomPassword": "its value lives in the state and in the "
                                                  "Secrets made from it; a store keeps "
                                                  "working until its users are re-set",
    "random:index/randomId:RandomId": "a name suffix (a final snapshot's)",
    "pulumi:providers:kubernetes": "a provider", "pulumi:providers:aws": "a provider",
    "kubernetes:helm.sh/v3:Release": "a chart whose workloads keep no data (a chart that "
                                     "does is listed as stateful by name)",
    "kubernetes:yaml/v2:ConfigFile": "an operator's manifests",
    "kubernetes:core/v1:Namespace": "a namespace without volumes or credentials (those that "
                                    "hold them: tenants and DATA_NAMESPACES)",
}
# Kubernetes kinds that hold no data of their own: the program recreates them.
STATELESS_KUBERNETES_GROUPS = (
    "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:",
    "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret", "kubernetes:core/v1:Service",
    "kubernetes:core/v1:ServiceAccount", "kubernetes:core/v1:LimitRange",
    "kubernetes:core/v1:ResourceQuota", "kubernetes:autoscaling/", "kubernetes:policy/",
    "kubernetes:networking.k8s.io/", "kubernetes:rbac.authorization.k8s.io/",
    "kubernetes:storage.k8s.io/", "kubernetes:snapshot.storage.k8s.io/",
    "kubernetes:gateway.networking.k8s.io/", "kubernetes:networking.istio.io/",
    "kubernetes:security.istio.io/", "kubernetes:telemetry.istio.io/",
    "kubernetes:cert-manager.io/", "kubernetes:monitoring.coreos.com/",
    "kubernetes:karpenter.sh/", "kubernetes:karpenter.k8s.aws/", "kubernetes:argoproj.io/",
    "kubernetes:postgresql.cnpg.io/v1:DatabaseRole", "kubernetes:postgresql.cnpg.io/v1:Pooler",
    "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup", "kubernetes:barmancloud.cnpg.io/",
    "kubernetes:velero.io/",
)
STATELESS_PREFIXES = ("shipyard:",)       # components: they own nothing themselves


def kind_of(record: Any) -> str:
    """The key a record is classified by: its type, or ``type[chart]`` for a release."""
    if record.type == RELEASE:
        return f"{RELEASE}[{record.inputs.get('chart')}]"
    return record.type


def namespace_holds_data(record: Any, tenants: Iterable[str]) -> bool:
    name = (record.inputs.get("metadata") or {}).get("name")
    return name in set(tenants) or name in DATA_NAMESPACES


def is_stateful(record: Any, tenants: Iterable[str] = ()) -> bool:
    if record.type == "kubernetes:core/v1:Namespace":
        return namespace_holds_data(record, tenants)
    return kind_of(record) in STATEFUL


def classified(type_or_kind: str) -> bool:
    base = type_or_kind.split("[")[0]
    return (type_or_kind in STATEFUL or type_or_kind in STATELESS or base in STATELESS
            or type_or_kind.startswith(STATELESS_KUBERNETES_GROUPS)
            or type_or_kind.startswith(STATELESS_PREFIXES))


def protected(record: Any) -> bool:
    options = record.options or {}
    return bool(options.get("protect") or options.get("retainOnDelete"))


def input_at(inputs: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of a resource's inputs (None where the path is absent)."""
    value: Any = inputs
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def replace_keys(record: Any) -> tuple[str, ...]:
    return STATEFUL.get(kind_of(record), ())


# A service's connection to a managed store names the store's AWS identifier
# (shipyard.rules.stores.STORE_ID_ANNOTATION): a service whose store changes (its application's
# placement moved, shared <-> perApplication) starts on an empty database while its data stays
# in the old.
CONNECTION = "kubernetes:core/v1:ConfigMap"


def connection_of(type_: str, inputs: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(the store it uses, the managed store's identifier) of a service's connection ConfigMap
    (its ``shipyard.dev/uses`` label and ``shipyard.dev/store-id`` annotation); (None, None)
    for anything else."""
    if type_ != CONNECTION:
        return None, None
    meta = inputs.get("metadata") or {}
    return ((meta.get("labels") or {}).get(USES_LABEL),
            (meta.get("annotations") or {}).get(STORE_ID_ANNOTATION))


def moved_connections(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]
                      ) -> list[dict[str, Any]]:
    """Services (their connection ConfigMaps, plan JSON records) whose managed store is another
    in ``new`` than in ``old``."""
    def store_of(r: Mapping[str, Any]) -> str | None:
        return connection_of(r["type"], r.get("inputs") or {})[1]

    before = {r["urn"]: store_of(r) for r in old if store_of(r)}
    found = []
    for r in new:
        was, now = before.get(r["urn"]), store_of(r)
        if was and now and was != now:
            found.append({"urn": r["urn"], "type": r["type"], "name": r["name"],
                          "change": f"its service's store moves from {was} to {now}: a new, "
                                    f"empty database for it, its data stays in {was} (dump "
                                    f"and restore first: docs/data-stores.md)"})
    return found


# Volumes are provisioned by a StorageClass's driver and stay that driver's: a PersistentVolume
# names it (spec.csi.driver), and only that driver attaches it. A class whose provisioner
# changes (cluster.autoMode: the EBS CSI add-on's ebs.csi.aws.com -> Auto Mode's own
# ebs.csi.eks.amazonaws.com, while the add-on is removed) strands every volume already made:
# its pods cannot start where it cannot be attached.
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"


def makes_claims(type_: str, inputs: Mapping[str, Any]) -> bool:
    """Holds volumes (PersistentVolumeClaims): a claim, a StatefulSet with claim templates, an
    operator's cluster with storage, or a chart whose values ask for persistent storage."""
    if type_ == CLAIM:
        return True
    if type_ == "kubernetes:apps/v1:StatefulSet":
        return bool((inputs.get("spec") or {}).get("volumeClaimTemplates"))
    if type_.startswith(("kubernetes:postgresql.cnpg.io/v1:Cluster",
                         "kubernetes:mongodbcommunity.mongodb.com/", "kubernetes:rabbitmq.com/")):
        return True
    if type_ == RELEASE:   # the rule the estimate prices the volumes by (one reading)
        return bool(chart_volumes(inputs.get("values") or {}))
    return False


def stranded_volumes(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]
                     ) -> list[dict[str, Any]]:
    """What holds volumes in both plans, when a StorageClass of the cluster changes its
    provisioner between them: the volumes it has stay the old driver's."""
    def provisioners(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        return {r["urn"]: (r.get("inputs") or {}).get("provisioner") for r in records
                if r["type"] == STORAGE_CLASS}

    new = list(new)
    before, after = provisioners(old), provisioners(new)
    moved = {urn: (before[urn], after[urn]) for urn in set(before) & set(after)
             if before[urn] != after[urn]}
    if not moved:
        return []
    was, now = sorted(moved.values())[0]
    urns = {r["urn"] for r in old}
    return [{"urn": r["urn"], "type": r["type"], "name": r["name"],
             "change": f"its volumes were provisioned by {was}; the storage class now names "
                       f"{now}, which does not attach them: its pods cannot start on them "
                       f"(move the data first: docs/architecture.md, EKS Auto Mode)"}
            for r in new if r["urn"] in urns and makes_claims(r["type"], r.get("inputs") or {})]


def renamed(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]
            ) -> dict[str, str]:
    """Old URN -> new URN for each resource the new plan moved under another name, type or
    parent with an alias naming the old URN (``options.aliases``): the engine updates it in
    place instead of deleting the old one and creating the new."""
    gone = {r["urn"] for r in old} - {r["urn"] for r in new}
    return {alias: r["urn"] for r in new
            for alias in (r.get("options") or {}).get("aliases") or () if alias in gone}


def replacements(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]
                 ) -> list[dict[str, Any]]:
    """Stateful resources (plan JSON records) a change between two plans would replace or
    delete: by a changed replace-key, or by leaving the program (a renamed component without
    an alias); the services whose connection moves to another managed store; and what holds
    volumes when the storage class's provisioner changes."""
    old, new = list(old), list(new)
    moved = renamed(old, new)

    def key(r: Mapping[str, Any]) -> str:
        return moved.get(r["urn"], r["urn"])

    def kind(r: Mapping[str, Any]) -> str:
        if r["type"] == RELEASE:
            return f"{RELEASE}[{(r.get('inputs') or {}).get('chart')}]"
        return r["type"]

    before = {key(r): r for r in old if kind(r) in STATEFUL}
    after = {key(r): r for r in new if kind(r) in STATEFUL}
    found: list[dict[str, Any]] = []
    for urn, r in sorted(before.items()):
        if urn not in after:
            found.append({"urn": urn, "type": r["type"], "name": r["name"],
                          "change": "deleted (gone from the program, or renamed)"})
            continue
        old_inputs, new_inputs = r.get("inputs") or {}, after[urn].get("inputs") or {}
        changed = [k for k in STATEFUL[kind(r)]
                   if input_at(old_inputs, k) != input_at(new_inputs, k)]
        if changed:
            found.append({"urn": urn, "type": r["type"], "name": r["name"],
                          "change": f"replaced ({', '.join(changed)} changed)"})
    flagged = {f["urn"] for f in found}
    return found + moved_connections(old, new) + [
        s for s in stranded_volumes(old, new) if s["urn"] not in flagged]
