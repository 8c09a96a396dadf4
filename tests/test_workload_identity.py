"""Workload identity (issue 17): every service account that calls AWS gets its own role through
EKS Pod Identity (``shipyard:cluster.workloadIdentity: podIdentity``, the default), or through
IRSA where a stack asks for it (``irsa``), never both, and never on an existing cluster.

"Done when": prod's and dev's plans have a Pod Identity association per AWS-calling service
account and no IRSA role (no OIDC provider, no role trusting one).
"""

from __future__ import annotations

import json

import pytest

from shipyard.config.base import SettingsError
from shipyard.rules import iam
from tests.support.plans import POD_IDENTITY, run_platform
from tests.support.settings import parse

ROLE = "aws:iam/role:Role"
ADDON = "aws:eks/addon:Addon"
RELEASE = "kubernetes:helm.sh/v3:Release"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ACCOUNT_TAG = "shipyard.dev/service-account"

# Every service account that calls AWS in prod, and the chart or add-on it belongs to.
PROD_ACCOUNTS = {
    "kube-system/aws-node": "vpc-cni",
    "kube-system/ebs-csi-controller-sa": "aws-ebs-csi-driver",
    "kube-system/aws-load-balancer-controller": "aws-load-balancer-controller",
    "external-dns/external-dns": "external-dns",
    "cert-manager/cert-manager": "cert-manager",
    "kube-system/karpenter": "karpenter",
    "velero/velero": "velero",
    "logging/loki": "loki",
    "observability/tempo": "tempo",
    "sre-platform/image": None,        # an application service (seed 002's image service)
}


def roles_by_account(plan) -> dict[str, object]:
    out = {}
    for role in plan.of_type(ROLE):
        account = (role.inputs.get("tags") or {}).get(ACCOUNT_TAG)
        if account:
            namespace, name = account.split(".", 1)
            assert f"{namespace}/{name}" not in out, f"two roles for {account}"
            out[f"{namespace}/{name}"] = role
    return out


def associations(plan) -> dict[str, str]:
    """``NS/NAME`` -> role ARN: the standalone associations and the EKS add-ons' own (their
    service accounts are in kube-system)."""
    out: dict[str, str] = {}
    for a in plan.of_type(POD_IDENTITY):
        key = f"{a.inputs['namespace']}/{a.inputs['serviceAccount']}"
        assert key not in out, f"two associations for {key}"
        out[key] = a.inputs["roleArn"]
    for addon in plan.of_type(ADDON):
        for a in addon.inputs.get("podIdentityAssociations") or []:
            key = f"kube-system/{a['serviceAccount']}"
            assert key not in out, f"two associations for {key}"
            out[key] = a["roleArn"]
    return out


def trusted_account(role) -> str:
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}, role.name
    tags = statement["Condition"]["StringEquals"]
    return (f"{tags['aws:RequestTag/kubernetes-namespace']}/"
            f"{tags['aws:RequestTag/kubernetes-service-account']}")


# -- the pure trust ---------------------------------------------------------------------------


def test_the_pod_identity_trust_admits_one_service_account_of_one_cluster():
    (statement,) = json.loads(iam.pod_identity_trust("c", "ns", "sa"))["Statement"]
    assert statement == {
        "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {"aws:RequestTag/eks-cluster-name": "c",
                                       "aws:RequestTag/kubernetes-namespace": "ns",
                                       "aws:RequestTag/kubernetes-service-account": "sa"}}}


# -- prod and dev: Pod Identity everywhere ----------------------------------------------------


def test_prod_has_an_association_per_aws_calling_service_account_and_no_irsa(prod):
    roles = roles_by_account(prod)
    assert set(roles) == set(PROD_ACCOUNTS)
    bound = associations(prod)
    assert bound == {account: role.outputs["arn"] for account, role in roles.items()}
    for account, role in roles.items():
        assert trusted_account(role) == account
    # no IRSA anywhere: no OIDC provider, no role trusting one, no role annotation
    assert prod.of_type(OIDC) == []
    assert not [r for r in prod.of_type(ROLE)
                if "AssumeRoleWithWebIdentity" in r.inputs["assumeRolePolicy"]]
    assert "eks.amazonaws.com/role-arn" not in json.dumps(
        [r.inputs for r in prod.resources if r.type.startswith("kubernetes:")])


def test_dev_has_an_association_per_aws_calling_service_account_and_no_irsa(dev):
    roles = roles_by_account(dev)
    # dev keeps logs and traces on volumes and runs no Karpenter
    assert set(roles) == set(PROD_ACCOUNTS) - {"kube-system/karpenter", "logging/loki",
                                                "observability/tempo"}
    assert associations(dev) == {a: r.outputs["arn"] for a, r in roles.items()}
    assert dev.of_type(OIDC) == []
    for account, role in roles.items():
        assert trusted_account(role) == account


def test_pods_are_created_once_their_association_and_grants_exist(prod):
    """Pod Identity's webhook gives credentials only to pods created after the association;
    so every chart and Deployment of an AWS-calling service account waits for it."""
    waiting = {}
    for r in prod.resources:
        if r.type in (RELEASE, "kubernetes:apps/v1:Deployment"):
            for urn in r.dependencies:
                waiting.setdefault(urn, []).append(r)
    for association in prod.of_type(POD_IDENTITY):
        assert waiting.get(association.urn), f"nothing waits for {association.name}"
    for role in roles_by_account(prod).values():
        grants = [p for p in prod.of_type("aws:iam/rolePolicy:RolePolicy")
                  + prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                  if p.inputs["role"] == role.outputs["name"]]
        assert grants, role.name
        assert all(waiting.get(g.urn) or any(g.urn in a.dependencies
                                             for a in prod.of_type(ADDON)) for g in grants)


# -- IRSA where a stack asks for it -----------------------------------------------------------


@pytest.fixture(scope="module")
def irsa():
    return run_platform("prod", hosting=("sre-platform",), overrides={
        "shipyard:cluster": {"workloadIdentity": "irsa"}})


def test_irsa_creates_the_oidc_provider_and_no_association(irsa):
    (cluster,) = irsa.of_type("aws:eks/cluster:Cluster")
    (oidc,) = irsa.of_type(OIDC)
    assert oidc.inputs["url"] == cluster.outputs["identities"][0]["oidcs"][0]["issuer"]
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert irsa.of_type(POD_IDENTITY) == []
    assert not [a for a in irsa.of_type(ADDON) if a.inputs.get("podIdentityAssociations")]


def test_irsa_roles_trust_the_provider_for_their_service_account(irsa):
    (oidc,) = irsa.of_type(OIDC)
    roles = roles_by_account(irsa)
    assert set(roles) == set(PROD_ACCOUNTS)
    for account, role in roles.items():
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Federated": oidc.outputs["arn"]}
        namespace, name = account.split("/")
        assert f"system:serviceaccount:{namespace}:{name}" in \
            statement["Condition"]["StringEquals"].values()
    # the EKS add-ons take the role as serviceAccountRoleArn, the charts as an annotation
    by_addon = {a.inputs["addonName"]: a.inputs for a in irsa.of_type(ADDON)}
    assert by_addon["vpc-cni"]["serviceAccountRoleArn"] == \
        roles["kube-system/aws-node"].outputs["arn"]
    dns = next(r for r in irsa.of_type(RELEASE) if r.inputs["chart"] == "external-dns")
    assert dns.inputs["values"]["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": roles["external-dns/external-dns"].outputs["arn"]}


# -- settings ---------------------------------------------------------------------------------


def test_workload_identity_is_pod_identity_unless_set_and_takes_only_the_two_modes():
    assert parse({}).cluster.workload_identity == "podIdentity"
    assert parse({"cluster": json.dumps({"workloadIdentity": "irsa"})}
                 ).cluster.workload_identity == "irsa"
    with pytest.raises(SettingsError) as info:
        parse({"cluster": json.dumps({"workloadIdentity": "kiam"})})
    assert info.value.problems[0].startswith("shipyard:cluster.workloadIdentity:")
    assert '"kiam"' in info.value.problems[0]
