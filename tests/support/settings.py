"""Settings as the tests build them: a stack's own (its stack file over the defaults), or raw
config with just the keys every stack must set."""

from __future__ import annotations

import functools
import json
from typing import Any

from offline.harness import read_stack_config
from shipyard.config.load import parse_settings
from shipyard.config.stack import Settings

# The keys parse_settings refuses to go without.
REQUIRED = {"addons": json.dumps({"certManager": {"acmeEmail": "ops@example.com"}}),
            "dns": json.dumps({"parentZoneId": "ZPARENT"})}

# seed 001's network: a /16, three zones, public and private /24s.
SEED_001_NETWORK = {
    "cidr": "10.0.0.0/16",
    "azCount": 3,
    "subnets": {
        "public": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
        "private": ["10.0.100.0/24", "10.0.101.0/24", "10.0.102.0/24"],
    },
}


def parse(raw: dict[str, Any], stack: str = "prod") -> Settings:
    """Settings from raw config (section -> JSON text) with the REQUIRED keys under it."""
    return parse_settings({**REQUIRED, **raw}, project="shipyard", stack=stack,
                          region="us-east-1")


@functools.cache
def stack_settings(stack: str) -> Settings:
    """The stack's settings as the program sees them: its stack file over the defaults (read
    once per process: Settings are frozen)."""
    config, _, project = read_stack_config(stack)
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{project}:")}
    return parse_settings(raw, project=project, stack=stack, region=config["aws:region"])
