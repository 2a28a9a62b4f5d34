"""KMS customer-managed keys: deletion is scheduled (KMS never deletes a key at once)."""

from __future__ import annotations

from collections.abc import Iterator

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler

KMS_PENDING_DAYS = 7  # the shortest waiting period KMS allows


def collect_kms_keys(scope: AwsScope) -> Iterator[Found]:
    kms = scope.client("kms")
    for key in pages(kms, "list_keys", "Keys"):
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta.get("KeyManager") == "AWS" or str(meta.get("KeyState", "")).startswith("Pending"):
            continue  # AWS-managed keys cannot be deleted; pending ones are already on their way
        tags = tag_dict(list(pages(kms, "list_resource_tags", "Tags", KeyId=key["KeyId"])), "TagKey", "TagValue")
        yield Found(
            kind="kms:key",
            id=key["KeyId"],
            region=scope.region,
            tags=tags,
            name=meta.get("Description") or key["KeyId"],
        )


def schedule_kms_key_deletion(scope: AwsScope, found: Found) -> None:
    # Keys cannot be deleted at once; the waiting period is the last chance to recover encrypted data.
    scope.client("kms").schedule_key_deletion(KeyId=found.id, PendingWindowInDays=KMS_PENDING_DAYS)


KMS_KEYS = Handler(
    "kms:key",
    collect_kms_keys,
    schedule_kms_key_deletion,
    done_note=f"deletion scheduled ({KMS_PENDING_DAYS}-day waiting period)",
)
