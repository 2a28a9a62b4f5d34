"""kms-key-policy-no-public-access: no key policy lets anyone use or manage the key.

A key policy statement that allows ``*`` (or every AWS principal) with no condition confining the caller
to this account, organization, a service or a named principal opens the key to the world: ``kms:*`` to
``*`` in a key policy is the ultimate data exfiltration grant. Statements of that shape with such a
condition (``kms:CallerAccount``, ``kms:ViaService``, ``aws:PrincipalArn``...) are fine.
"""

from __future__ import annotations

from typing import Any

from policies.mlops.iam_doc import actions, allows, condition_keys, policy_document, statements, to_everyone
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

KEY = "aws:kms/key:Key"
CONFINING_CONDITION_KEYS = (
    "kms:calleraccount",
    "kms:viaservice",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourcevpce",
    "kms:grantisforawsresource",
)
"""Condition keys (lower-case) that tie a ``*`` principal to this account, a service or a named principal."""


def _confined(condition: Any) -> bool:
    return any(key in condition_keys(condition) for key in CONFINING_CONDITION_KEYS)


def _check(resource: ResourceInput, report: Report) -> None:
    document = policy_document(
        resource, report, absent="no key policy in the inputs (AWS's default policy gives the account root)"
    )
    if document is None:
        return
    for index, statement in enumerate(statements(document)):
        if not allows(statement) or not to_everyone(statement.get("Principal")):
            continue
        if not _confined(statement.get("Condition")):
            granted = ", ".join(actions(statement)) or "(no action)"
            report(
                f"statement {statement.get('Sid') or index} allows {granted} to every principal without a confining condition"
            )


RULE = resource_rule(
    name="kms-key-policy-no-public-access",
    description="KMS key policies never allow every principal without a condition confining the caller.",
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Name the principals (account root for IAM delegation, roles, service principals) or add a condition "
        "such as kms:CallerAccount / kms:ViaService / aws:PrincipalArn to the statement."
    ),
    resource_types=(KEY,),
    check=_check,
)
