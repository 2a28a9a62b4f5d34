"""The registry wired into the platform (docs/adr/0003-registry-and-air-gap.md): every shipped stack pulls every
image through ECR, and a prod variant without NAT (air-gapped workloads, the runner keeping its own egress) plans
with 0 mandatory violations and every deploy check passing.

These tests need the wiring of ADR 0003 (``mlops:registry`` in the platform config); until it is applied they
skip and say so.
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.config import PlatformConfig
from contracts.stackfile import read_stack_values
from mlopsctl.connectivity import connectivity
from mlopsctl.deploy.air_gap import CONTROLLER_SERVICES, check_air_gap, endpoint_services
from mlopsctl.deploy.graphs import index_of
from mlopsctl.deploy.report import evaluate_deploy
from mlopsctl.engine import Graph, run_program
from mlopsctl.policy import evaluate

ROOT = Path(__file__).resolve().parents[2]
WIRED = "registry" in PlatformConfig.model_fields
pytestmark = pytest.mark.skipif(
    not WIRED, reason="mlops:registry is not wired into the platform yet (ADR 0003 snippets)"
)

ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
AIR_GAP_ENDPOINTS = [
    "ecr.api", "ecr.dkr", "s3", "sts", "logs", "secretsmanager", "kms", "ec2", "eks", "eks-auth", "autoscaling",
    "elasticloadbalancing", "glue", "lakeformation", "monitoring", "sns",
]  # fmt: skip
"""The issue's endpoint set, plus Glue and Lake Formation for Airflow's lake catalog access (prod has a lake),
and, where the observability component is wired, CloudWatch metrics and SNS (its agents and alert topic)."""

_VARIANTS: dict[str, Graph] = {}


def prod_without_nat(endpoints: list[str] = AIR_GAP_ENDPOINTS) -> Graph:
    """stacks/Pulumi.prod.yaml with `network.nat: none` and the endpoint set, planned like the real program."""
    key = ",".join(endpoints)
    if key not in _VARIANTS:
        raw: dict[str, Any] = dict(read_stack_values(ROOT / "stacks" / "Pulumi.prod.yaml"))
        raw["mlops:network"] = {**raw["mlops:network"], "nat": "none", "interfaceEndpoints": endpoints}
        raw.pop("mlops:access")  # its people entry needs NAT (the load balancer calls the IdP)
        _VARIANTS[key] = run_program(
            lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"), stack="prod", config=raw
        )
    return _VARIANTS[key]


@pytest.mark.parametrize("stack", ["dev", "prod", "phoenix"])
def test_every_image_of_every_stack_comes_through_the_stacks_ecr(stack: str, graph_of: Callable[[str], Graph]) -> None:
    report = evaluate_deploy(graph_of(stack))
    assert report.images and all(e["image"].startswith(f"{ECR}/") for e in report.images)
    assert {e["origin"] for e in report.images} <= {"cache", "mirror"}
    assert report.count("air-gap") == 0


def test_prod_without_nat_plans_clean() -> None:
    graph = prod_without_nat()
    mandatory = [v for v in evaluate(graph).violations if v.level == "mandatory"]
    assert mandatory == []
    report = evaluate_deploy(graph)
    assert report.ok, [f.id for f in report.findings]
    assert connectivity(graph).ok
    index = index_of(graph)
    assert endpoint_services(graph) >= {
        s for needs in CONTROLLER_SERVICES if needs.present(index) for s in needs.services
    }


def test_without_nat_only_the_runner_tier_routes_out() -> None:
    graph = prod_without_nat()
    subnets = {r.urn: r for r in graph.by_type("aws:ec2/subnet:Subnet")}
    tiers = {urn: r.inputs["tags"]["mlops:tier"] for urn, r in subnets.items()}
    assert sorted(tiers.values()).count("runner") == 3
    (nat,) = graph.by_type("aws:ec2/natGateway:NatGateway")
    routes = [r for r in graph.by_type("aws:ec2/route:Route") if r.inputs.get("destinationCidrBlock") == "0.0.0.0/0"]
    through_nat = [r for r in routes if nat.urn in r.property_dependencies.get("natGatewayId", ())]
    assert [r.name for r in through_nat] == ["network-runner-default"]
    (project,) = graph.by_type("aws:codebuild/project:Project")
    runner_subnets = [u for u, t in tiers.items() if t == "runner"]
    assert set(runner_subnets) <= set(project.dependencies)


def test_prod_without_nat_and_without_the_endpoints_fails_the_air_gap_check() -> None:
    # (The autoscaler's endpoints are required by config validation now, so they are in the list.)
    endpoints = ["ecr.api", "ecr.dkr", "s3", "sts", "logs", "secretsmanager", "kms", "ec2", "autoscaling", "eks"]
    graph = prod_without_nat(endpoints)
    ids = sorted(f.id for f in check_air_gap(graph))
    assert {"air-gap:endpoints:airflow lake catalog", "air-gap:endpoints:eks-pod-identity-agent"} <= set(ids)
    assert all(i.startswith("air-gap:endpoints:") for i in ids)


def test_phoenix_stacks_leave_the_account_settings_to_their_owner(graph_of: Callable[[str], Graph]) -> None:
    phoenix = graph_of("phoenix")
    assert phoenix.by_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule") == []
    assert json.loads(phoenix.config["mlops:registry"])["accountSettings"] is False
    assert len(graph_of("dev").by_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")) == 5
