"""Checks on captured inputs and IAM documents shared by the component test suites."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, leaf-or-node) of a nested JSON value."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")


def statements(policy: str) -> list[dict[str, Any]]:
    """Statements of a policy document (JSON text)."""
    parsed: dict[str, Any] = json.loads(policy)
    return list(parsed["Statement"])


def wildcard_problems(policy: str, *, allowed_star: frozenset[str] = frozenset()) -> list[str]:
    """Actions that are ``*`` or ``service:*``, and Allow statements on a bare ``*`` resource
    (unless every action is in ``allowed_star``)."""
    problems = []
    for statement in statements(policy):
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        for action in actions:
            if action == "*" or action.endswith(":*"):
                problems.append(f"{statement.get('Sid')}: action {action}")
        if statement["Effect"] == "Allow" and "*" in resources and not set(actions) <= allowed_star:
            problems.append(f"{statement.get('Sid')}: resource * for {actions}")
    return problems
