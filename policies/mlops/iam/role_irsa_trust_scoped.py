"""iam-role-irsa-trust-scoped: an IRSA role trusts exactly one Kubernetes service account.

IAM roles for service accounts are assumed with ``sts:AssumeRoleWithWebIdentity`` through the
cluster's OIDC provider. Without a ``StringEquals`` on ``<issuer>:sub`` naming one
``system:serviceaccount:<namespace>:<name>`` (and ``<issuer>:aud`` = ``sts.amazonaws.com``), any
pod in the cluster - or any cluster using the same issuer - could take the role:
https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.mlops.iam._documents import ROLE
from policies.mlops.iam_doc import actions, allows, statements
from policies.mlops.props import as_map, as_strs, json_value
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
EKS_ISSUER = "oidc-provider/oidc.eks."


def _conditions(statement: Mapping[str, Any], suffix: str) -> tuple[list[str], list[str]]:
    """Values required by ``StringEquals`` and allowed by ``StringLike`` for keys ending in ``suffix``."""
    condition = as_map(statement.get("Condition"))
    equals: list[str] = []
    like: list[str] = []
    for operator, target in (("StringEquals", equals), ("StringLike", like)):
        for key, value in as_map(condition.get(operator)).items():
            if key.endswith(suffix):
                target.extend(as_strs(value))
    return equals, like


def _problems(statement: Mapping[str, Any]) -> list[str]:
    problems = []
    equals, like = _conditions(statement, ":sub")
    if like:
        problems.append(f"sub is matched with StringLike {like}; use StringEquals on one service account")
    if len(equals) != 1:
        problems.append(f"sub must name exactly one service account with StringEquals, found {equals}")
    elif not equals[0].startswith("system:serviceaccount:") or "*" in equals[0] or equals[0].count(":") != 3:
        problems.append(f"sub {equals[0]!r} is not system:serviceaccount:<namespace>:<name>")
    audiences, _ = _conditions(statement, ":aud")
    if audiences != ["sts.amazonaws.com"]:
        problems.append(f"aud must be exactly sts.amazonaws.com, found {audiences}")
    return problems


def _check(resource: ResourceInput, report: Report) -> None:
    try:
        document = json_value(resource.props.get("assumeRolePolicy"))
    except ValueError:
        report("assumeRolePolicy is not valid JSON")
        return
    trusted = [s for s in statements(document) if allows(s) and WEB_IDENTITY in actions(s)]
    # EKS issuers only (oidc-provider/oidc.eks.<region>.amazonaws.com/id/...): other OIDC trusts (GitHub Actions)
    # have their own rule, iam-role-github-oidc-scoped.
    trusted = [s for s in trusted if EKS_ISSUER in " ".join(as_strs(as_map(s.get("Principal")).get("Federated")))]
    if not trusted:
        resource.not_applicable("not an IRSA role (no web-identity trust on an OIDC provider)")
    for index, statement in enumerate(trusted):
        for problem in _problems(statement):
            report(f"trust statement {statement.get('Sid', index)}: {problem}")


RULE = resource_rule(
    name="iam-role-irsa-trust-scoped",
    description="IRSA roles trust exactly one service account (StringEquals on sub, aud = sts.amazonaws.com).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "In the trust policy use Condition StringEquals {'<issuer>:sub': 'system:serviceaccount:<ns>:<sa>', "
        "'<issuer>:aud': 'sts.amazonaws.com'}; one role per service account."
    ),
    resource_types=(ROLE,),
    check=_check,
)
