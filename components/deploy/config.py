"""`mlops:deploy`: where `pulumi` runs (docs/adr/0001-deploying-a-private-cluster.md)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from components.config_base import (
    Section,
    check_retention,
)


class RunnerConfig(Section):
    """The in-VPC deploy runner: a VPC-attached CodeBuild project registered as a GitHub Actions runner.

    It runs the Kubernetes layer of `pulumi preview/up/destroy` (the cluster API endpoint is private);
    see docs/adr/0001-deploying-a-private-cluster.md.
    """

    repository: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
    """GitHub repository (`owner/name`) whose workflow jobs the runner takes."""
    connection_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[A-Za-z0-9-]+$",
    )
    """CodeConnections connection to GitHub (created and authorized once in the console); unset: the
    account's CodeBuild GitHub source credential is used."""
    compute_type: Literal["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"] = (
        "BUILD_GENERAL1_MEDIUM"
    )
    """CodeBuild compute size (MEDIUM: 4 vCPU / 7 GB, enough for the program and Helm)."""
    image: str = Field(default="aws/codebuild/amazonlinux-x86_64-standard:5.0", min_length=1)
    """CodeBuild-managed image; it carries the AWS CLI the kubeconfig's token command needs."""
    timeout_minutes: int = Field(default=120, ge=5, le=480)
    """Build timeout: the longest job the runner takes."""
    log_retention_days: int = 90
    """Days the runner's build logs are kept."""
    extra_policy_arns: list[str] = Field(default_factory=list)
    """Managed policies added to the runner's role (e.g. access to an S3 state backend)."""
    workflows: list[str] = Field(default_factory=lambda: ["deploy", "preview", "phoenix", "e2e"], min_length=1)
    """Names of the GitHub workflows whose jobs the runner accepts (a `WORKFLOW_NAME` webhook filter): a
    new workflow file cannot borrow the deployer's role."""

    _retention = field_validator("log_retention_days")(lambda v: check_retention(v))

    @field_validator("workflows")
    @classmethod
    def _workflow_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}", name):
                raise ValueError(f"{name!r} is not a workflow name (letters, digits, space, '.', '_', '-')")
        return value

    @field_validator("extra_policy_arns")
    @classmethod
    def _policy_arns(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not re.match(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/\S+$", arn):
                raise ValueError(f"{arn!r} is not an IAM policy ARN (arn:aws:iam::<account>:policy/<name>)")
        return value


class DeployConfig(Section):
    """Where `pulumi` runs: the AWS layer from anywhere, the Kubernetes layer from the in-VPC runner."""

    runner: RunnerConfig | None = None
    """The in-VPC deploy runner; without it nothing can reach the private cluster API (a deploy finding)."""
