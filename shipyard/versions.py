"""Every version shipyard pins that is not a Python package (those are in requirements.txt).

EKS managed add-ons: ``None`` means "the default build EKS publishes for the cluster's
Kubernetes version" — EKS refuses a build it has not published for that version, so a pin must
move with ``cluster.version``; set one here to hold an add-on back or forward deliberately.
"""

from __future__ import annotations

EKS_ADDON_VERSIONS: dict[str, str | None] = {
    "vpc-cni": None,
    "coredns": None,
    "kube-proxy": None,
    "aws-ebs-csi-driver": None,
    "eks-pod-identity-agent": None,
}

# Node AMIs: EKS picks the latest release of ami_type for the cluster version at create time.
EKS_AMI_RELEASE_VERSION: str | None = None


class Chart:
    """A Helm chart pinned to one version: where it comes from and which version."""

    def __init__(self, chart: str, version: str, repo: str | None = None) -> None:
        self.chart = chart      # a chart name in ``repo``, or a full ``oci://`` reference
        self.version = version
        self.repo = repo        # None for OCI charts

    def __repr__(self) -> str:
        return f"Chart({self.chart!r}, {self.version!r}, {self.repo!r})"


# Newest releases found on 2026-11-22 in the charts' own repositories (stored copies reach to
# August 2026; see README "Pinned versions"). Bump here, nowhere else.
CHARTS: dict[str, Chart] = {
    "cert-manager": Chart("cert-manager", "v1.21.1", "https://charts.jetstack.io"),
    "aws-load-balancer-controller": Chart("aws-load-balancer-controller", "3.5.0",
                                          "https://aws.github.io/eks-charts"),
    "nginx-gateway-fabric": Chart("oci://ghcr.io/nginx/charts/nginx-gateway-fabric", "2.6.7"),
    "external-dns": Chart("external-dns", "1.21.1", "https://kubernetes-sigs.github.io/external-dns/"),
    "istio-base": Chart("base", "1.30.3", "https://istio-release.storage.googleapis.com/charts"),
    "istio-cni": Chart("cni", "1.30.3", "https://istio-release.storage.googleapis.com/charts"),
    "istiod": Chart("istiod", "1.30.3", "https://istio-release.storage.googleapis.com/charts"),
    "metrics-server": Chart("metrics-server", "3.13.1",
                            "https://kubernetes-sigs.github.io/metrics-server/"),
    "karpenter-crd": Chart("oci://public.ecr.aws/karpenter/karpenter-crd", "1.14.1"),
    "karpenter": Chart("oci://public.ecr.aws/karpenter/karpenter", "1.14.1"),
    # observability and GitOps. Grafana's open-source charts (loki, tempo, grafana) moved to
    # grafana-community in 2026; Alloy stays in grafana's repository.
    "kube-prometheus-stack": Chart("kube-prometheus-stack", "88.5.3",
                                   "https://prometheus-community.github.io/helm-charts"),
    "loki": Chart("loki", "18.11.0", "https://grafana-community.github.io/helm-charts"),
    "alloy": Chart("alloy", "1.11.1", "https://grafana.github.io/helm-charts"),
    "opentelemetry-collector": Chart("opentelemetry-collector", "0.170.0",
                                     "https://open-telemetry.github.io/opentelemetry-helm-charts"),
    "tempo": Chart("tempo", "2.2.4", "https://grafana-community.github.io/helm-charts"),
    "kiali-server": Chart("kiali-server", "2.29.0", "https://kiali.org/helm-charts"),
    "argo-cd": Chart("argo-cd", "10.1.1", "https://argoproj.github.io/argo-helm"),
}

# Gateway API CRDs, standard channel. v1.5.1 is the release NGINX Gateway Fabric 2.6 and Istio
# 1.30 are built and supported against (v1.6's bundle refuses a later downgrade to 1.5).
GATEWAY_API_VERSION = "v1.5.1"
GATEWAY_API_CRDS = (f"https://github.com/kubernetes-sigs/gateway-api/releases/download/"
                    f"{GATEWAY_API_VERSION}/standard-install.yaml")
