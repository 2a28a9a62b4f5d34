"""Policy documents of the network: VPC endpoint policies (a data perimeter) and the flow-log key, trust
and role policies.

Pure JSON builders (tested directly); :class:`~components.network.component.Network` attaches them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from components.iam import key_administration, logs_use_key, partition_of

# Interface endpoint services known to accept endpoint policies
# (https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html). Others get the
# AWS default policy (full access), which is all they support.
POLICY_CAPABLE_SERVICES = frozenset(
    {
        "athena", "autoscaling", "ec2", "ecr.api", "ecr.dkr", "elasticloadbalancing", "glue", "kms", "logs",
        "monitoring", "secretsmanager", "sns", "sqs", "ssm", "sts",
    }
)  # fmt: skip


def s3_gateway_policy(account_id: str, region: str) -> str:
    """S3 gateway endpoint policy: only this account's principals, only this account's buckets.

    A data perimeter: nothing in the VPC can copy data to a bucket of another account through the
    endpoint. The one exception is required by ECR: image layers are served from an AWS-owned bucket
    (https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-minimum-s3-perms), and
    those downloads are presigned by ECR, so they carry no principal of this account. Every image comes
    through the stack's ECR (docs/adr/0003-registry-and-air-gap.md), so public registries' layer buckets
    (registry.k8s.io's regional mirrors, Docker Hub's, quay.io's) are no longer admitted.
    """
    partition = partition_of(region)
    return _policy(
        [
            {
                "Sid": "AccountBucketsOnly",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceAccount": account_id, "aws:PrincipalAccount": account_id}},
            },
            {
                "Sid": "EcrImageLayers",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:{partition}:s3:::prod-{region}-starport-layer-bucket/*",
            },
        ]
    )


def interface_endpoint_policy(service: str, account_id: str, region: str) -> str | None:
    """Policy for an interface endpoint: callers must be principals of this account.

    None for services that do not support endpoint policies. STS also lets pods exchange their
    service-account token for a role of this account (IRSA): AssumeRoleWithWebIdentity carries no
    principal account, so it is allowed by resource (this account's roles) instead.
    """
    if service not in POLICY_CAPABLE_SERVICES:
        return None
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountPrincipalsOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
        }
    ]
    if service == "sts":
        statements.append(
            {
                "Sid": "WebIdentityIntoAccountRoles",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Resource": f"arn:{partition_of(region)}:iam::{account_id}:role/*",
            }
        )
    return _policy(statements)


def flow_log_key_policy(account_id: str, region: str, log_group_name: str) -> str:
    """Key policy of the flow-log key: IAM administers it; CloudWatch Logs uses it for this log group only.

    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    """
    return _policy(
        [
            key_administration(account_id, partition=partition_of(region), sid="AccountAdministersThroughIam"),
            logs_use_key(account_id, region, log_group_name, sid="CloudWatchLogsForFlowLogGroup"),
        ]
    )


def flow_log_trust_policy(account_id: str, region: str) -> str:
    """Trust policy of the flow-log role: the flow-logs service, for this account's flow logs only."""
    return _policy(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                # Confused-deputy guard: https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{partition_of(region)}:ec2:{region}:{account_id}:vpc-flow-log/*"
                    },
                },
            }
        ]
    )


def flow_log_role_policy(log_group_arn: str) -> str:
    """Permissions of the flow-log role: write streams of the one log group."""
    return _policy(
        [
            {
                "Sid": "WriteFlowLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            }
        ]
    )


def _policy(statements: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)
