"""The ECR registry each stack's plan creates: repositories, encryption, lifecycle, push access."""

import json

import pytest

from components.registry import (
    PUSH_ACTIONS,
    Registry,
    RegistryArgs,
    image_key,
    image_keys,
    lifecycle_policy,
    push_policy,
)
from compose import platform
from shipyard.config.defaults import environment_defaults
from tests.support.plans import run_component
from tests.support.settings import stack_settings

REPO = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REPO_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
KEY = "aws:kms/key:Key"
REGISTRY = "shipyard:registry:Registry"
CI_ROLE = "arn:aws:iam::123456789012:role/ci-push"


def registry_only(settings):
    """The Registry component alone, as the program builds it, with its repositories' URLs."""
    registry = Registry("registry", platform.registry_args(settings))
    return {"repositoryUrls": registry.repository_urls}


def registry_settings(stack):
    return stack_settings(stack).registry


def children(plan, type_):
    (registry,) = plan.of_type(REGISTRY)
    return [r for r in plan.of_type(type_) if r.parent == registry.urn]


def registry_key(plan):
    (key,) = children(plan, KEY)
    return key


# -- pure policy builders (no mocks) ------------------------------------------------------------


def test_lifecycle_policy_expires_untagged_then_keeps_the_last_n_tagged():
    rules = sorted(json.loads(lifecycle_policy(3, 25))["rules"], key=lambda r: r["rulePriority"])
    untagged, tagged = rules
    assert untagged["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                     "countUnit": "days", "countNumber": 3}
    assert tagged["selection"]["tagStatus"] == "tagged"
    assert tagged["selection"]["tagPatternList"] == ["*"]  # "tagged" needs a pattern: every tag
    assert tagged["selection"]["countType"] == "imageCountMoreThan"
    assert tagged["selection"]["countNumber"] == 25
    assert all(r["action"] == {"type": "expire"} for r in rules)
    assert len({r["rulePriority"] for r in rules}) == len(rules)


def test_lifecycle_policy_any_rule_if_present_comes_last():
    rules = json.loads(lifecycle_policy(1, 10))["rules"]
    top = max(r["rulePriority"] for r in rules)
    assert all(r["rulePriority"] == top for r in rules if r["selection"]["tagStatus"] == "any")
    # "untagged" rules carry no tag lists (ECR rejects them)
    for r in rules:
        if r["selection"]["tagStatus"] == "untagged":
            assert not {"tagPatternList", "tagPrefixList"} & set(r["selection"])


def test_push_policy_allows_only_push_actions_to_the_listed_principals():
    other = "arn:aws:iam::123456789012:role/release"
    (statement,) = json.loads(push_policy([CI_ROLE, other]))["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": [CI_ROLE, other]}
    assert set(statement["Action"]) == {
        "ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload", "ecr:BatchCheckLayerAvailability"}
    assert not any("*" in a or "Delete" in a for a in statement["Action"])


def test_push_policy_refuses_an_empty_principal_list():
    with pytest.raises(ValueError):
        push_policy([])


def test_image_keys_are_stable_names_and_collisions_are_refused():
    assert image_key("sre-platform/api") == "sre-platform-api"
    assert image_keys(["a/b", "c"]) == {"a/b": "a-b", "c": "c"}
    with pytest.raises(ValueError, match="share the resource name"):
        image_keys(["team/a-b", "team-a/b"])
    with pytest.raises(ValueError):
        RegistryArgs(images=("team/a-b", "team-a/b"), name_prefix="p")


# -- the plans ----------------------------------------------------------------------------------


def test_one_repository_per_hosted_applications_image(stack_plan):
    """The catalogs of the applications a stack hosts name its images (issue 5)."""
    settings = stack_settings(stack_plan.stack)
    images = settings.images
    assert images == [svc.image for app in settings.applications
                      for svc in app.services.values()]
    assert len(images) == 22  # the five seeds' services
    repos = children(stack_plan, REPO)
    assert sorted(r.inputs["name"] for r in repos) == sorted(images)
    # children are named from the image, never by position
    assert sorted(r.name for r in repos) == sorted(f"registry-{i.replace('/', '-')}"
                                                   for i in images)


def test_every_repository_scans_on_push(stack_plan):
    for repo in children(stack_plan, REPO):
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}, repo.name


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_tag_mutability_follows_the_environment(plans, stack):
    immutable = environment_defaults(stack)["registry"].get("immutableTags", True)
    assert registry_settings(stack).immutable_tags is immutable
    expected = "IMMUTABLE" if immutable else "MUTABLE"
    assert {r.inputs["imageTagMutability"] for r in children(plans[stack], REPO)} == {expected}


def test_staging_and_prod_tags_are_immutable_dev_mutable(dev, staging, prod):
    assert {r.inputs["imageTagMutability"] for r in children(dev, REPO)} == {"MUTABLE"}
    for plan in (staging, prod):
        assert {r.inputs["imageTagMutability"] for r in children(plan, REPO)} == {"IMMUTABLE"}


def test_repositories_are_encrypted_with_the_rotating_registry_key(stack_plan):
    key = registry_key(stack_plan)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    for repo in children(stack_plan, REPO):
        assert repo.inputs["encryptionConfigurations"] == [
            {"encryptionType": "KMS", "kmsKey": key.outputs["arn"]}], repo.name
        assert key.urn in repo.dependencies


def test_the_registry_key_has_an_alias(stack_plan):
    key = registry_key(stack_plan)
    aliases = [a for a in children(stack_plan, "aws:kms/alias:Alias")
               if a.inputs["targetKeyId"] == key.outputs["keyId"]]
    assert [a.inputs["name"] for a in aliases] == [f"alias/shipyard-{stack_plan.stack}-ecr"]


def test_every_repository_has_the_lifecycle_rules_with_the_settings_numbers(stack_plan):
    reg = registry_settings(stack_plan.stack)
    policies = {p.inputs["repository"]: json.loads(p.inputs["policy"])
                for p in children(stack_plan, LIFECYCLE)}
    assert set(policies) == set(stack_settings(stack_plan.stack).images)
    for policy in policies.values():
        by_status = {r["selection"]["tagStatus"]: r["selection"] for r in policy["rules"]}
        assert by_status["untagged"]["countType"] == "sinceImagePushed"
        assert by_status["untagged"]["countNumber"] == reg.untagged_expiry_days
        assert by_status["tagged"]["countType"] == "imageCountMoreThan"
        assert by_status["tagged"]["countNumber"] == reg.keep_tagged_images


def test_environments_keep_different_numbers_of_images(dev, prod):
    def kept(plan):
        policy = json.loads(children(plan, LIFECYCLE)[0].inputs["policy"])
        return next(r["selection"]["countNumber"] for r in policy["rules"]
                    if r["selection"]["tagStatus"] == "tagged")
    assert kept(dev) < kept(prod)


def test_no_repository_policy_without_push_principals(stack_plan):
    assert registry_settings(stack_plan.stack).push_principals == []
    assert children(stack_plan, REPO_POLICY) == []


def test_push_principals_get_a_push_only_policy_on_every_repository():
    extra = ["team/api", "team/web"]
    plan = run_component("prod", registry_only, hosting=("mentorplatform",), overrides={
        "shipyard:registry": {"images": extra, "pushPrincipals": [CI_ROLE]}})
    repos = {r.inputs["name"]: r for r in children(plan, REPO)}
    # configured images come on top of the hosted applications'
    [mentor] = [a for a in stack_settings("prod").applications if a.name == "mentorplatform"]
    images = sorted(mentor.images() + extra)
    assert sorted(repos) == images
    policies = children(plan, REPO_POLICY)
    assert sorted(p.inputs["repository"] for p in policies) == images
    for p in policies:
        (statement,) = json.loads(p.inputs["policy"])["Statement"]
        assert statement["Principal"] == {"AWS": [CI_ROLE]}
        assert sorted(statement["Action"]) == sorted(PUSH_ACTIONS)
        assert repos[p.inputs["repository"]].urn in p.dependencies
    assert sorted(plan.outputs["repositoryUrls"]) == images


def test_repository_urls_are_exported_per_image(stack_plan):
    urls = stack_plan.outputs["repositoryUrls"]
    assert set(urls) == set(stack_settings(stack_plan.stack).images)
    for image, url in urls.items():
        assert url == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{image}"


def test_repositories_carry_the_base_tags(stack_plan):
    for repo in children(stack_plan, REPO):
        assert repo.inputs["tags"]["environment"] == stack_plan.stack
        assert repo.inputs["tags"]["managed-by"] == "pulumi"
        assert repo.inputs["tags"]["Name"] == repo.inputs["name"]
