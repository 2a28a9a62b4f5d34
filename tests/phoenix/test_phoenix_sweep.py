"""The reaper's sweep against in-process moto: exact selection, safe deletion, retries, repeatability."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import moto_gaps
import pytest
from botocore.exceptions import ClientError
from phoenix_testkit import NOW, REGION, FakeStack, FakeWorkspace, FleetBuilder, shared_session, write_template
from typer.testing import CliRunner

from mlopsctl.phoenix.aws import AwsScope
from mlopsctl.phoenix.cli import PhoenixDeps, phoenix_app
from mlopsctl.phoenix.expiry import parse_timestamp
from mlopsctl.phoenix.handlers import HANDLERS, KINDS
from mlopsctl.phoenix.retry import RetryPolicy
from mlopsctl.phoenix.sweep import SweepOptions, sweep


class Faulty:
    """Wraps a boto3 client; named operations raise the queued AWS error codes before really running."""

    def __init__(self, client: Any, faults: dict[str, list[str]], log: list[tuple[str, str]]) -> None:
        self._client = client
        self._faults = faults
        self._log = log

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        queue = self._faults.get(name)
        if queue is None:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if queue:
                code = queue.pop(0)
                self._log.append((name, code))
                raise ClientError({"Error": {"Code": code, "Message": f"injected {code}"}}, name)
            return attr(*args, **kwargs)

        return call


def injector(faults: dict[str, dict[str, list[str]]], log: list[tuple[str, str]]) -> Callable[[str, Any], Any]:
    return lambda service, client: Faulty(client, faults[service], log) if service in faults else client


def reap(
    project_dir: Path,
    *args: str,
    sleep: Callable[[float], None] | None = None,
    wrap: Callable[[str, Any], Any] | None = None,
    policy: RetryPolicy | None = None,
    workspace: FakeWorkspace | None = None,
) -> tuple[int, dict[str, Any], str]:
    """Run ``phoenix reap --format json`` in-process; return exit code, report and stderr."""
    deps = PhoenixDeps(
        workspace_factory=lambda _dir: workspace or FakeWorkspace(),
        session_factory=lambda _region: shared_session(),
        sleep=sleep or (lambda _s: None),
        wrap_client=wrap,
        policy=policy or RetryPolicy(),
        waiter_delay=0,
    )
    result = CliRunner().invoke(
        phoenix_app, ["reap", "--now", NOW, "--format", "json", "--project-dir", str(project_dir), *args], obj=deps
    )
    report = json.loads(result.stdout) if result.exit_code in (0, 1) else {}
    return result.exit_code, report, result.stderr


def by_status(report: dict[str, Any], status: str) -> set[tuple[str, str]]:
    return {(r["kind"], r["id"]) for r in report["resources"] if r["status"] == status}


def test_every_kind_has_a_handler_in_dependency_order() -> None:
    order = {kind: i for i, kind in enumerate(KINDS)}
    for before, after in [
        ("eks:nodegroup", "eks:cluster"),
        ("ec2:instance", "ec2:security-group"),
        ("elbv2:load-balancer", "elbv2:target-group"),
        ("rds:db-instance", "rds:db-subnet-group"),
        ("rds:db-instance", "rds:db-parameter-group"),
        ("ec2:nat-gateway", "ec2:elastic-ip"),
        ("ec2:network-interface", "ec2:security-group"),
        ("ec2:internet-gateway", "ec2:vpc"),
        ("ec2:route-table", "ec2:subnet"),
        ("ec2:subnet", "ec2:vpc"),
        ("iam:instance-profile", "iam:role"),
        ("iam:role", "iam:policy"),
        ("s3:bucket", "kms:key"),
        ("secretsmanager:secret", "kms:key"),
        ("ecr:repository", "kms:key"),
        ("codebuild:project", "ec2:security-group"),
        ("cloudwatch:alarm", "sns:topic"),
        ("sns:topic", "kms:key"),
        ("budgets:budget", "iam:role"),
        ("ec2:verified-access-endpoint", "elbv2:load-balancer"),
        ("ec2:verified-access-endpoint", "acm:certificate"),
        ("ec2:verified-access-endpoint", "ec2:security-group"),
        ("elbv2:load-balancer", "elbv2:trust-store"),
        ("elbv2:load-balancer", "wafv2:web-acl"),
        ("elbv2:load-balancer", "acm:certificate"),
        ("elbv2:load-balancer", "cognito-idp:user-pool"),
        ("route53:hosted-zone", "ec2:vpc"),
    ]:
        assert order[before] < order[after], (before, after)
    assert len(KINDS) == len(set(KINDS)) == 41


def test_dry_run_then_execute_deletes_exactly_the_expired_and_a_second_run_finds_nothing(
    fleet_builder: FleetBuilder, project_dir: Path
) -> None:
    fleet_builder.platform()
    fleet_builder.decoys()
    fleet = fleet_builder.fleet
    # The fleet covers every kind but budgets (moto keeps no Budgets tags: test_phoenix_observability.py) and the
    # access kinds (test_phoenix_access.py).
    assert {kind for kind, _ in fleet.expired} == set(KINDS) - {"budgets:budget"} - moto_gaps.NOT_IN_FLEET

    code, dry, _ = reap(project_dir)
    assert code == 0
    assert dry["mode"] == "dry-run" and dry["account"] == "123456789012" and dry["regions"] == [REGION]
    assert by_status(dry, "would-delete") == set(fleet.expired)
    assert by_status(dry, "kept") == fleet.marked_decoys()
    assert by_status(dry, "deleted") == by_status(dry, "failed") == set()
    assert all(exists() for exists in fleet.expired.values()), "a dry run must not delete"

    code, done, _ = reap(project_dir, "--execute")
    assert code == 0, [r for r in done["resources"] if r["status"] == "failed"]
    assert by_status(done, "deleted") == set(fleet.expired)
    assert done["summary"] == {
        "deleted": len(fleet.expired),
        "would-delete": 0,
        "kept": len(fleet.marked_decoys()),
        "failed": 0,
    }
    still_there = [key for key, exists in fleet.expired.items() if exists()]
    assert still_there == []
    lost = [key for key, exists in fleet.decoys.items() if not exists()]
    assert lost == []
    kms = next(r for r in done["resources"] if r["kind"] == "kms:key" and r["status"] == "deleted")
    assert kms["reason"] == "deletion scheduled (7-day waiting period)"

    code, again, _ = reap(project_dir, "--execute")
    assert code == 0
    assert by_status(again, "deleted") | by_status(again, "would-delete") | by_status(again, "failed") == set()
    assert by_status(again, "kept") == fleet.marked_decoys()


def test_throttling_and_dependency_errors_are_retried(fleet_builder: FleetBuilder, project_dir: Path) -> None:
    fleet_builder.platform()
    faults = {
        "ec2": {
            "delete_security_group": ["DependencyViolation", "DependencyViolation"],
            "describe_addresses": ["RequestLimitExceeded"],
            "terminate_instances": ["RequestLimitExceeded"],
        },
        "eks": {"delete_cluster": ["ResourceInUseException"]},
        "s3": {"delete_bucket": ["SlowDown"]},
        "logs": {"delete_log_group": ["ThrottlingException", "ThrottlingException", "ThrottlingException"]},
        "iam": {"delete_role": ["DeleteConflict"]},
    }
    log: list[tuple[str, str]] = []
    slept: list[float] = []
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=4.0)
    code, report, _ = reap(project_dir, "--execute", sleep=slept.append, wrap=injector(faults, log), policy=policy)

    assert code == 0, [r for r in report["resources"] if r["status"] == "failed"]
    assert by_status(report, "deleted") == set(fleet_builder.fleet.expired)
    assert all(not queue for service in faults.values() for queue in service.values()), "every fault was hit"
    retried = {r["kind"]: r["retriedFor"] for r in report["resources"] if r["retriedFor"]}
    assert retried == {
        "ec2:security-group": ["DependencyViolation", "DependencyViolation"],
        "ec2:instance": ["RequestLimitExceeded"],
        "eks:cluster": ["ResourceInUseException"],
        "s3:bucket": ["SlowDown"],
        "logs:log-group": ["ThrottlingException", "ThrottlingException", "ThrottlingException"],
        "iam:role": ["DeleteConflict"],
    }
    log_group = next(r for r in report["resources"] if r["kind"] == "logs:log-group")
    assert log_group["attempts"] == 4
    # Five single retries (one of them the listing), two for the group, three for the log group:
    # each retry sequence backs off 1, 2, 4 seconds.
    assert sorted(slept) == [1.0] * 7 + [2.0] * 2 + [4.0]
    assert ("describe_addresses", "RequestLimitExceeded") in log


def test_a_resource_that_keeps_failing_is_reported_and_the_next_run_finishes(
    fleet_builder: FleetBuilder, project_dir: Path
) -> None:
    ec2 = fleet_builder.client("ec2")
    tags = [{"Key": "mlops:phoenix", "Value": "true"}, {"Key": "mlops:expires-at", "Value": "2026-01-01T00:00:00Z"}]
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"][
        "VpcId"
    ]
    subnet = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.1.1.0/24", TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}]
    )["Subnet"]["SubnetId"]
    fleet_builder.simple_kinds("pr9", {t["Key"]: t["Value"] for t in tags})
    faults = {"ec2": {"delete_subnet": ["DependencyViolation"] * 3}}
    slept: list[float] = []
    code, first, _ = reap(
        project_dir, "--execute", wrap=injector(faults, []), sleep=slept.append, policy=RetryPolicy(max_attempts=3)
    )
    assert code == 1
    assert by_status(first, "failed") == {("ec2:subnet", subnet), ("ec2:vpc", vpc)}
    failed = {r["id"]: r for r in first["resources"] if r["status"] == "failed"}
    assert (
        failed[subnet]["attempts"] == 3
        and failed[subnet]["reason"] == "DependencyViolation: injected DependencyViolation"
    )
    assert failed[vpc]["reason"].startswith("DependencyViolation")  # moto: the VPC still has its subnet
    assert len(by_status(first, "deleted")) == 5  # the other kinds went ahead

    code, second, _ = reap(project_dir, "--execute")
    assert code == 0
    assert by_status(second, "deleted") == {("ec2:subnet", subnet), ("ec2:vpc", vpc)}
    code, third, _ = reap(project_dir, "--execute")
    assert code == 0 and by_status(third, "deleted") == set()


def test_deletion_order_is_what_makes_the_sweep_succeed(fleet_builder: FleetBuilder) -> None:
    fleet_builder.platform()
    scope = AwsScope(session=fleet_builder.session, region=REGION, account="123456789012", waiter_delay=0)
    reverse = SweepOptions(
        now=parse_timestamp(NOW),
        execute=True,
        policy=RetryPolicy(max_attempts=2),
        sleep=lambda _s: None,
        handlers=tuple(reversed(HANDLERS)),
    )
    failed = {r.kind for r in sweep([scope], reverse) if r.status == "failed"}
    # Against the dependency order, moto refuses like AWS does.
    assert {"eks:cluster", "elbv2:target-group", "ec2:vpc"} <= failed


def test_listing_failure_is_reported_and_exits_1(fleet_builder: FleetBuilder, project_dir: Path) -> None:
    fleet_builder.simple_kinds("pr3", {"mlops:phoenix": "true", "mlops:expires-at": "2026-01-01T00:00:00Z"})
    faults = {"athena": {"list_work_groups": ["AccessDeniedException"]}}
    code, report, _ = reap(project_dir, "--execute", wrap=injector(faults, []))
    assert code == 1
    assert by_status(report, "failed") == {("athena:workgroup", "*")}
    failure = next(r for r in report["resources"] if r["status"] == "failed")
    assert failure["reason"] == "listing failed: AccessDeniedException: injected AccessDeniedException"
    assert {kind for kind, _ in by_status(report, "deleted")} == {
        "logs:log-group",
        "secretsmanager:secret",
        "glue:database",
        "kms:key",
    }


def test_regions_are_swept_separately_and_iam_once(moto_session: Any, project_dir: Path) -> None:
    expired = {"mlops:phoenix": "true", "mlops:expires-at": "2026-01-01T00:00:00Z"}
    west = FleetBuilder(moto_session, region="eu-west-1")
    central = FleetBuilder(moto_session)
    west.bucket("pr4-west", expired)
    central.bucket("pr4-central", expired)
    central.client("iam").create_role(
        RoleName="pr4", AssumeRolePolicyDocument="{}", Tags=[{"Key": k, "Value": v} for k, v in expired.items()]
    )
    code, report, _ = reap(project_dir, "--region", REGION, "--region", "eu-west-1")
    assert code == 0 and report["regions"] == [REGION, "eu-west-1"]
    found = {(r["kind"], r["id"], r["region"]) for r in report["resources"]}
    assert found == {
        ("s3:bucket", "pr4-central", REGION),
        ("s3:bucket", "pr4-west", "eu-west-1"),
        ("iam:role", "pr4", "global"),
    }
    code, only_west, _ = reap(project_dir, "--region", "eu-west-1")
    assert {(r["kind"], r["id"]) for r in only_west["resources"]} == {("s3:bucket", "pr4-west"), ("iam:role", "pr4")}


def test_reap_destroys_expired_stacks_before_the_sweep(moto_session: Any, project_dir: Path) -> None:
    ws = FakeWorkspace(
        {
            "pr-1": FakeStack(expiry="2026-05-01T00:00:00Z", resources=5),
            "pr-2": FakeStack(expiry="2026-07-01T00:00:00Z"),
        }
    )
    code, dry, _ = reap(project_dir, workspace=ws)
    assert code == 0
    assert [(s["name"], s["status"]) for s in dry["stacks"]] == [("pr-1", "would-destroy"), ("pr-2", "kept")]
    code, done, _ = reap(project_dir, "--execute", workspace=ws)
    assert [(s["name"], s["status"]) for s in done["stacks"]] == [("pr-1", "destroyed"), ("pr-2", "kept")]
    assert set(ws.stacks) == {"pr-2"}


@pytest.mark.parametrize(
    ("phoenix", "args", "message"),
    [
        (
            {"protectedAccounts": ["123456789012"]},
            [],
            "account 123456789012 is listed in mlops:phoenix.protectedAccounts",
        ),
        ({"protectedRegions": ["eu-west-1"]}, ["--region", "eu-west-1"], "region(s) eu-west-1 listed"),
        ({}, ["--now", "2026-06-01 noon"], "--now: invalid timestamp"),
        ({}, ["--now", "2026-06-01T00:00:00"], "--now: invalid timestamp"),
    ],
)
def test_refusals_exit_2_and_touch_nothing(
    fleet_builder: FleetBuilder, tmp_path: Path, phoenix: dict[str, Any], args: list[str], message: str
) -> None:
    fleet_builder.simple_kinds("pr5", {"mlops:phoenix": "true", "mlops:expires-at": "2026-01-01T00:00:00Z"})
    write_template(tmp_path, **phoenix)
    ws = FakeWorkspace({"pr-1": FakeStack(expiry="2026-01-01T00:00:00Z")})
    code, _, err = reap(tmp_path, "--execute", *args, workspace=ws)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert all(exists() for exists in fleet_builder.fleet.expired.values())
    assert "pr-1" in ws.stacks


def test_missing_template_means_no_protected_lists(fleet_builder: FleetBuilder, tmp_path: Path) -> None:
    fleet_builder.simple_kinds("pr6", {"mlops:phoenix": "true", "mlops:expires-at": "2026-01-01T00:00:00Z"})
    code, report, _ = reap(tmp_path)
    assert code == 0 and len(by_status(report, "would-delete")) == 5


def test_markdown_and_text_reports(fleet_builder: FleetBuilder, project_dir: Path) -> None:
    fleet_builder.simple_kinds("pr8", {"mlops:phoenix": "true", "mlops:expires-at": "2026-01-01T00:00:00Z"})
    fleet_builder.simple_kinds("pr8live", {"mlops:phoenix": "true", "mlops:expires-at": "2027-01-01T00:00:00Z"})
    deps = PhoenixDeps(
        workspace_factory=lambda _dir: FakeWorkspace(), session_factory=lambda _r: shared_session(), waiter_delay=0
    )
    base = ["reap", "--now", NOW, "--project-dir", str(project_dir)]
    md = CliRunner().invoke(phoenix_app, [*base, "--format", "markdown"], obj=deps)
    assert md.exit_code == 0
    assert md.stdout.startswith("## Phoenix reap (dry run)")
    assert "**5** would-delete · **5** kept" in md.stdout
    assert "| would-delete | glue:database | `pr8_lake` |" in md.stdout
    assert "| kept | kms:key | `pr8live data` |" in md.stdout
    text = CliRunner().invoke(phoenix_app, [*base, "--format", "text"], obj=deps)
    assert text.exit_code == 0
    assert "dry run" in text.stdout and "would-delete" in text.stdout and "5 would-delete, 5 kept" in text.stdout
    bad = CliRunner().invoke(phoenix_app, [*base, "--format", "yaml"], obj=deps)
    assert bad.exit_code == 2
