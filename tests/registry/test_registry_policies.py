"""Pure documents of the registry: what the nodes, the template role and CI may do, and the repository policies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.registry import policies
from contracts.registry import CACHE_PREFIXES


def statements(text: str) -> list[dict[str, Any]]:
    return list(json.loads(text)["Statement"])


def test_nodes_may_fill_the_cache_under_the_cache_prefixes_only() -> None:
    (statement,) = statements(
        policies.node_pull_policy(partition="aws", region="eu-west-1", account="123456789012", prefixes=CACHE_PREFIXES)
    )
    # AmazonEC2ContainerRegistryPullOnly lacks these two; BatchImportUpstreamImage is repeated to scope it too.
    assert statement["Action"] == ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:TagResource"]
    assert statement["Resource"] == sorted(
        f"arn:aws:ecr:eu-west-1:123456789012:repository/{p}/*"
        for p in ("docker-hub", "ecr-public", "ghcr", "gitlab", "k8s", "quay")
    )
    with pytest.raises(ValueError, match="no cache prefixes"):
        policies.node_pull_policy(partition="aws", region="eu-west-1", account="123456789012", prefixes=[])


def test_the_key_policy_names_no_principal_but_the_account() -> None:
    (statement,) = statements(policies.key_policy(partition="aws-cn", account="123456789012"))
    assert statement["Principal"] == {"AWS": "arn:aws-cn:iam::123456789012:root"}


def test_lifecycle_rules_expire_untagged_first_and_any_last() -> None:
    rules = json.loads(policies.lifecycle_policy(keep_images=10, untagged_days=3))["rules"]
    assert [(r["rulePriority"], r["selection"]["tagStatus"], r["selection"]["countNumber"]) for r in rules] == [
        (1, "untagged", 3),
        (2, "any", 10),
    ]
    with pytest.raises(ValueError, match="at least 1"):
        policies.lifecycle_policy(keep_images=0, untagged_days=3)


def test_team_repository_policy_needs_a_puller() -> None:
    with pytest.raises(ValueError, match="at least one puller"):
        policies.team_repository_policy(partition="aws", account="123456789012", pullers=[], pushers=[])


def test_ci_trust_pins_every_ref_with_string_equals() -> None:
    (statement,) = statements(
        policies.ci_trust_policy(
            provider_arn=policies.github_oidc_provider_arn("aws", "123456789012"),
            repository="example-org/mlops-platform",
            refs=["refs/heads/main", "refs/tags/v1"],
        )
    )
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:example-org/mlops-platform:ref:refs/heads/main",
        "repo:example-org/mlops-platform:ref:refs/tags/v1",
    ]
    assert "StringLike" not in statement["Condition"]
    with pytest.raises(ValueError, match="at least one ref"):
        policies.ci_trust_policy(provider_arn="arn", repository="o/r", refs=[])


def test_ci_may_only_log_in_anywhere() -> None:
    login, push, key = statements(
        policies.ci_push_policy(
            repository_arns=["arn:aws:ecr:eu-west-1:123456789012:repository/mlops/dev/model-servers"], key_arn="arn:k"
        )
    )
    assert login["Resource"] == "*" and login["Action"] == ["ecr:GetAuthorizationToken"]
    assert push["Resource"] == ["arn:aws:ecr:eu-west-1:123456789012:repository/mlops/dev/model-servers"]
    assert not {"ecr:DeleteRepository", "ecr:SetRepositoryPolicy", "ecr:BatchDeleteImage"} & set(push["Action"])
    assert key == {
        "Sid": "DescribeRegistryKey",
        "Effect": "Allow",
        "Action": ["kms:DescribeKey"],
        "Resource": ["arn:k"],
    }
    with pytest.raises(ValueError, match="no repositories"):
        policies.ci_push_policy(repository_arns=[], key_arn="arn:k")
