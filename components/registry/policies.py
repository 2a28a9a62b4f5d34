"""Pure documents of the registry: key policy, repository and lifecycle policies, and the IAM policies of the
nodes (pulling through the cache), the creation-template role and the CI role.

Plain JSON builders (tested directly); :mod:`components.registry.component` attaches them. Sources:

- Pull-through cache permissions (ECR user guide, "IAM permissions required to sync an upstream registry"):
  the puller needs ``ecr:BatchImportUpstreamImage`` and, while the cache repository does not exist yet,
  ``ecr:CreateRepository`` (identity policy or registry policy), plus ``ecr:TagResource`` when a creation
  template adds resource tags. ``AmazonEC2ContainerRegistryPullOnly`` (v1, 2024-10-04) grants
  GetAuthorizationToken, BatchGetImage, GetDownloadUrlForLayer and BatchImportUpstreamImage, but neither
  CreateRepository nor TagResource: :func:`node_pull_policy` adds them, on the cache prefixes only.
- Creation templates with a KMS key or resource tags need a custom role trusted by ``ecr.amazonaws.com`` with
  ``ecr:CreateRepository``, ``ecr:TagResource`` and ``kms:CreateGrant``/``RetireGrant``/``DescribeKey`` (ECR
  user guide, "Create a custom policy for repository creation templates").
- GitHub OIDC: audience ``sts.amazonaws.com``, subject ``repo:<owner>/<repo>:ref:<ref>`` (GitHub docs,
  "Configuring OpenID Connect in Amazon Web Services").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from components.iam import Statement, document, key_administration

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
"""Issuer of GitHub Actions' OIDC tokens (and the IAM provider's URL without ``https://``)."""

PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
"""Reading an image (manifest and layers)."""
PUSH_ACTIONS = ("ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart")
"""Writing an image."""
CACHE_FILL_ACTIONS = ("ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:TagResource")
"""What the first pull of an uncached image needs besides pulling (see the module docstring)."""


def repository_arn(partition: str, region: str, account: str, name: str) -> str:
    """ARN of a repository (or, with a trailing ``/*``, of every repository under a prefix)."""
    return f"arn:{partition}:ecr:{region}:{account}:repository/{name}"


def key_policy(*, partition: str, account: str) -> str:
    """Key policy of the registry key: the account administers it and IAM policies grant its use.

    ECR encrypts a repository through a KMS grant its creator makes (``kms:CreateGrant``): the deployer for the
    team's repositories, the creation-template role for cached ones. Nothing else is named, so the policy never
    refers to a principal that may not exist yet.
    """
    return document([key_administration(account, partition=partition)])


def lifecycle_policy(*, keep_images: int, untagged_days: int) -> str:
    """Lifecycle policy: untagged images expire after ``untagged_days``; beyond ``keep_images`` the oldest go.

    ECR evaluates rules by ``rulePriority``; a ``tagStatus: any`` rule must have the highest number (ECR user
    guide, "Lifecycle policy properties").
    """
    if keep_images < 1 or untagged_days < 1:
        raise ValueError("lifecycle_policy: keep_images and untagged_days must be at least 1")
    rules = [
        {
            "rulePriority": 1,
            "description": f"Untagged images expire after {untagged_days} days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": untagged_days,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"Keep the newest {keep_images} images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
            "action": {"type": "expire"},
        },
    ]
    return json.dumps({"rules": rules}, sort_keys=True)


def _principal_not(arn_patterns: Sequence[str]) -> dict[str, Any]:
    return {"ArnNotLike": {"aws:PrincipalArn": sorted(set(arn_patterns))}}


def team_repository_policy(*, partition: str, account: str, pullers: Sequence[str], pushers: Sequence[str]) -> str:
    """Repository policy of a team repository: only ``pullers`` (the nodes) and ``pushers`` (CI) read, only
    ``pushers`` write.

    Deny statements on every other principal (``Principal: *`` with ``aws:PrincipalArn``): same-account roles
    need no Allow here (their identity policies grant it), and a Deny naming no principal is never rejected for
    a principal that does not exist yet. AWS service-linked roles (scanning) stay allowed.
    """
    if not pullers:
        raise ValueError("team_repository_policy: at least one puller (the node role)")
    service_roles = f"arn:{partition}:iam::{account}:role/aws-service-role/*"
    statements: list[Statement] = [
        {
            "Sid": "OnlyNodesAndCiPull",
            "Effect": "Deny",
            "Principal": "*",
            "Action": list(PULL_ACTIONS),
            "Condition": _principal_not([*pullers, *pushers, service_roles]),
        },
        {
            "Sid": "OnlyCiPushes",
            "Effect": "Deny",
            "Principal": "*",
            "Action": list(PUSH_ACTIONS),
            "Condition": _principal_not([*pushers, service_roles]) if pushers else {},
        },
    ]
    if not pushers:
        del statements[1]["Condition"]
    return document(statements)


def cache_repository_policy(*, partition: str, account: str) -> str:
    """Repository policy of every cache-created repository (set by the creation template): nobody pushes.

    A principal with ``ecr:PutImage`` could otherwise poison ``quay/...`` with its own image under an upstream
    tag. ECR's own service-linked roles (the pull-through cache imports as ``AWSServiceRoleForECRPullThroughCache``,
    whose policy grants the push actions) stay allowed.
    """
    return document(
        [
            {
                "Sid": "CacheIsReadOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(PUSH_ACTIONS),
                "Condition": _principal_not([f"arn:{partition}:iam::{account}:role/aws-service-role/*"]),
            }
        ]
    )


def node_pull_policy(*, partition: str, region: str, account: str, prefixes: Sequence[str]) -> str:
    """Inline policy of the node role: fill the cache on a first pull, under the cache prefixes only."""
    if not prefixes:
        raise ValueError("node_pull_policy: no cache prefixes")
    return document(
        [
            {
                "Sid": "FillPullThroughCache",
                "Effect": "Allow",
                "Action": list(CACHE_FILL_ACTIONS),
                "Resource": sorted(repository_arn(partition, region, account, f"{p}/*") for p in prefixes),
            }
        ]
    )


def template_role_trust(*, account: str) -> str:
    """Trust policy of the creation-template role: ECR, acting for this account only (confused deputy)."""
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecr.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        ]
    )


def template_role_policy(*, partition: str, region: str, account: str, prefixes: Sequence[str], key_arn: str) -> str:
    """What ECR does as the template role: create and tag the cache repositories, encrypt them with the key."""
    return document(
        [
            {
                "Sid": "CreateCacheRepositories",
                "Effect": "Allow",
                "Action": ["ecr:CreateRepository", "ecr:TagResource"],
                "Resource": sorted(repository_arn(partition, region, account, f"{p}/*") for p in prefixes),
            },
            {
                "Sid": "EncryptCacheRepositories",
                "Effect": "Allow",
                "Action": ["kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant"],
                "Resource": [key_arn],
            },
        ]
    )


def github_oidc_provider_arn(partition: str, account: str) -> str:
    """ARN of the account's GitHub Actions OIDC provider."""
    return f"arn:{partition}:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}"


def ci_trust_policy(*, provider_arn: str, repository: str, refs: Sequence[str]) -> str:
    """Trust policy of the CI role: GitHub Actions runs of ``repository`` on ``refs``, nothing else.

    ``StringEquals`` on both claims (no wildcard): a fork, another repository or another branch gets no token
    this role accepts.
    """
    if not refs:
        raise ValueError("ci_trust_policy: at least one ref")
    subjects = sorted(f"repo:{repository}:ref:{ref}" for ref in refs)
    return document(
        [
            {
                "Sid": "GitHubActionsOfThisRepository",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
                        f"{GITHUB_OIDC_HOST}:sub": subjects if len(subjects) > 1 else subjects[0],
                    }
                },
            }
        ]
    )


def ci_push_policy(*, repository_arns: Sequence[str], key_arn: str) -> str:
    """The CI role's policy: log in, push and pull the team's (and mirror) repositories only.

    ``ecr:GetAuthorizationToken`` is authorized on ``*`` only (ECR API reference). Pushing into a KMS-encrypted
    repository needs no key permission: ECR uses the grant made at repository creation. ``kms:DescribeKey`` lets
    tools that inspect the repository read it.
    """
    if not repository_arns:
        raise ValueError("ci_push_policy: no repositories")
    return document(
        [
            {"Sid": "Login", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
            {
                "Sid": "PushTeamImages",
                "Effect": "Allow",
                "Action": sorted({*PULL_ACTIONS, *PUSH_ACTIONS, "ecr:DescribeImages", "ecr:DescribeRepositories"}),
                "Resource": sorted(repository_arns),
            },
            {"Sid": "DescribeRegistryKey", "Effect": "Allow", "Action": ["kms:DescribeKey"], "Resource": [key_arn]},
        ]
    )


__all__ = [
    "GITHUB_OIDC_HOST",
    "cache_repository_policy",
    "ci_push_policy",
    "ci_trust_policy",
    "github_oidc_provider_arn",
    "key_policy",
    "lifecycle_policy",
    "node_pull_policy",
    "repository_arn",
    "team_repository_policy",
    "template_role_policy",
    "template_role_trust",
]
