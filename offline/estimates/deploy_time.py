"""How long a first ``pulumi up`` takes, from the plan's dependency graph.

Pulumi creates every resource as soon as everything it waits for exists, and runs independent
creates side by side (``--parallel`` is unbounded by default). So the time of a first deploy is
the longest path through the dependency graph, each resource weighted by its typical create
time (``create_times.json``, each figure with its source).

What a resource waits for (the edges):

- every URN in ``record.dependencies``: the resources whose outputs it uses
  (``record.property_dependencies``) and its explicit ``depends_on``;
- its explicit provider (a Kubernetes object waits for the ``k8s.Provider``, which waits for the
  nodes) and its parent (a child registers once its parent has);
- a dependency on a *component* (``custom`` false, e.g. ``shipyard:addons:CertManager``) means the
  component and all its descendants, as Pulumi waits for a component's children.

``deploy_minutes`` is that longest path. ``floor_minutes`` is the same computation over only the
dependencies a deploy truly needs: those carried by an input value (the resource uses the other's
output), provider and parent edges, and the explicit ``depends_on`` edges in ``NECESSARY``, a
short allow-list of (dependent kind, dependency kind) pairs, each with its reason. An explicit
edge outside the list lengthens ``deploy_minutes`` but not the floor; the gap between the two is
what removing unneeded waits can gain (``tests/test_deploy_time.py`` keeps it within 10 %).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from offline.harness import Plan, ResourceRecord

CREATE_TIMES = Path(__file__).with_name("create_times.json")
RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
# The input that refines a type's create time and its kind in NECESSARY: "TYPE[value]".
DISCRIMINATORS = {
    RELEASE: "chart",
    ADDON: "addonName",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpcEndpointType",
    "aws:mq/broker:Broker": "deploymentMode",
}


@dataclass(frozen=True)
class Necessary:
    """An explicit ``depends_on`` a real deploy needs: ``dependent`` waits for ``dependency``.
    Each side is a kind: a type token, or ``TYPE[discriminator]`` (see ``kinds``)."""

    dependent: str
    dependency: str
    reason: str


NECESSARY: tuple[Necessary, ...] = (
    # -- network
    Necessary("aws:ec2/natGateway:NatGateway", "aws:ec2/internetGateway:InternetGateway",
              "a public NAT gateway fails (Gateway.NotAttached) until the VPC has its IGW"),
    Necessary("aws:ec2/eip:Eip", "aws:ec2/internetGateway:InternetGateway",
              "an Elastic IP is associated with an instance in a VPC only once the VPC has its "
              "IGW (Gateway.NotAttached)"),
    # -- EKS control plane and nodes
    Necessary("aws:eks/cluster:Cluster", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
              "EKS assumes the cluster role at once: AmazonEKSClusterPolicy must be attached "
              "first (and outlive the cluster on destroy)"),
    Necessary("aws:eks/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup",
              "EKS creates /aws/eks/NAME/cluster itself, without retention, if it is missing"),
    # -- the managed databases
    Necessary("aws:rds/instance:Instance", "aws:cloudwatch/logGroup:LogGroup",
              "RDS creates /aws/rds/instance/ID/LOG itself, unencrypted and kept for ever, "
              "if it is missing when the exports start"),
    Necessary("aws:docdb/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup",
              "DocumentDB creates /aws/docdb/CLUSTER/LOG itself, unencrypted and kept for "
              "ever, if it is missing when the exports start"),
    Necessary("aws:rds/instance:Instance", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
              "RDS validates Enhanced Monitoring's role (AmazonRDSEnhancedMonitoringRole "
              "attached) when the instance names it, and refuses it otherwise"),
    Necessary("aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
              "aws:eks/accessEntry:AccessEntry",
              "a policy can only be associated with an existing access entry"),
    Necessary(NODE_GROUP, "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
              "nodes cannot join without AmazonEKSWorkerNodePolicy and ECR pull on their role"),
    Necessary(NODE_GROUP, f"{ADDON}[vpc-cni]",
              "bootstrapSelfManagedAddons is off: without the CNI nodes never become Ready"),
    Necessary(ADDON, "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
              "an add-on with a role of its own (vpc-cni, EBS CSI) starts using it at once: its "
              "policy must be attached first, else the pods start without permissions"),
    Necessary(NODE_GROUP, f"{ADDON}[kube-proxy]",
              "bootstrapSelfManagedAddons is off: aws-node reaches the API server through the "
              "kubernetes Service address, which only kube-proxy programs"),
    Necessary(NODE_GROUP, f"{ADDON}[eks-pod-identity-agent]",
              "pods using EKS Pod Identity need the agent on their node when they start; "
              "terraform-aws-eks installs it before compute (it runs beside vpc-cni: no cost)"),
    Necessary(NODE_GROUP, "aws:ec2/route:Route",
              "a node joins through the private subnets' default route (the API's public "
              "endpoint, image pulls); on destroy the route outlives the nodes and the "
              "controllers on them, which clean up through AWS's APIs (offline/destroy.py)"),
    Necessary(NODE_GROUP, "aws:ec2/routeTableAssociation:RouteTableAssociation",
              "the subnets reach their default route only through their table's association "
              "(and keep it on destroy until the nodes are gone)"),
    Necessary("pulumi:providers:kubernetes", "aws:ec2/route:Route",
              "Auto Mode (no node group): everything in the cluster waits for the egress "
              "routes, so destroy removes them after it (offline/destroy.py)"),
    Necessary("pulumi:providers:kubernetes",
              "aws:ec2/routeTableAssociation:RouteTableAssociation",
              "Auto Mode: as for the routes"),
    Necessary(f"{ADDON}[coredns]", NODE_GROUP,
              "CoreDNS pods need nodes: before them the add-on stays DEGRADED and its create "
              "times out (terraform-aws-eks#3001)"),
    Necessary(f"{ADDON}[aws-ebs-csi-driver]", NODE_GROUP,
              "its controller Deployment needs nodes before the add-on is ACTIVE"),
    # -- volume snapshots and backups (issue 6)
    Necessary(f"{ADDON}[snapshot-controller]", NODE_GROUP,
              "its controller Deployment needs nodes before the add-on is ACTIVE"),
    Necessary(f"{ADDON}[aws-ebs-csi-driver]", f"{ADDON}[snapshot-controller]",
              "the EBS CSI controller's snapshot sidecar watches VolumeSnapshotContents: their "
              "CRDs, which the snapshot-controller add-on installs, must exist when it starts"),
    Necessary("kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass",
              f"{ADDON}[snapshot-controller]", "its CRD"),
    Necessary(f"{RELEASE}[velero]", "aws:iam/rolePolicy:RolePolicy",
              "Velero validates its backup storage location at start-up: until its role "
              "has the bucket policy the location is Unavailable and the schedule's first "
              "backup fails"),
    Necessary("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
              "aws:s3/bucketVersioning:BucketVersioning",
              "rules for noncurrent versions are written against a versioned bucket (the "
              "provider's documented order: versioning first)"),
    # -- access logs (issue 17)
    Necessary("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketPolicy:BucketPolicy",
              "S3 refuses a logging target whose bucket policy does not yet let its logging "
              "service write there"),
    Necessary("aws:cloudwatch/logDelivery:LogDelivery", "aws:s3/bucketPolicy:BucketPolicy",
              "CloudWatch Logs refuses a delivery to a bucket whose policy does not yet let "
              "its log delivery service write there"),
    # -- Route53 query logs and DNSSEC (issue 17)
    Necessary("aws:route53/queryLog:QueryLog",
              "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
              "Route53 refuses a query logging configuration until a resource policy lets it "
              "write to the log group"),
    Necessary("aws:route53/hostedZoneDnsSec:HostedZoneDnsSec",
              "aws:route53/keySigningKey:KeySigningKey",
              "a zone is signed with an active key-signing key, which must exist first"),
    Necessary("aws:route53/record:Record", "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec",
              "the DS record goes in the parent zone once the zone is signed: published "
              "earlier, validating resolvers find no signatures and refuse the zone"),
    Necessary("pulumi:providers:kubernetes", NODE_GROUP,
              "every Helm release waits for its pods to be Ready, which needs nodes"),
    # -- Karpenter
    Necessary(f"{RELEASE}[karpenter]", f"{RELEASE}[karpenter-crd]",
              "the CRD chart must own the CRDs first; else Helm installs the karpenter chart's "
              "crds/ copy, unowned, and the CRD chart conflicts"),
    Necessary("kubernetes:karpenter.sh/v1:NodePool", f"{RELEASE}[karpenter-crd]", "its CRD"),
    Necessary("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", f"{RELEASE}[karpenter-crd]",
              "its CRD"),
    Necessary("kubernetes:karpenter.sh/v1:NodePool", f"{RELEASE}[karpenter]",
              "destroy: deleted while the controller still runs to release its finalizers and "
              "terminate the instances it launched"),
    Necessary("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", f"{RELEASE}[karpenter]",
              "destroy: deleted while the controller still runs to release its finalizer"),
    Necessary("kubernetes:karpenter.sh/v1:NodePool", "aws:eks/accessEntry:AccessEntry",
              "the first nodes Karpenter launches join only with their role's access entry"),
    Necessary("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "aws:eks/accessEntry:AccessEntry",
              "the first nodes Karpenter launches join only with their role's access entry"),
    Necessary("aws:cloudwatch/eventTarget:EventTarget", "aws:sqs/queuePolicy:QueuePolicy",
              "EventBridge drops interruption events the queue policy does not yet allow"),
    # -- Gateway API consumers: the CRDs first
    Necessary(f"{RELEASE}[cert-manager]", CONFIG_FILE,
              "cert-manager turns on its Gateway API support only if the CRDs exist when it "
              "starts"),
    Necessary(f"{RELEASE}[external-dns]", CONFIG_FILE,
              "its HTTPRoute/GRPCRoute informers never sync without the CRDs (the pod crashes)"),
    Necessary(f"{RELEASE}[nginx-gateway-fabric]", CONFIG_FILE,
              "NGINX Gateway Fabric exits when the Gateway API CRDs are missing"),
    Necessary(f"{RELEASE}[istiod]", CONFIG_FILE,
              "istiod watches Gateway API resources from start-up (Istio installs the CRDs "
              "first)"),
    Necessary("kubernetes:gateway.networking.k8s.io/v1:Gateway", CONFIG_FILE, "its CRD"),
    Necessary("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", CONFIG_FILE, "its CRD"),
    # -- Istio
    Necessary(f"{RELEASE}[istiod]", f"{RELEASE}[base]", "istiod needs the Istio CRDs from base"),
    Necessary(f"{RELEASE}[istiod]", f"{RELEASE}[cni]",
              "sidecar mode with istio-cni: Istio's install order puts the node agent before "
              "istiod, so injected pods never start without it"),
    Necessary("kubernetes:security.istio.io/v1:PeerAuthentication", f"{RELEASE}[base]",
              "its CRD"),
    Necessary("kubernetes:telemetry.istio.io/v1:Telemetry", f"{RELEASE}[base]", "its CRD"),
    Necessary("kubernetes:networking.istio.io/v1:DestinationRule", f"{RELEASE}[base]",
              "its CRD"),
    Necessary("kubernetes:networking.istio.io/v1:VirtualService", f"{RELEASE}[base]",
              "its CRD"),
    Necessary("kubernetes:security.istio.io/v1:AuthorizationPolicy", f"{RELEASE}[base]",
              "its CRD"),
    # -- observability and GitOps custom resources: each waits for the chart with its CRDs
    Necessary("kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
              f"{RELEASE}[kube-prometheus-stack]", "its CRD"),
    Necessary("kubernetes:monitoring.coreos.com/v1:PodMonitor",
              f"{RELEASE}[kube-prometheus-stack]", "its CRD"),
    Necessary("kubernetes:monitoring.coreos.com/v1:PrometheusRule",
              f"{RELEASE}[kube-prometheus-stack]", "its CRD"),
    Necessary("kubernetes:argoproj.io/v1alpha1:AppProject", f"{RELEASE}[argo-cd]", "its CRD"),
    Necessary("kubernetes:argoproj.io/v1alpha1:ApplicationSet", f"{RELEASE}[argo-cd]",
              "its CRD"),
    Necessary(f"{RELEASE}[loki]", "aws:iam/rolePolicy:RolePolicy",
              "Loki's first S3 calls fail (AccessDenied) until its role has its bucket "
              "policy"),
    Necessary(f"{RELEASE}[tempo]", "aws:iam/rolePolicy:RolePolicy",
              "Tempo's first S3 calls fail (AccessDenied) until its role has its bucket "
              "policy"),
    # -- EKS Pod Identity: a chart's or a service's pods, and the grants of their role
    Necessary(RELEASE, POD_IDENTITY,
              "EKS Pod Identity's webhook gives a pod credentials only if its service "
              "account's association exists when the pod is created: pods started earlier "
              "have none until they restart"),
    Necessary("kubernetes:apps/v1:Deployment", POD_IDENTITY,
              "EKS Pod Identity's webhook gives a pod credentials only if its service "
              "account's association exists when the pod is created"),
    Necessary(RELEASE, "aws:iam/rolePolicy:RolePolicy",
              "a controller that calls AWS as it starts (the load balancer controller, "
              "external-dns, cert-manager's DNS-01, Karpenter) fails its first calls "
              "(AccessDenied) until its role has its policy"),
    Necessary("kubernetes:apps/v1:Deployment", "aws:iam/rolePolicy:RolePolicy",
              "a service that calls AWS fails its first calls (AccessDenied) until its role "
              "has its policy"),
    # -- applications
    Necessary("kubernetes:apps/v1:Deployment", "kubernetes:core/v1:ServiceAccount",
              "the API server refuses a pod whose service account does not exist yet: the "
              "rollout would stall until the ReplicaSet controller's back-off retries"),
    Necessary("kubernetes:apps/v1:Deployment", f"{RELEASE}[istiod]",
              "a mesh application's pods must be created once the sidecar injector serves, "
              "else they start without a proxy and STRICT mTLS cuts them off"),
    # -- the applications' data stores (issue 6)
    Necessary("kubernetes:apps/v1:Deployment", "kubernetes:core/v1:ConfigMap",
              "its pods read their store's address from it, which exists only once the store "
              "does (an RDS instance takes ~15 min): started earlier, the pods fail "
              "CreateContainerConfigError past the rollout's 10-minute progress deadline"),
    Necessary("kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Secret",
              "its pods mount their store's password from it; without it they cannot start"),
    Necessary("kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job",
              "a managed store's bootstrap Job (awaited until Complete) creates the service's "
              "user and database: started earlier its pods crash-loop on authentication "
              "failures"),
    # -- in-cluster SQL stores (issue 6): CloudNativePG and MySQL
    Necessary("kubernetes:postgresql.cnpg.io/v1:Cluster", f"{RELEASE}[cloudnative-pg]",
              "its CRD, and the operator's webhooks (fail closed) serving"),
    Necessary("kubernetes:postgresql.cnpg.io/v1:Database", f"{RELEASE}[cloudnative-pg]",
              "its CRD, and the operator's webhooks (fail closed) serving"),
    Necessary("kubernetes:postgresql.cnpg.io/v1:DatabaseRole", f"{RELEASE}[cloudnative-pg]",
              "its CRD, and the operator's webhooks (fail closed) serving"),
    Necessary("kubernetes:apps/v1:Deployment", "kubernetes:postgresql.cnpg.io/v1:DatabaseRole",
              "its pods log in as that role (awaited until applied): started earlier they "
              "crash-loop on authentication failures until the cluster is up"),
    Necessary("kubernetes:apps/v1:Deployment", "kubernetes:postgresql.cnpg.io/v1:Database",
              "its pods connect to that database (awaited until applied), which exists only "
              "once the cluster is up"),
    Necessary("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
              "an in-cluster MySQL is ready only once its postStart hook created the "
              "service's database and user: started earlier the pods crash-loop"),
    # -- in-cluster NoSQL stores (issue 6): MongoDB, Valkey, RabbitMQ
    Necessary("kubernetes:mongodbcommunity.mongodb.com/v1:MongoDBCommunity",
              f"{RELEASE}[mongodb-kubernetes]",
              "its CRD (the chart's crds/), and the operator that builds its StatefulSet"),
    Necessary(CONFIG_FILE, f"{RELEASE}[cert-manager]",
              "the RabbitMQ Cluster Operator's manifest holds a cert-manager Issuer and "
              "Certificate (its webhooks' serving certificate): their CRDs and cert-manager's "
              "webhook (fails closed) must serve"),
    Necessary("kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster", CONFIG_FILE,
              "its CRD, and the operator's mutating and validating webhooks (fail closed) "
              "serving"),
    Necessary("kubernetes:apps/v1:Deployment", f"{RELEASE}[valkey]",
              "its pods connect to Valkey at start-up; the release is ready once Valkey "
              "answers (Helm waits), so they do not crash-loop toward the rollout's deadline"),
    Necessary("kubernetes:apps/v1:Deployment",
              "kubernetes:mongodbcommunity.mongodb.com/v1:MongoDBCommunity",
              "its pods log in as their user, which exists once the replica set is Running "
              "(awaited): started earlier they crash-loop on authentication failures"),
    Necessary("kubernetes:apps/v1:Deployment", "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster",
              "its pods connect to the broker at start-up, which answers once every node is "
              "ready (awaited)"),
    # -- cert-manager
    Necessary("kubernetes:cert-manager.io/v1:ClusterIssuer", f"{RELEASE}[cert-manager]",
              "its CRD, and cert-manager's validating webhook (fails closed) serving"),
    Necessary("kubernetes:cert-manager.io/v1:Certificate", f"{RELEASE}[cert-manager]",
              "its CRD, and cert-manager's validating webhook (fails closed) serving"),
    # -- the shared Gateway
    Necessary("kubernetes:gateway.networking.k8s.io/v1:Gateway",
              f"{RELEASE}[aws-load-balancer-controller]",
              "destroy: the controller must still run when the data plane's LoadBalancer "
              "Service goes, to delete the NLB and remove the Service's finalizer"),
    Necessary("kubernetes:core/v1:Namespace", f"{RELEASE}[aws-load-balancer-controller]",
              "destroy (the Gateway's namespace): the controller must still run when the "
              "LoadBalancer Service in it goes, else the NLB leaks and the VPC cannot go"),
    Necessary("kubernetes:core/v1:Namespace", f"{RELEASE}[istiod]",
              "destroy (the Gateway's namespace with controller: istio): the data plane's "
              "controller still runs while its Deployment and Service go"),
    Necessary("kubernetes:gateway.networking.k8s.io/v1:Gateway",
              f"{RELEASE}[nginx-gateway-fabric]",
              "its controller (GatewayClass nginx): on destroy it must still run to remove the "
              "data plane it provisioned"),
    Necessary("kubernetes:gateway.networking.k8s.io/v1:Gateway", f"{RELEASE}[istiod]",
              "its controller with controller: istio (GatewayClass istio)"),
    # -- destroy order (offline/destroy.py): what a controller made goes while it still runs
    Necessary("kubernetes:gateway.networking.k8s.io/v1:Gateway", "aws:ec2/subnet:Subnet",
              "destroy: its NLB sits in the subnets, which fail to delete (DependencyViolation) "
              "while it exists"),
    Necessary("kubernetes:gateway.networking.k8s.io/v1:Gateway", f"{RELEASE}[external-dns]",
              "destroy: external-dns must still run to delete the records of its hostnames "
              "(a zone with records left in it cannot be deleted)"),
    Necessary("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", f"{RELEASE}[external-dns]",
              "destroy: external-dns must still run to delete the records of its hostnames"),
    Necessary("kubernetes:core/v1:Namespace", f"{RELEASE}[external-dns]",
              "destroy (the Gateway's namespace): external-dns must still run when the Gateway "
              "in it goes, to delete its records"),
    Necessary("pulumi:providers:kubernetes", f"{ADDON}[aws-ebs-csi-driver]",
              "destroy: every Kubernetes object goes before the provider, so the stores' and "
              "charts' volume claims go while the EBS CSI driver still runs to detach and "
              "delete their volumes"),
)

ASSUMPTIONS = (
    "first `pulumi up` of an empty stack; updates are not estimated",
    "Pulumi creates independent resources in parallel (--parallel is unbounded by default)",
    "each resource takes its typical create time from offline/estimates/create_times.json "
    "(typical, not worst case; a type not listed takes the table's small default); components "
    "and providers take 0",
    "a resource waits for its dependencies, its provider and its parent; waiting for a "
    "component means waiting for all its descendants",
    "Helm releases wait for their pods (skipAwait off); custom resources are done once accepted",
    "floor: only dependencies carried by an input value, provider and parent edges, and the "
    "explicit depends_on listed in offline.estimates.deploy_time.NECESSARY",
)


# ---------------------------------------------------------------------------------------------
# Create times


@dataclass(frozen=True)
class CreateTimes:
    default: float
    minutes: Mapping[str, float]
    sources: Mapping[str, str]


@lru_cache(maxsize=4)
def load_create_times(path: Path = CREATE_TIMES) -> CreateTimes:
    doc = json.loads(path.read_text())
    types = doc["types"]
    return CreateTimes(default=float(doc["default"]["minutes"]),
                       minutes={k: float(v["minutes"]) for k, v in types.items()},
                       sources={k: v["source"] for k, v in types.items()})


def kinds(record: ResourceRecord) -> list[str]:
    """The kinds a resource has, most specific first: ``TYPE[discriminator]`` (a Helm release's
    chart name, an EKS add-on's name, ...) when its type has one, then ``TYPE``."""
    out = []
    key = DISCRIMINATORS.get(record.type)
    value = record.inputs.get(key) if key else None
    if isinstance(value, str) and value:
        out.append(f"{record.type}[{value.rsplit('/', 1)[-1]}]")
    out.append(record.type)
    return out


def create_minutes(record: ResourceRecord, times: CreateTimes | None = None) -> float:
    """Typical minutes to create ``record``: its most specific kind in the table, else the
    table's default. shipyard's components and providers make no cloud call and take 0, as does
    any other component the table does not name (a yaml/v2 ConfigFile, which applies CRDs, is
    named and keeps its time)."""
    times = times or load_create_times()
    if record.type.startswith(("shipyard:", "pulumi:providers:")):
        return 0.0
    for kind in kinds(record):
        if kind in times.minutes:
            return times.minutes[kind]
    return times.default if record.custom else 0.0


# ---------------------------------------------------------------------------------------------
# The graph


def explicit_dependencies(record: ResourceRecord) -> set[str]:
    """What ``record`` waits for only through ``depends_on`` (no input value carries it)."""
    carried = {urn for urns in record.property_dependencies.values() for urn in urns}
    return set(record.dependencies) - carried


def necessary_reason(dependent: ResourceRecord, dependency: ResourceRecord) -> str | None:
    """Why the explicit edge dependent -> dependency is needed, or None when NECESSARY has no
    such pair."""
    mine, theirs = set(kinds(dependent)), set(kinds(dependency))
    for rule in NECESSARY:
        if rule.dependent in mine and rule.dependency in theirs:
            return rule.reason
    return None


def _descendants(records: Sequence[ResourceRecord]) -> dict[str, set[str]]:
    children: dict[str, list[str]] = {}
    for r in records:
        if r.parent:
            children.setdefault(r.parent, []).append(r.urn)
    out: dict[str, set[str]] = {}

    def walk(urn: str) -> set[str]:
        if urn not in out:
            found: set[str] = set()
            for child in children.get(urn, ()):
                found |= {child, *walk(child)}
            out[urn] = found
        return out[urn]

    for r in records:
        walk(r.urn)
    return out


def dependency_edges(plan: Plan | Sequence[ResourceRecord], *, necessary_only: bool = False
                     ) -> dict[str, frozenset[str]]:
    """URN -> the URNs it waits for (see the module docstring). ``necessary_only`` keeps only
    the edges a deploy truly needs (the floor's graph)."""
    records = list(plan.resources if isinstance(plan, Plan) else plan)
    index = {r.urn: r for r in records}
    below = _descendants(records)

    def expand(urn: str) -> set[str]:
        return {urn, *below[urn]} if not index[urn].custom else {urn}

    edges: dict[str, frozenset[str]] = {}
    for r in records:
        explicit = explicit_dependencies(r)
        waits: set[str] = set()
        for urn in r.dependencies:
            if urn not in index or urn == r.urn:
                continue
            if necessary_only and urn in explicit and \
                    necessary_reason(r, index[urn]) is None:
                continue
            waits |= expand(urn)
        for urn in (r.provider, r.parent):
            if urn in index:
                waits.add(urn)
        waits.discard(r.urn)
        edges[r.urn] = frozenset(waits)
    return edges


def longest_path(weights: Mapping[str, float], edges: Mapping[str, Iterable[str]]
                 ) -> tuple[float, list[str]]:
    """(total, path) of the heaviest chain: each node finishes at its weight plus the latest
    finish among what it waits for. The path runs from the first node that takes any time to
    the last to finish; ties go to the lexically smallest URN, so the result is stable."""
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    state: dict[str, int] = {}

    def visit(node: str) -> float:
        if state.get(node) == 2:
            return finish[node]
        if state.get(node) == 1:
            raise ValueError(f"dependency cycle through {node}")
        state[node] = 1
        best, best_pred = 0.0, None
        for pred in sorted(edges.get(node, ())):
            if pred not in weights:
                continue
            done = visit(pred)
            if done > best:
                best, best_pred = done, pred
        finish[node] = best + weights[node]
        via[node] = best_pred
        state[node] = 2
        return finish[node]

    for node in sorted(weights):
        visit(node)
    if not finish:
        return 0.0, []
    end = min(finish, key=lambda n: (-finish[n], n))
    path: list[str] = []
    node: str | None = end
    while node is not None:
        path.append(node)
        node = via[node]
    path.reverse()
    # Leading nodes that take no time (a component or provider that waits for nothing) add
    # nothing: the path starts at the first resource that does.
    while len(path) > 1 and weights[path[0]] == 0:
        path.pop(0)
    return finish[end], path


# ---------------------------------------------------------------------------------------------
# The estimate


@dataclass(frozen=True)
class Step:
    urn: str
    type: str
    name: str
    minutes: float


@dataclass(frozen=True)
class DeployEstimate:
    deploy_minutes: float
    critical_path: list[str]
    floor_minutes: float
    floor_path: list[str]
    steps: tuple[Step, ...]
    assumptions: tuple[str, ...] = ASSUMPTIONS

    def to_json(self) -> dict[str, Any]:
        return {
            "deploy_minutes": round(self.deploy_minutes, 2),
            "critical_path": list(self.critical_path),
            "floor_minutes": round(self.floor_minutes, 2),
            "assumptions": list(self.assumptions),
        }

    def summary_lines(self) -> list[str]:
        # the figures the JSON holds (two decimals), so that the summary and the report agree
        minutes, floor = round(self.deploy_minutes, 2), round(self.floor_minutes, 2)
        lines = [f"estimated first deploy: {minutes:.1f} min "
                 f"(floor {floor:.1f} min: the chain of resources that truly "
                 f"depend on each other)",
                 "critical path:"]
        for step in self.steps:
            lines.append(f"    {step.minutes:5.2f} min  {step.type}:{step.name}")
        return lines


def estimate_deploy(plan: Plan, times: CreateTimes | None = None) -> DeployEstimate:
    """The estimated time of a first ``pulumi up`` of ``plan``, its critical path, and the
    floor set by the dependencies a deploy truly needs. Pure: reads only the plan and the
    create-time table."""
    times = times or load_create_times()
    weights = {r.urn: create_minutes(r, times) for r in plan.resources}
    total, path = longest_path(weights, dependency_edges(plan))
    floor, floor_path = longest_path(weights, dependency_edges(plan, necessary_only=True))
    index = {r.urn: r for r in plan.resources}
    steps = tuple(Step(urn, index[urn].type, index[urn].name, weights[urn]) for urn in path)
    return DeployEstimate(deploy_minutes=total, critical_path=path, floor_minutes=floor,
                          floor_path=floor_path, steps=steps)
