"""Istio in sidecar mode, with the istio-cni node agent instead of the istio-init container.

Why sidecars and not ambient: the applications issue gives each seed service its own
DestinationRule (outlier detection) and AuthorizationPolicies. In ambient mode anything above
L4 - outlier detection, HTTP-level authorization - only applies through a waypoint proxy, one
more Deployment per namespace to run, size and upgrade; with sidecars every pod's own Envoy
enforces them. Why the CNI plugin: tenant namespaces enforce Pod Security ``restricted``, and
the injected ``istio-init`` container needs NET_ADMIN and NET_RAW (and runs as root) to write
the pod's iptables rules, which ``restricted`` forbids. With ``cni.enabled`` the istio-cni
DaemonSet sets up the redirection on the node and pods get only an unprivileged
``istio-validation`` init container (uid 1337, all capabilities dropped).

Three pinned charts: ``base`` (the CRDs and the default-revision validating webhook) in
istio-system; ``cni`` (the node agent, a privileged DaemonSet with host paths) in kube-system,
which carries no Pod Security labels, so the cluster's default (privileged) applies there, and
whose ``system-node-critical`` priority class needs no extra ResourceQuota; and ``istiod`` in
istio-system, after both. Istio publishes no EKS platform profile for the cni chart: its
defaults (``/opt/cni/bin``, ``/etc/cni/net.d``, chained after the Amazon VPC CNI) are the EKS
layout. istiod itself passes ``restricted`` once its seccomp profile is set (below), so
istio-system enforces ``restricted`` like every other namespace.

Mesh-wide policy lives in the root namespace (istio-system): PeerAuthentication ``default``
(mTLS mode from settings) and Telemetry ``mesh-default`` (tracing to the OpenTelemetry
collector the observability issue adds, envoy access logs). The user's ``values`` from config
are laid over istiod's values (the chart with settings worth changing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import ClusterContext, helm_release, merged_values, namespace
from components.addons.ingress import ACCESS_LABEL

TYPE = "shipyard:addons:Istio"
NAMESPACE = "istio-system"        # also the mesh's root namespace: policies here are mesh-wide
CNI_NAMESPACE = "kube-system"
# Namespaces labelled with this get sidecars injected (the applications issue uses it).
INJECTION_LABEL = {"istio-injection": "enabled"}
# The OpenTelemetry collector the observability issue installs; Istio speaks OTLP/gRPC to it
# (the collector Service's port name must start with "grpc").
OTEL_PROVIDER = "otel-tracing"
OTEL_COLLECTOR = "opentelemetry-collector.observability.svc.cluster.local"
OTEL_PORT = 4317
RUNTIME_DEFAULT = {"type": "RuntimeDefault"}


@dataclass(frozen=True)
class IstioArgs:
    ctx: ClusterContext
    mtls: str                          # PERMISSIVE or STRICT
    trace_sampling: float              # percent of requests traced
    access_logs: bool
    highly_available: bool             # istiod scales from 2 with a PodDisruptionBudget
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()
    gateway_routes: bool = False       # Kiali, in istio-system, is served through the Gateway


def base_values() -> dict[str, Any]:
    """The ``base`` chart: CRDs, and the validating webhook for the default revision."""
    return {"defaultRevision": "default"}


def cni_values() -> dict[str, Any]:
    """The ``cni`` chart: the node agent for sidecar mode (no ambient redirection)."""
    return {
        "ambient": {"enabled": False},
        "excludeNamespaces": [CNI_NAMESPACE],
        "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}},
    }


def mesh_config(*, access_logs: bool) -> dict[str, Any]:
    """MeshConfig: tracing on through the OpenTelemetry extension provider that the Telemetry
    resource selects; access logs to stdout (the fallback when no Telemetry selects a log
    provider)."""
    mesh: dict[str, Any] = {
        "enableTracing": True,
        "extensionProviders": [{
            "name": OTEL_PROVIDER,
            "opentelemetry": {"service": OTEL_COLLECTOR, "port": OTEL_PORT},
        }],
    }
    if access_logs:
        mesh["accessLogFile"] = "/dev/stdout"
    return mesh


def istiod_values(*, access_logs: bool, highly_available: bool) -> dict[str, Any]:
    """The ``istiod`` chart's values. Its keys sit at the top level (the chart keeps its
    defaults under ``_internal_defaults_do_not_set``; there is no ``pilot.`` prefix in Helm:
    the chart hands ``cni`` to the injection template as ``pilot.cni``)."""
    return {
        # Sidecars without istio-init: the istio-cni agent redirects traffic instead.
        "cni": {"enabled": True},
        # Pod Security restricted needs a seccomp profile on every container: istiod's own...
        "seccompProfile": RUNTIME_DEFAULT,
        "global": {
            # ...the injected istio-proxy and istio-validation containers'...
            "proxy": {"seccompProfile": RUNTIME_DEFAULT},
            # istiod's PDB (minAvailable below) exists only with more than one replica.
            "defaultPodDisruptionBudget": {"enabled": highly_available},
        },
        # ...and those of the Gateways istiod deploys for Gateway API resources.
        "gateways": {"seccompProfile": RUNTIME_DEFAULT},
        "autoscaleEnabled": True,
        "autoscaleMin": 2 if highly_available else 1,
        "autoscaleMax": 5,
        "pdb": {"minAvailable": 1},
        # Istio's default asks 2Gi; a mesh of a few dozen services needs far less.
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
        "meshConfig": mesh_config(access_logs=access_logs),
    }


def peer_authentication_spec(mtls: str) -> dict[str, Any]:
    return {"mtls": {"mode": mtls}}


def telemetry_spec(*, trace_sampling: float, access_logs: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "tracing": [{"providers": [{"name": OTEL_PROVIDER}],
                     "randomSamplingPercentage": trace_sampling}],
    }
    if access_logs:
        spec["accessLogging"] = [{"providers": [{"name": "envoy"}]}]
    return spec


class Istio(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    base: k8s.helm.v3.Release
    cni: k8s.helm.v3.Release
    istiod: k8s.helm.v3.Release
    ready: list[pulumi.Resource]
    injection_label: dict[str, str]

    def __init__(self, name: str, args: IstioArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        provider = args.ctx.provider
        self.injection_label = dict(INJECTION_LABEL)

        self.namespace = namespace(name, NAMESPACE, parent=self, provider=provider,
                                   labels={ACCESS_LABEL: "true"} if args.gateway_routes else None)
        self.base = helm_release(
            f"{name}-base", "istio-base", release_name="istio-base",
            namespace_name=self.namespace.metadata.name, values=base_values(),
            parent=self, provider=provider)
        self.cni = helm_release(
            f"{name}-cni", "istio-cni", release_name="istio-cni", namespace_name=CNI_NAMESPACE,
            values=cni_values(), parent=self, provider=provider)
        # istiod watches Gateway API resources from start-up, so it waits for their CRDs too.
        self.istiod = helm_release(
            f"{name}-istiod", "istiod", release_name="istiod",
            namespace_name=self.namespace.metadata.name,
            values=merged_values(istiod_values(access_logs=args.access_logs,
                                               highly_available=args.highly_available),
                                 args.values),
            parent=self, provider=provider,
            depends_on=[self.base, self.cni, *args.after])

        # Mesh-wide policy: needs only the CRDs from base. (base's validating webhook fails
        # open until istiod is serving, so these need not wait for istiod.)
        self.peer_authentication = self._custom_resource(
            f"{name}-peer-authentication", "security.istio.io/v1", "PeerAuthentication",
            "default", peer_authentication_spec(args.mtls), provider)
        self.telemetry = self._custom_resource(
            f"{name}-telemetry", "telemetry.istio.io/v1", "Telemetry", "mesh-default",
            telemetry_spec(trace_sampling=args.trace_sampling, access_logs=args.access_logs),
            provider)

        self.ready = [self.base, self.istiod]
        self.register_outputs({"namespace": self.namespace.metadata.name,
                               "injectionLabel": self.injection_label})

    def _custom_resource(self, name: str, api_version: str, kind: str, object_name: str,
                         spec: Mapping[str, Any],
                         provider: k8s.Provider) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            name, api_version=api_version, kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=NAMESPACE),
            spec=dict(spec),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[self.base]))
