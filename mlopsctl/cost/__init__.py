"""The cost model: monthly estimates per resource, per component and per stack, from a plan document.

Prices come from a dated snapshot of AWS's public Price List (``cost/prices/<region>.json``,
``mlopsctl prices refresh``); usage-based quantities from documented assumptions (``cost/usage.yaml``,
overridden by ``cost/usage.<stack>.yaml``). Nothing is guessed: a charge without a price is listed as
unpriced and the total says it is a lower bound.

    from mlopsctl.cost import estimate_plan, cost_section, render_markdown
    report = estimate_plan(plan_doc, Path("."))
"""

from __future__ import annotations

from mlopsctl.cost.api import budget_finding, delta_for_plans, estimate_plan
from mlopsctl.cost.budget import BudgetFinding, budget_from_config, check_budget
from mlopsctl.cost.delta import CostDelta, cost_delta
from mlopsctl.cost.model import CostError, CostLine, CostReport, estimate, plan_region
from mlopsctl.cost.prices import Price, PriceError, PriceSnapshot, load_region, load_snapshot
from mlopsctl.cost.refresh import refresh
from mlopsctl.cost.render import cost_section, render_markdown
from mlopsctl.cost.usage import Usage, UsageError, load_usage

__all__ = [
    "BudgetFinding",
    "CostDelta",
    "CostError",
    "CostLine",
    "CostReport",
    "Price",
    "PriceError",
    "PriceSnapshot",
    "Usage",
    "UsageError",
    "budget_finding",
    "budget_from_config",
    "check_budget",
    "cost_delta",
    "cost_section",
    "delta_for_plans",
    "estimate",
    "estimate_plan",
    "load_region",
    "load_snapshot",
    "load_usage",
    "plan_region",
    "refresh",
    "render_markdown",
]
