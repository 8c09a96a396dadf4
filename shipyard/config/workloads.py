"""``shipyard:workloads``: how the applications' workloads run."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shipyard.config.base import Model


class WorkloadSettings(Model):
    await_rollouts: bool = Field(
        True, description="`pulumi up` waits for every Deployment's rollout (and fails when one "
                          "fails); false for a first bring-up before CI has pushed the images.")
    zone_spread: Literal["DoNotSchedule", "ScheduleAnyway"] = Field(
        "DoNotSchedule", description="Topology spread over zones: DoNotSchedule keeps a zone's "
                                     "loss from taking more than its share of pods.")
