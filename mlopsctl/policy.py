"""Offline policy evaluation: the pack's own rule objects run against the offline engine's graph.

Rules are fed the way ``pulumi_policy``'s analyzer server feeds them (``_PolicyAnalyzerServicer``
in ``pulumi_policy/policy.py``):

* props = ``pulumi_policy.deserialize.deserialize_properties(MessageToDict(wire))`` (the engine
  converts each Struct once: ``Registration.wire_json``) wrapped in
  ``pulumi_policy.proxy.unknown_checking_proxy``; before that, the wire is reduced to what the
  engine sends analyzers (resource references become the referenced id, or URN for components;
  output values become their value or an unknown), since the engine marshals analyzer inputs
  without resource references or output values;
* resource rules get ``ResourceValidationArgs`` for every registration, with its provider's
  inputs (an explicit provider registration, else the default provider built from the stack's
  ``<package>:*`` config, as the engine does);
* stack rules get ``StackValidationArgs`` with every registration as a ``PolicyResource`` whose
  parent, dependencies and property dependencies point at the other ``PolicyResource`` objects;
* ``UnknownValueError`` becomes an advisory "can't run during preview" finding and
  ``args.not_applicable`` is recorded, exactly as the server does; awaitables are run to completion.

Two deliberate shortcuts keep a 400-resource graph well under 100 ms: each resource's props proxy
and the stack's ``PolicyResource`` list are built once per evaluation and shared by all rules
(the server rebuilds them per rule; rules never mutate them), and a rule is only called for the
resource types it declares (its validate callback returns at once for any other type).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from contracts.wire import OUTPUT_SIG, RESOURCE_SIG, SECRET_SIG, SIG_KEY
from mlopsctl.engine import Graph, Registration
from policies.exemptions import CODE_EXEMPTIONS
from policies.mlops.context import build_context, use_context
from policies.mlops.exemption import Exemption, sorted_exemptions
from policies.mlops.pack import PACK_NAME, RULES
from policies.mlops.rule import Level, Rule, RuleMeta

LEVELS = ("advisory", "mandatory", "remediate", "disabled")


class PolicyConfigError(ValueError):
    """A policy config (``--policy-pack-config`` shape) that cannot be used."""


class PolicyEvaluationError(RuntimeError):
    """A rule raised an unexpected exception (a bug in the rule, not a finding)."""


@dataclass(frozen=True, order=True)
class Violation:
    """One finding."""

    urn: str
    policy: str
    message: str
    level: str
    severity: str

    def to_json(self) -> dict[str, str]:
        """``{"policy", "level", "severity", "urn", "message"}``."""
        return {
            "policy": self.policy,
            "level": self.level,
            "severity": self.severity,
            "urn": self.urn,
            "message": self.message,
        }


@dataclass(frozen=True)
class PolicyReport:
    """The outcome of one evaluation."""

    pack: str
    stack_urn: str
    violations: tuple[Violation, ...]
    """Sorted by URN, policy, message."""
    exemptions: tuple[dict[str, Any], ...]
    """Every declared exemption with its status and the URNs whose violations it suppressed."""
    rules: tuple[RuleMeta, ...]
    """Metadata of every rule that ran (SARIF driver rules)."""
    not_applicable: tuple[tuple[str, str, str], ...] = field(default=())
    """``(policy, urn, reason)`` for each ``args.not_applicable`` call."""

    def to_json(self) -> dict[str, Any]:
        """The plan's ``policy`` section: ``{"pack", "violations", "exemptions"}``."""
        return {
            "pack": self.pack,
            "violations": [v.to_json() for v in self.violations],
            "exemptions": [dict(e) for e in self.exemptions],
        }

    def has_mandatory(self) -> bool:
        """True when a mandatory rule is violated (``mlopsctl plan`` exits 1)."""
        return any(v.level == "mandatory" for v in self.violations)

    def by_level(self, level: str) -> list[Violation]:
        """The violations of one enforcement level."""
        return [v for v in self.violations if v.level == level]


def evaluate(
    graph: Graph,
    *,
    today: date | None = None,
    rules: Sequence[Rule] = RULES,
    policy_config: Mapping[str, Any] | None = None,
    code_exemptions: tuple[Exemption, ...] = CODE_EXEMPTIONS,
) -> PolicyReport:
    """Run ``rules`` (default: the whole pack) against ``graph``.

    ``today`` fixes the date exemptions expire against (default: today, UTC). ``policy_config``
    takes the ``--policy-pack-config`` JSON shape (``{"all": "advisory", "<rule>":
    {"enforcementLevel": "disabled", ...}}``). Raises :class:`PolicyConfigError` for a bad config.
    """
    levels, configs = _read_policy_config(policy_config or {}, {rule.name for rule in rules})
    evaluation_day = today or datetime.now(UTC).date()
    suppressed: dict[tuple[str, str], set[str]] = {}

    def on_exempted(exemption: Exemption, _policy: str, urn: str, _message: str) -> None:
        suppressed.setdefault((exemption.id, exemption.source), set()).add(urn)

    ctx = build_context(
        stack=graph.stack,
        config=graph.config,
        today=evaluation_day,
        code_exemptions=code_exemptions,
        on_exempted=on_exempted,
    )
    stack_urn = f"urn:pulumi:{graph.stack}::{graph.project}::pulumi:pulumi:Stack::{graph.project}-{graph.stack}"
    inputs = _AnalyzerInputs(graph)
    collector = _Collector(stack_urn)
    with use_context(ctx):
        for rule in rules:
            level = levels.get(rule.name, rule.meta.level.value)
            if level == "disabled":
                continue
            # As the server does: a violated "remediate" rule is reported as mandatory.
            reported_level = "mandatory" if level == "remediate" else level
            config = configs.get(rule.name)
            if rule.meta.kind == "stack":
                _run_stack_rule(rule, reported_level, config, inputs, collector)
            else:
                _run_resource_rule(rule, reported_level, config, inputs, collector)

    exemptions = []
    for item in sorted_exemptions(ctx.exemptions):
        entry = item.to_json(evaluation_day)
        entry["suppressed"] = sorted(suppressed.get((item.id, item.source), ()))
        exemptions.append(entry)
    return PolicyReport(
        pack=PACK_NAME,
        stack_urn=stack_urn,
        violations=tuple(sorted(set(collector.violations))),
        exemptions=tuple(exemptions),
        rules=tuple(rule.meta for rule in rules),
        not_applicable=tuple(sorted(collector.not_applicable)),
    )


def _read_policy_config(raw: Mapping[str, Any], names: set[str]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Enforcement-level overrides and per-rule properties from a ``--policy-pack-config`` map."""
    levels: dict[str, str] = {}
    configs: dict[str, dict[str, Any]] = {}
    everything: str | None = None
    for key, value in raw.items():
        if key != "all" and key not in names:
            raise PolicyConfigError(f"policy config: unknown policy {key!r}; known: all, {', '.join(sorted(names))}")
        entry = {"enforcementLevel": value} if isinstance(value, str) else value
        if not isinstance(entry, Mapping):
            raise PolicyConfigError(f"policy config: {key!r} must be an enforcement level or an object")
        level = entry.get("enforcementLevel")
        if level is not None and level not in LEVELS:
            raise PolicyConfigError(f"policy config: {key}.enforcementLevel {level!r}; allowed: {', '.join(LEVELS)}")
        if key == "all":
            everything = level
            continue
        if level is not None:
            levels[key] = level
        properties = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        if properties:
            configs[key] = properties
    if everything is not None:
        levels = {name: levels.get(name, everything) for name in names}
    return levels, configs


class _Collector:
    """Gathers violations and not-applicable notes in the analyzer's terms."""

    def __init__(self, stack_urn: str) -> None:
        self.stack_urn = stack_urn
        self.violations: list[Violation] = []
        self.not_applicable: list[tuple[str, str, str]] = []

    def reporter(self, meta: RuleMeta, level: str, default_urn: str) -> Callable[..., None]:
        def report_violation(message: str, urn: str | None = None) -> None:
            self.violations.append(
                Violation(
                    urn=urn or default_urn or self.stack_urn,
                    policy=meta.name,
                    message=message,
                    level=level,
                    severity=meta.severity.value,
                )
            )

        return report_violation

    def run(self, meta: RuleMeta, level: str, urn: str, call: Callable[[], Any]) -> None:
        """Call a validate function with the server's exception handling."""
        try:
            result = call()
            if isawaitable(result):
                _run_to_completion(result)
        except UnknownValueError as exc:
            self.violations.append(
                Violation(
                    urn=urn or self.stack_urn,
                    policy=meta.name,
                    message=f"can't run policy '{meta.name}' during preview: {exc.message}",
                    level=Level.ADVISORY.value,
                    severity=meta.severity.value,
                )
            )
        except _NotApplicableError as exc:
            self.not_applicable.append((meta.name, urn or self.stack_urn, exc.reason or ""))
        except Exception as exc:
            where = urn or "the stack"
            raise PolicyEvaluationError(f"policy {meta.name} failed on {where}: {exc!r}") from exc


async def _awaited(result: Any) -> Any:
    return await result


def _run_to_completion(awaitable: Any) -> None:
    """Run an async rule on a private loop. ``asyncio.run`` would unset the thread's current event
    loop, which Pulumi's runtime (``_sync_await``) relies on in the same process."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_awaited(awaitable))
    finally:
        loop.close()


def _run_resource_rule(
    rule: Rule, level: str, config: dict[str, Any] | None, inputs: _AnalyzerInputs, collector: _Collector
) -> None:
    for registration in inputs.of_types(rule.meta.resource_types):
        args = ResourceValidationArgs(
            registration.type,
            inputs.props(registration),
            registration.urn,
            registration.name,
            inputs.options(registration),
            inputs.provider(registration),
            config,
            {},
        )
        report = collector.reporter(rule.meta, level, registration.urn)
        collector.run(rule.meta, level, registration.urn, partial(rule.policy.validate, args, report))


def _run_stack_rule(
    rule: Rule, level: str, config: dict[str, Any] | None, inputs: _AnalyzerInputs, collector: _Collector
) -> None:
    args = StackValidationArgs(inputs.stack_resources(), config, {})
    report = collector.reporter(rule.meta, level, "")
    collector.run(rule.meta, level, "", partial(rule.policy.validate, args, report))


class _AnalyzerInputs:
    """What the analyzer server would build from each registration, built once and shared."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._props: dict[str, Mapping[str, Any]] = {}
        self._providers: dict[str, PolicyProviderResource | None] = {}
        self._stack: list[PolicyResource] | None = None
        self._urns = {r.urn: r for r in graph.resources}
        self._by_type: dict[str, list[Registration]] = {}
        for registration in graph.resources:
            self._by_type.setdefault(registration.type, []).append(registration)

    def of_types(self, types: Sequence[str]) -> list[Registration]:
        """Registrations of these types (each type once, graph order within a type)."""
        return [r for t in dict.fromkeys(types) for r in self._by_type.get(t, ())]

    def props(self, registration: Registration) -> Mapping[str, Any]:
        cached = self._props.get(registration.urn)
        if cached is None:
            wire = _engine_view(registration.wire_json)
            cached = unknown_checking_proxy(deserialize_properties(wire))
            self._props[registration.urn] = cached
        return cached

    def options(self, registration: Registration) -> PolicyResourceOptions:
        return PolicyResourceOptions(
            registration.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], registration.parent
        )

    def provider(self, registration: Registration) -> PolicyProviderResource | None:
        if registration.provider:
            key = registration.provider.rsplit("::", 1)[0]
        elif registration.custom and not registration.type.startswith("pulumi:providers:"):
            key = "default:" + registration.type.split(":", 1)[0]
        else:
            return None
        if key not in self._providers:
            self._providers[key] = self._build_provider(key)
        return self._providers[key]

    def _build_provider(self, key: str) -> PolicyProviderResource | None:
        if key.startswith("default:"):
            # The engine configures a default provider from the stack's "<package>:*" config keys.
            package = key.removeprefix("default:")
            props = {k.split(":", 1)[1]: v for k, v in self.graph.config.items() if k.startswith(f"{package}:")}
            urn = f"urn:pulumi:{self.graph.stack}::{self.graph.project}::pulumi:providers:{package}::default"
            return PolicyProviderResource(f"pulumi:providers:{package}", unknown_checking_proxy(props), urn, "default")
        provider = self._urns.get(key)
        if provider is None:
            return None
        return PolicyProviderResource(provider.type, self.props(provider), provider.urn, provider.name)

    def stack_resources(self) -> list[PolicyResource]:
        if self._stack is None:
            by_urn: dict[str, PolicyResource] = {}
            for registration in self.graph.resources:
                by_urn[registration.urn] = PolicyResource(
                    registration.type,
                    self.props(registration),
                    registration.urn,
                    registration.name,
                    self.options(registration),
                    self.provider(registration),
                    None,
                    [],
                    {},
                )
            for registration in self.graph.resources:
                resource = by_urn[registration.urn]
                if registration.parent in by_urn:
                    resource.parent = by_urn[registration.parent]
                resource.dependencies = [by_urn[d] for d in registration.dependencies if d in by_urn]
                resource.property_dependencies = {
                    k: [by_urn[d] for d in deps if d in by_urn]
                    for k, deps in registration.property_dependencies.items()
                }
            self._stack = list(by_urn.values())
        return self._stack


def _engine_view(value: Any) -> Any:
    """Reduce SDK wire values to what the engine sends analyzers (no resource refs, no output values)."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == RESOURCE_SIG:
            # Custom resources become their id (unknown while unassigned), components their URN.
            return value["id"] if "id" in value else value.get("urn", UNKNOWN_STRING_VALUE)
        if sig == OUTPUT_SIG:
            if "value" not in value:
                return UNKNOWN_STRING_VALUE
            inner = _engine_view(value["value"])
            return {SIG_KEY: SECRET_SIG, "value": inner} if value.get("secret") else inner
        return {k: _engine_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_engine_view(v) for v in value]
    return value
