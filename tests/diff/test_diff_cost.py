"""The PR comment shows what a change costs: a NAT mode change moves the monthly estimate."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from typer.testing import CliRunner

from mlopsctl.cli import app
from mlopsctl.engine import run_stack
from mlopsctl.plan import build_plan, dumps

ROOT = Path(__file__).resolve().parents[2]


def test_the_diff_markdown_of_a_change_shows_its_monthly_cost_delta(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", project / "stacks")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, project / name)
    os.symlink(ROOT / "components", project / "components")
    os.symlink(ROOT / "certs", project / "certs")  # mlops:access.clients.caBundle
    os.symlink(ROOT / "cost", project / "cost")
    base, head = tmp_path / "base.json", tmp_path / "head.json"
    base.write_text(dumps(build_plan(run_stack(project, "dev"))))
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("nat: single", "nat: per-az"))
    head.write_text(dumps(build_plan(run_stack(project, "dev"))))

    result = CliRunner().invoke(app, ["diff", str(base), str(head), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    cost = result.stdout[result.stdout.index("Estimated monthly cost") :]
    network = next(line for line in cost.splitlines() if "`network`" in line)
    assert "+" in network, cost  # a second NAT gateway and its address cost more
