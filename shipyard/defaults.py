"""Per-environment defaults, in the same shape (camelCase keys) as a stack file's config.

A stack's own ``shipyard:*`` values are deep-merged over these; what neither sets falls back to
the model's field default (the production-safe choice). Environment differences live here as
values, never as ``if stack == "prod"`` in a component.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "network": {
            "cidr": "10.10.0.0/16",
            "azCount": 2,
            "natGateways": "single",
            "flowLogs": {"retentionDays": 14},
        },
    },
    "staging": {
        "network": {
            "cidr": "10.20.0.0/16",
            "azCount": 3,
            "natGateways": "per-az",
            "flowLogs": {"retentionDays": 30},
        },
    },
    "prod": {
        "network": {
            "cidr": "10.30.0.0/16",
            "azCount": 3,
            "natGateways": "per-az",
            "flowLogs": {"retentionDays": 365},
            "interfaceEndpoints": ["ecr.api", "ecr.dkr", "sts", "logs"],
        },
    },
}


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``: mappings merge key by key, anything else replaces.
    Neither argument is modified."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def environment_defaults(environment: str) -> dict[str, Any]:
    return copy.deepcopy(ENVIRONMENT_DEFAULTS[environment])
