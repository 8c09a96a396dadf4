"""cert-manager: the controller (with its CRDs and Gateway API support) and the ClusterIssuers
certificates come from.

- ``letsencrypt-staging`` / ``letsencrypt-prod`` (ACME): both exist whenever settings choose an
  ACME issuer, so a stack can try the staging CA before it spends production rate limits. The
  challenge is DNS-01 through Route53 (wildcards work; an AWS role that may write TXT records in
  the stack's zone only, the controller's ambient credentials) or HTTP-01 through the shared
  Gateway's ``http`` listener.
- ``selfsigned`` (a cluster without public DNS, e.g. Minikube): a self-signed bootstrap issuer
  signs one CA certificate, ``shipyard-ca``, and the ``selfsigned`` ClusterIssuer signs with that
  CA, so every certificate chains to one root a developer can trust.

``issuer_name`` is the ClusterIssuer settings choose; Gateways and applications name it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import (
    ClusterContext,
    helm_release,
    merged_values,
    namespace,
)
from components.addons.ingress import GATEWAY_NAME, GATEWAY_NAMESPACE, HTTP_LISTENER
from components.workload_identity import service_account_role
from shipyard.rules import iam

TYPE = "shipyard:addons:CertManager"
NAMESPACE = "cert-manager"
RELEASE_NAME = "cert-manager"
SERVICE_ACCOUNT = "cert-manager"    # the controller's; the only pod that calls Route53

API_VERSION = "cert-manager.io/v1"
ACME_SERVERS = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-prod": "https://acme-v02.api.letsencrypt.org/directory",
}
SELFSIGNED = "selfsigned"
BOOTSTRAP_ISSUER = "selfsigned-bootstrap"
CA_NAME = "shipyard-ca"             # the CA Certificate and the Secret it writes

# Controller, webhook and cainjector replicas with addons.certManager.highAvailability (off in
# dev): two, behind a PodDisruptionBudget, keep the webhook answering through a node drain.
HA_REPLICAS = 2

MANAGED_BY = {"app.kubernetes.io/managed-by": "shipyard"}


# -- pure functions ---------------------------------------------------------------------------


def cert_manager_values(*, replicas: int, service_account: str = SERVICE_ACCOUNT,
                        annotations: Mapping[str, pulumi.Input[str]] | None = None,
                        pod_annotations: Mapping[str, str] | None = None
                        ) -> dict[str, Any]:
    """The cert-manager chart's values (keys as in its values.yaml, v1.21). ``annotations``:
    the controller's service account's (IRSA's role ARN; none with Pod Identity);
    ``pod_annotations``: the controller's pods' (the workload identity: a switch rolls
    them)."""
    pdb: dict[str, Any] = ({"enabled": True, "minAvailable": 1} if replicas > 1
                           else {"enabled": False})
    account: dict[str, Any] = {"create": True, "name": service_account}
    if annotations:
        account["annotations"] = dict(annotations)
    return {
        # The chart installs and upgrades the CRDs; uninstalling it leaves them (and so every
        # Certificate and its Secret) in place.
        "crds": {"enabled": True, "keep": True},
        "replicaCount": replicas,
        "podDisruptionBudget": dict(pdb),
        "webhook": {"replicaCount": replicas, "podDisruptionBudget": dict(pdb)},
        "cainjector": {"replicaCount": replicas, "podDisruptionBudget": dict(pdb)},
        "config": {
            "apiVersion": "controller.config.cert-manager.io/v1alpha1",
            "kind": "ControllerConfiguration",
            # v1.21's key (config.enableGatewayAPI is its deprecated form): issue certificates
            # for Gateway listeners and solve HTTP-01 with HTTPRoutes.
            "gatewayAPI": {"enabled": True},
        },
        "serviceAccount": account,
        **({"podAnnotations": dict(pod_annotations)} if pod_annotations else {}),
        # Metrics stay exposed (prometheus.io annotations); the ServiceMonitor comes with the
        # observability stack (issue 7), which brings its CRD.
        "prometheus": {"enabled": True, "servicemonitor": {"enabled": False}},
    }


def zone_arn(zone_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:route53:::hostedzone/{zone_id}"


def cert_manager_policy(zone_id: str, partition: str = "aws") -> str:
    """What the Route53 DNS-01 solver needs: TXT records in the stack's zone, nothing else.

    No route53:ListHostedZonesByName: the issuers name ``hostedZoneID``, and with it set
    cert-manager never looks a zone up (pkg/issuer/acme/dns/route53, getHostedZoneID)."""
    return iam.document(
        iam.allow(["route53:GetChange"], f"arn:{partition}:route53:::change/*"),
        iam.allow(["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
                  [zone_arn(zone_id, partition)],
                  {"ForAllValues:StringEquals": {
                      "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}}),
    )


def dns01_solver(*, region: str, zone_id: pulumi.Input[str],
                 domain: str | None) -> dict[str, Any]:
    """Route53 DNS-01 with the controller's ambient credentials (Pod Identity or IRSA, which
    ClusterIssuers may use by default): no keys in the issuer."""
    solver: dict[str, Any] = {"dns01": {"route53": {"region": region, "hostedZoneID": zone_id}}}
    if domain:
        # Only names in the stack's zone: the role may write nowhere else.
        solver["selector"] = {"dnsZones": [domain]}
    return solver


def http01_solver() -> dict[str, Any]:
    """HTTP-01 answered through an HTTPRoute on the plain-HTTP listener of the shared Gateway
    (the one the ingress add-on builds)."""
    return {"http01": {"gatewayHTTPRoute": {"parentRefs": [{
        "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": GATEWAY_NAME,
        "namespace": GATEWAY_NAMESPACE, "sectionName": HTTP_LISTENER}]}}}


def acme_issuer_spec(issuer: str, *, email: str, solver: Mapping[str, Any]) -> dict[str, Any]:
    return {"acme": {
        "server": ACME_SERVERS[issuer],
        "email": email,
        "privateKeySecretRef": {"name": f"{issuer}-account-key"},
        "solvers": [dict(solver)],
    }}


def ca_certificate_spec() -> dict[str, Any]:
    """The self-signed root every ``selfsigned`` certificate chains to."""
    return {
        "isCA": True,
        "commonName": CA_NAME,
        "subject": {"organizations": ["shipyard"]},
        "secretName": CA_NAME,
        "duration": "8760h",
        "renewBefore": "720h",
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer",
                      "name": BOOTSTRAP_ISSUER},
    }


# -- component --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertManagerArgs:
    ctx: ClusterContext
    issuer: str                         # letsencrypt-staging | letsencrypt-prod | selfsigned
    solver: str                         # dns01 | http01 (ACME only)
    acme_email: str | None
    replicas: int
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()

    @property
    def acme(self) -> bool:
        return self.issuer in ACME_SERVERS

    @property
    def dns01(self) -> bool:
        return self.acme and self.solver == "dns01"


class CertManager(pulumi.ComponentResource):
    issuer_name: str
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: CertManagerArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ctx = args.ctx
        self._provider = ctx.provider
        self.issuer_name = args.issuer
        self.role = None
        if args.dns01:
            if ctx.identity is None or ctx.zone_id is None:
                raise ValueError("cert-manager DNS-01 needs an EKS cluster (its AWS role) and "
                                 "the stack's hosted zone")
            self.role = service_account_role(
                name, identity=ctx.identity, namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT, parent=self,
                policy=pulumi.Output.from_input(ctx.zone_id).apply(cert_manager_policy),
                tags=ctx.tags, former=f"{name}-irsa")

        self.namespace = namespace(name, NAMESPACE, parent=self, provider=ctx.provider)
        own = cert_manager_values(
            replicas=args.replicas,
            annotations=self.role.annotations if self.role is not None else None,
            pod_annotations=self.role.pod_annotations if self.role is not None else None)
        # Waits for ``after`` (the Gateway API CRDs): the controller only watches Gateways
        # and HTTPRoutes if their CRDs exist when it starts; and for its role's association
        # and policy (DNS-01), so its pods start with their credentials.
        self.release = helm_release(
            name, "cert-manager", release_name=RELEASE_NAME,
            namespace_name=self.namespace.metadata.name,
            values=merged_values(own, args.values), parent=self, provider=ctx.provider,
            depends_on=[*args.after, *(self.role.ready if self.role is not None else [])])

        self.issuers: dict[str, k8s.apiextensions.CustomResource] = {}
        self.ca_certificate = None
        if args.acme:
            if not args.acme_email:
                raise ValueError(f"the {args.issuer} issuer needs an ACME e-mail")
            if args.dns01:
                solver = dns01_solver(region=ctx.region, zone_id=ctx.zone_id, domain=ctx.domain)
            else:
                solver = http01_solver()
            for issuer in ACME_SERVERS:
                self.issuers[issuer] = self._cluster_issuer(
                    name, issuer, acme_issuer_spec(issuer, email=args.acme_email, solver=solver))
        else:
            self.issuers[BOOTSTRAP_ISSUER] = self._cluster_issuer(
                name, BOOTSTRAP_ISSUER, {"selfSigned": {}})
            self.ca_certificate = k8s.apiextensions.CustomResource(
                f"{name}-ca", api_version=API_VERSION, kind="Certificate",
                metadata={"name": CA_NAME, "namespace": NAMESPACE, "labels": MANAGED_BY},
                spec=ca_certificate_spec(), opts=self._after_release())
            # A ClusterIssuer reads its CA Secret from cert-manager's own namespace.
            self.issuers[SELFSIGNED] = self._cluster_issuer(
                name, SELFSIGNED, {"ca": {"secretName": CA_NAME}})

        self.ready: list[pulumi.Resource] = [self.release]
        self.register_outputs({})

    def _after_release(self) -> pulumi.ResourceOptions:
        """Custom resources wait for the release that installs their CRDs and webhook, and
        for nothing else."""
        return pulumi.ResourceOptions(parent=self, provider=self._provider,
                                      depends_on=[self.release])

    def _cluster_issuer(self, name: str, issuer: str,
                        spec: Mapping[str, Any]) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            f"{name}-{issuer}", api_version=API_VERSION, kind="ClusterIssuer",
            metadata={"name": issuer, "labels": MANAGED_BY}, spec=dict(spec),
            opts=self._after_release())
