"""Reading a real `pulumi preview --json` into the same diff model (fixture: see fixtures/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlopsctl.diff import ChangeKind, DiffError, PropOp, diff_files, parse_preview, render
from mlopsctl.diff.model import Diff, ResourceChange

FIXTURE = Path(__file__).parent / "fixtures" / "preview-dev.json"


@pytest.fixture(scope="module")
def diff() -> Diff:
    return diff_files(FIXTURE)


def _one(diff: Diff, name: str) -> ResourceChange:
    return next(c for c in diff.changes if c.name == name)


def test_steps_become_changes_per_component(diff: Diff) -> None:
    assert (diff.project, diff.stack, diff.source) == ("mlops-platform", "dev", "preview")
    assert [(c.component, c.kind.value, c.name) for c in diff.changes] == [
        ("lake", "update", "lake-raw"),
        ("network", "create", "network-endpoints-sg"),
        ("serving", "update", "serving-general"),
        ("serving", "move", "serving-control-plane-logs"),
        ("tracking", "replace", "tracking-db"),
        ("tracking", "replace", "tracking-server"),
        ("tracking", "update", "tracking-db-credentials"),
        ("warehouse", "delete", "warehouse-legacy-loader"),
    ]
    # changeSummary "same": 57 includes the root stack.
    assert diff.unchanged == 56
    assert diff.policy is None


def test_replace_uses_the_engines_reasons(diff: Diff) -> None:
    db = _one(diff, "tracking-db")
    assert db.replace_reasons == ("dbName",)
    assert [(p.path, p.forces_replacement, p.secret) for p in db.properties] == [
        ("dbName", True, False),
        ("instanceClass", False, False),
        ("password", False, True),  # the engine saw a change; both sides are masked
    ]
    deployment = _one(diff, "tracking-server")
    forced = [p.path for p in deployment.properties if p.forces_replacement]
    assert forced == ['spec.selector.matchLabels["app.kubernetes.io/name"]']
    assert "deleted before its replacement is created (downtime)" in deployment.notes


def test_nested_update_and_alias_rename(diff: Diff) -> None:
    ng = _one(diff, "serving-general")
    assert [(p.path, p.op, p.before, p.after) for p in ng.properties] == [
        ("scalingConfig.desiredSize", PropOp.UPDATE, 2, 3),
        ("scalingConfig.maxSize", PropOp.UPDATE, 4, 6),
    ]
    moved = _one(diff, "serving-control-plane-logs")
    assert moved.kind is ChangeKind.MOVE and moved.previous_urn is not None
    assert moved.previous_urn.endswith("::serving-cp-logs")


def test_only_warning_and_error_diagnostics_are_kept(diff: Diff) -> None:
    assert [(d.severity, d.message) for d in diff.diagnostics] == [
        (
            "warning",
            "Deployment replaced with deleteBeforeReplace: the tracking UI is unavailable until the new pods are ready",
        )
    ]


def test_both_paths_render_alike(diff: Diff) -> None:
    body = render(diff, "markdown")
    assert body.startswith("<!-- mlops-diff:mlops-platform:dev -->\n### Infrastructure diff: `mlops-platform`")
    assert "| Component | Create | Update | Replace | Delete | Move |" in body
    assert "| `tracking` | · | 1 | 2 | · | · |" in body
    assert "- ♻️ **replace** `aws:rds/instance:Instance` `tracking-db` — forced by `dbName`" in body
    assert "_Policy results are not part of `pulumi preview --json`; see the preview log._" in body


def test_replacement_steps_collapse_and_unknown_ops_count_as_changes() -> None:
    urn = "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b"
    state = {"urn": urn, "type": "aws:s3/bucket:Bucket", "inputs": {"bucket": "a"}}
    doc = {
        "steps": [
            {"op": "create-replacement", "urn": urn, "newState": {**state, "inputs": {"bucket": "b"}}},
            {"op": "delete-replaced", "urn": urn, "oldState": state},
            {
                "op": "frobnicate",
                "urn": urn.replace("::b", "::c"),
                "newState": {**state, "urn": urn.replace("::b", "::c")},
            },
        ],
        "changeSummary": {"replace": 1},
    }
    diff = parse_preview(doc, "p.json")
    assert [(c.kind, c.name) for c in diff.changes] == [(ChangeKind.REPLACE, "b"), (ChangeKind.UPDATE, "c")]
    assert diff.changes[1].notes == ("engine operation 'frobnicate'",)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"steps": "x"}, "steps: expected a list"),
        ({"steps": [{"op": "same"}]}, r"steps\[0\]\.urn: missing"),
        ({"steps": [{"op": "same", "urn": "nope"}]}, "not a Pulumi URN"),
        ({"steps": []}, "no steps"),
    ],
)
def test_invalid_previews_are_reported(doc: dict, message: str, tmp_path: Path) -> None:
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DiffError, match=message):
        diff_files(path)
