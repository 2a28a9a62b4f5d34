"""`mlopsctl cost` and `mlopsctl prices refresh` through a typer app, as the lead registers them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from mlopsctl.cost import cli as cost_cli
from mlopsctl.cost.cli import cost_command, prices_app

ROOT = Path(__file__).resolve().parents[2]


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("cost")(cost_command)
    app.add_typer(prices_app, name="prices")
    return app


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def project(tmp_path: Path, dev_plan: dict[str, Any]) -> Path:
    """A project directory with the real cost/ inputs, the dev stack file and a dev plan file."""
    shutil.copytree(ROOT / "cost", tmp_path / "cost")
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", tmp_path / "stacks" / "Pulumi.dev.yaml")
    (tmp_path / "dev.json").write_text(json.dumps(dev_plan))
    return tmp_path


def test_markdown_estimate_of_a_plan_file(project: Path) -> None:
    code, out, _ = _run("cost", "--plan", str(project / "dev.json"), "--project-dir", str(project))
    assert code == 0
    assert out.startswith("### Cost estimate · stack `dev` · **$")
    assert "`eu-west-1` snapshot **" in out and "unpriced: " in out


def test_json_estimate_has_the_cost_section(project: Path) -> None:
    code, out, _ = _run("cost", "--plan", str(project / "dev.json"), "-f", "json", "--project-dir", str(project))
    assert code == 0
    doc = json.loads(out)
    assert doc["stack"] == "dev" and doc["findings"] == []
    assert set(doc["cost"]) >= {"currency", "monthlyTotal", "byComponent", "lines", "unpriced", "priceSnapshot"}
    assert doc["cost"]["priceSnapshot"]["region"] == "eu-west-1"


def test_over_budget_exits_1_with_a_finding(project: Path) -> None:
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    doc = yaml.safe_load(stack_file.read_text())
    doc["config"]["mlops:budget"] = {"monthlyUsd": 10}
    stack_file.write_text(yaml.safe_dump(doc))
    code, out, err = _run("cost", "--plan", str(project / "dev.json"), "--project-dir", str(project))
    assert code == 1
    assert "Over budget" in out and "mlops:budget.monthlyUsd $10.00" in err
    code, out, _ = _run(
        "cost", "--plan", str(project / "dev.json"), "--budget", "100000", "--project-dir", str(project)
    )
    assert code == 0  # --budget overrides the stack's budget


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (
            lambda p: (p / "cost" / "usage.dev.yaml").write_text("logs: {groups: {x: -2}}\n"),
            (),
            "usage.dev.yaml: logs.groups.x",
        ),
        (lambda p: (p / "cost" / "prices" / "eu-west-1.json").unlink(), (), "no price snapshot for region 'eu-west-1'"),
        (lambda p: None, ("--format", "yaml"), "--format 'yaml'"),
        (lambda p: None, ("--stack", "prod"), "--stack 'prod', but"),
        (lambda p: (p / "dev.json").write_text("{}"), (), "not an mlops-plan/1 document"),
    ],
)
def test_bad_input_exits_2_with_the_file_and_key(
    project: Path, setup: Any, args: tuple[str, ...], message: str
) -> None:
    setup(project)
    code, _, err = _run("cost", "--plan", str(project / "dev.json"), "--project-dir", str(project), *args)
    assert code == 2
    assert message in err


def test_output_file(project: Path) -> None:
    out = project / "out" / "cost.md"
    code, stdout, _ = _run("cost", "--plan", str(project / "dev.json"), "-o", str(out), "--project-dir", str(project))
    assert code == 0 and stdout == ""
    assert out.read_text().startswith("### Cost estimate")


def test_prices_refresh_writes_one_snapshot_per_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_refresh(region: str) -> dict[str, Any]:
        return {"schema": "mlops-prices/1", "region": region, "date": "2099-01-01", "origin": "test", "prices": {}}

    monkeypatch.setattr(cost_cli, "refresh", fake_refresh)
    code, _, err = _run("prices", "refresh", "--region", "eu-west-1", "-r", "us-east-1", "--out-dir", str(tmp_path))
    assert code == 0
    assert json.loads((tmp_path / "us-east-1.json").read_text())["region"] == "us-east-1"
    assert "wrote" in err and (tmp_path / "eu-west-1.json").is_file()


def test_prices_refresh_failure_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(region: str) -> dict[str, Any]:
        raise cost_cli.PriceError("https://pricing.us-east-1.amazonaws.com/...: cannot download: offline")

    monkeypatch.setattr(cost_cli, "refresh", failing)
    code, _, err = _run("prices", "refresh", "--region", "eu-west-1", "--out-dir", str(tmp_path))
    assert code == 2 and "cannot download" in err
