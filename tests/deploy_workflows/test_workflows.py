"""The deploy workflows (preview, deploy, phoenix, e2e) follow the two-layer design of docs/adr/0001.

Checked on the parsed YAML: Kubernetes-layer jobs run on the stack's in-VPC CodeBuild runner and never for
forks, every install is `make setup`, permissions are minimal (id-token only with OIDC, never on a runner),
layers go up AWS first and come down Kubernetes first. The scripts that read stack files are run here too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = ("preview.yml", "deploy.yml", "phoenix.yml", "e2e.yml")
ACTIONLINT = ROOT / ".venv" / "bin" / "actionlint"
RUNNER_LABEL = re.compile(
    r"^codebuild-mlops-(?P<environment>.+)-deploy-\$\{\{ github\.run_id \}\}-\$\{\{ github\.run_attempt \}\}$"
)
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
DEPENDABOT_GUARD = "github.actor != 'dependabot[bot]'"
OIDC_ACTION = "aws-actions/configure-aws-credentials"


def load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(doc, dict)
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the bare key `on` as True
    return doc


def condition(job: dict[str, Any]) -> str:
    return " ".join(str(job.get("if", "")).split())


def runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if str(step.get("uses", "")).split("@")[0] == action]


def runner_jobs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: job for name, job in doc["jobs"].items() if str(job["runs-on"]).startswith("codebuild-")}


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return {name: load(name) for name in FILES}


def test_actionlint_accepts_every_workflow() -> None:
    if not ACTIONLINT.exists():
        pytest.fail(f"{ACTIONLINT} is missing: run `make setup`")
    every = sorted(WORKFLOWS.glob("*.yml"))
    result = subprocess.run([str(ACTIONLINT), *map(str, every)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the in-VPC runner ------------------------------------------------------------------------------------


def test_kubernetes_layer_jobs_run_on_the_stacks_codebuild_runner(docs: dict[str, dict[str, Any]]) -> None:
    expected = {
        "preview.yml": {"preview": "${{ matrix.environment }}"},
        "deploy.yml": {"kubernetes-layer": "${{ needs.resolve.outputs.environment }}"},
        "phoenix.yml": {
            "up-kubernetes": "pr-${{ github.event.pull_request.number }}",
            "down-kubernetes": "pr-${{ github.event.pull_request.number }}",
            "reap-kubernetes": "pr-${{ matrix.pr }}",
        },
        "e2e.yml": {"kubernetes-layer": "e2e-${{ github.run_id }}", "destroy-kubernetes": "e2e-${{ github.run_id }}"},
    }
    for name, doc in docs.items():
        found = {}
        for job_name, job in runner_jobs(doc).items():
            match = RUNNER_LABEL.match(job["runs-on"])
            assert match, (name, job_name, job["runs-on"])
            found[job_name] = match["environment"]
        assert found == expected[name], name


def test_runner_jobs_never_run_for_forks_or_dependabot(docs: dict[str, dict[str, Any]]) -> None:
    for name, doc in docs.items():
        assert "pull_request_target" not in doc["on"], name
        for job_name, job in runner_jobs(doc).items():
            cond = condition(job)
            if "pull_request" not in doc["on"]:
                continue  # push / schedule / dispatch only: the repository's own code
            pr_reachable = not (
                "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'" in cond
                and "pull_request" not in cond
            )
            if pr_reachable:
                assert FORK_GUARD in cond, (name, job_name)
                assert DEPENDABOT_GUARD in cond, (name, job_name)


def test_runner_jobs_take_no_oidc_token_and_no_extra_credentials(docs: dict[str, dict[str, Any]]) -> None:
    for name, doc in docs.items():
        for job_name, job in runner_jobs(doc).items():
            assert job["permissions"] == {"contents": "read"}, (name, job_name)
            assert not uses(job, OIDC_ACTION), (name, job_name)
            assert "aws-access-key-id" not in json.dumps(job), (name, job_name)


def test_the_preview_explains_why_forks_stay_off_the_runner() -> None:
    text = (WORKFLOWS / "preview.yml").read_text()
    header = text.split("\nname:", 1)[0]
    for needle in ("self-hosted runner", "fork", "credentials", "pr-diff.yml"):
        assert needle in header, needle


# --- installs and permissions -------------------------------------------------------------------------------


def _uses_the_venv(step: dict[str, Any]) -> bool:
    """A step that needs the installed project: mlopsctl, pytest, or a Pulumi command run through the action."""
    command = str(step.get("run", ""))
    pulumi_command = str(step.get("uses", "")).startswith("pulumi/actions") and "command" in step.get("with", {})
    return "mlopsctl" in command or "pytest" in command or "pulumi up" in command or pulumi_command


def test_every_install_is_make_setup(docs: dict[str, dict[str, Any]]) -> None:
    for name, doc in docs.items():
        text = (WORKFLOWS / name).read_text()
        assert "pip install" not in text and "uv pip" not in text and "uv sync" not in text, name
        for job_name, job in doc["jobs"].items():
            steps = job["steps"]
            users = [i for i, step in enumerate(steps) if _uses_the_venv(step)]
            if not users:
                continue
            setup = [i for i, step in enumerate(steps) if str(step.get("run", "")).strip().startswith("make setup")]
            assert setup and setup[0] < users[0], (name, job_name)


def test_permissions_are_minimal(docs: dict[str, dict[str, Any]]) -> None:
    for name, doc in docs.items():
        assert doc["permissions"] == {}, name
        for job_name, job in doc["jobs"].items():
            oidc = bool(uses(job, OIDC_ACTION))
            expected = {"contents": "read", "id-token": "write"} if oidc else {"contents": "read"}
            assert job["permissions"] == expected, (name, job_name)
            for step in uses(job, OIDC_ACTION):
                assert "role-to-assume" in step["with"] and "aws-access-key-id" not in step["with"], (name, job_name)


def test_secrets_reach_only_pulumi_steps(docs: dict[str, dict[str, Any]]) -> None:
    for name, doc in docs.items():
        for job_name, job in doc["jobs"].items():
            assert "secrets." not in json.dumps(job.get("env", {})), (name, job_name)
            for step in job["steps"]:
                if "secrets." in json.dumps(step.get("env", {})):
                    text = str(step.get("run", "")) + str(step.get("uses", ""))
                    assert any(word in text for word in ("pulumi", "mlopsctl", "pytest")), (name, job_name, step)


# --- order of the layers -----------------------------------------------------------------------------------


def test_deploy_goes_aws_layer_then_whole_stack_on_the_runner() -> None:
    doc = load("deploy.yml")
    assert doc["on"]["push"] == {"branches": ["main"]}
    assert doc["on"]["workflow_dispatch"]["inputs"]["stack"]["default"] == "dev"
    assert doc["concurrency"] == {"group": "deploy-${{ inputs.stack || 'dev' }}", "cancel-in-progress": False}
    jobs = doc["jobs"]
    assert jobs["resolve"]["if"] == "github.ref == 'refs/heads/main'"
    aws, kubernetes = jobs["aws-layer"], jobs["kubernetes-layer"]
    assert aws["runs-on"] == "ubuntu-latest" and needs(aws) == ["resolve"]
    assert needs(kubernetes) == ["resolve", "aws-layer"]
    for job in (aws, kubernetes):
        assert job["environment"] == "${{ needs.resolve.outputs.stack }}"
    assert uses(aws, OIDC_ACTION)[0]["with"]["role-to-assume"] == "${{ vars.DEPLOY_AWS_ROLE_ARN }}"
    aws_runs = runs(aws)
    assert 'mlopsctl deploy targets --stack "${STACK}" --layer aws' in aws_runs
    assert 'pulumi up --yes --stack "${STACK}" --policy-pack policies --diff "${targets[@]}"' in aws_runs
    assert '"${#targets[@]}" -eq 0' in aws_runs  # an empty list never becomes a whole-stack up
    assert runs(kubernetes).strip().endswith('pulumi up --yes --stack "${STACK}" --policy-pack policies --diff')
    assert "--target" not in runs(kubernetes)


def test_phoenix_up_and_down_order() -> None:
    jobs = load("phoenix.yml")["jobs"]
    assert needs(jobs["up-kubernetes"]) == ["up-aws"]
    assert "--layer aws" in runs(jobs["up-aws"]) and "--layer all" in runs(jobs["up-kubernetes"])
    # Down: plan, then the Kubernetes layer on the runner, then the rest from GitHub-hosted (never the
    # runner: that destroy removes the runner itself).
    assert needs(jobs["down-kubernetes"]) == ["down-plan"]
    assert needs(jobs["down-aws"]) == ["down-plan", "down-kubernetes"]
    assert jobs["down-aws"]["runs-on"] == "ubuntu-latest"
    assert "--layer kubernetes" in runs(jobs["down-kubernetes"])
    assert "--layer" not in runs(jobs["down-aws"]) and "--forget-kubernetes-layer" in runs(jobs["down-aws"])
    assert "needs.down-plan.outputs.runner != '[]'" in condition(jobs["down-kubernetes"])
    down_aws = condition(jobs["down-aws"])
    assert "!cancelled()" in down_aws and "needs.down-kubernetes.result != 'failure'" in down_aws


def test_phoenix_reaper_destroys_kubernetes_layers_on_their_runners_first() -> None:
    doc = load("phoenix.yml")
    jobs = doc["jobs"]
    assert doc["concurrency"] == {
        "group": "phoenix-${{ github.event.pull_request.number || 'reap' }}",
        "cancel-in-progress": False,
    }
    assert "mlopsctl phoenix teardown-plan --expired --format json" in runs(jobs["reap-plan"])
    matrix = jobs["reap-kubernetes"]["strategy"]
    assert matrix["matrix"] == {"pr": "${{ fromJSON(needs.reap-plan.outputs.runner) }}"}
    assert matrix["fail-fast"] is False
    assert "needs.reap-plan.outputs.execute == 'true'" in condition(jobs["reap-kubernetes"])
    assert needs(jobs["reap"]) == ["reap-plan", "reap-kubernetes"] and "!cancelled()" in condition(jobs["reap"])
    steps = [str(step.get("run", "")) for step in jobs["reap"]["steps"]]
    forget = next(i for i, run in enumerate(steps) if "--forget-kubernetes-layer" in run)
    reap = next(i for i, run in enumerate(steps) if "mlopsctl phoenix reap" in run)
    assert forget < reap


def test_e2e_destroys_always_kubernetes_layer_first_and_checks_the_reaper() -> None:
    doc = load("e2e.yml")
    assert "workflow_dispatch" in doc["on"] and doc["on"]["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"]
    jobs = doc["jobs"]
    assert needs(jobs["kubernetes-layer"]) == ["aws-layer"]
    assert needs(jobs["destroy-kubernetes"]) == ["aws-layer", "kubernetes-layer"]
    assert condition(jobs["destroy-kubernetes"]) == "always() && needs.aws-layer.result == 'success'"
    assert needs(jobs["destroy"]) == ["aws-layer", "kubernetes-layer", "destroy-kubernetes"]
    assert condition(jobs["destroy"]) == "always()" and jobs["destroy"]["runs-on"] == "ubuntu-latest"
    for job in (jobs["aws-layer"], jobs["destroy"]):
        oidc = uses(job, OIDC_ACTION)[0]["with"]
        assert oidc["role-to-assume"] == "${{ vars.E2E_AWS_ROLE_ARN }}"
        assert oidc["aws-region"] == "${{ vars.E2E_AWS_REGION }}"
    phases = {
        name: [str(step["env"]["MLOPS_E2E_PHASE"]) for step in job["steps"] if "MLOPS_E2E_PHASE" in step.get("env", {})]
        for name, job in jobs.items()
    }
    assert phases == {
        "aws-layer": ["aws"],
        "kubernetes-layer": ["kubernetes", "smoke"],
        "destroy-kubernetes": ["destroy-kubernetes"],
        "destroy": ["destroy"],
    }
    assert "test_reaper_finds_nothing_left" in runs(jobs["destroy"])
    assert "mlopsctl phoenix reap --format markdown" in runs(jobs["destroy"])
    # Every e2e test the workflow names exists.
    source = (ROOT / "tests" / "e2e" / "test_platform_e2e.py").read_text()
    for test in re.findall(r"::(test_\w+)", (WORKFLOWS / "e2e.yml").read_text()):
        assert f"def {test}(" in source, test


# --- the stack-file scripts, run ----------------------------------------------------------------------------


def _step(doc: dict[str, Any], job: str, step_id: str) -> dict[str, Any]:
    return next(step for step in doc["jobs"][job]["steps"] if step.get("id") == step_id)


def _run_script(script: str, cwd: Path, env: dict[str, str]) -> tuple[int, dict[str, str], str]:
    if not (shutil.which("yq") and shutil.which("jq")):
        pytest.skip("yq and jq are not installed here (GitHub's Ubuntu images have both)")
    output = cwd / "github-output"
    output.write_text("")
    proc = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env={**os.environ, **env, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    values = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return proc.returncode, values, proc.stdout + proc.stderr


def test_preview_matrix_is_every_stack_but_the_phoenix_template(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    (tmp_path / "stacks" / "Pulumi.pr-12.yaml").write_text("config:\n  mlops:environment: pr-12\n")
    script = _step(load("preview.yml"), "stacks", "list")["run"]
    code, outputs, log = _run_script(script, tmp_path, {})
    assert code == 0, log
    shipped = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
    expected = [
        {"stack": stack, "environment": yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]["mlops:environment"]}
        for stack in shipped
        if stack != "phoenix" and not stack.startswith("pr-")
    ]  # fmt: skip
    assert json.loads(outputs["include"]) == expected
    assert {"stack": "dev", "environment": "dev"} in expected


def test_deploy_resolves_only_deployable_stacks(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    script = _step(load("deploy.yml"), "resolve", "stack")["run"]
    code, outputs, log = _run_script(script, tmp_path, {"REQUESTED": "dev"})
    assert code == 0, log
    assert outputs == {"stack": "dev", "environment": "dev", "region": "eu-west-1"}
    for bad in ("phoenix", "pr-3", "../etc", "nope"):
        code, outputs, log = _run_script(script, tmp_path, {"REQUESTED": bad})
        assert code == 1 and outputs == {}, (bad, log)
