"""What the no-plaintext-secrets policy (``shipyard_policies``) looks for: a string under a key
that names a password, secret, token or private key, and is not a Pulumi secret; and a
Kubernetes Secret's entries that are not secrets."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from policy_values import UNKNOWNS, is_list
from pulumi_policy import Secret
from pulumi_policy.proxy import UnknownValueError

SENSITIVE_WORDS = frozenset({"password", "passwd", "passphrase", "secret", "token",
                             "kubeconfig", "credentials"})
SENSITIVE_PAIRS = (("private", "key"), ("api", "key"))
# A key ending in one of these names or points to a secret; it does not hold one
# (privateKeySecretRef, secretName, masterUserSecretKmsKeyId, tokenUrl, ...).
REFERENCE_WORDS = frozenset({"ref", "refs", "name", "names", "arn", "arns", "id", "ids",
                             "selector", "namespace", "path", "file", "type", "url", "uri",
                             "endpoint", "template", "mount", "version"})
# Keys known to name a Secret rather than hold one (prometheus-operator's Alertmanager spec).
REFERENCE_KEYS = frozenset({"configSecret"})
# Maps whose keys are free-form names, not input names.
FREE_FORM_KEYS = frozenset({"labels", "annotations", "tags", "tagsAll", "defaultTags"})
K8S_SECRET = "kubernetes:core/v1:Secret"


def key_words(key: str) -> list[str]:
    """``masterUserPassword`` -> ``["master", "user", "password"]`` (also snake and kebab)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def is_sensitive_key(key: str) -> bool:
    words = key_words(key)
    if not words or words[-1] in REFERENCE_WORDS:
        return False
    # Helm's convention for an existing Secret: ``existingSecret`` (``usersExistingSecret``)
    # names it, ``passwordKey`` /
    # ``userKey`` / ``secretKey`` name the entries in it
    if "existing" in words or key in REFERENCE_KEYS or (
            len(words) >= 2 and words[-1] == "key" and
            words[-2] in ("password", "user", "secret", "token")):
        return False
    pairs = set(zip(words, words[1:], strict=False))
    return bool(SENSITIVE_WORDS & set(words)) or any(p in pairs for p in SENSITIVE_PAIRS)


def plaintext_secrets(value: Any, path: tuple[str, ...] = ()) -> Iterator[str]:
    """Dotted paths of string values under a sensitive-looking key that are not secrets.
    Values not known yet are skipped (they are checked again when they are)."""
    if isinstance(value, Secret):
        return
    if isinstance(value, Mapping):
        for key in value:
            if key in FREE_FORM_KEYS:
                continue
            try:
                child = value[key]
            except UnknownValueError:
                continue
            if isinstance(child, str) and child and child not in UNKNOWNS and \
                    is_sensitive_key(str(key)):
                yield ".".join((*path, str(key)))
            else:
                yield from plaintext_secrets(child, (*path, str(key)))
    elif is_list(value):
        for i in range(len(value)):
            try:
                child = value[i]
            except UnknownValueError:
                continue
            yield from plaintext_secrets(child, (*path, str(i)))


def plaintext_entries(props: Any) -> Iterator[str]:
    """A Kubernetes Secret's data and stringData entries that are not secrets."""
    for field in ("data", "stringData"):
        try:
            entries = props[field] if field in props else None
        except UnknownValueError:
            continue
        if not isinstance(entries, Mapping):  # absent, or secret as a whole
            continue
        for key in entries:
            try:
                value = entries[key]
            except UnknownValueError:
                continue
            if not isinstance(value, Secret):
                yield f"{field}.{key}"
