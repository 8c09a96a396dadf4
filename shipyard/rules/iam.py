"""IAM policy documents as pure functions (JSON strings), tested without mocks."""

from __future__ import annotations

import json
from collections.abc import Sequence

VERSION = "2012-10-17"


def document(*statements: dict) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)})


def service_trust(service: str, *, tag_session: bool = False) -> str:
    """Trust policy letting an AWS service (``eks.amazonaws.com``, ...) assume the role."""
    actions = ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole"
    return document({"Effect": "Allow", "Principal": {"Service": service}, "Action": actions})


def issuer_host(issuer_url: str) -> str:
    """``https://oidc.eks.REGION.amazonaws.com/id/X`` -> the host/path IAM condition keys use."""
    return issuer_url.removeprefix("https://")


def irsa_trust(oidc_provider_arn: str, issuer_url: str, namespace: str,
               service_account: str) -> str:
    """Trust policy for IRSA: only ``system:serviceaccount:NS:NAME`` with the STS audience,
    through this cluster's OIDC provider."""
    host = issuer_host(issuer_url)
    return document({
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
            f"{host}:aud": "sts.amazonaws.com",
        }},
    })


POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"


def pod_identity_trust(cluster_name: str, namespace: str, service_account: str) -> str:
    """Trust policy for EKS Pod Identity: its service principal assumes the role and tags the
    session (``sts:TagSession``), and only for ``NS/NAME`` of this cluster, by the session tags
    EKS sets (EKS User Guide, "Create IAM role with trust policy required by EKS Pod Identity";
    the tags: "Enable or disable session tags"). Without the conditions any Pod Identity
    association in the account could hand the role to any pod."""
    return document({
        "Effect": "Allow",
        "Principal": {"Service": POD_IDENTITY_SERVICE},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {
            "aws:RequestTag/eks-cluster-name": cluster_name,
            "aws:RequestTag/kubernetes-namespace": namespace,
            "aws:RequestTag/kubernetes-service-account": service_account,
        }},
    })


def merged(*documents: str) -> str:
    """One policy document with the statements of each of ``documents``, in order."""
    statements: list[dict] = []
    for text in documents:
        found = json.loads(text)["Statement"]
        statements += found if isinstance(found, list) else [found]
    return document(*statements)


def allow(actions: Sequence[str], resources: Sequence[str] | str,
          conditions: dict | None = None) -> dict:
    """One Allow statement."""
    statement: dict = {"Effect": "Allow", "Action": list(actions),
                       "Resource": resources if isinstance(resources, str) else list(resources)}
    if conditions:
        statement["Condition"] = conditions
    return statement


# -- KMS key policies: every key shipyard creates states its own --------------------------------
#
# A key policy's Resource is always "*": in a key policy it means the key itself, the only
# resource a key policy can name (AWS KMS Developer Guide, "Key policies").


def account_administers(account_id: str, partition: str = "aws") -> dict:
    """The account administers the key, so IAM policies decide who else uses it (the
    statement of the default key policy, written out)."""
    return {"Sid": "AccountAdministers", "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*", "Resource": "*"}


def key_policy(account_id: str, *statements: dict, partition: str = "aws") -> str:
    """A key policy: the account administers the key, plus ``statements`` (services that use
    it on the account's behalf)."""
    return document(account_administers(account_id, partition), *statements)


def logs_key_statement(region: str, account_id: str, log_groups: Sequence[str],
                       partition: str = "aws") -> dict:
    """CloudWatch Logs in ``region`` may encrypt and decrypt these log groups with the key
    (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS": the
    encryption context names the log group)."""
    arns = [f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}" for name in log_groups]
    return {"Sid": "CloudWatchLogsEncryptsTheStacksLogGroups", "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                       "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                      arns[0] if len(arns) == 1 else arns}}}


def managed_policy_arn(name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def access_policy_arn(name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:eks::aws:cluster-access-policy/{name}"
