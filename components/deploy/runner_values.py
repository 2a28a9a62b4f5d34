"""Pure helpers of the in-VPC deploy runner: names, security-group maths and IAM documents.

The runner is a VPC-attached CodeBuild project registered as a GitHub Actions self-hosted runner
(https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner.html). Its role is the platform's
deployer: it runs ``pulumi up`` for the whole stack, so its permissions are those of the services the
program manages. :func:`deploy_policy` explains how far that is fenced. Everything here takes plain
strings (call it inside ``Output.all(...).apply``) and is tested directly.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from components.iam import Statement, document, key_administration, kms_use, logs_use_key, partition_of

WEBHOOK_EVENT = "WORKFLOW_JOB_QUEUED"
"""The webhook event that makes CodeBuild start a runner for a queued GitHub Actions job
(https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner-questions.html)."""

ENVIRONMENT_TAG = "environment"
"""Tag every resource of the stack carries (provider default tags): IAM writes are fenced on it."""

INLINE_POLICY_LIMIT = 10_240
"""IAM quota: characters (whitespace excluded) of all inline policies of one role together."""

MANAGED_REGIONAL_SERVICES = (
    "acm",
    "airflow",
    "athena",
    "autoscaling",
    "cloudwatch",
    "codebuild",
    "cognito-idp",
    "ec2",
    "ecr",
    "eks",
    "elasticloadbalancing",
    "glue",
    "kms",
    "logs",
    "rds",
    "redshift-serverless",
    "secretsmanager",
    "sns",
    "wafv2",
)
"""Regional services whose resources the program creates (MWAA is ``airflow``); the runner manages them
in its own account and region only."""

PASSED_TO_SERVICES = (
    "airflow.amazonaws.com",
    "codebuild.amazonaws.com",
    "ecr.amazonaws.com",
    "eks.amazonaws.com",
    "lakeformation.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
)
"""Services the program hands roles to (cluster/node/add-on roles, MWAA, Lake Formation, flow logs, itself)."""

SERVICE_LINKED_ROLES = (
    "airflow.amazonaws.com",
    "autoscaling.amazonaws.com",
    "eks-nodegroup.amazonaws.com",
    "eks.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "inspector2.amazonaws.com",
    "pullthroughcache.ecr.amazonaws.com",
    "rds.amazonaws.com",
    "redshift.amazonaws.com",
)
"""Service-linked roles the first deployment in a fresh account creates (on the caller's permission): ECR's
pull-through cache role comes with the first cache rule, Inspector's with enhanced registry scanning."""

ECR_REGISTRY_ACTIONS = (
    "ecr:CreatePullThroughCacheRule",
    "ecr:CreateRepositoryCreationTemplate",
    "ecr:DeletePullThroughCacheRule",
    "ecr:DeleteRepositoryCreationTemplate",
    "ecr:DescribePullThroughCacheRules",
    "ecr:DescribeRegistry",
    "ecr:DescribeRepositoryCreationTemplates",
    "ecr:GetRegistryScanningConfiguration",
    "ecr:PutRegistryScanningConfiguration",
    "ecr:UpdatePullThroughCacheRule",
    "ecr:UpdateRepositoryCreationTemplate",
)
"""Registry-level ECR settings (the account's cache rules, creation templates, scanning). Granted on ``*`` in this
account and region as well, in case an action authorizes no registry ARN (not verified per action)."""

ADMIN_POLICIES = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")
"""AWS managed policies the runner may never attach to a role."""

LAKE_FORMATION_ACTIONS = (
    "lakeformation:BatchGrantPermissions",
    "lakeformation:BatchRevokePermissions",
    "lakeformation:DeregisterResource",
    "lakeformation:DescribeResource",
    "lakeformation:GetDataLakeSettings",
    "lakeformation:GrantPermissions",
    "lakeformation:ListPermissions",
    "lakeformation:ListResources",
    "lakeformation:PutDataLakeSettings",
    "lakeformation:RegisterResource",
    "lakeformation:RevokePermissions",
    "lakeformation:UpdateResource",
)
"""What the lake's settings, registrations and grants need (GetDataAccess, which vends data credentials, is not
among them)."""

READ_ACTIONS = (
    "acm:ListCertificates",
    "airflow:Get*",
    "airflow:List*",
    "athena:Get*",
    "athena:List*",
    "autoscaling:Describe*",
    "codebuild:BatchGet*",
    "codebuild:List*",
    "cognito-idp:Describe*",
    "cognito-idp:List*",
    "ec2:Describe*",
    "eks:Describe*",
    "eks:List*",
    "elasticloadbalancing:Describe*",
    "glue:Get*",
    "iam:Get*",
    "iam:List*",
    "kms:Describe*",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:List*",
    "logs:Describe*",
    "logs:List*",
    "rds:Describe*",
    "rds:List*",
    "redshift-serverless:Get*",
    "redshift-serverless:List*",
    "route53:Get*",
    "route53:List*",
    "s3:ListAllMyBuckets",
    "secretsmanager:Describe*",
    "secretsmanager:List*",
    "sts:GetCallerIdentity",
    "wafv2:List*",
)
"""Metadata reads a refresh/preview makes (no log events, object contents or secret values)."""


def project_name(environment: str) -> str:
    """The CodeBuild project (``mlops-<environment>-deploy``): part of every job's ``runs-on`` label, so stable."""
    return f"mlops-{environment}-deploy"


def runner_label(project: str) -> str:
    """The ``runs-on`` prefix of jobs for this runner; jobs add ``-${{ github.run_id }}-${{ github.run_attempt }}``
    (https://docs.aws.amazon.com/codebuild/latest/userguide/sample-github-action-runners-update-labels.html)."""
    return f"codebuild-{project}"


def log_group_name(project: str) -> str:
    """The runner's build log group (CodeBuild's default name, created here with retention and a key)."""
    return f"/aws/codebuild/{project}"


def source_location(repository: str) -> str:
    """The GitHub repository URL CodeBuild registers the webhook on."""
    return f"https://github.com/{repository}.git"


def resolver_cidr(vpc_cidr: str) -> str:
    """The VPC's Route 53 Resolver (the VPC base address plus two), as a /32."""
    network = ipaddress.IPv4Network(vpc_cidr, strict=True)
    return f"{network.network_address + 2}/32"


def project_arn(account: str, region: str, project: str) -> str:
    """ARN of the CodeBuild project."""
    return f"arn:{partition_of(region)}:codebuild:{region}:{account}:project/{project}"


def trust_policy(account: str, region: str, project: str) -> str:
    """Trust policy of the runner role: CodeBuild, for this project of this account only.

    ``aws:SourceAccount`` and ``aws:SourceArn`` stop another account's (or project's) CodeBuild from
    assuming the role through the service (confused deputy:
    https://docs.aws.amazon.com/codebuild/latest/userguide/cross-service-confused-deputy-prevention.html).
    Both the project ARN and its builds' ARNs (``build/<project>:<id>``) are admitted, nothing else.
    """
    partition = partition_of(region)
    return document(
        [
            {
                "Sid": "CodeBuildForThisProjectOnly",
                "Effect": "Allow",
                "Principal": {"Service": "codebuild.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {
                        "aws:SourceArn": [
                            project_arn(account, region, project),
                            f"arn:{partition}:codebuild:{region}:{account}:build/{project}:*",
                        ]
                    },
                },
            }
        ]
    )


def key_policy(account: str, region: str, log_group: str) -> str:
    """Key policy of the runner's key: IAM administers it (the role gets its use through IAM); CloudWatch Logs
    uses it for the runner's log group only."""
    return document(
        [
            key_administration(account, partition=partition_of(region)),
            logs_use_key(account, region, log_group, sid="CloudWatchLogsForRunnerLogs"),
        ]
    )


def runner_policy(
    *,
    account: str,
    region: str,
    log_group_arn: str,
    key_arn: str,
    subnet_ids: Sequence[str],
    connection_arn: str | None = None,
) -> str:
    """What CodeBuild itself needs to run the builds: network interfaces in the VPC, its logs, its key.

    The network-interface statements are the ones CodeBuild documents for VPC builds
    (https://docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-iam-identity-based-access-control.html#customer-managed-policies-example-create-vpc-network-interface),
    with the writes scoped to this account and region and the permission grant to the runner's subnets.
    """
    partition = partition_of(region)
    ec2 = f"arn:{partition}:ec2:{region}:{account}"
    statements: list[Statement] = [
        {
            "Sid": "DescribeNetwork",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            "Resource": "*",
        },
        {
            "Sid": "BuildNetworkInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
            "Resource": [f"{ec2}:network-interface/*", f"{ec2}:security-group/*", f"{ec2}:subnet/*"],
        },
        {
            "Sid": "AttachBuildInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterfacePermission"],
            "Resource": [f"{ec2}:network-interface/*"],
            "Condition": {
                "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
                "ArnEquals": {"ec2:Subnet": sorted(f"{ec2}:subnet/{s}" for s in subnet_ids)},
            },
        },
        {
            "Sid": "WriteBuildLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        },
    ]
    statements += kms_use(key_arn, encrypt=True, sid="UseRunnerKey")
    if connection_arn is not None:
        # The policy prefix must match the connection's ARN (codeconnections or the older codestar-connections).
        service = connection_arn.split(":")[2]
        statements.append(
            {
                "Sid": "UseGitHubConnection",
                "Effect": "Allow",
                "Action": [
                    f"{service}:GetConnection",
                    f"{service}:GetConnectionToken",
                    f"{service}:PassConnection",
                    f"{service}:UseConnection",
                ],
                "Resource": [connection_arn],
            }
        )
    return document(statements)


def deploy_policy(*, account: str, region: str, environment: str) -> str:
    """What ``pulumi up/destroy`` of the whole stack needs: admin-equivalent for the services the program
    manages, fenced as far as AWS lets a deployer be fenced.

    - Regional services: every action, but only on ARNs of this account and this region, and a Deny on any
      request to another region (including through ``extraPolicyArns``; so a KMS key used as the Pulumi
      secrets provider must be in the stack's region too). Service wildcards are deliberate: the provider
      calls hundreds of actions, and a missing one fails a deployment half-way.
    - Actions AWS authorizes on ``*`` only: ``kms:CreateKey`` only for keys tagged with this environment;
      Lake Formation (no resource-level permissions) only in this account and region.
    - S3: buckets named ``<environment>-*`` only (every platform bucket is; the Pulumi state bucket, if any,
      comes through ``extraPolicyArns``).
    - IAM (global, the escalation path): roles are created only with this environment's tag and changed or
      passed only when they carry it, passed only to the services the program uses, never given the AWS
      admin policies; OIDC providers only for this region's EKS issuers; service-linked roles only for the
      services that need one.

    What remains is inherent to a deployer that manages itself: it can rewrite its own role's policies. The
    fences bound mistakes and confused deputies, not a malicious workflow; who may run jobs on the runner
    (the repository's workflows and branch protection) is the real boundary.
    """
    partition = partition_of(region)
    iam = f"arn:{partition}:iam::{account}"
    dns_suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    fenced = {"aws:RequestedRegion": region}
    statements: list[Statement] = [
        {"Sid": "ReadMetadata", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"},
        {
            "Sid": "ManageInThisAccountAndRegion",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in MANAGED_REGIONAL_SERVICES],
            "Resource": [
                *(f"arn:{partition}:{service}:{region}:{account}:*" for service in MANAGED_REGIONAL_SERVICES),
                # Interface endpoints name AWS-owned endpoint services (owned by another account).
                f"arn:{partition}:ec2:{region}:*:vpc-endpoint-service/*",
            ],
        },
        {
            "Sid": "CreateEnvironmentKeys",
            "Effect": "Allow",
            "Action": ["kms:CreateKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {f"aws:RequestTag/{ENVIRONMENT_TAG}": environment, **fenced}},
        },
        {
            "Sid": "LakeFormationInThisAccount",
            "Effect": "Allow",
            "Action": list(LAKE_FORMATION_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceAccount": account, **fenced}},
        },
        {
            "Sid": "EcrRegistrySettingsInThisAccount",
            "Effect": "Allow",
            "Action": list(ECR_REGISTRY_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceAccount": account, **fenced}},
        },
        {
            # The way in (mlops:access): ACM certificate requests and Cognito user pools authorize on "*" only.
            "Sid": "AccessCreatesInThisAccount",
            "Effect": "Allow",
            "Action": ["acm:RequestCertificate", "cognito-idp:CreateUserPool"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceAccount": account, **fenced}},
        },
        {
            # Route 53 is global (no region fence) and its tags cannot scope access: the private zone, its records,
            # and the DNS validation records in the public zone mlops:access.certificate.validationZoneId names.
            "Sid": "HostedZones",
            "Effect": "Allow",
            "Action": [
                "route53:AssociateVPCWithHostedZone",
                "route53:ChangeResourceRecordSets",
                "route53:ChangeTagsForResource",
                "route53:CreateHostedZone",
                "route53:DeleteHostedZone",
                "route53:DisassociateVPCFromHostedZone",
                "route53:UpdateHostedZoneComment",
            ],
            "Resource": [
                f"arn:{partition}:route53:::hostedzone/*",
                f"arn:{partition}:route53:::change/*",
                f"arn:{partition}:ec2:{region}:{account}:vpc/*",
            ],
        },
        {
            "Sid": "EnvironmentBuckets",
            "Effect": "Allow",
            "Action": ["s3:*"],
            "Resource": [f"arn:{partition}:s3:::{environment}-*", f"arn:{partition}:s3:::{environment}-*/*"],
        },
        {
            # Budgets is global (its API is in us-east-1, so no region fence): this environment's budgets only.
            # CreateBudget, notifications and subscribers authorize as ModifyBudget, Describe* as ViewBudget.
            "Sid": "EnvironmentBudgets",
            "Effect": "Allow",
            "Action": [
                "budgets:ListTagsForResource",
                "budgets:ModifyBudget",
                "budgets:TagResource",
                "budgets:UntagResource",
                "budgets:ViewBudget",
            ],
            "Resource": [f"arn:{partition}:budgets::{account}:budget/mlops-{environment}-*"],
        },
        {
            "Sid": "CreateEnvironmentRoles",
            "Effect": "Allow",
            "Action": ["iam:CreateRole", "iam:TagRole"],
            "Resource": [f"{iam}:role/*"],
            "Condition": {"StringEquals": {f"aws:RequestTag/{ENVIRONMENT_TAG}": environment}},
        },
        {
            "Sid": "ManageEnvironmentRoles",
            "Effect": "Allow",
            "Action": [
                "iam:AttachRolePolicy",
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ],
            "Resource": [f"{iam}:role/*"],
            "Condition": {"StringEquals": {f"aws:ResourceTag/{ENVIRONMENT_TAG}": environment}},
        },
        {
            "Sid": "PassEnvironmentRoles",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": [f"{iam}:role/*"],
            "Condition": {
                "StringEquals": {
                    "iam:PassedToService": list(PASSED_TO_SERVICES),
                    f"aws:ResourceTag/{ENVIRONMENT_TAG}": environment,
                }
            },
        },
        {
            "Sid": "EksOidcProviders",
            "Effect": "Allow",
            "Action": [
                "iam:AddClientIDToOpenIDConnectProvider",
                "iam:CreateOpenIDConnectProvider",
                "iam:DeleteOpenIDConnectProvider",
                "iam:RemoveClientIDFromOpenIDConnectProvider",
                "iam:TagOpenIDConnectProvider",
                "iam:UntagOpenIDConnectProvider",
                "iam:UpdateOpenIDConnectProviderThumbprint",
            ],
            "Resource": [
                f"{iam}:oidc-provider/oidc.eks.{region}.{dns_suffix}/id/*",
                # The account's GitHub Actions provider, adopted (or created) for the registry's CI role.
                f"{iam}:oidc-provider/token.actions.githubusercontent.com",
            ],
        },
        {
            "Sid": "ServiceLinkedRoles",
            "Effect": "Allow",
            "Action": ["iam:CreateServiceLinkedRole"],
            "Resource": [f"{iam}:role/aws-service-role/*"],
            "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLES)}},
        },
        {
            "Sid": "NoAdministratorPolicies",
            "Effect": "Deny",
            "Action": ["iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"],
            "Resource": "*",
            "Condition": {
                "ArnLike": {"iam:PolicyARN": [f"arn:{partition}:iam::aws:policy/{p}" for p in ADMIN_POLICIES]}
            },
        },
        {
            "Sid": "StayInThisRegion",
            "Effect": "Deny",
            "Action": sorted(f"{service}:*" for service in (*MANAGED_REGIONAL_SERVICES, "lakeformation")),
            "Resource": "*",
            "Condition": {"StringNotEquals": fenced},
        },
    ]
    return document(statements)


def policy_size(*documents: str) -> int:
    """Characters IAM counts against :data:`INLINE_POLICY_LIMIT` (whitespace excluded)."""
    return sum(len("".join(text.split())) for text in documents)


def workflow_name_pattern(workflows: Sequence[str]) -> str:
    """The ``WORKFLOW_NAME`` webhook filter admitting exactly these workflow names (an anchored regex)."""
    if not workflows:
        raise ValueError("name at least one workflow the runner may serve")
    return "^(" + "|".join(re.escape(name) for name in sorted(set(workflows))) + ")$"
