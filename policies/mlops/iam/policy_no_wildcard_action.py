"""iam-policy-no-wildcard-action: no identity policy allows every action."""

from __future__ import annotations

import re

from policies.mlops.iam._documents import (
    IDENTITY_POLICY_TYPES,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
    BadDocument,
    documents,
)
from policies.mlops.iam_doc import actions, allows, statements
from policies.mlops.props import as_strs
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

# AWS managed policies equivalent to Action "*" (or NotAction on almost everything), any partition.
ADMIN_POLICY_ARN = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/(AdministratorAccess|PowerUserAccess)")


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == ROLE_POLICY_ATTACHMENT:
        arns = as_strs(resource.props.get("policyArn"))
    elif resource.type == ROLE:
        arns = as_strs(resource.props.get("managedPolicyArns"))
    else:
        arns = []
    for arn in arns:
        if ADMIN_POLICY_ARN.fullmatch(arn):
            report(f"attaches {arn}, which allows (nearly) every action")
    if resource.type == ROLE_POLICY_ATTACHMENT:
        return
    for label, document in documents(resource):
        if isinstance(document, BadDocument):
            report(f"{label} is not valid JSON")
            continue
        for index, statement in enumerate(statements(document)):
            if not allows(statement):
                continue
            if {"*", "*:*"} & set(actions(statement)):
                report(f"{label} statement {statement.get('Sid', index)} allows Action '*'")
            if "NotAction" in statement:
                report(f"{label} statement {statement.get('Sid', index)} allows everything except NotAction")


RULE = resource_rule(
    name="iam-policy-no-wildcard-action",
    description="IAM identity policies never allow Action '*' (nor Allow+NotAction, nor admin managed policies).",
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation="List the exact actions the workload needs (see the component's policy-document helpers).",
    resource_types=(*IDENTITY_POLICY_TYPES, ROLE_POLICY_ATTACHMENT),
    check=_check,
)
