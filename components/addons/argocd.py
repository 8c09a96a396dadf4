"""Argo CD: GitOps for what application teams add to their tenants, beside what shipyard owns.

- The pinned ``argo-cd`` chart in ``argocd`` (Pod Security ``restricted``: every Argo CD and Redis
  container runs non-root, drops all capabilities, RuntimeDefault seccomp). It needs no AWS
  access, so no AWS role. Dex is off (local admin; SSO is a values override away). Highly
  available: two API servers, repo servers and ApplicationSet controllers behind
  PodDisruptionBudgets, and Redis HA (three Redis + Sentinel, three HAProxy, one per node: the
  chart's hard anti-affinity needs three nodes). The application controller stays at one
  replica: more replicas shard clusters between them, and with the one in-cluster destination
  a second replica would idle rather than take over (the StatefulSet restarts the one).
- The UI/API: with ``addons.argocd.hostname`` set, an HTTPRoute on the shared Gateway, which
  terminates TLS, so the server speaks plain HTTP behind it (``server.insecure``); else only
  ``kubectl -n argocd port-forward svc/argocd-server 8080:443`` (https://localhost:8080, the
  server's own self-signed certificate). The CLI through the Gateway: ``argocd login HOST
  --grpc-web``.
- The admin password: the chart's default, so Argo CD generates it on first start into the
  Secret ``argocd-initial-admin-secret``; read it with ``argocd admin initial-password -n
  argocd``, change it (``argocd account update-password``), then delete that Secret.
- One AppProject per hosted tenant: sources from the GitOps repository only (none when no
  repository is configured), destinations only the tenant's own namespace in this cluster, no
  cluster-scoped object, and none of the objects shipyard keeps for the platform (quota, limit
  range, network policies, the mesh's and the Gateway's traffic and security objects): Pulumi
  owns the platform, Argo CD deploys what the team adds in Git.
- With ``addons.argocd.repoUrl``: one ApplicationSet making an Application per tenant from
  ``PATH/TENANT`` at ``targetRevision``, into the tenant's namespace (which shipyard creates:
  ``CreateNamespace=false``) in the tenant's project, synced automatically with prune and
  self-heal. The Applications carry no resources finalizer: switching the repository off (or
  dropping a tenant) deletes the Application and leaves what it deployed until shipyard removes
  the namespace. A private repository needs its credentials as a Secret labelled
  ``argocd.argoproj.io/secret-type: repository`` in ``argocd`` (kept out of shipyard's config).

Every object is a pure function of the settings, tested without mocks; the component registers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import ClusterContext, helm_release, merged_values, namespace
from components.addons.endpoints import ARGOCD_NAMESPACE, ARGOCD_PORT, ARGOCD_SERVICE
from components.addons.ingress import ACCESS_LABEL, Exposure, expose_ui

TYPE = "shipyard:addons:ArgoCd"
RELEASE = "argocd"
FULLNAME = "argocd"                  # the chart's fullname: Service argocd-server (ARGOCD_SERVICE)
API_VERSION = "argoproj.io/v1alpha1"
IN_CLUSTER = "https://kubernetes.default.svc"
APPLICATION_SET = "tenants"
HA_REPLICAS = 2
PORT_FORWARD_DOMAIN = "localhost:8080"
MANAGED_BY = {"app.kubernetes.io/managed-by": "shipyard"}

# What shipyard (Pulumi) keeps in every tenant namespace, so no Application may create, change
# or prune it: the quota and limits, the network policies, and the traffic and security objects
# of the mesh and the shared Gateway (a route or VirtualService from Git could claim another
# tenant's or a platform UI's hostname; an AuthorizationPolicy could open what shipyard closed).
# Kinds are globs (Argo CD matches them with filepath.Match).
PLATFORM_KINDS: tuple[tuple[str, str], ...] = (
    ("", "ResourceQuota"),
    ("", "LimitRange"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("security.istio.io", "*"),           # AuthorizationPolicy, PeerAuthentication, ...
    ("networking.istio.io", "*"),         # DestinationRule, VirtualService, Gateway, ...
    ("gateway.networking.k8s.io", "*"),   # Gateway, HTTPRoute, GRPCRoute, ReferenceGrant, ...
)


# -- pure functions ---------------------------------------------------------------------------


def argocd_values(*, highly_available: bool, host: str | None) -> dict[str, Any]:
    """The argo-cd chart's values (keys as in its values.yaml, 10.1)."""
    replicas = HA_REPLICAS if highly_available else 1

    def pdb() -> dict[str, Any]:
        return ({"enabled": True, "minAvailable": 1} if highly_available
                else {"enabled": False})

    def requests(cpu: str, memory: str) -> dict[str, Any]:
        return {"requests": {"cpu": cpu, "memory": memory}}

    values: dict[str, Any] = {
        "fullnameOverride": FULLNAME,
        # The chart installs and upgrades the CRDs; uninstalling it leaves them (and every
        # AppProject and Application) in place.
        "crds": {"install": True, "keep": True},
        "global": {
            # argocd-cm "url": links, and the redirect target for SSO when it is added
            "domain": host or PORT_FORWARD_DOMAIN,
            "networkPolicy": {"create": True},
        },
        "configs": {
            # Keep the generated admin password (argocd-initial-admin-secret): never in values.
            "secret": {"createSecret": True},
            "params": {},
        },
        "dex": {"enabled": False},
        # one: more replicas shard clusters, and this cluster is the only destination
        "controller": {"replicas": 1, "resources": requests("250m", "512Mi")},
        "server": {
            "replicas": replicas, "pdb": pdb(), "resources": requests("50m", "128Mi"),
            "service": {"type": "ClusterIP", "servicePortHttp": ARGOCD_PORT},
        },
        "repoServer": {"replicas": replicas, "pdb": pdb(),
                       "resources": requests("100m", "256Mi")},
        # two replicas elect a leader (the chart sets the flag from the replica count)
        "applicationSet": {"replicas": replicas, "pdb": pdb(),
                           "resources": requests("50m", "128Mi")},
        "notifications": {"resources": requests("25m", "64Mi")},
    }
    if host:
        # TLS ends at the shared Gateway; the server answers it in plain HTTP.
        values["configs"]["params"]["server.insecure"] = True
    if highly_available:
        values["redis"] = {"enabled": False}
        # redis-ha 4.38's pods pass "restricted" (runAsNonRoot, drop ALL, RuntimeDefault).
        values["redis-ha"] = {"enabled": True}
    else:
        values["redis"] = {"enabled": True, "resources": requests("50m", "64Mi")}
        values["redis-ha"] = {"enabled": False}
    return values


def project_name(tenant: str) -> str:
    if tenant == "default":
        raise ValueError("a tenant named 'default' would take Argo CD's own default project")
    return tenant


def app_project_spec(tenant: str, *, namespace_name: str,
                     repo_url: str | None) -> dict[str, Any]:
    """A tenant's AppProject: its repository, its namespace, nothing of the platform's."""
    return {
        "description": f"{tenant}: what its team deploys from Git; the platform is shipyard's",
        "sourceRepos": [repo_url] if repo_url else [],
        "destinations": [{"server": IN_CLUSTER, "namespace": namespace_name}],
        # nothing cluster-scoped: no Namespace, CRD, ClusterRole(Binding), webhook, ...
        "clusterResourceWhitelist": [],
        # namespaceResourceWhitelist stays unset (= every namespaced kind); an empty list
        # would allow none
        "namespaceResourceBlacklist": [{"group": g, "kind": k} for g, k in PLATFORM_KINDS],
    }


def application_set_spec(tenants: Sequence[str], *, repo_url: str, target_revision: str,
                         path: str) -> dict[str, Any]:
    """An Application per tenant: ``PATH/TENANT`` into the tenant's namespace and project."""
    elements = [{"tenant": t, "namespace": t, "project": project_name(t)} for t in tenants]
    return {
        "goTemplate": True,
        "goTemplateOptions": ["missingkey=error"],
        "generators": [{"list": {"elements": elements}}],
        "template": {
            "metadata": {"name": "{{.tenant}}",
                         "labels": {**MANAGED_BY, "app.kubernetes.io/part-of": "{{.tenant}}"}},
            "spec": {
                "project": "{{.project}}",
                "source": {"repoURL": repo_url, "targetRevision": target_revision,
                           "path": f"{path.strip('/')}/{{{{.tenant}}}}"},
                "destination": {"server": IN_CLUSTER, "namespace": "{{.namespace}}"},
                "syncPolicy": {
                    "automated": {"prune": True, "selfHeal": True},
                    # shipyard creates (and labels, and limits) the namespace
                    "syncOptions": ["CreateNamespace=false"],
                    "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2,
                                                      "maxDuration": "5m"}},
                },
            },
        },
    }


# -- component --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArgoCdArgs:
    ctx: ClusterContext
    highly_available: bool
    tenants: Sequence[str]                  # hosted tenants: each is its own namespace
    host: str | None = None                 # None: port-forward only
    exposure: Exposure | None = None
    repo_url: str | None = None             # None: the AppProjects only
    target_revision: str = "main"
    path: str = "tenants"
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()


class ArgoCd(pulumi.ComponentResource):
    namespace_name: str
    url: str | None
    release: k8s.helm.v3.Release
    projects: dict[str, k8s.apiextensions.CustomResource]
    application_set: k8s.apiextensions.CustomResource | None
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: ArgoCdArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ctx = args.ctx
        exposed = args.host is not None and args.exposure is not None
        host = args.host if exposed else None
        self.namespace_name = ARGOCD_NAMESPACE
        self.url = f"https://{host}" if host else None

        ns = namespace(name, ARGOCD_NAMESPACE, parent=self, provider=ctx.provider,
                       labels={ACCESS_LABEL: "true"} if exposed else None)
        self.release = helm_release(
            name, "argo-cd", release_name=RELEASE, namespace_name=ns.metadata.name,
            values=merged_values(argocd_values(highly_available=args.highly_available,
                                               host=host), args.values),
            parent=self, provider=ctx.provider, depends_on=args.after)

        self.route = None
        if host is not None and args.exposure is not None:
            self.route = expose_ui(name, args.exposure, namespace_name=ns.metadata.name,
                                   host=host, service=ARGOCD_SERVICE, port=ARGOCD_PORT,
                                   parent=self, provider=ctx.provider)

        # The custom resources wait for the release (its CRDs) and for nothing else.
        cr_opts = pulumi.ResourceOptions(parent=self, provider=ctx.provider,
                                         depends_on=[self.release])
        self.projects = {}
        for tenant in args.tenants:
            self.projects[tenant] = k8s.apiextensions.CustomResource(
                f"{name}-project-{tenant}", api_version=API_VERSION, kind="AppProject",
                metadata={"name": project_name(tenant), "namespace": ARGOCD_NAMESPACE,
                          "labels": {**MANAGED_BY, "app.kubernetes.io/part-of": tenant}},
                spec=app_project_spec(tenant, namespace_name=tenant, repo_url=args.repo_url),
                opts=cr_opts)
        self.application_set = None
        if args.repo_url and args.tenants:
            self.application_set = k8s.apiextensions.CustomResource(
                f"{name}-applicationset", api_version=API_VERSION, kind="ApplicationSet",
                metadata={"name": APPLICATION_SET, "namespace": ARGOCD_NAMESPACE,
                          "labels": MANAGED_BY},
                spec=application_set_spec(args.tenants, repo_url=args.repo_url,
                                          target_revision=args.target_revision,
                                          path=args.path),
                opts=cr_opts)

        self.ready = [self.release]
        self.register_outputs({"url": self.url, "namespace": self.namespace_name})
