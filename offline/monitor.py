"""The engine's side of a run under mocks, answered in the program's own thread.

The SDK sends every registration and invoke to the engine through
``loop.run_in_executor``: a gRPC call to another process under ``pulumi up``. Under mocks the
"engine" is Python code in this process (``pulumi.runtime.mocks.MockMonitor``), and running it
on executor threads bought nothing but the threads' hand-offs and contention for the GIL (about
a tenth of a run). ``InlineExecutor`` runs each call where it is made, and ``SyncMockMonitor``
answers without an event loop of its own (the stock monitor serialises its answer with
``_sync_await``, which would pump the program's running loop from inside one of its callbacks).
Both the plan (offline/harness.py) and the SDK floor (benchmarks/sdk_floor.py) run this way.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any

from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import engine_pb2, provider_pb2, resource_pb2

STACK_TYPE = "pulumi:pulumi:Stack"


class InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """An executor that runs each call at once, in the caller's thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(max_workers=1)

    def submit(self, fn: Callable[..., Any], /, *args: Any,
               **kwargs: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # the SDK reads the failure off the future
            future.set_exception(exc)
        return future


def _to_struct(value: dict[str, Any]) -> struct_pb2.Struct:
    """Plain JSON-like data (secrets as their wire dicts) as the engine's Struct."""
    struct = struct_pb2.Struct()
    try:
        struct.update(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the offline monitor answers plain data only ({exc}): a mock returned "
                        f"an object the SDK would have to serialise") from None
    return struct


class SyncMockMonitor(pulumi_mocks.MockMonitor):
    """``MockMonitor`` answering registrations and invokes synchronously, as it does for
    everything else."""

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = rpc.deserialize_properties(request.object)
        id_, state = self.mocks.new_resource(pulumi_mocks.MockResourceArgs(
            typ=request.type, name=request.name, inputs=inputs, provider=request.provider,
            resource_id=request.importId, custom=request.custom or False))
        obj = _to_struct(state)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj)

    def Invoke(self, request: Any) -> Any:
        if request.tok == "pulumi:pulumi:getResource":
            registered = self.resources[rpc.deserialize_properties(request.args)["urn"]]
            return resource_pb2.ResourceInvokeResponse(**{"return": _to_struct(registered.state)})
        args = rpc.deserialize_properties(request.args)
        answer = self.mocks.call(pulumi_mocks.MockCallArgs(
            token=request.tok, args=args, provider=request.provider))
        ret, failures = (answer, None) if isinstance(answer, dict) else (
            answer[0], [provider_pb2.CheckFailure(property=p, reason=r) for p, r in answer[1]])
        return resource_pb2.ResourceInvokeResponse(failures=failures, **{"return": _to_struct(ret)})


SEVERITIES = {engine_pb2.DEBUG: "debug", engine_pb2.INFO: "info",
              engine_pb2.WARNING: "warning", engine_pb2.ERROR: "error"}


class RecordingEngine(pulumi_mocks.MockEngine):
    """The engine's log, kept: what the program says (``pulumi.log``: its settings' notes, its
    warnings) is what ``pulumi up`` would print; the stock mock engine hands it to Python's root
    logger, which drops everything below a warning."""

    def __init__(self) -> None:
        super().__init__(None)
        self.messages: list[dict[str, str]] = []

    def Log(self, request: Any) -> Any:
        if request.severity != engine_pb2.DEBUG:
            self.messages.append({"severity": SEVERITIES.get(request.severity, "info"),
                                  "message": request.message})
        return empty_pb2.Empty()
