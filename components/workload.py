"""The service component: one service of an application, as the Kubernetes objects that run it.

ServiceAccount (its own AWS role when it needs AWS: EKS Pod Identity or IRSA), Deployment
(zero-downtime rolling updates, three probes, requests and limits, a restricted security
context, a writable /tmp only, topology spread over zones and nodes, graceful shutdown, an ECR
image that is never ``latest``), Service, HPA ``autoscaling/v2`` with behavior,
PodDisruptionBudget; for mesh applications the mesh objects ``components/mesh.py`` builds
(DestinationRule, VirtualService, AuthorizationPolicy, and a port-level PERMISSIVE
PeerAuthentication where the Gateway is outside the mesh).

Progressive delivery: ``canary`` adds ``NAME-canary`` (its own Deployment and Service; the route
or the mesh sends it ``weight`` percent), ``blueGreen`` runs ``NAME-blue`` and ``NAME-green``;
Service ``NAME`` selects the active slot, ``NAME-preview`` the other.

Every object is built by a pure function of the catalog (tested without mocks); the component
only registers them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons import endpoints
from components.labels import MANAGED, NAME_LABEL, PART_OF_LABEL, TRACK_LABEL, VERSION_LABEL
from components.mesh import (
    MERGED_METRICS_PORT,
    SIDECAR,
    MeshContext,
    authorization_policy_spec,
    destination_rule_spec,
    permissive_ports_spec,
    proxy_config,
    sidecar_annotations,
    virtual_service_spec,
)
from components.sizing import hpa_targets
from components.workload_identity import (
    ServiceAccountRole,
    WorkloadIdentity,
    service_account_role,
)
from shipyard.catalog import mounts as catalog_mounts
from shipyard.catalog.models import Application
from shipyard.catalog.services import Port, Service
from shipyard.rules.requests import AS_THEY_ARE, Sizing, sized

TYPE = "shipyard:apps:Workload"
SECRETS_ROOT = catalog_mounts.SECRETS_ROOT
RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
OTLP_ENDPOINT = endpoints.OTLP_GRPC_URL


@dataclass(frozen=True)
class Track:
    """One Deployment of a service: ``stable`` (rolling), ``canary``, or a blue/green slot."""

    name: str            # the Deployment's (and its PDB's, HPA's) name
    track: str           # the track label's value
    tag_ref: str         # ":tag" or "@sha256:..."
    autoscaled: bool     # an HPA scales it
    replicas: int        # its replicas at creation (the HPA's minimum when autoscaled)
    budget: Mapping[str, int]


def tracks(name: str, svc: Service) -> list[Track]:
    """The Deployments a service runs, by its delivery strategy."""
    budget = svc.disruption_budget.model_dump(by_alias=True, exclude_none=True)
    delivery = svc.delivery
    if delivery.strategy == "blueGreen":
        bg = delivery.blue_green
        assert bg is not None
        return [Track(f"{name}-{slot}", slot, f":{tag}", svc.autoscaling is not None,
                      svc.min_replicas, budget)
                for slot, tag in (("blue", bg.blue), ("green", bg.green))]
    stable = Track(name, "stable", svc.image_reference, svc.autoscaling is not None,
                   svc.min_replicas, budget)
    if delivery.strategy == "canary":
        canary = delivery.canary
        assert canary is not None
        return [stable, Track(f"{name}-canary", "canary", f":{canary.tag}", False,
                              canary.replicas, {"maxUnavailable": 1})]
    return [stable]


def services(name: str, svc: Service) -> list[tuple[str, str]]:
    """(Service name, track it selects): ``NAME`` always, plus ``NAME-canary`` or
    ``NAME-preview``."""
    delivery = svc.delivery
    if delivery.strategy == "blueGreen":
        assert delivery.blue_green is not None
        active = delivery.blue_green.active
        return [(name, active), (f"{name}-preview", "green" if active == "blue" else "blue")]
    if delivery.strategy == "canary":
        return [(name, "stable"), (f"{name}-canary", "canary")]
    return [(name, "stable")]


def selector(name: str, track: str) -> dict[str, str]:
    return {NAME_LABEL: name, TRACK_LABEL: track}


# ---------------------------------------------------------------------------------------------
# Pure builders


def _probe(svc: Service, path: str, *, period: int, failures: int) -> dict[str, Any]:
    port = svc.probe_port
    if port.protocol == "TCP":
        action: dict[str, Any] = {"tcpSocket": {"port": port.name}}
    elif port.protocol == "GRPC":
        action = {"grpc": {"port": port.port}}
    else:
        action = {"httpGet": {"path": path, "port": port.name, "scheme": "HTTP"}}
    return {**action, "periodSeconds": period, "timeoutSeconds": 2, "failureThreshold": failures}


def container_security_context(uid: int) -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": dict(RUNTIME_DEFAULT),
    }


def volumes(svc: Service) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(volumes, mounts): an emptyDir for /tmp and each writable path, and each secret as
    read-only files."""
    vols = [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}]
    mounts = [{"name": "tmp", "mountPath": catalog_mounts.TMP}]
    for path, name in zip(svc.writable_paths,
                          catalog_mounts.writable_volume_names(svc.writable_paths), strict=True):
        vols.append({"name": name, "emptyDir": {"sizeLimit": "256Mi"}})
        mounts.append({"name": name, "mountPath": path})
    for secret in svc.secrets:
        name = catalog_mounts.secret_volume_name(secret.name)
        vols.append({"name": name,
                     "secret": {"secretName": secret.name, "defaultMode": 0o440}})
        mounts.append({"name": name, "readOnly": True,
                       "mountPath": catalog_mounts.secret_path(secret.name, secret.mount_path)})
    return vols, mounts



@dataclass(frozen=True)
class StoreMount:
    """One data store a service uses: its connection details as a ConfigMap (read as
    ``<PREFIX>HOST``, ``<PREFIX>PORT``, ...) and its password as a file from a Secret."""

    store: str                      # the store's name in the catalog
    prefix: str                     # the variables' prefix, e.g. POSTGRES_
    config_map: str                 # host, port, database, username, tls, password file
    secret: str | None = None       # the password; None: no password (S3 goes by its AWS role)


def store_password_file(store: str) -> str:
    return f"{catalog_mounts.store_mount_path(store)}/password"


def store_wiring(stores: Sequence[StoreMount]) -> tuple[list[dict[str, Any]],
                                                        list[dict[str, Any]],
                                                        list[dict[str, Any]]]:
    """(envFrom, volumes, mounts) for the stores a service uses."""
    env_from, vols, mounts = [], [], []
    for m in stores:
        env_from.append({"prefix": m.prefix, "configMapRef": {"name": m.config_map}})
        if m.secret is not None:
            vol = catalog_mounts.store_volume_name(m.store)
            vols.append({"name": vol, "secret": {"secretName": m.secret, "defaultMode": 0o440,
                                                 "items": [{"key": "password",
                                                            "path": "password"}]}})
            mounts.append({"name": vol, "readOnly": True,
                           "mountPath": catalog_mounts.store_mount_path(m.store)})
    return env_from, vols, mounts


def telemetry_env(app: Application, name: str, environment_name: str) -> dict[str, str]:
    """What an OpenTelemetry SDK reads: where to send traces, and who is sending them."""
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": OTLP_ENDPOINT,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_SERVICE_NAME": name,
            # deployment.environment.name is today's convention; older SDKs read the first
            "OTEL_RESOURCE_ATTRIBUTES": f"service.namespace={app.name},"
                                        f"deployment.environment={environment_name},"
                                        f"deployment.environment.name={environment_name}"}


def environment(svc: Service, extra: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    env = [{"name": k, "value": v} for k, v in sorted({**(extra or {}), **svc.env}.items())]
    for secret in svc.secrets:
        for var, key in sorted(secret.env.items()):
            env.append({"name": var, "valueFrom": {"secretKeyRef": {"name": secret.name,
                                                                    "key": key}}})
    return env


def pull_policy(svc: Service, *, immutable_tags: bool) -> str:
    """IfNotPresent where a tag can only ever name one image (a digest, or ECR's immutable
    tags): pod starts then never depend on ECR. Always where tags move (dev)."""
    return "IfNotPresent" if svc.digest or immutable_tags else "Always"


def checkov_skips(svc: Service, *, immutable_tags: bool) -> dict[str, str]:
    """checkov's ``checkov.io/skipN`` annotations, each with the reason the check does not
    apply to this object (docs/offline-plan.md lists them all)."""
    reasons: list[tuple[str, str]] = []
    if svc.digest is None:
        reasons.append(("CKV_K8S_43", "the ECR repository's tags are immutable: the tag pins "
                                      "one image as a digest would" if immutable_tags else
                                      "dev's tags move on purpose (push, roll out); "
                                      "imagePullPolicy Always fetches what the tag names"))
    if pull_policy(svc, immutable_tags=immutable_tags) != "Always":
        reasons.append(("CKV_K8S_15", "IfNotPresent is right for an immutable tag: a cached "
                                      "image is the tag's only image, and pod starts do not "
                                      "depend on ECR"))
    if any(secret.env for secret in svc.secrets):
        reasons.append(("CKV_K8S_35", "the catalog declares this image reads the secret from "
                                      "its environment only"))
    return {f"checkov.io/skip{i}": f"{check}={reason}"
            for i, (check, reason) in enumerate(reasons, start=1)}


def anti_affinity(svc: Service, labels: Mapping[str, str]) -> dict[str, Any]:
    """The pod spec's ``affinity`` for the catalog's ``antiAffinity`` (nothing when unset):
    the service's pods of one rollout (``pod-template-hash``, as the topology spread) kept apart
    across nodes or zones."""
    rule = svc.anti_affinity
    if rule is None:
        return {}
    term = {"labelSelector": {"matchLabels": dict(labels)}, "topologyKey": rule.topology_key,
            "matchLabelKeys": ["pod-template-hash"]}
    if rule.mode == "required":
        return {"affinity": {"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [term]}}}
    return {"affinity": {"podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": rule.weight or 100, "podAffinityTerm": term}]}}}


def pod_template(app: Application, name: str, svc: Service, track: Track, *, image: str,
                 mesh: bool, zone_spread: str, immutable_tags: bool = True,
                 telemetry: Mapping[str, str] | None = None,
                 stores: Sequence[StoreMount] = (),
                 sidecar: Mapping[str, str] = SIDECAR,
                 pod_annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``pod_annotations``: its AWS role's (the workload identity: a switch rolls the pods,
    which keep the credentials they started with)."""
    vols, mounts = volumes(svc)
    env_from, store_vols, store_mounts = store_wiring(stores)
    vols, mounts = vols + store_vols, mounts + store_mounts
    labels = {**selector(name, track.track), PART_OF_LABEL: app.name,
              VERSION_LABEL: track.tag_ref.lstrip(":@").replace("sha256:", "")[:63]}
    annotations = {"kubectl.kubernetes.io/default-container": name, **(pod_annotations or {})}
    if mesh:
        annotations.update({**sidecar_annotations(sidecar),
                            "proxy.istio.io/config": proxy_config(svc)})
        metrics = svc.metrics_port
        if metrics is not None and svc.metrics is not None:
            # the sidecar merges these metrics with its own on MERGED_METRICS_PORT
            annotations.update({"prometheus.io/scrape": "true",
                                "prometheus.io/port": str(metrics.port),
                                "prometheus.io/path": svc.metrics.path})
    spread = [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": when,
               "labelSelector": {"matchLabels": selector(name, track.track)},
               "matchLabelKeys": ["pod-template-hash"]}
              for key, when in (("topology.kubernetes.io/zone", zone_spread),
                                ("kubernetes.io/hostname", "ScheduleAnyway"))]
    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "imagePullPolicy": pull_policy(svc, immutable_tags=immutable_tags),
        "ports": [{"name": p.name, "containerPort": p.port, "protocol": "TCP"}
                  for p in svc.ports],
        "env": environment(svc, telemetry),
        "envFrom": env_from,
        "resources": {"requests": svc.resources.requests.model_dump(),
                      "limits": svc.resources.limits.model_dump()},
        "startupProbe": _probe(svc, svc.health.startup, period=5,
                               failures=max(1, svc.health.startup_seconds // 5)),
        "livenessProbe": _probe(svc, svc.health.liveness, period=10, failures=3),
        "readinessProbe": _probe(svc, svc.health.readiness, period=5, failures=3),
        "securityContext": container_security_context(svc.run_as_user),
        # endpoints are removed while the pod sleeps, then SIGTERM
        "lifecycle": {"preStop": {"sleep": {"seconds": svc.shutdown.pre_stop_seconds}}}
        if svc.shutdown.pre_stop_seconds else None,
        "volumeMounts": mounts,
    }
    if container["lifecycle"] is None:
        del container["lifecycle"]
    if not container["env"]:
        del container["env"]
    if not container["envFrom"]:
        del container["envFrom"]
    return {
        "metadata": {"labels": labels, "annotations": annotations},
        "spec": {
            "serviceAccountName": name,
            "automountServiceAccountToken": svc.service_account_token,
            "enableServiceLinks": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": svc.run_as_user,
                "runAsGroup": svc.run_as_user,
                "fsGroup": svc.run_as_user,
                "seccompProfile": dict(RUNTIME_DEFAULT),
            },
            "terminationGracePeriodSeconds": svc.shutdown.grace_period_seconds,
            "topologySpreadConstraints": spread,
            **anti_affinity(svc, selector(name, track.track)),
            "containers": [container],
            "volumes": vols,
        },
    }


def deployment(app: Application, name: str, svc: Service, track: Track, *, image: str,
               mesh: bool, zone_spread: str, await_rollout: bool,
               immutable_tags: bool = True,
               telemetry: Mapping[str, str] | None = None,
               stores: Sequence[StoreMount] = (),
               sidecar: Mapping[str, str] = SIDECAR,
               pod_annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
    annotations = checkov_skips(svc, immutable_tags=immutable_tags)
    if not await_rollout:
        annotations["pulumi.com/skipAwait"] = "true"
    return {
        "metadata": {"name": track.name, "namespace": app.name,
                     "labels": {**selector(name, track.track), PART_OF_LABEL: app.name,
                                **MANAGED},
                     "annotations": annotations},
        "spec": {
            # an autoscaled Deployment leaves its replica count to the HPA entirely: a field
            # Pulumi also set would fight the HPA's writes under server-side apply
            **({} if track.autoscaled else {"replicas": track.replicas}),
            "revisionHistoryLimit": 5,
            "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": selector(name, track.track)},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": pod_template(app, name, svc, track, image=image, mesh=mesh,
                                     zone_spread=zone_spread, immutable_tags=immutable_tags,
                                     telemetry=telemetry, stores=stores, sidecar=sidecar,
                                     pod_annotations=pod_annotations),
        },
    }


def service_manifest(app: Application, service_name: str, name: str, svc: Service,
                     track: str) -> dict[str, Any]:
    return {
        "metadata": {"name": service_name, "namespace": app.name,
                     "labels": {NAME_LABEL: name, PART_OF_LABEL: app.name, **MANAGED}},
        "spec": {
            "type": "ClusterIP",
            "selector": selector(name, track),
            "ports": [{"name": p.name, "port": p.port, "targetPort": p.name, "protocol": "TCP",
                       "appProtocol": p.app_protocol} for p in svc.ports],
        },
    }


def hpa_spec(deployment_name: str, svc: Service,
             targets: tuple[int | None, int | None] | None = None) -> dict[str, Any]:
    """``targets``: the CPU and memory targets restated for requests the environment scaled
    (``hpa_targets``); None: the catalog's."""
    scaling = svc.autoscaling
    assert scaling is not None
    cpu, memory = targets or (scaling.cpu_utilization, scaling.memory_utilization)
    metrics = [{"type": "Resource", "resource": {
        "name": resource, "target": {"type": "Utilization", "averageUtilization": target}}}
        for resource, target in (("cpu", cpu), ("memory", memory))
        if target is not None]
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                           "name": deployment_name},
        "minReplicas": scaling.min_replicas,
        "maxReplicas": scaling.max_replicas,
        "metrics": metrics,
    }
    if scaling.behavior is not None:
        spec["behavior"] = scaling.behavior.model_dump(by_alias=True, exclude_none=True)
    return spec


def pdb_spec(name: str, track: Track) -> dict[str, Any]:
    # a crash-looping pod never blocks a node drain
    return {"selector": {"matchLabels": selector(name, track.track)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow", **track.budget}


def service_monitor_spec(app: Application, name: str, svc: Service) -> dict[str, Any] | None:
    """Prometheus scrapes the service's metrics port through its Service (every track)."""
    port = svc.metrics_port
    if port is None or svc.metrics is None:
        return None
    return {"selector": {"matchLabels": {NAME_LABEL: name, PART_OF_LABEL: app.name}},
            "namespaceSelector": {"matchNames": [app.name]},
            "endpoints": [{"port": port.name, "path": svc.metrics.path, "interval": "30s",
                           "scheme": "http"}]}


def pod_monitor_spec(app: Application, name: str, svc: Service) -> dict[str, Any] | None:
    """In the mesh, Prometheus (outside it) scrapes the sidecar's merged endpoint: the proxy's
    metrics (what Kiali draws its graph from) and the app's where it has any, in plain text,
    without touching the mTLS-only app port. Every mesh service has one."""
    return {"selector": {"matchLabels": {NAME_LABEL: name}},
            "namespaceSelector": {"matchNames": [app.name]},
            "podMetricsEndpoints": [{"portNumber": MERGED_METRICS_PORT,
                                     "path": "/stats/prometheus", "interval": "30s"}]}


# ---------------------------------------------------------------------------------------------
# The component


@dataclass(frozen=True)
class WorkloadPlatform:
    """What every workload of every tenant shares: built once (``compose.applications``) and
    passed by reference."""

    provider: k8s.Provider
    # how services with aws: true get their role; None (an existing cluster): they get none
    identity: WorkloadIdentity | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    zone_spread: str = "DoNotSchedule"
    await_rollout: bool = True
    immutable_tags: bool = True              # the ECR repositories refuse to move a tag
    environment: str = ""
    monitoring: Sequence[pulumi.Resource] | None = None  # the monitoring CRDs; None: off
    tracing: bool = False                    # the OpenTelemetry Collector receives traces
    # the environment's requests against the catalogs' (workloads.cpuRequests and
    # memoryRequests)
    sizing: Sizing = AS_THEY_ARE


@dataclass(frozen=True)
class WorkloadArgs:
    app: Application
    name: str                                # the service's name in the catalog
    service: Service
    image_repository: pulumi.Input[str]      # the ECR repository URL
    namespace: pulumi.Input[str]             # the tenant's namespace (its name, as an Output)
    platform: WorkloadPlatform               # shared by every workload
    routed_ports: Sequence[Port] = ()
    gateway_namespace: str | None = None
    mesh: MeshContext | None = None          # None: not a mesh application
    stores: Sequence[StoreMount] = ()        # the data stores it uses
    aws_policy: pulumi.Input[str] | None = None  # its AWS role's grants (its buckets)
    # what its pods wait for: its stores' users and databases exist, its connection objects
    stores_ready: Sequence[pulumi.Resource] = ()


class Workload(pulumi.ComponentResource):
    role: ServiceAccountRole | None
    deployments: list[k8s.apps.v1.Deployment]
    services: list[k8s.core.v1.Service]

    def __init__(self, name: str, args: WorkloadArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        app, svc_name, platform = args.app, args.name, args.platform
        # the catalog's service, its requests as this environment sizes them
        svc = sized(args.service, platform.sizing)
        proxy = args.mesh.sidecar if args.mesh is not None else SIDECAR
        targets = hpa_targets(args.service, svc, mesh=args.mesh is not None, sidecar=proxy)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=platform.provider)

        def meta(object_name: str, **extra: Any) -> dict[str, Any]:
            return {"name": object_name, "namespace": args.namespace,
                    "labels": {NAME_LABEL: svc_name, PART_OF_LABEL: app.name, **MANAGED},
                    **extra}

        annotations: dict[str, pulumi.Input[str]] = {}
        self.role = None
        role_ready: list[pulumi.Resource] = []
        # no AWS role on an existing cluster (a note says)
        if svc.aws and platform.identity is not None:
            # its permissions come from what it uses (the data stores attach theirs)
            self.role = service_account_role(
                name, identity=platform.identity, namespace=app.name, service_account=svc_name,
                policy=args.aws_policy, tags=platform.tags, parent=self)
            annotations.update(self.role.annotations)
            # its pods get Pod Identity's credentials only if created after the association
            role_ready = self.role.ready
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa", metadata=meta(svc_name, annotations=annotations),
            automount_service_account_token=False, opts=k8s_opts)

        mesh = args.mesh
        after = list(mesh.injector) if mesh else []
        self.deployments, self.services = [], []
        for track in tracks(svc_name, svc):
            image = pulumi.Output.concat(args.image_repository, track.tag_ref)
            manifest = deployment(app, svc_name, svc, track, image="", mesh=mesh is not None,
                                  zone_spread=platform.zone_spread,
                                  await_rollout=platform.await_rollout,
                                  immutable_tags=platform.immutable_tags,
                                  telemetry=telemetry_env(app, svc_name, platform.environment)
                                  if platform.tracing else None, stores=args.stores,
                                  sidecar=proxy, pod_annotations=self.role.pod_annotations
                                  if self.role is not None else None)
            manifest["metadata"]["namespace"] = args.namespace
            manifest["spec"]["template"]["spec"]["containers"][0]["image"] = image
            suffix = track.name.removeprefix(svc_name)
            dep = k8s.apps.v1.Deployment(
                f"{name}{suffix}-deployment", metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(
                    depends_on=[self.service_account, *role_ready, *after,
                                *args.stores_ready])))
            self.deployments.append(dep)
            if track.autoscaled:
                k8s.autoscaling.v2.HorizontalPodAutoscaler(
                    f"{name}{suffix}-hpa", metadata=meta(track.name),
                    spec=hpa_spec(track.name, svc, targets), opts=k8s_opts)
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}{suffix}-pdb", metadata=meta(track.name), spec=pdb_spec(svc_name, track),
                opts=k8s_opts)
        for service_name, track_label in services(svc_name, svc):
            manifest = service_manifest(app, service_name, svc_name, svc, track_label)
            manifest["metadata"]["namespace"] = args.namespace
            suffix = service_name.removeprefix(svc_name)
            self.services.append(k8s.core.v1.Service(
                f"{name}{suffix}-service", metadata=manifest["metadata"], spec=manifest["spec"],
                opts=k8s_opts))

        if platform.monitoring is not None:
            monitor_opts = pulumi.ResourceOptions.merge(
                k8s_opts, pulumi.ResourceOptions(depends_on=list(platform.monitoring)))
            if mesh is None:
                spec = service_monitor_spec(app, svc_name, svc)
                kind = "ServiceMonitor"
            else:
                spec, kind = pod_monitor_spec(app, svc_name, svc), "PodMonitor"
            if spec is not None:
                k8s.apiextensions.CustomResource(
                    f"{name}-{kind.lower()}", api_version="monitoring.coreos.com/v1", kind=kind,
                    metadata=meta(svc_name), spec=spec, opts=monitor_opts)

        if mesh is not None:
            cr_opts = pulumi.ResourceOptions.merge(
                k8s_opts, pulumi.ResourceOptions(depends_on=list(mesh.crds)))
            for service_name, _ in services(svc_name, svc):
                suffix = service_name.removeprefix(svc_name)
                k8s.apiextensions.CustomResource(
                    f"{name}{suffix}-destination-rule", api_version="networking.istio.io/v1",
                    kind="DestinationRule", metadata=meta(service_name),
                    spec=destination_rule_spec(app, service_name, svc), opts=cr_opts)
            vs = virtual_service_spec(app, svc_name, svc)
            if vs is not None:
                k8s.apiextensions.CustomResource(
                    f"{name}-virtual-service", api_version="networking.istio.io/v1",
                    kind="VirtualService", metadata=meta(svc_name), spec=vs, opts=cr_opts)
            k8s.apiextensions.CustomResource(
                f"{name}-authorization-policy", api_version="security.istio.io/v1",
                kind="AuthorizationPolicy", metadata=meta(svc_name),
                spec=authorization_policy_spec(
                    app, svc_name, svc, routed_ports=args.routed_ports,
                    gateway_namespace=args.gateway_namespace,
                    gateway_in_mesh=mesh.gateway_in_mesh), opts=cr_opts)
            if args.routed_ports and mesh.strict and not mesh.gateway_in_mesh:
                k8s.apiextensions.CustomResource(
                    f"{name}-peer-authentication", api_version="security.istio.io/v1",
                    kind="PeerAuthentication", metadata=meta(f"{svc_name}-gateway"),
                    spec=permissive_ports_spec(svc_name, args.routed_ports), opts=cr_opts)
        self.register_outputs({})
