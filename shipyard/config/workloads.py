"""``shipyard:workloads``: how the applications' workloads run."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from shipyard.catalog.services import cpu_millis, memory_bytes
from shipyard.config.base import Float, Model
from shipyard.rules.requests import Sizing

# What a setting may write as a request (read with the catalog's own parsers, cpu_millis and
# memory_bytes): millicores or cores; bytes, decimal or binary suffixes
CPU_QUANTITY = re.compile(r"^(\d+m|\d+(\.\d+)?)$")
MEMORY_QUANTITY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|K|M|G)?$")


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
        if not CPU_QUANTITY.match(str(v)) or cpu_millis(str(v)) < 1:
            raise ValueError(f"{v!r} is not a CPU quantity of at least 1m (25m, 0.05)")
        return str(v)

    @property
    def floor_millicores(self) -> int:
        return cpu_millis(self.floor)


class MemoryRequestSettings(Model):
    """How this environment sizes the applications' memory requests against their catalogs'
    (the seeds' production figures): shipyard/rules/requests.py."""

    scale: Float = Field(
        1.0, gt=0, le=1,
        description="Each service container's memory request is this times its catalog's, "
                    "rounded up to a MiB, never under floor nor over the catalog's; limits stay "
                    "the catalog's, and an autoscaler's memory target is restated so that it "
                    "scales at the same memory per pod as with the catalog's requests. 1: the "
                    "catalog's requests.")
    floor: str = Field(
        "64Mi", description="The least a scaled memory request becomes (a memory quantity: "
                            "64Mi); a catalog's request under it stays as it is.")

    @field_validator("floor")
    @classmethod
    def _floor(cls, v: str) -> str:
        if not MEMORY_QUANTITY.match(str(v)) or memory_bytes(str(v)) < 2**20:
            raise ValueError(f"{v!r} is not a memory quantity of at least 1Mi (64Mi, 0.5Gi)")
        return str(v)

    @property
    def floor_bytes(self) -> int:
        return memory_bytes(self.floor)


def sizing(cpu: CpuRequestSettings, memory: MemoryRequestSettings) -> Sizing:
    """The rule's terms (shipyard/rules/requests.py) from a section's two settings."""
    return Sizing(cpu_scale=cpu.scale, cpu_floor=cpu.floor_millicores,
                  memory_scale=memory.scale, memory_floor=memory.floor_bytes)


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
    memory_requests: MemoryRequestSettings = Field(
        default_factory=MemoryRequestSettings,
        description="The services' memory requests in this environment, against their "
                    "catalogs'.")

    @property
    def sizing(self) -> Sizing:
        return sizing(self.cpu_requests, self.memory_requests)
