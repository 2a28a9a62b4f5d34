"""The offline engine: run the real Pulumi program under Pulumi's own mock runtime and capture its graph.

Every resource registration the program makes (type, name, parent, provider, dependencies,
property dependencies, protect/retain flags, inputs) is recorded exactly as the engine would
receive it. No cloud account and no Pulumi CLI are needed, so plans, policy checks and PR diffs
are safe for untrusted pull requests.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import runpy
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from contracts.errors import ConfigError
from contracts.stackfile import read_stack_values
from mlopsctl import lazy_sdk
from mlopsctl.mocks import PlatformMocks
from mlopsctl.wire import SECRET_MARK, mask, struct_to_plain

PROJECT = "mlops-platform"
ROOT_TYPE = "pulumi:pulumi:Stack"


class DuplicateUrnError(Exception):
    """Two registrations produced the same URN; the real engine refuses such a program."""


@dataclass(frozen=True)
class Registration:
    """One resource registration as the engine received it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    remote: bool
    provider: str | None
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    protect: bool
    retain_on_delete: bool
    inputs: dict[str, Any]
    """Masked plain JSON: secrets "[secret]", unknowns "[unknown]", resource references as URNs."""
    wire: struct_pb2.Struct = field(repr=False, compare=False)
    """The raw inputs Struct (for feeding policies exactly as the real analyzer does)."""
    wire_json: dict[str, Any] = field(repr=False, compare=False)
    """``wire`` as JSON (signature-tagged secrets, references and unknowns unmasked), converted once."""
    import_id: str = ""
    """The ``import`` resource option: the id of an existing resource to adopt ("" when none)."""


@dataclass(frozen=True)
class Graph:
    """Everything one program run registered, sorted by URN."""

    project: str
    stack: str
    config: dict[str, str]
    resources: tuple[Registration, ...]
    outputs: dict[str, Any]

    def by_type(self, type_: str) -> list[Registration]:
        """All registrations of one type token."""
        return [r for r in self.resources if r.type == type_]

    def get(self, urn: str) -> Registration:
        """The registration with this URN (KeyError if none)."""
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)

    def children(self, urn: str) -> list[Registration]:
        """Direct children of a resource."""
        return [r for r in self.resources if r.parent == urn]


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that records every registration and rejects duplicate URNs."""

    def __init__(self, mocks: PlatformMocks) -> None:
        super().__init__(mocks)
        self.platform_mocks = mocks
        """The same mocks, with the platform's own methods (``resource_outputs``)."""
        self.registrations: dict[str, Registration] = {}
        self.root_urn = ""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # As the real engine does (step_generator.generateURN): the child's qualified type is the
        # parent's FULL qualified type plus its own, and the root stack is left out. (Pulumi's mock
        # monitor keeps only the parent's last type, which would give URNs no real deployment has.)
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != ROOT_TYPE:
                type_ = f"{parent_type}${type_}"
        return f"urn:pulumi:{settings.get_stack()}::{settings.get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == ROOT_TYPE:
            self.root_urn = urn
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]  # untyped in the SDK
        if urn in self.registrations:
            raise DuplicateUrnError(f"Duplicate resource URN '{urn}'; try giving it a unique name")
        parent = request.parent or None
        wire_json = json_format.MessageToDict(request.object)
        inputs = mask(wire_json)
        self.registrations[urn] = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=None if parent == self.root_urn else parent,
            custom=bool(request.custom),
            remote=bool(request.remote),
            provider=request.provider or None,
            dependencies=tuple(sorted(set(request.dependencies))),
            property_dependencies={
                key: tuple(sorted(set(deps.urns)))
                for key, deps in sorted(request.propertyDependencies.items())
                if deps.urns
            },
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            inputs=inputs,
            wire=request.object,
            wire_json=wire_json,
            import_id=request.importId,
        )
        # The response echoes the wire inputs (secrets stay secret) plus the mock's computed outputs,
        # built directly instead of through the mock monitor's deserialize/serialize round trip.
        physical, outputs = self.platform_mocks.resource_outputs(request.type, request.name, inputs)
        state = struct_pb2.Struct()
        state.CopyFrom(request.object)
        state.update(outputs)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, physical, {**inputs, **outputs})
        return resource_pb2.RegisterResourceResponse(urn=urn, id=physical, object=state)


_LOCK = threading.Lock()
lazy_sdk.install()  # before the program's first `import pulumi_aws`: the SDK's packages load what is used


def run_program(
    fn: Callable[[], Any],
    *,
    stack: str = "test",
    project: str = PROJECT,
    config: Mapping[str, Any] | None = None,
    secret_keys: tuple[str, ...] = (),
) -> Graph:
    """Run ``fn`` (anything that declares resources) under the mock runtime and return its graph.

    ``config`` maps ``namespace:key`` to values; non-string values are passed as JSON, as the
    Pulumi CLI passes structured config to programs.
    """
    flat = {key: value if isinstance(value, str) else json.dumps(value) for key, value in (config or {}).items()}
    region = flat.get("aws:region", "eu-west-1")
    monitor = RecordingMonitor(PlatformMocks(region=region, stack=stack))
    with _LOCK:
        pulumi.runtime.set_all_config(flat, list(secret_keys))
        settings.ROOT.set(None)  # a fresh root stack per run, so nothing leaks between runs
        pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)
        # Pulumi keeps pending RPCs and outputs in process-wide settings: start each run clean.
        # pyright cannot see through the decorator on the SDK's Settings class; these attributes are pinned
        # by tests/foundation/test_engine_sdk_internals.py.
        settings.SETTINGS.rpc_manager.clear()  # pyright: ignore[reportAttributeAccessIssue]
        settings.SETTINGS.outputs.clear()  # pyright: ignore[reportAttributeAccessIssue]
        # Source positions are not part of the graph; skipping the SDK's per-resource stack walk
        # saves about a tenth of the run.
        collect_stack_trace = runtime_resource._get_stack_trace
        runtime_resource._get_stack_trace = _no_stack_trace
        # The SDK allocates many objects per resource, and every collection walks the huge typed SDK
        # modules: pausing the cyclic collector for the run makes a warm run about a third faster.
        gc.disable()
        try:
            _sync_await(run_pulumi_func(fn))
            outputs = _stack_outputs()
        finally:
            gc.enable()
            runtime_resource._get_stack_trace = collect_stack_trace
            pulumi.runtime.set_all_config({}, [])
    masked = {key: SECRET_MARK if key in secret_keys else value for key, value in flat.items()}
    return Graph(
        project=project,
        stack=stack,
        config=dict(sorted(masked.items())),
        resources=tuple(monitor.registrations[urn] for urn in sorted(monitor.registrations)),
        outputs=outputs,
    )


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


def _stack_outputs() -> dict[str, Any]:
    """The values exported with ``pulumi.export``, serialized and masked like inputs."""
    root = settings.get_root_resource()
    exported = dict(getattr(root, "outputs", {}) or {})
    struct = _sync_await(rpc.serialize_properties(exported, {}))
    return dict(sorted(struct_to_plain(struct).items()))


def stack_file(project_dir: Path, stack: str) -> Path:
    """Where a stack's config lives (``stackConfigDir: stacks``)."""
    return project_dir / "stacks" / f"Pulumi.{stack}.yaml"


def stack_config(project_dir: Path, stack: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The stack file's config as the CLI would pass it, plus its secret keys.

    Offline there is no secrets provider, so ``{secure: ...}`` values become "[secret]" and are
    marked secret: programs still see a secret, never its ciphertext.
    """
    values = read_stack_values(stack_file(project_dir, stack))
    config: dict[str, Any] = {}
    secrets: list[str] = []
    for key, value in values.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = SECRET_MARK
            secrets.append(key)
        else:
            config[key] = value
    return config, tuple(sorted(secrets))


PROJECT_PACKAGES = ("components",)
"""Packages of the Pulumi program itself: imported from the project directory being planned."""


def _is_project_module(name: str) -> bool:
    return any(name == pkg or name.startswith(f"{pkg}.") for pkg in PROJECT_PACKAGES)


@contextmanager
def _project_on_path(project_dir: Path) -> Iterator[None]:
    """Import the program's packages from ``project_dir`` and run from there, as `pulumi up` would.

    Planning another checkout (e.g. a git worktree of the PR base) must not reuse the modules of
    this one, so the program's packages are unloaded for the run and restored afterwards.
    """
    previous_cwd = Path.cwd()
    saved = {name: module for name, module in sys.modules.items() if _is_project_module(name)}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(project_dir))
    os.chdir(project_dir)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        sys.path.remove(str(project_dir))
        for name in [name for name in sys.modules if _is_project_module(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def run_stack(project_dir: Path, stack: str) -> Graph:
    """Run the project's real ``__main__.py`` with the config of ``stacks/Pulumi.<stack>.yaml``.

    The stack file is validated first with the project's own config model, so a bad file fails
    fast with every problem listed. Raises :class:`ConfigError` for a missing or invalid stack file.
    """
    project_dir = project_dir.resolve()
    main = project_dir / "__main__.py"
    if not main.is_file():
        raise ConfigError(str(main), ["the Pulumi program is missing"])
    with _project_on_path(project_dir):
        project_config = importlib.import_module("components.config")
        path = stack_file(project_dir, stack)
        try:
            project_config.load_stack_file(path)
        except project_config.ConfigError as error:
            # Re-raised as this tool's ConfigError: the project's class may come from another checkout.
            raise ConfigError(str(path.relative_to(project_dir)), list(error.problems)) from None
        config, secrets = stack_config(project_dir, stack)
        return run_program(
            lambda: runpy.run_path(str(main), run_name="__main__"),
            stack=stack,
            project=PROJECT,
            config=config,
            secret_keys=secrets,
        )
