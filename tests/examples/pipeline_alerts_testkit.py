"""Helpers of the example tests: fixtures on disk, the DAG module, a fake Airflow task context."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "examples"
DAG_FILE = BUNDLE / "dags" / "validated_ingest.py"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
if str(BUNDLE) not in sys.path:  # the bundle root, as Airflow 3 sets it for DAG files
    sys.path.insert(0, str(BUNDLE))


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def load_dag_module() -> ModuleType:
    """Import the DAG file by path, as the DAG processor does (without Airflow: the pure parts only)."""
    spec = importlib.util.spec_from_file_location("validated_ingest_example", DAG_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class FakeTaskInstance:
    """The attributes of the task SDK's RuntimeTaskInstance the callback reads."""

    dag_id: str = "validated_ingest"
    task_id: str = "validate_batch"
    run_id: str = "manual__2026-12-07T10:00:00+00:00"
    try_number: int = 1
    map_index: int = -1
    log_url: str | None = (
        "https://airflow.example.internal/dags/validated_ingest/runs/"
        "manual__2026-12-07T10%3A00%3A00%2B00%3A00/tasks/validate_batch?try_number=1"
    )


class ExplodingAccessor:
    """Stands in for Airflow's ``conn``/``var`` accessors: any attribute read would fetch a secret."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the alert must not read context accessors (read {name!r})")


class LazyMapping(Mapping[str, Any]):
    """Stands in for the task SDK's ``inlet_events``/``triggering_asset_events``: iterating would call the API."""

    def __getitem__(self, key: str) -> Any:
        raise AssertionError("the alert must not read lazy context mappings")

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the alert must not iterate lazy context mappings")

    def __len__(self) -> int:
        raise AssertionError("the alert must not size lazy context mappings")


class ParamsMapping(Mapping[str, Any]):
    """Like the task SDK's ``ParamsDict``: a Mapping (not a dict) of resolved param values."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def task_context(error: BaseException | None, **extra: Any) -> dict[str, Any]:
    ti = FakeTaskInstance()
    context: dict[str, Any] = {
        "ti": ti,
        "task_instance": ti,
        "run_id": ti.run_id,
        "params": {"key": "orders/2026-12-07/batch-001.csv", "bucket": ""},
        "conn": ExplodingAccessor(),
        "var": {"json": ExplodingAccessor(), "value": ExplodingAccessor()},
        "macros": ExplodingAccessor(),
        "inlet_events": LazyMapping(),
        "triggering_asset_events": LazyMapping(),
    }
    if error is not None:
        context["exception"] = error
    context.update(extra)
    return context
