"""The typed rule wrapper shared by the policy pack and the offline tools.

A rule module declares ``RULE = resource_rule(...)`` or ``RULE = stack_rule(...)``. The wrapper
holds the metadata CrossGuard has no field for in every engine (severity, remediation, the
resource types a rule looks at) and builds the real ``pulumi_policy`` policy object
(``RULE.policy``) whose ``validate`` callback:

* skips resources of other types (the Python SDK has no ``validate_resource_of_type``);
* hands the check a typed view of the resource (``ResourceInput``) or stack (``StackInput``);
* drops violations covered by an active exemption (see :mod:`policies.mlops.exemption`).

Unknown values (``pulumi preview`` of not-yet-created resources) raise
``pulumi_policy.proxy.UnknownValueError`` on access, exactly as in the real analyzer, which turns
it into an advisory "can't run during preview" diagnostic. Stack rules check many resources, so
:meth:`StackInput.item` keeps one unknown value from hiding the violations of the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NoReturn

import pulumi_policy
from pulumi_policy.proxy import UnknownValueError

from policies.mlops.context import StackContext, current


class Level(StrEnum):
    """Enforcement level (``disabled`` is set through policy config, never in code)."""

    ADVISORY = "advisory"
    MANDATORY = "mandatory"


class Severity(StrEnum):
    """How bad a violation is (CrossGuard severities)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True)
class RuleMeta:
    """Everything a report needs to know about a rule."""

    name: str
    """``<service>-<resource>-<check>``, unique in the pack."""
    description: str
    """One sentence: what compliant looks like."""
    level: Level
    severity: Severity
    remediation: str
    """What to change in the program or stack config to comply."""
    kind: str
    """``resource`` (checks one resource's inputs) or ``stack`` (checks relations between resources)."""
    resource_types: tuple[str, ...]
    """Pulumi type tokens the rule looks at (documentation and fast filtering)."""


Report = Callable[[str], None]
"""Report a violation of the resource being checked."""

StackReport = Callable[[str, str | None], None]
"""Report a violation, attributed to a resource URN (or ``None`` for the stack as a whole)."""


@dataclass(frozen=True)
class ResourceInput:
    """One resource as a resource rule sees it (inputs, as registered)."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]
    """Wire (camelCase) inputs behind the analyzer's unknown-checking proxy."""
    provider_props: Mapping[str, Any] | None
    """Inputs of the resource's provider (default tags, region), when the engine passes them."""
    policy_config: Mapping[str, Any]
    """This rule's policy config (``--policy-pack-config``)."""
    stack: StackContext
    args: Any = field(repr=False)
    """The raw ``pulumi_policy.ResourceValidationArgs``."""

    def not_applicable(self, reason: str) -> NoReturn:
        """Mark the rule as not applicable to this resource (the engine records the reason)."""
        self.args.not_applicable(reason)
        raise AssertionError("not_applicable must raise")  # pragma: no cover - the SDK always raises


@dataclass
class StackResource:
    """One resource of the stack as stack rules see it (built from ``pulumi_policy.PolicyResource``)."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]
    parent: str | None
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    provider_props: Mapping[str, Any] | None

    def depends_through(self, prop: str, urn: str) -> bool:
        """True when input ``prop`` was computed from resource ``urn`` (e.g. ``bucket`` from a Bucket)."""
        return urn in self.property_dependencies.get(prop, ())


class StackInput:
    """The whole stack as a stack rule sees it."""

    def __init__(self, resources: list[StackResource], policy_config: Mapping[str, Any], stack: StackContext) -> None:
        self.resources = resources
        self.policy_config = policy_config
        self.stack = stack
        self._by_type: dict[str, list[StackResource]] = {}
        for resource in resources:
            self._by_type.setdefault(resource.type, []).append(resource)
        self.first_unknown: UnknownValueError | None = None

    def of_type(self, *types: str) -> list[StackResource]:
        """Resources of any of these type tokens, in stack order."""
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        wanted = set(types)
        return [r for r in self.resources if r.type in wanted]

    @contextmanager
    def item(self) -> Iterator[None]:
        """Check one item; an unknown value skips only this item (re-raised once the rule is done)."""
        try:
            yield
        except UnknownValueError as exc:
            if self.first_unknown is None:
                self.first_unknown = exc


ResourceCheck = Callable[[ResourceInput, Report], None]
StackCheck = Callable[[StackInput, StackReport], None]


@dataclass(frozen=True)
class Rule:
    """A rule: its metadata and the ``pulumi_policy`` object the engine runs."""

    meta: RuleMeta
    policy: Any
    """``pulumi_policy.ResourceValidationPolicy`` or ``pulumi_policy.StackValidationPolicy``."""

    @property
    def name(self) -> str:
        """The rule name (``meta.name``)."""
        return self.meta.name


_SDK_LEVEL = {Level.ADVISORY: "ADVISORY", Level.MANDATORY: "MANDATORY"}


def _sdk_enums(level: Level, severity: Severity) -> tuple[Any, Any]:
    return (
        getattr(pulumi_policy.EnforcementLevel, _SDK_LEVEL[level]),
        getattr(pulumi_policy.Severity, severity.name),
    )


def _exemption_aware(ctx: StackContext, policy: str, report: Callable[[str, str | None], None]) -> StackReport:
    def report_unless_exempted(message: str, urn: str | None) -> None:
        exemption = ctx.active_exemption(policy, urn) if urn else None
        if exemption is not None:
            if ctx.on_exempted is not None:
                ctx.on_exempted(exemption, policy, urn or "", message)
            return
        report(message, urn)

    return report_unless_exempted


def _provider_props(provider: Any) -> Mapping[str, Any] | None:
    return provider.props if provider is not None else None


def resource_rule(
    *,
    name: str,
    description: str,
    level: Level,
    severity: Severity,
    remediation: str,
    resource_types: Sequence[str],
    check: ResourceCheck,
    config_schema: Any = None,
) -> Rule:
    """A rule run on each resource of ``resource_types`` (its inputs)."""
    meta = RuleMeta(name, description, level, severity, remediation, "resource", tuple(resource_types))
    types = frozenset(resource_types)

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        if args.resource_type not in types:
            return
        ctx = current()
        resource = ResourceInput(
            type=args.resource_type,
            urn=args.urn,
            name=args.name,
            props=args.props,
            provider_props=_provider_props(args.provider),
            policy_config=args.get_config(),
            stack=ctx,
            args=args,
        )
        report = _exemption_aware(ctx, name, lambda message, _urn: report_violation(message))
        check(resource, lambda message: report(message, args.urn))

    sdk_level, sdk_severity = _sdk_enums(level, severity)
    policy = pulumi_policy.ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=sdk_level,
        severity=sdk_severity,
        remediation_steps=remediation,
        config_schema=config_schema,
    )
    return Rule(meta, policy)


_LAST_VIEWS: tuple[Sequence[Any], list[StackResource]] | None = None


def stack_resources(resources: Sequence[Any]) -> list[StackResource]:
    """Typed views of ``pulumi_policy.PolicyResource`` objects (parent and dependencies as URNs).

    The views of the most recent list are reused when the very same list comes again (the
    offline evaluator hands one list to every stack rule; the real server builds a new one each
    time, so there this is a plain conversion).
    """
    global _LAST_VIEWS
    last = _LAST_VIEWS
    if last is not None and last[0] is resources:
        return last[1]
    views = _views(resources)
    _LAST_VIEWS = (resources, views)
    return views


def _views(resources: Sequence[Any]) -> list[StackResource]:
    return [
        StackResource(
            type=r.resource_type,
            urn=r.urn,
            name=r.name,
            props=r.props,
            parent=r.parent.urn if r.parent is not None else None,
            dependencies=tuple(d.urn for d in r.dependencies),
            property_dependencies={k: tuple(d.urn for d in v) for k, v in r.property_dependencies.items()},
            provider_props=_provider_props(r.provider),
        )
        for r in resources
    ]


def stack_rule(
    *,
    name: str,
    description: str,
    level: Level,
    severity: Severity,
    remediation: str,
    resource_types: Sequence[str],
    check: StackCheck,
    config_schema: Any = None,
) -> Rule:
    """A rule run once on the whole stack (all resources with parents and dependencies)."""
    meta = RuleMeta(name, description, level, severity, remediation, "stack", tuple(resource_types))

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        ctx = current()
        stack = StackInput(stack_resources(args.resources), args.get_config(), ctx)
        check(stack, _exemption_aware(ctx, name, lambda message, urn: report_violation(message, urn)))
        if stack.first_unknown is not None:
            raise stack.first_unknown

    sdk_level, sdk_severity = _sdk_enums(level, severity)
    policy = pulumi_policy.StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=sdk_level,
        severity=sdk_severity,
        remediation_steps=remediation,
        config_schema=config_schema,
    )
    return Rule(meta, policy)
