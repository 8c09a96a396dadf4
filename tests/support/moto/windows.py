"""Backup and maintenance windows, as RDS, DocumentDB and ElastiCache check them, and the
identifiers those services accept."""

from __future__ import annotations

import re

from tests.support.moto.core import require

# identifiers of RDS instances, snapshots, parameter groups; ElastiCache ids: a letter, then
# letters, digits and single hyphens, no hyphen at the end
AWS_IDENTIFIER = re.compile(r"^[a-zA-Z](?:-?[a-zA-Z0-9])*$")
WEEK_MINUTES = 7 * 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hhmm(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def window_minutes(window: str | None) -> set[int]:
    """The minutes of the week a window covers: ``hh:mm-hh:mm`` (daily) or
    ``ddd:hh:mm-ddd:hh:mm`` (weekly); empty when unset or malformed."""
    if not window or "-" not in window:
        return set()
    start, end = window.lower().split("-", 1)
    try:
        if start.count(":") == 2:
            a = WEEKDAYS.index(start[:3]) * 1440 + _hhmm(start[4:])
            b = WEEKDAYS.index(end[:3]) * 1440 + _hhmm(end[4:])
            return {m % WEEK_MINUTES for m in range(a, a + (b - a) % WEEK_MINUTES)}
        a, b = _hhmm(start), _hhmm(end)
    except ValueError:
        return set()
    return {(day * 1440 + a + m) % WEEK_MINUTES for day in range(7)
            for m in range((b - a) % 1440)}


def check_windows(backup: str | None, maintenance: str | None) -> None:
    """RDS, DocumentDB and ElastiCache refuse windows under 30 minutes and a backup window that
    overlaps the maintenance window."""
    daily, weekly = window_minutes(backup), window_minutes(maintenance)
    require(not backup or len(daily) >= 7 * 30, "InvalidParameterValue",
            f"The backup window {backup!r} must be at least 30 minutes")
    require(not maintenance or len(weekly) >= 30, "InvalidParameterValue",
            f"The maintenance window {maintenance!r} must be at least 30 minutes")
    require(not daily & weekly, "InvalidParameterCombination",
            f"The backup window {backup} and the maintenance window {maintenance} overlap")
