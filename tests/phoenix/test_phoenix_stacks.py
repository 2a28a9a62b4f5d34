"""Per-PR stack lifecycle through the workspace interface, and the up/down/list commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from phoenix_testkit import REGION, FakeStack, FakeWorkspace, write_template
from typer.testing import CliRunner

from mlopsctl.phoenix.automation import expiry_from_state
from mlopsctl.phoenix.cli import PhoenixDeps, phoenix_app
from mlopsctl.phoenix.settings import PhoenixConfigError, load_template
from mlopsctl.phoenix.stacks import list_phoenix_stacks, phoenix_down, phoenix_up, pr_number, reap_stacks

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def test_up_creates_stack_from_template_with_expiry_and_owner(project_dir: Path) -> None:
    ws = FakeWorkspace()
    outcome = phoenix_up(ws, load_template(project_dir), pr=42, now=T0, owner="alice")
    assert outcome.stack == "pr-42"
    assert outcome.expires_at == "2026-06-01T17:00:00Z"  # template ttl 8h
    config = ws.stacks["pr-42"].config
    assert config["mlops:phoenix"]["expiresAt"] == "2026-06-01T17:00:00Z"
    assert config["mlops:phoenix"]["protectedRegions"] == ["us-east-1"]
    assert config["mlops:owner"] == "alice"
    assert config["mlops:environment"] == "pr-42"  # the template says "phoenix"
    # Everything else is the template's, structured values included.
    assert config["mlops:network"] == {"cidr": "10.20.0.0/16", "azs": 2}
    assert config["aws:region"] == REGION
    assert ws.calls[:3] == [("select", "pr-42"), ("config", "pr-42"), ("up", "pr-42")]


def test_up_on_a_new_push_extends_the_expiry(project_dir: Path) -> None:
    ws = FakeWorkspace()
    template = load_template(project_dir)
    phoenix_up(ws, template, pr=7, now=T0)
    second = phoenix_up(ws, template, pr=7, now=T0 + timedelta(hours=5), ttl=timedelta(hours=2))
    assert second.expires_at == "2026-06-01T16:00:00Z"
    assert second.owner == "platform-team"  # template default
    assert ws.stacks["pr-7"].expiry == "2026-06-01T16:00:00Z"
    assert second.changes == {"create": 0, "same": 42}


@pytest.mark.parametrize(
    ("phoenix", "message"),
    [
        ({"enabled": False}, "enabled is false"),
        ({"ttl": "forever"}, "ttl: invalid duration"),
        ({"protectedRegions": [REGION]}, "protectedRegions; refusing"),
    ],
)
def test_up_refuses_bad_templates(tmp_path: Path, phoenix: dict[str, object], message: str) -> None:
    write_template(tmp_path, **phoenix)
    ws = FakeWorkspace()
    with pytest.raises(PhoenixConfigError, match=message):
        phoenix_up(ws, load_template(tmp_path), pr=1, now=T0)
    assert ws.calls == []


def test_up_refuses_missing_template_and_copied_secrets(tmp_path: Path) -> None:
    with pytest.raises(PhoenixConfigError, match="phoenix template not found"):
        phoenix_up(FakeWorkspace(), load_template(tmp_path), pr=1, now=T0, owner="x")
    path = write_template(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["config"]["mlops:dbPassword"] = {"secure": "v1:abc"}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(PhoenixConfigError, match="mlops:dbPassword is a secret"):
        phoenix_up(FakeWorkspace(), load_template(tmp_path), pr=1, now=T0)


def test_template_errors_name_file_and_key(tmp_path: Path) -> None:
    path = write_template(tmp_path, protectedAccounts="123")
    with pytest.raises(PhoenixConfigError, match=r"Pulumi\.phoenix\.yaml: mlops:phoenix\.protectedAccounts"):
        load_template(tmp_path)
    path.write_text("config: [1, 2]\n")
    with pytest.raises(PhoenixConfigError, match="'config' must be a mapping"):
        load_template(tmp_path)


def test_unquoted_account_ids_compare_as_strings(tmp_path: Path) -> None:
    write_template(tmp_path, protectedAccounts=[123456789012, "000000000001"])
    assert load_template(tmp_path).protected_accounts == {"123456789012", "000000000001"}


def test_list_reads_expiry_and_ignores_other_stacks() -> None:
    ws = FakeWorkspace(
        {
            "pr-3": FakeStack(expiry="2026-06-01T08:00:00Z"),
            "pr-12": FakeStack(expiry="2026-06-01T18:00:00Z"),
            "pr-5": FakeStack(expiry=None),
            "dev": FakeStack(expiry="2020-01-01T00:00:00Z"),
        }
    )
    infos = list_phoenix_stacks(ws, T0)
    assert [(i.name, i.state) for i in infos] == [("pr-3", "expired"), ("pr-5", "unknown-expiry"), ("pr-12", "active")]
    assert pr_number("acme/mlops-platform/pr-12") == 12
    assert pr_number("pr-12-old") is None


def test_reap_stacks_destroys_only_expired_and_reports_failures() -> None:
    stacks = {
        "pr-1": FakeStack(expiry="2026-06-01T08:00:00Z", resources=10),
        "pr-2": FakeStack(expiry="2026-06-01T10:00:00Z", resources=10),
        "pr-3": FakeStack(expiry="garbage", resources=10),
        "pr-4": FakeStack(expiry="2026-05-01T00:00:00Z", resources=10),
    }
    ws = FakeWorkspace(stacks, fail_destroy={"pr-4"})
    dry = {a.name: a.status for a in reap_stacks(ws, T0, execute=False)}
    assert dry == {"pr-1": "would-destroy", "pr-2": "kept", "pr-3": "kept", "pr-4": "would-destroy"}
    assert not any(call[0] == "destroy" for call in ws.calls)
    actions = {a.name: a for a in reap_stacks(ws, T0, execute=True)}
    assert actions["pr-1"].status == "destroyed" and "10 resources deleted" in actions["pr-1"].detail
    assert actions["pr-4"].status == "failed"
    assert actions["pr-4"].detail == "error: update failed: DependencyViolation on vpc-123"
    assert set(ws.stacks) == {"pr-2", "pr-3", "pr-4"}


def test_down_destroys_and_removes_or_reports_absent() -> None:
    ws = FakeWorkspace({"pr-9": FakeStack(resources=3)})
    assert phoenix_down(ws, 9).status == "destroyed"
    assert "pr-9" not in ws.stacks
    assert phoenix_down(ws, 9).status == "kept"
    with pytest.raises(PhoenixConfigError, match="positive"):
        phoenix_down(ws, 0)


def test_expiry_from_state_reads_provider_default_tags() -> None:
    tags = {"tags": {"mlops:expires-at": "2026-06-01T17:00:00Z", "mlops:phoenix": "true"}}
    deployment = {
        "resources": [
            {"type": "pulumi:pulumi:Stack", "inputs": {}},
            {"type": "pulumi:providers:aws", "inputs": {"defaultTags": json.dumps(tags)}},
            {
                "type": "pulumi:providers:aws",
                "inputs": {"defaultTags": {"tags": {"mlops:expires-at": "2026-06-02T00:00:00Z"}}},
            },
            {"type": "aws:s3/bucket:Bucket", "inputs": {"defaultTags": tags}},
        ]
    }
    assert expiry_from_state(deployment) == "2026-06-02T00:00:00Z"
    assert expiry_from_state({"resources": []}) is None


# --- the commands --------------------------------------------------------------------------------------


def invoke(args: list[str], ws: FakeWorkspace, now: datetime = T0) -> tuple[int, str, str]:
    deps = PhoenixDeps(workspace_factory=lambda _dir: ws, clock=lambda: now)
    result = CliRunner().invoke(phoenix_app, args, obj=deps)
    return result.exit_code, result.stdout, result.stderr


def test_cli_up_down_list_roundtrip(project_dir: Path) -> None:
    ws = FakeWorkspace()
    code, out, _ = invoke(["up", "--pr", "5", "--ttl", "2h", "--owner", "bob", "--project-dir", str(project_dir)], ws)
    assert code == 0, out
    assert "pr-5" in out and "2026-06-01T11:00:00Z" in out
    code, out, _ = invoke(["list", "--format", "json", "--project-dir", str(project_dir)], ws, T0 + timedelta(hours=3))
    assert code == 0
    assert json.loads(out)["stacks"] == [
        {"name": "pr-5", "pr": 5, "expiresAt": "2026-06-01T11:00:00Z", "state": "expired"}
    ]
    code, out, _ = invoke(["list", "--project-dir", str(project_dir)], ws)
    assert code == 0 and "pr-5" in out and "active" in out
    code, out, _ = invoke(["down", "--pr", "5", "--project-dir", str(project_dir)], ws)
    assert code == 0 and "destroyed" in out
    assert ws.stacks == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["up", "--pr", "5", "--ttl", "eight hours"], "--ttl: invalid duration"),
        (["up", "--pr", "-1"], "positive pull request number"),
    ],
)
def test_cli_usage_errors_exit_2_without_traceback(project_dir: Path, args: list[str], message: str) -> None:
    code, out, err = invoke([*args, "--project-dir", str(project_dir)], FakeWorkspace())
    assert code == 2
    assert message in err
    assert "Traceback" not in out + err


def test_cli_up_without_template_exits_2(tmp_path: Path) -> None:
    code, _, err = invoke(["up", "--pr", "5", "--project-dir", str(tmp_path)], FakeWorkspace())
    assert code == 2 and "phoenix template not found" in err


def test_cli_down_failure_exits_1(project_dir: Path) -> None:
    ws = FakeWorkspace({"pr-8": FakeStack(resources=1)}, fail_destroy={"pr-8"})
    code, _, err = invoke(["down", "--pr", "8", "--project-dir", str(project_dir)], ws)
    assert code == 1 and "DependencyViolation" in err
