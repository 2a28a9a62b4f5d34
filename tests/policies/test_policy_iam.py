"""IAM rules: identity policies and IRSA trust policies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_testkit import messages, mutate, not_applicable, reg, violations

from policies.mlops.iam import policy_no_wildcard_action, policy_no_wildcard_resource_write, role_irsa_trust_scoped
from policies.mlops.iam._documents import GROUP_POLICY, POLICY, ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT, USER_POLICY

READ = {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}
WRITE = {"Sid": "Write", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::lake/*"]}
DOC = {"Version": "2012-10-17", "Statement": [READ, WRITE]}


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize("type_", [POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY])
def test_compliant_identity_policies_pass(type_: str) -> None:
    resource = reg(type_, "p", {"policy": json.dumps(DOC)})
    assert violations(policy_no_wildcard_action.RULE, resource) == []
    assert violations(policy_no_wildcard_resource_write.RULE, resource) == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (mutate(WRITE, "Action", "*"), "statement Write allows Action '*'"),
        (mutate(WRITE, "Action", ["s3:GetObject", "*:*"]), "statement Write allows Action '*'"),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "allows everything except NotAction"),
    ],
)
def test_wildcard_action(statement: dict[str, Any], expected: str) -> None:
    found = messages(policy_no_wildcard_action.RULE, reg(POLICY, "p", {"policy": doc(statement)}))
    assert len(found) == 1 and expected in found[0], found


def test_wildcard_action_in_deny_is_fine() -> None:
    deny = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert violations(policy_no_wildcard_action.RULE, reg(POLICY, "p", {"policy": doc(deny)})) == []


def test_wildcard_action_in_role_inline_policy_and_admin_attachments() -> None:
    role = reg(
        ROLE,
        "r",
        {
            "assumeRolePolicy": doc(),
            "inlinePolicies": [{"name": "all", "policy": doc(mutate(WRITE, "Action", "*"))}],
            "managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
        },
    )
    assert messages(policy_no_wildcard_action.RULE, role) == [
        "attaches arn:aws:iam::aws:policy/AdministratorAccess, which allows (nearly) every action",
        "inline policy 'all' statement Write allows Action '*'",
    ]
    attachment = reg(ROLE_POLICY_ATTACHMENT, "a", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"})
    assert len(violations(policy_no_wildcard_action.RULE, attachment)) == 1
    worker = reg(
        ROLE_POLICY_ATTACHMENT, "w", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"}
    )
    assert violations(policy_no_wildcard_action.RULE, worker) == []


def test_invalid_and_missing_documents() -> None:
    assert messages(policy_no_wildcard_action.RULE, reg(POLICY, "p", {"policy": "{oops"})) == [
        "policy is not valid JSON"
    ]
    assert violations(policy_no_wildcard_resource_write.RULE, reg(POLICY, "p", {"policy": "{oops"})) == []
    assert violations(policy_no_wildcard_action.RULE, reg(POLICY, "p", {})) == []


@pytest.mark.parametrize(
    ("statement", "violates"),
    [
        (mutate(WRITE, "Resource", "*"), True),
        (mutate(WRITE, "Resource", ["arn:aws:s3:::lake/*", "*"]), True),
        (mutate(READ, "Action", ["ec2:Describe*", "s3:Get*"]), False),
        ({"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}, False),
        (
            {
                "Effect": "Allow",
                "Action": "ec2:TerminateInstances",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/mlops:owner": "karpenter"}},
            },
            False,
        ),
        (
            {
                "Effect": "Allow",
                "Action": "ec2:TerminateInstances",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            True,
        ),
        ({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}, False),
    ],
)
def test_write_on_wildcard_resource(statement: dict[str, Any], violates: bool) -> None:
    found = violations(policy_no_wildcard_resource_write.RULE, reg(ROLE_POLICY, "p", {"policy": doc(statement)}))
    assert len(found) == (1 if violates else 0), found


ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
TRUST = {
    "Effect": "Allow",
    "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
        "StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:mlflow:mlflow", f"{ISSUER}:aud": "sts.amazonaws.com"}
    },
}


SUB, AUD = f"{ISSUER}:sub", f"{ISSUER}:aud"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (TRUST["Condition"], None),
        (
            {
                "StringEquals": {
                    SUB: ["system:serviceaccount:a:b", "system:serviceaccount:c:d"],
                    AUD: "sts.amazonaws.com",
                }
            },
            "exactly one service account",
        ),
        (
            {"StringEquals": {SUB: "system:serviceaccount:mlflow:*", AUD: "sts.amazonaws.com"}},
            "is not system:serviceaccount",
        ),
        ({"StringEquals": {SUB: "mlflow", AUD: "sts.amazonaws.com"}}, "is not system:serviceaccount"),
        (
            {"StringEquals": {SUB: "system:serviceaccount:mlflow:mlflow", AUD: "other"}},
            "aud must be exactly sts.amazonaws.com",
        ),
        ({"StringEquals": {SUB: "system:serviceaccount:mlflow:mlflow"}}, "aud must be exactly sts.amazonaws.com"),
        ({}, "exactly one service account"),
        ({"StringLike": {SUB: "system:serviceaccount:*:*", AUD: "sts.amazonaws.com"}}, "StringLike"),
    ],
)
def test_irsa_trust(condition: dict[str, Any], expected: str | None) -> None:
    statement = mutate(TRUST, "Condition", condition)
    found = messages(role_irsa_trust_scoped.RULE, reg(ROLE, "r", {"assumeRolePolicy": doc(statement)}))
    if expected is None:
        assert found == []
    else:
        assert found and all(m.startswith("trust statement 0: ") for m in found)
        assert any(expected in m for m in found), found


def test_irsa_not_applicable_to_service_roles() -> None:
    service = {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    role = reg(ROLE, "r", {"assumeRolePolicy": doc(service)})
    assert violations(role_irsa_trust_scoped.RULE, role) == []
    assert not_applicable(role_irsa_trust_scoped.RULE, role) == [
        "not an IRSA role (no web-identity trust on an OIDC provider)"
    ]
    assert messages(role_irsa_trust_scoped.RULE, reg(ROLE, "r", {"assumeRolePolicy": "nope"})) == [
        "assumeRolePolicy is not valid JSON"
    ]
