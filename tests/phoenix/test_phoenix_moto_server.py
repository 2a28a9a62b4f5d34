"""The reaper over real HTTP: a ``moto_server`` on 127.0.0.1 reached through ``--endpoint-url``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import moto_gaps
from phoenix_testkit import DECOYS, NOW, REGION, FakeWorkspace, FleetBuilder, reset_moto_server, shared_session
from typer.testing import CliRunner

from mlopsctl.phoenix.cli import PhoenixDeps, phoenix_app
from mlopsctl.phoenix.handlers import KINDS


def reap(project_dir: Path, url: str, *args: str) -> tuple[int, dict[str, Any]]:
    deps = PhoenixDeps(
        workspace_factory=lambda _dir: FakeWorkspace(),
        session_factory=lambda _region: shared_session(),
        sleep=lambda _s: None,
        waiter_delay=0,
    )
    result = CliRunner().invoke(
        phoenix_app,
        ["reap", "--now", NOW, "--format", "json", "--endpoint-url", url, "--project-dir", str(project_dir), *args],
        obj=deps,
    )
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def statuses(report: dict[str, Any], status: str) -> set[tuple[str, str]]:
    return {(r["kind"], r["id"]) for r in report["resources"] if r["status"] == status}


def test_sweep_through_endpoint_url(moto_server_url: str, aws_env: None, project_dir: Path) -> None:
    reset_moto_server(moto_server_url)
    builder = FleetBuilder(shared_session(), REGION, endpoint_url=moto_server_url)
    builder.platform()
    # The full decoy set runs in-process (test_phoenix_sweep); over HTTP one decoy of each kind of
    # tag per stand-alone kind keeps this test quick.
    for label, tags in DECOYS.items():
        builder.bucket(f"decoy-{label}", tags, label=label)
        builder.simple_kinds(f"decoy{label.replace('-', '')}", tags, label=label)
    fleet = builder.fleet
    # moto keeps no Budgets tags; the access kinds are covered by test_phoenix_access.py.
    assert {kind for kind, _ in fleet.expired} == set(KINDS) - {"budgets:budget"} - moto_gaps.NOT_IN_FLEET

    code, dry = reap(project_dir, moto_server_url)
    assert code == 0 and dry["account"] == "123456789012"
    assert statuses(dry, "would-delete") == set(fleet.expired)
    assert statuses(dry, "kept") == fleet.marked_decoys()

    code, done = reap(project_dir, moto_server_url, "--execute")
    assert code == 0, statuses(done, "failed")
    assert statuses(done, "deleted") == set(fleet.expired)
    assert [key for key, exists in fleet.expired.items() if exists()] == []
    assert [key for key, exists in fleet.decoys.items() if not exists()] == []

    code, again = reap(project_dir, moto_server_url, "--execute")
    assert code == 0
    assert statuses(again, "deleted") | statuses(again, "failed") | statuses(again, "would-delete") == set()
