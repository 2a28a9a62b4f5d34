"""ImageRegistry under the offline engine: repositories, cache rules, templates, scanning, CI role, pull policies,
as the captured inputs show them; and the ECR policy rules on the very same registrations."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.registry.component import (
    PLACEHOLDER_LOGIN,
    ImageRegistry,
    ImageRegistryArgs,
    mirror_repository_name,
    team_repository_name,
    validate_args,
)
from components.registry.config import RegistryConfig
from components.registry.images import RegistryBase
from mlopsctl.engine import Graph, Registration, run_program
from mlopsctl.policy import evaluate
from policies.mlops.ecr import repository_immutable_tags, repository_kms_encrypted, repository_scan_on_push

ACCOUNT = "123456789012"
TAGS = {"owner": "ml-platform-team", "environment": "dev", "cost-center": "cc-1001"}
NODE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/serving-node-role"
REPOSITORY = "aws:ecr/repository:Repository"
RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
REPO_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"

_CACHE: dict[str, tuple[Graph, list[ImageRegistry]]] = {}


def build(raw: dict[str, Any] | None = None, **extra: Any) -> tuple[Graph, ImageRegistry]:
    key = json.dumps([raw, extra], sort_keys=True)
    if key not in _CACHE:
        config = RegistryConfig.model_validate(raw or {})
        holder: list[ImageRegistry] = []

        def program() -> None:
            provider = aws.Provider("aws", region="eu-west-1")
            registry = ImageRegistry(
                "registry",
                ImageRegistryArgs(
                    config=config, environment="dev", region="eu-west-1", account_id=ACCOUNT, tags=TAGS, **extra
                ),
                opts=pulumi.ResourceOptions(providers=[provider]),
            )
            registry.allow_pull("registry", [NODE_ROLE])
            holder.append(registry)

        _CACHE[key] = (run_program(program, stack="dev", config={"aws:region": "eu-west-1"}), holder)
    graph, holder = _CACHE[key]
    return graph, holder[0]


def by_name(graph: Graph, type_: str) -> dict[str, Registration]:
    return {r.name: r for r in graph.by_type(type_)}


def doc(resource: Registration, key: str) -> Any:
    value = resource.inputs[key]
    return json.loads(value) if isinstance(value, str) else value


def test_team_repositories_are_immutable_scanned_kms_encrypted_and_expire() -> None:
    graph, _ = build(None, force_delete=True)
    repos = {r.inputs["name"]: r for r in graph.by_type(REPOSITORY)}
    team = {team_repository_name("dev", n) for n in ("model-servers", "pipeline-tasks")}
    mirrors = {mirror_repository_name(m) for m in RegistryConfig().mirrors}
    assert (
        set(repos)
        == team | mirrors
        == {
            "mlops/dev/model-servers",
            "mlops/dev/pipeline-tasks",
            "mirror/nvcr/nvidia/k8s-device-plugin",
            "mirror/nvcr/nvidia/tritonserver",
        }
    )
    (key,) = graph.by_type("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    for name, repo in repos.items():
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        (encryption,) = repo.inputs["encryptionConfigurations"]
        assert encryption["encryptionType"] == "KMS" and encryption["kmsKey"].startswith("arn:aws:kms:eu-west-1:")
        # Team repositories of a phoenix-like stack are force-deleted; shared mirrors never are.
        assert repo.inputs["forceDelete"] is (name in team)
    lifecycles = graph.by_type(LIFECYCLE)
    assert len(lifecycles) == 4
    rules = doc(lifecycles[0], "policy")["rules"]
    assert [r["selection"]["tagStatus"] for r in rules] == ["untagged", "any"]
    assert (rules[0]["selection"]["countNumber"], rules[1]["selection"]["countNumber"]) == (7, 30)
    (alias,) = graph.by_type("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/mlops-dev-registry"


def test_one_cache_rule_per_upstream_logins_only_where_needed() -> None:
    graph, registry = build()
    rules = {r.inputs["ecrRepositoryPrefix"]: r for r in graph.by_type(RULE)}
    assert {p: r.inputs["upstreamRegistryUrl"] for p, r in rules.items()} == {
        "ecr-public": "public.ecr.aws",
        "k8s": "registry.k8s.io",
        "quay": "quay.io",
        "ghcr": "ghcr.io",
        "docker-hub": "registry-1.docker.io",
    }
    secrets = by_name(graph, SECRET)
    assert set(secrets) == {"registry-login-ghcr", "registry-login-docker-hub"}
    for prefix in ("ghcr", "docker-hub"):
        secret = secrets[f"registry-login-{prefix}"]
        assert secret.inputs["namePrefix"] == f"ecr-pullthroughcache/dev-{prefix}-"
        assert "kmsKeyId" not in secret.inputs  # aws/secretsmanager: ECR's service-linked role can read it
        # The mocks name the secret after its resource; AWS names it after namePrefix.
        assert rules[prefix].inputs["credentialArn"].startswith(f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:")
        assert secret.urn in rules[prefix].property_dependencies["credentialArn"]
    for prefix in ("ecr-public", "k8s", "quay"):
        assert "credentialArn" not in rules[prefix].inputs
    assert set(registry.login_secret_arns) == {"ghcr", "docker-hub"}
    # The placeholder is no credential, and a secret in the plan.
    versions = graph.by_type(VERSION)
    assert len(versions) == 2 and all(v.inputs["secretString"] == "[secret]" for v in versions)
    assert PLACEHOLDER_LOGIN == {"username": "set-me", "accessToken": "set-me"}
    # Kubernetes resources wait for every rule and template.
    kinds = sorted(type(r).__name__ for r in registry.pull_ready)
    assert kinds == ["PullThroughCacheRule"] * 5 + ["RepositoryCreationTemplate"] * 5


def test_configured_logins_are_referenced_not_created() -> None:
    arn = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:ecr-pullthroughcache/hub-AbCdEf"
    graph, _ = build({"credentialArns": {"docker-hub": arn}})
    rules = {r.inputs["ecrRepositoryPrefix"]: r for r in graph.by_type(RULE)}
    assert rules["docker-hub"].inputs["credentialArn"] == arn
    assert set(by_name(graph, SECRET)) == {"registry-login-ghcr"}


def test_templates_make_cache_repositories_immutable_encrypted_tagged_and_read_only() -> None:
    graph, _ = build()
    templates = {t.inputs["prefix"]: t for t in graph.by_type(TEMPLATE)}
    assert set(templates) == {"ecr-public", "k8s", "quay", "ghcr", "docker-hub"}
    role = by_name(graph, ROLE)["registry-template-role"]
    trust = doc(role, "assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "ecr.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    policy = doc(by_name(graph, ROLE_POLICY)["registry-template-role-policy"], "policy")["Statement"]
    assert policy[0]["Action"] == ["ecr:CreateRepository", "ecr:TagResource"]
    assert f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/quay/*" in policy[0]["Resource"]
    assert policy[1]["Action"] == ["kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant"]
    for template in templates.values():
        assert template.inputs["appliedFors"] == ["PULL_THROUGH_CACHE"]
        assert template.inputs["imageTagMutability"] == "IMMUTABLE"
        assert template.inputs["encryptionConfigurations"][0]["encryptionType"] == "KMS"
        assert template.inputs["customRoleArn"].endswith(":role/" + role.name) or "registry-template-role" in str(
            template.inputs["customRoleArn"]
        )
        assert template.inputs["resourceTags"] == TAGS
        (deny,) = doc(template, "repositoryPolicy")["Statement"]
        assert deny["Effect"] == "Deny" and "ecr:PutImage" in deny["Action"]
        assert deny["Condition"] == {
            "ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/*"]}
        }
        assert doc(template, "lifecyclePolicy")["rules"][0]["selection"]["tagStatus"] == "untagged"
        assert by_name(graph, ROLE_POLICY)["registry-template-role-policy"].urn in template.dependencies


@pytest.mark.parametrize(
    ("enhanced", "scan_type", "frequency"), [(False, "BASIC", "SCAN_ON_PUSH"), (True, "ENHANCED", "CONTINUOUS_SCAN")]
)
def test_registry_scanning(enhanced: bool, scan_type: str, frequency: str) -> None:
    graph, _ = build({"enhancedScanning": enhanced})
    (scanning,) = graph.by_type(SCANNING)
    assert scanning.inputs["scanType"] == scan_type
    assert scanning.inputs["rules"] == [
        {"scanFrequency": frequency, "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}
    ]


def test_without_account_settings_only_the_stacks_own_repositories_exist() -> None:
    graph, registry = build({"accountSettings": False})
    assert {r.inputs["name"] for r in graph.by_type(REPOSITORY)} == {
        "mlops/dev/model-servers",
        "mlops/dev/pipeline-tasks",
    }
    for type_ in (RULE, TEMPLATE, SCANNING, SECRET):
        assert list(graph.by_type(type_)) == []
    assert registry.pull_ready == []


def test_team_repositories_let_only_nodes_and_ci_pull_and_only_ci_push() -> None:
    graph, registry = build({"ci": {"repository": "example-org/mlops-platform"}})
    assert registry.ci_role_arn is not None
    policies = by_name(graph, REPO_POLICY)
    assert set(policies) == {"registry-model-servers-policy", "registry-pipeline-tasks-policy"}
    statements = {s["Sid"]: s for s in doc(policies["registry-model-servers-policy"], "policy")["Statement"]}
    pull, push = statements["OnlyNodesAndCiPull"], statements["OnlyCiPushes"]
    assert pull["Effect"] == push["Effect"] == "Deny" and pull["Principal"] == "*"
    slr = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/*"
    pullers = pull["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    (ci_arn,) = [p for p in pullers if p not in (NODE_ROLE, slr)]
    assert ci_arn.startswith(f"arn:aws:iam::{ACCOUNT}:role/registry-ci-role")
    assert "ecr:PutImage" in push["Action"] and "ecr:BatchGetImage" in pull["Action"]
    assert push["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == sorted([ci_arn, slr])


def test_without_ci_nobody_pushes() -> None:
    graph, registry = build()
    assert registry.ci_role_arn is None
    statements = {
        s["Sid"]: s for s in doc(by_name(graph, REPO_POLICY)["registry-model-servers-policy"], "policy")["Statement"]
    }
    assert "Condition" not in statements["OnlyCiPushes"]
    assert statements["OnlyNodesAndCiPull"]["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == sorted(
        [NODE_ROLE, f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/*"]
    )


@pytest.mark.parametrize(
    ("mode", "import_id"),
    [("import", f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"), ("create", "")],
)
def test_the_ci_role_trusts_one_repository_through_githubs_provider(mode: str, import_id: str) -> None:
    graph, _ = build({"ci": {"repository": "example-org/mlops-platform", "oidcProvider": mode}})
    (provider,) = graph.by_type(OIDC)
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert provider.import_id == import_id and provider.retain_on_delete is True
    role = by_name(graph, ROLE)["registry-ci-role"]
    (trust,) = doc(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {
        "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    }
    assert trust["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:example-org/mlops-platform:ref:refs/heads/main",
        }
    }
    assert provider.urn in role.dependencies
    push = doc(by_name(graph, ROLE_POLICY)["registry-ci-push"], "policy")["Statement"]
    assert push[0] == {"Sid": "Login", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"}
    assert sorted(a.split(":repository/", 1)[1] for a in push[1]["Resource"]) == [
        "mirror/nvcr/nvidia/k8s-device-plugin",
        "mirror/nvcr/nvidia/tritonserver",
        "mlops/dev/model-servers",
        "mlops/dev/pipeline-tasks",
    ]
    assert "ecr:PutImage" in push[1]["Action"] and "ecr:DeleteRepository" not in push[1]["Action"]


def test_the_ecr_rules_pass_on_every_repository_and_template() -> None:
    graph, _ = build({"ci": {"repository": "example-org/mlops-platform"}})
    rules = [m.RULE for m in (repository_immutable_tags, repository_kms_encrypted, repository_scan_on_push)]
    report = evaluate(graph, rules=rules)
    assert report.violations == ()
    checked = {r.type for r in graph.resources if r.type in (REPOSITORY, TEMPLATE)}
    assert checked == {REPOSITORY, TEMPLATE}


def test_the_registry_base_is_account_and_region() -> None:
    _, registry = build()
    seen: list[RegistryBase] = []
    registry.base.apply(seen.append)
    assert seen in ([], [RegistryBase(account_id=ACCOUNT, region="eu-west-1")])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"environment": "Dev!"}, "environment 'Dev!'"),
        ({"region": "europe"}, "region 'europe'"),
        ({"account_id": "42"}, "not a 12-digit AWS account id"),
        ({"tags": {"aws:cloudformation": "x"}}, "the aws: prefix is reserved"),
    ],
)
def test_validate_args(changes: dict[str, Any], message: str) -> None:
    args = dict(config=RegistryConfig(), environment="dev", region="eu-west-1", account_id=ACCOUNT, tags=TAGS)
    with pytest.raises(ValueError, match=message):
        validate_args(ImageRegistryArgs(**{**args, **changes}))
