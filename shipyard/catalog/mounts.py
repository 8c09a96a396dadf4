"""A service's volume mounts as the workload makes them (an emptyDir at /tmp and at each
writable path, each secret's files, each used store's credentials) and the names of their
volumes: Kubernetes refuses two mounts at one path and two volumes of one name."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from shipyard.config.base import Problem

RFC1123 = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# A volume mount's path: absolute, plain characters, no '.'/'..' steps, no '//' or trailing '/'
_MOUNT_PATH = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")
SECRETS_ROOT = "/var/run/secrets/shipyard"
STORES_ROOT = f"{SECRETS_ROOT}/stores"
TMP = "/tmp"  # noqa: S108 - the container's own emptyDir, not the host's /tmp
# mounted by Kubernetes (the service account token) and EKS (IRSA's web identity token, Pod
# Identity's token)
RESERVED_MOUNTS = ("/var/run/secrets/kubernetes.io", "/var/run/secrets/eks.amazonaws.com",
                   "/var/run/secrets/pods.eks.amazonaws.com")


def mount_path(v: str) -> str:
    """A directory a catalog mounts: absolute, plain, and not one Kubernetes or EKS mounts."""
    if not _MOUNT_PATH.match(v) or any(step in (".", "..") for step in v.split("/")) \
            or len(v) > 1024:
        raise ValueError(f"{v!r} is not an absolute directory path (letters, digits, '_', '.', "
                         f"'-' between single '/', no '.' or '..' steps, no trailing '/')")
    for reserved in RESERVED_MOUNTS:
        # at or below the token directories (a directory above them is fine: the runtime
        # mounts a parent first)
        if nested(v, reserved):
            raise ValueError(f"{v!r}: {reserved} is mounted by Kubernetes or EKS")
    return v


def nested(path: str, parent: str) -> bool:
    """``path`` is ``parent`` or below it."""
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def writable_volume_name(path: str) -> str:
    """The emptyDir volume of a writable path, as its path reads (``/var/cache`` ->
    ``writable-var-cache``)."""
    return "writable" + path.replace("/", "-").replace("_", "-").replace(".", "-").lower()[:50]


def writable_volume_names(paths: Sequence[str]) -> list[str]:
    """The emptyDir volumes of a service's writable paths: each named as its path reads, or,
    where that is no DNS label or another path's already (``/app/data`` and ``/app-data``), by a
    hash of the path."""
    names: list[str] = []
    for path in paths:
        name = writable_volume_name(path)
        if not RFC1123.match(name) or name in names or name == "tmp":
            name = "writable-" + hashlib.sha256(path.encode()).hexdigest()[:10]
        names.append(name)
    return names


def secret_volume_name(name: str) -> str:
    return f"secret-{name}"[:63]


def store_volume_name(store: str) -> str:
    return f"store-{store}"[:63]


def store_mount_path(store: str) -> str:
    """Where a used store's credentials (its password file) are mounted."""
    return f"{STORES_ROOT}/{store}"


def secret_path(name: str, mount_path: str | None) -> str:
    """Where a secret's files are mounted."""
    return mount_path or f"{SECRETS_ROOT}/{name}"


def check_mounts(writable_paths: Sequence[str], secrets: Sequence[tuple[str, str | None]],
                 stores: Sequence[str]) -> None:
    """Kubernetes refuses two volumes of one name and two mounts at one path; a mount
    inside a read-only one (a secret's, a store's) cannot be created. The catalog's mounts
    (writable paths, secrets) are checked against each other and shipyard's own (/tmp,
    each used store's credentials)."""
    # (key in the catalog, or None for shipyard's own; path; volume; read-only)
    mounts: list[tuple[str | None, str, str, bool]] = [(None, TMP, "tmp", False)]
    mounts += [(f"writablePaths[{i}]", path, volume, False) for i, (path, volume) in
               enumerate(zip(writable_paths, writable_volume_names(writable_paths), strict=True))]
    mounts += [(f"secrets[{i}].mountPath" if path else f"secrets[{i}].name",
                secret_path(name, path), secret_volume_name(name), True)
               for i, (name, path) in enumerate(secrets)]
    mounts += [(None, store_mount_path(store), store_volume_name(store), True)
               for store in stores]

    def what(key: str | None, path: str) -> str:
        if key is not None:
            return f"{key} ({path})"
        return "/tmp" if path == TMP else \
            f"the credential mount of store {path.rsplit('/', 1)[1]!r} ({path})"

    for i, (key, path, volume, read_only) in enumerate(mounts):
        if key is None:
            continue
        value = path if key.endswith(("]", "mountPath")) else path.rsplit("/", 1)[1]
        if not RFC1123.match(volume):
            raise Problem(key, value, f"its volume name {volume!r} is not a DNS label")
        for j, (other_key, other, other_volume, other_ro) in enumerate(mounts):
            if j == i or (other_key is not None and j > i):
                continue  # two catalog mounts: the later one is the one refused
            if path == other:
                raise Problem(key, value, f"{what(other_key, other)} is mounted at {path}")
            if volume == other_volume:
                raise Problem(key, value, f"its volume name {volume!r} is also "
                                          f"{what(other_key, other)}'s")
            if other_ro and nested(path, other):
                raise Problem(key, value, f"{path} is inside {what(other_key, other)}, "
                                          f"a read-only mount")
            if read_only and nested(other, path):
                raise Problem(key, value, f"{what(other_key, other)} is inside {path}, "
                                          f"a read-only mount")
