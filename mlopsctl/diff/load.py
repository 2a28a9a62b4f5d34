"""Entry points from files: two plans, or one `pulumi preview --json` document, to a `Diff`.

A plan read from a file is data anyone can edit: its own `policy` section is never believed. Each side's
violations are re-evaluated from its resources (`mlopsctl.plan_check`, as `mlopsctl check` does), so a
plan whose section says "no violations" while its resources violate still shows them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from contracts.plan import PLAN_SCHEMA
from mlopsctl.diff.compute import diff_plans
from mlopsctl.diff.model import Diff, DiffError, Violation
from mlopsctl.diff.plan_doc import Plan, is_plan, parse_plan, read_json
from mlopsctl.diff.preview_json import is_preview, parse_preview


def _plan(doc: Any, path: Path) -> Plan:
    if is_preview(doc):
        raise DiffError(f"{path}: this is `pulumi preview --json` output, which is already a diff: pass it alone")
    if not is_plan(doc):
        raise DiffError(
            f"{path}: neither a plan (schema {PLAN_SCHEMA!r}) nor `pulumi preview --json` output (top-level 'steps')"
        )
    return replace(parse_plan(doc, str(path)), violations=fresh_violations(doc, str(path)))


def fresh_violations(doc: object, origin: str) -> tuple[Violation, ...]:
    """The policy pack's violations on a plan document's resources, evaluated now (default levels)."""
    # Imported here: previews and the library's pure diffing never need the policy pack.
    from mlopsctl.plan_check import PlanDocumentError, plan_policy

    try:
        report = plan_policy(doc, origin)
    except PlanDocumentError as problem:
        raise DiffError(str(problem)) from None
    return tuple(
        Violation(policy=v.policy, level=v.level, severity=v.severity, urn=v.urn, message=v.message)
        for v in report.violations
    )


def diff_files(base: Path, head: Path | None = None) -> Diff:
    """Diff two plan files, or read one preview file (`head` None)."""
    base_doc = read_json(base)
    if head is None:
        if is_preview(base_doc):
            return parse_preview(base_doc, str(base))
        raise DiffError(
            f"{base}: only one file given, so it must be `pulumi preview --json` output; "
            "to compare plans give BASE and HEAD"
        )
    return diff_plans(_plan(base_doc, base), _plan(read_json(head), head))
