"""`mlops:observability` (metrics, logs, alarms, the alert channel) and `mlops:budget` (the AWS Budget).

`mlops:budget.monthlyUsd` is also read by the cost model (`mlopsctl cost`), which is why the budget is its
own top-level section and keeps that key name.
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from components.config_base import Section, check_retention
from contracts.budget import BUDGET_KEYS

ADDON_VERSION_PATTERN = r"^v\d+\.\d+\.\d+-eksbuild\.\d+$"
"""An EKS add-on version as DescribeAddonVersions spells it (``v4.10.3-eksbuild.1``)."""

CLOUDWATCH_ADDON_VERSION = "v4.10.3-eksbuild.1"
"""amazon-cloudwatch-observability, pinned. Evidence it exists: AWS's own application-signals-demo pins it
(aws-observability/application-signals-demo#334, 2026-04) to avoid v5.3.0, which dropped the agent's
cluster-wide ConfigMap ``get`` (aws-observability/helm-charts#287, fixed in 5.3.1). Its chart
(helm-charts tag amazon-cloudwatch-observability-4.10.3) is the one whose values and templates this
component was checked against: agent and Fluent Bit on the host network, log groups
``/aws/containerinsights/<cluster>/{application,dataplane,host,performance}``, DCGM exporter node affinity.
Check compatibility with ``aws eks describe-addon-versions --addon-name amazon-cloudwatch-observability
--kubernetes-version <version>`` before a cluster upgrade."""

METRICS_SERVER_ADDON_VERSION = "v0.8.1-eksbuild.5"
"""metrics-server as an EKS community add-on (EKS user guide, "Community add-ons"), pinned. The version is
listed for Kubernetes 1.31 to 1.35 in a public CDK configuration that pins it per cluster version; no AWS page
lists community add-on versions, so check ``aws eks describe-addon-versions --addon-name metrics-server``."""

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class AlarmThresholds(Section):
    """Thresholds of the platform's alarms (each alarm's runbook entry is in docs/operations.md)."""

    rds_cpu_percent: float = Field(default=80, gt=0, le=100)
    """Average CPU of a database over 15 minutes."""
    rds_free_storage_percent: float = Field(default=10, gt=0, lt=100)
    """Free storage left, as a share of the allocated storage."""
    rds_connections_percent: float = Field(default=80, gt=0, le=100)
    """Connections, as a share of PostgreSQL's default ``max_connections`` for the instance class."""
    warehouse_usage_percent: float = Field(default=80, gt=0, le=100)
    """RPU-hours over 24 hours, as a share of `mlops:warehouse.maxRpuHoursPerDay`."""
    warehouse_daily_rpu_hours: int = Field(default=64, ge=1)
    """Daily RPU-hours that alarm when the warehouse has no usage limit."""
    kserve_error_rate_percent: float = Field(default=5, gt=0, le=100)
    """Share of prediction requests answered 5xx over 5 minutes."""
    kserve_slow_request_ms: int = Field(default=1000, ge=10, le=600_000)
    """A prediction slower than this (the model server's predict_ms) counts as slow."""
    kserve_slow_rate_percent: float = Field(default=10, gt=0, le=100)
    """Share of slow predictions over 5 minutes that alarms."""
    kserve_min_requests: int = Field(default=20, ge=1)
    """Below this many requests in 5 minutes the ratios are not evaluated (noise)."""


class ObservabilityConfig(Section):
    """Container Insights and Fluent Bit (CloudWatch add-on), metrics-server, the alert topic and the alarms."""

    enabled: bool = True
    """Install the metrics and logs path and create the alert channel and alarms."""
    alert_emails: list[str] = Field(default_factory=list)
    """E-mail addresses subscribed to the alert topic (each must confirm once). Chat: docs/operations.md."""
    log_retention_days: int = 30
    """Retention of the Container Insights log groups (application, dataplane, host, performance)."""
    cloudwatch_addon_version: str = Field(default=CLOUDWATCH_ADDON_VERSION, pattern=ADDON_VERSION_PATTERN)
    """amazon-cloudwatch-observability add-on version (vX.Y.Z-eksbuild.N)."""
    metrics_server_addon_version: str = Field(default=METRICS_SERVER_ADDON_VERSION, pattern=ADDON_VERSION_PATTERN)
    """metrics-server add-on version (vX.Y.Z-eksbuild.N)."""
    alarms: AlarmThresholds = Field(default_factory=AlarmThresholds)
    """Alarm thresholds."""

    _retention = field_validator("log_retention_days")(lambda v: check_retention(v))

    @field_validator("alert_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for address in value:
            if not _EMAIL.match(address):
                raise ValueError(f"{address!r} is not an e-mail address")
        repeated = sorted({a for a in value if value.count(a) > 1})
        if repeated:
            raise ValueError(f"{repeated} listed more than once (one subscription per address)")
        return value


MAX_BUDGET_NOTIFICATIONS = 5
"""AWS Budgets allows at most five notifications per budget (Budgets quotas)."""


class BudgetConfig(Section):
    """An AWS Budget for the environment's monthly cost, alerting the alert topic."""

    monthly_usd: float = Field(gt=0)
    """Monthly cost budget in US dollars (also the cost model's budget check)."""
    actual_threshold_percents: list[float] = Field(default_factory=lambda: [80.0, 100.0])
    """Alert when actual spend passes these shares of the budget."""
    forecast_threshold_percents: list[float] = Field(default_factory=lambda: [100.0])
    """Alert when the month-end forecast passes these shares (AWS needs about 5 weeks of history to forecast)."""
    scope: Literal["account", "environment"] = "account"
    """account: all spend of the account; environment: only costs tagged environment=<env> (the `environment`
    cost allocation tag must be activated in Billing first, or the budget sees nothing)."""

    @field_validator("actual_threshold_percents", "forecast_threshold_percents")
    @classmethod
    def _percents(cls, value: list[float]) -> list[float]:
        for percent in value:
            if not 0 < percent <= 1000:
                raise ValueError(f"{percent} is not a threshold percentage in (0, 1000]")
        if len(set(value)) != len(value):
            raise ValueError("duplicate thresholds")
        return value

    @model_validator(mode="after")
    def _notification_quota(self) -> Self:
        count = len(self.actual_threshold_percents) + len(self.forecast_threshold_percents)
        if count > MAX_BUDGET_NOTIFICATIONS:
            raise ValueError(f"{count} notifications; AWS Budgets allows at most {MAX_BUDGET_NOTIFICATIONS} per budget")
        if count == 0:
            raise ValueError("no thresholds: a budget without notifications alerts nobody")
        return self


__all__ = [
    "ADDON_VERSION_PATTERN",
    "BUDGET_KEYS",
    "CLOUDWATCH_ADDON_VERSION",
    "MAX_BUDGET_NOTIFICATIONS",
    "METRICS_SERVER_ADDON_VERSION",
    "AlarmThresholds",
    "BudgetConfig",
    "ObservabilityConfig",
]
