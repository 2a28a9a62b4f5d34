"""policy-exemption-valid: every exemption is well-formed, has a reason and has not expired.

An expired or reason-less exemption no longer suppresses anything (see ``Exemption.status``);
this rule makes the lapse visible instead of silently re-enabling a rule. It cannot itself be
exempted.
"""

from __future__ import annotations

from contracts.tiers import MAX_EXEMPTION_DAYS
from policies.mlops.exemption import Exemption
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule

NAME = "policy-exemption-valid"


def _known_rules() -> set[str]:
    # Imported lazily: the pack module imports this rule.
    from policies.mlops.pack import RULES

    return {rule.name for rule in RULES}


def _problems(item: Exemption, stack: StackInput, known: set[str]) -> list[str]:
    problems = list(item.problems)
    if item.malformed:
        return problems
    if not item.reason.strip():
        problems.append("has no reason")
    if item.expires is not None and stack.stack.today > item.expires:
        problems.append(f"expired on {item.expires.isoformat()}")
    if item.expires is not None and (item.expires - stack.stack.today).days > MAX_EXEMPTION_DAYS:
        problems.append(f"runs until {item.expires.isoformat()}: at most {MAX_EXEMPTION_DAYS} days ahead")
    if item.policy and item.policy not in known:
        problems.append(f"names unknown policy {item.policy!r}")
    if item.policy == NAME:
        problems.append(f"{NAME} cannot be exempted")
    return problems


def _target(item: Exemption, stack: StackInput) -> str | None:
    for resource in stack.resources:
        if item.resource and item.resource in (resource.urn, resource.name):
            return resource.urn
    return None


def _check(stack: StackInput, report: StackReport) -> None:
    known = _known_rules()
    for item in stack.stack.exemptions:
        for problem in _problems(item, stack, known):
            report(f"exemption {item.id} ({item.source}) {problem}", _target(item, stack))


RULE = stack_rule(
    name=NAME,
    description="Policy exemptions have an id, a known rule, a resource, a reason and an unexpired date at most 180 days ahead.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Fix or remove the exemption in mlops:policy (stack file) or policies/exemptions.py: give it a reason, "
        "renew its expiry date after review, or fix the resource so it is no longer needed."
    ),
    resource_types=(),
    check=_check,
)
