"""Which environment (dev, staging, prod) a resource is deployed to: what the program decided,
never the stack's name.

The program reads ``shipyard:environment`` (a stack named ``prod-eu`` can be prod, one named
``prod`` can be staging) and tags every AWS resource ``environment: <it>``. A policy sees:

- the stack's configuration: the engine hands the analyzer the stack's config (decrypted) as a
  JSON object in the ``PULUMI_CONFIG`` environment variable, keys ``namespace:key``, values
  strings; pulumi-policy reads the same variable into ``pulumi.Config``. This covers every
  resource, Kubernetes ones included (they carry no environment label);
- the resource's own ``environment`` tag, for a stack whose config leaves ``shipyard:environment``
  out (the program then took it from the stack name, and wrote what it decided into the tag).

When neither says, the environment is unknown and the strict rules (prod's) apply: a policy
never lets a resource off because it could not tell.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from typing import Any

from policy_values import known

ENVIRONMENT_KEY = "shipyard:environment"
ENVIRONMENT_TAG = "environment"
PROD = "prod"
# Environments whose ECR tags must be immutable (dev overwrites its tags by design).
IMMUTABLE_TAG_ENVIRONMENTS = frozenset({"staging", PROD})


@functools.lru_cache(maxsize=4)
def _parse(raw: str) -> Mapping[str, Any]:
    try:
        config = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def stack_config() -> Mapping[str, Any]:
    """The stack's configuration as the engine passes it to the analyzer (``PULUMI_CONFIG``)."""
    return _parse(os.environ.get("PULUMI_CONFIG", ""))


def environment_of(props: Any) -> str | None:
    """``shipyard:environment`` from the stack's config, else the resource's ``environment``
    tag; ``None`` when neither is there."""
    configured = stack_config().get(ENVIRONMENT_KEY)
    if isinstance(configured, str) and configured:
        return configured
    tag = known(props, "tags", ENVIRONMENT_TAG)
    return str(tag) if tag else None


def is_prod(environment: str | None) -> bool:
    """prod's rules apply: the environment is prod, or unknown."""
    return environment is None or environment == PROD


def has_immutable_tags(environment: str | None) -> bool:
    return environment is None or environment in IMMUTABLE_TAG_ENVIRONMENTS


def unknown_note(environment: str | None) -> str:
    """What a violation adds when it applied prod's rules for want of an environment."""
    if environment is not None:
        return ""
    return (f" (the environment is unknown: no {ENVIRONMENT_KEY} in the stack's config and no "
            f"{ENVIRONMENT_TAG} tag, so prod's rules apply; set {ENVIRONMENT_KEY})")
