"""Every version shipyard pins that is not a Python package (those are in requirements.txt).

EKS managed add-ons: ``None`` means "the default build EKS publishes for the cluster's
Kubernetes version", looked up (``aws.eks.get_addon_version``) at each preview, so the add-ons
move with ``cluster.version`` (after the control plane: they wait for it). EKS refuses a build
it has not published for that version, so a pin must move with ``cluster.version``; set one
here to hold an add-on back or forward deliberately.
"""

from __future__ import annotations

EKS_ADDON_VERSIONS: dict[str, str | None] = {
    "vpc-cni": None,
    "coredns": None,
    "kube-proxy": None,
    "aws-ebs-csi-driver": None,
    "eks-pod-identity-agent": None,
    # the VolumeSnapshot CRDs and their controller: Velero's CSI snapshots of the gp3 volumes
    "snapshot-controller": None,
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
# August 2026; docs/architecture.md lists what each pin is for). Bump here, nowhere else.
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
    # backups (issue 6): Velero 1.18.1 (vmware-tanzu/helm-charts tag velero-12.1.0)
    "velero": Chart("velero", "12.1.0", "https://vmware-tanzu.github.io/helm-charts"),
    # data stores (issue 6). CloudNativePG 0.29.0 installs operator 1.30.0 and its CRDs
    # (cloudnative-pg/charts tag cloudnative-pg-v0.29.0).
    "cloudnative-pg": Chart("cloudnative-pg", "0.29.0",
                            "https://cloudnative-pg.github.io/charts"),
    # B2: MongoDB Controllers for Kubernetes 1.10.0, the successor of the community operator
    # (mongodb/mongodb-kubernetes tag 1.10.0, helm_chart/Chart.yaml); its crds/ carry
    # MongoDBCommunity.
    "mongodb-kubernetes": Chart("mongodb-kubernetes", "1.10.0",
                                "https://mongodb.github.io/helm-charts"),
    # B2: Valkey's own chart, appVersion 9.1.1 (valkey-io/valkey-helm tag valkey-0.11.0).
    "valkey": Chart("valkey", "0.11.0", "https://valkey.io/valkey-helm/"),
}

# Gateway API CRDs, standard channel. v1.5.1 is the release NGINX Gateway Fabric 2.6 and Istio
# 1.30 are built and supported against (v1.6's bundle refuses a later downgrade to 1.5).
GATEWAY_API_VERSION = "v1.5.1"
GATEWAY_API_CRDS = (f"https://github.com/kubernetes-sigs/gateway-api/releases/download/"
                    f"{GATEWAY_API_VERSION}/standard-install.yaml")

# The data stores' engines (issue 6). Managed: the AWS engine version (a major version lets
# AWS apply minor upgrades in the maintenance window; ``stores.<kind>.version`` overrides).
# In-cluster: the operators' and stores' images, pinned by tag; each entry says where it was
# read. Bump here, nowhere else.
STORE_ENGINES: dict[str, str] = {
    "postgresql": "17",        # RDS for PostgreSQL 17
    "mysql": "8.4",            # RDS for MySQL 8.4 (LTS)
    "mongodb": "8.0",          # Amazon DocumentDB 8.0 (MongoDB 8.0 API)
    "redis": "8.2",            # ElastiCache for Valkey 8.2
    "rabbitmq": "4.2",         # Amazon MQ for RabbitMQ 4.2
}
STORE_IMAGES: dict[str, str] = {
    # --- A: the clients the managed stores' bootstrap Jobs run (components/stores/bootstrap.py):
    # Docker Hub's official images, tags from docker-library/official-images library/* of
    # 2026-08-21; curl's from curl/curl-container tag 8.21.0 ---
    "postgresql-client": "docker.io/library/postgres:18.6-alpine3.24",  # psql 18: RDS 17 and 18
    "mysql-client": "docker.io/library/mysql:8.4.11",
    "mongodb-client": "docker.io/library/mongo:8.0.29-noble",            # mongosh
    "curl": "docker.io/curlimages/curl:8.21.0",          # Amazon MQ's RabbitMQ management API
    # --- in-cluster images (helpers B1/B2 add theirs below) ---
    # B1: PostgreSQL operands of CloudNativePG, by major version: the "standard" images
    # (PGDG packages plus pgaudit, pgvector, all locales; the "system" ones are deprecated with
    # in-core Barman Cloud), Debian trixie. Tags from cloudnative-pg/postgres-containers
    # docker-bake.hcl (2026-08-20: 17.11, 18.6); a major.minor stores.postgresql.version
    # picks that minor's tag instead.
    "postgresql-17": "ghcr.io/cloudnative-pg/postgresql:17.11-standard-trixie",
    "postgresql-18": "ghcr.io/cloudnative-pg/postgresql:18.6-standard-trixie",
    # B1: MySQL 8.4 LTS, Docker Hub's official image (the release mysql-client above pins;
    # docker-library/mysql versions.json had 8.4.10 on 2026-06-16), the engine RDS for MySQL
    # 8.4 runs in staging and prod.
    "mysql-8.4": "docker.io/library/mysql:8.4.11",
    # B2: MongoDB Community Server for MongoDBCommunity (the operator appends the image type):
    # 8.0.32-ubi9 as third-party deployments of MCK run it (the chart's default ubi8 type is
    # being phased out); 8.0 is the API DocumentDB 8.0 speaks in staging and prod.
    "mongodb-8.0": "quay.io/mongodb/mongodb-community-server:8.0.32-ubi9",
    # B2: Valkey, the valkey chart 0.11.0's appVersion (Docker Hub's valkey/valkey).
    "valkey-9.1": "docker.io/valkey/valkey:9.1.1",
    # B2: RabbitMQ 4.2, the cluster operator v2.22.3's default (cmd/main.go) and the minor
    # Amazon MQ runs in staging and prod; Docker Hub's official image with the management UI.
    "rabbitmq-4.2": "docker.io/library/rabbitmq:4.2.6-management",
}

# B2: the RabbitMQ Cluster Operator has no official Helm chart: its release manifest (CRD,
# RBAC, Deployment, webhooks with a cert-manager Certificate since v2.22.0) is applied as is.
RABBITMQ_CLUSTER_OPERATOR_VERSION = "v2.22.3"
RABBITMQ_CLUSTER_OPERATOR = (f"https://github.com/rabbitmq/cluster-operator/releases/download/"
                             f"{RABBITMQ_CLUSTER_OPERATOR_VERSION}/cluster-operator.yml")

# Velero's object-store and EBS plugin, an init container of its server: v1.14.x is the line
# for Velero 1.18 (velero-plugin-for-aws README, compatibility table at v1.14.0-rc.1); v1.14.2
# is the patch release Velero 1.18 users pin (the mirrored upstream stops at the rc).
VELERO_AWS_PLUGIN_IMAGE = "docker.io/velero/velero-plugin-for-aws:v1.14.2"

# The CRDs the offline plan checks custom resources against (offline/crd_schemas.py fetches them
# at these tags) where no chart version above names them: Argo CD's app version (chart argo-cd
# 10.1.1 installs v3.4.4), CloudNativePG's operator (chart cloudnative-pg 0.29.0 installs
# v1.30.0), and the VolumeSnapshotClass CRD of the EKS snapshot-controller add-on (unchanged
# from external-snapshotter v8.1.1 to v8.6.0).
ARGO_CD_VERSION = "v3.4.4"
CLOUDNATIVE_PG_VERSION = "v1.30.0"
SNAPSHOT_CONTROLLER_CRDS_VERSION = "v8.6.0"
