"""Least-privilege lake documents: concrete actions, concrete resources, key use only through S3."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.data.lake_access import (
    KEY_ADMIN_ACTIONS,
    ZoneGrant,
    access_document,
    key_policy,
    read_only_document,
    read_write_document,
    sid_part,
    statements_of,
)

ACCOUNT = "123456789012"
REGION = "eu-west-1"
RAW = "arn:aws:s3:::dev-raw-123456789012-eu-west-1"
ARTIFACTS = "arn:aws:s3:::dev-ml-artifacts-123456789012-eu-west-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def by_sid(statements: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    return next(s for s in statements if s["Sid"] == sid)


def assert_least_privilege(statements: list[dict[str, Any]], allowed_resources: set[str]) -> None:
    for statement in statements:
        actions = statement["Action"]
        assert "*" not in actions and not any(a.endswith(":*") for a in actions), statement["Sid"]
        for resource in statement["Resource"]:
            assert resource != "*"
            assert any(resource == r or resource.startswith(f"{r}/") for r in allowed_resources), resource


def test_read_only_zone() -> None:
    statements = statements_of(read_only_document("raw", RAW, KEY, REGION))
    assert_least_privilege(statements, {RAW, KEY})
    objects = by_sid(statements, "ReadRawObjects")
    assert objects == {
        "Sid": "ReadRawObjects",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:GetObjectVersion"],
        "Resource": [f"{RAW}/*"],
    }
    assert by_sid(statements, "ReadRawList")["Resource"] == [RAW]
    key = by_sid(statements, "UseLakeKeyThroughS3")
    assert key["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert key["Resource"] == [KEY]
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}


def test_read_write_zone_prefix_scoped() -> None:
    statements = statements_of(read_write_document("ml-artifacts", ARTIFACTS, KEY, REGION, prefixes=["mlflow/"]))
    assert_least_privilege(statements, {ARTIFACTS, KEY})
    objects = by_sid(statements, "ReadWriteMlArtifactsObjects")
    assert objects["Resource"] == [f"{ARTIFACTS}/mlflow/*"]
    assert {"s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"} <= set(objects["Action"])
    listing = by_sid(statements, "ReadWriteMlArtifactsList")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["mlflow/*", "mlflow"]}}
    key = by_sid(statements, "UseLakeKeyThroughS3")
    assert {"kms:GenerateDataKey*", "kms:Encrypt", "kms:Decrypt"} <= set(key["Action"])


def test_mixed_grants_share_one_key_statement_that_encrypts_only_when_writing() -> None:
    read_only = [ZoneGrant(zone="raw", bucket_arn=RAW)]
    mixed = [*read_only, ZoneGrant(zone="ml-artifacts", bucket_arn=ARTIFACTS, write=True)]
    reading = statements_of(access_document(read_only, key_arn=KEY, region=REGION))
    writing = statements_of(access_document(mixed, key_arn=KEY, region=REGION))
    assert [s["Sid"] for s in writing].count("UseLakeKeyThroughS3") == 1
    assert "kms:Encrypt" not in by_sid(reading, "UseLakeKeyThroughS3")["Action"]
    assert "kms:Encrypt" in by_sid(writing, "UseLakeKeyThroughS3")["Action"]
    assert "s3:PutObject" not in by_sid(writing, "ReadRawObjects")["Action"]


def test_documents_are_deterministic_json() -> None:
    first = read_only_document("raw", RAW, KEY, REGION)
    assert first == read_only_document("raw", RAW, KEY, REGION)
    assert json.loads(first)["Version"] == "2012-10-17"


def test_sid_part() -> None:
    assert sid_part("ml-artifacts") == "MlArtifacts"
    assert sid_part("raw") == "Raw"
    assert sid_part("zone-2") == "Zone2"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: read_only_document("raw", "arn:aws:s3:::*", KEY, REGION), "is not an S3 bucket ARN"),
        (lambda: read_only_document("raw", f"{RAW}/data", KEY, REGION), "is not an S3 bucket ARN"),
        (lambda: read_only_document("raw", RAW, "*", REGION), "is not a KMS key ARN"),
        (lambda: read_only_document("raw", RAW, KEY, "europe"), "is not an AWS region"),
        (lambda: read_only_document("raw", RAW, KEY, REGION, prefixes=["data/*"]), "must not contain wildcards"),
        (lambda: read_only_document("raw", RAW, KEY, REGION, prefixes=[]), "at least one prefix"),
        (lambda: access_document([], key_arn=KEY, region=REGION), "at least one zone grant"),
        (
            lambda: access_document(
                [ZoneGrant(zone="raw", bucket_arn=RAW), ZoneGrant(zone="raw", bucket_arn=RAW, write=True)],
                key_arn=KEY,
                region=REGION,
            ),
            r"zones \['raw'\] are granted more than once",
        ),
    ],
)
def test_bad_inputs_are_rejected(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_key_policy_account_scoped_without_star_principal() -> None:
    statements = statements_of(key_policy(ACCOUNT, REGION, services=["s3", "glue"]))
    assert [s["Sid"] for s in statements] == ["KeyAdministration", "UseThroughPlatformServices"]
    for statement in statements:
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    admin = by_sid(statements, "KeyAdministration")
    assert admin["Action"] == list(KEY_ADMIN_ACTIONS)
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:*"} & set(admin["Action"])
    use = by_sid(statements, "UseThroughPlatformServices")
    assert use["Condition"] == {
        "StringEquals": {
            "kms:CallerAccount": ACCOUNT,
            "kms:ViaService": [f"glue.{REGION}.amazonaws.com", f"s3.{REGION}.amazonaws.com"],
        }
    }


def test_key_policy_grants_only_for_aws_resources() -> None:
    statements = statements_of(key_policy(ACCOUNT, REGION, services=["redshift-serverless"], grants=True))
    grants = by_sid(statements, "GrantsForAwsResources")
    assert grants["Action"] == ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert grants["Condition"]["StringEquals"]["kms:ViaService"] == [f"redshift-serverless.{REGION}.amazonaws.com"]


@pytest.mark.parametrize(
    ("account", "services", "message"),
    [("1234", ["s3"], "12-digit"), (ACCOUNT, [], "at least one AWS service"), (ACCOUNT, ["s3.*"], "endpoint prefix")],
)
def test_key_policy_bad_inputs(account: str, services: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        key_policy(account, REGION, services=services)
