"""Bad input never hurts: every malformed stack file or output path is an exit-2 error that names the file
and the key, as plain text, quickly and without a traceback."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts.errors import ConfigError
from contracts.stackfile import ECHO_LIMIT, read_stack_values
from mlopsctl.cli import app

ROOT = Path(__file__).resolve().parents[2]
DEV = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
runner = CliRunner()


def problems_of(tmp_path: Path, content: str | bytes) -> list[str]:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(ConfigError) as caught:
        read_stack_values(path)
    assert caught.value.source == str(path)
    return caught.value.problems


def plan_stack(tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    project = tmp_path / "project"
    if not project.exists():
        project.mkdir()
        (project / "stacks").mkdir()
        for name in ("Pulumi.yaml", "__main__.py"):
            (project / name).write_text((ROOT / name).read_text())
        os.symlink(ROOT / "components", project / "components")
        os.symlink(ROOT / "certs", project / "certs")  # mlops:access.clients.caBundle
    (project / "stacks" / "Pulumi.x.yaml").write_text(text)
    result = runner.invoke(app, ["plan", "--project-dir", str(project), "--stack", "x", *args])
    assert "Traceback" not in result.stderr + result.stdout
    return result.exit_code, result.stderr.replace("\n", "")


def test_markup_in_a_value_is_shown_as_written(tmp_path: Path) -> None:
    code, stderr = plan_stack(tmp_path, DEV.replace("mlops:environment: dev", 'mlops:environment: "[/bold]"'))
    assert code == 2
    assert "mlops:environment: String should match pattern" in stderr and "[/bold]" in stderr


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("mlop:network", "unknown namespace 'mlop'; did you mean 'mlops:network'?"),
        ("network", "a config key without a namespace; did you mean 'mlops:network'?"),
        ("aws:regoin", "unknown key; did you mean 'aws:region'?"),
        ("mlops:netwrok", "unknown key; did you mean 'mlops:network'?"),
    ],
)
def test_namespace_typos_are_errors_with_a_suggestion(tmp_path: Path, key: str, expected: str) -> None:
    code, stderr = plan_stack(tmp_path, DEV + f"  {key}:\n    azCount: 2\n")
    assert code == 2
    assert f"stacks/Pulumi.x.yaml: {key}: {expected}" in stderr


def test_aws_provider_keys_are_accepted(tmp_path: Path) -> None:
    code, _ = plan_stack(tmp_path, DEV + "  aws:maxRetries: 5\n")
    assert code == 0


def test_duplicate_keys_are_refused_with_their_line(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "config:\n  mlops:owner: a\n  mlops:owner: b\n")
    assert problems == ["not valid YAML: line 3: duplicate key 'mlops:owner' (YAML would silently keep the last one)"]


def test_alias_bomb_is_bounded(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    started = time.perf_counter()
    problems = problems_of(tmp_path, "\n".join(levels) + "\nconfig: {}\n")
    assert time.perf_counter() - started < 2
    assert problems == ["not valid YAML: more than 50 aliases (a YAML alias bomb?)"]


def test_deep_nesting_is_bounded(tmp_path: Path) -> None:
    nested = "config:\n  mlops:tags: " + "[" * 40 + "]" * 40 + "\n"
    assert problems_of(tmp_path, nested) == ["nested deeper than 16 levels"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "config:\n  mlops:owner: caf\u00e9\n".encode("utf-16"),
            "not UTF-8 text (byte 0); save the stack file as UTF-8",
        ),
        (b"config:\n  mlops:owner: caf\xe9\n", "not UTF-8 text (byte 26); save the stack file as UTF-8"),
        (b"\x00\x01\x02binary", "contains NUL bytes; a stack file is YAML text"),
        ("config: [a, b]\n", "config: must be a mapping of namespace:key to values"),
    ],
)
def test_encodings_and_shapes(tmp_path: Path, content: bytes | str, expected: str) -> None:
    assert problems_of(tmp_path, content) == [expected]


def test_special_files_never_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "Pulumi.fifo.yaml"
    os.mkfifo(fifo)
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="not a regular file"):
        read_stack_values(fifo)
    assert time.perf_counter() - started < 1
    with pytest.raises(ConfigError, match="not a regular file"):
        read_stack_values(tmp_path)
    loop = tmp_path / "Pulumi.loop.yaml"
    os.symlink(loop, loop)
    with pytest.raises(ConfigError, match="cannot read the stack file"):
        read_stack_values(loop)


def test_echoed_values_are_capped(tmp_path: Path) -> None:
    long_value = "x" * 5000
    code, stderr = plan_stack(tmp_path, DEV.replace("mlops:environment: dev", f"mlops:environment: {long_value}"))
    assert code == 2
    assert "x" * (ECHO_LIMIT + 10) not in stderr and "(5002 characters)" in stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--format", "json", "--out", "{tmp}/missing/plan.json"), "directory {tmp}/missing does not exist"),
        (("--format", "json", "--out", "{tmp}"), "is a directory; give a file name"),
        (("--format", "k8s-yaml", "--out", "{tmp}/file.txt"), "exists and is not a directory"),
    ],
)
def test_unwritable_outputs_are_usage_errors(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    (tmp_path / "file.txt").write_text("x")
    real = [a.format(tmp=tmp_path) for a in args]
    result = runner.invoke(app, ["plan", "--project-dir", str(ROOT), "--stack", "dev", *real])
    assert result.exit_code == 2
    assert expected.format(tmp=tmp_path) in result.stderr.replace("\n", "")


def _dev_raw() -> dict[str, object]:
    return read_stack_values(ROOT / "stacks" / "Pulumi.dev.yaml")


def _problems(changes: dict[str, object]) -> list[str]:
    from components.config import parse_config

    with pytest.raises(ConfigError) as caught:
        parse_config({**_dev_raw(), **changes}, stack="dev", source="stacks/Pulumi.dev.yaml")
    return caught.value.problems


def _cluster(**pool: object) -> dict[str, object]:
    cluster = dict(_dev_raw()["mlops:cluster"])  # type: ignore[call-overload]
    cluster.update(pool)
    return {"mlops:cluster": cluster}


def _database(**database: object) -> dict[str, object]:
    return {"mlops:tracking": {"database": database}}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (_cluster(systemPool={"instanceTypes": ["banana"]}), "'banana' is not an EC2 instance type"),
        (_cluster(systemPool={"instanceTypes": ["m7i.large", "m7g.large"]}), "mix x86_64 and arm64 (Graviton) types"),
        (_cluster(gpuPool={"instanceTypes": ["m7i.large"], "minSize": 0, "desiredSize": 0}), "have no NVIDIA GPU"),
        ({"aws:region": "eu-west-9"}, "'eu-west-9' is not an AWS region; did you mean 'eu-west-3'?"),
        ({"mlops:tags": {f"t{i}": "v" for i in range(60)}}, "60 tags; at most 43"),
        ({"mlops:tags": {"aws:team": "x"}}, "tag key 'aws:team': the 'aws:' prefix is reserved for AWS"),
        ({"mlops:tags": {"k" * 200: "x"}}, "1-128 letters, digits, spaces and _.:/=+-@"),
        (_database(engineVersion="9.6", autoMinorVersionUpgrade=False), "PostgreSQL 13 or newer"),
        ({"mlops:tracking": {"clients": ["notebooks"]}}, "tracking.clients names ['notebooks'], which are not in"),
    ],
)
def test_values_aws_would_reject_fail_validation(changes: dict[str, object], expected: str) -> None:
    problems = _problems(changes)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"mlops:tier": "production", "mlops:phoenix": {"enabled": True}}, "cannot enable phoenix"),
        ({"mlops:tier": "production"}, "keeps its data protected: set lake.protect: true"),
        ({"mlops:environment": "production"}, "keeps its data protected: set lake.protect: true"),
        ({"mlops:tier": "ephemeral"}, "tier ephemeral needs phoenix.enabled"),
        ({"mlops:tier": "prod"}, "mlops:tier: Input should be 'production', 'staging', 'development' or 'ephemeral'"),
        # A name that says production keeps the safeguards: as a part of the name, and against a lower tier.
        ({"mlops:environment": "prod-eu"}, "keeps its data protected: set lake.protect: true"),
        ({"mlops:environment": "prod", "mlops:tier": "development"}, "whose name says production, would drop"),
    ],
)
def test_the_production_tier_keeps_its_safeguards(changes: dict[str, object], expected: str) -> None:
    problems = _problems(changes)
    assert any(expected in p for p in problems), problems


def test_exemptions_are_capped_at_180_days() -> None:
    from datetime import date

    from policies.mlops.exemption import exemption

    item = exemption(id="EX-1", policy="s3-bucket-versioning", resource="b", reason="migration", expires="2099-01-01")
    assert item.status(date(2026, 12, 7)) == "invalid"
    soon = exemption(id="EX-2", policy="s3-bucket-versioning", resource="b", reason="migration", expires="2027-03-01")
    assert soon.status(date(2026, 12, 7)) == "active"


def _git(cidrs: list[str]) -> dict[str, object]:
    return {
        "mlops:orchestrator": {
            "mode": "helm",
            "dagsGit": {"repository": "https://github.com/o/dags", "egressCidrs": cidrs},
        }
    }


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (_git(["0.0.0.0/1", "128.0.0.0/1"]), "'0.0.0.0/1' is wider than /16"),
        (_cluster(adminPrincipals=["arn:aws:iam::123456789012:role/*"]), "is not an IAM role or user ARN"),
        ({"mlops:lake": {"admins": ["arn:aws:iam::123456789012:root"]}}, "not the account root"),
        ({"mlops:tags": {"db-password": "hunter2"}}, "looks like a credential"),
        ({"mlops:tags": {"note": "AKIAABCDEFGHIJKLMNOP"}}, "looks like a credential"),
        (
            {"mlops:network": {"interfaceEndpoints": ["ecr.api", "ecr.dkr", "s3", "sts", "logs"]}},
            "missing ['kms', 'secretsmanager']",
        ),
    ],
)
def test_weakenings_a_careless_user_could_make_are_refused(changes: dict[str, object], expected: str) -> None:
    problems = _problems(changes)
    assert any(expected in p for p in problems), problems


def test_production_tier_minimums() -> None:
    prod = read_stack_values(ROOT / "stacks" / "Pulumi.prod.yaml")
    from components.config import parse_config

    def problems(**changes: object) -> list[str]:
        with pytest.raises(ConfigError) as caught:
            parse_config({**prod, **changes}, stack="prod", source="stacks/Pulumi.prod.yaml")
        return caught.value.problems

    network = {**prod["mlops:network"], "flowLogRetentionDays": 1}  # type: ignore[dict-item]
    assert any(
        "keeps logs at least 90 days: ['network.flowLogRetentionDays']" in p
        for p in problems(**{"mlops:network": network})
    )
    lake = {**prod["mlops:lake"], "lifecycle": {"noncurrentVersionDays": 1}}  # type: ignore[dict-item]
    assert any("noncurrent object versions at least 30" in p for p in problems(**{"mlops:lake": lake}))
    override = {"zoneLifecycle": {"raw": {"noncurrentVersionDays": 1}}}  # a zone's own lifecycle counts too
    lake = {**prod["mlops:lake"], **override}  # type: ignore[dict-item]
    assert any("noncurrent object versions at least 30" in p for p in problems(**{"mlops:lake": lake}))
    lake = {**prod["mlops:lake"], "protect": False}  # type: ignore[dict-item]
    assert any("set lake.protect: true" in p for p in problems(**{"mlops:lake": lake}))


def test_plan_takes_a_policy_pack_config(tmp_path: Path) -> None:
    public = DEV.replace("  mlops:cluster:\n", "  mlops:cluster:\n    publicAccessCidrs: [203.0.113.0/24]\n")
    code, _ = plan_stack(tmp_path, public)
    assert code == 1  # eks-cluster-private-endpoint is mandatory
    config = tmp_path / "pack.json"
    config.write_text('{"eks-cluster-private-endpoint": {"enforcementLevel": "advisory"}}')
    code, _ = plan_stack(tmp_path, public, "--policy-pack-config", str(config))
    assert code == 0
    config.write_text("[1]")
    code, stderr = plan_stack(tmp_path, public, "--policy-pack-config", str(config))
    assert code == 2 and f"--policy-pack-config {config}: must be a JSON object" in stderr


def test_a_key_without_a_value_is_named(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "config:\n  mlops:tier:\n  mlops:owner: a\n") == [
        "mlops:tier: has no value; give one or remove the key"
    ]
