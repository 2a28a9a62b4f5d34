"""Invariant 6: no minor-pinned engine version on a database whose minor AWS upgrades."""

from __future__ import annotations

from typing import Any

import pytest
from deploy_testkit import graph, ids, reg

from mlopsctl.deploy.versions import check_engine_versions


def instance(engine: str, version: Any, **extra: Any) -> list[str]:
    db = reg("aws:rds/instance:Instance", "db", {"engine": engine, "engineVersion": version, **extra})
    return ids(check_engine_versions(graph(db)))


def test_a_minor_pin_with_automatic_upgrades_fails() -> None:
    assert instance("postgres", "16.8") == ["engine-version:db"]
    assert instance("postgres", "16.8", autoMinorVersionUpgrade=True) == ["engine-version:db"]
    message = check_engine_versions(
        graph(reg("aws:rds/instance:Instance", "db", {"engine": "postgres", "engineVersion": "16.8"}))
    )[0].message
    assert "'16'" in message and "downgrade" in message


@pytest.mark.parametrize(
    ("engine", "version", "extra"),
    [
        ("postgres", "16", {}),
        ("postgres", "16.8", {"autoMinorVersionUpgrade": False}),
        ("mysql", "8.0", {}),
        ("postgres", "9.6", {}),
        ("oracle-ee", "19.0.0.0.ru-2024-01.rur-2024-01.r1", {}),
        ("postgres", "[unknown]", {}),
    ],
)
def test_major_pins_deliberate_minor_pins_and_unknown_engines_pass(
    engine: str, version: str, extra: dict[str, Any]
) -> None:
    assert instance(engine, version, **extra) == []


@pytest.mark.parametrize(("engine", "version"), [("mysql", "8.0.35"), ("mariadb", "10.11.6"), ("postgres", "9.6.24")])
def test_majors_of_other_engines(engine: str, version: str) -> None:
    assert instance(engine, version) == ["engine-version:db"]
