"""A stack's deploy layers, read from its exported state or from the offline plan, and the state surgery
of the forget fallback.

``pulumi stack export`` gives ``{"version": 3, "deployment": {"resources": [...], ...}}``; everything here
works on that document (plain JSON), so it is tested without the Pulumi CLI. The layers themselves are
defined once, in :mod:`mlopsctl.layers`.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from mlopsctl.layers import Layer, layer_urns

ROOT_TYPE = "pulumi:pulumi:Stack"
RUNNER_PROJECT_OUTPUT = "deployRunnerProject"
"""Stack output naming the in-VPC deploy runner's CodeBuild project (set by the runner component)."""


class StateEditError(ValueError):
    """The exported state cannot be edited safely (the message names the resources in the way)."""


class OfflinePlanError(RuntimeError):
    """The offline engine could not plan the stack, so no target list can be computed."""


def state_resources(state: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The resources of an exported state (``{"version", "deployment"}``), in state order."""
    deployment = state.get("deployment") or {}
    resources = deployment.get("resources") if isinstance(deployment, Mapping) else None
    return [r for r in resources or [] if isinstance(r, Mapping)]


def state_layer_urns(state: Mapping[str, Any], layer: Layer) -> list[str]:
    """URNs of the resources of ``layer`` that the state holds (the root stack resource is in no layer)."""
    pairs = ((str(r.get("urn", "")), str(r.get("type", ""))) for r in state_resources(state))
    return layer_urns(((urn, kind) for urn, kind in pairs if urn and kind != ROOT_TYPE), layer)


def state_outputs(state: Mapping[str, Any]) -> Mapping[str, Any]:
    """The stack outputs recorded on the root stack resource (empty when never deployed)."""
    for resource in state_resources(state):
        if resource.get("type") == ROOT_TYPE:
            outputs = resource.get("outputs")
            return outputs if isinstance(outputs, Mapping) else {}
    return {}


def runner_project(environment: str, state: Mapping[str, Any]) -> str:
    """The deploy runner's CodeBuild project: the stack's ``deployRunnerProject`` output, else the naming
    convention ``mlops-<environment>-deploy`` (the runner component's)."""
    recorded = state_outputs(state).get(RUNNER_PROJECT_OUTPUT)
    return recorded if isinstance(recorded, str) and recorded else f"mlops-{environment}-deploy"


def forget_resources(state: Mapping[str, Any], urns: Collection[str]) -> dict[str, Any]:
    """A copy of ``state`` without the resources ``urns``, for ``pulumi stack import``.

    Pulumi verifies the snapshot on import, so references to dropped resources are removed from what
    stays (resources and pending operations): ``dependencies``, ``propertyDependencies``, ``deletedWith``.
    A resource that stays but has a dropped parent or provider cannot be repaired that way:
    StateEditError names it.
    """
    drop = set(urns)
    original = state.get("deployment")
    if not isinstance(original, Mapping):
        raise StateEditError("the exported state has no deployment")
    deployment = copy.deepcopy(dict(original))
    problems: list[str] = []
    kept = [
        _without_references(r, drop, problems) for r in deployment.get("resources") or [] if r.get("urn") not in drop
    ]
    pending = [
        {**op, "resource": _without_references(op["resource"], drop, problems)}
        for op in deployment.get("pending_operations") or []
        if isinstance(op, Mapping) and isinstance(op.get("resource"), Mapping) and op["resource"].get("urn") not in drop
    ]
    if problems:
        raise StateEditError("cannot drop these resources without breaking others: " + "; ".join(sorted(problems)))
    deployment["resources"] = kept
    if "pending_operations" in deployment:
        deployment["pending_operations"] = pending
    return {**dict(state), "deployment": deployment}


def _without_references(resource: dict[str, Any], drop: set[str], problems: list[str]) -> dict[str, Any]:
    """``resource`` (edited in place: it is already a copy) with its references to ``drop`` removed."""
    urn = resource.get("urn")
    if resource.get("parent") in drop:
        problems.append(f"{urn} is a child of {resource['parent']}")
    provider = str(resource.get("provider") or "")
    if provider and provider.rsplit("::", 1)[0] in drop:
        problems.append(f"{urn} uses the provider {provider}")
    if resource.get("dependencies"):
        resource["dependencies"] = [dep for dep in resource["dependencies"] if dep not in drop]
    if isinstance(resource.get("propertyDependencies"), dict):
        resource["propertyDependencies"] = {
            key: [dep for dep in deps if dep not in drop] for key, deps in resource["propertyDependencies"].items()
        }
    if resource.get("deletedWith") in drop:
        del resource["deletedWith"]
    return resource


def offline_layer_targets(project_dir: Path, stack: str, layer: Layer) -> list[str]:
    """The ``--target`` list of ``layer``: run the offline engine on ``stacks/Pulumi.<stack>.yaml``.

    The offline engine builds URNs exactly as the real engine does, so the list matches a real
    deployment of the same program and config. Raises OfflinePlanError when planning fails.
    """
    # Imported on use: the engine loads the program's SDKs, which most phoenix commands never need.
    from contracts.errors import ConfigError
    from mlopsctl.engine import DuplicateUrnError, run_stack

    try:
        graph = run_stack(project_dir, stack)
    except (ConfigError, DuplicateUrnError) as exc:
        raise OfflinePlanError(f"offline plan of {stack} failed: {exc}") from exc
    except Exception as exc:  # a bug in the program: say which stack, keep the cause
        raise OfflinePlanError(f"offline plan of {stack} failed: {type(exc).__name__}: {exc}") from exc
    return graph_layer_urns(((r.urn, r.type) for r in graph.resources), layer)


def graph_layer_urns(pairs: Iterable[tuple[str, str]], layer: Layer) -> list[str]:
    """:func:`mlopsctl.layers.layer_urns` of plan ``(urn, type)`` pairs, refusing an empty result.

    An empty ``--target`` list would turn a layered operation into a whole-stack one.
    """
    urns = layer_urns(pairs, layer)
    if not urns:
        raise OfflinePlanError(f"the offline plan has no {layer}-layer resources; refusing an untargeted operation")
    return urns
