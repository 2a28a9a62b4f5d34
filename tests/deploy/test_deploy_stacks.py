"""Every shipped stack reports the ``deploy`` section, with exactly the violations known today.

EXPECTED_VIOLATIONS lists the finding ids each stack has now; when a fix lands, remove its ids here (the
goal is an empty set everywhere).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from mlopsctl.deploy.report import CHECKS, evaluate_deploy
from mlopsctl.engine import Graph
from mlopsctl.layers import layer_urns
from mlopsctl.report import PlanReport

STACKS = ("dev", "prod", "phoenix")

EXPECTED_VIOLATIONS: dict[str, set[str]] = {
    "dev": set(),
    "prod": set(),
    "phoenix": set(),
}


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_reports_the_deploy_section(stack: str, graph_of: Callable[[str], Graph]) -> None:
    graph = graph_of(stack)
    section = PlanReport.evaluate(graph).plan_document()["deploy"]
    assert [c["id"] for c in section["checks"]] == [check_id for check_id, _, _ in CHECKS]
    assert {v["id"] for v in section["violations"]} == EXPECTED_VIOLATIONS[stack]
    assert section["ok"] is (not EXPECTED_VIOLATIONS[stack])
    assert section["layers"]["aws"] + section["layers"]["kubernetes"] == len(graph.resources)


@pytest.mark.parametrize("stack", STACKS)
def test_the_image_inventory_lists_what_each_stack_runs(stack: str, graph_of: Callable[[str], Graph]) -> None:
    # Every image is pulled through the stack's ECR; the inventory names the upstream it stands for.
    ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    entries = evaluate_deploy(graph_of(stack)).images
    images = {e["image"]: e for e in entries}
    upstreams = {e["upstream"]: e["image"] for e in entries}
    for upstream, prefix in (
        ("docker.io/apache/airflow:3.0.6", "docker-hub"),
        ("ghcr.io/mlflow/mlflow:v3.17.0-full", "ghcr"),
        ("ghcr.io/external-secrets/external-secrets:v2.3.0", "ghcr"),
        ("quay.io/jetstack/cert-manager-controller:v1.21.1", "quay"),
        ("docker.io/kserve/kserve-controller:v0.15.2", "docker-hub"),
    ):
        assert upstreams[upstream] == f"{ecr}/{prefix}/{upstream.split('/', 1)[1]}", upstream
    assert {e["origin"] for e in entries} <= {"cache", "mirror"}
    airflow = images[f"{ecr}/docker-hub/apache/airflow:3.0.6"]
    assert airflow["source"] == "values images.airflow"
    assert [u.rsplit("::", 1)[-1] for u in airflow["usedBy"]] == ["orchestrator-release"]
    assert all(e["tag"] or e["digest"] or "chart default" in e["source"] for e in images.values())


def test_the_layers_partition_every_stack(graph_of: Callable[[str], Graph]) -> None:
    graph = graph_of("prod")
    pairs = [(r.urn, r.type) for r in graph.resources]
    aws, kubernetes = layer_urns(pairs, "aws"), layer_urns(pairs, "kubernetes")
    assert sorted(aws + kubernetes) == sorted(r.urn for r in graph.resources) and not set(aws) & set(kubernetes)


def test_the_checks_stay_cheap(graph_of: Callable[[str], Graph]) -> None:
    graph = graph_of("prod")
    evaluate_deploy(graph)  # warm imports
    started = time.perf_counter()
    evaluate_deploy(graph)
    assert time.perf_counter() - started < 0.25  # ~15 ms measured; generous for loaded CI machines
