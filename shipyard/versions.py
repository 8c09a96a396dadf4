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
