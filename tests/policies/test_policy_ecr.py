"""ECR and image rules: repositories and creation templates immutable, scanned, KMS-encrypted; production images
from ECR only; GitHub OIDC roles scoped to one repository. A compliant factory, then one field at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_testkit import DELETE, UNKNOWN, messages, mutate, not_applicable, reg, violations

from policies.mlops.ecr import repository_immutable_tags, repository_kms_encrypted, repository_scan_on_push
from policies.mlops.ecr._types import CREATION_TEMPLATE, REPOSITORY
from policies.mlops.iam import role_github_oidc_scoped
from policies.mlops.images import container_registry_ecr

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ROLE = "aws:iam/role:Role"
PROD = {"mlops:environment": "prod", "aws:region": "eu-west-1"}

REPO: dict[str, Any] = {
    "name": "mlops/dev/model-servers",
    "imageTagMutability": "IMMUTABLE",
    "imageScanningConfiguration": {"scanOnPush": True},
    "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}],
}
TEMPLATE_INPUTS: dict[str, Any] = {
    "prefix": "quay",
    "appliedFors": ["PULL_THROUGH_CACHE"],
    "imageTagMutability": "IMMUTABLE",
    "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}],
}
REPO_RULES = (repository_immutable_tags, repository_scan_on_push, repository_kms_encrypted)


@pytest.mark.parametrize("module", REPO_RULES, ids=lambda m: m.RULE.name)
def test_compliant_repository(module: Any) -> None:
    assert violations(module.RULE, reg(REPOSITORY, "repo", REPO)) == []


@pytest.mark.parametrize("module", (repository_immutable_tags, repository_kms_encrypted), ids=lambda m: m.RULE.name)
def test_compliant_creation_template(module: Any) -> None:
    assert violations(module.RULE, reg(CREATION_TEMPLATE, "template", TEMPLATE_INPUTS)) == []


@pytest.mark.parametrize(
    ("module", "path", "value", "expected"),
    [
        (
            repository_immutable_tags,
            "imageTagMutability",
            "MUTABLE",
            "imageTagMutability is 'MUTABLE', not 'IMMUTABLE'",
        ),
        (
            repository_immutable_tags,
            "imageTagMutability",
            "IMMUTABLE_WITH_EXCLUSION",
            "imageTagMutability is 'IMMUTABLE_WITH_EXCLUSION', not 'IMMUTABLE'",
        ),
        (
            repository_immutable_tags,
            "imageTagMutability",
            DELETE,
            "imageTagMutability is not set (ECR's default is MUTABLE)",
        ),
        (
            repository_scan_on_push,
            "imageScanningConfiguration.scanOnPush",
            False,
            "imageScanningConfiguration.scanOnPush is not true: pushed images are not scanned",
        ),
        (
            repository_scan_on_push,
            "imageScanningConfiguration",
            DELETE,
            "imageScanningConfiguration.scanOnPush is not true: pushed images are not scanned",
        ),
        (
            repository_kms_encrypted,
            "encryptionConfigurations",
            DELETE,
            "encryptionConfigurations is not set (AES256 with an AWS-owned key)",
        ),
        (
            repository_kms_encrypted,
            "encryptionConfigurations",
            [],
            "encryptionConfigurations is empty (AES256 with an AWS-owned key)",
        ),
        (
            repository_kms_encrypted,
            "encryptionConfigurations[0].encryptionType",
            "AES256",
            "encryptionType is 'AES256', not 'KMS'",
        ),
        (
            repository_kms_encrypted,
            "encryptionConfigurations[0].kmsKey",
            DELETE,
            "kmsKey is not set (the AWS managed key aws/ecr is used)",
        ),
        (
            repository_kms_encrypted,
            "encryptionConfigurations[0].kmsKey",
            "arn:aws:kms:eu-west-1:123456789012:alias/aws/ecr",
            "kmsKey is the AWS managed key aws/ecr",
        ),
    ],
)
def test_each_field_failing(module: Any, path: str, value: Any, expected: str) -> None:
    repo = reg(REPOSITORY, "repo", mutate(REPO, path, value))
    assert messages(module.RULE, repo) == [expected]
    assert all(violations(other.RULE, repo) == [] for other in REPO_RULES if other is not module)


def test_templates_are_held_to_immutability_and_kms_too() -> None:
    template = reg(CREATION_TEMPLATE, "t", mutate(TEMPLATE_INPUTS, "imageTagMutability", "MUTABLE"))
    assert messages(repository_immutable_tags.RULE, template) == ["imageTagMutability is 'MUTABLE', not 'IMMUTABLE'"]
    template = reg(CREATION_TEMPLATE, "t", mutate(TEMPLATE_INPUTS, "encryptionConfigurations", DELETE))
    assert messages(repository_kms_encrypted.RULE, template) == [
        "encryptionConfigurations is not set (AES256 with an AWS-owned key)"
    ]


def test_unknown_values_during_preview_are_not_violations() -> None:
    preview = mutate(REPO, "encryptionConfigurations", UNKNOWN)
    preview = mutate(preview, "imageTagMutability", UNKNOWN)
    repo = reg(REPOSITORY, "repo", preview)
    for module in (repository_immutable_tags, repository_kms_encrypted):
        assert violations(module.RULE, repo) == []


def test_other_types_are_ignored() -> None:
    assert violations(repository_immutable_tags.RULE, reg("aws:ecr/lifecyclePolicy:LifecyclePolicy", "lp", {})) == []


# --- images-container-registry-ecr ---------------------------------------------------------------------


def release(values: dict[str, Any]) -> Any:
    return reg(RELEASE, "r", {"chart": "airflow", "version": "1.18.0", "values": values})


def deployment(image: str) -> Any:
    return reg(DEPLOYMENT, "d", {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}})


def test_production_releases_and_workloads_pull_from_ecr() -> None:
    values = {
        "images": {"airflow": {"repository": f"{ECR}/docker-hub/apache/airflow", "tag": "3.0.6"}},
        "kserve": {"controller": {"image": f"{ECR}/docker-hub/kserve/kserve-controller", "tag": "v0.15.2"}},
        "addon": {"image": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/pause:3.10"},
    }
    assert violations(container_registry_ecr.RULE, release(values), config=PROD) == []
    assert (
        violations(container_registry_ecr.RULE, deployment(f"{ECR}/ghcr/mlflow/mlflow:v3.17.0-full"), config=PROD) == []
    )


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            release({"images": {"airflow": {"repository": "apache/airflow", "tag": "3.0.6"}}}),
            "Helm value images.airflow.repository: 'apache/airflow' is pulled from docker.io, not from ECR",
        ),
        (
            release({"image": {"registry": "quay.io", "repository": "jetstack/cert-manager-controller"}}),
            "Helm value image.repository: 'quay.io/jetstack/cert-manager-controller' is pulled from quay.io, not from ECR",
        ),
        (
            release({"controller": {"rbacProxyImage": "quay.io/brancz/kube-rbac-proxy:v0.18.0"}}),
            "Helm value controller.rbacProxyImage: 'quay.io/brancz/kube-rbac-proxy:v0.18.0' is pulled from quay.io, not from ECR",
        ),
        (
            deployment("ghcr.io/mlflow/mlflow:v3.17.0-full"),
            "container 'app': 'ghcr.io/mlflow/mlflow:v3.17.0-full' is pulled from ghcr.io, not from ECR",
        ),
        (
            deployment("123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"),
            "container 'app': '123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1' is in ECR of region us-east-1, not the stack's eu-west-1",
        ),
    ],
)
def test_production_images_outside_ecr_fail(resource: Any, expected: str) -> None:
    assert messages(container_registry_ecr.RULE, resource, config=PROD) == [expected]


def test_a_git_repository_in_values_is_no_image() -> None:
    values = {"dags": {"gitSync": {"repository": "https://github.com/example-org/dags.git", "branch": "main"}}}
    assert violations(container_registry_ecr.RULE, release(values), config=PROD) == []


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"mlops:environment": "dev"}, "tier development: only the production tier must pull from ECR only"),
        ({"mlops:environment": "prod", "mlops:tier": "staging"}, "tier staging: only the production tier"),
    ],
)
def test_other_tiers_are_not_applicable(config: dict[str, str], reason: str) -> None:
    resource = deployment("ghcr.io/mlflow/mlflow:v3.17.0-full")
    assert violations(container_registry_ecr.RULE, resource, config=config) == []
    assert any(r.startswith(reason) for r in not_applicable(container_registry_ecr.RULE, resource, config=config))


# --- iam-role-github-oidc-scoped ---------------------------------------------------------------------

GITHUB = "token.actions.githubusercontent.com"
TRUST: dict[str, Any] = {
    "Sid": "GitHubActions",
    "Effect": "Allow",
    "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{GITHUB}"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
        "StringEquals": {
            f"{GITHUB}:aud": "sts.amazonaws.com",
            f"{GITHUB}:sub": "repo:example-org/mlops-platform:ref:refs/heads/main",
        }
    },
}


def role(statement: dict[str, Any]) -> Any:
    return reg(ROLE, "ci", {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})})


def test_a_scoped_github_role_passes() -> None:
    assert violations(role_github_oidc_scoped.RULE, role(TRUST)) == []


def trust(equals: dict[str, Any], like: dict[str, Any] | None = None) -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {f"{GITHUB}:{k}": v for k, v in equals.items()}}
    if like:
        condition["StringLike"] = {f"{GITHUB}:{k}": v for k, v in like.items()}
    return {**TRUST, "Condition": condition}


SUB = "repo:example-org/mlops-platform:ref:refs/heads/main"


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (trust({"sub": SUB}), "aud must be exactly sts.amazonaws.com"),
        (trust({"aud": "sts.amazonaws.com"}), "sub is not pinned: any repository on GitHub"),
        (trust({"aud": "sts.amazonaws.com", "sub": "repo:example-org/*"}), "without wildcards"),
        (trust({"aud": "sts.amazonaws.com", "sub": "example-org/mlops-platform"}), "is not repo:<owner>/<repo>"),
        (
            trust({"aud": "sts.amazonaws.com"}, like={"sub": "repo:example-org/mlops-platform:*"}),
            "matched with StringLike",
        ),
    ],
)
def test_each_loose_trust_fails(statement: dict[str, Any], expected: str) -> None:
    found = messages(role_github_oidc_scoped.RULE, role(statement))
    assert found and any(expected in m for m in found), found
    assert all(m.startswith("trust statement GitHubActions: ") for m in found)


def test_other_roles_are_not_applicable() -> None:
    eks = {
        **TRUST,
        "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/A"},
    }
    assert not_applicable(role_github_oidc_scoped.RULE, role(eks)) == [
        "no web-identity trust on GitHub's OIDC provider"
    ]
    assert messages(role_github_oidc_scoped.RULE, reg(ROLE, "r", {"assumeRolePolicy": "nope"})) == [
        "assumeRolePolicy is not valid JSON"
    ]
