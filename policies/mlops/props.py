"""Small, total accessors for resource inputs as the analyzer hands them to rules.

Inputs arrive as nested ``Mapping``/``Sequence`` proxies (not ``dict``/``list``), numbers as
floats, and some booleans as strings (e.g. ``LaunchTemplate.blockDeviceMappings[].ebs.encrypted``
is ``"true"``). These helpers never raise on a missing or mistyped value; they do let
``UnknownValueError`` through, so a rule touching an unknown value is reported as "can't be
known during preview", as in the real engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError


def get(value: Any, *path: str | int) -> Any:
    """``value[p0][p1]...`` or ``None`` as soon as a step is missing or of the wrong kind."""
    for step in path:
        if isinstance(step, int):
            if not is_list(value) or not -len(value) <= step < len(value):
                return None
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return None
            value = value[step]
    return value


def is_list(value: Any) -> bool:
    """A JSON array (list or list proxy), not a string."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def as_list(value: Any) -> list[Any]:
    """The items of an array value; ``[]`` for anything else (``None`` included)."""
    return list(value) if is_list(value) else []


def as_map(value: Any) -> Mapping[str, Any]:
    """A JSON object value, or an empty mapping."""
    return value if isinstance(value, Mapping) else {}


def as_strs(value: Any) -> list[str]:
    """A string or an array of strings as a list of strings (IAM ``Action``/``Resource`` style)."""
    if isinstance(value, str):
        return [value]
    return [item for item in as_list(value) if isinstance(item, str)]


def is_true(value: Any) -> bool:
    """``True`` or the string ``"true"`` (case-insensitive)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_false(value: Any) -> bool:
    """``False`` or the string ``"false"`` (case-insensitive): an explicit "off"."""
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def as_number(value: Any) -> float | None:
    """A number (wire numbers are floats) or a numeric string; ``None`` otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def json_value(value: Any) -> Any:
    """Decode a JSON document given as a string (IAM policies, add-on config); pass objects through.

    Returns ``None`` for an empty value and raises ``ValueError`` for a malformed document.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return json.loads(value)
    return value


def walk(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every ``(path, key, value)`` pair of a nested object, depth first (Helm values scans).

    Values unknown during preview are skipped: they are computed from other resources' outputs,
    so they are never literals written in the program, which is what scanning rules look for.
    """
    if isinstance(value, Mapping):
        for key in value:
            try:
                child = value[key]
            except UnknownValueError:
                continue
            child_path = f"{path}.{key}" if path else str(key)
            yield child_path, str(key), child
            yield from walk(child, child_path)
    elif is_list(value):
        for index in range(len(value)):
            try:
                child = value[index]
            except UnknownValueError:
                continue
            child_path = f"{path}[{index}]"
            yield from walk(child, child_path)


def known(props: Mapping[str, Any], key: str) -> Any:
    """``props[key]``, or ``None`` when missing or unknown during preview (for best-effort joins)."""
    try:
        return props.get(key)
    except UnknownValueError:
        return None


def present(props: Mapping[str, Any], key: str) -> bool:
    """True when ``key`` holds a non-empty value, or a value unknown during preview (it will hold one)."""
    if not any(k == key for k in props):
        return False
    try:
        value = props[key]
    except UnknownValueError:
        return True
    return value not in (None, "")
