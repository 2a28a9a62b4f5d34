"""Usage files (validation, per-stack overrides), the committed price snapshot, and the budget check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mlopsctl.cost.budget import BUDGET_RULE, budget_from_config, check_budget
from mlopsctl.cost.model import CostError, estimate
from mlopsctl.cost.prices import PriceError, PriceSnapshot, load_region, load_snapshot, parse_snapshot
from mlopsctl.cost.usage import UsageError, load_usage, merge

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "assembled from public pricing pages; run mlopsctl prices refresh to replace with the Price List"


def _project(tmp_path: Path, base: Any, stack_files: dict[str, Any] | None = None) -> Path:
    (tmp_path / "cost").mkdir()
    (tmp_path / "cost" / "usage.yaml").write_text(base if isinstance(base, str) else yaml.safe_dump(base))
    for stack, doc in (stack_files or {}).items():
        text = doc if isinstance(doc, str) else yaml.safe_dump(doc)
        (tmp_path / "cost" / f"usage.{stack}.yaml").write_text(text)
    return tmp_path


# --- usage files -------------------------------------------------------------------------------


def test_committed_usage_files_load_and_prod_overrides_dev() -> None:
    dev, prod = load_usage(ROOT, "dev"), load_usage(ROOT, "prod")
    assert dev.files == (str(ROOT / "cost" / "usage.yaml"),)
    assert prod.files[-1].endswith("cost/usage.prod.yaml")
    assert prod.usage.network.natDataProcessedGb > dev.usage.network.natDataProcessedGb
    # merged key by key: the prod file does not repeat hoursPerMonth or the ECR assumption
    assert prod.usage.hoursPerMonth == dev.usage.hoursPerMonth == 730
    assert prod.usage.ecr == dev.usage.ecr
    assert prod.usage.s3.buckets["lake-access-logs-bucket"] == 50


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"network": {"natDataProcessedGB": 5}}, r"usage.yaml: network.natDataProcessedGB: unknown key"),
        (
            {"network": {"natDataProcessedGb": -1}},
            r"usage.yaml: network.natDataProcessedGb: .*greater than or equal to 0",
        ),
        ({"hoursPerMonth": 0}, r"usage.yaml: hoursPerMonth: .*greater than 0"),
        ({"s3": {"buckets": {"lake-raw-bucket": "lots"}}}, r"usage.yaml: s3.buckets.lake-raw-bucket: "),
        ({"schema": "mlops-usage/9"}, r"usage.yaml: schema: 'mlops-usage/9'"),
        ("- a\n- list\n", r"usage.yaml: expected a mapping at the top level, got list"),
        ("network: [unclosed\n", r"usage.yaml: not valid YAML \(line 2"),
    ],
)
def test_bad_usage_files_name_the_file_and_the_key(tmp_path: Path, doc: Any, message: str) -> None:
    root = _project(tmp_path, doc)
    with pytest.raises(UsageError, match=message):
        load_usage(root, "dev")


def test_an_error_in_a_stack_override_names_the_override(tmp_path: Path) -> None:
    root = _project(tmp_path, {"network": {"natDataProcessedGb": 10}}, {"prod": {"rds": {"backupGb": 3}}})
    load_usage(root, "dev")  # no dev override: fine
    with pytest.raises(UsageError, match=r"usage.prod.yaml: rds.backupGb: unknown key"):
        load_usage(root, "prod")


def test_missing_base_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"cost/usage.yaml: no usage assumptions file"):
        load_usage(tmp_path, "dev")


def test_merge_is_deep_for_mappings_and_replaces_the_rest() -> None:
    base = {"s3": {"defaultGbPerBucket": 1, "buckets": {"a": 1}}, "hoursPerMonth": 730}
    override = {"s3": {"buckets": {"b": 2}}, "hoursPerMonth": 720}
    assert merge(base, override) == {"s3": {"defaultGbPerBucket": 1, "buckets": {"a": 1, "b": 2}}, "hoursPerMonth": 720}


# --- price snapshot ----------------------------------------------------------------------------


def test_committed_snapshot_is_documented_and_matches_the_stacks_region(snapshot: PriceSnapshot) -> None:
    assert snapshot.origin == ORIGIN
    assert snapshot.currency == "USD" and snapshot.date
    regions = set()
    for stack_file in (ROOT / "stacks").glob("Pulumi.*.yaml"):
        regions.add(yaml.safe_load(stack_file.read_text())["config"]["aws:region"])
    assert regions == {snapshot.region}
    for price in snapshot.prices.values():
        assert price.usd >= 0
        assert price.source and price.unit and price.description
        assert len(price.date) == 10 and price.date[4] == "-" and price.date[7] == "-", price.key


def test_no_price_literals_in_the_cost_code(snapshot: PriceSnapshot) -> None:
    """Prices live in the snapshot only: no unit price of the snapshot appears in the cost package."""
    sources = "\n".join(p.read_text() for p in (ROOT / "mlopsctl" / "cost").glob("*.py"))
    for price in snapshot.prices.values():
        if price.usd not in (0.0, 1.0):
            assert repr(price.usd) not in sources, f"{price.key} ({price.usd}) is written in code"


def test_missing_or_broken_snapshots_are_errors(tmp_path: Path) -> None:
    with pytest.raises(
        PriceError, match=r"no price snapshot for region 'ap-south-2'.*prices refresh --region ap-south-2"
    ):
        load_region(tmp_path, "ap-south-2")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(PriceError, match=r"bad.json: not valid JSON"):
        load_snapshot(bad)
    doc = {"schema": "mlops-prices/1", "region": "r", "date": "d", "origin": "o", "prices": {"k": {"usd": -1}}}
    with pytest.raises(PriceError, match=r"x: prices.k.usd: -1 is negative"):
        parse_snapshot(doc, "x")
    doc["prices"] = {"k": {"usd": 1, "unit": "Hrs", "source": "s"}}
    with pytest.raises(PriceError, match=r"x: prices.k.date: missing"):
        parse_snapshot(doc, "x")


# --- budget ------------------------------------------------------------------------------------


def test_budget_config_is_validated() -> None:
    assert budget_from_config({}) is None
    assert budget_from_config({"mlops:budget": {"monthlyUsd": 250}}) == 250.0
    for bad in ({"monthlyUsd": 0}, {"monthlyUsd": "lots"}, {"monthlyUsd": True}, {"monthly": 3}, [1]):
        with pytest.raises(CostError, match=r"mlops:budget"):
            budget_from_config({"mlops:budget": bad})


def test_an_estimate_above_the_budget_is_a_finding(
    dev_plan: dict[str, Any], snapshot: PriceSnapshot, dev_usage: Any
) -> None:
    report = estimate(dev_plan, snapshot, dev_usage.usage)
    assert check_budget(report, None) is None
    assert check_budget(report, report.monthly_total) is None
    finding = check_budget(report, report.monthly_total - 1)
    assert finding is not None
    assert finding.lower_bound  # dev has unpriced charges: the real cost is even higher
    doc = finding.to_json()
    assert doc["rule"] == BUDGET_RULE and doc["level"] == "mandatory"
    assert "at least" in finding.message and snapshot.date in finding.message
    assert "mlops:budget.monthlyUsd" in finding.message
