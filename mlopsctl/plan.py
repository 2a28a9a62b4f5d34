"""The plan document (schema ``mlops-plan/1``): a stable, versioned JSON view of one stack's graph.

Other tools (diff, policy reports, CI) read it, so its shape is a contract: resources sorted by
URN, inputs under their wire (camelCase) names, secrets masked, no timestamps (two runs on the
same input are byte-identical).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from contracts.plan import PLAN_SCHEMA
from mlopsctl.engine import Graph, Registration

SCHEMA = PLAN_SCHEMA


def resource_entry(resource: Registration) -> dict[str, Any]:
    """One resource as the plan contract describes it."""
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "parent": resource.parent,
        "custom": resource.custom,
        "provider": resource.provider,
        "dependencies": list(resource.dependencies),
        "propertyDependencies": {key: list(urns) for key, urns in resource.property_dependencies.items()},
        "protect": resource.protect,
        "retainOnDelete": resource.retain_on_delete,
        "inputs": canonical(resource.inputs),
        # Optional: present only for a resource adopted with the `import` option.
        **({"importId": resource.import_id} if resource.import_id else {}),
    }


def build_plan(
    graph: Graph, *, policy: dict[str, Any] | None = None, deploy: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The plan document of a graph; ``policy`` and ``deploy`` are the sections of the checks that were
    evaluated (policy pack; deploy invariants, see ``mlopsctl.deploy.report``)."""
    plan: dict[str, Any] = {
        "schema": SCHEMA,
        "project": graph.project,
        "stack": graph.stack,
        "resources": [resource_entry(r) for r in sorted(graph.resources, key=lambda r: r.urn)],
        "outputs": canonical(graph.outputs),
        # The stack config the program ran with (secrets masked), so checks can be re-run on the document.
        "config": canonical({key: _structured(value) for key, value in graph.config.items()}),
    }
    if policy is not None:
        plan["policy"] = canonical(policy)
    if deploy is not None:
        plan["deploy"] = canonical(deploy)
    return plan


def _structured(value: Any) -> Any:
    """Structured config travels as JSON text (as the Pulumi CLI passes it); the plan keeps it structured."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def canonical(value: Any) -> Any:
    """``value`` with every mapping's keys sorted, so the JSON text never depends on insertion order."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def dumps(plan: dict[str, Any]) -> str:
    """Canonical JSON text of a plan (contract key order, nested keys sorted, two-space indent)."""
    return json.dumps(plan, indent=2, ensure_ascii=False) + "\n"


def components(graph: Graph) -> list[Registration]:
    """Component resources (ComponentResources), sorted by URN."""
    return [r for r in graph.resources if not r.custom]


def component_edges(graph: Graph) -> list[tuple[str, str]]:
    """(dependent component URN, dependency component URN) pairs, from resource dependencies.

    A component depends on another when any resource inside it depends on a resource inside the
    other. The owning component of a resource is its nearest non-custom ancestor.
    """
    by_urn = {r.urn: r for r in graph.resources}

    def owner(urn: str) -> str | None:
        current = by_urn.get(urn)
        while current is not None and current.custom:
            current = by_urn.get(current.parent) if current.parent else None
        return current.urn if current is not None else None

    edges: set[tuple[str, str]] = set()
    for resource in graph.resources:
        source = owner(resource.urn)
        for dep in resource.dependencies:
            target = owner(dep)
            if source and target and source != target and not _is_ancestor(by_urn, target, source):
                edges.add((source, target))
    return sorted(edges)


def _is_ancestor(by_urn: dict[str, Registration], ancestor: str, urn: str) -> bool:
    current = by_urn.get(urn)
    while current is not None and current.parent:
        if current.parent == ancestor:
            return True
        current = by_urn.get(current.parent)
    return False


def type_counts(graph: Graph) -> list[tuple[str, int]]:
    """Resource counts per type, most frequent first (ties by type name)."""
    counts = Counter(r.type for r in graph.resources)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
