"""`mlopsctl deploy targets` and the plan's exit status on a deploy violation."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from mlopsctl.cli import app
from mlopsctl.deploy.cli import TargetFormat, format_targets

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def targets(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["deploy", "targets", "--project-dir", str(ROOT), *args])
    return result.exit_code, result.stdout, result.stderr


def test_lines_are_target_flags_of_one_layer() -> None:
    code, stdout, _ = targets("--stack", "dev", "--layer", "kubernetes")
    assert code == 0
    lines = stdout.splitlines()
    assert lines and all(line.startswith("--target=urn:pulumi:dev::mlops-platform::") for line in lines)
    assert lines == sorted(lines)
    assert any(line.endswith("pulumi:providers:kubernetes::serving-k8s") for line in lines)
    grants = "aws:lakeformation/permissions:Permissions"  # only the deployer (an LF admin) may grant
    assert all(
        own_type(line).startswith("kubernetes:") or "providers:kubernetes" in line or own_type(line) == grants
        for line in lines
    )
    assert any(own_type(line) == grants for line in lines)


def test_json_lists_the_aws_layer() -> None:
    code, stdout, _ = targets("--stack", "dev", "--layer", "aws", "--format", "json")
    assert code == 0
    document = json.loads(stdout)
    assert document["stack"] == "dev" and document["layer"] == "aws"
    types = {own_type(urn) for urn in document["targets"]}
    assert {"aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "mlops:platform:MlopsPlatform"} <= types
    assert not any(t.startswith("kubernetes:") or t == "pulumi:providers:kubernetes" for t in types)


def own_type(urn: str) -> str:
    """The resource's own type token (the last of the URN's qualified type)."""
    return urn.split("::")[2].rsplit("$", 1)[-1]


def test_bad_input_exits_2() -> None:
    assert targets("--stack", "dev", "--layer", "gcp")[0] == 2
    assert targets("--stack", "dev", "--layer", "aws", "--format", "yaml")[0] == 2
    code, _, stderr = targets("--stack", "nope", "--layer", "aws")
    assert code == 2 and "Pulumi.nope.yaml: stack file not found" in stderr


def test_format_targets() -> None:
    assert format_targets("dev", "aws", ["urn:a", "urn:b"], TargetFormat.lines) == "--target=urn:a\n--target=urn:b\n"
    assert json.loads(format_targets("dev", "aws", [], TargetFormat.json)) == {
        "stack": "dev",
        "layer": "aws",
        "targets": [],
    }


def test_a_stack_without_a_deploy_runner_exits_1(tmp_path: Path) -> None:
    """The runner's role is the deployer with cluster access: without it (and no adminPrincipals) nothing
    in the cluster can be applied, and the Kubernetes layer has nowhere to run from."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", project / "stacks")
    shutil.copytree(ROOT / "components", project / "components", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "__main__.py", project / "__main__.py")
    shutil.copytree(ROOT / "certs", project / "certs")  # mlops:access.clients.caBundle
    dev = (project / "stacks" / "Pulumi.dev.yaml").read_text()
    without_runner = re.sub(r"\n  mlops:deploy:\n(    .*\n|      .*\n)*", "\n", dev)
    assert "mlops:deploy" not in without_runner
    (project / "stacks" / "Pulumi.norunner.yaml").write_text(without_runner)
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["plan", "--project-dir", str(project), "-s", "norunner", "-f", "json", "-o", str(out)])
    assert result.exit_code == 1
    deploy = json.loads(out.read_text())["deploy"]
    assert deploy["ok"] is False
    found = [v["id"] for v in deploy["violations"]]
    assert "layer-closure:deploy-runner" in found
    assert {v["check"] for v in deploy["violations"]} == {"ordering", "layer-closure"}
    ordering = [i for i in found if i.startswith("ordering:")]
    assert "ordering:serving-k8s:access-policy" in ordering and all(i.endswith(":access-policy") for i in ordering)
