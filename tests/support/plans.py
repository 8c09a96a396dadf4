"""Small readers of a captured Plan that many test modules share, and variant runs of a stack."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from offline.harness import Plan, ResourceRecord
from offline.mocks import EchoMocks
from shipyard.config.stack import Settings


def only(records: list[ResourceRecord]) -> ResourceRecord:
    """The one record in ``records`` (fails when there are none or several)."""
    (found,) = records
    return found


def children_of(plan: Plan, component_type: str, type_: str) -> list[ResourceRecord]:
    """Resources of ``type_`` directly under the plan's one component of ``component_type``."""
    parent = only(plan.of_type(component_type)).urn
    return [r for r in plan.of_type(type_) if r.parent == parent]


@functools.cache
def _no_applications() -> dict[str, Any]:
    from shipyard.catalog.load import load_catalogs

    return {"shipyard:applications": {name: {"enabled": False} for name in load_catalogs()}}


def run_platform(stack: str, *, overrides: Mapping[str, Any] | None = None,
                 hosting: tuple[str, ...] = (), **kwargs: Any) -> Plan:
    """``run_program`` hosting no application but those in ``hosting``: for variant runs
    that test the platform beneath the tenants, or one tenant (about 1 s instead of 3 s with
    every tenant and its stores; the suite has a one-minute budget). Overrides of an
    application's settings merge with its being switched off or on."""
    from offline.harness import run_program
    from shipyard.config.defaults import deep_merge

    apps = copy.deepcopy(_no_applications())
    for name in hosting:
        apps["shipyard:applications"][name]["enabled"] = True
    return run_program(stack, overrides=deep_merge(apps, overrides or {}), **kwargs)


def run_component(stack: str, build: Callable[[Settings], Mapping[str, Any] | None], *,
                  overrides: Mapping[str, Any] | None = None, hosting: tuple[str, ...] = (),
                  **kwargs: Any) -> Plan:
    """``build`` run as the program instead of ``__main__.py``, with the stack's config (hosting
    no application but those in ``hosting``, as ``run_platform``, and with ``overrides``): it
    gets the settings the program would read (``load_settings``: the same checks), builds the
    component a test is about, and returns the outputs to export. For a test of what one
    component makes of a setting, in a fraction of the whole program's time."""

    def program() -> None:
        from shipyard.config.load import load_settings

        for key, value in (build(load_settings()) or {}).items():
            pulumi.export(key, value)

    return run_platform(stack, overrides=overrides, hosting=hosting, program=program, **kwargs)


class CountingMocks(EchoMocks):
    """Echo mocks that remember the type of every resource the program registered."""

    def __init__(self) -> None:
        super().__init__()
        self.registered: list[str] = []

    def new_resource(self, args: Any) -> Any:
        self.registered.append(args.typ)
        return super().new_resource(args)


POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"


def pod_identity_statement(trust: Mapping[str, Any],
                           transition_provider: str | None = None) -> dict[str, Any] | None:
    """A role's trust (a policy document) -> its one Pod Identity statement (None: the role
    trusts no such thing). Besides it there is only, while ``cluster.irsaTransition`` keeps
    ``transition_provider`` (the OIDC provider's ARN), IRSA's statement for the same service
    account through that provider: pods started under IRSA keep their credentials."""
    statements = trust["Statement"]
    statements = statements if isinstance(statements, list) else [statements]
    pod = [s for s in statements if s.get("Principal") == {"Service": POD_IDENTITY_SERVICE}]
    if not pod:
        return None
    (statement,) = pod
    others = [s for s in statements if s is not statement]
    if transition_provider is None:
        assert not others, others
        return statement
    tags = statement["Condition"]["StringEquals"]
    subject = (f"system:serviceaccount:{tags['aws:RequestTag/kubernetes-namespace']}:"
               f"{tags['aws:RequestTag/kubernetes-service-account']}")
    (irsa,) = others
    assert irsa["Principal"] == {"Federated": transition_provider}, irsa
    assert irsa["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert sorted(irsa["Condition"]["StringEquals"].values()) == sorted(
        [subject, "sts.amazonaws.com"]), irsa
    return statement


def transition_provider(plan: Plan) -> str | None:
    """The OIDC provider's ARN a Pod Identity stack keeps for cluster.irsaTransition."""
    providers = plan.of_type(OIDC_PROVIDER)
    if not providers:
        return None
    (provider,) = providers
    return provider.outputs["arn"]


def assert_pod_identity(plan: Plan, role: ResourceRecord, namespace: str,
                        service_account: str) -> ResourceRecord:
    """``role`` is the service account's own through EKS Pod Identity: it trusts
    pods.eks.amazonaws.com (AssumeRole and TagSession) for this cluster, namespace and service
    account only (and, during cluster.irsaTransition, IRSA for that account alone), and exactly
    one association binds it to that service account (returned)."""
    import json

    (cluster,) = plan.of_type("aws:eks/cluster:Cluster")
    statement = pod_identity_statement(json.loads(role.inputs["assumeRolePolicy"]),
                                       transition_provider(plan))
    assert statement is not None, role.name
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"] == {"StringEquals": {
        "aws:RequestTag/eks-cluster-name": cluster.inputs["name"],
        "aws:RequestTag/kubernetes-namespace": namespace,
        "aws:RequestTag/kubernetes-service-account": service_account}}
    (association,) = [a for a in plan.of_type(POD_IDENTITY)
                      if a.inputs["roleArn"] == role.outputs["arn"]]
    assert (association.inputs["clusterName"], association.inputs["namespace"],
            association.inputs["serviceAccount"]) == (cluster.inputs["name"], namespace,
                                                      service_account)
    return association
