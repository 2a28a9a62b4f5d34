"""The cost model: a monthly estimate per resource, per component and per stack, from a plan document.

    report = estimate(plan_doc, prices, usage)
    report.monthly_total, report.by_component, report.lines, report.unpriced

Quantities come from the plan's wire inputs and the usage assumptions (``mlopsctl.cost.pricers``);
unit prices come only from the snapshot (``mlopsctl.cost.prices``). A charge whose price key the
snapshot lacks is *unpriced*: it is listed, it adds nothing to the totals, and the estimate says so
rather than guess. Totals are sums of cent-rounded lines, so every view adds up and the same inputs
always give the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlopsctl.cost.charges import PlanContext
from mlopsctl.cost.pricers import PRICERS
from mlopsctl.cost.prices import PriceSnapshot
from mlopsctl.cost.usage import Usage

STACK_GROUP = "(stack)"
"""Resources straight under the stack or the top-level wrapper component (providers and the like)."""

AWS_PROVIDER = "pulumi:providers:aws"


class CostError(Exception):
    """A plan or configuration the model cannot estimate; the message names the key (CLI exit 2)."""


def cents(value: float) -> float:
    """``value`` rounded to cents (half away from zero is not needed: inputs are non-negative)."""
    return round(value + 0.0, 2)


@dataclass(frozen=True)
class CostLine:
    """One charge of one resource: the unit of the per-resource view."""

    urn: str
    component: str
    resource: str
    type: str
    item: str
    quantity: float
    unit: str
    price_key: str
    unit_price: float | None
    """USD per unit from the snapshot; None when the snapshot has no price for ``price_key``."""
    note: str = ""

    @property
    def priced(self) -> bool:
        return self.unit_price is not None

    @property
    def monthly_usd(self) -> float | None:
        """Monthly USD rounded to cents; None when unpriced (a zero quantity costs 0 either way)."""
        if self.quantity == 0:
            return 0.0
        return None if self.unit_price is None else cents(self.quantity * self.unit_price)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "component": self.component,
            "resource": self.resource,
            "type": self.type,
            "item": self.item,
            "quantity": round(self.quantity, 4),
            "unit": self.unit,
            "priceKey": self.price_key,
            "unitPriceUsd": self.unit_price,
            "monthlyUsd": self.monthly_usd,
            "note": self.note,
        }


@dataclass(frozen=True)
class CostReport:
    """The estimate of one stack."""

    project: str
    stack: str
    region: str
    lines: tuple[CostLine, ...]
    snapshot: Mapping[str, str]
    """``{"date", "region", "origin"}`` of the price snapshot used."""
    usage_files: tuple[str, ...] = ()
    components: tuple[str, ...] = field(default=())
    """Every component of the plan, billable or not, so deltas can show a component going to zero."""

    @property
    def by_component(self) -> dict[str, float]:
        """Monthly USD per component label, sorted by label (components with no charge are 0)."""
        totals = dict.fromkeys(self.components, 0.0)
        for line in self.lines:
            totals[line.component] = cents(totals.get(line.component, 0.0) + (line.monthly_usd or 0.0))
        return dict(sorted(totals.items()))

    @property
    def monthly_total(self) -> float:
        return cents(sum(self.by_component.values()))

    @property
    def unpriced(self) -> tuple[CostLine, ...]:
        """Charges with a quantity but no price in the snapshot: the total is a lower bound when any exist."""
        return tuple(line for line in self.lines if line.monthly_usd is None)

    def largest(self, n: int = 5) -> list[CostLine]:
        """The ``n`` most expensive priced lines, most expensive first (ties by URN and item)."""
        priced = [line for line in self.lines if line.monthly_usd]
        return sorted(priced, key=lambda line: (-(line.monthly_usd or 0.0), line.urn, line.item))[:n]


def _component_resolver(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """URN -> component label: the top-most component ancestor, looking through a single top-level wrapper.

    Same rule as the diff comment's components (``mlopsctl.diff.components``): the children of the one
    component that wraps everything (``MlopsPlatform``) are the components; custom resources straight
    under the stack or the wrapper form the ``(stack)`` group.
    """
    tops = [u for u, r in resources.items() if not r.get("parent") or r.get("parent") not in resources]
    wrappers = [u for u in tops if resources[u].get("custom") is False]
    wrapper = wrappers[0] if len(wrappers) == 1 else None
    names: dict[str, set[str]] = {}
    for r in resources.values():
        names.setdefault(str(r.get("name")), set()).add(str(r.get("type")))

    def label(urn: str) -> str:
        chain = [urn]
        seen = {urn}
        while True:
            parent = resources[chain[-1]].get("parent")
            if not parent or parent not in resources or parent == wrapper or parent in seen:
                break
            chain.append(str(parent))
            seen.add(str(parent))
        top = resources[chain[-1]]
        if chain[-1] == wrapper or top.get("custom", True):
            return STACK_GROUP
        name, type_ = str(top.get("name")), str(top.get("type"))
        return f"{name} ({type_})" if len(names.get(name, ())) > 1 else name

    return {urn: label(urn) for urn in resources}


def _shown(prices: PriceSnapshot, key: str) -> str:
    price = prices.get(key)
    name = key.rsplit(":", 1)[-1]
    return f"{name} unpriced" if price is None else f"{name} ${price.usd:g}"


def plan_region(plan_doc: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> str:
    """The AWS region of a plan: its AWS provider's ``region`` input, else ``aws:region`` of the config."""
    for resource in plan_doc.get("resources") or ():
        if str(resource.get("type", "")) == AWS_PROVIDER:
            region = (resource.get("inputs") or {}).get("region")
            if isinstance(region, str) and region:
                return region
    for cfg in (config or {}, plan_doc.get("config") or {}):
        region = cfg.get("aws:region")
        if isinstance(region, str) and region:
            return region
    raise CostError("the plan has no AWS provider with a region and no aws:region config")


def estimate(
    plan_doc: Mapping[str, Any],
    prices: PriceSnapshot,
    usage: Usage,
    *,
    usage_files: tuple[str, ...] = (),
) -> CostReport:
    """Estimate the monthly cost of every billable resource of ``plan_doc`` (an ``mlops-plan/1`` document)."""
    raw = plan_doc.get("resources")
    if not isinstance(raw, list):
        raise CostError("plan: resources: expected a list")
    resources: dict[str, Mapping[str, Any]] = {}
    for i, r in enumerate(raw):
        if not isinstance(r, dict) or not isinstance(r.get("urn"), str):
            raise CostError(f"plan: resources[{i}]: expected an object with a urn")
        resources[r["urn"]] = r
    try:
        region = plan_region(plan_doc)
    except CostError:
        region = prices.region
    if region != prices.region:
        raise CostError(f"the plan is for region {region!r}, but the price snapshot is for {prices.region!r}")
    components = _component_resolver(resources)
    ctx = PlanContext(resources=resources, usage=usage)
    lines: list[CostLine] = []
    for urn in sorted(resources):
        resource = resources[urn]
        pricer = PRICERS.get(str(resource.get("type")))
        if pricer is None:
            continue
        for charge in pricer(resource, ctx):
            price = prices.get(charge.price_key)
            note = charge.note
            if charge.shown_prices:
                shown = [_shown(prices, key) for key in charge.shown_prices]
                note = "; ".join(filter(None, [note, "hourly: " + ", ".join(shown)]))
            lines.append(
                CostLine(
                    urn=urn,
                    component=components[urn],
                    resource=str(resource.get("name")),
                    type=str(resource.get("type")),
                    item=charge.item,
                    quantity=charge.quantity,
                    unit=charge.unit,
                    price_key=charge.price_key,
                    unit_price=None if price is None else price.usd,
                    note=note,
                )
            )
    lines.sort(key=lambda line: (line.component, line.urn, line.item))
    labels = {label for urn, label in components.items() if not resources[urn].get("custom", True)}
    labels.discard(STACK_GROUP)
    return CostReport(
        project=str(plan_doc.get("project", "")),
        stack=str(plan_doc.get("stack", "")),
        region=prices.region,
        lines=tuple(lines),
        snapshot=prices.summary(),
        usage_files=usage_files,
        components=tuple(sorted(labels)),
    )
