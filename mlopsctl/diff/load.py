"""Entry points from files: two plans, or one `pulumi preview --json` document, to a `Diff`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contracts.plan import PLAN_SCHEMA
from mlopsctl.diff.compute import diff_plans
from mlopsctl.diff.model import Diff, DiffError
from mlopsctl.diff.plan_doc import Plan, is_plan, parse_plan, read_json
from mlopsctl.diff.preview_json import is_preview, parse_preview


def _plan(doc: Any, path: Path) -> Plan:
    if is_preview(doc):
        raise DiffError(f"{path}: this is `pulumi preview --json` output, which is already a diff: pass it alone")
    if not is_plan(doc):
        raise DiffError(
            f"{path}: neither a plan (schema {PLAN_SCHEMA!r}) nor `pulumi preview --json` output (top-level 'steps')"
        )
    return parse_plan(doc, str(path))


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
