"""KMS in moto: keys and aliases."""

from __future__ import annotations

import json
from typing import Any

from offline.mocks import _digest
from tests.support.moto.base import MotoBase
from tests.support.moto.core import _Invalid, as_json, drop_none, handles, require


class Kms(MotoBase):
    """KMS keys and aliases."""

    @handles("aws:kms/key:Key")
    def _kms_key(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        kms = self.client("kms")
        window = i.get("deletionWindowInDays", 30)
        require(7 <= window <= 30, "ValidationException", "deletionWindowInDays must be 7..30")
        period = i.get("rotationPeriodInDays")
        require(period is None or 90 <= period <= 2560, "ValidationException",
                "rotationPeriodInDays must be 90..2560")
        policy = i.get("policy")
        if policy is not None:
            try:
                json.loads(as_json(policy))
            except ValueError as e:
                raise _Invalid("MalformedPolicyDocumentException",
                               f"the key policy is not valid JSON: {e}") from e
        key = kms.create_key(**drop_none(
            Description=i.get("description"), KeyUsage=i.get("keyUsage"),
            KeySpec=i.get("customerMasterKeySpec"),
            Policy=as_json(policy) if policy is not None else None,
            MultiRegion=i.get("multiRegion"),
            BypassPolicyLockoutSafetyCheck=i.get("bypassPolicyLockoutSafetyCheck"),
            Tags=[{"TagKey": k, "TagValue": v} for k, v in (i.get("tags") or {}).items()]
        ))["KeyMetadata"]
        key_id = key["KeyId"]
        if i.get("enableKeyRotation"):
            require(key.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT",
                    "UnsupportedOperationException", "only symmetric keys rotate")
            kms.enable_key_rotation(**drop_none(KeyId=key_id, RotationPeriodInDays=period))
        if i.get("isEnabled") is False:
            kms.disable_key(KeyId=key_id)
        return key_id, {"keyId": key_id, "arn": key["Arn"],
                        "policy": kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"],
                        "keyUsage": key.get("KeyUsage"),
                        "customerMasterKeySpec": key.get("KeySpec")}

    @handles("aws:kms/alias:Alias")
    def _kms_alias(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        alias = i.get("name") or (i["namePrefix"] + _digest(name, length=10)
                                  if i.get("namePrefix") else f"alias/{name}")
        require(not alias.startswith("alias/aws/"), "NotAuthorizedException",
                f"{alias}: the alias/aws/ prefix is reserved for AWS-managed keys")
        kms = self.client("kms")
        kms.create_alias(AliasName=alias, TargetKeyId=i.get("targetKeyId", ""))
        key_arn = kms.describe_key(KeyId=i.get("targetKeyId", ""))["KeyMetadata"]["Arn"]
        return alias, {"name": alias, "arn": self._arn("kms", alias), "targetKeyArn": key_arn}
