"""Least-privilege IAM policy documents, built by pure functions.

Every statement names concrete actions and concrete resources: no ``*`` action, and no write
action on a ``*`` resource. Components attach the documents to their roles; tests check them
directly. Inputs are plain strings (call them inside ``Output.all(...).apply``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

Statement = dict[str, Any]

S3_READ = ("s3:GetObject", "s3:GetObjectVersion")
S3_WRITE = ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
S3_LIST = ("s3:ListBucket", "s3:GetBucketLocation")
KMS_DECRYPT = ("kms:Decrypt", "kms:DescribeKey")
KMS_ENCRYPT = ("kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")


def partition_of(region: str) -> str:
    """The AWS partition of a region (``aws``, ``aws-cn``, ``aws-us-gov``): ARNs and principals differ per partition."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def s3_access(bucket_arn: str, prefixes: Sequence[str] = ("",), *, write: bool, sid: str) -> list[Statement]:
    """Read (and optionally write) objects under ``prefixes`` of one bucket, and list only those prefixes."""
    objects = sorted({f"{bucket_arn}/{p.strip('/') + '/' if p.strip('/') else ''}*" for p in prefixes})
    actions = S3_READ + (S3_WRITE if write else ())
    statements: list[Statement] = [
        {"Sid": f"{sid}Objects", "Effect": "Allow", "Action": list(actions), "Resource": objects},
        {"Sid": f"{sid}List", "Effect": "Allow", "Action": list(S3_LIST), "Resource": [bucket_arn]},
    ]
    listed = [p.strip("/") for p in prefixes if p.strip("/")]
    if listed:
        statements[1]["Condition"] = {"StringLike": {"s3:prefix": sorted(f"{p}/*" for p in listed) + sorted(listed)}}
    return statements


def kms_use(key_arn: str, *, encrypt: bool, sid: str = "UseKey") -> list[Statement]:
    """Decrypt (and optionally encrypt) with one customer key."""
    actions = KMS_DECRYPT + (KMS_ENCRYPT if encrypt else ())
    return [{"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": [key_arn]}]


def secret_read(secret_arns: Iterable[str], *, sid: str = "ReadSecret") -> list[Statement]:
    """Read the current value of specific Secrets Manager secrets."""
    return [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": sorted(secret_arns),
        }
    ]


def key_administration(account_id: str, *, partition: str, sid: str = "AccountAdministersKey") -> Statement:
    """The default key-policy statement: the account administers the key, and IAM policies may grant its use
    (the account can never lock itself out of the key)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def logs_use_key(account_id: str, region: str, log_groups: str, *, sid: str) -> Statement:
    """Key-policy statement letting CloudWatch Logs use the key for the named log group(s) only.

    ``log_groups`` is a log-group name, or a name pattern with ``*``; the encryption-context condition
    is the one AWS documents (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
    """
    arn = f"arn:{partition_of(region)}:logs:{region}:{account_id}:log-group:{log_groups}"
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {("ArnLike" if "*" in log_groups else "ArnEquals"): {"kms:EncryptionContext:aws:logs:arn": arn}},
    }


def document(*statement_groups: Iterable[Statement]) -> str:
    """A policy document (JSON text) from groups of statements."""
    statements = [s for group in statement_groups for s in group]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def assume_role_policy(service: str) -> str:
    """Trust policy letting an AWS service (e.g. ``eks.amazonaws.com``) assume a role."""
    return document(
        [{"Effect": "Allow", "Principal": {"Service": service}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]
    )
