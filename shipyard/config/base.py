"""What every settings model and the catalogs share: the model base, the error types, how a
problem is rendered (``shipyard:KEY: message (value: ...)``), and the value types several
sections use.

Nothing here reads config or knows a section: ``shipyard.config.load`` reads, the section
modules define, ``shipyard.config.checks`` holds the rules across fields and sections.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

NAMESPACE = "shipyard"
ENVIRONMENTS = ("dev", "staging", "prod")
# config keys whose values are never shown in a message
SECRET_KEYS = ("kubeconfig", "alertUrls")


class SettingsError(pulumi.RunError):
    """Bad stack configuration. ``str()`` is one line per problem, each naming its key.

    A ``RunError`` so that ``pulumi up`` prints the message without a Python traceback."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  {p}" for p in problems))


class Problem(ValueError):
    """One bad value: where it is (a key path, relative to what raised it, or full from a
    check), the value, and why. Raised in validators to point at a key below the one being
    validated; returned by the checks and the rules."""

    def __init__(self, path: str, value: Any, message: str):
        self.path, self.value, self.message = path, value, message
        super().__init__(message)

    def render(self, prefix: str = NAMESPACE) -> str:
        """``shipyard:PATH: message (value: ...)``; a secret key's value is never shown."""
        root = self.path.split(".", 1)[0].split("[", 1)[0]
        value = render_value("[secret]" if root in SECRET_KEYS else self.value)
        return f"{prefix}:{self.path}: {self.message} (value: {value})"


class Model(BaseModel):
    """Base for every settings and catalog model: camelCase keys as in the stack file,
    unknown keys rejected, instances frozen."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        use_enum_values=False,
    )


def render_value(value: Any) -> str:
    """A value as a message shows it: JSON, what the user wrote."""
    return json.dumps(value, default=str)


# ---------------------------------------------------------------------------------------------
# Error locations


def key_path(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as the dotted key a user writes: ``a.b[0].c``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("["):
            out += str(part)
        else:
            out += ("." if out else "") + str(part)
    return out


def join_path(loc: tuple[Any, ...], sub: str) -> str:
    """The key of a Problem raised at ``loc`` naming ``sub`` below it."""
    return key_path(loc) + (sub if sub.startswith("[") else ("." + sub if loc else sub))


def lookup(data: Any, loc: tuple[Any, ...]) -> Any:
    """The value at a pydantic error location, or None."""
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def clean_loc(error: Mapping[str, Any]) -> tuple[Any, ...]:
    """The error's location without pydantic's internal steps (unions, JSON modes)."""
    return tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith(
        ("function-", "lax-", "json-or-python"))))


# ---------------------------------------------------------------------------------------------
# Value types more than one section uses

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
# a repository name as ECR (and the OCI distribution spec) accepts it
IMAGE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}"
                  r"[a-z0-9])?)*$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
IAM_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                       r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def hostname(value: str) -> str:
    """A hostname, lower-case, without the root's dot."""
    if not HOST.match(value.lower().rstrip(".")):
        raise ValueError(f"{value!r} is not a hostname")
    return value.lower().rstrip(".")


def ipv4_network(value: str) -> str:
    """An IPv4 network in canonical form; the ValueError names the bad value."""
    net = ipaddress.ip_network(value, strict=True)
    if not isinstance(net, ipaddress.IPv4Network):
        raise ValueError(f"{value!r} is not an IPv4 network")
    return str(net)


def iam_arns(v: list[str]) -> list[str]:
    for i, arn in enumerate(v):
        if not IAM_ARN.match(arn):
            raise Problem(f"[{i}]", arn, "not an IAM role or user ARN")
    return v


Hostname = Annotated[str, AfterValidator(hostname)]
IamArns = Annotated[list[str], AfterValidator(iam_arns)]
