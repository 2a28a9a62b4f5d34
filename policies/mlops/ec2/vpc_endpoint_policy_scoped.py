"""ec2-vpc-endpoint-policy-scoped: VPC endpoint policies are a data perimeter, not an open door.

The platform's endpoint policies admit the account's own principals (``aws:PrincipalAccount``) and, for S3, its
own buckets (``aws:ResourceAccount``), so nothing in the VPC can use the endpoint with another account's
credentials or copy data to another account's bucket (``components/network/policies.py``). A statement that
allows every principal (``"Principal": "*"``) with no condition confining the caller or the resource, on every
resource (``"Resource": "*"``, a wildcard account, or ``NotResource``), undoes that: it is AWS's default
full-access policy written out. Statements for every principal on named resources (ECR's layer bucket, this
account's roles for ``AssumeRoleWithWebIdentity``) stay allowed.

An endpoint without a ``policy`` input gets AWS's default policy, which is all some services support
(``POLICY_CAPABLE_SERVICES`` in the network component): not applicable here.
"""

from __future__ import annotations

import re
from typing import Any

from policies.mlops.iam_doc import actions, allows, condition_keys, policy_document, statements, to_everyone
from policies.mlops.kms.key_policy_no_public_access import CONFINING_CONDITION_KEYS
from policies.mlops.props import as_strs
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
PERIMETER_CONDITION_KEYS = frozenset(
    {*CONFINING_CONDITION_KEYS, "aws:resourceaccount", "aws:resourceorgid", "aws:principalorgpaths", "aws:sourcevpc"}
)
"""Condition keys (lower-case) that confine an endpoint statement to this account, organization or VPC."""
ARN = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:([^:]*):(.*)$")


def _confined(condition: Any) -> bool:
    return bool(condition_keys(condition) & PERIMETER_CONDITION_KEYS)


def _unscoped(resource: str) -> bool:
    """True for ``*`` and ARNs of any account (``arn:aws:iam::*:role/x``, ``arn:aws:s3:::*``)."""
    if resource.strip() in ("*", ""):
        return True
    match = ARN.match(resource)
    if match is None:
        return False
    account, rest = match.groups()
    return account == "*" or (account == "" and rest.startswith("*"))


def _check(resource: ResourceInput, report: Report) -> None:
    document = policy_document(
        resource, report, absent="no policy input: AWS's default endpoint policy applies (all some services support)"
    )
    if document is None:
        return
    for index, statement in enumerate(statements(document)):
        if not allows(statement) or not to_everyone(statement.get("Principal")):
            continue
        if _confined(statement.get("Condition")):
            continue
        targets = as_strs(statement.get("Resource"))
        if "NotResource" in statement or not targets or any(_unscoped(t) for t in targets):
            granted = ", ".join(actions(statement)) or "(no action)"
            where = ", ".join(targets) or "every resource (NotResource)"
            report(
                f"statement {statement.get('Sid') or index} allows {granted} on {where} to every principal "
                "without a condition confining the caller or the resource (aws:PrincipalAccount, aws:ResourceAccount...)"
            )


RULE = resource_rule(
    name="ec2-vpc-endpoint-policy-scoped",
    description=(
        "VPC endpoint policies never allow every principal on every resource without a condition confining "
        "the caller or the resource."
    ),
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Keep the network component's endpoint policies: a condition on aws:PrincipalAccount (and aws:ResourceAccount "
        "for S3), or name the resources a statement for every principal covers."
    ),
    resource_types=(VPC_ENDPOINT,),
    check=_check,
)
