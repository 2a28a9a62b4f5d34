"""Storage config errors through parse_config: each names the stack file, the key path and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import parse_config
from components.data.config import LakeConfig, LifecycleConfig
from contracts.errors import ConfigError

BASE: dict[str, Any] = {
    "aws:region": "eu-west-1",
    "mlops:environment": "dev",
    "mlops:owner": "team",
    "mlops:costCenter": "cc-1",
}
SOURCE = "stacks/Pulumi.dev.yaml"


def problems(**sections: Any) -> list[str]:
    raw = {**BASE, **{f"mlops:{key}": value for key, value in sections.items()}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, stack="dev", source=SOURCE)
    assert str(caught.value).startswith(f"{SOURCE}: ")
    return caught.value.problems


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"storage": {"kind": "datalake"}}, "mlops:storage.kind: Input should be 'lake', 'warehouse' or 'both'"),
        ({"lake": {"zones": []}}, "mlops:lake.zones: List should have at least 1 item"),
        ({"lake": {"zones": ["Raw"]}}, "mlops:lake.zones: zone 'Raw' must be lowercase"),
        ({"lake": {"zones": ["raw", "raw"]}}, "mlops:lake.zones: zone names must be unique"),
        ({"lake": {"zones": ["raw", "access-logs"]}}, "mlops:lake.zones: zone 'access-logs' is reserved"),
        (
            {"lake": {"lifecycle": {"noncurrentVersionDays": 0}}},
            "mlops:lake.lifecycle.noncurrentVersionDays: Input should be greater than or equal to 1",
        ),
        (
            {"lake": {"lifecycle": {"infrequentAccessDays": 10}}},
            "mlops:lake.lifecycle.infrequentAccessDays: Input should be greater than or equal to 30",
        ),
        (
            {"lake": {"lifecycle": {"infrequentAccessDays": 90, "glacierDays": 60}}},
            "mlops:lake.lifecycle: glacierDays (60) must be greater than infrequentAccessDays (90)",
        ),
        (
            {"lake": {"lifecycle": {"abortIncompleteUploadDays": 400}}},
            "mlops:lake.lifecycle.abortIncompleteUploadDays: Input should be less than or equal to 365",
        ),
        (
            {"lake": {"zoneLifecycle": {"gold": {}}}},
            "mlops:lake: zoneLifecycle names zones ['gold'] that are not in zones",
        ),
        (
            {"lake": {"zoneLifecycle": {"raw": {"noncurrentVersionDays": -1}}}},
            "mlops:lake.zoneLifecycle.raw.noncurrentVersionDays: Input should be greater than or equal to 1",
        ),
        ({"lake": {"accessLogDays": 0}}, "mlops:lake.accessLogDays: Input should be greater than or equal to 1"),
        ({"lake": {"athenaResultsDays": 0}}, "mlops:lake.athenaResultsDays: Input should be greater than or equal"),
        ({"lake": {"athenaBytesScannedCutoff": 1024}}, "mlops:lake.athenaBytesScannedCutoff: Input should be"),
        ({"lake": {"forceDestroy": True, "protect": True}}, "mlops:lake: forceDestroy and protect cannot both be"),
        ({"lake": {"admins": ["alice"]}}, "mlops:lake.admins: 'alice' is not an IAM role or user ARN"),
        ({"warehouse": {"baseCapacity": 12}}, "mlops:warehouse.baseCapacity: 12 is not a multiple of 8"),
        (
            {"warehouse": {"baseCapacity": 4}},
            "mlops:warehouse.baseCapacity: Input should be greater than or equal to 8",
        ),
        (
            {"warehouse": {"baseCapacity": 2048}},
            "mlops:warehouse.baseCapacity: Input should be less than or equal to 1024",
        ),
        ({"warehouse": {"maxRpuHoursPerDay": 0}}, "mlops:warehouse.maxRpuHoursPerDay: Input should be greater than"),
        ({"warehouse": {"usageLimitAction": "stop"}}, "mlops:warehouse.usageLimitAction: Input should be 'log'"),
        ({"warehouse": {"adminUsername": "Admin!"}}, "mlops:warehouse.adminUsername: String should match pattern"),
    ],
)
def test_storage_config_errors_name_the_key(sections: dict[str, Any], expected: str) -> None:
    found = problems(**sections)
    assert any(line.startswith(expected) for line in found), found


def test_every_problem_reported_at_once() -> None:
    found = problems(storage={"kind": "s3"}, lake={"zones": []}, warehouse={"baseCapacity": 9})
    assert sorted(line.split(":")[1] for line in found) == ["lake.zones", "storage.kind", "warehouse.baseCapacity"]


def test_zone_lifecycle_override_and_defaults() -> None:
    lake = LakeConfig(zone_lifecycle={"ml-artifacts": LifecycleConfig(glacier_days=None)})
    assert lake.lifecycle_for("ml-artifacts").glacier_days is None
    assert lake.lifecycle_for("raw") == LifecycleConfig()
    assert (lake.access_log_days, lake.athena_results_days, lake.lake_formation_settings) == (365, 30, True)


def test_storage_kind_selects_components() -> None:
    config = parse_config({**BASE, "mlops:storage": {"kind": "both"}}, stack="prod", source=SOURCE)
    assert (config.storage.lake, config.storage.warehouse) == (True, True)
    config = parse_config(
        {**BASE, "mlops:storage": {"kind": "warehouse"}, "mlops:orchestrator": {"enabled": False}},
        stack="prod",
        source=SOURCE,
    )
    assert (config.storage.lake, config.storage.warehouse) == (False, True)
