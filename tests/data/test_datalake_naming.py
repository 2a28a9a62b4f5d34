"""Pure helpers of the lake: bucket and database names, lifecycle rules; wiring with an account output."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from components.data.config import LakeConfig, LifecycleConfig
from components.data.lake import (
    DataLake,
    DataLakeArgs,
    bucket_name,
    database_name,
    expiring_lifecycle_rules,
    zone_lifecycle_rules,
)
from mlopsctl.engine import run_program

ACCOUNT = "123456789012"


def test_bucket_name_fits_with_account_and_region() -> None:
    assert bucket_name("dev", "ml-artifacts", ACCOUNT, "eu-west-1") == "dev-ml-artifacts-123456789012-eu-west-1"


def test_long_names_drop_region_then_hash_but_stay_unique_and_stable() -> None:
    env, zone = "feature-branch-abcdef", "a" * 20
    name = bucket_name(env, zone, ACCOUNT, "ap-southeast-2")
    assert name == f"{env}-{zone}-{ACCOUNT}" and len(name) <= 63
    long_zone = "z" * 32
    first = bucket_name(env, long_zone, ACCOUNT, "ap-southeast-2")
    assert len(first) <= 63 and first == first.lower() and "--" not in first
    assert first == bucket_name(env, long_zone, ACCOUNT, "ap-southeast-2")
    assert first != bucket_name(env, long_zone, ACCOUNT, "eu-west-1")
    assert first != bucket_name(env, long_zone, "210987654321", "ap-southeast-2")


@pytest.mark.parametrize(
    ("environment", "message"), [("sthree-dev", "reserves"), ("dev-", "not a valid S3 bucket name")]
)
def test_invalid_bucket_names_raise(environment: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bucket_name(environment, "raw", ACCOUNT, "eu-west-1")


def test_database_name_is_athena_friendly() -> None:
    assert database_name("pr-42", "ml-artifacts") == "pr_42_ml_artifacts"


def test_zone_rules_without_glacier() -> None:
    rules = zone_lifecycle_rules(LifecycleConfig(infrequent_access_days=60, glacier_days=None))
    assert [r["id"] for r in rules] == ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions", "tiering"]
    assert rules[2]["transitions"] == [{"days": 60, "storage_class": "STANDARD_IA"}]
    assert all(r["filter"] == {"prefix": ""} for r in rules)


def test_expiring_rules() -> None:
    rules = expiring_lifecycle_rules(14, LifecycleConfig(noncurrent_version_days=3, abort_incomplete_upload_days=2))
    by_id = {r["id"]: r for r in rules}
    assert by_id["expire-objects"]["expiration"] == {"days": 14}
    assert by_id["expire-noncurrent-versions"]["noncurrent_version_expiration"] == {"noncurrent_days": 3}
    assert by_id["abort-incomplete-multipart-uploads"]["abort_incomplete_multipart_upload"] == {
        "days_after_initiation": 2
    }


def test_wired_like_the_platform_account_output_and_explicit_provider() -> None:
    def program() -> None:
        provider = aws.Provider("aws", region="eu-west-1")
        # An output, as `aws.get_caller_identity_output().account_id` would be.
        account = pulumi.Output.from_input(ACCOUNT).apply(str)
        DataLake(
            "lake",
            DataLakeArgs(
                config=LakeConfig(zones=["ml-artifacts"]), environment="dev", account_id=account, region="eu-west-1"
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    graph = run_program(program)
    (bucket,) = [r for r in graph.resources if r.name == "lake-ml-artifacts-bucket"]
    assert bucket.inputs["bucket"] == f"dev-ml-artifacts-{ACCOUNT}-eu-west-1"
    custom = [r for r in graph.resources if r.custom and r.type != "pulumi:providers:aws"]
    assert custom and all(r.provider and "pulumi:providers:aws::aws::" in r.provider for r in custom)
