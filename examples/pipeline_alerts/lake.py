"""Lake I/O for the example DAG: read a CSV batch from the raw zone, promote a validated batch to curated.

The S3 client is passed in (boto3 is never imported here), so tests use moto and the DAG builds a
regional client: with the S3 interface endpoint's private DNS on, ``s3.<region>.amazonaws.com`` and
``<bucket>.s3.<region>.amazonaws.com`` resolve to the endpoint, and the traffic never leaves the VPC.
"""

from __future__ import annotations

import re
from typing import Any

MAX_BATCH_BYTES = 64 * 1024 * 1024
"""Largest batch validated in memory; bigger ones belong to a distributed check (Glue, Athena, Spark)."""

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class BatchTooLarge(ValueError):
    """The object is larger than the in-memory limit."""


def check_location(bucket: str, key: str) -> None:
    """Refuse what cannot be a batch in a lake bucket: a malformed bucket name, a URI or a folder as key."""
    if not _BUCKET.match(bucket):
        raise ValueError(f"{bucket!r} is not an S3 bucket name")
    if not key or key.startswith("/") or key.endswith("/") or "://" in key:
        raise ValueError(f"{key!r} is not an object key (no leading '/', no trailing '/', no URI)")


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def read_csv_batch(s3: Any, bucket: str, key: str, *, max_bytes: int = MAX_BATCH_BYTES) -> str:
    """The object's text (UTF-8, a BOM is tolerated). Raises :class:`BatchTooLarge` above ``max_bytes``."""
    check_location(bucket, key)
    size = int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
    if size > max_bytes:
        raise BatchTooLarge(f"{s3_uri(bucket, key)} has {size} bytes; the in-memory limit is {max_bytes}")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    text: str = body.decode("utf-8-sig")
    return text


def promote_batch(s3: Any, source_bucket: str, key: str, target_bucket: str) -> str:
    """Copy a validated batch to the curated zone under the same key (server-side copy; the target bucket's
    default encryption applies). Returns the target URI."""
    check_location(source_bucket, key)
    check_location(target_bucket, key)
    s3.copy_object(Bucket=target_bucket, Key=key, CopySource={"Bucket": source_bucket, "Key": key})
    return s3_uri(target_bucket, key)
