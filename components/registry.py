"""ECR: one repository per image, KMS-encrypted, scanned on push, with lifecycle rules."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from shipyard.rules import iam

TYPE = "shipyard:registry:Registry"

# What a CI role needs on a repository to push an image (ecr:GetAuthorizationToken is not
# resource-scoped: it belongs in the role's own IAM policy, not here).
PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)


@dataclass(frozen=True)
class RegistryArgs:
    """Plain values: which repositories exist and how they are kept; nothing is an Output."""

    images: Sequence[str]
    # Names the KMS alias and the Name tags (the cluster name, e.g. shipyard-prod).
    name_prefix: str
    immutable_tags: bool = True
    keep_tagged_images: int = 50
    untagged_expiry_days: int = 7
    push_principals: Sequence[str] = ()
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        image_keys(self.images)  # fails early on two images that would share resource names


def image_key(image: str) -> str:
    """Pure: the stable part of an image's resource names (``team/api`` -> ``team-api``)."""
    return image.replace("/", "-")


def image_keys(images: Sequence[str]) -> dict[str, str]:
    """Pure: image -> resource-name key; two images mapping to one key is an error."""
    keys: dict[str, str] = {}
    seen: dict[str, str] = {}
    for image in images:
        key = image_key(image)
        if key in seen:
            raise ValueError(f"images {seen[key]!r} and {image!r} would share the resource "
                             f"name {key!r}; rename one of them")
        seen[key] = image
        keys[image] = key
    return keys


def lifecycle_policy(untagged_expiry_days: int, keep_tagged_images: int) -> str:
    """Pure: the ECR lifecycle policy JSON. Rule 1 expires untagged images (build leftovers,
    superseded layers) N days after push; rule 2 keeps only the newest N tagged images."""
    return json.dumps({
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images {untagged_expiry_days} days after push",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_expiry_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep only the last {keep_tagged_images} tagged images",
                "selection": {
                    # "tagged" needs a pattern; "*" matches every tag.
                    "tagStatus": "tagged",
                    "tagPatternList": ["*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_tagged_images,
                },
                "action": {"type": "expire"},
            },
        ],
    })


def push_policy(principals: Sequence[str]) -> str:
    """Pure: the repository policy letting exactly ``principals`` push images."""
    if not principals:
        raise ValueError("a push policy needs at least one principal")
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowPush",
            "Effect": "Allow",
            "Principal": {"AWS": list(principals)},
            "Action": list(PUSH_ACTIONS),
        }],
    })


class Registry(pulumi.ComponentResource):
    repository_urls: pulumi.Output[dict[str, str]]
    kms_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)

        # The account administers the key; ECR uses it through grants it creates with the
        # permissions of whoever creates a repository (IAM decides).
        caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts the {args.name_prefix} ECR repositories",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=caller.account_id.apply(iam.key_policy),
            tags=self._tags(f"{args.name_prefix}-ecr"),
            # losing this key makes every image in the registry unreadable
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(f"{name}-key-alias", name=f"alias/{args.name_prefix}-ecr",
                      target_key_id=self.key.key_id, opts=self._child)

        self.repositories: dict[str, aws.ecr.Repository] = {}
        for image, key in image_keys(args.images).items():
            self.repositories[image] = self._create_repository(image, key)

        self.kms_key_arn = self.key.arn
        self.repository_urls = pulumi.Output.all(
            **{image: repo.repository_url for image, repo in self.repositories.items()})
        self.register_outputs({
            "repositoryUrls": self.repository_urls,
            "kmsKeyArn": self.kms_key_arn,
        })

    # -- helpers --------------------------------------------------------------------------

    def _tags(self, name: str) -> dict[str, str]:
        return {**self._args.tags, "Name": name}

    def _create_repository(self, image: str, key: str) -> aws.ecr.Repository:
        args = self._args
        repo = aws.ecr.Repository(
            f"{self._name}-{key}",
            name=image,
            image_tag_mutability="IMMUTABLE" if args.immutable_tags else "MUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": self.key.arn}],
            tags=self._tags(image),
            opts=self._child,
        )
        aws.ecr.LifecyclePolicy(
            f"{self._name}-{key}-lifecycle", repository=repo.name,
            policy=lifecycle_policy(args.untagged_expiry_days, args.keep_tagged_images),
            opts=self._child)
        # No push principals: the account's own IAM policies alone decide who may push.
        if args.push_principals:
            aws.ecr.RepositoryPolicy(
                f"{self._name}-{key}-push", repository=repo.name,
                policy=push_policy(args.push_principals), opts=self._child)
        return repo
