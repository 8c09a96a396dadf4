"""Run the real ``__main__.py`` for a stack under Pulumi mocks and capture what it registers.

This is what ``plan.py`` and the tests share. ``run_program("prod")`` reads ``Pulumi.yaml`` and
``Pulumi.prod.yaml`` the way the engine would, hands the config to the program, answers every
resource registration and invoke from a ``Mocks`` object, and returns a ``Plan``: each
resource's type, name, URN, parent, inputs (secrets masked), dependencies, provider and options,
the stack's outputs and what the program logged. No CLI, no credentials, no network."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import json
import re
import runpy
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime import stack as runtime_stack
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_in_stack

from offline.monitor import InlineExecutor, RecordingEngine, SyncMockMonitor

ROOT = Path(__file__).resolve().parent.parent
SECRET = "[secret]"
UNKNOWN = "[unknown]"
STACK_TYPE = "pulumi:pulumi:Stack"
# A stand-in for ``secure:`` values offline: the stack file's ciphertext cannot be decrypted
# without the stack's key, so the program sees this, marked secret.
OFFLINE_SECRET = "offline-placeholder-secret"


class StackFileError(Exception):
    """A stack file that is missing or is not a Pulumi stack file."""


# ---------------------------------------------------------------------------------------------
# Config, as the engine hands it over


def _config_string(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# Pulumi's names: a stack is letters, digits, '-', '_' and '.'; a config key NAMESPACE:NAME
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
CONFIG_KEY = re.compile(r"^[A-Za-z0-9_.-]+:[^:]+$")


def read_yaml_file(path: Path) -> dict[str, Any]:
    """A Pulumi.yaml or stack file as a mapping: UTF-8, one YAML document, safe tags only, no
    key written twice. Anything else is a StackFileError naming the file (and the line)."""
    from shipyard import yaml_files

    label = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StackFileError(f"{label}: cannot be read: {exc.strerror}") from None
    try:
        doc = yaml_files.parse(data, label)
    except yaml_files.YamlFileError as exc:
        raise StackFileError(str(exc)) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise StackFileError(f"{label}: a Pulumi file is a YAML mapping (found "
                             f"{_kind(doc)})")
    return doc


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", dict: "a mapping"}.get(type(value), type(value).__name__)


def _secure(value: Any) -> bool:
    """A ``{secure: ...}`` value: a mapping whose one key is ``secure`` (as Pulumi reads it)."""
    return isinstance(value, dict) and list(value) == ["secure"]


def _unsecure(value: Any, where: str) -> tuple[Any, bool]:
    """``value`` with every ``{secure: CIPHERTEXT}`` in it replaced by the offline placeholder,
    and whether there was one (Pulumi then marks the whole key secret)."""
    if _secure(value):
        if not isinstance(value["secure"], str) or not value["secure"].strip():
            raise StackFileError(f"{where}: secure: must be the value's ciphertext, a non-empty "
                                 f"string (pulumi config set --secret ...) (value: [secret])")
        return OFFLINE_SECRET, True
    if isinstance(value, dict):
        found = False
        out = {}
        for k, v in value.items():
            out[k], inner = _unsecure(v, f"{where}.{k}")
            found = found or inner
        return out, found
    if isinstance(value, list):
        items = [_unsecure(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def read_stack_config(stack: str, root: Path = ROOT, *, stack_dir: Path | None = None,
                      overrides: Mapping[str, Any] | None = None
                      ) -> tuple[dict[str, str], set[str], str]:
    """(config, secret keys, project) for ``stack`` from Pulumi.yaml and Pulumi.<stack>.yaml.

    ``stack_dir`` is where the stack file lives (default: beside Pulumi.yaml); ``overrides``
    (full key -> value, None to delete) are laid on top, for tests. A file that is not what
    Pulumi reads (see ``read_yaml_file``; ``config:`` not a mapping, a key not
    ``NAMESPACE:NAME``, an empty ``secure:``) is a StackFileError naming the file and key."""
    project_file = root / "Pulumi.yaml"
    stack_dir = stack_dir or root
    if not STACK_NAME.match(stack):
        raise StackFileError(f"{stack!r} is not a stack name (letters, digits, '-', '_', '.')")
    stack_file = stack_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        stacks = sorted(p.name[len("Pulumi."):-len(".yaml")]
                        for p in stack_dir.glob("Pulumi.*.yaml"))
        raise StackFileError(f"no stack file {stack_file.name}; stacks here: "
                             f"{', '.join(stacks) or 'none'}")
    project_doc = read_yaml_file(project_file)
    project = project_doc.get("name")
    if not isinstance(project, str) or not STACK_NAME.match(project):
        raise StackFileError(f"{project_file.name}: name: the project's name, a string "
                             f"(value: {json.dumps(project, default=str)})")
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    written: dict[tuple[str, str], Any] = {}  # (file, full key) -> the key as written

    def put(key: Any, value: Any, label: str) -> None:
        if not isinstance(key, str) or not key:
            raise StackFileError(f"{label}: config: a key is a string, NAMESPACE:NAME "
                                 f"(key: {json.dumps(key, default=str)})")
        full = key if ":" in key else f"{project}:{key}"
        if not CONFIG_KEY.match(full):
            raise StackFileError(f"{label}: config: {json.dumps(key)} is not a config key "
                                 f"(NAMESPACE:NAME)")
        if (label, full) in written:
            raise StackFileError(f"{label}: config: {full} written twice (as "
                                 f"{json.dumps(written[label, full])} and {json.dumps(key)})")
        if label != "overrides":
            written[label, full] = key
        try:
            value, secret = _unsecure(value, f"{label}: config: {full}")
            config[full] = _config_string(value)
        except (RecursionError, ValueError):  # json: "Circular reference detected"
            raise StackFileError(f"{label}: config: {full}: a value that holds itself (a YAML "
                                 f"alias inside its own anchor)") from None
        (secret_keys.add if secret else secret_keys.discard)(full)

    declared = project_doc.get("config") or {}
    if not isinstance(declared, dict):
        raise StackFileError(f"{project_file.name}: config: a mapping of config keys (found "
                             f"{_kind(declared)})")
    for key, decl in declared.items():
        if isinstance(decl, dict) and ({"value", "default"} & set(decl)):
            put(key, decl.get("value", decl.get("default")), project_file.name)
        elif not isinstance(decl, dict) or _secure(decl):
            put(key, decl, project_file.name)
    stack_doc = read_yaml_file(stack_file)
    stack_config = stack_doc.get("config")
    if stack_config is None:
        stack_config = {}
    if not isinstance(stack_config, dict):
        raise StackFileError(f"{stack_file.name}: config: a mapping of config keys (found "
                             f"{_kind(stack_config)})")
    for key, value in stack_config.items():
        put(key, value, stack_file.name)
    for key, value in (overrides or {}).items():
        if value is None:
            config.pop(key, None)
            secret_keys.discard(key)
        else:
            put(key, value, "overrides")
    return config, secret_keys, project


# ---------------------------------------------------------------------------------------------
# What the program registered


@dataclass
class ResourceRecord:
    type: str
    name: str
    urn: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str | None
    options: dict[str, Any]
    id: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type, "name": self.name, "urn": self.urn, "parent": self.parent,
            "custom": self.custom, "inputs": self.inputs, "dependencies": self.dependencies,
            "provider": self.provider, "options": self.options,
        }


@dataclass
class Plan:
    stack: str
    project: str
    resources: list[ResourceRecord]
    outputs: dict[str, Any]
    seconds: float = 0.0
    mocks: Any = None
    messages: list[dict[str, str]] = field(default_factory=list)  # what it logged: notes...

    def of_type(self, type_: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> ResourceRecord:
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources named {name!r}")
        return found[0]

    def _indexes(self) -> tuple[dict[str, ResourceRecord], dict[str, list[ResourceRecord]],
                                dict[int, int]]:
        """(urn -> record, parent urn -> its children in registration order, id(record) -> its
        position), built once per list of resources: every question about the tree is then a
        lookup, not a walk over every resource (the plan stays linear in its size)."""
        key = (id(self.resources), len(self.resources))
        if self.__dict__.get("_index_key") != key:
            children: dict[str, list[ResourceRecord]] = {}
            for r in self.resources:
                if r.parent:
                    children.setdefault(r.parent, []).append(r)
            self.__dict__["_index"] = ({r.urn: r for r in self.resources}, children,
                                       {id(r): i for i, r in enumerate(self.resources)})
            self.__dict__["_index_key"] = key
        return self.__dict__["_index"]

    def by_urn(self, urn: str) -> ResourceRecord:
        return self._indexes()[0][urn]

    def ancestors(self, record: ResourceRecord) -> Iterator[ResourceRecord]:
        index = self._indexes()[0]
        parent = record.parent
        while parent in index:
            yield index[parent]
            parent = index[parent].parent

    def descendants(self, record: ResourceRecord) -> list[ResourceRecord]:
        """Everything below ``record`` (children, their children...), in registration order."""
        _, children, order = self._indexes()
        found, todo = [], list(children.get(record.urn, ()))
        while todo:
            r = todo.pop()
            found.append(r)
            todo.extend(children.get(r.urn, ()))
        return sorted(found, key=lambda r: order[id(r)])

    def component_of(self, record: ResourceRecord) -> str:
        """The top-level component (a direct child of the stack) a resource belongs to."""
        chain = [record, *self.ancestors(record)]
        return chain[-1].name  # the stack itself is not a record, so this is the top component

    def unchecked(self) -> list[dict[str, str]]:
        """What this offline plan cannot check, and why: never reported as passing."""
        kinds: dict[tuple[str, str], str | None] = {}  # each custom kind looked up once
        return [{"urn": r.urn, "type": r.type, "reason": reason}
                for r in self.resources if (reason := unchecked_reason(r, kinds)) is not None]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
            "unchecked": self.unchecked(),
            "messages": self.messages,
        }


# Kubernetes kinds whose schema ships with Kubernetes itself; anything else is a custom
# resource whose CRD (installed by a chart or a remote manifest) is not available offline.
BUILTIN_API_GROUPS = ("core/", "apps/", "batch/", "policy/", "autoscaling/", "networking.k8s.io/",
                      "rbac.authorization.k8s.io/", "storage.k8s.io/", "scheduling.k8s.io/",
                      "coordination.k8s.io/", "admissionregistration.k8s.io/", "meta/")


def unchecked_reason(record: ResourceRecord,
                     kinds: dict[tuple[str, str], str | None] | None = None) -> str | None:
    """Why ``record`` is not checked offline, or None. ``kinds`` ((apiVersion, kind) -> reason)
    keeps the answers for custom resources, for a caller asking of many records at once."""
    if record.type == "kubernetes:helm.sh/v3:Release":
        return (f"chart {record.inputs.get('chart')} {record.inputs.get('version')}: its "
                f"templates are rendered by Helm at deploy time, not offline")
    if record.type.startswith("kubernetes:yaml/"):
        return "remote manifests are fetched at deploy time, not offline"
    if record.type.startswith("kubernetes:") and record.custom and \
            not record.type.startswith(tuple("kubernetes:" + g for g in BUILTIN_API_GROUPS)) and \
            not record.type.startswith(("kubernetes:helm.sh/", "kubernetes:yaml/")):
        api, kind = record.inputs.get("apiVersion", record.type), record.inputs.get("kind", "")
        if kinds is None or not (isinstance(api, str) and isinstance(kind, str)):
            return _custom_resource_reason(api, kind)
        if (api, kind) not in kinds:
            kinds[api, kind] = _custom_resource_reason(api, kind)
        return kinds[api, kind]
    return None


def _custom_resource_reason(api: Any, kind: Any) -> str | None:
    from offline import crd_schemas

    if (missing := crd_schemas.missing()) is not None:
        return f"custom resource {api} {kind}: CRD schema check skipped, {missing}"
    source = crd_schemas.source_for(api, kind) if isinstance(api, str) else None
    if source is None:
        return f"custom resource {api} {kind}: its CRD schema is not available offline"
    rules = crd_schemas.cel_rules(api, kind)
    if rules:
        return (f"custom resource {api} {kind}: its fields are checked against the CRD "
                f"schema of {crd_schemas.describe(source)} (tests/test_crd_schemas.py), "
                f"but its {rules} CEL rules (x-kubernetes-validations) run only in the API "
                f"server")
    return None


def plain(value: Any) -> Any:
    """A protobuf-JSON property value -> plain JSON, secrets and unknowns replaced by markers,
    resource references by their URN."""
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return SECRET
        if sig == rpc._special_resource_sig:
            return value.get("urn")
        if sig == rpc._special_output_value_sig:
            if value.get("secret"):
                return SECRET
            return plain(value["value"]) if "value" in value else UNKNOWN
        if sig == rpc._special_asset_sig or sig == rpc._special_archive_sig:
            return {k: plain(v) for k, v in value.items() if k != rpc._special_sig_key}
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf Structs carry every number as a double
    return value


def _struct(struct: Any) -> dict[str, Any]:
    return plain(json_format.MessageToDict(struct, preserving_proto_field_name=True))


def _provider_urn(ref: str) -> str | None:
    return ref.rsplit("::", 1)[0] if ref else None


def _options(request: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "protect": bool(request.protect),
        "retainOnDelete": bool(request.retainOnDelete),
        "ignoreChanges": list(request.ignoreChanges),
        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
    }
    if request.replaceOnChanges:
        opts["replaceOnChanges"] = list(request.replaceOnChanges)
    if request.additionalSecretOutputs:
        opts["additionalSecretOutputs"] = list(request.additionalSecretOutputs)
    if request.deletedWith:
        opts["deletedWith"] = request.deletedWith
    if request.HasField("customTimeouts"):
        timeouts = {k: v for k, v in json_format.MessageToDict(request.customTimeouts).items() if v}
        if timeouts:
            opts["customTimeouts"] = timeouts
    if request.importId:
        opts["import"] = request.importId
    return opts


class RecordingMonitor(SyncMockMonitor):
    """The mock monitor (offline/monitor.py), keeping every registration as a ResourceRecord."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.records: list[ResourceRecord] = []
        self.stack_urn: str | None = None
        self.stack_outputs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self.stack_urn = urn
            return super().RegisterResource(request)
        dependencies = set(request.dependencies)
        prop_deps = {k: sorted(v.urns) for k, v in request.propertyDependencies.items()}
        for urns in prop_deps.values():
            dependencies.update(urns)
        record = ResourceRecord(
            type=request.type,
            name=request.name,
            urn=urn,
            parent=request.parent or None,
            custom=bool(request.custom),
            inputs=_struct(request.object),
            dependencies=sorted(dependencies),
            property_dependencies=prop_deps,
            provider=_provider_urn(request.provider),
            options=_options(request),
        )
        if request.aliases:
            record.options["aliases"] = sorted(self._alias_urn(request, a)
                                               for a in request.aliases)
        response = super().RegisterResource(request)
        registered = self.resources.get(urn)
        if registered is not None:
            record.id = registered.id
            record.outputs = registered.state
        with self._lock:
            self.records.append(record)
        return response

    def _alias_urn(self, request: Any, alias: Any) -> str:
        """The URN an alias names (the engine matches it in the previous state); a spec's unset
        parts are the resource's own."""
        spec = alias.spec
        return str(alias.urn) or self.make_urn("" if spec.noParent else (
            spec.parentUrn or request.parent), spec.type or request.type, spec.name or request.name)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn == self.stack_urn:
            self.stack_outputs = _struct(request.outputs)
        return super().RegisterResourceOutputs(request)


# ---------------------------------------------------------------------------------------------
# Running


# -- two patches of the Pulumi SDK, for runs under mocks only (the plan and the tests) --------
# 1. The SDK waits for outstanding outputs with ``asyncio.wait(FIRST_COMPLETED)`` over all of
#    them, again after each one completes: quadratic in the outputs of a program (a 600-resource
#    stack spent a third of its plan there). Awaiting them together is the same wait, linear.
# 2. Every registration walks the Python stack for the engine's source positions, which mocks
#    never read.


async def _wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    rpc_manager = runtime_settings._get_rpc_manager()
    while True:
        while rpc_manager.rpcs:
            await asyncio.sleep(0)
            try:
                await rpc_manager.rpcs.pop()
            except Exception:
                if rpc_manager.unhandled_exception is not None:
                    raise rpc_manager.unhandled_exception.with_traceback(
                        rpc_manager.exception_traceback) from None
                raise
        if rpc_manager.unhandled_exception is not None:
            raise rpc_manager.unhandled_exception.with_traceback(
                rpc_manager.exception_traceback)
        if await_all_outstanding_tasks:
            while True:
                with runtime_settings.SETTINGS.lock:
                    pending = list(runtime_settings.SETTINGS.outputs)
                    runtime_settings.SETTINGS.outputs.clear()
                if not pending:
                    break
                await asyncio.gather(*pending)
        if not rpc_manager.rpcs:
            break


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


def _patch_sdk() -> None:
    runtime_stack.wait_for_rpcs = _wait_for_rpcs
    runtime_resource._get_stack_trace = _no_stack_trace


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for a run (or a whole plan.py). Nearly everything a
    run allocates lives until its end (the SDK's modules, each resource, its Outputs and
    futures), so the collector's passes find next to nothing, yet each full pass walks the whole
    heap: they were a third of prod's plan and half of a plan of 4,900 resources, for ~10 % more
    peak memory without them. Whatever a run leaves behind is collected after it, as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _program(path: Path) -> Callable[[], None]:
    def run() -> None:
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        runpy.run_path(str(path), run_name="__main__")

    return run


def run_under_mocks(program: Callable[[], None], monitor: pulumi_mocks.MockMonitor, *,
                    project: str, stack: str, root: Path = ROOT,
                    config: Mapping[str, str] | None = None, secret_keys: Iterable[str] = (),
                    engine: pulumi_mocks.MockEngine | None = None) -> None:
    """Run ``program`` as a Pulumi program of ``project``/``stack`` against ``monitor``: in a
    fresh ``contextvars.Context`` on its own event loop (so runs in one process share no
    ambient state), with the SDK patches above and the collector paused. ``benchmarks/``'s SDK
    floor runs its replay through this too, under the same conditions as the plan."""

    def run() -> None:
        set_all_config(dict(config or {}), sorted(secret_keys))
        runtime_settings.configure(pulumi_mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=engine or pulumi_mocks.MockEngine(None),
            project=project,
            stack=stack,
            dry_run=False,
            organization="organization",
            callbacks=None,
            root_directory=str(root),
        ))
        runtime_settings.ROOT.set(None)
        # Fresh per run: a run that failed part-way leaves tasks of its (closed) loop behind,
        # and the next run would wait on them for ever.
        runtime_settings.SETTINGS.outputs = set()
        runtime_settings.SETTINGS.lock = threading.Lock()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.set_default_executor(InlineExecutor())  # the monitor answers in this thread
        try:
            loop.run_until_complete(run_in_stack(program))
        finally:
            # After a failure the program may still have registrations in flight: let them
            # finish (or fail) before the executor they run on goes away.
            pending = asyncio.all_tasks(loop)
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
            asyncio.set_event_loop(None)

    _patch_sdk()
    with collector_paused():
        contextvars.Context().run(run)


def run_program(stack: str, *, mocks: pulumi.runtime.Mocks | None = None,
                overrides: Mapping[str, Any] | None = None, root: Path = ROOT,
                stack_dir: Path | None = None,
                program: Callable[[], None] | None = None) -> Plan:
    """Run ``root/__main__.py`` as stack ``stack`` under mocks (``run_under_mocks``); return
    what it registered. Raises what the program raises (a ``SettingsError`` for bad config).
    ``program`` runs instead of ``__main__.py``, with the same stack config (the tests' runs of
    one component)."""
    config, secret_keys, project = read_stack_config(stack, root, stack_dir=stack_dir,
                                                    overrides=overrides)
    if mocks is None:
        from offline.mocks import EchoMocks

        mocks = EchoMocks(region=config.get("aws:region", "us-east-1"))
    monitor, engine = RecordingMonitor(mocks), RecordingEngine()
    started = time.perf_counter()
    run_under_mocks(program or _program(root / "__main__.py"), monitor, project=project, stack=stack,
                    root=root, config=config, secret_keys=secret_keys, engine=engine)
    records = sorted(monitor.records, key=lambda r: r.urn)
    return Plan(stack=stack, project=project, resources=records,
                outputs=monitor.stack_outputs, seconds=time.perf_counter() - started,
                mocks=mocks, messages=engine.messages)
