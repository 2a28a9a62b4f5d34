"""`phoenix down` against a Pulumi CLI that fails: a plain exit-2 error naming the command, never a traceback.

A fake `pulumi` executable first on PATH stands in for the real CLI, so the real Automation API workspace
(not a fake workspace) runs: it shells out, gets a failure, and the command must say which call failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlopsctl.phoenix.automation import command_failure
from mlopsctl.phoenix.cli import phoenix_app

ROOT = Path(__file__).resolve().parents[2]
BACKEND_DOWN = "error: failed to load backend: could not reach https://api.pulumi.com: connection refused"


def fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, version: str, stack_ls: str) -> Path:
    """A `pulumi` first on PATH: shell snippets for `pulumi version` and `pulumi stack ls`; logs its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    script = bin_dir / "pulumi"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'case "$*" in\n'
        f"  version) {version};;\n"
        f"  *'stack ls'*) {stack_ls};;\n"
        "  *) echo 'unexpected command' >&2; exit 3;;\n"
        "esac\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    return log


def down(tmp_path: Path) -> tuple[int, str, str]:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    result = CliRunner().invoke(phoenix_app, ["down", "--pr", "5", "--project-dir", str(project)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_stack_ls_failing_is_an_exit_2_error_naming_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_pulumi(tmp_path, monkeypatch, version="echo v3.200.0", stack_ls=f"echo '{BACKEND_DOWN}' >&2; exit 255")
    code, out, err = down(tmp_path)
    assert code == 2, out + err
    assert err == (
        f"error: cannot look up stack pr-5: `pulumi stack ls --json` failed: exit code 255: {BACKEND_DOWN}\n"
    )
    calls = log.read_text().splitlines()
    assert calls[0] == "version" and "stack ls --json" in calls[-1] and len(calls) == 2  # nothing ran after it


def test_stack_ls_printing_no_stack_list_is_an_exit_2_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pulumi(tmp_path, monkeypatch, version="echo v3.200.0", stack_ls="echo 'Please log in'; exit 0")
    code, _, err = down(tmp_path)
    assert code == 2
    assert err.startswith("error: cannot look up stack pr-5: `pulumi stack ls --json` failed: unexpected output")


def test_a_cli_that_cannot_even_report_its_version_is_an_exit_2_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_pulumi(tmp_path, monkeypatch, version="echo 'broken install' >&2; exit 1", stack_ls="exit 0")
    code, _, err = down(tmp_path)
    assert code == 2
    assert "error: the Pulumi CLI on PATH cannot be used: `pulumi version` failed with exit code 1\n" in err


def test_a_working_cli_without_the_stack_still_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake is a faithful stand-in: with a stack list the same path succeeds."""
    fake_pulumi(tmp_path, monkeypatch, version="echo v3.200.0", stack_ls="echo '[]'")
    code, out, _ = down(tmp_path)
    assert code == 0 and "kept pr-5: no such stack" in " ".join(out.split())


def test_the_installed_entry_point_prints_one_plain_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m mlopsctl` (the console script's path): no "unexpected CommandError" dump, no traceback."""
    fake_pulumi(tmp_path, monkeypatch, version="echo v3.200.0", stack_ls=f"echo '{BACKEND_DOWN}' >&2; exit 255")
    (tmp_path / "project").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "mlopsctl", "phoenix", "down", "--pr", "5", "--project-dir", str(tmp_path / "project")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: cannot look up stack pr-5: `pulumi stack ls --json` failed: exit code 255: {BACKEND_DOWN}"
    ]


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("\n code: 255\n stdout: \n stderr: warning: x\nerror: no backend\n", "exit code 255: error: no backend"),
        ("\n code: 1\n stdout: only stdout\n stderr: \n", "exit code 1: only stdout"),
        ("\n code: -9\n stdout: \n stderr: \n", "exit code -9: no output"),
        ("something else entirely", "something else entirely"),
    ],
)
def test_command_failure_keeps_the_exit_code_and_the_last_error_line(text: str, summary: str) -> None:
    assert command_failure(text) == summary
