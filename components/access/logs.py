"""The access bucket of the way in: load balancer access and connection logs, and the clients' CA bundle.

SSE-S3, the only default encryption ELB log delivery supports (ELB user guide, "Enable access logs", bucket
requirements); TLS only; ELB log delivery allowed under the log prefixes only; logs expiring after
``accessLogDays``. The controls come from :func:`components.data.bucket_controls.bucket_controls`.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.access import documents
from components.data.artifact_bucket import own_bucket_name
from components.data.bucket_controls import bucket_controls

LOG_PREFIXES = {"people": "logs/people", "models": "logs/models", "connections": "logs/models-connections"}
"""Where each log stream goes in the access bucket (ELB appends ``AWSLogs/<account>/...``)."""


def access_lifecycle_rules(log_days: int) -> list[dict[str, Any]]:
    """Logs expire after ``log_days``; old versions (the CA bundle's too) after 30 days; stale uploads after 7."""
    if log_days < 1:
        raise ValueError(f"log_days must be at least 1 (got {log_days})")
    return [
        {
            "id": "expire-logs",
            "status": "Enabled",
            "filter": {"prefix": "logs/"},
            "expiration": {"days": log_days},
        },
        {
            "id": "expire-noncurrent-versions",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "noncurrent_version_expiration": {"noncurrent_days": 30},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        },
    ]


def access_bucket(
    name: str,
    *,
    environment: str,
    region: str,
    account: pulumi.Output[str],
    partition: str,
    log_days: int,
    force_destroy: bool,
    parent: pulumi.Resource,
) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
    """The access bucket ``<name>-logs-bucket`` and its controls (``<name>-logs-*``); returns the bucket and what
    log delivery (and the CA bundle upload) must wait for."""
    bucket = aws.s3.Bucket(
        f"{name}-logs-bucket",
        bucket=own_bucket_name(environment, "access", account, region),
        force_destroy=force_destroy,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    policy = pulumi.Output.all(bucket.arn, account).apply(
        lambda a: documents.access_bucket_policy(
            bucket_arn=str(a[0]),
            region=region,
            account=str(a[1]),
            partition=partition,
            log_prefixes=sorted(LOG_PREFIXES.values()),
        )
    )
    controls = bucket_controls(
        f"{name}-logs",
        bucket,
        sse_rule={"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}},
        policy=policy,
        lifecycle_rules=access_lifecycle_rules(log_days),
        parent=parent,
    )
    return bucket, controls.ready


__all__ = ["LOG_PREFIXES", "access_bucket", "access_lifecycle_rules"]
