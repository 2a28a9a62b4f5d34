"""Re-run every check on a plan document (``mlops-plan/1``) from its resources, never from its own verdict.

A plan file is data anyone can edit: its ``policy`` and ``deploy`` sections say what was found when it
was written, not what its resources hold now. :func:`graph_from_plan` turns the document back into the
engine's :class:`~mlopsctl.engine.Graph`, so the policy pack, the connectivity matrix, the deploy
invariants and the budget run exactly as ``mlopsctl plan`` runs them. ``mlopsctl check`` and
``mlopsctl diff`` (for plans read from files) both use it.

The round trip is faithful because a plan keeps the inputs as the engine received them, masked in three
ways only, each of which the analyzer cannot tell apart from the original:

* ``"[unknown]"`` becomes the engine's unknown sentinel again (rules touching it report "can't run during
  preview", as in a real preview);
* ``"[secret]"`` becomes a secret holding that text (the analyzer unwraps secrets before rules run, and
  rules treat any literal alike);
* numbers become wire numbers (doubles) again.

Anything that is not a plan is a :class:`PlanDocumentError` naming the file and the JSON path at fault.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from google.protobuf import json_format, struct_pb2

from contracts.plan import PLAN_SCHEMA
from contracts.wire import SECRET_MARK, SECRET_SIG, SIG_KEY, UNKNOWN, UNKNOWN_MARK
from mlopsctl.cost import CostError, PriceError, UsageError
from mlopsctl.engine import Graph, Registration
from mlopsctl.policy import PolicyConfigError, PolicyEvaluationError, PolicyReport, evaluate
from mlopsctl.report import PlanReport
from mlopsctl.wire import mask


class PlanDocumentError(ValueError):
    """Not a usable plan document: the message names the file (origin) and, where it can, the JSON path."""


_JSON_TYPES: dict[type, str] = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def read_plan_file(path: Path) -> Any:
    """The parsed JSON of ``path``; unreadable files and invalid JSON are :class:`PlanDocumentError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanDocumentError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PlanDocumentError(f"{path}: is a directory, not a plan file") from None
    except (OSError, UnicodeDecodeError) as problem:
        raise PlanDocumentError(f"{path}: cannot read: {problem}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as problem:
        raise PlanDocumentError(
            f"{path}: not valid JSON (line {problem.lineno}, column {problem.colno}: {problem.msg})"
        ) from None
    except RecursionError:
        raise PlanDocumentError(f"{path}: JSON nested too deeply") from None


def graph_from_plan(doc: Any, origin: str) -> Graph:
    """The graph a plan document describes, validated field by field (``origin`` prefixes every error)."""
    try:
        return _graph(doc, origin)
    except RecursionError:
        raise PlanDocumentError(f"{origin}: nested too deeply to be a plan") from None


def plan_policy(doc: Any, origin: str, *, today: date | None = None) -> PolicyReport:
    """The policy pack (default enforcement levels) evaluated afresh on a plan document's resources."""
    graph = graph_from_plan(doc, origin)
    try:
        return evaluate(graph, today=today)
    except PolicyEvaluationError as problem:
        raise _evaluation_error(problem, doc, origin) from None


def check_plan(
    doc: Any, origin: str, *, project_dir: Path = Path("."), policy_config: dict[str, Any] | None = None
) -> PlanReport:
    """Everything ``mlopsctl plan`` evaluates, re-run on a plan document: policy pack (with ``policy_config``,
    the ``--policy-pack-config`` shape), connectivity, deploy invariants and budget (prices from
    ``project_dir``). Raises :class:`~mlopsctl.policy.PolicyConfigError` for a bad ``policy_config``."""
    graph = graph_from_plan(doc, origin)
    try:
        return PlanReport.evaluate(graph, project_dir=project_dir, policy_config=policy_config)
    except PolicyConfigError:
        raise
    except PolicyEvaluationError as problem:
        raise _evaluation_error(problem, doc, origin) from None
    except (CostError, PriceError, UsageError) as problem:  # e.g. an edited `mlops:budget` in the plan's config
        raise PlanDocumentError(f"{origin}: the budget check cannot use this plan: {problem}") from None
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, ArithmeticError, RecursionError) as problem:
        # The checks trust the shapes the program writes (flows, NetworkPolicy specs, Helm values); a
        # hand-edited document may break them. That is bad input, reported as such, not a traceback.
        raise PlanDocumentError(
            f"{origin}: the {_stage(problem)} cannot read this plan: {type(problem).__name__}: {problem} "
            "(a value has a shape `mlopsctl plan` never writes)"
        ) from None


_STAGES = (
    ("/mlopsctl/deploy/", "deploy invariants check"),
    ("/mlopsctl/cost/", "budget check"),
    ("reachability", "connectivity check"),
    ("/mlopsctl/connectivity", "connectivity check"),
    ("/policies/", "policy pack"),
)


def _stage(problem: BaseException) -> str:
    """Which check a crash came from (the innermost frame of this tool or the pack), for the message."""
    for frame in reversed(traceback.extract_tb(problem.__traceback__)):
        filename = frame.filename.replace("\\", "/")
        for marker, stage in _STAGES:
            if marker in filename:
                return stage
    return "checks"


def _evaluation_error(problem: PolicyEvaluationError, doc: Any, origin: str) -> PlanDocumentError:
    """A rule that crashed on a document: name the resource's JSON path when the URN is in the message."""
    where = ""
    for index, raw in enumerate(doc.get("resources", []) if isinstance(doc, dict) else []):
        if isinstance(raw, dict) and isinstance(raw.get("urn"), str) and raw["urn"] in str(problem):
            where = f" resources[{index}]:"
            break
    return PlanDocumentError(f"{origin}:{where} cannot be evaluated: {problem}")


# --- validation ---------------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _get(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
    """``obj[key]`` if it has the JSON type ``kind``; missing (or null) gives ``default`` or an error."""
    if obj.get(key) is None:
        if default is ...:
            raise PlanDocumentError(f"{where}.{key}: missing")
        return default
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
        expected = " or ".join(dict.fromkeys(_JSON_TYPES.get(k, k.__name__) for k in kinds))
        raise PlanDocumentError(f"{where}.{key}: expected {expected}, got {_kind(value)}")
    return value


def _strings(value: list[Any], where: str) -> tuple[str, ...]:
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise PlanDocumentError(f"{where}[{index}]: expected a string (a URN), got {_kind(item)}")
    return tuple(value)


def _graph(doc: Any, origin: str) -> Graph:
    if not isinstance(doc, dict):
        raise PlanDocumentError(f"{origin}: expected a plan (a JSON object), got {_kind(doc)}")
    if "schema" not in doc:
        hint = " (this is `pulumi preview --json` output)" if "steps" in doc else ""
        raise PlanDocumentError(f"{origin}: not a plan: no 'schema' key{hint}; expected schema {PLAN_SCHEMA!r}")
    if doc["schema"] != PLAN_SCHEMA:
        raise PlanDocumentError(f"{origin}: schema: {doc['schema']!r}; expected {PLAN_SCHEMA!r}")
    where = f"{origin}: $"
    project = _get(doc, "project", str, where)
    stack = _get(doc, "stack", str, where)
    raw_resources = _get(doc, "resources", list, where)
    outputs = _get(doc, "outputs", dict, where, {})
    config = _get(doc, "config", dict, where, {})
    resources: dict[str, Registration] = {}
    for index, raw in enumerate(raw_resources):
        registration = _registration(raw, f"{origin}: resources[{index}]")
        if registration.urn in resources:
            raise PlanDocumentError(f"{origin}: resources[{index}].urn: duplicate URN {registration.urn}")
        resources[registration.urn] = registration
    _no_signatures(outputs, f"{origin}: outputs")
    return Graph(
        project=project,
        stack=stack,
        config={key: _config_text(value, f"{origin}: config.{key}") for key, value in sorted(config.items())},
        resources=tuple(resources[urn] for urn in sorted(resources)),
        outputs=mask(outputs),
    )


def _registration(raw: Any, where: str) -> Registration:
    if not isinstance(raw, dict):
        raise PlanDocumentError(f"{where}: expected an object, got {_kind(raw)}")
    inputs = _get(raw, "inputs", dict, where, {})
    wire_json = _wire(inputs, f"{where}.inputs")
    property_dependencies: dict[str, tuple[str, ...]] = {}
    for key, urns in _get(raw, "propertyDependencies", dict, where, {}).items():
        if not isinstance(urns, list):
            raise PlanDocumentError(f"{where}.propertyDependencies.{key}: expected an array, got {_kind(urns)}")
        property_dependencies[key] = _strings(urns, f"{where}.propertyDependencies.{key}")
    try:
        wire = json_format.ParseDict(wire_json, struct_pb2.Struct())
    except json_format.ParseError as problem:
        raise PlanDocumentError(f"{where}.inputs: not representable as Pulumi inputs: {problem}") from None
    return Registration(
        urn=_get(raw, "urn", str, where),
        type=_get(raw, "type", str, where),
        name=_get(raw, "name", str, where),
        parent=_get(raw, "parent", str, where, None),
        custom=_get(raw, "custom", bool, where, True),
        remote=False,
        provider=_get(raw, "provider", str, where, None),
        dependencies=_strings(_get(raw, "dependencies", list, where, []), f"{where}.dependencies"),
        property_dependencies=property_dependencies,
        protect=_get(raw, "protect", bool, where, False),
        retain_on_delete=_get(raw, "retainOnDelete", bool, where, False),
        inputs=mask(inputs),
        wire=wire,
        wire_json=wire_json,
        import_id=_get(raw, "importId", str, where, ""),
    )


def _wire(value: Any, where: str) -> Any:
    """Plan inputs back in wire form (see the module docstring): what the analyzer is fed."""
    if isinstance(value, dict):
        if SIG_KEY in value:
            raise PlanDocumentError(
                f"{where}: a Pulumi wire signature object; plans write {SECRET_MARK!r} and {UNKNOWN_MARK!r} instead"
            )
        return {key: _wire(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_wire(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if value in (UNKNOWN_MARK, UNKNOWN):
        return UNKNOWN
    if value == SECRET_MARK:
        return {SIG_KEY: SECRET_SIG, "value": SECRET_MARK}
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise PlanDocumentError(f"{where}: number {str(value)[:20]}… is out of range") from None
    return value


def _no_signatures(value: Any, where: str) -> None:
    if isinstance(value, dict):
        if SIG_KEY in value:
            raise PlanDocumentError(f"{where}: a Pulumi wire signature object; plans hold plain values")
        for key, item in value.items():
            _no_signatures(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_signatures(item, f"{where}[{index}]")


def _config_text(value: Any, where: str) -> str:
    """A config value as the Pulumi CLI passes it to programs and policy packs: text, structured ones as JSON."""
    if isinstance(value, str):
        return value
    _no_signatures(value, where)
    return json.dumps(value)
