"""Cost deltas for pull requests: BASE and HEAD plans of one stack, estimated with the same prices,
compared per component, and a markdown block for the PR comment.

    delta = cost_delta(base_doc, head_doc, prices, usage)
    delta.total_delta, delta.rows, delta.to_markdown()
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlopsctl.cost.model import CostLine, CostReport, cents, estimate
from mlopsctl.cost.prices import PriceSnapshot
from mlopsctl.cost.render import money, unpriced_label
from mlopsctl.cost.usage import Usage


def signed(value: float) -> str:
    """``+12.30`` / ``-4.00`` / ``±0.00``."""
    if value == 0:
        return "±0.00"
    return ("+" if value > 0 else "-") + money(abs(value))


@dataclass(frozen=True)
class ComponentDelta:
    component: str
    base: float
    head: float

    @property
    def delta(self) -> float:
        return cents(self.head - self.base)


def _key(line: CostLine) -> tuple[str, str]:
    return (line.urn, line.price_key)


@dataclass(frozen=True)
class CostDelta:
    """HEAD minus BASE, per component and in total, plus what is unpriced on either side."""

    base: CostReport
    head: CostReport

    @property
    def rows(self) -> tuple[ComponentDelta, ...]:
        """Every component of either side, sorted by label."""
        base, head = self.base.by_component, self.head.by_component
        return tuple(ComponentDelta(c, base.get(c, 0.0), head.get(c, 0.0)) for c in sorted(set(base) | set(head)))

    @property
    def changed(self) -> tuple[ComponentDelta, ...]:
        return tuple(row for row in self.rows if row.delta != 0)

    @property
    def total_delta(self) -> float:
        return cents(self.head.monthly_total - self.base.monthly_total)

    @property
    def new_unpriced(self) -> tuple[CostLine, ...]:
        """Unpriced charges in HEAD that BASE did not have: their cost is missing from the delta."""
        before = {_key(line) for line in self.base.unpriced}
        return tuple(line for line in self.head.unpriced if _key(line) not in before)

    @property
    def resolved_unpriced(self) -> tuple[CostLine, ...]:
        """Unpriced charges of BASE that HEAD no longer has (priced now, or gone): the change includes
        what they cost in HEAD but not what they cost in BASE."""
        after = {_key(line) for line in self.head.unpriced}
        return tuple(line for line in self.base.unpriced if _key(line) not in after)

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": "USD",
            "baseMonthlyTotal": self.base.monthly_total,
            "headMonthlyTotal": self.head.monthly_total,
            "monthlyDelta": self.total_delta,
            "byComponent": {r.component: {"base": r.base, "head": r.head, "delta": r.delta} for r in self.rows},
            "newUnpriced": [
                {"urn": line.urn, "item": line.item, "priceKey": line.price_key} for line in self.new_unpriced
            ],
            "resolvedUnpriced": [
                {"urn": line.urn, "item": line.item, "priceKey": line.price_key} for line in self.resolved_unpriced
            ],
            "headUnpricedCount": len(self.head.unpriced),
            "priceSnapshot": dict(self.head.snapshot),
        }

    def to_markdown(self, heading: str = "####") -> str:
        """The PR comment block: only changed components, the total, and what the numbers leave out."""
        snap = self.head.snapshot
        title = f"{heading} Estimated monthly cost (USD; `{snap.get('region', '?')}` prices of {snap.get('date', '?')})"
        lines = [title, ""]
        if not self.changed:
            lines.append(f"No change: ${money(self.head.monthly_total)}/month.")
        else:
            lines += ["| Component | Base | Head | Change |", "|:--|--:|--:|--:|"]
            for row in self.changed:
                lines.append(f"| `{row.component}` | {money(row.base)} | {money(row.head)} | {signed(row.delta)} |")
            lines.append(
                f"| **Total** | **{money(self.base.monthly_total)}** | **{money(self.head.monthly_total)}** "
                f"| **{signed(self.total_delta)}** |"
            )
        if self.new_unpriced:
            lines += ["", f"⚠️ {len(self.new_unpriced)} new charge(s) without a price, not in the change:", ""]
            lines += [f"- {unpriced_label(line)}" for line in self.new_unpriced]
        if self.resolved_unpriced:
            lines += [
                "",
                f"⚠️ {len(self.resolved_unpriced)} charge(s) unpriced in BASE are priced or gone in HEAD; "
                "the change counts them as 0 in BASE:",
                "",
            ]
            lines += [f"- {unpriced_label(line)}" for line in self.resolved_unpriced]
        if self.head.unpriced:
            lines += ["", f"_{len(self.head.unpriced)} charge(s) of HEAD are unpriced; totals are lower bounds._"]
        lines += ["", f"<sub>Origin of prices: {snap.get('origin', '?')}. `mlopsctl cost` lists every charge.</sub>"]
        return "\n".join(lines) + "\n"


def cost_delta(
    base_doc: Mapping[str, Any],
    head_doc: Mapping[str, Any],
    prices: PriceSnapshot,
    usage: Usage,
    *,
    base_usage: Usage | None = None,
    usage_files: tuple[str, ...] = (),
) -> CostDelta:
    """Estimate both plans (BASE with ``base_usage`` when the assumptions changed too) and compare them."""
    base = estimate(base_doc, prices, base_usage or usage, usage_files=usage_files)
    head = estimate(head_doc, prices, usage, usage_files=usage_files)
    return CostDelta(base=base, head=head)
