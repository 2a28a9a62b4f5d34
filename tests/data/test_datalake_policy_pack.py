"""The lake as built is compliant with the platform's policy pack (dev-like and prod-like configs)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from components.data.config import LakeConfig
from components.data.lake import DataLake, DataLakeArgs
from mlopsctl.engine import run_program
from mlopsctl.policy import evaluate

TAGS = {"owner": "ml-platform-team", "environment": "dev", "cost-center": "cc-1001"}


@pytest.mark.parametrize(
    "config", [LakeConfig(), LakeConfig(protect=True), LakeConfig(force_destroy=True)], ids=["dev", "prod", "phoenix"]
)
def test_lake_has_no_policy_violations(config: LakeConfig) -> None:
    def program() -> None:
        # Required tags come from the provider's default tags, as MlopsPlatform sets them.
        provider = aws.Provider("aws", region="eu-west-1", default_tags={"tags": TAGS})
        DataLake(
            "lake",
            DataLakeArgs(config=config, environment="dev", account_id="123456789012", region="eu-west-1"),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    report = evaluate(run_program(program, stack="dev", config={"aws:region": "eu-west-1"}))
    assert [(v.policy, v.urn, v.message) for v in report.violations] == []
    ran = {rule.name for rule in report.rules}
    assert {"s3-bucket-sse-kms", "s3-bucket-tls-only", "s3-bucket-access-logging", "kms-key-rotation"} <= ran
