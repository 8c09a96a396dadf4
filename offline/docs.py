"""The configuration reference (docs/configuration.md), generated from the settings models and
the defaults.

    python -m offline.docs          # print the table
    python -m offline.docs --write  # replace it in docs/configuration.md

Each key's accepted values come from the models' metadata: the bounds, lengths and patterns of
its ``Field`` and of the annotated types it uses (``base.Int32``...), the values of a
``Literal`` or an enum, and the shared value types of ``shipyard.config.base``, each named by
the short meaning ``SHARED`` gives its validator. A test fails when docs/configuration.md and
this output differ, so the reference cannot go stale.
"""

from __future__ import annotations

import enum
import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, PlainValidator, WrapValidator
from pydantic.fields import FieldInfo

from shipyard.config import base
from shipyard.config.base import INT32_MAX, NAMESPACE
from shipyard.config.load import parse_settings
from shipyard.config.stack import Environment, StackConfig

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
# Keys with no default that every stack must set; the reference shows them as "required".
REQUIRED = {"addons": {"certManager": {"acmeEmail": "ops@example.com"}},
            "dns": {"parentZoneId": "ZPARENT"}}
START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"
INT32_MIN = -INT32_MAX - 1
VALIDATORS = (AfterValidator, BeforeValidator, PlainValidator, WrapValidator)

# What each shared value type of shipyard.config.base accepts, keyed by its validator; "" for
# a validator the type column already says (a boolean is never a number). A validator not
# listed here is described by its docstring's first sentence (tests/test_docs.py asserts every
# validator of a type in base.py is listed).
SHARED: dict[Callable[..., Any], str] = {
    base.not_bool: "",
    base.hostname: "hostname",
    base.ipv4_network: "IPv4 CIDR",
    base.iam_arns: "IAM role/user ARNs",
    base.dns_label: "RFC 1123 label (≤ 63)",
    base.wildcard_hostname: "hostname or `*.`hostname",
    base.label_key: "Kubernetes label key ([prefix/]name, name ≤ 63)",
    base.label_value: "Kubernetes label value (≤ 63)",
    base.header_name: "HTTP header name",
    base.email: "e-mail address",
    base.cron: "cron schedule (5 fields, or @daily…)",
    base.aws_tag_key: "AWS tag key (1–128, not `aws:*`)",
    base.aws_tag_value: "AWS tag value (≤ 256)",
    base.aws_tags: f"AWS tags: ≤ {base.AWS_MAX_TAGS}, key 1–128 not `aws:*`, value ≤ 256",
    base.unique: "no item twice",
}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found:
            return found
    return None


def _unwrap(annotation: Any, metadata: Iterable[Any] = ()) -> tuple[Any, list[Any]]:
    """The type under ``Annotated[...]`` and its metadata, with ``metadata`` (the field's)."""
    found = list(metadata)
    while typing.get_origin(annotation) is Annotated:
        found.extend(annotation.__metadata__)
        annotation = annotation.__origin__
    # a Field(...) inside Annotated (base.Int32's) holds its bounds in its own metadata
    flat = [m for item in found for m in (item.metadata if isinstance(item, FieldInfo) else [item])]
    return annotation, flat


def _type_name(annotation: Any) -> str:
    annotation, _ = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(dict.fromkeys(type(a).__name__ for a in args))
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in args if a is not type(None)) + " (optional)"
    if origin in (list, dict, set, tuple):
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in args)}]"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " \\| ".join(dict.fromkeys(type(m.value).__name__ for m in annotation))
    return getattr(annotation, "__name__", str(annotation))


def _describe(func: Callable[..., Any]) -> str:
    """What a validator accepts: SHARED's words, else its docstring's first sentence."""
    if func in SHARED:
        return SHARED[func]
    doc = inspect.getdoc(func)
    if doc:
        return re.split(r"[.:](\s|$)", doc.strip(), maxsplit=1)[0]
    name = getattr(func, "__name__", "")
    return name.replace("_", " ") if name.isidentifier() and name[0] != "_" else ""


def _number(value: Any) -> str:
    return str(value).replace("-", "−")


def _bounds(metadata: list[Any]) -> str:
    """The tightest range the metadata's gt/ge/lt/le allow: ``1–1000``, ``≥ 0``, ``int32``."""
    low: tuple[Any, bool] | None = None     # (bound, inclusive)
    high: tuple[Any, bool] | None = None
    for item in metadata:
        for attr, inclusive in (("ge", True), ("gt", False)):
            value = getattr(item, attr, None)
            if value is not None and (low is None or (value, not inclusive) > (low[0], not low[1])):
                low = (value, inclusive)
        for attr, inclusive in (("le", True), ("lt", False)):
            value = getattr(item, attr, None)
            if value is not None and (high is None or (value, inclusive) < (high[0], high[1])):
                high = (value, inclusive)
    int32 = False
    if low == (INT32_MIN, True):
        low, int32 = None, True
    if high == (INT32_MAX, True):
        high, int32 = None, True
    if low and high and low[1] and high[1]:
        text = f"{_number(low[0])}–{_number(high[0])}"
    else:
        text = ", ".join(([f"{'≥' if low[1] else '>'} {_number(low[0])}"] if low else [])
                         + ([f"{'≤' if high[1] else '<'} {_number(high[0])}"] if high else []))
    if int32:
        text = f"{text} (int32)" if text else "int32"
    return text


def _lengths(metadata: list[Any], unit: str) -> str:
    low = max((m.min_length for m in metadata if getattr(m, "min_length", None)), default=0)
    high = min((m.max_length for m in metadata if getattr(m, "max_length", None) is not None),
               default=None)
    if high is None:
        return "non-empty" if low == 1 else (f"≥ {low} {unit}" if low else "")
    return f"{low}–{high} {unit}" if low else f"≤ {high} {unit}"


def _values(values: Iterable[Any]) -> str:
    return " | ".join(str(v) for v in values)


def accepted(annotation: Any, metadata: Iterable[Any] = ()) -> str:
    """What a field of this type and metadata accepts, in a few words; "" when its type says
    it all. Generic over the metadata, so a new bound, pattern or shared type shows up."""
    annotation, meta = _unwrap(annotation, metadata)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        arms = [accepted(a, meta) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(a for a in arms if a))
    parts: list[str] = []
    if origin is typing.Literal:
        parts.append(_values(args))
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        parts.append(_values(m.value for m in annotation))
    parts.append(_bounds(meta))
    container = origin in (list, set, tuple, dict)
    parts.append(_lengths(meta, "items" if container else "characters"))
    parts.extend(f"pattern `{m.pattern}`" for m in meta if getattr(m, "pattern", None))
    parts.extend(f"multiple of {_number(m.multiple_of)}" for m in meta
                 if getattr(m, "multiple_of", None) is not None)
    parts.extend(_describe(m.func) for m in meta if isinstance(m, VALIDATORS))
    if origin in (list, set, tuple) and args:
        item = accepted(args[0])
        parts.append(f"each: {item}" if item else "")
    elif origin is dict and len(args) == 2:
        key, value = accepted(args[0]), accepted(args[1])
        parts.extend([f"keys: {key}" if key else "", f"values: {value}" if value else ""])
    return "; ".join(dict.fromkeys(p for p in parts if p))


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        allowed = accepted(field.annotation, field.metadata).replace("|", "\\|")
        rows.append((key, _type_name(field.annotation), allowed, field.description or ""))
        nested = _model_in(field.annotation)
        if nested is not None and nested is not StackConfig:
            rows.extend(_rows(nested, key + "."))
    return rows


def _value_at(data: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "…" if value else "`{}`"
    return "`" + json.dumps(value) + "`" if value is not None else "—"


def reference() -> str:
    effective = {
        env.value: parse_settings(REQUIRED, project="shipyard", stack=env.value,
                                  region="us-east-1")
        .config.model_dump(by_alias=True, mode="json")
        for env in Environment
    }
    lines = [
        "| key | type | accepted | dev | staging | prod | description |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, type_name, allowed, description in _rows(StackConfig, ""):
        defaults = [_show(_value_at(effective[env.value], key)) for env in Environment]
        if key == "environment":
            defaults = ["the stack name"] * 3
        if _value_at(REQUIRED, key) is not None:
            defaults = ["**required**"] * 3
        lines.append(f"| `{NAMESPACE}:{key}` | {type_name} | {allowed} | "
                     + " | ".join(defaults) + f" | {description} |")
    return "\n".join(lines)


def write_reference(path: Path = REFERENCE) -> None:
    text = path.read_text()
    block = f"{START}\n{reference()}\n{END}"
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    path.write_text(new)


def reference_block(path: Path = REFERENCE) -> str:
    match = re.search(re.escape(START) + "\n(.*?)\n" + re.escape(END), path.read_text(), re.S)
    return match.group(1) if match else ""


if __name__ == "__main__":
    if "--write" in sys.argv:
        write_reference()
    else:
        print(reference())
