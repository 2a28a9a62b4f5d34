"""Cost deltas of mutated dev plans: an instance type change and a NAT-mode change move the numbers
exactly as the snapshot says; the PR block shows only what changed."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mlopsctl.cost.delta import cost_delta
from mlopsctl.cost.prices import PriceSnapshot
from mlopsctl.cost.usage import LoadedUsage

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"


def _with_instance_type(plan: dict[str, Any], itype: str) -> dict[str, Any]:
    out = copy.deepcopy(plan)
    for resource in out["resources"]:
        if resource["type"] == NODE_GROUP:
            resource["inputs"]["instanceTypes"] = [itype]
    return out


def _clone(plan: dict[str, Any], type_: str, suffix: str) -> None:
    """Add a copy of the first resource of ``type_`` under a new name, as `nat: per-az` would."""
    original = next(r for r in plan["resources"] if r["type"] == type_)
    twin = copy.deepcopy(original)
    twin["name"] = original["name"][:-1] + suffix
    twin["urn"] = original["urn"][: -len(original["name"])] + twin["name"]
    plan["resources"].append(twin)


def _p(snapshot: PriceSnapshot, key: str) -> float:
    price = snapshot.get(key)
    assert price is not None
    return price.usd


def test_instance_type_change_moves_only_the_serving_component(
    dev_plan: dict[str, Any], snapshot: PriceSnapshot, dev_usage: LoadedUsage
) -> None:
    base = _with_instance_type(dev_plan, "t3.large")
    head = _with_instance_type(dev_plan, "m5.xlarge")
    delta = cost_delta(base, head, snapshot, dev_usage.usage)
    nodes = 2  # dev systemPool.desiredSize
    expected = nodes * 730 * (_p(snapshot, "ec2.instanceHour:m5.xlarge") - _p(snapshot, "ec2.instanceHour:t3.large"))
    assert [row.component for row in delta.changed] == ["serving"]
    assert delta.total_delta == pytest.approx(expected, abs=0.01)
    assert delta.changed[0].delta == pytest.approx(expected, abs=0.01)
    text = delta.to_markdown()
    assert "| `serving` |" in text and f"+{expected:,.2f}" in text
    assert f"prices of {snapshot.date}" in text


def test_moving_to_an_unpriced_instance_type_is_called_out(
    dev_plan: dict[str, Any], snapshot: PriceSnapshot, dev_usage: LoadedUsage
) -> None:
    base = _with_instance_type(dev_plan, "t3.large")
    delta = cost_delta(base, dev_plan, snapshot, dev_usage.usage)  # HEAD is the real m7i.large pool
    assert [line.price_key for line in delta.new_unpriced] == ["ec2.instanceHour:m7i.large"]
    assert delta.total_delta < 0  # the priced t3.large hours leave; the m7i.large hours have no price
    assert "new charge(s) without a price" in delta.to_markdown()
    back = cost_delta(dev_plan, base, snapshot, dev_usage.usage)  # and back: the unpriced pool is resolved
    assert [line.price_key for line in back.resolved_unpriced] == ["ec2.instanceHour:m7i.large"]
    assert "priced or gone in HEAD" in back.to_markdown()


def test_nat_per_az_adds_one_gateway_and_address_per_extra_az(
    dev_plan: dict[str, Any], snapshot: PriceSnapshot, dev_usage: LoadedUsage
) -> None:
    head = copy.deepcopy(dev_plan)
    _clone(head, NAT, "1")  # dev has 2 AZs: per-az means a second NAT gateway with its own EIP
    _clone(head, EIP, "1")
    delta = cost_delta(dev_plan, head, snapshot, dev_usage.usage)
    expected = 730 * (_p(snapshot, "nat.hour") + _p(snapshot, "vpc.publicIpv4Hour"))
    # The assumed NAT traffic is the stack's, split across gateways: data processing does not double.
    assert [row.component for row in delta.changed] == ["network"]
    assert delta.total_delta == pytest.approx(expected, abs=0.01)
    nat_data = [
        line.monthly_usd for line in delta.head.lines if line.price_key == "nat.gbProcessed" and line.monthly_usd
    ]
    assert sum(nat_data) == pytest.approx(100 * _p(snapshot, "nat.gbProcessed"), abs=0.01)


def test_unchanged_plans_say_so(dev_plan: dict[str, Any], snapshot: PriceSnapshot, dev_usage: LoadedUsage) -> None:
    delta = cost_delta(dev_plan, copy.deepcopy(dev_plan), snapshot, dev_usage.usage)
    assert delta.total_delta == 0 and not delta.changed and not delta.new_unpriced
    text = delta.to_markdown()
    assert text.startswith("#### Estimated monthly cost")
    assert f"No change: ${delta.head.monthly_total:,.2f}/month." in text
    doc = delta.to_json()
    assert doc["monthlyDelta"] == 0 and doc["priceSnapshot"]["date"] == snapshot.date


def test_a_removed_component_shows_as_a_decrease(
    dev_plan: dict[str, Any], snapshot: PriceSnapshot, dev_usage: LoadedUsage
) -> None:
    head = copy.deepcopy(dev_plan)
    head["resources"] = [r for r in head["resources"] if "DeployRunner" not in r["urn"]]
    delta = cost_delta(dev_plan, head, snapshot, dev_usage.usage)
    row = next(row for row in delta.changed if row.component == "deploy-runner")
    assert row.head == 0 and row.delta == -row.base < 0
