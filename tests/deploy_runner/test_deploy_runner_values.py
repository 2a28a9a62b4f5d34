"""The runner's pure helpers: names, the resolver address, and IAM documents that stay inside their fences."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components.deploy import runner_values as values
from mlopsctl.engine import Graph
from policies.mlops.iam_doc import RESOURCE_STAR_ONLY, is_read_only, is_scoped_by_condition

ACCOUNT = "123456789012"

# Pulumi module of a resource type -> the IAM service prefix that manages it.
IAM_PREFIX = {
    "acm": "acm",
    "athena": "athena",
    "autoscaling": "autoscaling",
    "budgets": "budgets",
    "cloudwatch": "logs",
    "codebuild": "codebuild",
    "cognito": "cognito-idp",
    "ec2": "ec2",
    "ecr": "ecr",
    "eks": "eks",
    "glue": "glue",
    "iam": "iam",
    "kms": "kms",
    "lakeformation": "lakeformation",
    "lb": "elasticloadbalancing",
    "mwaa": "airflow",
    "rds": "rds",
    "redshiftserverless": "redshift-serverless",
    "route53": "route53",
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "sns": "sns",
    "verifiedaccess": "ec2",
    "vpc": "ec2",
    "wafv2": "wafv2",
}


def statements(text: str) -> list[dict[str, Any]]:
    return list(json.loads(text)["Statement"])


def deploy(region: str = "eu-west-1", environment: str = "dev") -> list[dict[str, Any]]:
    return statements(values.deploy_policy(account=ACCOUNT, region=region, environment=environment))


def runner(**kwargs: Any) -> list[dict[str, Any]]:
    base: dict[str, Any] = {
        "account": ACCOUNT,
        "region": "eu-west-1",
        "log_group_arn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/codebuild/mlops-dev-deploy",
        "key_arn": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k",
        "subnet_ids": ["subnet-0b", "subnet-0a"],
    }
    return statements(values.runner_policy(**{**base, **kwargs}))


def test_names() -> None:
    assert values.project_name("pr-42") == "mlops-pr-42-deploy"
    assert values.runner_label("mlops-pr-42-deploy") == "codebuild-mlops-pr-42-deploy"
    assert values.log_group_name("mlops-dev-deploy") == "/aws/codebuild/mlops-dev-deploy"
    assert values.source_location("org/repo") == "https://github.com/org/repo.git"
    assert values.resolver_cidr("10.50.0.0/16") == "10.50.0.2/32"
    assert values.resolver_cidr("172.16.16.0/20") == "172.16.16.2/32"
    with pytest.raises(ValueError):
        values.resolver_cidr("10.50.0.1/16")


@pytest.mark.parametrize(
    "document", [deploy(), runner(connection_arn=f"arn:aws:codeconnections:eu-west-1:{ACCOUNT}:connection/c")]
)
def test_no_allow_is_unbounded(document: list[dict[str, Any]]) -> None:
    for statement in document:
        if statement["Effect"] != "Allow":
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert "*" not in actions and "NotAction" not in statement
        if statement["Resource"] == "*":
            writes = [a for a in actions if not is_read_only(a) and a not in RESOURCE_STAR_ONLY]
            assert not writes or is_scoped_by_condition(statement), statement["Sid"]
        else:
            # Every ARN names this account, or an AWS-owned endpoint service / bucket of this environment, or is a
            # Route 53 ARN (global, without an account: hosted zones have no resource policy, so only this account's).
            for arn in statement["Resource"]:
                assert (
                    f":{ACCOUNT}:" in arn
                    or ":*:vpc-endpoint-service/" in arn
                    or arn.startswith(("arn:aws:s3:::dev-", "arn:aws:route53:::"))
                ), arn


def test_regional_writes_are_fenced_to_the_region_and_account() -> None:
    by_sid = {s["Sid"]: s for s in deploy(region="eu-central-1")}
    manage = by_sid["ManageInThisAccountAndRegion"]
    assert all(
        arn.startswith(("arn:aws:", "arn:aws:ec2:eu-central-1:*:vpc-endpoint-service/")) and ":eu-central-1:" in arn
        for arn in manage["Resource"]
    )
    assert {a.split(":")[0] for a in manage["Action"]} == set(values.MANAGED_REGIONAL_SERVICES)
    fence = by_sid["StayInThisRegion"]
    assert fence["Effect"] == "Deny" and fence["Resource"] == "*"
    assert {a.split(":")[0] for a in fence["Action"]} == {*values.MANAGED_REGIONAL_SERVICES, "lakeformation"}
    assert by_sid["CreateEnvironmentKeys"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/environment": "dev", "aws:RequestedRegion": "eu-central-1"}
    }
    assert by_sid["LakeFormationInThisAccount"]["Condition"] == {
        "StringEquals": {"aws:ResourceAccount": ACCOUNT, "aws:RequestedRegion": "eu-central-1"}
    }
    assert "lakeformation:GetDataAccess" not in by_sid["LakeFormationInThisAccount"]["Action"]


def test_iam_is_fenced_to_the_environment_and_never_grants_admin_policies() -> None:
    by_sid = {s["Sid"]: s for s in deploy(environment="pr-42")}
    assert by_sid["CreateEnvironmentRoles"]["Condition"] == {"StringEquals": {"aws:RequestTag/environment": "pr-42"}}
    assert by_sid["ManageEnvironmentRoles"]["Condition"] == {"StringEquals": {"aws:ResourceTag/environment": "pr-42"}}
    passing = by_sid["PassEnvironmentRoles"]["Condition"]["StringEquals"]
    assert passing["aws:ResourceTag/environment"] == "pr-42"
    assert passing["iam:PassedToService"] == list(values.PASSED_TO_SERVICES)
    assert by_sid["EksOidcProviders"]["Resource"] == [
        f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/*",
        f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
    ]
    deny = by_sid["NoAdministratorPolicies"]
    assert deny["Effect"] == "Deny"
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in deny["Condition"]["ArnLike"]["iam:PolicyARN"]
    granted = {a for s in deploy() if s["Effect"] == "Allow" for a in s["Action"] if a.startswith("iam:")}
    assert not {"iam:CreateUser", "iam:CreateAccessKey", "iam:CreatePolicyVersion", "iam:*"} & granted


def test_other_partitions_get_their_own_arns() -> None:
    text = values.deploy_policy(account=ACCOUNT, region="cn-north-1", environment="dev")
    assert "arn:aws-cn:ec2:cn-north-1:" in text and "oidc.eks.cn-north-1.amazonaws.com.cn" in text
    assert "arn:aws:" not in text


def test_runner_statements_follow_the_codebuild_vpc_documentation() -> None:
    by_sid = {s["Sid"]: s for s in runner()}
    assert by_sid["AttachBuildInterfaces"]["Action"] == ["ec2:CreateNetworkInterfacePermission"]
    assert by_sid["AttachBuildInterfaces"]["Condition"]["ArnEquals"]["ec2:Subnet"] == [
        f"arn:aws:ec2:eu-west-1:{ACCOUNT}:subnet/subnet-0a",
        f"arn:aws:ec2:eu-west-1:{ACCOUNT}:subnet/subnet-0b",
    ]
    assert set(by_sid["DescribeNetwork"]["Action"]) == {
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
    }
    assert "UseGitHubConnection" not in by_sid
    legacy = f"arn:aws:codestar-connections:eu-west-1:{ACCOUNT}:connection/c"
    use = {s["Sid"]: s for s in runner(connection_arn=legacy)}["UseGitHubConnection"]
    assert use["Resource"] == [legacy] and all(a.startswith("codestar-connections:") for a in use["Action"])


def test_both_inline_policies_fit_the_role_quota() -> None:
    subnets = [f"subnet-{i:017x}" for i in range(3)]
    deploy_text = values.deploy_policy(account=ACCOUNT, region="ap-southeast-2", environment="a-long-env-name-12345")
    runner_text = values.runner_policy(
        account=ACCOUNT,
        region="ap-southeast-2",
        log_group_arn=f"arn:aws:logs:ap-southeast-2:{ACCOUNT}:log-group:/aws/codebuild/mlops-a-long-env-name-12345-deploy",
        key_arn=f"arn:aws:kms:ap-southeast-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        subnet_ids=subnets,
        connection_arn=f"arn:aws:codeconnections:ap-southeast-2:{ACCOUNT}:connection/1234abcd-12ab-34cd-56ef",
    )
    assert values.policy_size(deploy_text, runner_text) < values.INLINE_POLICY_LIMIT


def test_trust_admits_only_this_projects_codebuild() -> None:
    (statement,) = statements(values.trust_policy(ACCOUNT, "eu-west-1", "mlops-dev-deploy"))
    assert statement["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert all("mlops-dev-deploy" in arn for arn in statement["Condition"]["ArnLike"]["aws:SourceArn"])


@pytest.mark.parametrize("stack", ["dev", "prod", "phoenix"])
def test_every_aws_service_of_the_stack_is_in_the_runners_reach(stack: str, graph_of: Callable[[str], Graph]) -> None:
    # A new service in the program without the runner's permission would fail the first real deploy.
    granted = {
        action.split(":")[0]
        for statement in deploy()
        if statement["Effect"] == "Allow"
        for action in statement["Action"]
    }
    modules = {
        r.type.split(":")[1].split("/")[0]
        for r in graph_of(stack).resources
        if r.custom and r.type.startswith("aws:") and not r.type.startswith("aws:index")
    }
    unknown = sorted(modules - set(IAM_PREFIX))
    assert not unknown, f"map these pulumi-aws modules to IAM prefixes (and grant them to the runner): {unknown}"
    assert {IAM_PREFIX[m] for m in modules} <= granted
