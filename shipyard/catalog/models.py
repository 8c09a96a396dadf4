"""A catalog's application: its services (``shipyard.catalog.services``), routes, data stores,
CDN and mesh, and the rules across them."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, StrictBool, ValidationInfo, field_validator, model_validator

from shipyard.catalog.services import Port, Service
from shipyard.config.base import DNS_LABEL, Model, Problem, hostname

# The port each store kind listens on (the in-cluster stores and the AWS services alike).
STORE_PORTS = {"postgresql": 5432, "mysql": 3306, "mongodb": 27017, "redis": 6379,
               "rabbitmq": 5671, "objectStorage": 443}
DATABASE_KINDS = ("postgresql", "mysql", "mongodb")
# The ports the Istio sidecar listens on in every meshed pod (Istio's application requirements)
SIDECAR_PORTS = (15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090)
# The tenant's NetworkPolicies besides one per service, named after it
TENANT_POLICIES = ("default-deny", "allow-dns", "allow-mesh-control-plane", "allow-traces-out")
HTTPROUTE_RULES = 16  # the most rules an HTTPRoute holds (the Gateway API)
_ROUTE_PATH = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")
# database names: lower-case letters, digits and '_' (Kubernetes objects name them with '-'
# for '_', so never ending in '_')
_DATABASE = re.compile(r"^[a-z]([a-z0-9_]{0,61}[a-z0-9])?$")


class Route(Model):
    path: str = Field(description="Path prefix, e.g. /api.")
    service: str = Field(description="The service it reaches.")
    port: str | None = Field(None, description="Port name; unset: the service's first port.")

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or " " in v:
            raise ValueError(f"{v!r} is not a path prefix (starts with /)")
        # the Gateway API's rules for a PathPrefix match
        if len(v) > 1024 or not _ROUTE_PATH.match(v):
            raise ValueError(f"{v!r} is not a path prefix the Gateway API accepts (at most "
                             f"1024 of A-Z a-z 0-9 - / . _ ~ ! $ & ' ( ) * + , ; = : @ and "
                             f"%XX escapes)")
        for bad in ("//", "/./", "/../", "%2f", "%2F", "#"):
            if bad in v:
                raise ValueError(f"{v!r}: the Gateway API refuses a path with {bad!r}")
        if v.endswith(("/.", "/..")):
            raise ValueError(f"{v!r}: the Gateway API refuses a path ending in /. or /..")
        return v


class Store(Model):
    kind: Literal["postgresql", "mysql", "mongodb", "redis", "rabbitmq", "objectStorage"] = \
        Field(description="postgresql, mysql, mongodb, redis, rabbitmq or objectStorage.")
    databases: list[str] = Field(default_factory=list,
                                 description="Databases in it (one per service where the seed "
                                             "says so).")
    key_prefix: StrictBool = Field(
        False, description="redis: the application's clients start every key and channel "
                           "with the prefix they are given (<STORE>_KEY_PREFIX, '<app>:'), so "
                           "its Valkey may live on the stack's shared ElastiCache group, whose "
                           "ACL admits only that prefix; false: a Valkey store of its own, "
                           "whatever the placement.")

    @property
    def port(self) -> int:
        return STORE_PORTS[self.kind]

    @model_validator(mode="after")
    def _dbs(self) -> Store:
        if self.databases and self.kind not in (*DATABASE_KINDS, "rabbitmq"):
            raise Problem("databases", self.databases, f"a {self.kind} store has no databases")
        if self.key_prefix and self.kind != "redis":
            raise Problem("keyPrefix", self.key_prefix,
                          f"only a redis store's keys are prefixed (this one is {self.kind})")
        for i, db in enumerate(self.databases):
            if not _DATABASE.match(db):
                raise Problem(f"databases[{i}]", db, "not a database name (at most 63 "
                                                     "lower-case letters, digits and _, "
                                                     "starting with a letter, not ending "
                                                     "with _)")
            if db in self.databases[:i]:
                raise Problem(f"databases[{i}]", db, "listed twice")
        return self


class Cdn(Model):
    """CloudFront in front of the application's static assets: an S3 bucket CI uploads the
    built assets to, reachable only through the distribution."""

    hostname: str = Field(description="The assets' hostname: a label under the stack's "
                                      "dns.domain, or a full name.")
    enabled: StrictBool = Field(True, description="Create the distribution in this stack.")

    _hostname = field_validator("hostname")(classmethod(lambda cls, v: hostname(v)))


class Application(Model):
    """One application (a seed system): hosted as a tenant in a namespace of its own."""

    name: str = Field(description="Application and namespace name (DNS label).")
    description: str = Field("", description="What it is.")
    seed: str | None = Field(None, description="The seed document it comes from.")
    enabled: StrictBool = Field(True, description="Hosted in this stack.")
    hostname: str = Field(description="A label under the stack's dns.domain, or a full name.")
    mesh: StrictBool = Field(False, description="Join the Istio mesh (sidecars, mTLS, "
                                          "DestinationRules, AuthorizationPolicies).")
    services: dict[str, Service] = Field(min_length=1, description="Its services by name.")
    routes: list[Route] = Field(default_factory=list, description="What the Gateway exposes.")
    stores: dict[str, Store] = Field(default_factory=dict, description="Its data stores.")
    cdn: Cdn | None = Field(None, description="CloudFront for its static assets.")
    store_placement: Literal["shared", "perApplication"] | None = Field(
        None, description="Where its managed stores run: shared (the stack's store of each "
                          "engine, a database and a user per service) or perApplication (its "
                          "own); unset: stores.placement.")
    environments: dict[Literal["dev", "staging", "prod"], dict[str, Any]] = Field(
        default_factory=dict, description="Per-environment overrides (catalog files only).")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not DNS_LABEL.match(v) or len(v) > 40:
            raise ValueError(f"{v!r} is not an application name (DNS label, <= 40 chars)")
        return v

    _hostname = field_validator("hostname")(classmethod(lambda cls, v: hostname(v)))

    @field_validator("services", "stores")
    @classmethod
    def _names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if not DNS_LABEL.match(name) or len(name) > 40:
                raise Problem(name, name, "not a name (DNS label, <= 40 characters)")
        return v

    @model_validator(mode="after")
    def _cross(self, info: ValidationInfo) -> Application:
        services = self.services
        for name, svc in services.items():
            if name in TENANT_POLICIES:
                raise Problem(f"services.{name}", name, "the tenant's NetworkPolicy of that name "
                              f"would be replaced by the service's ({', '.join(TENANT_POLICIES)} "
                              f"are taken)")
            for i, port in enumerate(svc.ports):
                if self.mesh and port.port in SIDECAR_PORTS:
                    raise Problem(f"services.{name}.ports[{i}].port", port.port,
                                  "the Istio sidecar listens there (mesh: true): "
                                  f"{', '.join(map(str, SIDECAR_PORTS))} are taken")
        # A stack that takes an application out of the mesh keeps its catalog's resilience
        # settings (unenforced, and said so); a catalog itself may not declare them so.
        stack_override = bool(info.context and info.context.get("stack"))
        for name, svc in services.items():
            for i, caller in enumerate(svc.callers):
                if caller in svc.callers[:i]:
                    raise Problem(f"services.{name}.callers[{i}]", caller, "listed twice")
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
        rules = len(self.routes) + sum(
            1 for r in self.routes if services[r.service].delivery.strategy == "blueGreen")
        if rules > HTTPROUTE_RULES:
            raise Problem("routes", [r.model_dump(exclude_none=True) for r in self.routes],
                          f"its HTTPRoute would have {rules} rules (one per route, two for a "
                          f"blue-green service's): the Gateway API allows {HTTPROUTE_RULES}")
        self._check_object_names()
        owner: dict[str, str] = {}
        for name, svc in services.items():
            if svc.image in owner:
                raise Problem(f"services.{name}.image", svc.image,
                              f"service {owner[svc.image]!r} uses the same image repository")
            owner[svc.image] = name
        return self

    def _check_object_names(self) -> None:
        """A service's Deployments, Services, autoscalers and budgets are named after it
        (``NAME``, ``NAME-canary``, ``NAME-blue``, ``NAME-green``, ``NAME-preview``): no two
        services may come to one name, nor to a store's (``STORE``, ``STORE-*``). A store's connection Secret is ``SERVICE-STORE-store``:
        no catalog secret may have that name."""
        owner: dict[str, str] = {}
        for name, svc in self.services.items():
            for obj in object_names(name, svc):
                if obj in owner and owner[obj] != name:
                    first, second = sorted((owner[obj], name),
                                           key=lambda n: list(self.services).index(n))
                    raise Problem(f"services.{second}", second,
                                  f"it and service {first!r} would both create objects "
                                  f"named {obj!r} (its delivery strategy's Deployments and "
                                  f"Services)")
                owner[obj] = name
        for obj, name in owner.items():
            for store in self.stores:
                if obj == store or obj.startswith(f"{store}-"):
                    raise Problem(f"services.{name}", name,
                                  f"store {store!r} names its Kubernetes objects {store} and "
                                  f"{store}-* (its operator's Services, its NetworkPolicy "
                                  f"{store}-store, ...): {obj!r} would be one of them")
        store_secrets: dict[str, tuple[str, str]] = {}
        for name, svc in self.services.items():
            for i, use in enumerate(svc.uses):
                obj = store_object_name(name, use.store)
                if obj in store_secrets:
                    raise Problem(f"services.{name}.uses[{i}].store", use.store,
                                  f"its connection objects would be named {obj!r} as "
                                  f"service {store_secrets[obj][0]!r}'s to store "
                                  f"{store_secrets[obj][1]!r} (shorten the names)")
                store_secrets[obj] = (name, use.store)
        for name, svc in self.services.items():
            for i, secret in enumerate(svc.secrets):
                if secret.name in store_secrets:
                    user, store = store_secrets[secret.name]
                    raise Problem(f"services.{name}.secrets[{i}].name", secret.name,
                                  f"the Secret of store {store!r}'s connection for service "
                                  f"{user!r} has that name")

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


def object_names(name: str, svc: Service) -> list[str]:
    """The names of the Kubernetes objects a service's delivery creates (Deployments,
    Services, their autoscalers and budgets)."""
    suffixes = {"rolling": [], "canary": ["canary"],
                "blueGreen": ["blue", "green", "preview"]}[svc.delivery.strategy]
    return [name, *(f"{name}-{suffix}" for suffix in suffixes)]


def store_object_name(service: str, store: str) -> str:
    """The ConfigMap and Secret with a service's connection to a store."""
    return f"{service}-{store}-store"[:63].rstrip("-")


def route_port(service: Service, route: Route) -> Port | None:
    if route.port is None:
        return service.ports[0]
    return next((p for p in service.ports if p.name == route.port), None)
