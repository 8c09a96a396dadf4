"""ECR in moto: repositories and their policies."""

from __future__ import annotations

from typing import Any

from tests.support.moto.base import MotoBase
from tests.support.moto.core import as_json, drop_none, handles, tag_list


class Ecr(MotoBase):
    """ECR repositories, lifecycle and repository policies."""

    @handles("aws:ecr/repository:Repository")
    def _ecr_repository(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        repo_name = i.get("name") or name
        encryption = (i.get("encryptionConfigurations") or [None])[0]
        if encryption and encryption.get("kmsKey"):
            self.client("kms").describe_key(KeyId=encryption["kmsKey"])  # AWS checks it exists
        scanning = i.get("imageScanningConfiguration")
        repo = self.client("ecr").create_repository(**drop_none(
            repositoryName=repo_name, tags=tag_list(i.get("tags")),
            imageTagMutability=i.get("imageTagMutability"),
            imageTagMutabilityExclusionFilters=i.get("imageTagMutabilityExclusionFilters"),
            imageScanningConfiguration={"scanOnPush": bool(scanning.get("scanOnPush"))}
            if scanning else None,
            encryptionConfiguration=drop_none(encryptionType=encryption.get("encryptionType"),
                                              kmsKey=encryption.get("kmsKey"))
            if encryption else None))["repository"]
        return repo_name, {"name": repo_name, "arn": repo["repositoryArn"],
                           "registryId": repo["registryId"],
                           "repositoryUrl": repo["repositoryUri"]}

    @handles("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    def _ecr_lifecycle_policy(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        result = self.client("ecr").put_lifecycle_policy(
            repositoryName=i.get("repository", ""),
            lifecyclePolicyText=as_json(i.get("policy", "")))
        return result["repositoryName"], {"registryId": result["registryId"]}

    @handles("aws:ecr/repositoryPolicy:RepositoryPolicy")
    def _ecr_repository_policy(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        result = self.client("ecr").set_repository_policy(
            repositoryName=i.get("repository", ""), policyText=as_json(i.get("policy", "")))
        return result["repositoryName"], {"registryId": result["registryId"]}
