"""Read and validate the documents a diff starts from: "mlops-plan/1" plans (see the team brief's contract).

Every problem becomes a `DiffError` that names the file and the key, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.plan import PLAN_SCHEMA
from mlopsctl.diff.images_delta import image_entry
from mlopsctl.diff.model import DiffError, ImageEntry, Violation
from mlopsctl.diff.secrets import mask


@dataclass(frozen=True)
class PlanResource:
    """One resource of a plan, inputs already masked."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    protect: bool
    dependencies: tuple[str, ...]
    inputs: Mapping[str, Any]


@dataclass(frozen=True)
class Plan:
    """A validated "mlops-plan/1" document."""

    project: str
    stack: str
    resources: Mapping[str, PlanResource]
    violations: tuple[Violation, ...] | None = None
    """None when the plan has no policy section (policies were not evaluated)."""
    origin: str = field(default="", compare=False)
    images: tuple[ImageEntry, ...] | None = None
    """The image inventory (``deploy.images``); None when the plan has no deploy section."""


def read_json(path: Path) -> Any:
    """Parse a JSON file, turning I/O and syntax problems into `DiffError`s naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DiffError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DiffError(f"{path}: cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DiffError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None


def is_plan(doc: Any) -> bool:
    """Whether `doc` claims to be a plan (it has a `schema` key)."""
    return isinstance(doc, dict) and "schema" in doc


def _field(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
    if key not in obj or obj[key] is None:
        if default is ...:
            raise DiffError(f"{where}.{key}: missing")
        return default
    value = obj[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise DiffError(f"{where}.{key}: expected {names}, got {type(value).__name__}")
    return value


def _violations(policy: Any, where: str) -> tuple[Violation, ...]:
    if not isinstance(policy, dict):
        raise DiffError(f"{where}: expected an object")
    raw = _field(policy, "violations", list, where, [])
    out: list[Violation] = []
    for i, item in enumerate(raw):
        at = f"{where}.violations[{i}]"
        if not isinstance(item, dict):
            raise DiffError(f"{at}: expected an object")
        out.append(
            Violation(
                policy=_field(item, "policy", str, at),
                level=_field(item, "level", str, at),
                severity=_field(item, "severity", str, at, ""),
                urn=_field(item, "urn", str, at, ""),
                message=_field(item, "message", str, at, ""),
            )
        )
    return tuple(out)


def parse_plan(doc: Any, origin: str) -> Plan:
    """Validate a plan document; `origin` (usually the file name) prefixes every error message."""
    if not isinstance(doc, dict):
        raise DiffError(f"{origin}: expected a JSON object")
    schema = doc.get("schema")
    if schema != PLAN_SCHEMA:
        raise DiffError(f"{origin}: schema is {schema!r}; expected {PLAN_SCHEMA!r}")
    project = _field(doc, "project", str, origin)
    stack = _field(doc, "stack", str, origin)
    resources: dict[str, PlanResource] = {}
    for i, raw in enumerate(_field(doc, "resources", list, origin)):
        at = f"{origin}: resources[{i}]"
        if not isinstance(raw, dict):
            raise DiffError(f"{at}: expected an object")
        urn = _field(raw, "urn", str, at)
        if urn in resources:
            raise DiffError(f"{at}.urn: duplicate URN {urn}")
        deps = _field(raw, "dependencies", list, at, [])
        resources[urn] = PlanResource(
            urn=urn,
            type=_field(raw, "type", str, at),
            name=_field(raw, "name", str, at),
            parent=_field(raw, "parent", str, at, None),
            custom=_field(raw, "custom", bool, at, True),
            protect=_field(raw, "protect", bool, at, False),
            dependencies=tuple(sorted(str(d) for d in deps)),
            inputs=mask(_field(raw, "inputs", dict, at, {})),
        )
    policy = doc.get("policy")
    violations = None if policy is None else _violations(policy, f"{origin}: policy")
    return Plan(project, stack, dict(sorted(resources.items())), violations, origin, _images(doc, origin))


def _images(doc: Mapping[str, Any], origin: str) -> tuple[ImageEntry, ...] | None:
    deploy = doc.get("deploy")
    if deploy is None:
        return None
    if not isinstance(deploy, dict):
        raise DiffError(f"{origin}: deploy: expected an object")
    raw = _field(deploy, "images", list, f"{origin}: deploy", [])
    entries = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise DiffError(f"{origin}: deploy.images[{i}]: expected an object")
        entry = image_entry(item)
        if entry is not None:
            entries.append(entry)
    return tuple(entries)


def load_plan(path: Path) -> Plan:
    """Read and validate a plan file."""
    return parse_plan(read_json(path), str(path))
