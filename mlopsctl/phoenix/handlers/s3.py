"""S3 buckets, emptied of every object version, delete marker and unfinished upload first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler, check_batch_errors

_DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys


def _s3(scope: AwsScope) -> Any:
    return scope.client("s3")


def _bucket_region(s3: Any, bucket: dict[str, Any]) -> str | None:
    if bucket.get("BucketRegion"):
        return str(bucket["BucketRegion"])
    try:
        location = s3.get_bucket_location(Bucket=bucket["Name"]).get("LocationConstraint")
    except ClientError:
        return None  # not ours to inspect (e.g. access denied): not ours to delete either
    # Buckets in us-east-1 report no constraint; "EU" is the legacy name of eu-west-1.
    aliases: dict[str | None, str] = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}
    return aliases.get(location, str(location))


def _bucket_tags(s3: Any, name: str) -> dict[str, str] | None:
    try:
        return tag_dict(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchTagSet":
            return {}
        return None


def collect_buckets(scope: AwsScope) -> Iterator[Found]:
    s3 = _s3(scope)
    # ListBuckets is account-wide; each regional pass keeps the buckets that live in its region.
    for bucket in pages(s3, "list_buckets", "Buckets"):
        if _bucket_region(s3, bucket) != scope.region:
            continue
        tags = _bucket_tags(s3, bucket["Name"])
        if tags is not None:
            yield Found(kind="s3:bucket", id=bucket["Name"], region=scope.region, tags=tags, name=bucket["Name"])


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version, delete marker and multipart upload; return how many were removed."""
    removed = 0
    batch: list[dict[str, str]] = []

    def flush() -> None:
        nonlocal removed
        if batch:
            response = s3.delete_objects(Bucket=bucket, Delete={"Objects": list(batch), "Quiet": True})
            check_batch_errors("DeleteObjects", response.get("Errors") or [])
            removed += len(batch)
            batch.clear()

    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for entry in (page.get("Versions") or []) + (page.get("DeleteMarkers") or []):
            batch.append({"Key": entry["Key"], "VersionId": entry.get("VersionId") or "null"})
            if len(batch) == _DELETE_BATCH:
                flush()
    flush()
    for upload in pages(s3, "list_multipart_uploads", "Uploads", Bucket=bucket):
        s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    return removed


def delete_bucket(scope: AwsScope, found: Found) -> None:
    s3 = _s3(scope)
    empty_bucket(s3, found.id)
    # BucketNotEmpty here (a writer was still active) is a dependency error: the retry empties it again.
    s3.delete_bucket(Bucket=found.id)


BUCKETS = Handler("s3:bucket", collect_buckets, delete_bucket)
