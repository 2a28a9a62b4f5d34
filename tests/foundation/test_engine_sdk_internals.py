"""The private Pulumi SDK internals the offline engine relies on, pinned: an SDK upgrade that changes any
of them fails here, by name, instead of silently producing wrong plans (see mlopsctl/engine.py).
The SDK version itself is pinned by uv.lock (tests/foundation/test_lock.py)."""

from __future__ import annotations

import contextvars
import inspect

from pulumi.runtime import mocks, resource, rpc, settings
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from mlopsctl.engine import RecordingMonitor


def test_source_position_hook_is_a_module_function_returning_a_stack_trace() -> None:
    # The engine swaps resource._get_stack_trace for a no-op to skip per-resource stack walks.
    assert inspect.signature(resource._get_stack_trace).parameters == {}
    assert isinstance(resource._get_stack_trace(), source_pb2.StackTrace)


def test_settings_the_engine_resets_between_runs() -> None:
    assert isinstance(settings.ROOT, contextvars.ContextVar)  # settings.ROOT.set(None): a fresh root stack
    assert callable(settings.SETTINGS.rpc_manager.clear)
    assert isinstance(settings.SETTINGS.outputs, set)
    assert callable(settings.get_root_resource) and callable(settings.get_stack) and callable(settings.get_project)


def test_mock_monitor_contract() -> None:
    # RecordingMonitor subclasses MockMonitor, overrides RegisterResource and make_urn, and stores
    # MockMonitor.ResourceRegistration(urn, id, state) entries for the SDK's own lookups.
    assert issubclass(RecordingMonitor, mocks.MockMonitor)
    assert list(inspect.signature(mocks.MockMonitor.RegisterResource).parameters) == ["self", "request"]
    assert list(inspect.signature(mocks.MockMonitor.make_urn).parameters) == ["self", "parent", "type_", "name"]
    registration = mocks.MockMonitor.ResourceRegistration("urn:x", "id-1", {"a": 1})
    assert (registration.urn, registration.id, registration.state) == ("urn:x", "id-1", {"a": 1})
    fields = resource_pb2.RegisterResourceRequest.DESCRIPTOR.fields_by_name
    for name in ("type", "name", "parent", "custom", "remote", "dependencies", "propertyDependencies", "provider"):
        assert name in fields, name
    for name in ("protect", "retainOnDelete", "importId", "object"):
        assert name in fields, name


def test_program_runner_and_sync_bridge() -> None:
    assert list(inspect.signature(run_pulumi_func).parameters) == ["func"]
    assert callable(_sync_await)
    assert inspect.iscoroutinefunction(rpc.serialize_properties)
