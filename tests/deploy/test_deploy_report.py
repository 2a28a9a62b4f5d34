"""The ``deploy`` section: JSON shape, markdown and terminal views, exit status, plan document."""

from __future__ import annotations

import json

from deploy_testkit import ACCOUNT, cluster_base, graph, reg
from rich.console import Console

from mlopsctl.connectivity import build_report
from mlopsctl.deploy.graphs import Finding, unique_ids
from mlopsctl.deploy.report import CHECKS, evaluate_deploy
from mlopsctl.engine import Graph
from mlopsctl.plan import build_plan, dumps
from mlopsctl.policy import PolicyReport
from mlopsctl.report import PlanReport

SLR_ARN = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def broken() -> Graph:
    """A cluster with two violations: a key naming a missing service-linked role, a minor-pinned database."""
    base = cluster_base()
    statement = {"Effect": "Allow", "Principal": {"AWS": SLR_ARN}, "Action": "kms:Decrypt", "Resource": "*"}
    key = reg("aws:kms/key:Key", "node-key", {"policy": json.dumps({"Statement": [statement]})})
    db = reg("aws:rds/instance:Instance", "db", {"engine": "postgres", "engineVersion": "16.8"})
    web = reg(
        "kubernetes:apps/v1:Deployment",
        "web",
        {"spec": {"template": {"spec": {"containers": [{"image": "nginx:1.27"}]}}}},
        provider=base["provider"],
    )
    runner = reg("aws:codebuild/project:Project", "runner", {"vpcConfig": {"subnets": ["subnet-a"]}})
    return graph(*base.values(), key, db, web, runner)


def test_json_section_shape() -> None:
    section = evaluate_deploy(broken()).to_json()
    assert set(section) == {"ok", "checks", "violations", "images", "layers"}
    assert section["ok"] is False
    assert [c["id"] for c in section["checks"]] == [check_id for check_id, _, _ in CHECKS]
    counts = {c["id"]: c["violations"] for c in section["checks"]}
    assert counts == {
        "ordering": 0,
        "layer-closure": 0,
        "helm-wait": 0,
        "api-reachability": 0,
        "principals": 1,
        "engine-version": 1,
        "images": 0,
        "air-gap": 1,
    }
    assert [v["id"] for v in section["violations"]] == [
        "principals:node-key:AWSServiceRoleForAutoScaling",
        "engine-version:db",
        "air-gap:web:docker.io/library/nginx:1.27",
    ]
    assert set(section["violations"][0]) == {"check", "id", "resource", "message"}
    assert section["images"][0]["image"] == "docker.io/library/nginx:1.27"
    assert (section["images"][0]["origin"], section["images"][0]["upstream"]) == (
        "not-ecr",
        "docker.io/library/nginx:1.27",
    )
    assert section["layers"] == {"aws": 9, "kubernetes": 2}


def test_markdown_and_terminal_views_name_every_violation() -> None:
    report = evaluate_deploy(broken())
    markdown = report.to_markdown()
    assert "### Deploy invariants" in markdown and "3 violation(s) in 3 of 8 deploy checks" in markdown
    assert "| `engine-version:db` | `db` |" in markdown
    assert "### Images (1)" in markdown
    assert "| `library/nginx` | docker.io | `1.27` | not-ecr | `docker.io/library/nginx:1.27` |" in markdown
    console = Console(record=True, width=200)
    for part in report.to_renderables():
        console.print(part)
    text = console.export_text()
    assert "Deploy violations" in text and "principals:node-key:AWSServiceRoleForAutoScaling" in text


def test_messages_are_not_read_as_markup() -> None:
    finding = Finding("images", "images:x:[secret]", None, "value [secret] and [bold]not bold[/bold]")
    report = evaluate_deploy(graph())
    report = type(report)(findings=(finding,), images=(), layers={"aws": 0, "kubernetes": 0})
    console = Console(record=True, width=200)
    for part in report.to_renderables():
        console.print(part)
    assert "value [secret] and [bold]not bold[/bold]" in console.export_text()


def test_a_deploy_violation_is_a_plan_finding() -> None:
    g = broken()
    policy = PolicyReport(pack="mlops", stack_urn="urn", violations=(), exemptions=(), rules=())
    clean = build_report(frozenset(), frozenset())
    report = PlanReport(graph=g, policy=policy, connectivity=clean, deploy=evaluate_deploy(g))
    assert report.has_findings
    fine = PlanReport(graph=graph(), policy=policy, connectivity=clean, deploy=evaluate_deploy(graph()))
    assert not fine.has_findings
    document = report.plan_document()
    assert list(document) == ["schema", "project", "stack", "resources", "outputs", "config", "policy", "deploy"]
    assert dumps(document) == dumps(report.plan_document())


def test_plans_built_without_the_section_do_not_carry_it() -> None:
    assert "deploy" not in build_plan(graph())


def test_repeated_ids_get_a_suffix() -> None:
    twice = [Finding("c", "c:x", "urn:1", "a"), Finding("c", "c:x", "urn:2", "b")]
    assert [f.id for f in unique_ids(twice)] == ["c:x", "c:x#2"]
