"""The keys of the `mlops:budget` section, which program and tool both read: the AWS Budget
(components/observability/config.py) and the cost model's budget check (mlopsctl/cost/budget.py, which uses
monthlyUsd and must accept the others)."""

from __future__ import annotations

BUDGET_KEYS = ("monthlyUsd", "actualThresholdPercents", "forecastThresholdPercents", "scope")
