"""Builders for policy tests: registrations as the offline engine records them, and rule runners.

``reg`` builds a ``Registration`` whose ``wire`` is a protobuf Struct of the given (camelCase)
inputs, exactly the shape the engine receives, so tests exercise the evaluator's real
deserialization path. ``mutate`` changes one field of a compliant fixture.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from google.protobuf import json_format, struct_pb2

from mlopsctl.engine import Graph, Registration
from mlopsctl.policy import PolicyReport, Violation, evaluate
from policies.mlops.exemption import Exemption
from policies.mlops.rule import Rule

PROJECT = "mlops-platform"
TODAY = date(2026, 11, 23)
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
DELETE = object()
"""``mutate`` value that removes the field."""

TAGS = {"owner": "ml-platform", "environment": "dev", "cost-center": "cc-1"}


def secret(value: Any) -> dict[str, Any]:
    """A wire secret."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def urn(type_: str, name: str, stack: str = "dev") -> str:
    """The URN of a top-level resource."""
    return f"urn:pulumi:{stack}::{PROJECT}::{type_}::{name}"


def reg(
    type_: str,
    name: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    stack: str = "dev",
    parent: str | None = None,
    provider: str | None = None,
    deps: Mapping[str, Sequence[str]] | None = None,
    custom: bool = True,
) -> Registration:
    """One registration; ``deps`` maps input names to the URNs they were computed from."""
    wire = struct_pb2.Struct()
    wire.update(dict(inputs or {}))
    property_dependencies = {k: tuple(v) for k, v in (deps or {}).items()}
    all_deps = sorted({u for v in property_dependencies.values() for u in v})
    return Registration(
        urn=urn(type_, name, stack),
        type=type_,
        name=name,
        parent=parent,
        custom=custom,
        remote=False,
        provider=provider,
        dependencies=tuple(all_deps),
        property_dependencies=property_dependencies,
        protect=False,
        retain_on_delete=False,
        inputs=dict(inputs or {}),
        wire=wire,
        wire_json=json_format.MessageToDict(wire),
    )


def graph(*resources: Registration, stack: str = "dev", config: Mapping[str, Any] | None = None) -> Graph:
    """A graph of these registrations (config values may be objects: they are passed as JSON, like the CLI)."""
    import json

    flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (config or {}).items()}
    return Graph(
        project=PROJECT,
        stack=stack,
        config=flat,
        resources=tuple(sorted(resources, key=lambda r: r.urn)),
        outputs={},
    )


def mutate(base: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with ``path`` (dots; ``[i]`` list index) set to ``value`` (or removed)."""
    result = copy.deepcopy(dict(base))
    steps: list[str | int] = []
    for part in path.split("."):
        while "[" in part:
            head, _, rest = part.partition("[")
            if head:
                steps.append(head)
            index, _, part = rest.partition("]")
            steps.append(int(index))
        if part:
            steps.append(part)
    target: Any = result
    for step in steps[:-1]:
        if isinstance(step, str) and step not in target:
            target[step] = {}
        target = target[step]
    last = steps[-1]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return result


def run(
    rule: Rule,
    *resources: Registration,
    stack: str = "dev",
    config: Mapping[str, Any] | None = None,
    exemptions: tuple[Exemption, ...] = (),
) -> PolicyReport:
    """Evaluate one rule on a graph of ``resources``."""
    return evaluate(
        graph(*resources, stack=stack, config=config), today=TODAY, rules=[rule], code_exemptions=exemptions
    )


def violations(rule: Rule, *resources: Registration, **kwargs: Any) -> list[Violation]:
    """The violations of ``rule`` on these resources."""
    return [v for v in run(rule, *resources, **kwargs).violations if v.policy == rule.name]


def messages(rule: Rule, *resources: Registration, **kwargs: Any) -> list[str]:
    """Just the messages."""
    return [v.message for v in violations(rule, *resources, **kwargs)]


def not_applicable(rule: Rule, *resources: Registration, **kwargs: Any) -> list[str]:
    """Reasons given through ``args.not_applicable``."""
    return [reason for policy, _urn, reason in run(rule, *resources, **kwargs).not_applicable if policy == rule.name]
