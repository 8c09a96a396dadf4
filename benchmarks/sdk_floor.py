"""The bare Pulumi SDK doing a plan's registrations: the floor a plan's wall time is held to.

    python benchmarks/sdk_floor.py PLAN.json

Reads a plan written by ``plan.py STACK --json`` and registers the same resources through the
SDK alone, in a fresh process: the same SDK modules imported (``pulumi_aws.rds``,
``pulumi_kubernetes.apps.v1``, ...), every resource as an instance of its own SDK class with the
same type token, name, parent, provider, dependencies, options and inputs (secrets as secret
Outputs), every declared output property given an Output as the class's own ``__init__`` does,
under mocks that echo the inputs back, with the same two SDK patches the offline plan runs with
(``offline.harness._patch_sdk``) and, as plan.py runs, without the cyclic garbage collector. None of shipyard runs: no settings, catalogs, components,
values, estimates, summaries or JSON. What ``plan.py`` takes beyond this is shipyard's own cost.

Prints one JSON line: {"resources": N, "seconds": S} (S from the start of the process).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import atexit  # noqa: E402
import gc  # noqa: E402

# as plan.py runs as a command: the whole process without the cyclic collector's passes, its
# objects frozen at exit so that the interpreter's last collection skips them
gc.disable()
atexit.register(gc.freeze)

import functools  # noqa: E402
import importlib  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pulumi  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from offline.harness import SECRET, run_under_mocks  # noqa: E402
from offline.monitor import SyncMockMonitor  # noqa: E402

PACKAGES = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes", "random": "pulumi_random"}


class Echo(pulumi.runtime.Mocks):
    """Inputs back as state; invokes answer nothing (the floor makes none)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def sdk_class(type_: str) -> type | None:
    """The SDK class of a type token (``aws:rds/instance:Instance`` -> pulumi_aws.rds.Instance),
    its module imported as the program would import it; None for component types."""
    package, module, name = type_.split(":")
    if package not in PACKAGES:
        return None
    path = module.split("/")[0]
    if package == "kubernetes":  # group/version: rbac.authorization.k8s.io/v1 -> rbac.v1
        group, version = module.split("/")
        path = f"{group.split('.')[0]}.{version}"
        if "." in group and not group.endswith(".k8s.io") and group != "helm.sh":
            path = "apiextensions"  # a custom resource: the SDK's generic class for them
            name = "CustomResource"
    python_module = PACKAGES[package] if path == "index" else f"{PACKAGES[package]}.{path}"
    try:
        return getattr(importlib.import_module(python_module), name)
    except (ImportError, AttributeError):
        if package != "kubernetes":
            raise
        # a custom resource of a *.k8s.io group (Gateway API, snapshots): the generic class
        return importlib.import_module("pulumi_kubernetes.apiextensions").CustomResource


def _camel_to_snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


@functools.cache
def _parameters(cls: type) -> frozenset[str]:
    init = getattr(cls, "_internal_init", cls.__init__)
    return frozenset(inspect.signature(init).parameters)


def python_kwargs(cls: type, props: dict[str, Any]) -> dict[str, Any] | None:
    """The class's own keyword arguments for a plan's inputs (``allocatedStorage`` ->
    ``allocated_storage``; nested values as dicts, as a program may pass them), or None when
    an input has no parameter of that name."""
    params, kwargs = _parameters(cls), {}
    for key, value in props.items():
        snake = _camel_to_snake(key)
        if snake in params:
            kwargs[snake] = value
        elif key in params:
            kwargs[key] = value
        else:
            return None
    return kwargs


def _secrets(value: Any) -> Any:
    if value == SECRET:
        return pulumi.Output.secret("x")
    if isinstance(value, dict):
        return {k: _secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_secrets(v) for v in value]
    return value


def registration_order(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parents, providers and dependencies before what needs them; otherwise as written."""
    by_urn = {r["urn"]: r for r in records}
    done: set[str] = set()
    order: list[dict[str, Any]] = []

    def visit(record: dict[str, Any]) -> None:
        stack = [(record, False)]
        while stack:
            r, expanded = stack.pop()
            if r["urn"] in done:
                continue
            if expanded:
                done.add(r["urn"])
                order.append(r)
                continue
            stack.append((r, True))
            options = r.get("options") or {}
            for urn in [r.get("parent"), r.get("provider"), options.get("deletedWith"),
                        *r.get("dependencies", [])]:
                if urn in by_urn and urn not in done:
                    stack.append((by_urn[urn], False))

    for record in records:
        visit(record)
    return order


def _options(record: dict[str, Any], made: dict[str, pulumi.Resource]) -> pulumi.ResourceOptions:
    o = record.get("options") or {}
    timeouts = o.get("customTimeouts")
    return pulumi.ResourceOptions(
        parent=made.get(record.get("parent") or ""),
        provider=made.get(record.get("provider") or ""),  # type: ignore[arg-type]
        depends_on=[made[u] for u in record.get("dependencies", []) if u in made],
        protect=o.get("protect", False),
        retain_on_delete=o.get("retainOnDelete", False),
        ignore_changes=o.get("ignoreChanges") or None,
        delete_before_replace=o.get("deleteBeforeReplace", False),
        replace_on_changes=o.get("replaceOnChanges"),
        additional_secret_outputs=o.get("additionalSecretOutputs"),
        deleted_with=made.get(o.get("deletedWith") or ""),
        custom_timeouts=pulumi.CustomTimeouts(**{k: v for k, v in timeouts.items()})
        if timeouts else None,
        import_=o.get("import"),
    )


GENERIC: list[str] = []  # the types the floor could not build through their own class


def _typed(type_: str, name: str, props: dict[str, Any],
           opts: pulumi.ResourceOptions) -> pulumi.Resource:
    """The resource through its SDK class's own constructor, as a program builds it."""
    cls = sdk_class(type_)
    if cls is not None and cls.__name__ == "CustomResource" and type_.startswith("kubernetes:"):
        rest = {k: v for k, v in props.items() if k not in ("apiVersion", "kind", "metadata")}
        if set(rest) - {"spec"}:  # fields beside spec: the object as it is, as the program does
            return pulumi.CustomResource(type_, name, props, opts)
        return cls(name, api_version=props.get("apiVersion"), kind=props.get("kind"),
                   metadata=props.get("metadata"), opts=opts, **rest)
    kwargs = python_kwargs(cls, props) if cls is not None else None
    if kwargs is None:
        GENERIC.append(type_)
        return pulumi.CustomResource(type_, name, props, opts)
    return cls(name, opts=opts, **kwargs)


def replay(plan: dict[str, Any]) -> None:
    made: dict[str, pulumi.Resource] = {}
    for record in registration_order(plan["resources"]):
        type_, name, opts = record["type"], record["name"], _options(record, made)
        props = _secrets(record["inputs"])
        if type_.startswith("pulumi:providers:"):
            res: pulumi.Resource = pulumi.ProviderResource(type_.split(":")[2], name, props, opts)
        elif not record["custom"]:
            res = pulumi.ComponentResource(type_, name, None, opts)
            res.register_outputs({})
        else:
            res = _typed(type_, name, props, opts)
        made[record["urn"]] = res
    for key, value in plan.get("outputs", {}).items():
        pulumi.export(key, _secrets(value))


def run(plan: dict[str, Any]) -> None:
    monitor = SyncMockMonitor(Echo())
    # the offline plan's own runner: its event loop, executor, SDK patches, paused collector
    run_under_mocks(lambda: replay(plan), monitor, project=plan.get("project", "shipyard"),
                    stack=plan["stack"])
    # the same work or no floor: exactly the plan's resources, by URN
    missing = {r["urn"] for r in plan["resources"]} - set(monitor.resources)
    extra = set(monitor.resources) - {r["urn"] for r in plan["resources"]}
    if missing or extra:
        raise SystemExit(f"sdk_floor: not the plan's registrations: {len(missing)} missing "
                         f"(e.g. {sorted(missing)[:1]}), {len(extra)} more (e.g. "
                         f"{sorted(extra)[:1]})")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.splitlines()[3].strip(), file=sys.stderr)
        return 2
    plan = json.loads(Path(argv[0]).read_text())
    run(plan)
    print(json.dumps({"resources": len(plan["resources"]),
                      "seconds": round(time.perf_counter() - STARTED, 3),
                      "generic": sorted(set(GENERIC))}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
