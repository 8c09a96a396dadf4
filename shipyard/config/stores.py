"""``shipyard:stores``: where and how the applications' data stores run."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from shipyard.config.base import Float, Int, Model
from shipyard.config.network import retention_period
from shipyard.config.workloads import CpuRequestSettings, MemoryRequestSettings, sizing
from shipyard.rules.requests import Sizing

StoreBackend = Literal["inCluster", "managed"]
# Where a managed store runs: one per engine for the stack, shared by the applications (a
# database and a user per consuming service), or one per application that declares it.
Placement = Literal["shared", "perApplication"]
# What a managed store's size names: its AWS service's instance-class prefix.
SIZE_PREFIX = {"postgresql": "db.", "mysql": "db.", "mongodb": "db.", "redis": "cache.",
               "rabbitmq": "mq."}
DEFAULT_SIZES = {"postgresql": "db.t4g.medium", "mysql": "db.t4g.medium",
                 "mongodb": "db.t4g.medium", "redis": "cache.t4g.small",
                 "rabbitmq": "mq.m7g.medium"}
# What RDS takes (CreateDBInstance): Performance Insights keeps 7 days (free), a number of
# 31-day months (1-23) or 731 days; Enhanced Monitoring samples every 1, 5, 10, 15, 30 or 60 s
# (0: off).
PERFORMANCE_INSIGHTS_RETENTION = (7, *(31 * m for m in range(1, 24)), 731)
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)


class PerformanceInsightsSettings(Model):
    """RDS Performance Insights (CloudWatch Database Insights' standard mode), encrypted with
    the stores' KMS key."""

    enabled: bool = Field(True, description="Performance Insights on every RDS database "
                                            "(PostgreSQL, MySQL).")
    retention_days: Int = Field(
        31, description="Days its data is kept: 7 (free), a number of 31-day months (31 to "
                        "713, charged per vCPU and month) or 731.")

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v not in PERFORMANCE_INSIGHTS_RETENTION:
            raise ValueError("RDS keeps Performance Insights 7 days, a number of 31-day months "
                             "(31, 62, ... 713) or 731 days")
        return v


class StoreSettings(Model):
    """One store kind's backend and size. Unset values come from the environment's defaults
    (shipyard/config/defaults.py) and the pinned engine versions (shipyard/versions.py)."""

    backend: StoreBackend | None = Field(
        None, description="inCluster or managed; unset: stores.backend.")
    version: str | None = Field(
        None, description="Engine version (major, or major.minor); unset: the pinned one.")
    size: str | None = Field(
        None, description="managed: the instance class or node type (db.*, cache.*, mq.*); "
                          "unset: the smallest sensible (db.t4g.medium, cache.t4g.small, "
                          "mq.m7g.medium).")
    storage_gi: Int = Field(20, ge=1, le=16384,
                            description="Volume per instance (in-cluster) or allocated storage "
                                        "(RDS), GiB.")
    max_storage_gi: Int = Field(200, ge=1, le=65536,
                                description="RDS storage autoscaling ceiling, GiB.")
    instances: Int = Field(1, ge=1, le=9, description="Members: in-cluster replicas, "
                                                      "DocumentDB instances, cache nodes.")


class StoreCpuRequests(CpuRequestSettings):
    """How this environment sizes the in-cluster stores' CPU requests against shipyard's own
    (shipyard/rules/requests.py)."""

    scale: Float = Field(
        1.0, gt=0, le=1,
        description="in-cluster: each container of a store's pods (the engine, its agent or "
                    "exporter, their init containers) asks this times shipyard's CPU request, "
                    "rounded up to a millicore, never under floor nor over shipyard's; limits "
                    "stay. 1: shipyard's requests.")
    floor: str = Field(
        "10m", description="The least a scaled CPU request becomes (a CPU quantity: 10m, 0.01).")


class StoreMemoryRequests(MemoryRequestSettings):
    """How this environment sizes the in-cluster stores' memory requests against shipyard's own
    (shipyard/rules/requests.py)."""

    scale: Float = Field(
        1.0, gt=0, le=1,
        description="in-cluster: each container of a store's pods asks this times shipyard's "
                    "memory request, rounded up to a MiB, never under floor nor over "
                    "shipyard's; limits stay (shipyard's requests equal the limits of "
                    "PostgreSQL, MySQL and RabbitMQ, whose memory is not given back: below "
                    "them the scheduler may place pods whose use the node cannot hold, which "
                    "only a small, lightly used environment should accept). 1: shipyard's "
                    "requests.")
    floor: str = Field(
        "16Mi", description="The least a scaled memory request becomes (a memory quantity: "
                            "16Mi).")


class StoresSettings(Model):
    """Where the applications' data stores run: in the cluster (operators, volumes on the
    encrypted gp3 class) or on AWS (RDS, ElastiCache, Amazon MQ, DocumentDB). Object storage
    is S3 everywhere."""

    backend: StoreBackend = Field(
        "managed", description="inCluster or managed, for every kind without its own backend.")
    placement: Placement = Field(
        "shared", description="managed: shared runs one store per engine for the stack (one "
                              "RDS PostgreSQL, one MySQL, one DocumentDB, one ElastiCache, one "
                              "Amazon MQ), with a database and a user per consuming service; "
                              "perApplication one per application that declares it. An "
                              "application may choose its own (storePlacement in its catalog or "
                              "shipyard:applications.NAME). In-cluster stores are always the "
                              "application's own.")
    multi_az: bool = Field(True, description="managed: standbys in other zones (RDS Multi-AZ, "
                                             "ElastiCache failover, Amazon MQ cluster).")
    backup_retention_days: Int = Field(30, ge=1, le=35,
                                       description="Automated backups kept (AWS allows 1-35).")
    backup_window: str = Field("03:00-04:00", description="Daily backup window, UTC.")
    maintenance_window: str = Field("sun:04:30-sun:05:30",
                                    description="Weekly maintenance window, UTC.")
    performance_insights: PerformanceInsightsSettings = Field(
        default_factory=PerformanceInsightsSettings,
        description="managed: RDS Performance Insights.")
    monitoring_interval: Int = Field(
        60, description="managed: seconds between RDS Enhanced Monitoring's OS samples (1, 5, "
                        "10, 15, 30 or 60; 0: off). Its samples go to CloudWatch Logs' "
                        "RDSOSMetrics group, billed as log ingestion.")
    slow_query_ms: Int = Field(
        2000, ge=50, le=3_600_000,
        description="managed: a statement that runs longer is logged: PostgreSQL's "
                    "log_min_duration_statement, MySQL's slow query log (long_query_time), "
                    "DocumentDB's profiler (profiler_threshold_ms).")
    log_statement: Literal["none", "ddl", "mod", "all"] = Field(
        "ddl", description="managed PostgreSQL: statements logged whatever their duration "
                           "(log_statement: none, ddl, mod or all).")
    log_retention_days: Int = Field(
        365, description="managed: days the databases' exported logs are kept (their "
                         "CloudWatch log groups, which shipyard creates, KMS-encrypted).")
    storage_class: str = Field(
        "gp3", pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description="in-cluster: the StorageClass of the stores' volumes (eks: shipyard's "
                    "encrypted gp3; an existing cluster: its own, `standard` by default).")
    cpu_requests: StoreCpuRequests = Field(
        default_factory=StoreCpuRequests,
        description="The in-cluster stores' CPU requests in this environment, against "
                    "shipyard's.")
    memory_requests: StoreMemoryRequests = Field(
        default_factory=StoreMemoryRequests,
        description="The in-cluster stores' memory requests in this environment, against "
                    "shipyard's.")
    postgresql: StoreSettings = Field(default_factory=StoreSettings, description="PostgreSQL.")
    mysql: StoreSettings = Field(default_factory=StoreSettings, description="MySQL.")
    mongodb: StoreSettings = Field(default_factory=StoreSettings,
                                   description="MongoDB (DocumentDB when managed).")
    redis: StoreSettings = Field(default_factory=StoreSettings,
                                 description="Redis (Valkey; ElastiCache when managed).")
    rabbitmq: StoreSettings = Field(default_factory=StoreSettings,
                                    description="RabbitMQ (Amazon MQ when managed).")

    @field_validator("monitoring_interval")
    @classmethod
    def _interval(cls, v: int) -> int:
        if v not in MONITORING_INTERVALS:
            raise ValueError(f"RDS Enhanced Monitoring samples every "
                             f"{', '.join(map(str, MONITORING_INTERVALS[1:]))} s, or 0 (off)")
        return v

    @field_validator("log_retention_days")
    @classmethod
    def _log_retention(cls, v: int) -> int:
        return retention_period(v)

    @field_validator("backup_window")
    @classmethod
    def _window(cls, v: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", v):
            raise ValueError(f"{v!r} is not a window hh:mm-hh:mm (UTC)")
        return v

    @field_validator("maintenance_window")
    @classmethod
    def _maintenance(cls, v: str) -> str:
        day = r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d"
        if not re.fullmatch(f"{day}-{day}", v):
            raise ValueError(f"{v!r} is not a window ddd:hh:mm-ddd:hh:mm (UTC)")
        return v

    @property
    def sizing(self) -> Sizing:
        """The in-cluster stores' containers' requests against shipyard's
        (``shipyard.rules.requests``)."""
        return sizing(self.cpu_requests, self.memory_requests)

    def kind(self, kind: str) -> StoreSettings:
        return getattr(self, kind)

    def size_of(self, kind: str) -> str:
        return self.kind(kind).size or DEFAULT_SIZES[kind]

    def backend_of(self, kind: str) -> str:
        """inCluster or managed for a store kind (objectStorage: always managed, S3)."""
        if kind == "objectStorage":
            return "managed"
        return self.kind(kind).backend or self.backend
