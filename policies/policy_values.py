"""Reading a resource's inputs the way the policy SDK (pulumi-policy 1.21.0) hands them over.

- Secrets. The engine sends secret inputs marked as secrets, but the SDK's ``Analyze`` unwraps
  them before a validate function sees them (pulumi/pulumi-policy#241: a policy cannot tell a
  secret from plaintext). ``keep_secrets_marked()`` (called by ``__main__.py``) makes the
  analyzer hand them over as ``pulumi_policy.Secret`` instead; every reader here goes through
  ``reveal``/``get``, which unwrap them, so only ``no-plaintext-secrets`` notices the difference.
- Unknowns. A value not known during preview arrives as one of the SDK's sentinels; reading it
  raises ``UnknownValueError`` (the SDK reports "can't run policy during preview").

Props are plain dicts in tests and the SDK's unknown-checking proxies at deploy time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import Secret
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

UNKNOWNS = frozenset({UNKNOWN_ARCHIVE_VALUE, UNKNOWN_ARRAY_VALUE, UNKNOWN_ASSET_VALUE,
                      UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE,
                      UNKNOWN_STRING_VALUE})


# ---------------------------------------------------------------------------------------------
# Secrets as the analyzer receives them


def _keep_secret(prop: Any) -> Any:
    if isinstance(prop, list):
        return [_keep_secret(p) for p in prop]
    if isinstance(prop, dict):
        if prop.get(SPECIAL_SIG_KEY) == SPECIAL_SECRET_SIG:
            return Secret(_keep_secret(prop.get("value")))
        if SPECIAL_SIG_KEY in prop:  # assets and archives: the SDK's own handling
            return deserialize_properties({"v": prop})["v"]
        return {k: _keep_secret(v) for k, v in prop.items()}
    return prop


def deserialize_keeping_secrets(props: dict[str, Any], proxy_secrets: bool = False
                                ) -> dict[str, Any]:
    """``pulumi_policy.deserialize.deserialize_properties``, except that secret values come
    back as ``pulumi_policy.Secret`` instead of as their plaintext."""
    if proxy_secrets:  # the remediation path: leave it as the SDK has it
        return deserialize_properties(props, proxy_secrets=True)
    return {k: _keep_secret(v) for k, v in props.items()}


def keep_secrets_marked() -> None:
    """Make the analyzer hand validate functions secret inputs as ``Secret``.

    The SDK's servicer (``pulumi_policy.policy``) calls the module-level name
    ``deserialize_properties`` for every resource it analyzes; this points it at
    ``deserialize_keeping_secrets``. pulumi-policy is pinned (policies/requirements.txt) and
    tests/test_policies.py drives the real servicer, so an upgrade that changes this fails there."""
    import pulumi_policy.policy as sdk

    sdk.deserialize_properties = deserialize_keeping_secrets


# ---------------------------------------------------------------------------------------------
# Reading props


def reveal(value: Any) -> Any:
    """The value behind a ``Secret``; raises ``UnknownValueError`` for a value not known yet
    (the SDK turns that into "can't run policy during preview")."""
    if isinstance(value, Secret):
        value = value.value
    if isinstance(value, str) and value in UNKNOWNS:
        raise UnknownValueError(value, [])
    return value


def get(value: Any, *path: str | int, default: Any = None) -> Any:
    """``value[path[0]][path[1]]...`` with secrets revealed at every step; ``default`` when a
    step is missing or ``None``."""
    value = reveal(value)
    for key in path:
        if isinstance(key, int):
            if not is_list(value) or not -len(value) <= key < len(value):
                return default
        elif not isinstance(value, Mapping) or key not in value:
            return default
        value = reveal(value[key])
    return default if value is None else value


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def known(value: Any, *path: str | int) -> Any:
    """``get``, but ``None`` for a value not known yet (for matching, where an unknown simply
    does not match)."""
    try:
        return get(value, *path)
    except UnknownValueError:
        return None


def get_list(value: Any, *path: str | int) -> list[Any]:
    found = get(value, *path, default=[])
    return [reveal(v) for v in found] if is_list(found) else []


def is_true(value: Any) -> bool:
    """True for ``True`` and ``"true"`` (launch templates and StorageClass parameters take
    booleans as strings)."""
    value = reveal(value)
    return value is True or (isinstance(value, str) and value.lower() == "true")
