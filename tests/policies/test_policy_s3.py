"""S3 rules: a compliant bucket with all its v7 setting resources, then one change per way to fail."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_testkit import DELETE, messages, mutate, reg, urn, violations

from policies.mlops.s3 import (
    bucket_access_logging,
    bucket_public_access_block,
    bucket_sse_kms,
    bucket_tls_only,
    bucket_versioning,
)
from policies.mlops.s3._joins import BUCKET, LOGGING, POLICY, PUBLIC_ACCESS_BLOCK, SSE, VERSIONING

DATA = urn(BUCKET, "data")
LOGS = urn(BUCKET, "logs")
ARN = "arn:aws:s3:::dev-data"

SSE_OK = {
    "bucket": "dev-data",
    "rules": [
        {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
            }
        }
    ],
}
PAB_OK = {
    "bucket": "dev-data",
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
VERSIONING_OK = {"bucket": "dev-data", "versioningConfiguration": {"status": "Enabled"}}
TLS_STATEMENT = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [ARN, f"{ARN}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
POLICY_OK = {"bucket": "dev-data", "policy": json.dumps({"Version": "2012-10-17", "Statement": [TLS_STATEMENT]})}
LOGGING_OK = {"bucket": "dev-data", "targetBucket": "dev-logs", "targetPrefix": "data/"}


def lake(**settings: Any) -> list:
    """A data bucket with every setting linked by property dependency, plus its log bucket (SSE-S3)."""
    values = {"sse": SSE_OK, "pab": PAB_OK, "versioning": VERSIONING_OK, "policy": POLICY_OK, "logging": LOGGING_OK}
    values.update(settings)
    types = {"sse": SSE, "pab": PUBLIC_ACCESS_BLOCK, "versioning": VERSIONING, "policy": POLICY, "logging": LOGGING}
    resources = [reg(BUCKET, "data", {"bucket": "dev-data"}), reg(BUCKET, "logs", {"bucket": "dev-logs"})]
    for key, inputs in values.items():
        if inputs is None:
            continue
        deps = {"bucket": [DATA]} | ({"targetBucket": [LOGS]} if key == "logging" else {})
        resources.append(reg(types[key], f"data-{key}", inputs, deps=deps))
    # The log bucket's own settings: AES256 is the only encryption log delivery accepts.
    log_sse = mutate(SSE_OK, "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm", "AES256")
    for key, inputs in (("sse", log_sse), ("pab", PAB_OK), ("versioning", VERSIONING_OK), ("policy", POLICY_OK)):
        resources.append(reg(types[key], f"logs-{key}", mutate(inputs, "bucket", "dev-logs"), deps={"bucket": [LOGS]}))
    return resources


ALL_RULES = [bucket_sse_kms, bucket_public_access_block, bucket_versioning, bucket_tls_only, bucket_access_logging]


@pytest.mark.parametrize("module", ALL_RULES, ids=lambda m: m.RULE.name)
def test_compliant_lake_passes(module: Any) -> None:
    assert violations(module.RULE, *lake()) == []


@pytest.mark.parametrize("module", ALL_RULES, ids=lambda m: m.RULE.name)
def test_no_buckets_is_not_applicable(module: Any) -> None:
    assert violations(module.RULE, reg("aws:kms/key:Key", "k", {"enableKeyRotation": True})) == []


CASES = [
    # (rule, setting, new inputs, expected message fragment, blamed resource)
    (bucket_sse_kms, "sse", None, "no BucketServerSideEncryptionConfiguration", DATA),
    (
        bucket_sse_kms,
        "sse",
        mutate(SSE_OK, "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm", "AES256"),
        "sseAlgorithm is 'AES256'",
        urn(SSE, "data-sse"),
    ),
    (bucket_sse_kms, "sse", mutate(SSE_OK, "rules", []), "has no rules", urn(SSE, "data-sse")),
    (
        bucket_sse_kms,
        "sse",
        mutate(SSE_OK, "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId", DELETE),
        "uses the AWS-managed aws/s3 key",
        urn(SSE, "data-sse"),
    ),
    (
        bucket_sse_kms,
        "sse",
        mutate(SSE_OK, "rules[0].applyServerSideEncryptionByDefault", DELETE),
        "sseAlgorithm is None",
        urn(SSE, "data-sse"),
    ),
    (bucket_public_access_block, "pab", None, "no BucketPublicAccessBlock", DATA),
    *[
        (bucket_public_access_block, "pab", mutate(PAB_OK, switch, False), switch, urn(PUBLIC_ACCESS_BLOCK, "data-pab"))
        for switch in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ],
    (
        bucket_public_access_block,
        "pab",
        mutate(PAB_OK, "ignorePublicAcls", DELETE),
        "ignorePublicAcls unset",
        urn(PUBLIC_ACCESS_BLOCK, "data-pab"),
    ),
    (bucket_versioning, "versioning", None, "no BucketVersioning", DATA),
    (
        bucket_versioning,
        "versioning",
        mutate(VERSIONING_OK, "versioningConfiguration.status", "Suspended"),
        "'Suspended'",
        urn(VERSIONING, "data-versioning"),
    ),
    (
        bucket_versioning,
        "versioning",
        mutate(VERSIONING_OK, "versioningConfiguration", DELETE),
        "is None",
        urn(VERSIONING, "data-versioning"),
    ),
    (bucket_tls_only, "policy", None, "no BucketPolicy", DATA),
    (
        bucket_tls_only,
        "policy",
        {"bucket": "dev-data", "policy": "{not json"},
        "not valid JSON",
        urn(POLICY, "data-policy"),
    ),
    *[
        (
            bucket_tls_only,
            "policy",
            {"bucket": "dev-data", "policy": json.dumps({"Statement": [mutate(TLS_STATEMENT, field, value)]})},
            "no Deny statement",
            urn(POLICY, "data-policy"),
        )
        for field, value in (
            ("Effect", "Allow"),
            ("Principal", {"AWS": "arn:aws:iam::123456789012:root"}),
            ("Action", "s3:GetObject"),
            ("Resource", [ARN]),
            ("Condition.Bool.aws:SecureTransport", "true"),
            ("Condition", DELETE),
        )
    ],
]


@pytest.mark.parametrize(("module", "setting", "inputs", "fragment", "blamed"), CASES)
def test_each_misconfiguration_is_reported(module: Any, setting: str, inputs: Any, fragment: str, blamed: str) -> None:
    found = violations(module.RULE, *lake(**{setting: inputs}))
    assert len(found) == 1, found
    assert fragment in found[0].message
    assert found[0].urn == blamed


def test_bucket_without_logging_is_reported_and_log_bucket_stops_being_a_destination() -> None:
    found = violations(bucket_access_logging.RULE, *lake(logging=None))
    assert [(v.urn, v.level) for v in found] == [(DATA, "advisory"), (LOGS, "advisory")]
    assert all("no BucketLogging" in v.message for v in found)


def test_settings_are_joined_by_literal_bucket_name_without_dependency() -> None:
    resources = [reg(BUCKET, "data", {"bucket": "dev-data"}), reg(VERSIONING, "v", VERSIONING_OK)]
    assert violations(bucket_versioning.RULE, *resources) == []
    other = [reg(BUCKET, "data", {"bucket": "dev-data"}), reg(VERSIONING, "v", mutate(VERSIONING_OK, "bucket", "x"))]
    assert messages(bucket_versioning.RULE, *other) == ["no BucketVersioning targets this bucket"]


def test_log_bucket_needs_no_logging_but_kms_elsewhere() -> None:
    # The log destination ("logs") is exempt from logging itself and may use AES256; the data
    # bucket may not.
    resources = lake(sse=mutate(SSE_OK, "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm", "AES256"))
    assert [v.urn for v in violations(bucket_sse_kms.RULE, *resources)] == [urn(SSE, "data-sse")]
    assert violations(bucket_access_logging.RULE, *resources) == []


def test_tls_condition_accepts_boolean_and_bool_if_exists() -> None:
    statement = mutate(TLS_STATEMENT, "Condition", {"BoolIfExists": {"aws:SecureTransport": False}})
    policy = {"bucket": "dev-data", "policy": json.dumps({"Statement": statement})}
    assert violations(bucket_tls_only.RULE, *lake(policy=policy)) == []
