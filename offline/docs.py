"""The configuration reference (docs/configuration.md), generated from the settings models and
the defaults.

    python -m offline.docs          # print the table
    python -m offline.docs --write  # replace it in docs/configuration.md

A test fails when docs/configuration.md and this output differ, so the reference cannot go
stale.
"""

from __future__ import annotations

import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shipyard.config.base import NAMESPACE
from shipyard.config.load import parse_settings
from shipyard.config.stack import Environment, StackConfig

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
# Keys with no default that every stack must set; the reference shows them as "required".
REQUIRED = {"addons": {"certManager": {"acmeEmail": "ops@example.com"}},
            "dns": {"parentZoneId": "ZPARENT"}}
START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found:
            return found
    return None


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in args if a is not type(None)) + " (optional)"
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in args)}]"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    if isinstance(annotation, type) and issubclass(annotation, Environment.__mro__[1]):
        return " \\| ".join(m.value for m in annotation)  # type: ignore[attr-defined]
    return getattr(annotation, "__name__", str(annotation))


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        nested = _model_in(field.annotation)
        if nested is not None and nested is not StackConfig:
            rows.append((key, _type_name(field.annotation), field.description or ""))
            rows.extend(_rows(nested, key + "."))
        else:
            rows.append((key, _type_name(field.annotation), field.description or ""))
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
        "| key | type | dev | staging | prod | description |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key, type_name, description in _rows(StackConfig, ""):
        defaults = [_show(_value_at(effective[env.value], key)) for env in Environment]
        if key == "environment":
            defaults = ["the stack name"] * 3
        if _value_at(REQUIRED, key) is not None:
            defaults = ["**required**"] * 3
        lines.append(f"| `{NAMESPACE}:{key}` | {type_name} | " + " | ".join(defaults)
                     + f" | {description} |")
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
