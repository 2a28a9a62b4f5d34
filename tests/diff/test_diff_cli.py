"""`mlopsctl diff` through a typer app, as the lead registers it: formats, output file, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from diff_helpers import plan, resource, violation, write
from typer.testing import CliRunner

from mlopsctl.diff.cli import diff_command

FIXTURE = Path(__file__).parent / "fixtures" / "preview-dev.json"
BUCKET = "aws:s3/bucket:Bucket"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("diff")(diff_command)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "diff" a subcommand, as in the real CLI
        """Nothing."""

    return app


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), ["diff", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def plans(tmp_path: Path) -> tuple[Path, Path]:
    b = resource(BUCKET, "b", {"bucket": "b", "tags": {"o": "a"}})
    b2 = resource(BUCKET, "b", {"bucket": "b", "tags": {"o": "z"}})
    return write(tmp_path / "base.json", plan([b], violations=[])), write(
        tmp_path / "head.json", plan([b2], violations=[])
    )


def test_two_plans_in_each_format(plans: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = plans
    code, out, _ = _run(str(base), str(head))
    assert code == 0 and out.startswith("<!-- mlops-diff:mlops-platform:dev -->")
    code, out, _ = _run(str(base), str(head), "--format", "json")
    assert code == 0 and json.loads(out)["summary"]["update"] == 1
    code, out, _ = _run(str(base), str(head), "-f", "text", "--stack", "dev")
    assert code == 0 and 'tags.o: "a" -> "z"' in out
    target = tmp_path / "out" / "comment.md"
    code, out, _ = _run(str(base), str(head), "--out", str(target))
    assert code == 0 and out == "" and target.read_text().startswith("<!-- mlops-diff:")


def test_preview_json_alone(tmp_path: Path) -> None:
    code, out, _ = _run(str(FIXTURE), "--format", "json")
    assert code == 0 and json.loads(out)["source"] == "preview"


def test_new_mandatory_violation_exits_1_after_writing(tmp_path: Path) -> None:
    # Violations are re-evaluated from each plan's resources; the `policy` sections the files carry are ignored.
    tags = {"owner": "o", "environment": "dev", "cost-center": "c"}
    b = resource(BUCKET, "b", {"bucket": "b"})
    key = resource("aws:kms/key:Key", "k", {"enableKeyRotation": False, "tags": tags})
    base = write(tmp_path / "base.json", plan([b], violations=[violation("s3-x", b["urn"], level="advisory")]))
    head = write(tmp_path / "head.json", plan([b, key], violations=[]))
    target = tmp_path / "c.md"
    code, _, err = _run(str(base), str(head), "--out", str(target))
    assert code == 1 and "1 new mandatory policy violation" in err
    assert "`kms-key-rotation`" in target.read_text()
    claimed_only = write(tmp_path / "h2.json", plan([b], violations=[violation("s3-y", b["urn"])]))
    assert _run(str(base), str(claimed_only))[0] == 0  # a section's claim alone is no finding


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: [str(d / "missing.json"), str(d / "head.json")], "missing.json: no such file"),
        (lambda d: [str(write_text(d / "bad.json", "{nope")), str(d / "head.json")], "not valid JSON (line 1"),
        (lambda d: [str(write_text(d / "x.json", "[]")), str(d / "head.json")], "neither a plan"),
        (
            lambda d: [str(write_text(d / "p.json", json.dumps(plan([], stack="prod")))), str(d / "head.json")],
            "stack 'prod'",
        ),
        (lambda d: [str(d / "head.json")], "only one file given"),
        (lambda d: [], "give BASE and HEAD plan files"),
        (lambda d: [str(d / "base.json"), str(d / "head.json"), "--format", "html"], "--format 'html'"),
        (lambda d: [str(d / "base.json"), str(d / "head.json"), "--stack", "prod"], "input is stack 'dev'"),
        (lambda d: [str(d / "base.json"), "--git-base", "main", "--stack", "dev"], "not both"),
        (lambda d: ["--git-base", "no-such-ref", "--stack", "dev", "--project-dir", str(d)], "rev-parse"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(plans: tuple[Path, Path], setup, message: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = _run(*setup(plans[0].parent))
    assert code == 2, out + err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in out + err


def write_text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
