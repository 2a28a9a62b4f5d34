"""The vocabulary of pricers: a ``Charge`` (a monthly quantity billed at a price key) and the
``PlanContext`` a pricer may read beyond the resource it prices."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlopsctl.cost.usage import Usage


@dataclass(frozen=True)
class Charge:
    """One billable quantity of one resource, per month."""

    item: str
    quantity: float
    unit: str
    price_key: str
    note: str = ""
    shown_prices: tuple[str, ...] = ()
    """Further price keys whose unit prices the estimate prints in the note (a pool's other instance types)."""


@dataclass
class PlanContext:
    """What pricers may know about the plan beyond the resource being priced."""

    resources: Mapping[str, Mapping[str, Any]]
    usage: Usage
    by_type: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for resource in self.resources.values():
            self.by_type.setdefault(str(resource.get("type")), []).append(resource)

    @property
    def hours(self) -> float:
        return self.usage.hoursPerMonth

    def count(self, type_: str, pred: Callable[[Mapping[str, Any]], bool] = lambda _r: True) -> int:
        return sum(1 for r in self.by_type.get(type_, ()) if pred(r))


Pricer = Callable[[Mapping[str, Any], PlanContext], list[Charge]]


def inputs_of(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    inputs = resource.get("inputs")
    return inputs if isinstance(inputs, dict) else {}


def num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return default
