"""``shipyard:accessLogs``: who read and wrote the stack's data, kept in one log bucket."""

from __future__ import annotations

from pydantic import Field

from shipyard.config.base import Int, Model


class AccessLogSettings(Model):
    """S3 server access logs of every data bucket (the applications' stores, Velero's backups,
    Loki's and Tempo's buckets, the CDNs' assets) and CloudFront's access logs, in the stack's
    access-log bucket."""

    enabled: bool = Field(
        True, description="Keep S3 server access logs of the data buckets and CloudFront access "
                          "logs (standard logging v2) in an access-log bucket (costs its "
                          "storage and CloudFront's log delivery).")
    retention_days: Int = Field(365, ge=1, le=3650,
                                description="Days the access-log bucket keeps a log object.")
