"""`mlopsctl plan`: formats, output files and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from mlopsctl.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def plan(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["plan", "--project-dir", str(ROOT), *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_to_file(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    code, _, _ = plan("--stack", "dev", "--format", "json", "--out", str(out))
    assert code == 0
    document = json.loads(out.read_text())
    assert document["schema"] == "mlops-plan/1" and document["stack"] == "dev"


def test_tree_and_markdown() -> None:
    code, stdout, _ = plan("--stack", "dev")
    assert code == 0 and "stack dev" in stdout and "Resources by type" in stdout
    code, stdout, _ = plan("--stack", "prod", "--format", "markdown")
    assert code == 0 and "```mermaid" in stdout and "flowchart LR" in stdout


def test_bad_stack_file_exits_2_without_traceback(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", project / "stacks")
    shutil.copy(ROOT / "__main__.py", project / "__main__.py")
    (project / "stacks" / "Pulumi.bad.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  mlops:environment: bad\n  mlops:owner: x\n  mlops:costCenter: y\n"
        "  mlops:network:\n    cidr: 10.0.0.0/8\n"
    )
    result = runner.invoke(app, ["plan", "--project-dir", str(project), "--stack", "bad"])
    assert result.exit_code == 2
    assert "stacks/Pulumi.bad.yaml: mlops:network.cidr: '10.0.0.0/8' has prefix /8; allowed: /16 to /20" in (
        result.stderr.replace("\n", "")
    )
    assert "Traceback" not in result.stderr


def test_unknown_stack_exits_2() -> None:
    code, _, stderr = plan("--stack", "nope")
    assert code == 2 and "Pulumi.nope.yaml: stack file not found" in stderr
