"""What ``pulumi destroy`` would do to a stack, read off the plan.

``pulumi destroy`` deletes a resource only after everything that must go first is gone: what
depends on it (its recorded dependencies, reversed), its children (a component goes after what
it holds), and what it is the provider of. ``destroy_report`` gives that order, checks it
against what controllers create on their own — load balancers, nodes, DNS records, volumes,
mesh and ingress gateways, custom resources' finalizers — which must be gone before the
controller that cleans them up (and before what that controller needs), and lists what destroy
leaves behind on purpose, with the command that removes each.

A rule is: every resource that makes something a controller owns (``makes``) is deleted before
each of the controller's resources (``needs``). "Deleted before" is reachability in the graph
above, so a rule holds when the program's dependencies say so, never by luck of timing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from offline.estimates.cost import is_nat_instance
from offline.harness import Plan, ResourceRecord
from offline.stateful import makes_claims
from shipyard.rules.aws_names import SERVICE_ACCOUNT_TAG
from shipyard.rules.store_logs import export_log_group

RELEASE = "kubernetes:helm.sh/v3:Release"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
ROLE = "aws:iam/role:Role"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"

Match = Callable[[ResourceRecord], bool]


# ---------------------------------------------------------------------------------------------
# Recognising the controllers and what they make


def chart(*names: str) -> Match:
    """A Helm release of one of these charts (an OCI chart by its last path segment)."""
    return lambda r: r.type == RELEASE and \
        str(r.inputs.get("chart", "")).rsplit("/", 1)[-1] in names


def eks_addon(name: str) -> Match:
    return lambda r: r.type == "aws:eks/addon:Addon" and r.inputs.get("addonName") == name


def kind(*types: str) -> Match:
    return lambda r: r.type in types


def group(*groups: str) -> Match:
    """Kubernetes objects of these API groups (``kubernetes:GROUP/VERSION:KIND``)."""
    return lambda r: r.type.startswith("kubernetes:") and \
        r.type.split(":")[1].split("/")[0] in groups


def manifest(fragment: str) -> Match:
    """A remote manifest (yaml/v2 ConfigFile) whose URL holds ``fragment``."""
    return lambda r: r.type == CONFIG_FILE and fragment in str(r.inputs.get("file", ""))


def service_account_role(namespace: str, name: str) -> Match:
    """The IAM role pods of service account NAMESPACE/NAME assume, and its Pod Identity
    association: the role by its ``shipyard.dev/service-account`` tag (components/
    workload_identity.py puts it on every such role, Pod Identity's or IRSA's) or its IRSA
    trust (``system:serviceaccount:NS:NAME``); the association by its namespace and service
    account (it stands for its role in ``DestroyGraph``). An EKS add-on's own association
    (``podIdentityAssociations``) needs no match: the add-on waits for its role."""
    subject = f"system:serviceaccount:{namespace}:{name}"
    tagged = f"{namespace}.{name}"
    return lambda r: r.type == ROLE and (
        (r.inputs.get("tags") or {}).get(SERVICE_ACCOUNT_TAG) == tagged
        or subject in str(r.inputs.get("assumeRolePolicy", ""))) \
        or (r.type == POD_IDENTITY and r.inputs.get("namespace") == namespace
            and r.inputs.get("serviceAccount") == name)


def auto_mode_cluster(r: ResourceRecord) -> bool:
    """An EKS cluster in Auto Mode: its control plane runs the load balancer controller, the
    EBS CSI driver and the nodes."""
    return r.type == "aws:eks/cluster:Cluster" and \
        bool((r.inputs.get("computeConfig") or {}).get("enabled"))


def any_of(*matches: Match) -> Match:
    return lambda r: any(m(r) for m in matches)


def load_balancer_service(r: ResourceRecord) -> bool:
    return r.type == "kubernetes:core/v1:Service" and \
        (r.inputs.get("spec") or {}).get("type") == "LoadBalancer"


def elb_subnet(r: ResourceRecord) -> bool:
    tags = r.inputs.get("tags") or {}
    return r.type == "aws:ec2/subnet:Subnet" and \
        ("kubernetes.io/role/elb" in tags or "kubernetes.io/role/internal-elb" in tags)


def has_claims(r: ResourceRecord) -> bool:
    """Makes PersistentVolumeClaims (offline/stateful.py's makes_claims)."""
    return makes_claims(r.type, r.inputs)


def gateway_of_class(name: str) -> Match:
    return lambda r: r.type == f"kubernetes:{GATEWAY_API}/v1:Gateway" and \
        (r.inputs.get("spec") or {}).get("gatewayClassName") == name


def routes_with_hostnames(r: ResourceRecord) -> bool:
    """What external-dns makes records for: Gateways and routes with hostnames."""
    if not r.type.startswith("kubernetes:gateway.networking.k8s.io/"):
        return False
    spec = r.inputs.get("spec") or {}
    return bool(spec.get("hostnames")) or any(
        listener.get("hostname") for listener in spec.get("listeners") or [])


def default_route(r: ResourceRecord) -> bool:
    return r.type == ROUTE and r.inputs.get("destinationCidrBlock") == "0.0.0.0/0"


def nat(r: ResourceRecord) -> bool:
    """A NAT gateway, or a NAT instance (an instance that forwards others' packets)."""
    return r.type == "aws:ec2/natGateway:NatGateway" or is_nat_instance(r)


@dataclass(frozen=True)
class OfPlan:
    """A match that needs the whole plan to decide, bound to each plan."""

    bind: Callable[[Plan], Match]


def _egress_associations(plan: Plan) -> Match:
    """Subnets' associations with a route table that holds a default route: deleted, the
    subnet falls back to the VPC's main table, which has none."""
    tables = {str(r.inputs.get("routeTableId")) for r in plan.resources if default_route(r)}
    return lambda r: r.type == ASSOCIATION and str(r.inputs.get("routeTableId")) in tables


egress_association = OfPlan(_egress_associations)


@dataclass(frozen=True)
class Rule:
    what: str           # what the controller makes, in words
    makes: Match        # the resources whose deletion has the controller clean up
    controller: str     # who cleans up
    needs: tuple[tuple[str, Match | OfPlan], ...]  # the controller and what it needs, by name
    why: str            # what goes wrong when the order is broken


def needed(rule: Rule, plan: Plan) -> list[tuple[str, ResourceRecord]]:
    """What the rule's controller needs in this plan, each with its label."""
    found = []
    for label, match in rule.needs:
        test = match.bind(plan) if isinstance(match, OfPlan) else match
        found += [(label, t) for t in plan.resources if test(t)]
    return found


GATEWAY_API = "gateway.networking.k8s.io"
ISTIO_GROUPS = ("networking.istio.io", "security.istio.io", "telemetry.istio.io")

RULES: tuple[Rule, ...] = (
    Rule("load balancers (Services of type LoadBalancer, Gateways)",
         any_of(load_balancer_service, kind(f"kubernetes:{GATEWAY_API}/v1:Gateway")),
         "the AWS Load Balancer Controller (or EKS Auto Mode's load balancing)",
         (("the load balancer controller", chart("aws-load-balancer-controller")),
          ("its IAM role", service_account_role("kube-system", "aws-load-balancer-controller")),
          ("the Auto Mode cluster", auto_mode_cluster),
          ("the subnets", elb_subnet)),
         "the NLB and its security groups outlive the controller: the subnets and the VPC "
         "then fail to delete (DependencyViolation) and the load balancer keeps billing"),
    Rule("NGINX Gateway Fabric's Gateways (their data plane's Service)",
         gateway_of_class("nginx"), "NGINX Gateway Fabric",
         (("NGINX Gateway Fabric", chart("nginx-gateway-fabric")),),
         "the controller that owns the Gateway's Service is gone, so the Service (and its "
         "NLB) stays"),
    Rule("Istio's Gateways (their data plane's Service)",
         gateway_of_class("istio"), "istiod",
         (("istiod", chart("istiod")),),
         "the controller that owns the Gateway's Service is gone, so the Service (and its "
         "NLB) stays"),
    Rule("Karpenter's NodePools and EC2NodeClasses (their NodeClaims and instances)",
         group("karpenter.sh", "karpenter.k8s.aws"),
         "Karpenter",
         (("Karpenter", chart("karpenter")),
          ("its IAM role", service_account_role("kube-system", "karpenter")),
          ("the interruption queue", kind("aws:sqs/queue:Queue")),
          ("the cluster", kind("aws:eks/cluster:Cluster"))),
         "the instances Karpenter launched outlive it and keep billing; their ENIs stop the "
         "subnets' deletion"),
    Rule("DNS records (Gateways and routes with hostnames)",
         routes_with_hostnames,
         "external-dns",
         (("external-dns", chart("external-dns")),
          ("its IAM role", service_account_role("external-dns", "external-dns")),
          ("the hosted zone", kind("aws:route53/zone:Zone"))),
         "the records stay in the zone, and a zone with records fails to delete"),
    Rule("volumes (PersistentVolumeClaims of StatefulSets, operators' clusters, charts)",
         has_claims,
         "the EBS CSI driver (or EKS Auto Mode's block storage)",
         (("the EBS CSI driver", eks_addon("aws-ebs-csi-driver")),
          ("its IAM role", service_account_role("kube-system", "ebs-csi-controller-sa")),
          ("the Auto Mode cluster", auto_mode_cluster)),
         "the driver goes before the claims: their VolumeAttachments never clear, and volumes "
         "of a Delete storage class are never deleted (they outlive the cluster and bill)"),
    # Not before istiod: Istio's configuration objects carry no finalizers, and istiod's
    # validating webhook goes with its release.
    Rule("mesh objects (Istio's policies, routing and telemetry)",
         group(*ISTIO_GROUPS), "Istio",
         (("Istio's CRDs (the base chart)", chart("base")),),
         "their CRDs go first and take the objects with them, mid-teardown"),
    Rule("Gateway API objects",
         group(GATEWAY_API),
         "the Gateway API CRDs",
         (("the Gateway API CRDs", manifest("gateway-api")),),
         "deleting a CRD deletes its objects without their controllers' cleanup"),
    Rule("PostgreSQL clusters, databases and roles (finalizers)",
         group("postgresql.cnpg.io"), "CloudNativePG",
         (("the CloudNativePG operator", chart("cloudnative-pg")),),
         "the finalizers are never released and the namespace hangs in Terminating"),
    Rule("MongoDB resources (finalizers)",
         group("mongodbcommunity.mongodb.com", "mongodb.com"), "the MongoDB operator",
         (("the MongoDB operator", chart("mongodb-kubernetes")),),
         "the finalizers are never released and the namespace hangs in Terminating"),
    Rule("RabbitMQ clusters (finalizers)",
         group("rabbitmq.com"), "the RabbitMQ Cluster Operator",
         (("the RabbitMQ Cluster Operator", manifest("cluster-operator")),),
         "the finalizers are never released and the namespace hangs in Terminating"),
    Rule("certificates and issuers",
         group("cert-manager.io", "acme.cert-manager.io"), "cert-manager",
         (("cert-manager", chart("cert-manager")),),
         "its webhook is gone, so the API server rejects the objects' deletion"),
    Rule("Prometheus rules and monitors",
         group("monitoring.coreos.com"), "the Prometheus operator",
         (("the Prometheus operator", chart("kube-prometheus-stack")),),
         "their CRDs go first and the admission webhook rejects the deletion"),
    # The controllers above call AWS's APIs (and cert-manager's ACME server) from the nodes,
    # through the private subnets' default routes: those must outlive them. Everything in the
    # cluster goes before the nodes (the Kubernetes provider waits for them), so the nodes
    # going before the routes covers it; on Auto Mode the provider waits for the routes.
    Rule("the nodes and the controllers that clean up through AWS's APIs",
         any_of(kind("aws:eks/nodeGroup:NodeGroup"),
                chart("aws-load-balancer-controller", "external-dns", "karpenter"),
                eks_addon("aws-ebs-csi-driver")),
         "the VPC's egress",
         (("the default routes", default_route),
          ("the subnets' route table associations", egress_association),
          ("the NAT gateways and instances", nat)),
         "the private subnets lose their way out first: the controllers' calls to AWS (load "
         "balancers, DNS records, Karpenter's instances, volumes) time out mid-teardown and "
         "what they made is left behind"),
    Rule("Argo CD projects and applications (finalizers)",
         group("argoproj.io"), "Argo CD",
         (("Argo CD", chart("argo-cd")),),
         "the resources-finalizer is never released"),
)


# ---------------------------------------------------------------------------------------------
# The graph


class DestroyGraph:
    """``before[u]``: what destroy deletes before ``u`` (its dependents, its children, what it
    provides for); reachability answered from bit sets built once (linear in the plan)."""

    def __init__(self, plan: Plan) -> None:
        self.records = plan.resources
        self.by_urn = {r.urn: r for r in self.records}
        self.index = {r.urn: i for i, r in enumerate(self.records)}
        # u must be deleted before v  <=>  v in after[u]
        self.after: dict[str, set[str]] = {r.urn: set() for r in self.records}
        for r in self.records:
            for v in (*r.dependencies, r.parent, r.provider, *self._roles_of(r)):
                if v in self.by_urn and v != r.urn:
                    self.after[r.urn].add(v)
        self._reach: dict[str, int] | None = None
        self._order: list[str] | None = None

    def _roles_of(self, r: ResourceRecord) -> Iterable[str]:
        # a Pod Identity association stands for its role: the role goes after it
        if r.type == POD_IDENTITY:
            arn = str(r.inputs.get("roleArn", ""))
            return [x.urn for x in self.records if x.type == ROLE and arn.endswith("/" + x.name)]
        return []

    def deleted_before(self, first: str, then: str) -> bool:
        """Whether destroy deletes ``first`` before ``then`` (transitively)."""
        if self._reach is None:  # bit sets, in one pass from the last deleted to the first
            self._reach = {}
            for u in reversed(self.order()):
                bits = 1 << self.index[u]
                for v in self.after[u]:
                    bits |= self._reach[v]
                self._reach[u] = bits
        return bool(self._reach[first] >> self.index[then] & 1)

    def order(self) -> list[str]:
        """The deletion order: a resource once everything to go before it is gone; among those
        ready together, in URN order (destroy runs them in parallel)."""
        if self._order is not None:  # computed once: the report and the checks both ask
            return self._order
        waiting = {u: 0 for u in self.by_urn}
        for later in self.after.values():
            for v in later:
                waiting[v] += 1
        ready = sorted(u for u, n in waiting.items() if n == 0)
        out: list[str] = []
        while ready:
            batch, ready = ready, []
            for u in batch:
                out.append(u)
                for v in self.after[u]:
                    waiting[v] -= 1
                    if waiting[v] == 0:
                        ready.append(v)
            ready.sort()
        if len(out) != len(waiting):  # a cycle: the engine would refuse the program
            stuck = sorted(u for u, n in waiting.items() if n)
            raise ValueError(f"the plan's dependencies have a cycle through {stuck[:3]}")
        self._order = out
        return out


def problems(plan: Plan, graph: DestroyGraph | None = None,
             rules: tuple[Rule, ...] = RULES) -> list[dict[str, Any]]:
    """Each resource a rule covers that destroy would delete after (some of) the controller's
    resources: one problem per resource and rule, naming those it would outlive."""
    graph = graph or DestroyGraph(plan)
    found = []
    for rule in rules:
        made = [r for r in plan.resources if rule.makes(r)]
        if not made:
            continue
        targets = needed(rule, plan)
        for r in made:
            late = [(label, t) for label, t in targets
                    if t.urn != r.urn and not graph.deleted_before(r.urn, t.urn)]
            if late:
                by_label: dict[str, list[str]] = {}
                for label, t in late:
                    by_label.setdefault(label, []).append(t.name)
                names = ", ".join(f"{label} ({', '.join(ns)})" for label, ns in by_label.items())
                found.append({
                    "resource": r.urn, "after": [t.urn for _, t in late],
                    "problem": f"{r.type.rsplit(':', 1)[-1]} {r.name} would be deleted after "
                               f"{names}: {rule.why}"})
    return found


# ---------------------------------------------------------------------------------------------
# What destroy leaves behind


def _left(record: ResourceRecord, what: str, remove: str) -> dict[str, str]:
    return {"urn": record.urn, "type": record.type, "what": what, "remove": remove}


def left_behind(plan: Plan) -> list[dict[str, str]]:
    """What destroy leaves on purpose, each with the command that removes it."""
    out = []
    # the log groups the program makes itself (the databases' exports among them) go with it
    made = {r.inputs.get("name") for r in plan.of_type("aws:cloudwatch/logGroup:LogGroup")}
    monitored = [r for r in plan.of_type("aws:rds/instance:Instance")
                 if int(r.inputs.get("monitoringInterval") or 0)]
    if monitored:
        out.append(_left(monitored[0], "log group RDSOSMetrics: Enhanced Monitoring's samples, "
                                       "one group per account and region that RDS makes and "
                                       "every monitored instance shares (another stack's too)",
                         "aws logs delete-log-group --log-group-name RDSOSMetrics  (only once "
                         "no RDS instance of the account and region is monitored)"))
    for r in plan.resources:
        i, o = r.inputs, r.options
        if o.get("protect"):
            out.append(_left(r, f"protected: destroy stops at {r.name} and everything that "
                                f"needs it", f"pulumi state unprotect '{r.urn}'  (then "
                                             f"pulumi destroy again)"))
        elif o.get("retainOnDelete"):
            out.append(_left(r, f"retained on delete: {r.name} stays in the account after "
                                f"destroy", "delete it in the console or CLI, then "
                                            "pulumi state delete if still tracked"))
        if r.type == "aws:rds/instance:Instance" and not i.get("skipFinalSnapshot"):
            out.append(_left(r, f"final snapshot {i.get('finalSnapshotIdentifier')}",
                             f"aws rds delete-db-snapshot --db-snapshot-identifier "
                             f"{i.get('finalSnapshotIdentifier')}"))
        elif r.type == "aws:docdb/cluster:Cluster" and not i.get("skipFinalSnapshot"):
            out.append(_left(r, f"final snapshot {i.get('finalSnapshotIdentifier')}",
                             f"aws docdb delete-db-cluster-snapshot "
                             f"--db-cluster-snapshot-identifier "
                             f"{i.get('finalSnapshotIdentifier')}"))
        elif r.type == "aws:elasticache/replicationGroup:ReplicationGroup" and \
                i.get("finalSnapshotIdentifier"):
            out.append(_left(r, f"final snapshot {i['finalSnapshotIdentifier']}",
                             f"aws elasticache delete-snapshot --snapshot-name "
                             f"{i['finalSnapshotIdentifier']}"))
        elif r.type == "aws:s3/bucket:Bucket" and not i.get("forceDestroy"):
            prefix = i.get("bucket") or i.get("bucketPrefix") or r.name
            out.append(_left(r, f"bucket {prefix}*: destroy deletes it only when empty, every "
                                f"object version included",
                             f"python3 -c \"import boto3; b = boto3.resource('s3').Bucket("
                             f"'BUCKET'); b.object_versions.delete()\"  (BUCKET: aws s3api "
                             f"list-buckets --query \"Buckets[?starts_with(Name, '{prefix}')]"
                             f".Name\")"))
        elif r.type == "aws:kms/key:Key":
            days = i.get("deletionWindowInDays", 30)
            out.append(_left(r, f"KMS key {r.name}: scheduled for deletion, gone after {days} "
                                f"days (what it encrypted, snapshots included, then cannot be "
                                f"read)", "aws kms cancel-key-deletion --key-id KEY_ID  (to "
                                          "keep it)"))
        elif r.type == "kubernetes:storage.k8s.io/v1:StorageClass" and \
                i.get("reclaimPolicy") == "Retain":
            out.append(_left(r, f"the EBS volumes of {i.get('metadata', {}).get('name')} "
                                f"claims (reclaimPolicy Retain)",
                             "aws ec2 describe-volumes --filters Name=tag-key,Values="
                             "kubernetes.io/created-for/pvc/name Name=status,Values=available"
                             " --query 'Volumes[].VolumeId'  (then aws ec2 delete-volume "
                             "--volume-id ... each)"))
        for group_name in (g for g in _service_log_groups(r) if g not in made):
            out.append(_left(r, f"log group {group_name} (written by the service, not "
                                f"managed here)",
                             f"aws logs delete-log-group --log-group-name {group_name}"))
        if r.type == "aws:ecr/repository:Repository" and not i.get("forceDelete"):
            out.append(_left(r, f"repository {i.get('name')}: destroy deletes it only when "
                                f"it holds no image",
                             f"aws ecr batch-delete-image --repository-name {i.get('name')} "
                             f"--image-ids \"$(aws ecr list-images --repository-name "
                             f"{i.get('name')} --query imageIds --output json)\""))
    return out


def _service_log_groups(r: ResourceRecord) -> list[str]:
    """The log groups a resource's exported logs go to: AWS creates those the plan does not
    (shipyard makes the managed databases' beforehand, so those are none)."""
    i = r.inputs
    if r.type == "aws:rds/instance:Instance":
        kind, identifier = "postgresql", i.get("identifier")      # any RDS engine: one path
    elif r.type == "aws:docdb/cluster:Cluster":
        kind, identifier = "mongodb", i.get("clusterIdentifier")
    else:
        return []
    return [export_log_group(kind, str(identifier), log)
            for log in i.get("enabledCloudwatchLogsExports") or []]


# ---------------------------------------------------------------------------------------------
# The report


def destroy_report(plan: Plan) -> dict[str, Any]:
    graph = DestroyGraph(plan)
    protected = [r for r in plan.resources if r.options.get("protect")]
    return {
        "order": graph.order(),
        "problems": problems(plan, graph),
        "leftBehind": left_behind(plan),
        "stopsAt": [r.urn for r in protected],
    }


def summary_lines(plan: Plan, report: dict[str, Any]) -> list[str]:
    lines = [f"destroy: {len(report['order'])} resources deleted in dependency order, "
             f"{len(report['problems'])} ordering problems"]
    lines += [f"  PROBLEM  {p['problem']}" for p in report["problems"]]
    if report["stopsAt"]:
        lines.append(f"  destroy stops at the {len(report['stopsAt'])} protected resources "
                     f"(shipyard:protect): what needs them is deleted first, they and what "
                     f"they need stay; unprotect each (leftBehind) to go further")
    lines.append(f"  left behind on purpose: {len(report['leftBehind'])} (--json: "
                 f"destroy.leftBehind, each with the command that removes it)")
    return lines
