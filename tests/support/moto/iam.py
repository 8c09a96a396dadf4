"""IAM in moto: roles, their policies, OIDC providers."""

from __future__ import annotations

from typing import Any

from moto.iam.policy_validation import IAMTrustPolicyDocumentValidator

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import as_json, drop_none, handles, tag_list


class Iam(MotoBase):
    """IAM roles, role policies and attachments, OIDC providers."""

    @handles("aws:iam/role:Role")
    def _iam_role(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        iam = self.client("iam")
        role_name = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                      if i.get("namePrefix") else name)
        trust = as_json(i.get("assumeRolePolicy", ""))
        # create_role does not validate the trust policy; AWS does.
        IAMTrustPolicyDocumentValidator(trust).validate()
        role = iam.create_role(**drop_none(
            RoleName=role_name, AssumeRolePolicyDocument=trust, Path=i.get("path"),
            Description=i.get("description"), MaxSessionDuration=i.get("maxSessionDuration"),
            PermissionsBoundary=i.get("permissionsBoundary"), Tags=tag_list(i.get("tags"))
        ))["Role"]
        for policy in i.get("inlinePolicies") or []:
            if policy.get("policy"):
                iam.put_role_policy(RoleName=role_name, PolicyName=policy["name"],
                                    PolicyDocument=as_json(policy["policy"]))
        for arn in i.get("managedPolicyArns") or []:
            self._ensure_aws_managed_policy(arn)
            iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
        return role_name, {"name": role_name, "arn": role["Arn"], "uniqueId": role["RoleId"],
                           "createDate": role["CreateDate"].isoformat(),
                           "path": role.get("Path", "/")}

    @handles("aws:iam/rolePolicy:RolePolicy")
    def _iam_role_policy(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        role = i.get("role", "")
        policy_name = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                        if i.get("namePrefix") else name)
        self.client("iam").put_role_policy(RoleName=role, PolicyName=policy_name,
                                           PolicyDocument=as_json(i.get("policy", "")))
        return f"{role}:{policy_name}", {"name": policy_name}

    @handles("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    def _iam_role_policy_attachment(self, name: str, i: dict[str, Any]
                                    ) -> tuple[str, dict[str, Any]]:
        role, arn = i.get("role", ""), i.get("policyArn", "")
        self._ensure_aws_managed_policy(arn)
        self.client("iam").attach_role_policy(RoleName=role, PolicyArn=arn)
        return f"{role}-{_digest(arn, length=20)}", {}

    @handles("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    def _oidc_provider(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn = self.client("iam").create_open_id_connect_provider(**drop_none(
            Url=i.get("url"), ClientIDList=i.get("clientIdLists"),
            ThumbprintList=i.get("thumbprintLists"), Tags=tag_list(i.get("tags"))
        ))["OpenIDConnectProviderArn"]
        return arn, {"arn": arn}
