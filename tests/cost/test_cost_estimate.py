"""Estimates of the real dev and prod plans against hand calculations from the snapshot and usage files.

Tolerance: the model rounds every line to cents before summing, the hand calculation does not, so the
two may differ by at most half a cent per line: 0.5 % of the total (or $0.50) is far above that and
far below any modelling error worth catching.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlopsctl.cost.model import STACK_GROUP, CostError, estimate
from mlopsctl.cost.prices import PriceSnapshot
from mlopsctl.cost.render import cost_section, render_markdown
from mlopsctl.cost.usage import LoadedUsage


def _tolerance(total: float) -> float:
    return max(0.5, 0.005 * total)


def _p(snapshot: PriceSnapshot, key: str) -> float:
    price = snapshot.get(key)
    assert price is not None, f"the hand calculation needs {key} in the snapshot"
    return price.usd


def test_dev_estimate_matches_hand_calculation(
    dev_plan: dict[str, Any], snapshot: PriceSnapshot, dev_usage: LoadedUsage
) -> None:
    report = estimate(dev_plan, snapshot, dev_usage.usage)
    p = lambda key: _p(snapshot, key)  # noqa: E731
    h = 730
    # dev: 1 EKS cluster; 2 x m7i.large nodes (unpriced) with 50 GB gp3 each; nat: single (1 NAT, 1 EIP);
    # 13 interface endpoints sharing 50 GB; 2 x db.t4g.medium Single-AZ, 20 GB gp3, backups within the free
    # 20 GB, each with an RDS-managed master secret; 10 KMS keys (the registry's included); 7 secrets (the
    # registry's Docker Hub and GitHub logins included); 4 ECR repositories (2 team, 2 mirrors) at the 5 GB
    # default; buckets 5 + 5 + 3 x 50 GB;
    # 7 log groups at 90 days (3 months kept): 6 x 1 GB standard ingestion + flow logs 10 GB (vended,
    # unpriced); 4 Container Insights log groups at 30 days (1 month kept), 1 GB each; deploy runner 300
    # build minutes; 2 ALBs (people, models) at 1 LCU, their log bucket 5 GB. CloudWatch alarms, Cognito, Route 53
    # and ACM are not in the model.
    expected = (
        h * p("eks.clusterHour")
        + 2 * 50 * p("ebs.gp3.gbMonth")
        + h * p("nat.hour")
        + 100 * p("nat.gbProcessed")
        + h * p("vpc.publicIpv4Hour")
        + 50 * p("vpce.gbProcessed")
        + 2 * (h * p("rds.instanceHour:postgres:db.t4g.medium") + 20 * p("rds.gp3.gbMonth"))
        + 10 * p("kms.keyMonth")
        + (7 + 2) * (p("secretsmanager.secretMonth") + 10_000 * p("secretsmanager.apiRequest"))
        + 4 * 5 * p("ecr.storageGbMonth")
        + (5 + 5 + 3 * 50 + 5) * p("s3.standard.gbMonth")
        + 2 * h * (p("elb.application.hour") + p("elb.application.lcuHour"))
        + (6 + 4) * 1 * p("logs.ingestGb")
        + ((6 * 1 + 10) * 3 + 4 * 1 * 1) * p("logs.storageGbMonth")
        + 300 * p("codebuild.buildMinute:BUILD_GENERAL1_MEDIUM")
    )
    assert report.monthly_total == pytest.approx(expected, abs=_tolerance(expected))
    unpriced = sorted(line.price_key for line in report.unpriced)
    assert unpriced == ["ec2.instanceHour:m7i.large", "logs.vendedIngestGb"] + ["vpce.interfaceHour"] * 13


def test_prod_estimate_matches_hand_calculation(
    prod_plan: dict[str, Any], snapshot: PriceSnapshot, prod_usage: LoadedUsage
) -> None:
    report = estimate(prod_plan, snapshot, prod_usage.usage)
    p = lambda key: _p(snapshot, key)  # noqa: E731
    h = 730
    # prod: 3 x m7i.xlarge (unpriced) + GPU pool at 0, 50 GB root volumes; nat: per-az (3 NAT, 3 EIP)
    # sharing 500 GB; 13 interface endpoints x 3 AZ (unpriced hours) sharing 300 GB; 2 x db.r7g.large
    # Multi-AZ (instance unpriced, storage doubled: 2 x 20 GB), backups 60 GB each of which 20 GB free;
    # 11 KMS keys (the registry's included); 9 secrets (the registry's two upstream logins included); 4 ECR
    # repositories at the 5 GB default; buckets 50 + 20 + 3 x 500 GB; log groups 5 GB each: control plane and flow
    # logs keep 365 days, the rest (4 of them Container Insights') 90; flow logs 60 GB vended (unpriced
    # ingestion); 600 build minutes; 2 ALBs (people, models) at 1 LCU, their log bucket 20 GB;
    # Redshift Serverless RPU-hours unpriced.
    expected = (
        h * p("eks.clusterHour")
        + 3 * 50 * p("ebs.gp3.gbMonth")
        + 3 * h * p("nat.hour")
        + 500 * p("nat.gbProcessed")
        + 3 * h * p("vpc.publicIpv4Hour")
        + 300 * p("vpce.gbProcessed")
        + 2 * (2 * 20 * p("rds.gp3.gbMonth") + (60 - 20) * p("rds.backup.gbMonth"))
        + 11 * p("kms.keyMonth")
        + (7 + 2) * (p("secretsmanager.secretMonth") + 10_000 * p("secretsmanager.apiRequest"))
        + 4 * 5 * p("ecr.storageGbMonth")
        + (50 + 20 + 3 * 500 + 20) * p("s3.standard.gbMonth")
        + 2 * h * (p("elb.application.hour") + p("elb.application.lcuHour"))
        + (6 + 4) * 5 * p("logs.ingestGb")
        + (5 * 365 / 30 + 60 * 365 / 30 + (5 + 4) * 5 * 90 / 30) * p("logs.storageGbMonth")
        + 600 * p("codebuild.buildMinute:BUILD_GENERAL1_MEDIUM")
    )
    assert report.monthly_total == pytest.approx(expected, abs=_tolerance(expected))
    keys = {line.price_key for line in report.unpriced}
    assert keys == {
        "ec2.instanceHour:m7i.xlarge",
        "rds.instanceHour:postgres:db.r7g.large",
        "redshiftServerless.rpuHour",
        "vpce.interfaceHour",
        "logs.vendedIngestGb",
    }


def test_dev_costs_less_than_prod_and_both_are_positive(
    dev_plan: dict[str, Any],
    prod_plan: dict[str, Any],
    snapshot: PriceSnapshot,
    dev_usage: LoadedUsage,
    prod_usage: LoadedUsage,
) -> None:
    dev = estimate(dev_plan, snapshot, dev_usage.usage)
    prod = estimate(prod_plan, snapshot, prod_usage.usage)
    assert 0 < dev.monthly_total < prod.monthly_total
    assert all(amount >= 0 for amount in (*dev.by_component.values(), *prod.by_component.values()))


def test_gpu_pool_at_zero_shows_its_hourly_prices(
    prod_plan: dict[str, Any], snapshot: PriceSnapshot, prod_usage: LoadedUsage
) -> None:
    report = estimate(prod_plan, snapshot, prod_usage.usage)
    gpu = next(line for line in report.lines if line.resource == "serving-gpu" and line.unit == "instance-hours")
    assert gpu.quantity == 0 and gpu.monthly_usd == 0.0
    assert "desired 0" in gpu.note
    assert f"g5.2xlarge ${_p(snapshot, 'ec2.instanceHour:g5.2xlarge'):g}" in gpu.note
    assert "g5.xlarge unpriced" in gpu.note  # no sourced eu-west-1 price: shown as such, never guessed
    assert gpu not in report.unpriced  # a zero quantity costs nothing whatever its price


def test_components_lines_and_totals_agree(
    dev_plan: dict[str, Any], snapshot: PriceSnapshot, dev_usage: LoadedUsage
) -> None:
    report = estimate(dev_plan, snapshot, dev_usage.usage, usage_files=dev_usage.files)
    assert set(report.by_component) >= {"network", "serving", "lake", "tracking", "orchestrator", "deploy-runner"}
    assert STACK_GROUP not in report.by_component
    assert report.monthly_total == pytest.approx(sum(report.by_component.values()), abs=0.001)
    per_line = sum(line.monthly_usd or 0.0 for line in report.lines)
    assert report.monthly_total == pytest.approx(per_line, abs=0.001)
    for line in report.lines:
        assert line.urn in {r["urn"] for r in dev_plan["resources"]}
        assert line.quantity >= 0 and line.unit and line.item
    section = cost_section(report)
    assert section["currency"] == "USD"
    assert section["priceSnapshot"] == {"date": snapshot.date, "region": "eu-west-1", "origin": snapshot.origin}
    assert section["monthlyTotal"] == report.monthly_total
    assert section["complete"] is False and len(section["unpriced"]) == len(report.unpriced)
    line = section["lines"][0]
    assert set(line) >= {"urn", "component", "item", "quantity", "unit", "unitPriceUsd", "monthlyUsd"}


def test_estimate_is_deterministic(dev_plan: dict[str, Any], snapshot: PriceSnapshot, dev_usage: LoadedUsage) -> None:
    first = estimate(dev_plan, snapshot, dev_usage.usage, usage_files=dev_usage.files)
    shuffled = dict(dev_plan, resources=list(reversed(dev_plan["resources"])))
    second = estimate(shuffled, snapshot, dev_usage.usage, usage_files=dev_usage.files)
    assert json.dumps(cost_section(first), sort_keys=True) == json.dumps(cost_section(second), sort_keys=True)
    assert render_markdown(first) == render_markdown(second)


def test_markdown_prints_the_snapshot_date_and_unpriced_items(
    dev_plan: dict[str, Any], snapshot: PriceSnapshot, dev_usage: LoadedUsage
) -> None:
    text = render_markdown(estimate(dev_plan, snapshot, dev_usage.usage, usage_files=dev_usage.files))
    assert f"snapshot **{snapshot.date}**" in text
    assert snapshot.origin in text
    assert "(lower bound)" in text
    assert "unpriced: EC2 m7i.large nodes (on-demand Linux) — `serving-system`" in text
    assert "| **Total** |" in text


def test_region_mismatch_is_an_error(dev_plan: dict[str, Any], snapshot: PriceSnapshot, dev_usage: LoadedUsage) -> None:
    for resource in dev_plan["resources"]:
        if resource["type"] == "pulumi:providers:aws":
            resource["inputs"]["region"] = "us-west-2"
    with pytest.raises(CostError, match="us-west-2"):
        estimate(dev_plan, snapshot, dev_usage.usage)
