"""Invariant 5: every principal a trust, key, bucket or endpoint policy names exists when it is set."""

from __future__ import annotations

import json
from typing import Any

from deploy_testkit import ACCOUNT, graph, ids, reg

from mlopsctl.deploy.principals import caller_principals, check_principals, created_principals, statements
from mlopsctl.engine import Registration

KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
AUTOSCALING = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "kms:*", "Resource": "*", **extra}


def node_key(*, deps: list[Registration] | None = None) -> Registration:
    body = policy(allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), allow({"AWS": AUTOSCALING}))
    return reg(KEY, "node-key", {"policy": body}, deps=deps or [])


def test_a_key_policy_naming_a_service_linked_role_nobody_creates_fails() -> None:
    findings = check_principals(graph(node_key()))
    assert ids(findings) == ["principals:node-key:AWSServiceRoleForAutoScaling"]
    assert "terraform-aws-eks#3013" in findings[0].message


def test_the_key_must_also_wait_for_the_service_linked_role() -> None:
    slr = reg(SLR, "autoscaling-slr", {"awsServiceName": "autoscaling.amazonaws.com"})
    assert ids(check_principals(graph(slr, node_key()))) == ["principals:node-key:AWSServiceRoleForAutoScaling:order"]
    assert check_principals(graph(slr, node_key(deps=[slr]))) == []


def test_a_service_linked_role_of_another_service_or_suffix_does_not_count() -> None:
    other = reg(SLR, "spot-slr", {"awsServiceName": "spot.amazonaws.com"})
    suffixed = reg(SLR, "as-slr", {"awsServiceName": "autoscaling.amazonaws.com", "customSuffix": "nodes"})
    assert ids(check_principals(graph(other, suffixed, node_key(deps=[other, suffixed])))) == [
        "principals:node-key:AWSServiceRoleForAutoScaling"
    ]


def test_roles_created_in_the_stack_match_by_their_mock_arn() -> None:
    target = reg(
        ROLE, "target", {"name": "mlops-target", "assumeRolePolicy": policy(allow({"Service": "ec2.amazonaws.com"}))}
    )
    arn = f"arn:aws:iam::{ACCOUNT}:role/mlops-target"
    assert created_principals(graph(target)) == {arn: target.urn}
    trusting = {"assumeRolePolicy": policy(allow({"AWS": arn}, Action="sts:AssumeRole"))}
    ordered = reg(ROLE, "assumer", trusting, prop_deps={"assumeRolePolicy": [target]})
    assert check_principals(graph(target, ordered)) == []
    unordered = reg(ROLE, "assumer", trusting)
    assert ids(check_principals(graph(target, unordered))) == ["principals:assumer:mlops-target:order"]


def test_a_role_nobody_creates_fails() -> None:
    bucket_policy = policy(allow({"AWS": [f"arn:aws:iam::{ACCOUNT}:role/ghost"]}, Action="s3:GetObject"))
    holder = reg("aws:s3/bucketPolicy:BucketPolicy", "lake-policy", {"policy": bucket_policy})
    findings = check_principals(graph(holder))
    assert ids(findings) == ["principals:lake-policy:ghost"]
    assert "bucket policy" in findings[0].message


def test_principals_a_fresh_account_has() -> None:
    fine = policy(
        allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        allow({"AWS": "999999999999"}),
        allow({"Service": ["logs.eu-west-1.amazonaws.com", "eks.amazonaws.com"]}),
        allow("*", Condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}),
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        allow({"Federated": "cognito-identity.amazonaws.com"}),
    )
    assert check_principals(graph(reg(KEY, "key", {"policy": fine}))) == []


def test_the_identity_running_pulumi_exists() -> None:
    callers = caller_principals(graph())
    assert f"arn:aws:iam::{ACCOUNT}:role/mlops-deploy" in callers
    trusting = policy(allow({"AWS": sorted(callers)}, Action="sts:AssumeRole"))
    assert check_principals(graph(reg(ROLE, "r", {"assumeRolePolicy": trusting}))) == []


def test_an_unconditioned_wildcard_allow_fails_except_in_endpoint_policies() -> None:
    open_policy = policy(allow({"AWS": "*"}))
    assert ids(check_principals(graph(reg(KEY, "key", {"policy": open_policy})))) == ["principals:key:*"]
    endpoint = reg("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"policy": policy(allow("*"))})
    assert check_principals(graph(endpoint)) == []


def test_oidc_providers_must_be_created_and_waited_for() -> None:
    url = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"
    oidc = reg("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "oidc", {"url": url})
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
    trust = {"assumeRolePolicy": policy(allow({"Federated": arn}, Action="sts:AssumeRoleWithWebIdentity"))}
    assert check_principals(graph(oidc, reg(ROLE, "irsa", trust, prop_deps={"assumeRolePolicy": [oidc]}))) == []
    assert ids(check_principals(graph(reg(ROLE, "irsa", trust)))) == ["principals:irsa:ABC"]


def test_unreadable_or_masked_documents_are_skipped() -> None:
    assert statements("[unknown]") == [] and statements(None) == []
    assert statements({"Statement": {"Effect": "Allow"}}) == [{"Effect": "Allow"}]
    masked = reg(KEY, "key", {"policy": policy(allow({"AWS": "[secret]"}))})
    assert check_principals(graph(masked)) == []
