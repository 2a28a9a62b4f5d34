"""Property-level differences between two (masked) input maps, as `PropertyChange`s in path order.

Shared by the plan-vs-plan diff and the preview reader, so both show the same paths and values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mlopsctl.diff.model import SECRET, PropertyChange, PropOp
from mlopsctl.diff.paths import Segment, format_path
from mlopsctl.diff.replacements import forcing_match
from mlopsctl.diff.secrets import mask


def same_value(a: Any, b: Any) -> bool:
    """JSON equality that keeps `True != 1` and `1 == 1.0` (plans write integral floats as ints)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _leaf(path: tuple[Segment, ...], op: PropOp, before: Any, after: Any, type_: str) -> PropertyChange:
    forced = forcing_match(type_, path, before, after) is not None if type_ else False
    if before == SECRET or after == SECRET:
        # Whatever the other side holds, a secret slot is reported without values.
        return PropertyChange(format_path(path), op, secret=True, forces_replacement=forced)
    return PropertyChange(format_path(path), op, before, after, forces_replacement=forced)


def _json_document(value: Any) -> Any:
    """The decoded value of a string holding a JSON object or array (IAM policies, provider settings)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            decoded = json.loads(value)
        except ValueError:
            return None
        return mask(decoded) if isinstance(decoded, dict | list) else None
    return None


def _walk(before: Any, after: Any, path: tuple[Segment, ...], type_: str, out: list[PropertyChange]) -> None:
    if isinstance(before, str) and isinstance(after, str) and before != after:
        # Compare JSON documents held in strings structurally, so a policy change shows the statement.
        old_doc, new_doc = _json_document(before), _json_document(after)
        if old_doc is not None and new_doc is not None:
            _walk(old_doc, new_doc, path, type_, out)
            return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys()):
            sub = (*path, key)
            if key not in after:
                out.append(_leaf(sub, PropOp.REMOVE, before[key], None, type_))
            elif key not in before:
                out.append(_leaf(sub, PropOp.ADD, None, after[key], type_))
            else:
                _walk(before[key], after[key], sub, type_, out)
    elif isinstance(before, list) and isinstance(after, list):
        for i in range(max(len(before), len(after))):
            sub = (*path, i)
            if i >= len(after):
                out.append(_leaf(sub, PropOp.REMOVE, before[i], None, type_))
            elif i >= len(before):
                out.append(_leaf(sub, PropOp.ADD, None, after[i], type_))
            else:
                _walk(before[i], after[i], sub, type_, out)
    elif not same_value(before, after):
        out.append(_leaf(path, PropOp.UPDATE, before, after, type_))


def diff_inputs(before: Mapping[str, Any], after: Mapping[str, Any], type_: str = "") -> list[PropertyChange]:
    """Every changed leaf between two input maps, sorted by path.

    With `type_`, changes touching a replacement-forcing property of that type (see `replacements`)
    are marked `forces_replacement`; without it nothing is marked (the real preview knows better).
    """
    out: list[PropertyChange] = []
    _walk(dict(before), dict(after), (), type_, out)
    return out
