"""Plans and price/usage inputs shared by the cost tests.

Plans come from the real stacks under the offline engine (computed once per session by the root
conftest); every test gets its own deep copy, so tests may mutate them.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from mlopsctl.cost.prices import PriceSnapshot, load_region
from mlopsctl.cost.usage import LoadedUsage, load_usage
from mlopsctl.engine import Graph
from mlopsctl.plan import build_plan

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"

_PLANS: dict[str, dict[str, Any]] = {}


def _plan(graph: Graph) -> dict[str, Any]:
    if graph.stack not in _PLANS:
        _PLANS[graph.stack] = build_plan(graph)
    return copy.deepcopy(_PLANS[graph.stack])


@pytest.fixture()
def dev_plan(dev_graph: Graph) -> dict[str, Any]:
    return _plan(dev_graph)


@pytest.fixture()
def prod_plan(prod_graph: Graph) -> dict[str, Any]:
    return _plan(prod_graph)


@pytest.fixture(scope="session")
def snapshot() -> PriceSnapshot:
    """The committed eu-west-1 snapshot."""
    return load_region(ROOT, "eu-west-1")


@pytest.fixture(scope="session")
def dev_usage() -> LoadedUsage:
    return load_usage(ROOT, "dev")


@pytest.fixture(scope="session")
def prod_usage() -> LoadedUsage:
    return load_usage(ROOT, "prod")
