"""iam-role-github-oidc-scoped: a role GitHub Actions assumes trusts one repository's named refs only.

GitHub's OIDC provider (``token.actions.githubusercontent.com``) issues tokens to every workflow run of every
repository on GitHub. The trust must pin ``aud`` to ``sts.amazonaws.com`` and ``sub`` to
``repo:<owner>/<repo>:...`` with StringEquals and no wildcard, else another repository (or a fork, or any
branch) could push images or deploy (GitHub docs, "Configuring OpenID Connect in Amazon Web Services").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.mlops.iam._documents import ROLE
from policies.mlops.iam_doc import actions, allows, statements
from policies.mlops.props import as_map, as_strs, json_value
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

GITHUB = "token.actions.githubusercontent.com"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


def _values(statement: Mapping[str, Any], operator: str, claim: str) -> list[str]:
    return [v for key, value in as_map(as_map(statement.get("Condition")).get(operator)).items()
            if key == f"{GITHUB}:{claim}" for v in as_strs(value)]  # fmt: skip


def _problems(statement: Mapping[str, Any]) -> list[str]:
    problems = []
    if _values(statement, "StringEquals", "aud") != ["sts.amazonaws.com"]:
        problems.append("aud must be exactly sts.amazonaws.com (StringEquals)")
    like = _values(statement, "StringLike", "sub")
    if like:
        problems.append(f"sub is matched with StringLike {like}; use StringEquals on repo:<owner>/<repo>:ref:<ref>")
    subjects = _values(statement, "StringEquals", "sub")
    if not subjects:
        problems.append("sub is not pinned: any repository on GitHub could assume the role")
    for subject in subjects:
        if not subject.startswith("repo:") or "*" in subject or subject.count(":") < 2:
            problems.append(f"sub {subject!r} is not repo:<owner>/<repo>:<ref|environment|...> without wildcards")
    return problems


def _check(resource: ResourceInput, report: Report) -> None:
    try:
        document = json_value(resource.props.get("assumeRolePolicy"))
    except ValueError:
        report("assumeRolePolicy is not valid JSON")
        return
    trusted = [s for s in statements(document) if allows(s) and WEB_IDENTITY in actions(s)]
    trusted = [
        s
        for s in trusted
        if f"oidc-provider/{GITHUB}" in " ".join(as_strs(as_map(s.get("Principal")).get("Federated")))
    ]
    if not trusted:
        resource.not_applicable("no web-identity trust on GitHub's OIDC provider")
    for index, statement in enumerate(trusted):
        for problem in _problems(statement):
            report(f"trust statement {statement.get('Sid', index)}: {problem}")


RULE = resource_rule(
    name="iam-role-github-oidc-scoped",
    description="Roles trusted by GitHub Actions OIDC pin aud and sub (one repository, named refs, StringEquals).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Condition StringEquals {'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', "
        "'token.actions.githubusercontent.com:sub': 'repo:<owner>/<repo>:ref:refs/heads/main'}."
    ),
    resource_types=(ROLE,),
    check=_check,
)
