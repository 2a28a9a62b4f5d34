"""The PR diff workflows: valid for actionlint, and safe for pull requests from forks."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = ("pr-diff.yml", "pr-comment.yml", "preview.yml")
ACTIONLINT = ROOT / ".venv" / "bin" / "actionlint"


def _actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    if not ACTIONLINT.exists():
        pytest.fail(f"{ACTIONLINT} is missing: run `make setup`")
    return subprocess.run([str(ACTIONLINT), *map(str, paths)], capture_output=True, text=True, timeout=120)


def _load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(doc, dict)
    # PyYAML reads the `on:` key as the boolean True (YAML 1.1).
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def test_actionlint_accepts_the_workflows() -> None:
    result = _actionlint(*(WORKFLOWS / f for f in FILES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_an_injectable_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    result = _actionlint(bad)
    assert result.returncode == 1 and "potentially untrusted" in result.stdout


def test_pr_diff_runs_for_forks_read_only_without_secrets() -> None:
    doc = _load("pr-diff.yml")
    text = (WORKFLOWS / "pr-diff.yml").read_text()
    assert "pull_request" in doc["on"] and "pull_request_target" not in doc["on"]
    assert doc["permissions"] == {"contents": "read"}
    assert "secrets." not in text
    job = doc["jobs"]["diff"]
    # Stacks are discovered from stacks/Pulumi.*.yaml (a new stack gets its diff), not hard-coded.
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    listing = "\n".join(s.get("run", "") for s in doc["jobs"]["stacks"]["steps"])
    assert "stacks -maxdepth 1 -name 'Pulumi.*.yaml'" in listing and "grep -v -e '^phoenix$' -e '^pr-'" in listing
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0 and checkout["with"]["persist-credentials"] is False
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert "make setup" in runs
    assert 'mlopsctl diff --git-base "origin/${BASE_REF}" --stack "${STACK}"' in runs
    assert "--format markdown --out" in runs
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == "pr-diff-${{ matrix.stack }}"
    assert "pr-number" in runs


def test_pr_comment_posts_from_workflow_run_without_running_pr_code() -> None:
    doc = _load("pr-comment.yml")
    assert doc["on"]["workflow_run"]["workflows"] == [_load("pr-diff.yml")["name"]]
    assert doc["permissions"] == {}
    job = doc["jobs"]["comment"]
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    uses = [s.get("uses", "") for s in _steps(doc)]
    assert not any(u.startswith("actions/checkout") for u in uses)
    assert any(u.startswith("actions/download-artifact@") for u in uses)
    script = next(s for s in _steps(doc) if s.get("uses", "").startswith("actions/github-script@"))["with"]["script"]
    # Untrusted artifact: validated PR number, marker per stack, size, and the PR's head commit.
    for needle in (
        "/^[1-9][0-9]{0,9}$/",
        "<!-- mlops-diff:",
        "LIMIT",
        "pr.head.sha !== process.env.HEAD_SHA",
        "updateComment",
        "createComment",
        "isFile()",
    ):
        assert needle in script, needle
    assert "eval(" not in script and "exec(" not in script.replace(".exec(", "")


def test_preview_is_for_this_repositorys_branches_on_the_in_vpc_runner() -> None:
    # The runner's credentials are its CodeBuild role (docs/adr/0001): no OIDC token; the runner side
    # (labels, fork guard on every job, make setup) is checked in tests/deploy_workflows.
    doc = _load("preview.yml")
    assert doc["permissions"] == {}
    job = doc["jobs"]["preview"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert job["runs-on"].startswith("codebuild-mlops-${{ matrix.environment }}-deploy-")
    assert job["permissions"] == {"contents": "read"}
    steps = {s.get("uses", "").split("@")[0]: s for s in job["steps"] if "uses" in s}
    assert "aws-actions/configure-aws-credentials" not in steps
    pulumi = steps["pulumi/actions"]["with"]
    assert pulumi["command"] == "preview" and pulumi["diff"] is True and pulumi["policyPacks"] == "policies"
