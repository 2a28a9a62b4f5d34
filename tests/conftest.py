"""Shared fixtures: run stacks and programs under the offline engine.

Tests that need the Pulumi CLI (`cli`) or an AWS account (`cloud`) are skipped here; `slow` ones run
only with MLOPS_SLOW_TESTS=1.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from mlopsctl.engine import Graph, run_stack

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    has_cli = shutil.which("pulumi") is not None
    has_cloud = bool(os.environ.get("AWS_PROFILE") or os.environ.get("AWS_ACCESS_KEY_ID")) and has_cli
    run_slow = os.environ.get("MLOPS_SLOW_TESTS") == "1"
    for item in items:
        if "cli" in item.keywords and not has_cli:
            item.add_marker(pytest.mark.skip(reason="needs the Pulumi CLI, which cannot be installed here"))
        if "cloud" in item.keywords and not has_cloud:
            item.add_marker(pytest.mark.skip(reason="needs an AWS account and the Pulumi CLI"))
        if "slow" in item.keywords and not run_slow:
            item.add_marker(pytest.mark.skip(reason="slow; set MLOPS_SLOW_TESTS=1"))


_GRAPHS: dict[str, Graph] = {}


def stack_graph(stack: str) -> Graph:
    """The graph of a real stack file, computed once per test session."""
    if stack not in _GRAPHS:
        _GRAPHS[stack] = run_stack(ROOT, stack)
    return _GRAPHS[stack]


@pytest.fixture(scope="session")
def dev_graph() -> Graph:
    return stack_graph("dev")


@pytest.fixture(scope="session")
def prod_graph() -> Graph:
    return stack_graph("prod")


@pytest.fixture(scope="session")
def phoenix_graph() -> Graph:
    return stack_graph("phoenix")


@pytest.fixture(scope="session")
def graph_of() -> Callable[[str], Graph]:
    """Look up a shipped stack's graph by name (cached for the session)."""
    return stack_graph
