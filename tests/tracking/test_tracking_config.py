"""Config errors of the tracking and database sections: the stack file, the key path, what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import parse_config
from components.tracking.config import TrackingConfig
from contracts.errors import ConfigError

GOOD: dict[str, Any] = {
    "aws:region": "eu-west-1",
    "mlops:environment": "dev",
    "mlops:owner": "team",
    "mlops:costCenter": "cc-1",
}


def problems(**sections: Any) -> list[str]:
    raw = {**GOOD, **{f"mlops:{key}": value for key, value in sections.items()}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, stack="dev", source="stacks/Pulumi.dev.yaml")
    return caught.value.problems


def test_defaults_pin_a_full_image_and_safe_database() -> None:
    config = TrackingConfig()
    assert config.mlflow_version == "3.17.0"
    assert config.database.backup_retention_days >= 7
    assert config.database.log_retention_days == 90


@pytest.mark.parametrize(
    ("tracking", "expected"),
    [
        ({"mlflowVersion": "3.1.1"}, "mlops:tracking.mlflowVersion: '3.1.1': MLflow >= 3.10.0 needed"),
        ({"mlflowVersion": "latest"}, "mlops:tracking.mlflowVersion: String should match pattern"),
        ({"clients": ["jupyter"]}, "mlops:tracking.clients: unknown client namespace(s) ['jupyter']"),
        ({"replicas": 0}, "mlops:tracking.replicas: Input should be greater than or equal to 1"),
        ({"database": {"backupRetentionDays": 3}}, "mlops:tracking.database.backupRetentionDays: Input should be"),
        ({"database": {"engineVersion": "16.x"}}, "mlops:tracking.database.engineVersion: String should match"),
        (
            {"database": {"engineVersion": "16.8"}},
            "mlops:tracking.database: engineVersion '16.8' pins a minor version while autoMinorVersionUpgrade is on",
        ),
        ({"database": {"logRetentionDays": 42}}, "mlops:tracking.database.logRetentionDays: 42 is not a CloudWatch"),
        ({"database": {"instanceClass": "t4g.medium"}}, "mlops:tracking.database.instanceClass: String should match"),
        ({"database": {"password": "x"}}, "mlops:tracking.database.password: unknown key; allowed:"),
    ],
)
def test_bad_tracking_config(tracking: dict[str, Any], expected: str) -> None:
    found = problems(tracking=tracking)
    assert any(p.startswith(expected) for p in found), found


def test_tracking_needs_its_namespace() -> None:
    found = problems(cluster={"namespaces": ["serving", "airflow"]})
    assert any("tracking.enabled needs 'mlflow' in cluster.namespaces" in p for p in found), found


def test_a_minor_version_is_accepted_only_without_automatic_minor_upgrades() -> None:
    database = {"engineVersion": "16.8", "autoMinorVersionUpgrade": False}
    config = parse_config({**GOOD, "mlops:tracking": {"database": database}}, stack="dev", source="x")
    assert (config.tracking.database.engine_version, config.tracking.database.auto_minor_version_upgrade) == (
        "16.8",
        False,
    )
