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
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any

import pulumi
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

NAMESPACE = "shipyard"
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
    """A value as a message shows it: JSON, what the user wrote (a YAML alias inside its own
    anchor cannot be: it says so)."""
    try:
        return json.dumps(value, default=str)
    except (ValueError, RecursionError):
        return '"(a value that holds itself: a YAML alias inside its own anchor)"'


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


# ---------------------------------------------------------------------------------------------
# Numbers: a boolean is never a number (pydantic would read true as 1)

INT32_MAX = 2**31 - 1


def not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{json.dumps(value)} is not a number")
    return value


Int = Annotated[int, BeforeValidator(not_bool)]
# what a Kubernetes int32 field holds (replicas, ports, ids, seconds)
Int32 = Annotated[int, BeforeValidator(not_bool), Field(ge=-INT32_MAX - 1, le=INT32_MAX)]
Float = Annotated[float, BeforeValidator(not_bool)]


# ---------------------------------------------------------------------------------------------
# Names

# RFC 1123 label: what Kubernetes names most objects, at most 63 characters
RFC1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# RFC 7230 token: an HTTP header name as the Gateway API accepts it (HTTPHeaderName)
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}$")
EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
                   r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+"
                   r"([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


def dns_label(value: str) -> str:
    if len(value) > 63 or not RFC1123_LABEL.match(value):
        raise ValueError(f"{value!r} is not an RFC 1123 label (lower-case letters, digits and "
                         f"'-', starting and ending with a letter or digit, at most 63)")
    return value


def wildcard_hostname(value: str) -> str:
    """A hostname, or ``*.`` and a hostname (a Gateway listener's)."""
    return "*." + hostname(value[2:]) if value.startswith("*.") else hostname(value)


def label_key(value: str) -> str:
    """A Kubernetes label (or taint) key: an optional DNS-subdomain prefix and ``/``, then a
    name of at most 63 characters."""
    prefix, _, name = value.rpartition("/")
    if not LABEL_KEY.match(value) or len(name) > 63 or len(prefix) > 253:
        raise ValueError(f"{value!r} is not a Kubernetes label key")
    return value


def label_value(value: str) -> str:
    if len(value) > 63 or not LABEL_VALUE.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes label value (at most 63 letters, "
                         f"digits, '-', '_', '.', starting and ending with a letter or digit)")
    return value


def header_name(value: str) -> str:
    if not HEADER_NAME.match(value):
        raise ValueError(f"{value!r} is not an HTTP header name")
    return value


def email(value: str) -> str:
    local, _, domain = value.rpartition("@")
    # a domain is case-insensitive (RFC 5321); an internationalised TLD is written xn--...
    if not EMAIL.match(f"{local}@{domain.lower()}") or len(value) > 254:
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


DnsLabel = Annotated[str, AfterValidator(dns_label)]
WildcardHostname = Annotated[str, AfterValidator(wildcard_hostname)]
LabelKey = Annotated[str, AfterValidator(label_key)]
LabelValue = Annotated[str, AfterValidator(label_value)]
HeaderName = Annotated[str, AfterValidator(header_name)]
Email = Annotated[str, AfterValidator(email)]


# ---------------------------------------------------------------------------------------------
# Cron schedules (five fields, as Kubernetes CronJobs and Velero read them)

# Velero reads its schedules with robfig/cron: day of week 0-6, ``?`` for "any" in the day
# fields, and ``@every <duration>`` beside the descriptors
_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
                ("day of week", 0, 6))
_CRON_EVERY = re.compile(r"^@every ([0-9]+(ms|s|m|h))+$")
_CRON_NAMES = ({}, {}, {},
               {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul",
                                                "aug", "sep", "oct", "nov", "dec"))},
               {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))})
CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                    "@hourly")


def _cron_number(text: str, names: Mapping[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def cron(value: str) -> str:
    """A five-field cron schedule (minute hour day-of-month month day-of-week: numbers in range,
    ``*``, ranges ``a-b``, steps ``/n``, lists ``a,b``, month and day names), or a descriptor
    (``@daily``...)."""
    if value.strip() in CRON_DESCRIPTORS or _CRON_EVERY.match(value.strip()):
        return value
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(f"{value!r} is not a five-field cron schedule")
    for text, (what, low, high), names in zip(fields, _CRON_FIELDS, _CRON_NAMES, strict=True):
        for part in text.split(","):
            body, slash, step = part.partition("/")
            try:
                if slash and (not step.isdigit() or int(step) < 1):
                    raise ValueError(step)
                if body == "*" or (body == "?" and what.startswith("day of")):
                    continue
                first, dash, last = body.partition("-")
                a = _cron_number(first, names)
                b = _cron_number(last, names) if dash else a
                if not low <= a <= b <= high:
                    raise ValueError(body)
            except ValueError:
                raise ValueError(f"{value!r}: {part!r} is not a {what} ({low}-{high})") from None
    return value


Cron = Annotated[str, AfterValidator(cron)]


# ---------------------------------------------------------------------------------------------
# AWS tags: at most 50 on a resource; keys 1-128 characters, never aws:*; values at most 256;
# letters, digits, spaces and _ . : / = + - @ only

AWS_MAX_TAGS = 50
_TAG_PUNCTUATION = set("_.:/=+-@")


def _tag_text(text: str) -> bool:
    return all(c in _TAG_PUNCTUATION or unicodedata.category(c)[0] in "LNZ" for c in text)


def aws_tag_key(key: str) -> str:
    if not 1 <= len(key) <= 128 or key.lower().startswith("aws:") or not _tag_text(key):
        raise ValueError(f"{key!r} is not an AWS tag key (1-128 letters, digits, spaces and "
                         f"_.:/=+-@, not starting with aws:)")
    return key


def aws_tag_value(value: str) -> str:
    if len(value) > 256 or not _tag_text(value):
        raise ValueError(f"{value!r} is not an AWS tag value (at most 256 letters, digits, "
                         f"spaces and _.:/=+-@)")
    return value


def aws_tags(tags: dict[str, str]) -> dict[str, str]:
    for key, value in tags.items():
        try:
            aws_tag_key(key)
            aws_tag_value(value)
        except ValueError as exc:
            raise Problem(key or '[""]', value, str(exc)) from None
    return tags


AwsTags = Annotated[dict[str, str], AfterValidator(aws_tags)]


# ---------------------------------------------------------------------------------------------
# Lists whose items become named resources (or keys): an item twice is refused


def unique(items: list[Any]) -> list[Any]:
    """Refuse a list with an item twice, naming the second one's index."""
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        key = json.dumps(item, sort_keys=True, default=str)
        if key in seen:
            raise Problem(f"[{i}]", item, f"listed twice (also [{seen[key]}])")
        seen[key] = i
    return items
