"""``shipyard:workloads``: how the applications' workloads run."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from shipyard.config.base import Float, Model

_CPU = re.compile(r"^(\d+m|\d+(\.\d+)?)$")


def millicores(quantity: str) -> int:
    return int(quantity[:-1]) if quantity.endswith("m") else round(float(quantity) * 1000)


class CpuRequestSettings(Model):
    """How this environment sizes the applications' CPU requests against their catalogs' (the
    seeds' production figures): shipyard/rules/requests.py."""

    scale: Float = Field(
        1.0, gt=0, le=1,
        description="Each service container's CPU request is this times its catalog's, rounded "
                    "up to a millicore, never under floor nor over the catalog's; limits stay "
                    "the catalog's, and an autoscaler's CPU target is restated so that it "
                    "scales at the same CPU per pod as with the catalog's requests. 1: the "
                    "catalog's requests.")
    floor: str = Field(
        "25m", description="The least a scaled CPU request becomes (a CPU quantity: 25m, 0.05); "
                           "a catalog's request under it stays as it is.")

    @field_validator("floor")
    @classmethod
    def _floor(cls, v: str) -> str:
        if not _CPU.match(str(v)) or millicores(str(v)) < 1:
            raise ValueError(f"{v!r} is not a CPU quantity of at least 1m (25m, 0.05)")
        return str(v)

    @property
    def floor_millicores(self) -> int:
        return millicores(self.floor)


class WorkloadSettings(Model):
    await_rollouts: bool = Field(
        True, description="`pulumi up` waits for every Deployment's rollout (and fails when one "
                          "fails); false for a first bring-up before CI has pushed the images.")
    zone_spread: Literal["DoNotSchedule", "ScheduleAnyway"] = Field(
        "DoNotSchedule", description="Topology spread over zones: DoNotSchedule keeps a zone's "
                                     "loss from taking more than its share of pods.")
    cpu_requests: CpuRequestSettings = Field(
        default_factory=CpuRequestSettings,
        description="The services' CPU requests in this environment, against their catalogs'.")
