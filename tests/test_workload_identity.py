"""Workload identity (issue 17): every service account that calls AWS gets its own role through
EKS Pod Identity (``shipyard:cluster.workloadIdentity: podIdentity``, the default), or through
IRSA where a stack asks for it (``irsa``), never both, and never on an existing cluster.

"Done when": prod's and dev's plans have a Pod Identity association per AWS-calling service
account and no IRSA role (no OIDC provider, no role trusting one) - once the move from IRSA is
over: the three stacks were deployed under IRSA, so their files keep ``cluster.irsaTransition``
on for now, which keeps the OIDC provider and lets each role also trust its own service
account through it (pods started under IRSA keep their credentials until they restart).
"""

from __future__ import annotations

import json

import pytest

from shipyard.config.base import SettingsError
from shipyard.rules import iam
from tests.support.plans import (
    POD_IDENTITY,
    pod_identity_statement,
    run_platform,
    transition_provider,
)
from tests.support.settings import parse, stack_settings

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


def trusted_account(role, provider: str | None = None) -> str:
    statement = pod_identity_statement(json.loads(role.inputs["assumeRolePolicy"]), provider)
    assert statement is not None, role.name
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


def test_prod_has_an_association_per_aws_calling_service_account(prod):
    """During the move from IRSA (cluster.irsaTransition, in the stack file) each role trusts
    its own service account through Pod Identity and through the kept OIDC provider alone."""
    roles = roles_by_account(prod)
    assert set(roles) == set(PROD_ACCOUNTS)
    bound = associations(prod)
    assert bound == {account: role.outputs["arn"] for account, role in roles.items()}
    assert stack_settings("prod").cluster.irsa_transition
    provider = transition_provider(prod)
    assert provider is not None
    for account, role in roles.items():
        assert trusted_account(role, provider) == account
    # no service account carries IRSA's annotation: new pods take Pod Identity's credentials
    assert "eks.amazonaws.com/role-arn" not in json.dumps(
        [r.inputs for r in prod.resources if r.type.startswith("kubernetes:")])


def test_dev_has_an_association_per_aws_calling_service_account(dev):
    roles = roles_by_account(dev)
    # dev keeps logs and traces on volumes and runs no Karpenter
    assert set(roles) == set(PROD_ACCOUNTS) - {"kube-system/karpenter", "logging/loki",
                                                "observability/tempo"}
    assert associations(dev) == {a: r.outputs["arn"] for a, r in roles.items()}
    for account, role in roles.items():
        assert trusted_account(role, transition_provider(dev)) == account


@pytest.fixture(scope="module")
def moved():
    """prod once the move from IRSA is over (cluster.irsaTransition off)."""
    return run_platform("prod", hosting=("sre-platform",), overrides={
        "shipyard:cluster": {"irsaTransition": False}})


def test_once_the_move_is_over_nothing_is_irsa(moved):
    roles = roles_by_account(moved)
    assert set(roles) == set(PROD_ACCOUNTS)
    assert associations(moved) == {a: r.outputs["arn"] for a, r in roles.items()}
    for account, role in roles.items():
        assert trusted_account(role) == account
    # no IRSA anywhere: no OIDC provider, no role trusting one, no role annotation
    assert moved.of_type(OIDC) == []
    assert not [r for r in moved.of_type(ROLE)
                if "AssumeRoleWithWebIdentity" in r.inputs["assumeRolePolicy"]]
    assert "eks.amazonaws.com/role-arn" not in json.dumps(
        [r.inputs for r in moved.resources if r.type.startswith("kubernetes:")])


def test_the_transition_keeps_the_provider_irsa_made(prod, irsa):
    """The provider kept during the move is the one IRSA had (same URN and inputs): the update
    keeps it rather than replacing it, and pods started under IRSA keep exchanging their
    tokens through it."""
    (kept,), (made,) = prod.of_type(OIDC), irsa.of_type(OIDC)
    assert kept.urn == made.urn and kept.inputs == made.inputs


def test_every_pod_of_a_role_is_marked_with_its_identity_so_a_switch_rolls_it(prod, irsa):
    """A pod keeps the credentials it started with: the charts' and the tenants' pod templates
    name the workload identity, so switching it changes them and their pods roll (after the
    association exists, which they wait for)."""
    def marks(plan) -> dict[str, str]:
        out = {}
        for r in plan.of_type(RELEASE):
            text = json.dumps(r.inputs["values"])
            if "shipyard.dev/workload-identity" in text:
                out[r.inputs["chart"].rsplit("/", 1)[-1]] = text
        for r in plan.of_type("kubernetes:apps/v1:Deployment"):
            annotations = r.inputs["spec"]["template"]["metadata"].get("annotations", {})
            if "shipyard.dev/workload-identity" in annotations:
                out[r.inputs["metadata"]["name"]] = annotations["shipyard.dev/workload-identity"]
        return out

    pod_identity = marks(prod)
    charts = {c for c in PROD_ACCOUNTS.values() if c not in (None, "vpc-cni",
                                                              "aws-ebs-csi-driver")}
    assert set(pod_identity) == charts | {"image"}
    assert set(marks(irsa)) == set(pod_identity)
    for key, mark in marks(irsa).items():
        assert "irsa" in mark and "podIdentity" in pod_identity[key], key
    # each chart's own pod-annotations key, as its values.yaml at the pinned version names it
    values = {r.inputs["chart"].rsplit("/", 1)[-1]: r.inputs["values"]
              for r in prod.of_type(RELEASE)}
    mark = {"shipyard.dev/workload-identity": "podIdentity"}
    for chart in charts - {"loki"}:
        assert values[chart]["podAnnotations"] == mark, chart
    assert values["loki"]["singleBinary"]["podAnnotations"] == mark


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
