"""What every config section shares: the base model, naming patterns and validators.

Each capability's section sits next to its component (``components/<capability>/config.py``);
``components.config`` assembles them into one :class:`~components.config.PlatformConfig`.
Keys in stack files are camelCase (Pulumi's convention); fields here are snake_case.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

NAMESPACE = "mlops"
"""Config namespace of every platform key (``mlops:<key>``)."""

SUPPORTED_KUBERNETES_VERSIONS = ("1.33", "1.34", "1.35")
"""EKS versions in standard support in late 2026 (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html)."""

PLATFORM_NAMESPACES = ("serving", "mlflow", "airflow", "notebooks", "monitoring")
"""Kubernetes namespaces the platform knows how to host workloads in."""

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)  # fmt: skip

REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
"""An AWS region name (``aws:region``); components validating a region argument use it too."""
ENVIRONMENT_PATTERN = r"^[a-z][a-z0-9-]{1,20}$"
"""An environment name (``mlops:environment``): the first part of resource names."""


def validate_placement(environment: str, region: str, account_id: object) -> None:
    """Reject a component argument set whose environment, region or (plain) account id is malformed."""
    if not re.match(ENVIRONMENT_PATTERN, environment):
        raise ValueError(f"environment {environment!r} must match {ENVIRONMENT_PATTERN}")
    if not re.match(REGION_PATTERN, region):
        raise ValueError(f"region {region!r} is not an AWS region (e.g. eu-west-1)")
    if isinstance(account_id, str) and not re.fullmatch(r"\d{12}", account_id):
        raise ValueError(f"account_id {account_id!r} is not a 12-digit AWS account id")


DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")


class Section(BaseModel):
    """Base of every config section: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, validate_default=True
    )


def check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"{days} is not a CloudWatch retention period; allowed: {LOG_RETENTION_DAYS}")
    return days


def check_cidr(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid CIDR block ({exc})") from None
    if net.prefixlen == 0:
        raise ValueError(f"{value!r} opens to the whole internet; list specific CIDR blocks")
    return value


Cidr = Annotated[str, Field(description="A CIDR block such as 10.40.0.0/16")]
