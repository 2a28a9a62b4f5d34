"""Property paths in Pulumi's own notation: `a.b[2].c`, and `a["key.with.dots"]` for unusual keys.

This is the format of `resource.PropertyPath.String()`, which `detailedDiff` keys in `pulumi preview
--json` use too, so paths from both inputs compare as strings and as segments.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

Segment = str | int
"""A map key or a list index."""

_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$\-]*\Z")
_TOKEN = re.compile(r'\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([^.\[\]]+)')


def format_path(segments: Sequence[Segment]) -> str:
    """Render segments as a Pulumi property path: `("a", "b", 2, "c")` -> `a.b[2].c`."""
    out: list[str] = []
    for seg in segments:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        elif _PLAIN_KEY.match(seg):
            out.append(f".{seg}" if out else seg)
        else:
            # Keys with dots, spaces or brackets are quoted so the path stays unambiguous.
            out.append(f"[{json.dumps(seg, ensure_ascii=False)}]")
    return "".join(out)


def parse_path(path: str) -> tuple[Segment, ...]:
    """Split a Pulumi property path back into segments (inverse of `format_path`)."""
    segments: list[Segment] = []
    for index, quoted, plain in _TOKEN.findall(path):
        if index:
            segments.append(int(index))
        elif plain:
            segments.append(plain)
        else:
            segments.append(json.loads(f'"{quoted}"'))
    return tuple(segments)


def keys_only(segments: Sequence[Segment]) -> tuple[str, ...]:
    """Drop list indices: `vpcConfig.subnetIds[1]` -> `("vpcConfig", "subnetIds")`."""
    return tuple(s for s in segments if isinstance(s, str))


def overlaps(a: Sequence[str], b: Sequence[str]) -> bool:
    """True when one key path is a prefix of the other (a change at either touches both)."""
    n = min(len(a), len(b))
    return n > 0 and tuple(a[:n]) == tuple(b[:n])


ABSENT: Any = object()
"""Marks a path that does not exist in a value."""


def dig(value: Any, keys: Sequence[str]) -> Any:
    """The value at `keys` below `value`, looking through lists (one result per element); `ABSENT` if missing."""
    if not keys:
        return value
    if isinstance(value, dict):
        return dig(value[keys[0]], keys[1:]) if keys[0] in value else ABSENT
    if isinstance(value, list):
        return [dig(v, keys) for v in value]
    return ABSENT
