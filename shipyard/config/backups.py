"""``shipyard:backups``: Velero backups of the tenants."""

from __future__ import annotations

from pydantic import Field

from shipyard.config.base import Cron, Int, Model


class BackupSettings(Model):
    """Velero: the tenants' namespaces and volumes, to a versioned, encrypted S3 bucket."""

    enabled: bool = Field(True, description="Install Velero and its schedule.")
    schedule: Cron = Field("0 */6 * * *", description="Cron schedule of the tenants' backup "
                                                     "(seed 001: every 6 hours).")
    retention_days: Int = Field(30, ge=1, le=3650, description="How long a backup is kept.")
