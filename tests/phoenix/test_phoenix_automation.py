"""The Automation API workspace: its file handling here, a real round trip where the Pulumi CLI exists."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from phoenix_testkit import write_template

from mlopsctl.phoenix.automation import AutomationWorkspace, write_stack_config
from mlopsctl.phoenix.settings import PhoenixConfigError, load_template, stack_config_dir, template_path
from mlopsctl.phoenix.stacks import list_phoenix_stacks, phoenix_down, phoenix_up


def test_stack_file_honours_stack_config_dir_and_keeps_the_salt(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\nstackConfigDir: envs\n")
    existing = tmp_path / "envs" / "Pulumi.pr-3.yaml"
    existing.parent.mkdir()
    existing.write_text("encryptionsalt: v1:abc\nconfig:\n  old:key: gone\n")
    path = write_stack_config(tmp_path, "acme/p/pr-3", {"mlops:phoenix": {"enabled": True, "ttl": "8h"}})
    assert path == existing
    data = yaml.safe_load(path.read_text())
    assert data == {"encryptionsalt": "v1:abc", "config": {"mlops:phoenix": {"enabled": True, "ttl": "8h"}}}


def test_template_location_follows_the_project_file(tmp_path: Path) -> None:
    assert template_path(tmp_path) == tmp_path / "stacks" / "Pulumi.phoenix.yaml"  # no Pulumi.yaml
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    assert stack_config_dir(tmp_path) == tmp_path


def test_real_project_template_is_a_valid_phoenix_template() -> None:
    root = Path(__file__).resolve().parents[2]
    template = load_template(root)
    if not template.exists:
        pytest.skip("stacks/Pulumi.phoenix.yaml not present")
    assert template.enabled
    assert template.ttl.total_seconds() > 0


def test_workspace_without_cli_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PhoenixConfigError, match="Pulumi CLI is not on PATH"):
        AutomationWorkspace(tmp_path)


PROGRAM = textwrap.dedent(
    """
    import pulumi

    phoenix = pulumi.Config("mlops").require_object("phoenix")
    pulumi.export("expiresAt", phoenix["expiresAt"])
    pulumi.export("environment", pulumi.Config("mlops").require("environment"))
    """
)


@pytest.mark.cli
def test_round_trip_against_a_local_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """up, list and down of a real stack on a file backend (needs the Pulumi CLI; no cloud)."""
    monkeypatch.setenv("PULUMI_BACKEND_URL", (tmp_path / "state").as_uri())
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "phoenix-test")
    (tmp_path / "state").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: phoenix-test\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "__main__.py").write_text(PROGRAM)
    write_template(tmp_path)
    ws = AutomationWorkspace(tmp_path)
    now = datetime(2026, 6, 1, 9, tzinfo=UTC)
    outcome = phoenix_up(ws, load_template(tmp_path), pr=77, now=now, owner="ci")
    from pulumi import automation as auto

    outputs = auto.select_stack("pr-77", work_dir=str(tmp_path)).outputs()
    assert outputs["expiresAt"].value == outcome.expires_at == "2026-06-01T17:00:00Z"
    assert outputs["environment"].value == "pr-77"
    assert json.loads(json.dumps([s.name for s in list_phoenix_stacks(ws, now)])) == ["pr-77"]
    assert phoenix_down(ws, 77).status == "destroyed"
    assert list_phoenix_stacks(ws, now) == []
