"""The moto mocks' registry of handlers and their error type, and the shape helpers every
service uses: Pulumi's camelCase inputs -> boto3's request shapes."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

# Pulumi type token -> name of the MotoMocks method that creates it (filled by @handles).
HANDLERS: dict[str, str] = {}


def handles(*types: str) -> Callable[[Callable], Callable]:
    """Register a ``MotoMocks`` method as the creator of these Pulumi resource types."""

    def register(method: Callable) -> Callable:
        for typ in types:
            HANDLERS[typ] = method.__name__
        return method

    return register


class MotoResourceError(Exception):
    """AWS (as moto emulates it) refused to create a resource, as ``pulumi up`` would report."""

    def __init__(self, resource_type: str, resource_name: str, code: str, message: str) -> None:
        self.resource_type = resource_type
        self.resource_name = resource_name
        self.code = code
        self.aws_message = message
        super().__init__(f"creating {resource_type} {resource_name!r}: {code}: {message}")


class _Invalid(Exception):
    """A check AWS makes that moto does not; raised by handlers, reported as MotoResourceError."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(f"{code}: {message}")


def require(condition: object, code: str, message: str) -> None:
    if not condition:
        raise _Invalid(code, message)


def tag_list(tags: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": k, "Value": str(v)} for k, v in sorted((tags or {}).items())]


def tag_specs(resource_type: str, tags: Mapping[str, str] | None) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tag_list(tags)}] if tags else []


def drop_none(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None and v != [] and v != {}}


def as_json(document: Any) -> str:
    """Policy inputs are JSON strings, or objects when a program passes a dict."""
    return document if isinstance(document, str) else json.dumps(document)


def integral(value: Any) -> Any:
    """Pulumi hands numbers over as floats (protobuf Struct); boto3 wants ints where AWS does."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value


SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


def revealed(value: Any) -> Any:
    """Inputs with Pulumi's secret wrappers (``{SIG: SECRET, "value": v}``) replaced by ``v``:
    what the provider sends AWS."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG[0]) == SECRET_SIG[1]:
            return revealed(value.get("value"))
        return {k: revealed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [revealed(v) for v in value]
    return value


def as_bool(value: Any) -> bool:
    """The AWS provider types some booleans as strings ("true")."""
    return value.lower() == "true" if isinstance(value, str) else bool(value)


@contextlib.contextmanager
def one_rsa_key_per_size() -> Iterator[None]:
    """moto makes a fresh 2048-bit RSA key for every KMS key (for its Sign/Verify, even a
    symmetric key gets one) and every ACM certificate: ~50 ms each, a second of every
    deployment. Nothing here signs or verifies, so one key per size and exponent serves them
    all while this is active."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    generate = rsa.generate_private_key

    @functools.cache
    def reused(public_exponent: int, key_size: int, backend: Any = None) -> Any:
        return generate(public_exponent=public_exponent, key_size=key_size)

    rsa.generate_private_key = reused
    try:
        yield
    finally:
        rsa.generate_private_key = generate
