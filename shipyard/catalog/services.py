"""A catalog's services: image, ports, replicas or autoscaling, resources, probes, secrets, the
stores each uses, who may call it, progressive delivery, resilience and shutdown."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from shipyard.catalog.mounts import check_mounts, mount_path, secret_path
from shipyard.config.base import (
    DNS_LABEL,
    IMAGE,
    Float,
    HeaderName,
    Int,
    Int32,
    Model,
    Problem,
    label_value,
)

_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
_CPU = re.compile(r"^(\d+m|\d+(\.\d+)?)$")
_MEMORY = re.compile(r"^\d+(Ki|Mi|Gi|Ti|K|M|G|T)?$")
GENERATED_KEY = "value"  # the one key of a Secret shipyard generates
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# a key of a Secret's data (Kubernetes: letters, digits, '-', '_', '.')
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
# a Service port's name as Kubernetes accepts it (IANA_SVC_NAME): at most 15 lower-case letters,
# digits and '-', at least one letter, no '--', not starting or ending with '-'
_PORT_NAME = re.compile(r"^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$")
# Envoy's retry conditions as Istio's HTTPRetry.retryOn takes them (x-envoy-retry-on and
# x-envoy-retry-grpc-on), besides HTTP status codes (which Istio adds to the retriable codes)
RETRY_ON = ("5xx", "gateway-error", "reset", "reset-before-request", "connect-failure",
            "envoy-ratelimited", "retriable-4xx", "refused-stream", "retriable-status-codes",
            "retriable-headers", "http3-post-connect-failure", "cancelled", "deadline-exceeded",
            "internal", "resource-exhausted", "unavailable")
# A duration as the mesh and the Gateway render it: at least a millisecond, at most a day
Seconds = Annotated[Float, Field(ge=0.001, le=86400, allow_inf_nan=False)]


# The one reading of a Kubernetes quantity in shipyard: the catalogs' requests and limits (which
# _CPU and _MEMORY check first), the stores' own, and the plan's pods and charts' values that
# offline/estimates/capacity.py counts. Decimal numbers and Kubernetes' decimal ("k", "M", ...)
# and binary ("Ki", "Mi", ...) suffixes; the catalogs' "K" too.
_UNITS = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15,
          "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)([A-Za-z]*)$")


def cpu_millis(value: str) -> int:
    """``"250m"`` -> 250, ``"0.5"`` or ``"1"`` -> 500 or 1000 (millicores)."""
    if value.endswith("m"):
        return int(Decimal(value[:-1]))
    return int(Decimal(value) * 1000)


def memory_bytes(value: str) -> int:
    """``"128Mi"`` -> 134217728, ``"1.5Gi"``, ``"500M"``, ``"1024"`` (bytes)."""
    found = _QUANTITY.match(value)
    if found is None or found.group(2) not in _UNITS:
        raise ValueError(f"{value!r} is not a memory quantity")
    return int(Decimal(found.group(1)) * _UNITS[found.group(2)])


# ---------------------------------------------------------------------------------------------
# Services


Protocol = Literal["HTTP", "GRPC", "WEBSOCKET", "TCP"]


class Port(Model):
    name: str = Field(description="Port name (a DNS label, at most 15 characters).")
    port: Int = Field(ge=1024, le=65535, description="Container and Service port (unprivileged).")
    protocol: Protocol = Field("HTTP", description="HTTP, GRPC, WEBSOCKET (HTTP with upgrades) "
                                                   "or TCP.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not DNS_LABEL.match(v) or not _PORT_NAME.match(v):
            raise ValueError(f"{v!r} is not a port name (lower-case DNS label, <= 15 chars, "
                             f"no '--')")
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
    value: Int32 = Field(ge=1, description="Pods, or percent of the current replicas.")
    period_seconds: Int = Field(ge=1, le=1800, description="Window the policy holds for.")


class ScalingRules(Model):
    stabilization_window_seconds: Int = Field(
        0, ge=0, le=3600, description="Seconds of recommendations the HPA looks back over.")
    select_policy: Literal["Max", "Min", "Disabled"] = Field(
        "Max", description="Which policy wins when several allow a change.")
    policies: list[ScalingPolicy] | None = Field(
        None, description="Rate limits on scaling; unset: Kubernetes' defaults.")

    @field_validator("policies")
    @classmethod
    def _policies(cls, v: list[ScalingPolicy] | None) -> list[ScalingPolicy] | None:
        if v is not None and not v:
            raise ValueError("Kubernetes needs at least one policy: list one, or leave "
                             "policies out for its defaults")
        return v


class ScalingBehavior(Model):
    scale_up: ScalingRules | None = Field(None, description="How fast it may grow.")
    scale_down: ScalingRules | None = Field(None, description="How fast it may shrink.")


class Autoscaling(Model):
    min_replicas: Int32 = Field(ge=1, description="Fewest replicas.")
    max_replicas: Int32 = Field(ge=1, description="Most replicas.")
    cpu_utilization: Int | None = Field(None, ge=1, le=100,
                                        description="Target average CPU, % of requests.")
    memory_utilization: Int | None = Field(None, ge=1, le=100,
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
    min_available: Int32 | None = Field(None, ge=1,
                                        description="Pods kept during disruptions.")
    max_unavailable: Int32 | None = Field(None, ge=1,
                                        description="Pods a disruption may take at once.")

    @model_validator(mode="after")
    def _one(self) -> DisruptionBudget:
        if (self.min_available is None) == (self.max_unavailable is None):
            raise Problem("minAvailable", self.min_available,
                          "set exactly one of minAvailable and maxUnavailable")
        return self


# What a service's pods keep apart across: the node label or the zone label.
ANTI_AFFINITY_TOPOLOGY = {"nodes": "kubernetes.io/hostname", "zones": "topology.kubernetes.io/zone"}


class AntiAffinity(Model):
    """Keep a service's pods off each other's nodes (or zones): ``preferred`` asks the
    scheduler to (with ``weight``), ``required`` refuses to place two on one (a pod with no free
    node then stays Pending, so it suits fewer replicas than nodes)."""

    across: Literal["nodes", "zones"] = Field("nodes", description="nodes or zones.")
    mode: Literal["preferred", "required"] = Field(
        "preferred", description="preferred (the scheduler's scoring) or required (never two "
                                 "on one).")
    weight: Int | None = Field(None, ge=1, le=100, description="preferred only: its weight "
                                                                "(1-100; unset: 100).")

    @model_validator(mode="after")
    def _weight(self) -> AntiAffinity:
        if self.mode == "required" and self.weight is not None:
            raise Problem("weight", self.weight, "only a preferred anti-affinity has a weight")
        return self

    @property
    def topology_key(self) -> str:
        return ANTI_AFFINITY_TOPOLOGY[self.across]


class Health(Model):
    port: str | None = Field(None, description="Port name the probes use; unset: the first.")
    startup: str = Field("/health", description="Startup probe path (gives slow starts time).")
    liveness: str = Field("/health", description="Liveness probe path.")
    readiness: str = Field("/health", description="Readiness probe path.")
    startup_seconds: Int = Field(120, ge=10, le=900,
                                 description="How long a start may take before restarts.")

    _paths = field_validator("startup", "liveness", "readiness")(classmethod(
        lambda cls, v: http_path(v)))


class Metrics(Model):
    port: str | None = Field(None, description="Port name serving metrics; unset: the first.")
    path: str = Field("/metrics", description="Prometheus scrape path.")

    _path = field_validator("path")(classmethod(lambda cls, v: http_path(v)))


# what an HTTP request's path may hold unescaped (RFC 3986 pchar, '/', '?' and '=' for a query)
_HTTP_PATH = re.compile(r"^/(?:[-A-Za-z0-9/._~!$&'()*+,;=:@?]|%[0-9a-fA-F]{2})*$")


def http_path(v: str) -> str:
    """A probe's or a scrape's path: absolute, no spaces or other characters a URL escapes."""
    if not _HTTP_PATH.match(v) or len(v) > 1024:
        raise ValueError(f"{v!r} is not an HTTP path (starts with /, no spaces or other "
                         f"characters a URL must escape)")
    return v


class SecretRef(Model):
    name: str = Field(description="Kubernetes Secret name in the application's namespace.")
    generate: StrictBool = Field(
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
        if not DNS_LABEL.match(v) or len(v) > 63:
            raise ValueError(f"{v!r} is not a Secret name (DNS label)")
        return v

    @field_validator("mount_path")
    @classmethod
    def _mount_path(cls, v: str | None) -> str | None:
        return None if v is None else mount_path(v)

    @field_validator("env")
    @classmethod
    def _env(cls, v: dict[str, str]) -> dict[str, str]:
        for var, key in v.items():
            if not _ENV_NAME.match(var):
                raise Problem(var, var, "not an environment variable name")
            if not _SECRET_KEY.match(key):
                raise Problem(var, key, "not a Secret key (letters, digits, '-', '_', '.')")
        return v

    @model_validator(mode="after")
    def _generated_key(self) -> SecretRef:
        for var, key in self.env.items():
            if self.generate and key != GENERATED_KEY:
                raise Problem(f"env.{var}", key, f"a generated Secret has one key, "
                                                 f"{GENERATED_KEY!r}")
        return self

    @property
    def path(self) -> str:
        """Where its files are mounted."""
        return secret_path(self.name, self.mount_path)


class Uses(Model):
    store: str = Field(description="A store of this application.")
    database: str | None = Field(None, description="The database (or vhost) in it.")


def _pinned_tag(v: str) -> str:
    if v == "latest" or not _TAG.match(v):
        raise ValueError(f"{v!r}: pin a version tag (never latest)")
    try:
        label_value(v[:63])
    except ValueError:
        raise ValueError(f"{v!r}: its first 63 characters are the pods' version label, which "
                         f"starts and ends with a letter or digit") from None
    return v


class Canary(Model):
    tag: str = Field(description="The canary's image tag.")

    _tag = field_validator("tag")(classmethod(lambda cls, v: _pinned_tag(v)))
    weight: Int = Field(ge=0, le=100, description="Percent of traffic sent to the canary.")
    replicas: Int32 = Field(1, ge=1, description="Canary pods.")


class BlueGreen(Model):
    active: Literal["blue", "green"] = Field(description="The slot serving traffic.")
    blue: str = Field(description="The blue slot's image tag.")
    green: str = Field(description="The green slot's image tag.")
    _tags = field_validator("blue", "green")(classmethod(lambda cls, v: _pinned_tag(v)))

    preview_header: HeaderName = Field("x-shipyard-preview",
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
    attempts: Int = Field(ge=0, le=10, description="Retries after the first try.")
    per_try_timeout_seconds: Seconds | None = Field(None, description="Per-try timeout "
                                                                      "(1 ms to a day).")
    retry_on: str = Field("5xx,reset,connect-failure,refused-stream",
                          description="Envoy retry conditions, comma-separated: "
                                      + ", ".join(RETRY_ON) + ", or HTTP status codes.")

    @field_validator("retry_on")
    @classmethod
    def _retry_on(cls, v: str) -> str:
        # as Istio reads it: each condition trimmed, empty ones skipped
        conditions = [c.strip() for c in v.split(",") if c.strip()]
        if not conditions:
            raise ValueError(f"{v!r} names no retry condition")
        for condition in conditions:
            if condition not in RETRY_ON and not (
                    condition.isdigit() and len(condition) == 3 and 100 <= int(condition) <= 599):
                raise ValueError(f"{condition!r} is not an Envoy retry condition ("
                                 f"{', '.join(RETRY_ON)}, or an HTTP status code)")
            if conditions.count(condition) > 1:
                raise ValueError(f"{condition!r} is listed twice")
        return ",".join(conditions)


class ConnectionPool(Model):
    max_connections: Int32 = Field(100, ge=1, description="TCP connections per host.")
    http1_max_pending_requests: Int32 = Field(100, ge=1, description="Queued HTTP/1 requests.")
    http2_max_requests: Int32 = Field(1000, ge=1, description="Concurrent HTTP/2 requests.")
    max_requests_per_connection: Int32 = Field(0, ge=0, description="0: unlimited.")


class OutlierDetection(Model):
    consecutive_5xx_errors: Int32 = Field(5, ge=1, alias="consecutive5xxErrors",
                                          description="5xx in a row that eject a host.")
    interval_seconds: Int = Field(10, ge=1, le=86400, description="How often hosts are checked.")
    base_ejection_seconds: Int = Field(30, ge=1, le=86400,
                                       description="How long an ejection lasts (grows with "
                                                   "repeats).")
    max_ejection_percent: Int = Field(50, ge=1, le=100,
                                      description="Most hosts ejected at once.")


class Resilience(Model):
    timeout_seconds: Seconds | None = Field(None, description="Request timeout (1 ms to a day; "
                                                              "whole seconds if routed).")
    retries: Retries | None = Field(None, description="Retries (mesh applications).")
    connection_pool: ConnectionPool | None = Field(None, description="Connection limits "
                                                                     "(mesh applications).")
    outlier_detection: OutlierDetection | None = Field(
        None, description="Circuit breaking by ejecting failing hosts (mesh applications).")


class Shutdown(Model):
    grace_period_seconds: Int = Field(30, ge=1, le=600,
                                      description="terminationGracePeriodSeconds.")
    pre_stop_seconds: Int = Field(5, ge=0, le=120,
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
    replicas: Int32 | None = Field(None, ge=1, description="Fixed replicas (no autoscaler).")
    autoscaling: Autoscaling | None = Field(None, description="HPA autoscaling/v2.")
    disruption_budget: DisruptionBudget = Field(
        default_factory=lambda: DisruptionBudget(maxUnavailable=1),
        description="PodDisruptionBudget; default maxUnavailable 1.")
    anti_affinity: AntiAffinity | None = Field(
        None, description="Pod anti-affinity among its own pods, beside the topology spread "
                          "every service gets; unset: none.")
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
    aws: StrictBool = Field(False, description="Needs AWS APIs: an AWS role for its service account "
                                         "and HTTPS egress.")
    service_account_token: StrictBool = Field(False, description="Mount a Kubernetes API token.")
    writable_paths: list[str] = Field(
        default_factory=list, description="Extra writable directories (emptyDir), besides /tmp.")

    @field_validator("writable_paths")
    @classmethod
    def _writable(cls, v: list[str]) -> list[str]:
        for i, path in enumerate(v):
            try:
                mount_path(path)
            except ValueError as exc:
                raise Problem(f"[{i}]", path, str(exc)) from None
        return v
    run_as_user: Int32 = Field(10001, ge=10000, description="UID, GID and fsGroup (high, "
                                                           "non-root).")
    delivery: Delivery = Field(default_factory=Delivery, description="Progressive delivery.")
    resilience: Resilience = Field(default_factory=Resilience,
                                   description="Timeouts, retries, circuit breaking.")
    shutdown: Shutdown = Field(default_factory=Shutdown, description="Graceful shutdown.")

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        if not IMAGE.match(v) or len(v) > 256:
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
        check_mounts(self.writable_paths, [(s.name, s.mount_path) for s in self.secrets],
                     [u.store for u in self.uses])
        self._check_env()
        return self

    def _check_env(self) -> None:
        """Each variable is set once: a secret's variables are neither plain ones nor another
        secret's."""
        seen: dict[str, str] = {name: "env" for name in self.env}
        for i, secret in enumerate(self.secrets):
            for var in secret.env:
                if var.startswith("OTEL_"):
                    raise Problem(f"secrets[{i}].env.{var}", var, "shipyard sets the OTEL_ "
                                  "variables (the OpenTelemetry SDK's): another name")
                if var in seen:
                    raise Problem(f"secrets[{i}].env.{var}", var, f"already set by {seen[var]}")
                seen[var] = f"secrets[{i}]"

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
