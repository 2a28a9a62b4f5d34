"""JSON rendering ("mlops-diff/1"), for scripts. Keys sorted, so output is byte-stable."""

from __future__ import annotations

import json
from typing import Any

from mlopsctl.diff.fmt import verdict
from mlopsctl.diff.model import SUMMARY_KINDS, Diff, PropertyChange, PropOp, ResourceChange, Violation

DIFF_SCHEMA = "mlops-diff/1"


def _prop(p: PropertyChange) -> dict[str, Any]:
    out: dict[str, Any] = {"path": p.path, "op": p.op.value, "forcesReplacement": p.forces_replacement}
    if p.secret:
        out["secret"] = True
    elif p.op is not PropOp.REPORTED:
        if p.op is not PropOp.ADD:
            out["before"] = p.before
        if p.op is not PropOp.REMOVE:
            out["after"] = p.after
    return out


def _change(c: ResourceChange) -> dict[str, Any]:
    return {
        "kind": c.kind.value,
        "urn": c.urn,
        "previousUrn": c.previous_urn,
        "type": c.type,
        "name": c.name,
        "component": c.component,
        "replaceReasons": list(c.replace_reasons),
        "properties": [_prop(p) for p in c.properties],
        "notes": list(c.notes),
    }


def _violation(v: Violation) -> dict[str, str]:
    return {"policy": v.policy, "level": v.level, "severity": v.severity, "urn": v.urn, "message": v.message}


def to_document(diff: Diff) -> dict[str, Any]:
    """The diff as a plain JSON-serializable document."""
    level, sentence = verdict(diff)
    policy = diff.policy
    return {
        "schema": DIFF_SCHEMA,
        "project": diff.project,
        "stack": diff.stack,
        "source": diff.source,
        "verdict": {"level": level, "text": sentence},
        "summary": {**{k.value: diff.count(k) for k in SUMMARY_KINDS}, "unchanged": diff.unchanged},
        "components": [
            {
                "name": c.label,
                "type": c.type,
                **{k.value: diff.count(k, c.label) for k in SUMMARY_KINDS},
                "unchanged": diff.unchanged_by_component.get(c.label),
            }
            for c in diff.components
        ],
        "changes": [_change(c) for c in diff.changes],
        "policy": None
        if policy is None
        else {
            "baseEvaluated": policy.base_evaluated,
            "new": [_violation(v) for v in policy.new],
            "fixed": [_violation(v) for v in policy.fixed],
            "unchanged": [_violation(v) for v in policy.unchanged],
        },
        "diagnostics": [{"severity": d.severity, "urn": d.urn, "message": d.message} for d in diff.diagnostics],
        "images": None
        if diff.images is None
        else [
            {"kind": c.kind, "upstream": c.upstream, "before": c.before, "after": c.after, "note": c.note}
            for c in diff.images
        ],
    }


def render_json(diff: Diff) -> str:
    """The diff as indented JSON text ending in a newline."""
    return json.dumps(to_document(diff), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
