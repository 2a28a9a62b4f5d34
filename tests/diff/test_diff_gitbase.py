"""`--git-base`: plans from a temporary git worktree of REF and from the working tree."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import typer
from diff_helpers import plan, resource
from typer.testing import CliRunner

from mlopsctl.diff import DiffError, diff_plans, gitbase
from mlopsctl.diff.cli import diff_command


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def fake_builder(project_dir: Path, stack: str, out: Path) -> None:
    """Plans a project whose 'program' is resources.json: a list of [name, cidr] pairs."""
    pairs = json.loads((project_dir / "resources.json").read_text())
    resources = [resource("aws:ec2/vpc:Vpc", n, {"cidrBlock": c}, stack=stack) for n, c in pairs]
    out.write_text(json.dumps(plan(resources, stack=stack, violations=[])))


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    project = repo / "infra"
    project.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (project / "resources.json").write_text(json.dumps([["a", "10.0.0.0/16"], ["b", "10.1.0.0/16"]]))
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    # The working tree (uncommitted) is HEAD of the diff.
    (project / "resources.json").write_text(json.dumps([["a", "10.9.0.0/16"], ["c", "10.2.0.0/16"]]))
    return repo


def _worktrees(repo: Path) -> list[str]:
    return [ln for ln in _git(repo, "worktree", "list", "--porcelain").splitlines() if ln.startswith("worktree ")]


def test_plans_ref_in_a_worktree_and_the_working_tree(repo: Path) -> None:
    seen: list[Path] = []

    def builder(project_dir: Path, stack: str, out: Path) -> None:
        seen.append(project_dir)
        fake_builder(project_dir, stack, out)

    base, head = gitbase.plans_from_git(repo / "infra", "HEAD", "dev", builder)
    diff = diff_plans(base, head)
    assert sorted((c.kind.value, c.name) for c in diff.changes) == [
        ("create", "c"),
        ("delete", "b"),
        ("replace", "a"),
    ]
    assert seen[0].name == "infra" and seen[0] != repo / "infra"  # the worktree's copy of the project
    assert seen[1] == (repo / "infra").resolve()
    assert not seen[0].exists()  # removed afterwards
    assert len(_worktrees(repo)) == 1


def test_worktree_is_removed_when_the_build_fails(repo: Path) -> None:
    paths: list[Path] = []

    def failing(project_dir: Path, stack: str, out: Path) -> None:
        paths.append(project_dir)
        raise DiffError("planning failed: boom")

    with pytest.raises(DiffError, match="boom"):
        gitbase.plans_from_git(repo / "infra", "HEAD", "dev", failing)
    assert paths and not paths[0].exists()
    assert len(_worktrees(repo)) == 1


def test_bad_ref_and_missing_project_are_clear_errors(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(DiffError, match="no such commit"):
        gitbase.plans_from_git(repo / "infra", "origin/nope", "dev", fake_builder)
    with pytest.raises(DiffError, match="not a git ref"):
        gitbase.plans_from_git(repo / "infra", "--output=x", "dev", fake_builder)
    (repo / "new").mkdir()
    with pytest.raises(DiffError, match="new does not exist at HEAD"):
        gitbase.plans_from_git(repo / "new", "HEAD", "dev", fake_builder)
    outside = tmp_path / "outside"
    outside.mkdir()
    with pytest.raises(DiffError, match="rev-parse"):
        gitbase.plans_from_git(outside, "HEAD", "dev", fake_builder)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("diff")(diff_command)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "diff" a subcommand, as in the real CLI
        """Nothing."""

    return app


def test_cli_git_base_with_injected_builder(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gitbase, "PLAN_BUILDER", fake_builder)
    out = tmp_path / "comment.md"
    result = CliRunner().invoke(
        _app(),
        ["diff", "--git-base", "HEAD", "--stack", "dev", "--project-dir", str(repo / "infra"), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    body = out.read_text()
    assert body.startswith("<!-- mlops-diff:mlops-platform:dev -->")
    assert "1 to create, 1 to replace, 1 to delete" in body
    usage = CliRunner().invoke(_app(), ["diff", "--git-base", "HEAD"])
    assert usage.exit_code == 2 and "--git-base needs --stack NAME" in usage.output


@pytest.mark.slow
def _committed_copy_of_this_project(tmp_path: Path) -> Path:
    """This project's program and stacks, committed as `main` of a fresh repository (the PR base)."""
    root = Path(__file__).resolve().parents[2]
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(root / name, repo / name)
    for name in ("components", "stacks", "certs"):
        shutil.copytree(root / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    return repo


def test_git_base_with_the_real_plan_subprocess(tmp_path: Path) -> None:
    """End to end through `python -m mlopsctl plan` on a copy of this project in a fresh git repository.

    BASE is the committed copy; the working tree changes one stack setting (config) and one line of
    component code, and both must show up: BASE must be planned from REF's code, not the current one.
    """
    repo = _committed_copy_of_this_project(tmp_path)
    stack_file = repo / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("mlops:owner: ml-platform-team", "mlops:owner: data-team"))
    platform = repo / "components" / "platform.py"
    code = platform.read_text()
    assert "region=config.region," in code
    platform.write_text(code.replace("region=config.region,", "region=config.region, max_retries=7,", 1))

    result = CliRunner().invoke(
        _app(),
        ["diff", "--git-base", "HEAD", "--stack", "dev", "--project-dir", str(repo), "--format", "json"],
    )
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    provider = next(c for c in doc["changes"] if c["type"] == "pulumi:providers:aws")
    paths = {p["path"] for p in provider["properties"]}
    assert "defaultTags.tags.owner" in paths  # the config change
    assert "maxRetries" in paths  # the code change: BASE ran REF's components, HEAD the working tree's
    assert len(_worktrees(repo)) == 1


def test_git_base_reports_a_pr_that_introduces_a_mandatory_violation(tmp_path: Path) -> None:
    """`mlopsctl plan` exits 1 for findings, with the plan written: the PR check must diff it, not crash."""
    repo = _committed_copy_of_this_project(tmp_path)
    stack_file = repo / "stacks" / "Pulumi.dev.yaml"
    text = stack_file.read_text()
    assert '    version: "1.34"\n' in text
    stack_file.write_text(
        text.replace('    version: "1.34"\n', '    version: "1.34"\n    publicAccessCidrs: [203.0.113.0/24]\n')
    )

    result = CliRunner().invoke(
        _app(),
        ["diff", "--git-base", "HEAD", "--stack", "dev", "--project-dir", str(repo), "--format", "json"],
    )
    assert result.exit_code == 1, result.output  # findings, not a usage error
    doc = json.loads(result.stdout)
    new = {v["policy"] for v in doc["policy"]["new"]}
    assert "eks-cluster-private-endpoint" in new


def test_a_stack_the_pr_adds_diffs_as_all_creates(tmp_path: Path) -> None:
    repo = _committed_copy_of_this_project(tmp_path)
    dev = (repo / "stacks" / "Pulumi.dev.yaml").read_text()
    (repo / "stacks" / "Pulumi.qa.yaml").write_text(dev.replace("mlops:environment: dev", "mlops:environment: qa"))

    result = CliRunner().invoke(
        _app(), ["diff", "--git-base", "HEAD", "--stack", "qa", "--project-dir", str(repo), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    kinds = {change["kind"] for change in doc["changes"]}
    assert kinds == {"create"} and len(doc["changes"]) > 200
