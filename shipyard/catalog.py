"""Application catalogs: one YAML file per application in ``catalogs/``, validated like settings.

A catalog declares what an application is: its services (image, ports, replicas or autoscaling,
resources, probes, secrets, the stores it uses, who may call it, progressive delivery,
resilience), its routes, its data stores and whether it joins the mesh. Its ``environments``
section says what differs in dev, staging and prod (the seeds' environment tables); the stack's
``shipyard:applications.<name>`` config overrides last (replicas, hostnames, tags, enabled).

Every problem is one line naming the file (or the config key) and the field:

    catalogs/mentorplatform.yaml: services.gateway.autoscaling.minReplicas: 12 exceeds
    maxReplicas 10 (value: 12)

Pure: nothing here touches Pulumi resources; ``load_catalogs`` reads files, the rest is data.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from shipyard.defaults import deep_merge

CATALOG_DIR = Path(__file__).resolve().parent.parent / "catalogs"
ENVIRONMENTS = ("dev", "staging", "prod")

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_IMAGE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
_CPU = re.compile(r"^(\d+m|\d+(\.\d+)?)$")
_MEMORY = re.compile(r"^\d+(Ki|Mi|Gi|Ti|K|M|G|T)?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}"
                   r"[a-z0-9])?)*$")

# The port each store kind listens on (the in-cluster stores and the AWS services alike).
STORE_PORTS = {"postgresql": 5432, "mysql": 3306, "mongodb": 27017, "redis": 6379,
               "rabbitmq": 5671, "objectStorage": 443}
DATABASE_KINDS = ("postgresql", "mysql", "mongodb")


class CatalogError(ValueError):
    """Bad catalogs or application overrides: one line per problem, each naming its source
    (file or config key) and the field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class Problem(ValueError):
    """Raised in validators to point at a field below (or beside) the one being validated."""

    def __init__(self, path: str, value: Any, message: str):
        self.path, self.value, self.message = path, value, message
        super().__init__(message)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel,
                              validate_by_alias=True, validate_by_name=False)


def cpu_millis(value: str) -> int:
    return int(value[:-1]) if value.endswith("m") else int(float(value) * 1000)


_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
          "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def memory_bytes(value: str) -> int:
    number = re.match(r"^\d+", value)
    assert number is not None
    return int(number.group()) * _UNITS[value[number.end():]]


# ---------------------------------------------------------------------------------------------
# Services


Protocol = Literal["HTTP", "GRPC", "WEBSOCKET", "TCP"]


class Port(Model):
    name: str = Field(description="Port name (a DNS label, at most 15 characters).")
    port: int = Field(ge=1024, le=65535, description="Container and Service port (unprivileged).")
    protocol: Protocol = Field("HTTP", description="HTTP, GRPC, WEBSOCKET (HTTP with upgrades) "
                                                   "or TCP.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _DNS_LABEL.match(v) or len(v) > 15:
            raise ValueError(f"{v!r} is not a port name (lower-case DNS label, <= 15 chars)")
        return v

    @property
    def app_protocol(self) -> str:
        """The Service port's appProtocol (Gateway API and Istio read it)."""
        return {"HTTP": "http", "GRPC": "kubernetes.io/h2c", "WEBSOCKET": "kubernetes.io/ws",
                "TCP": "tcp"}[self.protocol]


class Quantities(Model):
    cpu: str = Field(description="CPU, e.g. 100m or 0.5.")
    memory: str = Field(description="Memory, e.g. 128Mi.")

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, v: str) -> str:
        if not _CPU.match(str(v)) or cpu_millis(str(v)) <= 0:
            raise ValueError(f"{v!r} is not a CPU quantity (100m, 0.5, 2)")
        return str(v)

    @field_validator("memory")
    @classmethod
    def _memory(cls, v: str) -> str:
        if not _MEMORY.match(str(v)) or memory_bytes(str(v)) <= 0:
            raise ValueError(f"{v!r} is not a memory quantity (128Mi, 1Gi)")
        return str(v)


class Resources(Model):
    requests: Quantities = Field(description="What the scheduler reserves per pod.")
    limits: Quantities = Field(description="The most a pod may use.")

    @model_validator(mode="after")
    def _order(self) -> Resources:
        if cpu_millis(self.requests.cpu) > cpu_millis(self.limits.cpu):
            raise Problem("requests.cpu", self.requests.cpu,
                          f"request {self.requests.cpu} exceeds the limit {self.limits.cpu}")
        if memory_bytes(self.requests.memory) > memory_bytes(self.limits.memory):
            raise Problem("requests.memory", self.requests.memory,
                          f"request {self.requests.memory} exceeds the limit "
                          f"{self.limits.memory}")
        return self


class ScalingPolicy(Model):
    type: Literal["Pods", "Percent"] = Field(description="Pods or Percent.")
    value: int = Field(ge=1, description="Pods, or percent of the current replicas.")
    period_seconds: int = Field(ge=1, le=1800, description="Window the policy holds for.")


class ScalingRules(Model):
    stabilization_window_seconds: int = Field(
        0, ge=0, le=3600, description="Seconds of recommendations the HPA looks back over.")
    select_policy: Literal["Max", "Min", "Disabled"] = Field(
        "Max", description="Which policy wins when several allow a change.")
    policies: list[ScalingPolicy] = Field(default_factory=list,
                                          description="Rate limits on scaling.")


class ScalingBehavior(Model):
    scale_up: ScalingRules | None = Field(None, description="How fast it may grow.")
    scale_down: ScalingRules | None = Field(None, description="How fast it may shrink.")


class Autoscaling(Model):
    min_replicas: int = Field(ge=1, description="Fewest replicas.")
    max_replicas: int = Field(ge=1, description="Most replicas.")
    cpu_utilization: int | None = Field(None, ge=1, le=100,
                                        description="Target average CPU, % of requests.")
    memory_utilization: int | None = Field(None, ge=1, le=100,
                                           description="Target average memory, % of requests.")
    behavior: ScalingBehavior | None = Field(None, description="Scale-up/-down rate limits.")

    @model_validator(mode="after")
    def _range(self) -> Autoscaling:
        if self.min_replicas > self.max_replicas:
            raise Problem("minReplicas", self.min_replicas,
                          f"minReplicas {self.min_replicas} exceeds maxReplicas "
                          f"{self.max_replicas}")
        if self.cpu_utilization is None and self.memory_utilization is None:
            raise Problem("cpuUtilization", None,
                          "an autoscaler needs cpuUtilization or memoryUtilization")
        return self


class DisruptionBudget(Model):
    min_available: int | None = Field(None, ge=1, description="Pods kept during disruptions.")
    max_unavailable: int | None = Field(None, ge=1,
                                        description="Pods a disruption may take at once.")

    @model_validator(mode="after")
    def _one(self) -> DisruptionBudget:
        if (self.min_available is None) == (self.max_unavailable is None):
            raise Problem("minAvailable", self.min_available,
                          "set exactly one of minAvailable and maxUnavailable")
        return self


class Health(Model):
    port: str | None = Field(None, description="Port name the probes use; unset: the first.")
    startup: str = Field("/health", description="Startup probe path (gives slow starts time).")
    liveness: str = Field("/health", description="Liveness probe path.")
    readiness: str = Field("/health", description="Readiness probe path.")
    startup_seconds: int = Field(120, ge=10, le=900,
                                 description="How long a start may take before restarts.")


class Metrics(Model):
    port: str | None = Field(None, description="Port name serving metrics; unset: the first.")
    path: str = Field("/metrics", description="Prometheus scrape path.")


class SecretRef(Model):
    name: str = Field(description="Kubernetes Secret name in the application's namespace.")
    generate: bool = Field(
        False, description="shipyard generates it (random, 48 characters, under key `value`); "
                           "else the Secret must exist (created by you or a store).")
    mount_path: str | None = Field(None, description="Where its files appear; unset: "
                                                     "/var/run/secrets/shipyard/NAME.")
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Environment variables from its keys (VAR: key), only for images that "
                    "cannot read files; a checkov skip with this reason is added.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _DNS_LABEL.match(v) or len(v) > 63:
            raise ValueError(f"{v!r} is not a Secret name (DNS label)")
        return v


class Uses(Model):
    store: str = Field(description="A store of this application.")
    database: str | None = Field(None, description="The database (or vhost) in it.")


def _pinned_tag(v: str) -> str:
    if v == "latest" or not _TAG.match(v):
        raise ValueError(f"{v!r}: pin a version tag (never latest)")
    return v


class Canary(Model):
    tag: str = Field(description="The canary's image tag.")

    _tag = field_validator("tag")(classmethod(lambda cls, v: _pinned_tag(v)))
    weight: int = Field(ge=0, le=100, description="Percent of traffic sent to the canary.")
    replicas: int = Field(1, ge=1, description="Canary pods.")


class BlueGreen(Model):
    active: Literal["blue", "green"] = Field(description="The slot serving traffic.")
    blue: str = Field(description="The blue slot's image tag.")
    green: str = Field(description="The green slot's image tag.")
    _tags = field_validator("blue", "green")(classmethod(lambda cls, v: _pinned_tag(v)))

    preview_header: str = Field("x-shipyard-preview",
                                description="Requests with this header set to `true` reach the "
                                            "preview (inactive) slot.")


class Delivery(Model):
    strategy: Literal["rolling", "canary", "blueGreen"] = Field(
        "rolling", description="rolling, canary (a second version with a traffic weight) or "
                               "blueGreen (an active and a preview slot).")
    canary: Canary | None = Field(None, description="The canary (strategy canary).")
    blue_green: BlueGreen | None = Field(None, description="The slots (strategy blueGreen).")

    @model_validator(mode="after")
    def _shape(self) -> Delivery:
        if self.strategy == "canary" and self.canary is None:
            raise Problem("canary", None, "strategy canary needs canary.tag and canary.weight")
        if self.strategy == "blueGreen" and self.blue_green is None:
            raise Problem("blueGreen", None, "strategy blueGreen needs blueGreen.active, .blue "
                                             "and .green")
        if self.strategy != "canary" and self.canary is not None:
            raise Problem("canary", self.canary.model_dump(by_alias=True),
                          f"set, but strategy is {self.strategy}")
        if self.strategy != "blueGreen" and self.blue_green is not None:
            raise Problem("blueGreen", self.blue_green.model_dump(by_alias=True),
                          f"set, but strategy is {self.strategy}")
        return self


class Retries(Model):
    attempts: int = Field(ge=0, le=10, description="Retries after the first try.")
    per_try_timeout_seconds: float | None = Field(None, gt=0, description="Per-try timeout.")
    retry_on: str = Field("5xx,reset,connect-failure,refused-stream",
                          description="Envoy retry conditions.")


class ConnectionPool(Model):
    max_connections: int = Field(100, ge=1, description="TCP connections per host.")
    http1_max_pending_requests: int = Field(100, ge=1, description="Queued HTTP/1 requests.")
    http2_max_requests: int = Field(1000, ge=1, description="Concurrent HTTP/2 requests.")
    max_requests_per_connection: int = Field(0, ge=0, description="0: unlimited.")


class OutlierDetection(Model):
    consecutive_5xx_errors: int = Field(5, ge=1, alias="consecutive5xxErrors",
                                        description="5xx in a row that eject a host.")
    interval_seconds: int = Field(10, ge=1, description="How often hosts are checked.")
    base_ejection_seconds: int = Field(30, ge=1, description="How long an ejection lasts "
                                                            "(grows with repeats).")
    max_ejection_percent: int = Field(50, ge=1, le=100,
                                      description="Most hosts ejected at once.")


class Resilience(Model):
    timeout_seconds: float | None = Field(None, gt=0, description="Request timeout.")
    retries: Retries | None = Field(None, description="Retries (mesh applications).")
    connection_pool: ConnectionPool | None = Field(None, description="Connection limits "
                                                                     "(mesh applications).")
    outlier_detection: OutlierDetection | None = Field(
        None, description="Circuit breaking by ejecting failing hosts (mesh applications).")


class Shutdown(Model):
    grace_period_seconds: int = Field(30, ge=1, le=600,
                                      description="terminationGracePeriodSeconds.")
    pre_stop_seconds: int = Field(5, ge=0, le=120,
                                  description="preStop sleep: endpoints drain before SIGTERM.")

    @model_validator(mode="after")
    def _order(self) -> Shutdown:
        if self.pre_stop_seconds >= self.grace_period_seconds:
            raise Problem("preStopSeconds", self.pre_stop_seconds,
                          f"the preStop sleep must end before the grace period "
                          f"({self.grace_period_seconds} s)")
        return self


class Service(Model):
    description: str = Field("", description="What it does (from the seed).")
    image: str = Field(description="ECR repository name, e.g. mentorplatform/gateway.")
    tag: str | None = Field(None, description="Image tag (never latest).")
    digest: str | None = Field(None, description="Image digest sha256:…, preferred to a tag.")
    ports: list[Port] = Field(min_length=1, description="Ports it serves.")
    replicas: int | None = Field(None, ge=1, description="Fixed replicas (no autoscaler).")
    autoscaling: Autoscaling | None = Field(None, description="HPA autoscaling/v2.")
    disruption_budget: DisruptionBudget = Field(
        default_factory=lambda: DisruptionBudget(maxUnavailable=1),
        description="PodDisruptionBudget; default maxUnavailable 1.")
    resources: Resources = Field(description="Requests and limits per pod.")
    env: dict[str, str] = Field(default_factory=dict, description="Plain environment "
                                                                  "(no secrets).")
    secrets: list[SecretRef] = Field(default_factory=list,
                                     description="Secrets, mounted as files.")
    health: Health = Field(default_factory=Health, description="Probes.")
    metrics: Metrics | None = Field(default_factory=Metrics,
                                    description="Prometheus endpoint; null for none.")
    uses: list[Uses] = Field(default_factory=list, description="Stores it connects to.")
    callers: list[str] = Field(default_factory=list,
                               description="Services of this application allowed to call it.")
    aws: bool = Field(False, description="Needs AWS APIs: an IRSA role for its service account "
                                         "and HTTPS egress.")
    service_account_token: bool = Field(False, description="Mount a Kubernetes API token.")
    writable_paths: list[str] = Field(
        default_factory=list, description="Extra writable directories (emptyDir), besides /tmp.")
    run_as_user: int = Field(10001, ge=10000, description="UID (high, non-root).")
    delivery: Delivery = Field(default_factory=Delivery, description="Progressive delivery.")
    resilience: Resilience = Field(default_factory=Resilience,
                                   description="Timeouts, retries, circuit breaking.")
    shutdown: Shutdown = Field(default_factory=Shutdown, description="Graceful shutdown.")

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        if not _IMAGE.match(v) or len(v) > 256:
            raise ValueError(f"{v!r} is not an ECR repository name")
        return v

    @field_validator("tag")
    @classmethod
    def _tag(cls, v: str | None) -> str | None:
        return None if v is None else _pinned_tag(v)

    @field_validator("digest")
    @classmethod
    def _digest(cls, v: str | None) -> str | None:
        if v is not None and not _DIGEST.match(v):
            raise ValueError(f"{v!r} is not a sha256 digest")
        return v

    @field_validator("env")
    @classmethod
    def _env(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if not _ENV_NAME.match(key):
                raise Problem(key, key, "not an environment variable name")
        return {k: str(x) for k, x in v.items()}

    @model_validator(mode="after")
    def _cross(self) -> Service:
        if self.tag is None and self.digest is None:
            raise Problem("tag", None, "set tag or digest")
        names = [p.name for p in self.ports]
        numbers = [p.port for p in self.ports]
        if len(set(names)) != len(names) or len(set(numbers)) != len(numbers):
            raise Problem("ports", [p.model_dump() for p in self.ports],
                          "port names and numbers must be unique")
        if (self.replicas is None) == (self.autoscaling is None):
            raise Problem("replicas", self.replicas,
                          "set exactly one of replicas (fixed) and autoscaling")
        for key, port in (("health.port", self.health.port),
                          ("metrics.port", self.metrics.port if self.metrics else None)):
            if port is not None and port not in names:
                raise Problem(key, port, f"no such port (ports: {', '.join(names)})")
        probe = self.probe_port
        if probe.protocol == "TCP" or probe.protocol == "GRPC":
            pass  # TCP: tcpSocket probes; gRPC: the gRPC health protocol
        budget = self.disruption_budget
        if budget.min_available is not None and budget.min_available >= self.min_replicas:
            raise Problem("disruptionBudget.minAvailable", budget.min_available,
                          f"a budget of {budget.min_available} with {self.min_replicas} "
                          f"replica(s) would block every node drain")
        stores = [u.store for u in self.uses]
        for i, use in enumerate(self.uses):
            if use.store in stores[:i]:
                raise Problem(f"uses[{i}].store", use.store, "used twice")
        for i, secret in enumerate(self.secrets):
            if [s.name for s in self.secrets].count(secret.name) > 1:
                raise Problem(f"secrets[{i}].name", secret.name, "named twice")
        return self

    @property
    def min_replicas(self) -> int:
        return self.autoscaling.min_replicas if self.autoscaling else self.replicas or 1

    @property
    def max_replicas(self) -> int:
        return self.autoscaling.max_replicas if self.autoscaling else self.replicas or 1

    @property
    def probe_port(self) -> Port:
        return next((p for p in self.ports if p.name == self.health.port), self.ports[0])

    @property
    def metrics_port(self) -> Port | None:
        if self.metrics is None:
            return None
        return next((p for p in self.ports if p.name == self.metrics.port), self.ports[0])

    @property
    def image_reference(self) -> str:
        """The suffix after the repository URL: ``@sha256:…`` or ``:tag``."""
        return f"@{self.digest}" if self.digest else f":{self.tag}"


class Route(Model):
    path: str = Field(description="Path prefix, e.g. /api.")
    service: str = Field(description="The service it reaches.")
    port: str | None = Field(None, description="Port name; unset: the service's first port.")

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or " " in v:
            raise ValueError(f"{v!r} is not a path prefix (starts with /)")
        return v


class Store(Model):
    kind: Literal["postgresql", "mysql", "mongodb", "redis", "rabbitmq", "objectStorage"] = \
        Field(description="postgresql, mysql, mongodb, redis, rabbitmq or objectStorage.")
    databases: list[str] = Field(default_factory=list,
                                 description="Databases in it (one per service where the seed "
                                             "says so).")

    @property
    def port(self) -> int:
        return STORE_PORTS[self.kind]

    @model_validator(mode="after")
    def _dbs(self) -> Store:
        if self.databases and self.kind not in (*DATABASE_KINDS, "rabbitmq"):
            raise Problem("databases", self.databases, f"a {self.kind} store has no databases")
        for i, db in enumerate(self.databases):
            if not re.match(r"^[a-z][a-z0-9_]{0,62}$", db):
                raise Problem(f"databases[{i}]", db, "not a database name (lower-case, _)")
        return self


def hostname(value: str) -> str:
    """A hostname, lower-case, without the root's dot."""
    if not _HOST.match(value.lower().rstrip(".")):
        raise ValueError(f"{value!r} is not a hostname")
    return value.lower().rstrip(".")


class Cdn(Model):
    """CloudFront in front of the application's static assets: an S3 bucket CI uploads the
    built assets to, reachable only through the distribution."""

    hostname: str = Field(description="The assets' hostname: a label under the stack's "
                                      "dns.domain, or a full name.")
    enabled: bool = Field(True, description="Create the distribution in this stack.")

    _hostname = field_validator("hostname")(classmethod(lambda cls, v: hostname(v)))


class Application(Model):
    """One application (a seed system): hosted as a tenant in a namespace of its own."""

    name: str = Field(description="Application and namespace name (DNS label).")
    description: str = Field("", description="What it is.")
    seed: str | None = Field(None, description="The seed document it comes from.")
    enabled: bool = Field(True, description="Hosted in this stack.")
    hostname: str = Field(description="A label under the stack's dns.domain, or a full name.")
    mesh: bool = Field(False, description="Join the Istio mesh (sidecars, mTLS, "
                                          "DestinationRules, AuthorizationPolicies).")
    services: dict[str, Service] = Field(min_length=1, description="Its services by name.")
    routes: list[Route] = Field(default_factory=list, description="What the Gateway exposes.")
    stores: dict[str, Store] = Field(default_factory=dict, description="Its data stores.")
    cdn: Cdn | None = Field(None, description="CloudFront for its static assets.")
    environments: dict[Literal["dev", "staging", "prod"], dict[str, Any]] = Field(
        default_factory=dict, description="Per-environment overrides (catalog files only).")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _DNS_LABEL.match(v) or len(v) > 40:
            raise ValueError(f"{v!r} is not an application name (DNS label, <= 40 chars)")
        return v

    _hostname = field_validator("hostname")(classmethod(lambda cls, v: hostname(v)))

    @field_validator("services", "stores")
    @classmethod
    def _names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if not _DNS_LABEL.match(name) or len(name) > 40:
                raise Problem(name, name, "not a name (DNS label, <= 40 characters)")
        return v

    @model_validator(mode="after")
    def _cross(self, info: ValidationInfo) -> Application:
        services = self.services
        # A stack that takes an application out of the mesh keeps its catalog's resilience
        # settings (unenforced, and said so); a catalog itself may not declare them so.
        stack_override = bool(info.context and info.context.get("stack"))
        for name, svc in services.items():
            for i, caller in enumerate(svc.callers):
                if caller == name:
                    raise Problem(f"services.{name}.callers[{i}]", caller,
                                  "a service does not list itself as a caller")
                if caller not in services:
                    raise Problem(f"services.{name}.callers[{i}]", caller,
                                  f"no service {caller!r} in {self.name} (services: "
                                  f"{', '.join(services)})")
            for i, use in enumerate(svc.uses):
                store = self.stores.get(use.store)
                if store is None:
                    raise Problem(f"services.{name}.uses[{i}].store", use.store,
                                  f"no store {use.store!r} in {self.name} (stores: "
                                  f"{', '.join(self.stores) or 'none'})")
                if store.kind == "objectStorage" and not svc.aws:
                    raise Problem(f"services.{name}.aws", svc.aws,
                                  f"it uses the object storage {use.store!r} (S3 on AWS): "
                                  f"set aws: true for its IAM role")
                if use.database is not None and use.database not in store.databases:
                    raise Problem(f"services.{name}.uses[{i}].database", use.database,
                                  f"store {use.store!r} has no database {use.database!r} "
                                  f"(databases: {', '.join(store.databases) or 'none'})")
            res = svc.resilience
            if not self.mesh and not stack_override:
                for key, value in (("retries", res.retries),
                                   ("connectionPool", res.connection_pool),
                                   ("outlierDetection", res.outlier_detection)):
                    if value is not None:
                        raise Problem(f"services.{name}.resilience.{key}",
                                      value.model_dump(by_alias=True),
                                      "the mesh enforces it: set mesh: true, or leave it to "
                                      "the application")
                if res.timeout_seconds is not None and not any(
                        r.service == name for r in self.routes):
                    raise Problem(f"services.{name}.resilience.timeoutSeconds",
                                  res.timeout_seconds, "only its route (or the mesh) enforces "
                                  "a timeout, and it has neither")
            if svc.delivery.strategy != "rolling" and not self.mesh and \
                    not any(r.service == name for r in self.routes):
                raise Problem(f"services.{name}.delivery.strategy", svc.delivery.strategy,
                              "a canary or blue-green service needs a route or the mesh to "
                              "split its traffic")
        seen: set[str] = set()
        for i, route in enumerate(self.routes):
            svc = services.get(route.service)
            if svc is None:
                raise Problem(f"routes[{i}].service", route.service,
                              f"no service {route.service!r} in {self.name} (services: "
                              f"{', '.join(services)})")
            port = route_port(svc, route)
            if port is None:
                raise Problem(f"routes[{i}].port", route.port,
                              f"service {route.service!r} has no port {route.port!r}")
            if port.protocol == "TCP":
                raise Problem(f"routes[{i}].port", port.name,
                              "a TCP port cannot be routed by an HTTPRoute")
            if route.path in seen:
                raise Problem(f"routes[{i}].path", route.path, "routed twice")
            seen.add(route.path)
        owner: dict[str, str] = {}
        for name, svc in services.items():
            if svc.image in owner:
                raise Problem(f"services.{name}.image", svc.image,
                              f"service {owner[svc.image]!r} uses the same image repository")
            owner[svc.image] = name
        return self

    def unenforced(self) -> list[str]:
        """Resilience settings nothing enforces: the mesh's, in an application out of it."""
        if self.mesh:
            return []
        return [f"{name}.resilience.{key}" for name, svc in self.services.items()
                for key, value in (("retries", svc.resilience.retries),
                                   ("connectionPool", svc.resilience.connection_pool),
                                   ("outlierDetection", svc.resilience.outlier_detection))
                if value is not None]

    def routed(self, service: str) -> bool:
        return any(r.service == service for r in self.routes)

    def callees(self, service: str) -> list[str]:
        """The services ``service`` may call (it is among their callers)."""
        return [name for name, svc in self.services.items() if service in svc.callers]

    def images(self) -> list[str]:
        return [svc.image for svc in self.services.values()]


def route_port(service: Service, route: Route) -> Port | None:
    if route.port is None:
        return service.ports[0]
    return next((p for p in service.ports if p.name == route.port), None)


# ---------------------------------------------------------------------------------------------
# Loading and overriding


def key_path(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as the dotted key a user writes: ``a.b[0].c``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("["):
            out += str(part)
        else:
            out += ("." if out else "") + str(part)
    return out


def lookup(data: Any, loc: tuple[Any, ...]) -> Any:
    """The value at a pydantic error location, or None."""
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def describe(error: dict[str, Any], data: Mapping[str, Any], source: str) -> str:
    """One pydantic error as ``SOURCE: field: message (value: …)``; ``source`` is a file path
    (``catalogs/x.yaml:``) or a config key prefix (``shipyard:applications.x.``)."""
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith(
        ("function-", "lax-", "json-or-python"))))
    exc = (error.get("ctx") or {}).get("error")
    if isinstance(exc, Problem):
        sub = exc.path
        field = key_path(loc) + (sub if sub.startswith("[") else ("." + sub if loc else sub))
        value, message = exc.value, exc.message
    else:
        field = key_path(loc)
        value = error.get("input") if error["type"] == "extra_forbidden" else lookup(data, loc)
        message = {"extra_forbidden": "unknown field",
                   "missing": "required but not set"}.get(
            error["type"], error["msg"].removeprefix("Value error, "))
    sep = "" if source.endswith(".") else " "
    return f"{source}{sep}{field}: {message} (value: {json.dumps(value, default=str)})"


def validate(data: Mapping[str, Any], source: str, *, stack: bool = False) -> Application:
    try:
        return Application.model_validate(data, context={"stack": stack})
    except ValidationError as exc:
        raise CatalogError([describe(e, data, source) for e in exc.errors()]) from None


# libyaml's parser where PyYAML was built with it (the catalogs are read on every run)
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """YAML that refuses a key written twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} written twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_PARSED: dict[tuple[str, int, int], Any] = {}


def _parse(path: Path) -> Any:
    """The file's YAML, parsed once per content (keyed by path, size and modification time:
    a process that runs the program many times, the tests, reads each catalog once)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _PARSED:
        _PARSED[key] = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)  # noqa: S506
    return copy.deepcopy(_PARSED[key])


def read_catalog(path: Path) -> dict[str, Any]:
    """A catalog file as data; errors name the file."""
    label = display(path)
    try:
        data = _parse(path)  # a safe loader
    except yaml.YAMLError as exc:
        raise CatalogError([f"{label}: not YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise CatalogError([f"{label}: a catalog is a mapping (value: {json.dumps(data)})"])
    if data.get("name") != path.stem:
        raise CatalogError([f"{label}: name: must equal the file name {path.stem!r} "
                            f"(value: {json.dumps(data.get('name'))})"])
    return data


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(CATALOG_DIR.parent))
    except ValueError:
        return str(path)


def load_catalogs(directory: Path = CATALOG_DIR) -> dict[str, dict[str, Any]]:
    """Every ``*.yaml`` catalog in ``directory`` as data, each checked on its own (its
    per-environment overrides too). Raises CatalogError naming every bad file and field."""
    problems: list[str] = [f"{display(p)}: catalogs end in .yaml (value: \"{p.name}\")"
                           for p in sorted(directory.glob("*.yml"))]
    catalogs: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = read_catalog(path)
            validate(data, f"{display(path)}:")
            for env, override in (data.get("environments") or {}).items():
                if isinstance(override, Mapping):
                    unknown = [k for k in override if k not in OVERRIDABLE]
                    if unknown:
                        raise CatalogError([
                            f"{display(path)}: environments.{env}.{unknown[0]}: not overridable "
                            f"per environment (value: {json.dumps(override[unknown[0]])}); "
                            f"these are: {', '.join(OVERRIDABLE)}"])
                    merged = deep_merge({k: v for k, v in data.items() if k != "environments"},
                                       override)
                    validate(merged, f"{display(path)}: environments.{env}.")
        except CatalogError as exc:
            problems.extend(exc.problems)
            continue
        catalogs[path.stem] = data
    if problems:
        raise CatalogError(problems)
    return catalogs


OVERRIDABLE = ("enabled", "hostname", "mesh", "services", "routes", "cdn")


def resolve_applications(catalogs: Mapping[str, Mapping[str, Any]],
                         overrides: Mapping[str, Any], environment: str,
                         prefix: str = "shipyard:applications") -> list[Application]:
    """The applications a stack hosts: each catalog with its ``environments.<env>`` section
    and then the stack's override laid over it. Errors in an override name its config key."""
    problems: list[str] = []
    for name in overrides:
        if name not in catalogs:
            problems.append(f"{prefix}.{name}: unknown application (value: {json.dumps(name)}); "
                            f"catalogs: {', '.join(sorted(catalogs)) or 'none'}")
    if problems:
        raise CatalogError(problems)
    apps: list[Application] = []
    for name, data in sorted(catalogs.items()):
        override = overrides.get(name) or {}
        if not isinstance(override, Mapping):
            problems.append(f"{prefix}.{name}: an object (value: {json.dumps(override)})")
            continue
        unknown = [k for k in override if k not in OVERRIDABLE]
        if unknown:
            problems.append(f"{prefix}.{name}.{unknown[0]}: unknown key (value: "
                            f"{json.dumps(override[unknown[0]], default=str)}); a stack may "
                            f"override {', '.join(OVERRIDABLE)}")
            continue
        base = {k: v for k, v in data.items() if k != "environments"}
        env_override = (data.get("environments") or {}).get(environment) or {}
        merged = deep_merge(deep_merge(base, env_override), override)
        try:
            app = validate(merged, f"{prefix}.{name}.", stack=True)
        except CatalogError as exc:
            problems.extend(exc.problems)
            continue
        if app.enabled:
            apps.append(app)
    if problems:
        raise CatalogError(problems)
    return apps
