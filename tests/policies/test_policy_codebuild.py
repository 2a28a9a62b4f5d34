"""CodeBuild rules: the deploy runner's project stays in the VPC, unprivileged, keyed and logged."""

from __future__ import annotations

from typing import Any

import pytest
from policy_testkit import DELETE, UNKNOWN, messages, mutate, reg, run, violations

from policies.mlops.codebuild import (
    project_cloudwatch_logs,
    project_customer_key,
    project_not_privileged,
    project_vpc_attached,
)
from policies.mlops.codebuild._types import PROJECT

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
RULES = (project_vpc_attached, project_not_privileged, project_customer_key, project_cloudwatch_logs)

# The deploy runner's project as the offline engine records it (wire names).
COMPLIANT: dict[str, Any] = {
    "name": "mlops-dev-deploy",
    "serviceRole": "arn:aws:iam::123456789012:role/deploy-runner-role",
    "artifacts": {"type": "NO_ARTIFACTS"},
    "encryptionKey": KEY,
    "environment": {
        "type": "LINUX_CONTAINER",
        "computeType": "BUILD_GENERAL1_MEDIUM",
        "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
        "privilegedMode": False,
    },
    "logsConfig": {
        "cloudwatchLogs": {"status": "ENABLED", "groupName": "/aws/codebuild/mlops-dev-deploy"},
        "s3Logs": {"status": "DISABLED"},
    },
    "source": {"type": "GITHUB", "location": "https://github.com/example-org/mlops-platform.git"},
    "vpcConfig": {"vpcId": "vpc-0123", "subnets": ["subnet-0a", "subnet-0b"], "securityGroupIds": ["sg-0r"]},
}


@pytest.mark.parametrize("module", RULES, ids=lambda m: m.RULE.name)
def test_the_runner_project_complies(module: Any) -> None:
    assert violations(module.RULE, reg(PROJECT, "runner", COMPLIANT)) == []


@pytest.mark.parametrize(
    ("module", "path", "value", "expected"),
    [
        (project_vpc_attached, "vpcConfig", DELETE, "vpcConfig is not set: builds run outside the VPC"),
        (project_vpc_attached, "vpcConfig.vpcId", DELETE, "vpcConfig.vpcId is not set"),
        (project_vpc_attached, "vpcConfig.subnets", [], "vpcConfig.subnets is empty"),
        (project_vpc_attached, "vpcConfig.subnets", DELETE, "vpcConfig.subnets is empty"),
        (project_vpc_attached, "vpcConfig.securityGroupIds", [], "vpcConfig.securityGroupIds is empty"),
        (project_not_privileged, "environment.privilegedMode", True, "environment.privilegedMode is true"),
        (project_not_privileged, "environment.privilegedMode", "true", "environment.privilegedMode is true"),
        (
            project_customer_key,
            "encryptionKey",
            DELETE,
            "encryptionKey is not set (the AWS managed key alias/aws/s3 is used)",
        ),
        (
            project_customer_key,
            "encryptionKey",
            "arn:aws:kms:eu-west-1:123456789012:alias/aws/s3",
            "encryptionKey is the AWS managed key 'arn:aws:kms:eu-west-1:123456789012:alias/aws/s3'",
        ),
        (
            project_cloudwatch_logs,
            "logsConfig.cloudwatchLogs.status",
            "DISABLED",
            "logsConfig.cloudwatchLogs.status is 'DISABLED', not 'ENABLED'",
        ),
        (
            project_cloudwatch_logs,
            "logsConfig",
            DELETE,
            "logsConfig.cloudwatchLogs.status is not set (set it to 'ENABLED' with a groupName)",
        ),
        (
            project_cloudwatch_logs,
            "logsConfig.cloudwatchLogs.groupName",
            DELETE,
            "logsConfig.cloudwatchLogs.groupName is not set (CodeBuild would create a group without retention)",
        ),
    ],
)
def test_each_field_failing(module: Any, path: str, value: Any, expected: str) -> None:
    project = reg(PROJECT, "runner", mutate(COMPLIANT, path, value))
    assert messages(module.RULE, project) == [expected]
    # One field fails one rule: the others still pass.
    assert all(violations(other.RULE, project) == [] for other in RULES if other is not module)


def test_privileged_mode_missing_is_compliant() -> None:
    # CodeBuild defaults privilegedMode to false.
    project = reg(PROJECT, "runner", mutate(COMPLIANT, "environment.privilegedMode", DELETE))
    assert violations(project_not_privileged.RULE, project) == []


def test_unknown_ids_during_preview_are_not_violations() -> None:
    # Subnet, group and key ids are outputs of resources a preview has not created yet.
    preview = mutate(COMPLIANT, "vpcConfig.subnets", UNKNOWN)
    preview = mutate(preview, "vpcConfig.securityGroupIds", UNKNOWN)
    preview = mutate(preview, "encryptionKey", UNKNOWN)
    project = reg(PROJECT, "runner", preview)
    for module in (project_vpc_attached, project_customer_key):
        assert violations(module.RULE, project) == []


def test_other_types_are_ignored() -> None:
    report = run(project_vpc_attached.RULE, reg("aws:codebuild/webhook:Webhook", "hook", {"projectName": "p"}))
    assert not report.violations and not report.not_applicable
