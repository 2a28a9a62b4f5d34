"""ArtifactBucket: a private, KMS-encrypted, versioned S3 bucket for stacks without a data lake.

Used by the tracking server (MLflow artifacts), the orchestrator (Airflow logs) and MWAA (DAGs) when no
lake's ``ml-artifacts`` bucket is given, with the lake's controls: its own rotated customer key, SSE-KMS
with a bucket key, all four public-access blocks, versioning, BucketOwnerEnforced, a TLS-only and
encrypted-put bucket policy, and lifecycle housekeeping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.data.bucket_controls import bucket_controls
from components.iam import document

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def bucket_policy(bucket_arn: str, key_arn: str) -> str:
    """TLS only; puts that name an encryption other than SSE-KMS with this bucket's key are denied.

    A put without encryption headers is accepted and encrypted by the bucket default (SSE-KMS, this key):
    some clients cannot send the headers (Airflow's S3 log handler can only ask for AES256).
    """
    objects = f"{bucket_arn}/*"
    return document(
        [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, objects],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                # StringNotEquals does not match a missing header: only explicit non-KMS requests are denied.
                "Sid": "DenyNonKmsEncryption",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            },
            {
                "Sid": "DenyOtherKmsKeys",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}},
            },
        ]
    )


def lifecycle_rules(noncurrent_days: int) -> list[dict[str, Any]]:
    """Abort stale multipart uploads, expire old versions and orphaned delete markers."""
    if noncurrent_days < 1:
        raise ValueError(f"noncurrent_days must be at least 1 (got {noncurrent_days})")
    return [
        {
            "id": "abort-incomplete-multipart-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        },
        {
            "id": "expire-noncurrent-versions",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "noncurrent_version_expiration": {"noncurrent_days": noncurrent_days},
            "expiration": {"expired_object_delete_marker": True},
        },
    ]


@dataclass(frozen=True, kw_only=True)
class ArtifactBucketArgs:
    """Inputs of :class:`ArtifactBucket`."""

    bucket_name: pulumi.Input[str]
    """Globally unique bucket name (e.g. ``<environment>-mlflow-artifacts-<account>-<region>``)."""
    purpose: str
    """What the bucket holds, for descriptions."""
    noncurrent_version_days: int = 30
    """Days a noncurrent object version is kept."""
    force_destroy: bool = False
    """Let ``pulumi destroy`` delete a non-empty bucket (phoenix stacks)."""
    protect: bool = False
    """Protect the bucket and its key from deletion (prod)."""


class ArtifactBucket(pulumi.ComponentResource):
    """A private S3 bucket with its own customer key and the platform's bucket controls."""

    bucket_name: pulumi.Output[str]
    """The bucket's name."""
    bucket_arn: pulumi.Output[str]
    """The bucket's ARN."""
    kms_key_arn: pulumi.Output[str]
    """The bucket's customer key (default SSE-KMS)."""
    ready: list[pulumi.Resource]
    """Controls writers must wait for (policy, encryption, public-access block)."""

    def __init__(self, name: str, args: ArtifactBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:artifact_bucket:ArtifactBucket", name, None, opts)
        if isinstance(args.bucket_name, str) and not _BUCKET.match(args.bucket_name):
            raise ValueError(f"ArtifactBucketArgs.bucket_name {args.bucket_name!r} is not a valid S3 bucket name")
        if args.force_destroy and args.protect:
            raise ValueError("ArtifactBucketArgs: force_destroy and protect cannot both be true")
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect)
        key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.purpose}: S3 default encryption",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30 if args.protect else 7,
            opts=keep,
        )
        bucket = aws.s3.Bucket(f"{name}-bucket", bucket=args.bucket_name, force_destroy=args.force_destroy, opts=keep)
        controls = bucket_controls(
            name,
            bucket,
            sse_rule={
                "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
                "bucket_key_enabled": True,
            },
            policy=pulumi.Output.all(bucket.arn, key.arn).apply(lambda v: bucket_policy(str(v[0]), str(v[1]))),
            lifecycle_rules=lifecycle_rules(args.noncurrent_version_days),
            parent=self,
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.kms_key_arn = key.arn
        self.ready = controls.ready
        self.register_outputs(
            {"bucketName": self.bucket_name, "bucketArn": self.bucket_arn, "kmsKeyArn": self.kms_key_arn}
        )


def default_bucket_name(environment: str, role: str, account_id: str, region: str) -> str:
    """``<environment>-<role>-<account>-<region>``, validated (S3 names are global and at most 63 chars)."""
    name = f"{environment}-{role}-{account_id}-{region}"
    if not _BUCKET.match(name):
        raise ValueError(f"bucket name {name!r} is not a valid S3 bucket name (3-63 lowercase chars)")
    return name


def own_bucket_name(environment: str, role: str, account_id: pulumi.Input[str], region: str) -> pulumi.Output[str]:
    """:func:`default_bucket_name` once the account id (usually an output) is known."""
    return pulumi.Output.from_input(account_id).apply(
        lambda account: default_bucket_name(environment, role, str(account), region)
    )


__all__ = [
    "ArtifactBucket",
    "ArtifactBucketArgs",
    "bucket_policy",
    "default_bucket_name",
    "lifecycle_rules",
    "own_bucket_name",
]
