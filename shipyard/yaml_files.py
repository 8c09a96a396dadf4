"""Reading a YAML input the way every shipyard input is read (``Pulumi.yaml``, the stack files,
the catalogs): UTF-8 text, one document, safe tags only, no key written twice. Anything else is a
``YamlFileError`` of one line, ``FILE:LINE:COLUMN: what``, that never quotes the file (a stack
file's ``secure:`` ciphertext has no business in an error)."""

from __future__ import annotations

from typing import Any

import yaml

# libyaml's parser where PyYAML was built with it (the catalogs are read on every run)
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlFileError(ValueError):
    """A file that is not one YAML document of safe, unambiguous data."""


class UniqueKeyLoader(_SafeLoader):
    """YAML that refuses a key written twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            try:
                duplicate = key in seen
            except TypeError:           # a list or a mapping as a key
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be a scalar, not {type(key).__name__}",
                    key_node.start_mark) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} written twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_error(label: str, exc: yaml.YAMLError) -> YamlFileError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{label}:{mark.line + 1}:{mark.column + 1}" if mark is not None else label
    problem = getattr(exc, "problem", None) or type(exc).__name__
    context = getattr(exc, "context", None)
    return YamlFileError(f"{where}: invalid YAML: {problem}"
                         + (f" ({context})" if context else ""))


def parse(data: bytes, label: str) -> Any:
    """The one YAML document in ``data`` (None when empty); ``label`` names the file in errors."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise YamlFileError(f"{label}:{line}: not UTF-8 text (byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise _yaml_error(label, exc) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # PyYAML's constructors: a timestamp out of range, say
        raise YamlFileError(f"{label}: invalid YAML: {type(exc).__name__}: {exc}") from None
