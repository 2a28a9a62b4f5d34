"""One call from a plan document to its estimate, reading prices and usage from the project's ``cost/``.

This is what ``mlopsctl cost``, the plan report's ``cost`` section and the diff comment share::

    report = estimate_plan(plan_doc, Path("."), stack="dev")
    plan_doc["cost"] = cost_section(report)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlopsctl.cost.budget import BudgetFinding, budget_from_config, check_budget, plan_config
from mlopsctl.cost.delta import CostDelta, cost_delta
from mlopsctl.cost.model import CostReport, estimate, plan_region
from mlopsctl.cost.prices import load_region
from mlopsctl.cost.usage import load_usage


def estimate_plan(
    plan_doc: Mapping[str, Any],
    root: Path = Path("."),
    *,
    stack: str | None = None,
    config: Mapping[str, Any] | None = None,
) -> CostReport:
    """Estimate a plan with ``<root>/cost/prices/<region>.json`` and ``<root>/cost/usage[.<stack>].yaml``.

    Raises ``PriceError``, ``UsageError`` or ``CostError`` (all: exit 2) with the file and key at fault.
    """
    stack_name = stack or str(plan_doc.get("stack") or "") or None
    region = plan_region(plan_doc, config)
    prices = load_region(root, region)
    loaded = load_usage(root, stack_name)
    return estimate(plan_doc, prices, loaded.usage, usage_files=loaded.files)


def budget_finding(
    report: CostReport, plan_doc: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> BudgetFinding | None:
    """The budget check with ``mlops:budget`` from ``config``, else from the plan's embedded ``config``."""
    budget = budget_from_config(config) if config and "mlops:budget" in config else None
    if budget is None:
        budget = budget_from_config(plan_config(plan_doc))
    return check_budget(report, budget)


def delta_for_plans(
    base_doc: Mapping[str, Any], head_doc: Mapping[str, Any], root: Path = Path("."), *, stack: str | None = None
) -> CostDelta:
    """BASE and HEAD of one stack with HEAD's region prices and usage assumptions."""
    stack_name = stack or str(head_doc.get("stack") or "") or None
    prices = load_region(root, plan_region(head_doc))
    loaded = load_usage(root, stack_name)
    return cost_delta(base_doc, head_doc, prices, loaded.usage, usage_files=loaded.files)
