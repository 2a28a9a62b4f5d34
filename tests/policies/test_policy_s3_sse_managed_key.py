"""s3-bucket-sse-kms names a customer key: naming the AWS managed key ``aws/s3`` is no better than naming none.

Needs the patch of ``policies/mlops/s3/bucket_sse_kms.py`` (issue #21): without it the alias cases pass unnoticed.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_testkit import messages, mutate, reg, urn

from policies.mlops.s3 import bucket_sse_kms
from policies.mlops.s3._joins import BUCKET, SSE

KEY_PATH = "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId"
SSE_OK = {
    "bucket": "prod-curated",
    "rules": [
        {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
            }
        }
    ],
}


def bucket(sse: dict[str, Any]) -> list[Any]:
    data = reg(BUCKET, "curated", {"bucket": "prod-curated"})
    return [data, reg(SSE, "curated-sse", sse, deps={"bucket": [urn(BUCKET, "curated")]})]


@pytest.mark.parametrize(
    ("key", "managed"),
    [
        ("arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555", False),
        ("alias/mlops-prod-lake", False),
        ("alias/aws/s3", True),
        ("arn:aws:kms:eu-west-1:123456789012:alias/aws/s3", True),
    ],
)
def test_aws_managed_key_is_reported(key: str, managed: bool) -> None:
    found = messages(bucket_sse_kms.RULE, *bucket(mutate(SSE_OK, KEY_PATH, key)))
    if managed:
        assert len(found) == 1 and "is an AWS-managed key" in found[0], found
    else:
        assert found == []


def test_dsse_with_the_managed_key_is_reported() -> None:
    sse = mutate(
        mutate(SSE_OK, KEY_PATH, "alias/aws/s3"),
        "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm",
        "aws:kms:dsse",
    )
    assert len(messages(bucket_sse_kms.RULE, *bucket(sse))) == 1
