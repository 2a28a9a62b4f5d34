"""`mlops:observability` and `mlops:budget`: safe defaults, and every validation rule with a clear message."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from components.observability.config import (
    ADDON_VERSION_PATTERN,
    BUDGET_KEYS,
    CLOUDWATCH_ADDON_VERSION,
    METRICS_SERVER_ADDON_VERSION,
    AlarmThresholds,
    BudgetConfig,
    ObservabilityConfig,
)


def test_defaults_are_on_with_pinned_addons_and_a_valid_retention() -> None:
    config = ObservabilityConfig()
    assert config.enabled is True
    assert config.alert_emails == []
    assert config.log_retention_days == 30
    assert config.cloudwatch_addon_version == CLOUDWATCH_ADDON_VERSION == "v4.10.3-eksbuild.1"
    assert config.metrics_server_addon_version == METRICS_SERVER_ADDON_VERSION == "v0.8.1-eksbuild.5"
    assert config.alarms == AlarmThresholds()


def test_camel_case_keys_as_stack_files_write_them() -> None:
    config = ObservabilityConfig.model_validate(
        {"alertEmails": ["ml-oncall@example.com"], "logRetentionDays": 90, "alarms": {"rdsCpuPercent": 70}}
    )
    assert config.alert_emails == ["ml-oncall@example.com"]
    assert config.log_retention_days == 90
    assert config.alarms.rds_cpu_percent == 70


def error_of(model: Any, data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return str(caught.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"alertEmails": ["not-an-address"]}, "'not-an-address' is not an e-mail address"),
        ({"alertEmails": ["a@example.com", "a@example.com"]}, "listed more than once"),
        ({"logRetentionDays": 10}, "10 is not a CloudWatch retention period"),
        ({"cloudwatchAddonVersion": "4.10.3"}, "String should match pattern"),
        ({"metricsServerAddonVersion": "latest"}, "String should match pattern"),
        ({"alarms": {"rdsCpuPercent": 0}}, "greater than 0"),
        ({"alarms": {"rdsFreeStoragePercent": 100}}, "less than 100"),
        ({"alarms": {"kserveSlowRequestMs": 5}}, "greater than or equal to 10"),
        ({"alarms": {"kserveMinRequests": 0}}, "greater than or equal to 1"),
        ({"alarms": {"warehouseDailyRpuHours": 0}}, "greater than or equal to 1"),
        ({"unknownKey": 1}, "Extra inputs are not permitted"),
    ],
)
def test_observability_validation(data: dict[str, Any], expected: str) -> None:
    assert expected in error_of(ObservabilityConfig, data)


def test_addon_version_pattern_accepts_what_describe_addon_versions_returns() -> None:
    assert re.match(ADDON_VERSION_PATTERN, "v6.2.0-eksbuild.1")
    assert not re.match(ADDON_VERSION_PATTERN, "v6.2.0")


def test_budget_defaults_warn_at_80_and_100_percent_actual_and_100_forecast() -> None:
    budget = BudgetConfig.model_validate({"monthlyUsd": 1500})
    assert budget.monthly_usd == 1500
    assert budget.actual_threshold_percents == [80.0, 100.0]
    assert budget.forecast_threshold_percents == [100.0]
    assert budget.scope == "account"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, "monthlyUsd\n  Field required"),
        ({"monthlyUsd": 0}, "greater than 0"),
        ({"monthlyUsd": 10, "actualThresholdPercents": [0]}, "0.0 is not a threshold percentage"),
        ({"monthlyUsd": 10, "forecastThresholdPercents": [80, 80]}, "duplicate thresholds"),
        (
            {"monthlyUsd": 10, "actualThresholdPercents": [50, 80, 100], "forecastThresholdPercents": [90, 100, 120]},
            "6 notifications; AWS Budgets allows at most 5 per budget",
        ),
        ({"monthlyUsd": 10, "actualThresholdPercents": [], "forecastThresholdPercents": []}, "no thresholds"),
        ({"monthlyUsd": 10, "scope": "team"}, "Input should be 'account' or 'environment'"),
    ],
)
def test_budget_validation(data: dict[str, Any], expected: str) -> None:
    assert expected in error_of(BudgetConfig, data)


def test_budget_keys_are_exactly_the_sections_fields() -> None:
    """The cost model must accept every key of `mlops:budget` (mlopsctl/cost/budget.py reads monthlyUsd)."""
    fields = {info.alias or name for name, info in BudgetConfig.model_fields.items()}
    assert set(BUDGET_KEYS) == fields and "monthlyUsd" in BUDGET_KEYS
