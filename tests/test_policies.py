"""The policy pack (policies/), offline: every policy's validate function over every resource
of the three stacks' plans, one deliberately broken resource per policy, and the SDK's own
analyzer path for secrets. ``PolicyPack`` is never constructed (it starts a gRPC server).

The pack's modules are imported by their top-level names, as the analyzer imports them
(``pythonpath`` has ``policies/``). Which environment a resource is in comes from the stack's
config as the engine passes it to the analyzer (``PULUMI_CONFIG``): ``engine_config`` builds it
from ``Pulumi.<stack>.yaml`` for the plans, ``check(..., environment=...)`` for synthetic ones."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import policy_environment
import policy_values
import pytest
import shipyard_policies as sp
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from offline.harness import SECRET, UNKNOWN, Plan, ResourceRecord
from tests.support.settings import stack_settings

POLICIES = {p.name: p for p in sp.ALL}
STACKS = ("dev", "staging", "prod")
ROOT = Path(__file__).resolve().parent.parent


def engine_config(stack: str) -> dict[str, str]:
    """The stack's config as the engine hands it to the analyzer: ``namespace:key`` -> the value
    as a string (objects as JSON). Secure values are left out (the engine would decrypt them)."""
    raw = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()).get("config") or {}
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()
            if not (isinstance(v, dict) and "secure" in v)}


@contextmanager
def stack_config(config: dict[str, str]) -> Iterator[None]:
    """Run policies as the analyzer of a stack with this config would."""
    with mock.patch.dict(os.environ, {"PULUMI_CONFIG": json.dumps(config)}):
        yield


def environment_config(environment: str | None) -> dict[str, str]:
    return {} if environment is None else {"shipyard:environment": environment}

# ---------------------------------------------------------------------------------------------
# Adapter: a captured ResourceRecord -> the args the analyzer would build for it


def engine_value(value: Any) -> Any:
    """Plan inputs -> props as the analyzer hands them over (with keep_secrets_marked):
    secrets as ``Secret``, unknowns as the SDK's sentinel."""
    if value == SECRET:
        return Secret(SECRET)
    if value == UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {k: engine_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [engine_value(v) for v in value]
    return value


def options(record: ResourceRecord) -> PolicyResourceOptions:
    o = record.options
    return PolicyResourceOptions(
        protect=bool(o.get("protect")), ignore_changes=list(o.get("ignoreChanges", [])),
        delete_before_replace=o.get("deleteBeforeReplace"), aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=list(o.get("additionalSecretOutputs", [])),
        parent=record.parent)


def resource_args(record: ResourceRecord) -> ResourceValidationArgs:
    return ResourceValidationArgs(record.type, unknown_checking_proxy(engine_value(record.inputs)),
                                  record.urn, record.name, options(record), None)


def stack_args(records: list[ResourceRecord]) -> StackValidationArgs:
    resources = {r.urn: PolicyResource(r.type, unknown_checking_proxy(engine_value(r.inputs)),
                                       r.urn, r.name, options(r), None, None, [], {})
                 for r in records}
    for r in records:
        res = resources[r.urn]
        res.parent = resources.get(r.parent or "")
        res.dependencies = [resources[u] for u in r.dependencies if u in resources]
        res.property_dependencies = {k: [resources[u] for u in urns if u in resources]
                                     for k, urns in r.property_dependencies.items()}
    return StackValidationArgs(list(resources.values()))


_CONVERTED: dict[int, tuple[Any, Any]] = {}


def _converted(key: Any, convert: Any) -> Any:
    """A plan's records converted once for all the policies that read them (the session plans
    are shared; the object is kept beside its conversion, so an id is never reused)."""
    hit = _CONVERTED.get(id(key))
    if hit is None or hit[0] is not key:
        hit = _CONVERTED[id(key)] = (key, convert(key))
    return hit[1]


def violations(policy: Any, records: list[ResourceRecord]) -> list[tuple[str, str]]:
    """(urn, message) for every violation ``policy`` reports on ``records``."""
    found: list[tuple[str, str]] = []
    if isinstance(policy, StackValidationPolicy):
        policy.validate(_converted(records, stack_args),
                        lambda msg, urn=None: found.append((urn or "", msg)))
    else:
        for r in records:
            policy.validate(_converted(r, resource_args),
                            lambda msg, urn=None, r=r: found.append((urn or r.urn, msg)))
    return found


def record(type_: str, inputs: dict[str, Any], *, stack: str = "prod", name: str = "broken",
           protect: bool = False, property_dependencies: dict[str, list[str]] | None = None
           ) -> ResourceRecord:
    """A synthetic resource, the way the harness would have captured it."""
    deps = property_dependencies or {}
    return ResourceRecord(
        type=type_, name=name, urn=f"urn:pulumi:{stack}::shipyard::{type_}::{name}", parent=None,
        custom=True, inputs=inputs, dependencies=sorted({u for v in deps.values() for u in v}),
        property_dependencies=deps, provider=None,
        options={"protect": protect, "retainOnDelete": False, "ignoreChanges": [],
                 "deleteBeforeReplace": False})


def check(name: str, *records: ResourceRecord, environment: str | None = "prod") -> list[str]:
    """The violations ``name`` reports on ``records`` in a stack whose ``shipyard:environment`` is
    ``environment`` (``None``: the config does not set it)."""
    with stack_config(environment_config(environment)):
        return [msg for _, msg in violations(POLICIES[name], list(records))]


# ---------------------------------------------------------------------------------------------
# The pack itself


def validator(policy: Any) -> Any:
    return next(v for k, v in vars(policy).items() if k.endswith("__validate"))


def test_each_policy_is_a_module_level_validate_function() -> None:
    assert len(POLICIES) == len(sp.ALL) == 18
    module_validators = {v for k, v in vars(sp).items() if k.startswith("validate_")}
    assert {validator(p) for p in sp.ALL} == module_validators
    for policy in sp.ALL:
        assert isinstance(policy, ResourceValidationPolicy | StackValidationPolicy)
        assert policy.description.endswith(".")


def test_main_builds_one_mandatory_pack_of_all_policies_with_secrets_kept() -> None:
    text = (Path(sp.__file__).parent / "__main__.py").read_text()
    assert text.index("keep_secrets_marked()") < text.index("PolicyPack(")
    assert 'PolicyPack(name="shipyard", enforcement_level=EnforcementLevel.MANDATORY, ' \
           'policies=ALL)' in text


# ---------------------------------------------------------------------------------------------
# Today's three stacks pass every policy (prod data protection: known gap, see below)



@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", [n for n in POLICIES if n != "prod-data-protected"])
def test_every_stack_passes(name: str, stack: str, plans: dict[str, Plan]) -> None:
    plan = plans[stack]
    with stack_config(engine_config(stack)):
        assert violations(POLICIES[name], plan.resources) == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_prod_data_is_protected(stack: str, plans: dict[str, Plan]) -> None:
    with stack_config(engine_config(stack)):
        assert violations(POLICIES["prod-data-protected"], plans[stack].resources) == []


def test_the_stack_files_name_their_environment() -> None:
    """What the policies read: each stack's config says its environment."""
    for stack in STACKS:
        assert engine_config(stack)["shipyard:environment"] == stack


def test_prods_rules_apply_to_the_prod_plan_and_not_to_dev(prod: Plan, dev: Plan) -> None:
    """The plans pass prod-data-protected because prod's stores are protected, not because the
    policy found no prod: unprotect them and it refuses every one in prod, none in dev."""
    def unprotected(plan: Plan) -> list[ResourceRecord]:
        return [replace(r, options={**r.options, "protect": False})
                for r in plan.resources if r.type in sp.DATA_STORES]

    with stack_config(engine_config("prod")):
        records = unprotected(prod)
        assert records
        assert len(violations(POLICIES["prod-data-protected"], records)) == len(records)
    with stack_config(engine_config("dev")):
        assert violations(POLICIES["prod-data-protected"], unprotected(dev)) == []


def test_prod_kms_keys_are_protected_and_dev_ones_are_not(prod: Plan, dev: Plan) -> None:
    """The policy passes prod because the keys are protected there (shipyard:protect), not
    because it looks at nothing; dev keeps them deletable."""
    from shipyard.rules.stores import shares_store

    # a tenant's own key where it has a store of its own (sre-platform's bucket, the Valkey
    # stores whose clients do not prefix their keys); the shared stores' key
    settings = stack_settings("prod")
    tenants = {a.name for a in settings.applications
               if any(s.kind == "objectStorage" or
                      not shares_store(a, s, settings.config.stores)
                      for s in a.stores.values())}
    assert tenants == {"sre-platform", "code-learn", "learning-platform"}
    assert {r.name for r in prod.of_type("aws:kms/key:Key") if r.options["protect"]} == {
        "cluster-secrets-key", "registry-key", "addons-velero-key", "logs-key", "stores-key",
        *(f"apps-{t}-stores-key" for t in tenants)}
    assert not [r for r in dev.of_type("aws:kms/key:Key") if r.options["protect"]]


def test_the_plans_exercise_the_resource_policies(prod: Plan, staging: Plan, dev: Plan) -> None:
    """The stacks really contain what the policies look at (else passing means nothing)."""
    for plan, types in ((prod, ["aws:eks/cluster:Cluster", "aws:ec2/launchTemplate:LaunchTemplate",
                                "aws:ecr/repository:Repository", "aws:eks/nodeGroup:NodeGroup",
                                "kubernetes:storage.k8s.io/v1:StorageClass", "aws:sqs/queue:Queue",
                                "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
                                "aws:rds/instance:Instance", "aws:docdb/cluster:Cluster"]),
                        (staging, ["aws:ecr/repository:Repository"]),
                        (dev, ["aws:ec2/instance:Instance"])):
        for t in types:
            assert plan.of_type(t), t


# ---------------------------------------------------------------------------------------------
# Each policy catches a deliberately broken resource

EKS = "aws:eks/cluster:Cluster"
ENCRYPTED_EKS = {"encryptionConfig": {"provider": {"keyArn": "arn:aws:kms:k"},
                                      "resources": ["secrets"]}}


@pytest.mark.parametrize("vpc,environment,expected", [
    ({"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}, "prod", 1),
    ({"endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8", "::/0"]}, "prod", 1),
    ({"endpointPublicAccess": True}, "prod", 1),  # AWS opens it to 0.0.0.0/0
    ({}, "prod", 1),  # and the public endpoint is on by default
    ({"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}, "prod", 0),
    ({"endpointPublicAccess": False}, "prod", 0),
    ({"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}, "dev", 0),
    ({"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}, "staging", 0),
])
def test_eks_endpoint(vpc: dict[str, Any], environment: str, expected: int) -> None:
    cluster = record(EKS, {**ENCRYPTED_EKS, "vpcConfig": vpc})
    assert len(check("eks-endpoint-not-open-in-prod", cluster,
                     environment=environment)) == expected


@pytest.mark.parametrize("type_,inputs", [
    (EKS, {"vpcConfig": {}}),
    (EKS, {"encryptionConfig": {"resources": ["secrets"]}}),
    ("aws:ecr/repository:Repository", {"encryptionConfigurations": [{"encryptionType": "AES256"}]}),
    ("aws:ecr/repository:Repository", {}),
    ("aws:ec2/launchTemplate:LaunchTemplate", {"blockDeviceMappings": [
        {"deviceName": "/dev/xvda", "ebs": {"encrypted": "false", "volumeSize": 50}}]}),
    ("aws:ec2/launchTemplate:LaunchTemplate", {}),
    ("aws:ec2/instance:Instance", {"instanceType": "t4g.nano"}),
    ("aws:ec2/instance:Instance", {"rootBlockDevice": {"volumeSize": 8}}),
    ("aws:ec2/instance:Instance", {"launchTemplate": {"id": "lt-1"},
                                   "ebsBlockDevices": [{"deviceName": "/dev/sdf"}]}),
    ("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", {"spec": {"blockDeviceMappings": [
        {"deviceName": "/dev/xvda", "ebs": {"volumeSize": "50Gi"}}]}}),
    ("kubernetes:storage.k8s.io/v1:StorageClass",
     {"provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}}),
    ("kubernetes:storage.k8s.io/v1:StorageClass",   # EKS Auto Mode's block storage
     {"provisioner": "ebs.csi.eks.amazonaws.com", "parameters": {"type": "gp3"}}),
    ("aws:rds/instance:Instance", {"engine": "postgres"}),
    ("aws:rds/cluster:Cluster", {"engine": "aurora-postgresql", "storageEncrypted": False}),
    ("aws:elasticache/replicationGroup:ReplicationGroup", {"engine": "valkey"}),
    ("aws:elasticache/cluster:Cluster", {"engine": "redis"}),
    ("aws:docdb/cluster:Cluster", {}),
    ("aws:ebs/volume:Volume", {"size": 10}),
    ("aws:efs/fileSystem:FileSystem", {}),
    ("aws:sqs/queue:Queue", {"sqsManagedSseEnabled": False}),
])
def test_unencrypted_data_is_refused(type_: str, inputs: dict[str, Any]) -> None:
    assert len(check("encryption-at-rest", record(type_, inputs))) == 1


@pytest.mark.parametrize("type_,inputs", [
    ("aws:rds/instance:Instance", {"storageEncrypted": True}),
    ("aws:rds/instance:Instance", {"replicateSourceDb": "arn:db", "kmsKeyId": "arn:kms"}),
    ("aws:elasticache/replicationGroup:ReplicationGroup", {"atRestEncryptionEnabled": True}),
    ("aws:elasticache/cluster:Cluster", {"engine": "memcached"}),
    ("aws:docdb/cluster:Cluster", {"storageEncrypted": True}),
    ("aws:sqs/queue:Queue", {}),
    ("kubernetes:storage.k8s.io/v1:StorageClass", {"provisioner": "efs.csi.aws.com"}),
    ("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", {"spec": {}}),
    ("aws:ec2/instance:Instance", {"rootBlockDevice": {"encrypted": True}}),
    ("aws:ec2/instance:Instance", {"launchTemplate": {"id": "lt-1"}}),  # the template's check
])
def test_encrypted_or_not_applicable_passes(type_: str, inputs: dict[str, Any]) -> None:
    assert check("encryption-at-rest", record(type_, inputs)) == []


BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def test_s3_bucket_without_encryption_is_refused() -> None:
    logs = record(BUCKET, {"bucket": "logs"}, name="logs")
    assert len(check("s3-server-side-encryption", logs)) == 1
    # configured through a dependency on the bucket, or by the bucket's name
    by_dep = record(SSE, {"bucket": "[unknown]"}, name="logs-sse",
                    property_dependencies={"bucket": [logs.urn]})
    assert check("s3-server-side-encryption", logs, by_dep) == []
    by_name = record(SSE, {"bucket": "logs"}, name="logs-sse")
    assert check("s3-server-side-encryption", logs, by_name) == []
    other = record(BUCKET, {"bucket": "other"}, name="other")
    assert len(check("s3-server-side-encryption", logs, other, by_name)) == 1


LT = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"


@pytest.mark.parametrize("type_,inputs,expected", [
    (LT, {"metadataOptions": {"httpTokens": "optional"}}, 1),
    (LT, {}, 1),
    (LT, {"metadataOptions": {"httpTokens": "required"}}, 0),
    ("aws:ec2/instance:Instance", {"metadataOptions": {"httpTokens": "optional"}}, 1),
    (NODE_CLASS, {"spec": {"metadataOptions": {"httpTokens": "optional"}}}, 1),
    (NODE_CLASS, {"spec": {}}, 0),  # Karpenter's default is required
    ("aws:eks/nodeGroup:NodeGroup", {"nodeGroupName": "general"}, 1),
    ("aws:eks/nodeGroup:NodeGroup", {"launchTemplate": {"id": "lt-1", "version": "1"}}, 0),
])
def test_imdsv2(type_: str, inputs: dict[str, Any], expected: int) -> None:
    assert len(check("imdsv2-required", record(type_, inputs))) == expected


ECR = "aws:ecr/repository:Repository"


def test_ecr_repository_without_scan_on_push_is_refused() -> None:
    assert len(check("ecr-scan-on-push", record(ECR, {}))) == 1
    assert len(check("ecr-scan-on-push", record(
        ECR, {"imageScanningConfiguration": {"scanOnPush": False}}))) == 1
    assert check("ecr-scan-on-push", record(
        ECR, {"imageScanningConfiguration": {"scanOnPush": True}}), environment="dev") == []


@pytest.mark.parametrize("environment,mutability,expected", [
    ("prod", "MUTABLE", 1), ("staging", "MUTABLE", 1), ("prod", None, 1),
    ("staging", "IMMUTABLE_WITH_EXCLUSION", 1), ("prod", "IMMUTABLE", 0),
    ("dev", "MUTABLE", 0),  # dev overwrites tags by design
])
def test_ecr_immutable_tags_outside_dev(environment: str, mutability: str | None,
                                        expected: int) -> None:
    inputs = {} if mutability is None else {"imageTagMutability": mutability}
    assert len(check("ecr-immutable-tags", record(ECR, inputs),
                     environment=environment)) == expected


DEPLOYMENT = "kubernetes:apps/v1:Deployment"
GOOD_CONTAINER = {
    "name": "app", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.4.2",
    "startupProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                  "limits": {"cpu": "1", "memory": "256Mi"}},
}


def deployment(name: str = "app", namespace: str = "team", labels: dict[str, str] | None = None,
               **container: Any) -> ResourceRecord:
    labels = labels or {"app": name}
    return record(DEPLOYMENT, {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{**GOOD_CONTAINER, **container}]}}}}, name=name)


@pytest.mark.parametrize("type_,inputs", [
    (DEPLOYMENT, deployment(image="app:latest").inputs),
    (DEPLOYMENT, deployment(image="ghcr.io/team/app").inputs),
    (DEPLOYMENT, deployment(image="registry.local:5000/app").inputs),
    ("kubernetes:core/v1:Pod", {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}),
    ("kubernetes:batch/v1:CronJob", {"spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "app:1.0"}],
        "initContainers": [{"name": "init", "image": "migrate:latest"}]}}}}}}),
    ("kubernetes:apps/v1:StatefulSet", {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "db:latest"}]}}}}),
])
def test_latest_or_untagged_images_are_refused(type_: str, inputs: dict[str, Any]) -> None:
    assert len(check("no-latest-images", record(type_, inputs))) == 1


def test_pinned_images_pass() -> None:
    for image in ("app:1.2.3", "registry.local:5000/app:1.0",
                  "app@sha256:" + "a" * 64, "app:1.0@sha256:" + "b" * 64):
        assert check("no-latest-images", deployment(image=image)) == [], image


def test_deployment_without_probes_or_limits_is_refused() -> None:
    assert check("deployment-probes-and-limits", deployment()) == []
    bare = {k: v for k, v in GOOD_CONTAINER.items() if k not in
            ("startupProbe", "readinessProbe", "livenessProbe", "resources")}
    bad = deployment()
    bad.inputs["spec"]["template"]["spec"]["containers"] = [bare]
    [message] = check("deployment-probes-and-limits", bad)
    for what in ("startupProbe", "readinessProbe", "livenessProbe", "limits.cpu",
                 "limits.memory"):
        assert what in message
    assert len(check("deployment-probes-and-limits", deployment(
        resources={"limits": {"memory": "1Gi"}}))) == 1


PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def pdb(selector: dict[str, Any] | None, namespace: str = "team") -> ResourceRecord:
    spec: dict[str, Any] = {"minAvailable": 1}
    if selector is not None:
        spec["selector"] = selector
    return record(PDB, {"metadata": {"namespace": namespace}, "spec": spec}, name="pdb")


def netpol(pod_selector: dict[str, Any], namespace: str = "team") -> ResourceRecord:
    return record(NETPOL, {"metadata": {"namespace": namespace},
                           "spec": {"podSelector": pod_selector, "policyTypes": ["Ingress"]}},
                  name="netpol")


def test_deployment_without_pdb_is_refused() -> None:
    app = deployment()
    assert len(check("deployment-has-pdb", app)) == 1
    assert check("deployment-has-pdb", app, pdb({"matchLabels": {"app": "app"}})) == []
    assert check("deployment-has-pdb", app, pdb({"matchExpressions": [
        {"key": "app", "operator": "In", "values": ["app", "other"]}]})) == []
    assert check("deployment-has-pdb", app, pdb({})) == []  # policy/v1: every pod
    assert len(check("deployment-has-pdb", app, pdb(None))) == 1  # a null selector: none
    assert len(check("deployment-has-pdb", app, pdb({"matchLabels": {"app": "other"}}))) == 1
    assert len(check("deployment-has-pdb", app,
                     pdb({"matchLabels": {"app": "app"}}, namespace="elsewhere"))) == 1


def test_deployment_without_network_policy_is_refused() -> None:
    app = deployment()
    assert len(check("deployment-has-network-policy", app)) == 1
    assert check("deployment-has-network-policy", app, netpol({})) == []  # default deny
    assert check("deployment-has-network-policy", app,
                 netpol({"matchLabels": {"app": "app"}})) == []
    assert len(check("deployment-has-network-policy", app, netpol({}, namespace="other"))) == 1
    assert len(check("deployment-has-network-policy", app,
                     netpol({"matchLabels": {"app": "db"}}))) == 1
    # each Deployment on its own: one covered, one not
    db = deployment(name="db")
    found = violations(POLICIES["deployment-has-network-policy"],
                       [app, db, netpol({"matchLabels": {"app": "app"}})])
    assert [urn for urn, _ in found] == [db.urn]


K8S_SECRET = "kubernetes:core/v1:Secret"


@pytest.mark.parametrize("type_,inputs,expected", [
    (K8S_SECRET, {"data": {"password": "aHVudGVyMg=="}}, ["data.password"]),
    (K8S_SECRET, {"stringData": {"config.yaml": "a: b"}}, ["stringData.config.yaml"]),
    (K8S_SECRET, {"stringData": {"config.yaml": SECRET}}, []),
    (K8S_SECRET, {"data": SECRET}, []),
    ("aws:rds/instance:Instance", {"username": "app", "password": "hunter2"}, ["password"]),
    ("aws:rds/instance:Instance", {"username": "app", "password": SECRET}, []),
    ("aws:elasticache/replicationGroup:ReplicationGroup", {"authToken": "t0ken"}, ["authToken"]),
    ("kubernetes:helm.sh/v3:Release", {"values": {"auth": {"postgresPassword": "pw"}}},
     ["values.auth.postgresPassword"]),
    ("kubernetes:helm.sh/v3:Release", {"values": {"apiKey": "k", "extra": [{"token": "t"}]}},
     ["values.apiKey", "values.extra.0.token"]),
    ("pulumi:providers:kubernetes", {"kubeconfig": "apiVersion: v1\nkind: Config"},
     ["kubeconfig"]),
    # references to secrets, flags and free-form maps are not secrets
    ("kubernetes:cert-manager.io/v1:ClusterIssuer",
     {"spec": {"acme": {"privateKeySecretRef": {"name": "account-key"}}}}, []),
    (LT, {"metadataOptions": {"httpTokens": "required"}}, []),
    ("kubernetes:core/v1:ServiceAccount", {"automountServiceAccountToken": False,
                                           "metadata": {"annotations": {"secret": "x"}}}, []),
    ("aws:rds/instance:Instance", {"manageMasterUserPassword": True,
                                   "masterUserSecretKmsKeyId": "arn:kms"}, []),
])
def test_plaintext_secrets_are_refused(type_: str, inputs: dict[str, Any],
                                       expected: list[str]) -> None:
    found = check("no-plaintext-secrets", record(type_, inputs))
    assert [m.split(" ", 1)[0] for m in found] == expected


@pytest.mark.parametrize("type_,environment,protect,expected", [
    ("aws:kms/key:Key", "prod", False, 1),
    ("aws:kms/key:Key", "prod", True, 0),
    ("aws:kms/key:Key", "dev", False, 0),
    ("aws:rds/instance:Instance", "prod", False, 1),
    ("aws:s3/bucket:Bucket", "prod", False, 1),
    ("kubernetes:core/v1:PersistentVolumeClaim", "prod", False, 1),
    ("kubernetes:core/v1:PersistentVolumeClaim", "staging", False, 0),
    ("aws:ecr/lifecyclePolicy:LifecyclePolicy", "prod", False, 0),
])
def test_prod_data_must_be_protected(type_: str, environment: str, protect: bool,
                                     expected: int) -> None:
    found = check("prod-data-protected", record(type_, {}, protect=protect),
                  environment=environment)
    assert len(found) == expected


# ---------------------------------------------------------------------------------------------
# prod is the environment (shipyard:environment, or the environment tag), never the stack name

KMS = "aws:kms/key:Key"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"


@pytest.mark.parametrize("type_", [KMS, PVC])
def test_a_prod_stack_not_named_prod_gets_the_prod_rules(type_: str) -> None:
    """Stack ``prod-eu`` with ``shipyard:environment: prod`` (an AWS resource and a Kubernetes
    one, which carries no environment tag): prod's rules apply."""
    key = record(type_, {}, stack="prod-eu")
    assert len(check("prod-data-protected", key, environment="prod")) == 1
    cluster = record(EKS, {**ENCRYPTED_EKS, "vpcConfig": {}}, stack="prod-eu")
    assert len(check("eks-endpoint-not-open-in-prod", cluster, environment="prod")) == 1
    repo = record(ECR, {"imageTagMutability": "MUTABLE"}, stack="prod-eu")
    assert len(check("ecr-immutable-tags", repo, environment="prod")) == 1


@pytest.mark.parametrize("type_", [KMS, PVC])
def test_a_stack_named_prod_in_staging_does_not_get_the_prod_rules(type_: str) -> None:
    key = record(type_, {}, stack="prod")
    assert check("prod-data-protected", key, environment="staging") == []
    cluster = record(EKS, {**ENCRYPTED_EKS, "vpcConfig": {}}, stack="prod")
    assert check("eks-endpoint-not-open-in-prod", cluster, environment="staging") == []
    # staging keeps its own rule: immutable tags
    repo = record(ECR, {"imageTagMutability": "MUTABLE"}, stack="prod")
    assert len(check("ecr-immutable-tags", repo, environment="staging")) == 1
    assert check("ecr-immutable-tags", repo, environment="dev") == []


def test_without_the_config_the_environment_tag_decides() -> None:
    """A stack whose config leaves shipyard:environment out: the program took the environment
    from the stack name and tagged every AWS resource with it; the policies read the tag."""
    tagged = {"tags": {"environment": "dev", "stack": "prod"}}
    assert check("prod-data-protected", record(KMS, tagged, stack="prod"),
                 environment=None) == []
    tagged = {"tags": {"environment": "prod"}}
    assert len(check("prod-data-protected", record(KMS, tagged, stack="dev"),
                     environment=None)) == 1
    # the config wins over a tag (the program writes the tag from it)
    assert check("prod-data-protected", record(KMS, tagged), environment="staging") == []


def test_an_unknown_environment_gets_the_prod_rules_and_says_why() -> None:
    """No shipyard:environment and no environment tag (a Kubernetes resource in such a stack):
    the policy applies prod's rules rather than let it off, and names what to set."""
    [message] = check("prod-data-protected", record(PVC, {}, stack="dev"), environment=None)
    assert "the environment is unknown" in message and "set shipyard:environment" in message
    assert check("prod-data-protected", record(PVC, {}, protect=True), environment=None) == []


def test_the_environment_comes_from_the_analyzers_stack_config() -> None:
    with stack_config({"shipyard:environment": "prod", "aws:region": "eu-west-1"}):
        assert policy_environment.environment_of({}) == "prod"
    with stack_config({"aws:region": "eu-west-1"}):
        assert policy_environment.environment_of({}) is None
        assert policy_environment.environment_of({"tags": {"environment": "staging"}}) == \
            "staging"
    with mock.patch.dict(os.environ, {"PULUMI_CONFIG": "not json"}):
        assert policy_environment.environment_of({}) is None


def test_a_value_unknown_in_preview_is_not_judged() -> None:
    """Reading an unknown raises the SDK's UnknownValueError (it reports "can't run during
    preview"): the policy neither passes nor fails it."""
    from pulumi_policy.proxy import UnknownValueError

    cluster = record(EKS, {"vpcConfig": {"endpointPublicAccess": True,
                                         "publicAccessCidrs": UNKNOWN}})
    with pytest.raises(UnknownValueError):
        check("eks-endpoint-not-open-in-prod", cluster)
    # the secrets walk skips unknowns instead of giving up on the whole resource
    assert check("no-plaintext-secrets", record("aws:rds/instance:Instance", {
        "password": UNKNOWN, "extra": {"token": "plain"}})) == ["extra.token is plaintext: "
                                                                "pass it as a secret "
                                                                "(pulumi.Output.secret or config "
                                                                "--secret)"]


# ---------------------------------------------------------------------------------------------
# The security review's guards (issue 17)

LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
ABORT = {"abortIncompleteMultipartUpload": {"daysAfterInitiation": 1}}


def test_a_bucket_whose_lifecycle_keeps_incomplete_uploads_is_refused() -> None:
    bucket = record(BUCKET, {"bucket": "data"}, name="data")
    assert len(check("s3-abort-incomplete-uploads", bucket)) == 1   # no lifecycle at all
    lazy = record(LIFECYCLE, {"bucket": "data", "rules": [
        {"id": "expire", "status": "Enabled", **ABORT},
        {"id": "delete-markers", "status": "Enabled"}]}, name="data-lifecycle")
    (message,) = check("s3-abort-incomplete-uploads", bucket, lazy)
    assert "delete-markers" in message and "expire" not in message
    good = record(LIFECYCLE, {"bucket": "data", "rules": [
        {"id": "expire", "status": "Enabled", **ABORT},
        {"id": "off", "status": "Disabled"}]}, name="data-lifecycle")
    assert check("s3-abort-incomplete-uploads", bucket, good) == []


def test_a_kms_key_without_its_policy_is_refused() -> None:
    assert len(check("kms-key-policy", record("aws:kms/key:Key", {}))) == 1
    assert check("kms-key-policy", record("aws:kms/key:Key", {"policy": "{}"})) == []


def test_a_log_group_without_a_kms_key_is_refused() -> None:
    group = "aws:cloudwatch/logGroup:LogGroup"
    assert len(check("log-groups-encrypted", record(group, {"name": "/x"}))) == 1
    assert check("log-groups-encrypted", record(group, {"name": "/x",
                                                        "kmsKeyId": "arn:aws:kms:k"})) == []


@pytest.mark.parametrize("type_,inputs,environment,expected", [
    ("aws:rds/instance:Instance", {"enabledCloudwatchLogsExports": ["postgresql"]}, "prod",
     "without Performance Insights"),
    ("aws:rds/instance:Instance", {"performanceInsightsEnabled": True,
                                   "enabledCloudwatchLogsExports": ["postgresql"]}, "prod",
     "not encrypted with a customer key"),
    ("aws:rds/instance:Instance", {"performanceInsightsEnabled": True,
                                   "performanceInsightsKmsKeyId": "arn:aws:kms:k"}, "prod",
     "exports no logs"),
    ("aws:docdb/cluster:Cluster", {"enabledCloudwatchLogsExports": ["profiler"]}, "prod",
     "audit log"),
    ("aws:rds/instance:Instance", {"performanceInsightsEnabled": True,
                                   "performanceInsightsKmsKeyId": "arn:aws:kms:k",
                                   "enabledCloudwatchLogsExports": ["error"]}, "prod", None),
    ("aws:docdb/cluster:Cluster", {"enabledCloudwatchLogsExports": ["audit"]}, "prod", None),
    ("aws:rds/instance:Instance", {}, "staging", None),
])
def test_prod_databases_must_be_observed(type_: str, inputs: dict[str, Any], environment: str,
                                         expected: str | None) -> None:
    found = check("prod-databases-observed", record(type_, inputs), environment=environment)
    if expected is None:
        assert found == []
    else:
        (message,) = found
        assert expected in message


def trust(statement: dict[str, Any]) -> ResourceRecord:
    return record("aws:iam/role:Role", {"assumeRolePolicy": json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]})})


POD_TRUST = {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
             "Action": ["sts:AssumeRole", "sts:TagSession"]}


@pytest.mark.parametrize("statement,expected", [
    (POD_TRUST, 1),                                           # any association's pods
    ({**POD_TRUST, "Condition": {"StringEquals": {
        "aws:RequestTag/kubernetes-namespace": "ns"}}}, 1),  # any account of the namespace
    ({**POD_TRUST, "Condition": {"StringEquals": {
        "aws:RequestTag/kubernetes-namespace": "ns",
        "aws:RequestTag/kubernetes-service-account": "sa"}}}, 0),
    ({"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/x"},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {"StringEquals": {"x:aud": "sts.amazonaws.com"}}}, 1),
    ({"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/x"},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {"StringEquals": {"x:sub": "system:serviceaccount:ns:sa"}}}, 0),
    ({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
      "Action": "sts:AssumeRole"}, 0),                       # not a workload's role
])
def test_a_workload_role_must_admit_one_service_account(statement: dict[str, Any],
                                                        expected: int) -> None:
    assert len(check("workload-role-trust-scoped", trust(statement))) == expected


@pytest.mark.parametrize("actions,expected", [
    (["s3:PutObject"], 1), (["ec2:CreateTags", "ec2:DescribeVolumes"], 1),
    (["ec2:DescribeVolumes", "acm:ListCertificates", "pricing:GetProducts"], 0),
])
def test_iam_allows_only_reads_on_every_resource(actions: list[str], expected: int) -> None:
    policy = record("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"},
                      {"Effect": "Allow", "Action": ["s3:PutObject"],
                       "Resource": "arn:aws:s3:::b/*"}]})})
    assert len(check("iam-star-resources-read-only", policy)) == expected


def test_prods_eks_cluster_must_be_protected() -> None:
    cluster = record(EKS, {**ENCRYPTED_EKS, "vpcConfig": {"endpointPublicAccess": False}})
    assert len(check("prod-data-protected", cluster)) == 1
    assert check("prod-data-protected", replace(cluster, options={
        **cluster.options, "protect": True})) == []
    assert check("prod-data-protected", cluster, environment="dev") == []


# ---------------------------------------------------------------------------------------------
# Through the SDK's own analyzer (the servicer PolicyPack would serve; no server started)


def servicer() -> Any:
    return sdk._PolicyAnalyzerServicer("shipyard", "0.0.1", sp.ALL, EnforcementLevel.MANDATORY,
                                       None, None, None, None, None, None, None)


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(props, struct_pb2.Struct())


def secret(value: Any) -> dict[str, Any]:
    """A secret as the engine marshals it to the analyzer (KeepSecrets: true)."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def analyze(type_: str, props: dict[str, Any], stack: str = "prod",
            environment: str = "prod") -> list[tuple[str, str]]:
    request = proto.AnalyzeRequest(
        type=type_, urn=f"urn:pulumi:{stack}::shipyard::{type_}::r", name="r",
        properties=struct(props), options=proto.AnalyzerResourceOptions(protect=False))
    with stack_config(environment_config(environment)):
        response = servicer().Analyze(request, None)
    return [(d.policyName, d.message) for d in response.diagnostics]


KUBECONFIG = "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: abc}}]"


def test_the_sdk_alone_hands_policies_secrets_as_plaintext(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Why keep_secrets_marked exists: without it a secret kubeconfig looks plaintext."""
    from pulumi_policy.deserialize import deserialize_properties

    monkeypatch.setattr(sdk, "deserialize_properties", deserialize_properties)
    found = analyze("pulumi:providers:kubernetes", {"kubeconfig": secret(KUBECONFIG)})
    assert [name for name, _ in found] == ["no-plaintext-secrets"]


def test_with_secrets_kept_the_analyzer_tells_secret_from_plaintext(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdk, "deserialize_properties", sdk.deserialize_properties)  # restored
    policy_values.keep_secrets_marked()
    assert sdk.deserialize_properties is policy_values.deserialize_keeping_secrets
    assert analyze("pulumi:providers:kubernetes", {"kubeconfig": secret(KUBECONFIG)}) == []
    assert [n for n, _ in analyze("pulumi:providers:kubernetes", {"kubeconfig": KUBECONFIG})] == \
        ["no-plaintext-secrets"]
    assert analyze(K8S_SECRET, {"data": {"a": secret("YQ=="), "b": secret("Yg==")}}) == []
    assert analyze(K8S_SECRET, {"data": secret({"a": "YQ=="})}) == []
    [(name, message)] = analyze(K8S_SECRET, {"data": {"a": secret("YQ=="), "b": "Yg=="}})
    assert name == "no-plaintext-secrets" and "\ndata.b is plaintext" in message
    # other policies read through secrets as before
    [(name, _)] = analyze(LT, {"metadataOptions": secret({"httpTokens": "optional"}),
                               "blockDeviceMappings": [{"ebs": {"encrypted": "true"}}]})
    assert name == "imdsv2-required"
    # and a prod resource's violations arrive as mandatory diagnostics
    with stack_config({"shipyard:environment": "prod"}):
        response = servicer().Analyze(proto.AnalyzeRequest(
            type="aws:kms/key:Key", urn="urn:pulumi:prod-eu::shipyard::aws:kms/key:Key::k",
            name="k", properties=struct({"policy": "{\"Statement\": []}"}),
            options=proto.AnalyzerResourceOptions(protect=False)), None)
    [diagnostic] = response.diagnostics
    assert diagnostic.policyName == "prod-data-protected"
    assert diagnostic.enforcementLevel == proto.MANDATORY


def test_the_analyzer_judges_prod_by_the_stack_config_not_the_stack_name(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the SDK's own Analyze, with the config in PULUMI_CONFIG as the engine sets it."""
    monkeypatch.setattr(sdk, "deserialize_properties", sdk.deserialize_properties)
    policy_values.keep_secrets_marked()
    pvc = "kubernetes:core/v1:PersistentVolumeClaim"
    assert [n for n, _ in analyze(pvc, {}, stack="prod-eu", environment="prod")] == \
        ["prod-data-protected"]
    assert analyze(pvc, {}, stack="prod", environment="staging") == []


def test_stack_policies_run_through_the_analyzer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdk, "deserialize_properties", sdk.deserialize_properties)
    policy_values.keep_secrets_marked()
    app = deployment()

    def resource(r: ResourceRecord) -> Any:
        return proto.AnalyzerResource(type=r.type, urn=r.urn, name=r.name,
                                      properties=struct(r.inputs),
                                      options=proto.AnalyzerResourceOptions())

    response = servicer().AnalyzeStack(proto.AnalyzeStackRequest(resources=[
        resource(app), resource(netpol({}))]), None)
    assert [(d.policyName, d.urn) for d in response.diagnostics] == \
        [("deployment-has-pdb", app.urn)]


def test_helm_references_to_an_existing_secret_are_not_secrets() -> None:
    """Charts name the Secret holding a password (``existingSecret``) and its entries
    (``passwordKey``, ``userKey``): names, not secrets. A password beside them still is one."""
    values = {"grafana": {"admin": {"existingSecret": "grafana-admin", "userKey": "admin-user",
                                    "passwordKey": "admin-password"},
                          "adminPassword": "hunter2"}}
    found = check("no-plaintext-secrets", record("kubernetes:helm.sh/v3:Release",
                                                 {"values": values}))
    assert found == ["values.grafana.adminPassword is plaintext: pass it as a secret "
                     "(pulumi.Output.secret or config --secret)"]
