"""The data stores' pricers of the cost estimate (``offline/estimates/cost.py``'s ``_Estimator``
takes them in): the managed stores by instance type, count and Multi-AZ with their storage, and
the in-cluster stores' volumes on the cluster's storage class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from offline.estimates.volumes import claim_templates, gib_of
from offline.harness import ResourceRecord

# vCPUs of an RDS instance class by its size (the t4g, m7g, r7g, m6i... families: micro to
# large 2, xlarge 4, Nxlarge 4N): what Performance Insights' retention is priced by
_VCPUS = {"micro": 2, "small": 2, "medium": 2, "large": 2, "xlarge": 4}
PERFORMANCE_INSIGHTS_FREE_DAYS = 7


def vcpus(instance_class: str) -> int | None:
    """``db.m7g.large`` -> 2, ``db.r7g.4xlarge`` -> 16; None for a size not in the rule."""
    size = instance_class.rsplit(".", 1)[-1]
    if size in _VCPUS:
        return _VCPUS[size]
    if size.endswith("xlarge") and size[:-len("xlarge")].isdigit():
        return 4 * int(size[:-len("xlarge")])
    return None


def performance_insights_months(retention_days: int) -> int:
    """Paid months of a Performance Insights retention: 7 days free, 31 a month, 731 two years."""
    if retention_days <= PERFORMANCE_INSIGHTS_FREE_DAYS:
        return 0
    return 24 if retention_days == 731 else retention_days // 31


class StorePricers:
    """Pricers of the data stores' resource types, over the estimator's table access (``price``,
    ``has_price``, ``nominal``, ``hours``) and output (``add``, ``note``)."""

    if TYPE_CHECKING:  # the estimator's own, declared for the type checker
        hours: float

        def price(self, key: str) -> float: ...
        def has_price(self, key: str) -> bool: ...
        def nominal(self, key: str) -> float: ...
        def note(self, text: str) -> None: ...
        def add(self, component: str, record: ResourceRecord, description: str,
                quantity: float, unit: str, unit_usd: float) -> None: ...

    # -- the managed stores
    def _instance_hours(self, r: ResourceRecord, key: str, label: str, count: float) -> bool:
        if not self.has_price(key):
            self.note(f"{r.type.split(':')[-1]} {r.name}: no price for {label}; not included")
            return False
        self.add("data stores", r, f"{count:g} × {label}", count * self.hours, "instance-hours",
                 self.price(key))
        return True

    def _engine_key(self, service: str, engine: str, size: str) -> str:
        """``service.engine.size`` where the table prices that engine apart (RDS for MySQL,
        ElastiCache for Valkey), else ``service.size``."""
        key = f"{service}.{engine}.{size}"
        return key if engine and self.has_price(key) else f"{service}.{size}"

    def rds_instance(self, r: ResourceRecord) -> None:
        cls = str(r.inputs.get("instanceClass", ""))
        engine = str(r.inputs.get("engine", "postgres"))
        copies = 2.0 if r.inputs.get("multiAz") else 1.0
        self._instance_hours(r, self._engine_key("rds", engine, cls),
                             f"{cls} {engine}{' Multi-AZ' if copies > 1 else ''}", copies)
        size = r.inputs.get("allocatedStorage")
        if size is None:
            size = self.nominal("rds.default_storage_gb")
        self.add("data stores", r, f"{float(size):g} GB RDS storage × {copies:g}",
                 float(size) * copies, "GB-months", self.price("rds.gp3.gb_month"))
        if engine != "postgres" and not self.has_price(f"rds.{engine}.{cls}"):
            self.note(f"RDS {r.name}: priced at PostgreSQL rates; engine {engine} may differ")
        self._performance_insights(r, cls, copies)
        self._enhanced_monitoring(r)

    def _performance_insights(self, r: ResourceRecord, cls: str, copies: float) -> None:
        """Its retention beyond the free 7 days, per vCPU of each copy and month kept."""
        if not r.inputs.get("performanceInsightsEnabled"):
            return
        months = performance_insights_months(
            int(r.inputs.get("performanceInsightsRetentionPeriod") or
                PERFORMANCE_INSIGHTS_FREE_DAYS))
        if not months:
            return
        count = vcpus(cls)
        if count is None:
            self.note(f"RDS {r.name}: no vCPU count for {cls}; its Performance Insights "
                      f"retention is not included")
            return
        cpus = count * copies
        self.add("data stores", r, f"Performance Insights, {months} month(s) kept: "
                                   f"{cpus:g} vCPU, first month", cpus, "vCPU-months",
                 self.price("rds.performance_insights.vcpu_first_month"))
        if months > 1:
            self.add("data stores", r, f"Performance Insights: {cpus:g} vCPU × "
                                       f"{months - 1} further month(s)",
                     cpus * (months - 1), "vCPU-months",
                     self.price("rds.performance_insights.vcpu_additional_month"))

    def _enhanced_monitoring(self, r: ResourceRecord) -> None:
        """Its OS samples, ingested into (and kept a month in) CloudWatch Logs' RDSOSMetrics."""
        interval = int(r.inputs.get("monitoringInterval") or 0)
        if not interval:
            return
        gb = self.nominal("rds.enhanced_monitoring_gb_per_instance_month") * 60 / interval
        self.add("logs", r, f"Enhanced Monitoring every {interval} s (nominal {gb:g} GB into "
                            f"RDSOSMetrics)", gb, "GB", self.price("logs.ingest_gb"))
        self.add("logs", r, "Enhanced Monitoring samples kept 30 days (RDSOSMetrics)", gb,
                 "GB-months", self.price("logs.storage_gb_month"))

    def elasticache_replication_group(self, r: ResourceRecord) -> None:
        node = str(r.inputs.get("nodeType", ""))
        if r.inputs.get("numNodeGroups") is not None:
            nodes = float(r.inputs["numNodeGroups"]) * \
                (1 + float(r.inputs.get("replicasPerNodeGroup") or 0))
        else:
            nodes = float(r.inputs.get("numCacheClusters") or 1)
        engine = str(r.inputs.get("engine") or "redis")
        self._instance_hours(r, self._engine_key("elasticache", engine, node),
                             f"{node} {engine}", nodes)

    def elasticache_cluster(self, r: ResourceRecord) -> None:
        node = str(r.inputs.get("nodeType", ""))
        if not node:  # a member of a replication group, priced there
            return
        self._instance_hours(r, f"elasticache.{node}", node, float(r.inputs.get("numCacheNodes")
                                                                   or 1))

    def mq_broker(self, r: ResourceRecord) -> None:
        instance = str(r.inputs.get("hostInstanceType", ""))
        mode = str(r.inputs.get("deploymentMode", "SINGLE_INSTANCE"))
        count = {"ACTIVE_STANDBY_MULTI_AZ": 2.0, "CLUSTER_MULTI_AZ": 3.0}.get(mode, 1.0)
        self._instance_hours(r, f"mq.{instance}", f"{instance} ({mode.lower()})", count)
        self.note("Amazon MQ broker storage and data transfer are not included")

    def docdb_instance(self, r: ResourceRecord) -> None:
        cls = str(r.inputs.get("instanceClass", ""))
        self._instance_hours(r, f"docdb.{cls}", cls, 1)

    def docdb_cluster(self, r: ResourceRecord) -> None:
        gb = self.nominal("docdb.storage_gb")
        self.add("data stores", r, f"DocumentDB storage (nominal {gb:g} GB)", gb, "GB-months",
                 self.price("docdb.storage_gb_month"))
        self.note("DocumentDB I/O ($0.20 per million requests) is not included")


    # -- the in-cluster stores' volumes, on the cluster's storage class (shipyard's: gp3)
    def _volumes(self, r: ResourceRecord, what: str, volumes: list[tuple[str, float]],
                 count: float) -> None:
        self.note("in-cluster stores' volumes (StatefulSet claims, CloudNativePG, MongoDB and "
                  "RabbitMQ resources) are priced as EBS gp3, shipyard's storage class (an "
                  "existing cluster's own class may cost otherwise)")
        for label, gib in volumes:
            self.add("EBS volumes", r, f"{what}: {count:g} × {gib:g} GiB gp3 ({label})",
                     count * gib, "GB-months", self.price("ebs.gp3.gb_month"))

    def stateful_set(self, r: ResourceRecord) -> None:
        spec = r.inputs.get("spec") or {}
        self._volumes(r, "StatefulSet", claim_templates(spec.get("volumeClaimTemplates")),
                      float(spec.get("replicas") or 1))

    def cnpg_cluster(self, r: ResourceRecord) -> None:
        spec = r.inputs.get("spec") or {}
        volumes = [(key, gib) for key in ("storage", "walStorage")
                   if (gib := gib_of((spec.get(key) or {}).get("size"))) is not None]
        self._volumes(r, "CloudNativePG Cluster", volumes, float(spec.get("instances") or 1))

    def mongodb_community(self, r: ResourceRecord) -> None:
        spec = r.inputs.get("spec") or {}
        templates = ((spec.get("statefulSet") or {}).get("spec") or {}).get(
            "volumeClaimTemplates")
        self._volumes(r, "MongoDBCommunity", claim_templates(templates),
                      float(spec.get("members") or 1))

    def rabbitmq_cluster(self, r: ResourceRecord) -> None:
        spec = r.inputs.get("spec") or {}
        gib = gib_of((spec.get("persistence") or {}).get("storage"))
        self._volumes(r, "RabbitmqCluster", [("persistence", gib)] if gib else [],
                      float(spec.get("replicas") or 1))
