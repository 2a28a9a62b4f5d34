"""Views of a cost estimate: the plan document's ``cost`` section (JSON) and a markdown table by component.

Both print the price snapshot's date, region and origin next to the numbers, and both list what is
unpriced, because an estimate with unpriced charges is a lower bound.
"""

from __future__ import annotations

from typing import Any

from mlopsctl.cost.model import CostLine, CostReport


def money(value: float) -> str:
    """``1,234.50``: two decimals, thousands separated."""
    return f"{value:,.2f}"


def unit_price(value: float | None) -> str:
    """A unit price with as many decimals as it has (up to six), or "unpriced"."""
    if value is None:
        return "unpriced"
    whole, _, decimals = f"{value:.6f}".partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}"


def quantity(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def snapshot_line(report: CostReport) -> str:
    """The provenance printed under every estimate."""
    snap = report.snapshot
    usage = ", ".join(f"`{f}`" for f in report.usage_files) or "defaults"
    return (
        f"Prices: `{snap.get('region', '?')}` snapshot **{snap.get('date', '?')}** ({snap.get('origin', '?')}). "
        f"Usage assumptions: {usage}. On-demand list prices in USD, before tax and discounts."
    )


def unpriced_label(line: CostLine) -> str:
    return f"unpriced: {line.item} — `{line.resource}` (`{line.price_key}`, {quantity(line.quantity)} {line.unit})"


def cost_section(report: CostReport) -> dict[str, Any]:
    """The ``cost`` section of a plan document (and of ``mlopsctl cost --format json``)."""
    return {
        "currency": "USD",
        "monthlyTotal": report.monthly_total,
        "complete": not report.unpriced,
        "byComponent": report.by_component,
        "lines": [line.to_json() for line in report.lines],
        "unpriced": [
            {
                "urn": line.urn,
                "component": line.component,
                "item": line.item,
                "priceKey": line.price_key,
                "quantity": round(line.quantity, 4),
                "unit": line.unit,
            }
            for line in report.unpriced
        ],
        "priceSnapshot": dict(report.snapshot),
        "usageFiles": list(report.usage_files),
    }


def render_markdown(report: CostReport, *, details: bool = True, heading: str = "###") -> str:
    """A markdown table by component, the unpriced charges, and (optionally) every priced line."""
    total = report.monthly_total
    bound = " (lower bound)" if report.unpriced else ""
    lines = [
        f"{heading} Cost estimate · stack `{report.stack}` · **${money(total)}/month**{bound}",
        "",
        snapshot_line(report),
        "",
        "| Component | Monthly USD | Largest item |",
        "|:--|--:|:--|",
    ]
    by_component = report.by_component
    for label, amount in by_component.items():
        own = [line for line in report.largest(len(report.lines)) if line.component == label]
        top = f"{_cell(own[0].item)} ({money(own[0].monthly_usd or 0.0)})" if own else "·"
        unpriced = sum(1 for line in report.unpriced if line.component == label)
        flag = f" + {unpriced} unpriced" if unpriced else ""
        lines.append(f"| `{_cell(label)}` | {money(amount)}{flag} | {top} |")
    lines.append(f"| **Total** | **{money(total)}** | |")
    if report.unpriced:
        lines += [
            "",
            f"⚠️ **{len(report.unpriced)} charge(s) have no price in the snapshot and are not in the total:**",
            "",
        ]
        lines += [f"- {_cell(unpriced_label(line))}" for line in report.unpriced]
    if details and report.lines:
        lines += ["", "<details>", f"<summary>All {len(report.lines)} charges</summary>", ""]
        lines += [
            "| Component | Resource | Item | Quantity | Unit price (USD) | Monthly USD |",
            "|:--|:--|:--|--:|--:|--:|",
        ]
        for line in report.lines:
            monthly = "unpriced" if line.monthly_usd is None else money(line.monthly_usd)
            item = _cell(line.item + (f" — {line.note}" if line.note else ""))
            lines.append(
                f"| `{_cell(line.component)}` | `{_cell(line.resource)}` | {item} | "
                f"{quantity(line.quantity)} {line.unit} | {unit_price(line.unit_price)} | {monthly} |"
            )
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
