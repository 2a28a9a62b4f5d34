"""Read the JSON of a real `pulumi preview --json` into the same `Diff` model as a plan-vs-plan diff.

Format (pulumi/pulumi sdk/pkg/display/json.go, `PreviewDigest`): top-level `steps`, `diagnostics`,
`changeSummary`; each step has `op`, `urn`, `oldState`/`newState` (apitype.ResourceV3 with `type`,
`inputs`, `parent`, `dependencies`, ...), `diffReasons`, `replaceReasons` and `detailedDiff`
(`{path: {kind, inputDiff}}`). Secrets are already "[secret]" there; they are masked again anyway.
By default a preview hides unchanged resources and the create/delete halves of a replacement; all
variants are accepted. Policy violations are not part of this JSON, so the diff has no policy delta.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mlopsctl.diff.components import ComponentResolver, Node, component_edges
from mlopsctl.diff.compute import sort_changes
from mlopsctl.diff.model import (
    SECRET,
    ChangeKind,
    Diagnostic,
    Diff,
    DiffError,
    PropertyChange,
    PropOp,
    ResourceChange,
)
from mlopsctl.diff.paths import dig, keys_only, overlaps, parse_path
from mlopsctl.diff.propdiff import diff_inputs
from mlopsctl.diff.secrets import mask
from mlopsctl.diff.urns import is_root_stack, parse_urn

NO_CHANGE_OPS = frozenset({"same", "read", "refresh", "discard", "discard-replaced", "remove-pending-replace"})
CREATE_OPS = frozenset({"create", "import"})
REPLACE_OPS = frozenset({"replace", "create-replacement", "delete-replaced", "import-replacement", "read-replacement"})
SHOWN_SEVERITIES = ("error", "warning")


def is_preview(doc: Any) -> bool:
    """Whether `doc` looks like `pulumi preview --json` output."""
    return isinstance(doc, dict) and "schema" not in doc and ("steps" in doc or "changeSummary" in doc)


def _state(step: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    state = step.get(key)
    if state is None:
        return None
    if not isinstance(state, dict):
        raise DiffError(f"{where}.{key}: expected an object")
    return state


def _steps(doc: Mapping[str, Any], origin: str) -> dict[str, list[Mapping[str, Any]]]:
    raw = doc.get("steps") or []
    if not isinstance(raw, list):
        raise DiffError(f"{origin}: steps: expected a list")
    by_urn: dict[str, list[Mapping[str, Any]]] = {}
    for i, step in enumerate(raw):
        where = f"{origin}: steps[{i}]"
        if not isinstance(step, dict):
            raise DiffError(f"{where}: expected an object")
        for key in ("op", "urn"):
            if not isinstance(step.get(key), str):
                raise DiffError(f"{where}.{key}: missing or not a string")
        if parse_urn(step["urn"]) is None:
            raise DiffError(f"{where}.urn: not a Pulumi URN: {step['urn']!r}")
        _state(step, "oldState", where)
        _state(step, "newState", where)
        by_urn.setdefault(step["urn"], []).append(step)
    return by_urn


def _kind(ops: list[str]) -> ChangeKind | None:
    if any(op in REPLACE_OPS for op in ops):
        return ChangeKind.REPLACE
    if "delete" in ops:
        return ChangeKind.DELETE
    if any(op in CREATE_OPS for op in ops):
        return ChangeKind.CREATE
    if all(op in NO_CHANGE_OPS for op in ops):
        return None
    # "update", and any operation a newer Pulumi may add: never let an unknown step look like no change.
    return ChangeKind.UPDATE


def _first(steps: list[Mapping[str, Any]], key: str) -> Mapping[str, Any] | None:
    for step in steps:
        if isinstance(step.get(key), dict):
            state: Mapping[str, Any] = step[key]
            return state
    return None


def _properties(steps: list[Mapping[str, Any]], old: Mapping[str, Any], new: Mapping[str, Any]) -> list[PropertyChange]:
    """Input diff, marked with the engine's own replacement verdicts, plus changes only the engine saw."""
    before = mask(old.get("inputs") or {})
    after = mask(new.get("inputs") or {})
    props = diff_inputs(before, after)
    detailed: dict[str, str] = {}
    reasons: list[str] = []
    for step in steps:
        for path, d in (step.get("detailedDiff") or {}).items():
            detailed.setdefault(str(path), str(d.get("kind", "update")) if isinstance(d, dict) else "update")
        reasons.extend(str(r) for r in step.get("replaceReasons") or [])
    # The detailed diff names the exact paths that force a replacement; `replaceReasons` only top-level keys.
    forcing = [keys_only(parse_path(p)) for p, k in detailed.items() if k.endswith("-replace")]
    if not detailed:
        forcing = [(r,) for r in reasons]
    out = [
        dataclasses.replace(p, forces_replacement=True)
        if any(overlaps(keys_only(parse_path(p.path)), f) for f in forcing)
        else p
        for p in props
    ]
    covered = [keys_only(parse_path(p.path)) for p in props]
    reported: set[str] = set(detailed) if detailed else set(reasons)
    for path in sorted(reported):
        keys = keys_only(parse_path(path))
        if any(overlaps(keys, c) for c in covered):
            continue
        secret = SECRET in (dig(before, keys), dig(after, keys))
        out.append(
            PropertyChange(
                path,
                PropOp.UPDATE if secret else PropOp.REPORTED,
                secret=secret,
                forces_replacement=any(overlaps(keys, f) for f in forcing),
            )
        )
    return sorted(out, key=lambda p: p.path)


def _notes(ops: list[str], previous: str | None) -> tuple[str, ...]:
    notes: list[str] = []
    if previous:
        notes.append("URN changed: carried over by an alias")
    if "import" in ops or "import-replacement" in ops:
        notes.append("imports an existing cloud resource")
    both = "delete-replaced" in ops and "create-replacement" in ops
    if both and ops.index("delete-replaced") < ops.index("create-replacement"):
        notes.append("deleted before its replacement is created (downtime)")
    unknown = sorted(set(ops) - NO_CHANGE_OPS - CREATE_OPS - REPLACE_OPS - {"update", "delete"})
    notes.extend(f"engine operation {op!r}" for op in unknown)
    return tuple(notes)


def _diagnostics(doc: Mapping[str, Any]) -> tuple[Diagnostic, ...]:
    out: list[Diagnostic] = []
    for d in doc.get("diagnostics") or []:
        if not isinstance(d, dict) or d.get("severity") not in SHOWN_SEVERITIES:
            # Info diagnostics are the program's own stdout, which may print anything: never forwarded.
            continue
        message = " ".join(str(d.get("message", "")).split())
        # The digest's message already carries the display prefix ("warning: ..."); the severity is shown anyway.
        message = message.removeprefix(f"{d['severity']}: ")
        urn = d.get("urn") if isinstance(d.get("urn"), str) and d.get("urn") else None
        out.append(Diagnostic(severity=str(d["severity"]), message=message, urn=urn))
    return tuple(sorted(out, key=lambda d: (SHOWN_SEVERITIES.index(d.severity), d.urn or "", d.message)))


def parse_preview(doc: Any, origin: str) -> Diff:
    """Turn a `pulumi preview --json` document into a `Diff`."""
    if not is_preview(doc):
        raise DiffError(f"{origin}: not `pulumi preview --json` output (no top-level 'steps')")
    by_urn = _steps(doc, origin)
    if not by_urn:
        raise DiffError(f"{origin}: the preview has no steps, so its project and stack are unknown")
    first = parse_urn(next(iter(by_urn)))
    assert first is not None  # validated in _steps
    nodes: list[Node] = []
    deps: dict[str, list[str]] = {}
    for urn, steps in by_urn.items():
        for key in ("newState", "oldState"):
            for step in steps:
                state = step.get(key)
                if isinstance(state, dict):
                    state_urn = str(state.get("urn") or urn)
                    parsed = parse_urn(state_urn) or parse_urn(urn)
                    assert parsed is not None
                    parent = state.get("parent") if isinstance(state.get("parent"), str) else None
                    nodes.append(
                        Node(
                            state_urn,
                            str(state.get("type") or parsed.type),
                            parsed.name,
                            parent,
                            bool(state.get("custom", True)),
                        )
                    )
                    deps.setdefault(urn, []).extend(str(d) for d in state.get("dependencies") or [])
        parsed = parse_urn(urn)
        assert parsed is not None
        nodes.append(Node(urn, parsed.type, parsed.name, None, True))
    resolver = ComponentResolver(nodes)
    changes: list[ResourceChange] = []
    unchanged_steps = 0
    root_same = 0
    for urn, steps in by_urn.items():
        ops = [str(s["op"]) for s in steps]
        if is_root_stack(urn):
            root_same += 1 if "same" in ops else 0
            continue
        old, new = _first(steps, "oldState"), _first(steps, "newState")
        previous = str(old["urn"]) if old and old.get("urn") and old["urn"] != urn else None
        kind = _kind(ops)
        if kind is None and previous is None:
            unchanged_steps += 1
            continue
        kind = kind or ChangeKind.MOVE
        props = (
            _properties(steps, old, new)
            if old is not None and new is not None and kind in (ChangeKind.UPDATE, ChangeKind.REPLACE, ChangeKind.MOVE)
            else []
        )
        if kind is ChangeKind.MOVE and props:
            kind = ChangeKind.UPDATE
        reasons = sorted({str(r) for s in steps for r in s.get("replaceReasons") or []})
        if kind is ChangeKind.REPLACE and not reasons:
            reasons = sorted({str(parse_path(p.path)[0]) for p in props if p.forces_replacement})
        parsed = parse_urn(urn)
        assert parsed is not None
        state = new or old or {}
        changes.append(
            ResourceChange(
                kind=kind,
                urn=urn,
                type=str(state.get("type") or parsed.type),
                name=parsed.name,
                component=resolver.component_of(urn).label,
                previous_urn=previous,
                properties=tuple(props),
                replace_reasons=tuple(reasons),
                notes=_notes(ops, previous),
            )
        )
    summary = doc.get("changeSummary") if isinstance(doc.get("changeSummary"), dict) else {}
    same = summary.get("same", 0) if isinstance(summary.get("same", 0), int) else 0
    components = {resolver.component_of(c.urn) for c in changes}
    return Diff(
        project=first.project,
        stack=first.stack,
        source="preview",
        changes=sort_changes(changes),
        # Unchanged resources are usually not listed; the summary counts them, the root stack included.
        unchanged=max(unchanged_steps, same - root_same),
        components=tuple(sorted(components, key=lambda c: c.label)),
        component_edges=component_edges({u: d for u, d in deps.items() if d}, resolver),
        policy=None,
        diagnostics=_diagnostics(doc),
    )
