"""MongoDB Controllers for Kubernetes (MCK): the operator behind in-cluster MongoDB stores.

MCK (chart ``mongodb-kubernetes``) is MongoDB's own operator and the successor of the MongoDB
Community Operator, which reached end of life in November 2025; Bitnami's MongoDB images went
behind a subscription in 2025. It runs MongoDB Community Server images from quay.io, free to
pull. Installed only when a hosted application has an in-cluster MongoDB store (dev,
existing-cluster mode).

Scope: it reconciles ``MongoDBCommunity`` resources only (no Ops Manager, enterprise or search
resources, no ClusterMongoDBRoles), in every namespace (``watchNamespace: "*"``: tenants come
and go; the chart turns that into a ClusterRole). It creates no service accounts in the
tenants' namespaces: each store brings its pods' own account with least privilege
(``components/stores/mongodb.py``). Telemetry to MongoDB is off. The chart installs the CRDs
from its ``crds/`` folder on the first install only; a chart bump must apply the new CRDs
first (docs/data-stores.md, "Upgrading the store operators").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import ClusterContext, helm_release, merged_values, namespace
from shipyard.versions import STORE_IMAGES

KIND = "mongodb"                    # the store kind it serves
TYPE = "shipyard:addons:MongoDbOperator"
NAMESPACE = "mongodb-operator"
RELEASE_NAME = "mongodb-kubernetes"
OPERATOR_NAME = "mongodb-kubernetes-operator"   # its Deployment and ServiceAccount (chart's)
DEFAULT_IMAGE = STORE_IMAGES["mongodb-8.0"]


def community_image(image: str) -> dict[str, str]:
    """``registry/path/name:<version>-<type>`` -> the chart's ``community.mongodb`` values
    (the operator builds ``repo/name:<spec.version>-<imageType>`` itself) and the version."""
    ref, _, tag = image.rpartition(":")
    repo, _, name = ref.rpartition("/")
    version, sep, image_type = tag.partition("-")
    if not (repo and name and sep and image_type and version.count(".") == 2):
        raise ValueError(f"{image!r} is not a MongoDB Community Server image "
                         f"(registry/path/name:x.y.z-<type>)")
    return {"repo": repo, "name": name, "imageType": image_type, "version": version}


def mongodb_operator_values(*, image: str = DEFAULT_IMAGE) -> dict[str, Any]:
    """The mongodb-kubernetes chart's values (keys as in its values.yaml at 1.10.0)."""
    community = community_image(image)
    return {
        "operator": {
            "watchNamespace": "*",
            "watchedResources": ["mongodbcommunity"],
            "enableClusterMongoDBRoles": False,
            # the stores create their pods' ServiceAccount, Role and RoleBinding themselves:
            # the chart would only create them in namespaces listed up front
            "createResourcesServiceAccountsAndRoles": False,
            # only the enterprise resources resize volumes
            "enablePVCResize": False,
            "replicas": 1,
            "resources": {"requests": {"cpu": "100m", "memory": "200Mi"},
                          "limits": {"cpu": "1100m", "memory": "1Gi"}},
            "telemetry": {"enabled": False},
        },
        # pinned tags: a restart need not reach quay.io (the agent's own pull stays Always)
        "registry": {"pullPolicy": "IfNotPresent"},
        "community": {"mongodb": {"repo": community["repo"], "name": community["name"],
                                  "imageType": community["imageType"]}},
    }


@dataclass(frozen=True)
class MongoDbOperatorArgs:
    ctx: ClusterContext
    image: str = DEFAULT_IMAGE
    values: Mapping[str, Any] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = ()


class MongoDbOperator(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    release: k8s.helm.v3.Release
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: MongoDbOperatorArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        ctx = args.ctx
        self.namespace = namespace(name, NAMESPACE, parent=self, provider=ctx.provider)
        # Helm installs the CRDs first and waits for the operator's Deployment: the stores'
        # MongoDBCommunity resources wait for this release
        self.release = helm_release(
            name, "mongodb-kubernetes", release_name=RELEASE_NAME,
            namespace_name=self.namespace.metadata.name,
            values=merged_values(mongodb_operator_values(image=args.image), args.values),
            parent=self, provider=ctx.provider, depends_on=args.after)
        self.ready = [self.release]
        self.register_outputs({})
