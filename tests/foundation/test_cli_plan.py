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
    project = copy_project(
        tmp_path,
        "config:\n  aws:region: eu-west-1\n  mlops:environment: bad\n  mlops:owner: x\n  mlops:costCenter: y\n"
        "  mlops:network:\n    cidr: 10.0.0.0/8\n",
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


def copy_project(tmp_path: Path, extra_stack: str | None = None, name: str = "bad") -> Path:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", project / "stacks")
    shutil.copytree(ROOT / "components", project / "components", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "__main__.py", project / "__main__.py")
    shutil.copytree(ROOT / "certs", project / "certs")  # mlops:access.clients.caBundle
    if extra_stack is not None:
        (project / "stacks" / f"Pulumi.{name}.yaml").write_text(extra_stack)
    return project


def test_mandatory_violation_exits_1_and_lands_in_json_and_sarif(tmp_path: Path) -> None:
    dev = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    weakened = dev.replace("  mlops:cluster:\n", "  mlops:cluster:\n    publicAccessCidrs: [203.0.113.0/24]\n")
    project = copy_project(tmp_path, weakened, name="open")
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["plan", "--project-dir", str(project), "-s", "open", "-f", "json", "-o", str(out)])
    assert result.exit_code == 1
    violations = json.loads(out.read_text())["policy"]["violations"]
    assert {v["policy"] for v in violations if v["level"] == "mandatory"} == {"eks-cluster-private-endpoint"}
    sarif_out = tmp_path / "plan.sarif"
    runner.invoke(app, ["plan", "--project-dir", str(project), "-s", "open", "-f", "sarif", "-o", str(sarif_out)])
    sarif = json.loads(sarif_out.read_text())
    assert sarif["version"] == "2.1.0"
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["eks-cluster-private-endpoint"]


def test_k8s_yaml_writes_one_manifest_per_object(tmp_path: Path) -> None:
    code, _, _ = plan("--stack", "dev", "--format", "k8s-yaml", "--out", str(tmp_path / "k8s"))
    assert code == 0
    files = sorted(p.relative_to(tmp_path / "k8s").as_posix() for p in (tmp_path / "k8s").rglob("*.yaml"))
    assert "serving/networkpolicy-default-deny.yaml" in files
    assert "_cluster/namespace-serving.yaml" in files
    code, _, stderr = plan("--stack", "dev", "--format", "k8s-yaml")
    assert code == 2 and "needs --out DIR" in stderr


def test_a_failing_program_exits_2_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    (project / "__main__.py").write_text("raise RuntimeError('boom in the program')\n")
    result = runner.invoke(app, ["plan", "--project-dir", str(project), "--stack", "dev"])
    assert result.exit_code == 2
    assert "the Pulumi program failed: RuntimeError: boom in the program" in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr
