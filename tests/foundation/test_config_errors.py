"""A bad stack file names the file, the key path and what is allowed; every problem at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.config import load_stack_file, parse_config
from contracts.errors import ConfigError

GOOD: dict[str, Any] = {
    "aws:region": "eu-west-1",
    "mlops:environment": "dev",
    "mlops:owner": "team",
    "mlops:costCenter": "cc-1",
}


def problems(**overrides: Any) -> list[str]:
    raw = {**GOOD, **{key.replace("__", ":"): value for key, value in overrides.items()}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, stack="dev", source="stacks/Pulumi.dev.yaml")
    assert str(caught.value).startswith("stacks/Pulumi.dev.yaml: ")
    return caught.value.problems


def test_good_config_has_safe_defaults() -> None:
    config = parse_config(GOOD, stack="dev", source="x")
    assert config.network.nat == "single"
    assert config.cluster.public_access_cidrs == []
    assert config.storage.kind == "lake"
    assert config.required_tags == {"owner": "team", "environment": "dev", "cost-center": "cc-1"}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"mlops__netwrok": {}},
            "mlops:netwrok: unknown key; did you mean 'mlops:network'? allowed: access, budget, cluster, costCenter",
        ),
        ({"mlops__network": {"cidr": "10.0.0.0/33"}}, "mlops:network.cidr: '10.0.0.0/33' is not a valid CIDR"),
        ({"mlops__network": {"cidr": "8.8.0.0/16"}}, "mlops:network.cidr: '8.8.0.0/16' must be a private IPv4"),
        ({"mlops__network": {"azCount": 5}}, "mlops:network.azCount: Input should be less than or equal to 3"),
        ({"mlops__network": {"nat": "many"}}, "mlops:network.nat: Input should be 'none', 'single' or 'per-az'"),
        ({"mlops__network": {"natMode": "none"}}, "mlops:network.natMode: unknown key; allowed: azCount, cidr"),
        (
            {"mlops__cluster": {"systemPool": {"instanceTypes": ["m7i.large"], "minSize": 3, "maxSize": 2}}},
            "mlops:cluster.systemPool: need minSize (3) <= desiredSize (2) <= maxSize (2)",
        ),
        ({"mlops__cluster": {"version": "1.20"}}, "mlops:cluster.version: '1.20' is not a supported EKS version"),
        ({"mlops__cluster": {"gpuPool": {"minSize": 0, "desiredSize": 0}}}, "mlops:cluster.gpuPool: a GPU pool"),
        ({"mlops__cluster": {"namespaces": ["serving", "web"]}}, "unknown namespace(s) ['web']; allowed:"),
        ({"mlops__storage": {"kind": "datalake"}}, "mlops:storage.kind: Input should be 'lake', 'warehouse' or"),
        ({"mlops__lake": {"zones": []}}, "mlops:lake.zones: List should have at least 1 item"),
        ({"mlops__lake": {"lifecycle": {"noncurrentVersionDays": 0}}}, "mlops:lake.lifecycle.noncurrentVersionDays"),
        ({"mlops__orchestrator": {"mode": "k8s"}}, "mlops:orchestrator.mode: Input should be 'helm' or 'mwaa'"),
        ({"mlops__orchestrator": {"airflowVersion": "2.9.3"}}, "'2.9.3': helm mode runs Airflow 3.x"),
        ({"mlops__tracking": {"replicas": "two"}}, "mlops:tracking.replicas: Input should be a valid integer"),
        ({"mlops__phoenix": {"ttl": "forever"}}, "mlops:phoenix.ttl: 'forever' is not a duration"),
        ({"mlops__network": {"flowLogRetentionDays": 42}}, "42 is not a CloudWatch retention period"),
        ({"aws:region": "mars-1"}, "aws:region: String should match pattern"),
    ],
)
def test_bad_value_is_named_with_what_is_allowed(overrides: dict[str, Any], expected: str) -> None:
    found = problems(**overrides)
    assert any(expected in line for line in found), found


def test_all_problems_reported_together() -> None:
    found = problems(mlops__network={"cidr": "nope", "azCount": 9}, mlops__storage={"kind": "x"})
    assert len(found) == 3


def test_missing_region_and_required_keys() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"mlops:environment": "dev"}, stack="dev", source="s.yaml")
    assert caught.value.problems == ["aws:region: missing; set the AWS region of the stack, e.g. eu-west-1"]
    with pytest.raises(ConfigError) as caught:
        parse_config({"aws:region": "eu-west-1"}, stack="dev", source="s.yaml")
    assert "mlops:owner: required key is missing" in caught.value.problems


def test_cross_section_rule_names_both_fields() -> None:
    found = problems(mlops__lake={"zones": ["raw"]})
    assert any("lake.zones must include 'ml-artifacts'" in line for line in found), found


def test_structured_values_may_arrive_as_json_strings() -> None:
    config = parse_config({**GOOD, "mlops:network": '{"azCount": 2}'}, stack="dev", source="x")
    assert config.network.az_count == 2


def test_stack_file_errors(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "Pulumi.dev.yaml"
    bad_yaml.write_text("config: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_stack_file(bad_yaml)
    with pytest.raises(ConfigError, match="stack file not found"):
        load_stack_file(tmp_path / "Pulumi.missing.yaml")
    bad_name = tmp_path / "dev.yaml"
    bad_name.write_text("config: {}\n")
    with pytest.raises(ConfigError, match=r"Pulumi\.<stack>\.yaml"):
        load_stack_file(bad_name)


@pytest.mark.parametrize("stack", ["dev", "prod", "phoenix"])
def test_shipped_stack_files_are_valid(stack: str) -> None:
    root = Path(__file__).resolve().parents[2]
    config = load_stack_file(root / "stacks" / f"Pulumi.{stack}.yaml")
    assert config.stack == stack
