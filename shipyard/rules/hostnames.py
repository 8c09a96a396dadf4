"""Hostnames: how a name given in config becomes a full one, which names the shared Gateway's
HTTPS listeners carry, and which listener pattern serves a name. The settings checks and the
ingress, CDN and DNS components all answer these questions here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def canonical(name: str) -> str:
    """Lower-case, without the root's dot."""
    return name.lower().rstrip(".")


def full_name(name: str, domain: str | None) -> str:
    """A name as config gives it: a label under ``domain`` (the stack's dns.domain), or the full
    name given (anything with a dot, or any name when there is no domain)."""
    if "." in name or not domain:
        return name
    return f"{name}.{domain}"


def matches(host: str, pattern: str) -> bool:
    """Whether a listener's hostname ``pattern`` serves ``host``: the same name, or a
    wildcard exactly one label above it (``*.example.com`` serves ``a.example.com``, not
    ``example.com`` nor ``a.b.example.com``)."""
    host, pattern = canonical(host), canonical(pattern)
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return host == pattern


def served(host: str, patterns: Iterable[str]) -> bool:
    return any(matches(host, p) for p in patterns)


def in_zone(zone_name: str, name: str) -> bool:
    """Whether ``name`` lives in the zone ``zone_name`` (trailing dots and case ignored)."""
    zone, name = canonical(zone_name), canonical(name)
    return name == zone or name.endswith(f".{zone}")


def wildcard_certificate(*, cert_manager: bool, issuer: str, solver: str) -> bool:
    """The Gateway gets ``*.domain`` unless its certificates come from ACME over HTTP-01,
    which cannot issue wildcards: then each hostname gets a listener of its own."""
    return not (cert_manager and issuer != "selfsigned" and solver == "http01")


def gateway_hostnames(configured: Sequence[str], domain: str | None, *, wildcard: bool,
                      hosts: Iterable[str] = ()) -> list[str]:
    """The shared Gateway's HTTPS listener hostnames: the configured ones
    (``addons.ingress.hostnames``); else the domain and ``*.domain`` (a wildcard
    certificate); else, without a wildcard, the domain and each of ``hosts`` (the served
    applications' and UIs' names), a listener and certificate each. Empty without a domain."""
    if configured:
        return [canonical(h) for h in configured]
    if not domain:
        return []
    domain = canonical(domain)
    if wildcard:
        return [domain, f"*.{domain}"]
    out = [domain]
    for host in hosts:
        if host not in out:
            out.append(host)
    return out
