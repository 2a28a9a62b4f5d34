"""The budget check: ``mlops:budget.monthlyUsd`` in a stack's config turns an estimate above it into a finding.

The budget is read from the plan's stack config (the plan document will embed it under ``config``;
until then callers pass the stack file's config). An estimate with unpriced charges is a lower bound,
so exceeding the budget is certain, and staying under it is not; the finding and the message say which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts.budget import BUDGET_KEYS
from mlopsctl.cost.model import CostError, CostReport
from mlopsctl.cost.render import money

BUDGET_KEY = "mlops:budget"
BUDGET_RULE = "mlops-cost-budget"


@dataclass(frozen=True)
class BudgetFinding:
    """The estimate exceeds the stack's monthly budget."""

    stack: str
    budget_usd: float
    estimate_usd: float
    lower_bound: bool
    snapshot_date: str

    @property
    def message(self) -> str:
        bound = " at least" if self.lower_bound else ""
        return (
            f"stack {self.stack}: estimated monthly cost is{bound} ${money(self.estimate_usd)}, above "
            f"{BUDGET_KEY}.monthlyUsd ${money(self.budget_usd)} (prices as of {self.snapshot_date})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": BUDGET_RULE,
            "level": "mandatory",
            "stack": self.stack,
            "budgetUsd": self.budget_usd,
            "estimateUsd": self.estimate_usd,
            "lowerBound": self.lower_bound,
            "message": self.message,
        }


def budget_from_config(config: Mapping[str, Any] | None) -> float | None:
    """``mlops:budget.monthlyUsd`` of a stack config, or None when no budget is set."""
    section = (config or {}).get(BUDGET_KEY)
    if section is None:
        return None
    if not isinstance(section, Mapping):
        raise CostError(f"{BUDGET_KEY}: expected a mapping with monthlyUsd, got {type(section).__name__}")
    unknown = sorted(set(section) - set(BUDGET_KEYS))
    if unknown:
        raise CostError(f"{BUDGET_KEY}.{unknown[0]}: unknown key; allowed: {', '.join(BUDGET_KEYS)}")
    value = section.get("monthlyUsd")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise CostError(f"{BUDGET_KEY}.monthlyUsd: {value!r} is not a positive number of US dollars")
    return float(value)


def plan_config(plan_doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """The stack config a plan document embeds under ``config`` (empty until plans carry it)."""
    config = plan_doc.get("config")
    return config if isinstance(config, Mapping) else {}


def check_budget(report: CostReport, budget_usd: float | None) -> BudgetFinding | None:
    """A finding when the estimate is above ``budget_usd``; None without a budget or within it."""
    if budget_usd is None or report.monthly_total <= budget_usd:
        return None
    return BudgetFinding(
        stack=report.stack,
        budget_usd=budget_usd,
        estimate_usd=report.monthly_total,
        lower_bound=bool(report.unpriced),
        snapshot_date=report.snapshot.get("date", "?"),
    )
