"""iam-policy-no-wildcard-resource-write: write actions name the resources they may change."""

from __future__ import annotations

from policies.mlops.iam._documents import IDENTITY_POLICY_TYPES, BadDocument, documents
from policies.mlops.iam_doc import RESOURCE_STAR_ONLY, actions, allows, is_read_only, is_scoped_by_condition, statements
from policies.mlops.props import as_strs
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    for label, document in documents(resource):
        if isinstance(document, BadDocument):
            continue  # reported by iam-policy-no-wildcard-action
        for index, statement in enumerate(statements(document)):
            if not allows(statement) or "*" not in as_strs(statement.get("Resource")):
                continue
            if is_scoped_by_condition(statement):
                continue
            writes = [a for a in actions(statement) if not is_read_only(a) and a not in RESOURCE_STAR_ONLY]
            if writes:
                report(
                    f"{label} statement {statement.get('Sid', index)} allows {', '.join(sorted(writes))} "
                    "on Resource '*'"
                )


RULE = resource_rule(
    name="iam-policy-no-wildcard-resource-write",
    description="IAM identity policies allow write actions only on named resources (not Resource '*').",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Scope write actions to ARNs (bucket/prefix, key, log group), or add a condition on "
        "aws:ResourceTag/aws:ResourceAccount; read-only Get/List/Describe actions may stay on '*'."
    ),
    resource_types=IDENTITY_POLICY_TYPES,
    check=_check,
)
