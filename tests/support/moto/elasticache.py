"""ElastiCache in moto: subnet groups, users, user groups (which moto lacks), replication
groups."""

from __future__ import annotations

import re
from typing import Any

from tests.support.moto.base import MotoBase
from tests.support.moto.core import as_bool, drop_none, handles, require, tag_list
from tests.support.moto.windows import AWS_IDENTIFIER, check_windows

# values AWS accepts and moto does not check
ELASTICACHE_ENGINES = frozenset({"redis", "valkey"})
ELASTICACHE_MAX_ID = 40
ELASTICACHE_PASSWORD = re.compile(r'^[^\s"/@]{16,128}$')


class ElastiCache(MotoBase):
    """ElastiCache subnet groups, users, user groups and replication groups."""

    @handles("aws:elasticache/subnetGroup:SubnetGroup")
    def _elasticache_subnet_group(self, name: str, i: dict[str, Any]
                                  ) -> tuple[str, dict[str, Any]]:
        group = (i.get("name") or name).lower()
        subnet_ids = list(i.get("subnetIds") or [])
        subnets = self._subnets_in_zones(subnet_ids, 1, "InvalidSubnet",
                                         f"cache subnet group {group}")
        created = self.client("elasticache").create_cache_subnet_group(
            CacheSubnetGroupName=group,
            CacheSubnetGroupDescription=i.get("description") or "Managed by Pulumi",
            SubnetIds=subnet_ids, Tags=tag_list(i.get("tags")))["CacheSubnetGroup"]
        return group, {"name": group, "arn": created["ARN"], "vpcId": subnets[0]["VpcId"]}

    @handles("aws:elasticache/user:User")
    def _elasticache_user(self, name: str, i: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        user_id, engine = str(i.get("userId", "")), str(i.get("engine", "")).lower()
        require(AWS_IDENTIFIER.match(user_id) and user_id == user_id.lower()
                and len(user_id) <= ELASTICACHE_MAX_ID, "InvalidParameterValue",
                f"user id {user_id!r}: a lowercase letter, then letters, digits and single "
                f"hyphens, at most {ELASTICACHE_MAX_ID} characters")
        mode = self._one(i.get("authenticationMode"))
        passwords = list(mode.get("passwords") or i.get("passwords") or [])
        kind = mode.get("type") or ("no-password-required"
                                    if as_bool(i.get("noPasswordRequired", False))
                                    else "password")
        require(all(ELASTICACHE_PASSWORD.match(p) for p in passwords), "InvalidParameterValue",
                "passwords: 16 to 128 printable characters, no spaces, \" / or @")
        require(len(passwords) <= 2, "InvalidParameterValue", "at most two passwords")
        require(engine != "valkey" or kind in ("password", "iam"), "InvalidParameterCombination",
                "a valkey user must authenticate by password or IAM")
        created = self.client("elasticache").create_user(**drop_none(
            UserId=user_id, UserName=i.get("userName"), Engine=engine,
            AccessString=i.get("accessString"),
            AuthenticationMode={"Type": kind, "Passwords": passwords} if kind == "password"
            else {"Type": kind}, Tags=tag_list(i.get("tags"))))
        return user_id, {"arn": created["ARN"], "userId": user_id}

    @handles("aws:elasticache/userGroup:UserGroup")
    def _elasticache_user_group(self, name: str, i: dict[str, Any]
                                ) -> tuple[str, dict[str, Any]]:
        """moto has no user groups: the checks ElastiCache makes, against moto's users, and the
        group kept here for the replication groups that name it."""
        group_id, engine = str(i.get("userGroupId", "")), str(i.get("engine", "")).lower()
        require(AWS_IDENTIFIER.match(group_id) and len(group_id) <= ELASTICACHE_MAX_ID,
                "InvalidParameterValue", f"user group id {group_id!r}")
        require(engine in ELASTICACHE_ENGINES, "InvalidParameterValue", f"engine {engine!r}")
        groups: dict[str, dict[str, Any]] = self.__dict__.setdefault("_user_groups", {})
        require(group_id not in groups, "UserGroupAlreadyExists", f"{group_id} exists")
        ec = self.client("elasticache")
        users = [ec.describe_users(UserId=u)["Users"][0] for u in i.get("userIds") or []]
        require(any(u["UserName"] == "default" for u in users), "DefaultUserRequired",
                "You must add default user to a user group.")
        for user in users:
            require(engine == "valkey" or user["Engine"] == "redis",
                    "InvalidParameterCombination",
                    f"a redis user group cannot hold the {user['Engine']} user {user['UserId']}")
            require(engine != "valkey" or user["Authentication"]["Type"] in ("password", "iam"),
                    "InvalidParameterCombination",
                    f"a valkey user group holds only users with a password or IAM "
                    f"({user['UserId']})")
        arn = self._arn("elasticache", f"usergroup:{group_id}")
        groups[group_id] = {"engine": engine, "users": [u["UserId"] for u in users],
                            "arn": arn}
        return group_id, {"arn": arn, "userGroupId": group_id}

    def user_groups(self) -> dict[str, dict[str, Any]]:
        """The ElastiCache user groups created (moto keeps none)."""
        return dict(self.__dict__.get("_user_groups", {}))

    @handles("aws:elasticache/replicationGroup:ReplicationGroup")
    def _elasticache_replication_group(self, name: str, i: dict[str, Any]
                                       ) -> tuple[str, dict[str, Any]]:
        ec = self.client("elasticache")
        group_id = str(i.get("replicationGroupId", "")).lower()
        require(AWS_IDENTIFIER.match(group_id) and len(group_id) <= ELASTICACHE_MAX_ID,
                "InvalidParameterValue", f"replication group id {group_id!r}: a letter, then "
                f"letters, digits and single hyphens, at most {ELASTICACHE_MAX_ID}")
        engine = str(i.get("engine", "redis")).lower()
        require(engine in ELASTICACHE_ENGINES, "InvalidParameterValue", f"engine {engine!r}")
        require(str(i.get("nodeType", "")).startswith("cache."), "InvalidParameterValue",
                f"node type {i.get('nodeType')!r}")
        nodes = int(i.get("numCacheClusters") or 1)
        failover = as_bool(i.get("automaticFailoverEnabled", False))
        multi_az = as_bool(i.get("multiAzEnabled", False))
        require(not failover or nodes >= 2, "InvalidParameterCombination",
                "automatic failover needs at least 2 cache clusters")
        require(not multi_az or failover, "InvalidParameterCombination",
                "Multi-AZ needs automatic failover")
        transit = as_bool(i.get("transitEncryptionEnabled", False))
        user_groups = list(i.get("userGroupIds") or [])
        token = i.get("authToken")
        require(transit or not (token or user_groups), "InvalidParameterCombination",
                "AUTH and user groups need transit encryption")
        require(not (token and user_groups), "InvalidParameterCombination",
                "authToken and userGroupIds exclude each other")
        require(token is None or ELASTICACHE_PASSWORD.match(token), "InvalidParameterValue",
                "authToken: 16 to 128 printable characters")
        known = self.user_groups()
        for group in user_groups:
            require(group in known, "UserGroupNotFound", f"user group {group} not found")
            require(known[group]["engine"] == engine or engine == "valkey",
                    "InvalidParameterCombination",
                    f"a {engine} replication group cannot use the {known[group]['engine']} user "
                    f"group {group}")
        at_rest = as_bool(i.get("atRestEncryptionEnabled", False))
        require(at_rest or not i.get("kmsKeyId"), "InvalidParameterCombination",
                "a KMS key needs at-rest encryption")
        self._check_key(i.get("kmsKeyId"))
        retention = int(i.get("snapshotRetentionLimit") or 0)
        require(0 <= retention <= 35, "InvalidParameterValue",
                f"snapshotRetentionLimit {retention}: 0 to 35 days")
        check_windows(i.get("snapshotWindow"), i.get("maintenanceWindow"))
        final = i.get("finalSnapshotIdentifier")
        require(not final or AWS_IDENTIFIER.match(final), "InvalidParameterValue",
                f"final snapshot name {final!r}")
        subnet_group = i.get("subnetGroupName")
        if subnet_group:  # moto accepts a missing one
            ec.describe_cache_subnet_groups(CacheSubnetGroupName=subnet_group)
        self._check_security_groups(list(i.get("securityGroupIds") or []))
        group = ec.create_replication_group(**drop_none(
            ReplicationGroupId=group_id,
            ReplicationGroupDescription=i.get("description") or "Managed by Pulumi",
            Engine=engine, EngineVersion=i.get("engineVersion"),
            CacheNodeType=i.get("nodeType"), NumCacheClusters=nodes,
            AutomaticFailoverEnabled=failover, MultiAZEnabled=multi_az,
            CacheSubnetGroupName=subnet_group, SecurityGroupIds=i.get("securityGroupIds"),
            Port=i.get("port"), TransitEncryptionEnabled=transit,
            TransitEncryptionMode=i.get("transitEncryptionMode"),
            AtRestEncryptionEnabled=at_rest, KmsKeyId=i.get("kmsKeyId"),
            UserGroupIds=user_groups, AuthToken=token,
            SnapshotRetentionLimit=retention, SnapshotWindow=i.get("snapshotWindow"),
            PreferredMaintenanceWindow=i.get("maintenanceWindow"),
            AutoMinorVersionUpgrade=as_bool(i.get("autoMinorVersionUpgrade", True)),
            Tags=tag_list(i.get("tags"))))["ReplicationGroup"]
        primary = group["NodeGroups"][0]["PrimaryEndpoint"]
        return group_id, {
            "arn": group["ARN"], "primaryEndpointAddress": primary["Address"],
            "readerEndpointAddress": primary["Address"].replace("master.", "replica.", 1),
            "memberClusters": group.get("MemberClusters", []),
            "engineVersionActual": i.get("engineVersion"), "clusterEnabled": False}
