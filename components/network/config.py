"""`mlops:network`: the VPC, its NAT, endpoints and flow logs."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from components.config_base import (
    Section,
    check_cidr,
    check_retention,
)


class NetworkConfig(Section):
    """The VPC: address space, availability zones, NAT and logging."""

    cidr: str = "10.40.0.0/16"
    """VPC IPv4 CIDR, a private (RFC 1918) block from /16 to /20."""
    az_count: int = Field(default=3, ge=2, le=3)
    """Availability zones used (2 or 3)."""
    nat: Literal["none", "single", "per-az"] = "single"
    """NAT gateways: none (AWS APIs only through VPC endpoints), one shared, or one per AZ."""
    flow_log_retention_days: int = 90
    """Retention of the VPC flow-log group, in days (a CloudWatch retention period)."""
    interface_endpoints: list[str] = Field(
        default_factory=lambda: [
            "ecr.api",
            "ecr.dkr",
            "s3",
            "sts",
            "logs",
            "secretsmanager",
            "kms",
            "monitoring",
            "sns",
            # The cluster autoscaler's calls (its pods may reach the endpoint subnets only).
            "autoscaling",
            "ec2",
            "eks",
        ]
    )
    """AWS services reached through interface endpoints (private DNS). S3 gets a gateway endpoint too; its
    interface endpoint keeps pod traffic to S3 inside the VPC CIDR, where NetworkPolicies can allow it."""
    public_load_balancer: dict[str, object] | None = None
    """Removed: the internet-facing entry is `mlops:access.public` (allowedCidrs, WAF, authentication)."""

    @field_validator("public_load_balancer")
    @classmethod
    def _moved(cls, value: dict[str, object] | None) -> None:
        if value is not None:
            raise ValueError(
                "removed: an internet-facing entry is mlops:access.public {allowedCidrs} (people entry with "
                "authentication, TLS and AWS WAF; docs/adr/0004-the-way-in.md)"
            )
        return None

    @field_validator("cidr")
    @classmethod
    def _private_cidr(cls, value: str) -> str:
        check_cidr(value)
        net = ipaddress.ip_network(value)
        if not isinstance(net, ipaddress.IPv4Network) or not net.is_private:
            raise ValueError(f"{value!r} must be a private IPv4 block (10/8, 172.16/12 or 192.168/16)")
        if not 16 <= net.prefixlen <= 20:
            raise ValueError(f"{value!r} has prefix /{net.prefixlen}; allowed: /16 to /20")
        return value

    _retention = field_validator("flow_log_retention_days")(lambda v: check_retention(v))

    @field_validator("interface_endpoints")
    @classmethod
    def _endpoints(cls, value: list[str]) -> list[str]:
        required = {"ecr.api", "ecr.dkr", "s3", "sts", "logs", "secretsmanager", "kms"}
        missing = sorted(required - set(value))
        if missing:
            raise ValueError(
                f"missing {missing}: private nodes and pods pull images, reach S3, log, assume their roles and "
                "read secrets and keys through these; without them that traffic leaves through NAT"
            )
        if len(set(value)) != len(value):
            raise ValueError("duplicate service names")
        for service in value:  # the part after com.amazonaws.<region>.
            if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", service):
                raise ValueError(f"{service!r}: use an AWS service name like 'ecr.api'")
        return value

    @model_validator(mode="after")
    def _no_nat_needs_ec2(self) -> Self:
        if self.nat == "none" and "ec2" not in self.interface_endpoints:  # the VPC CNI assigns pod IPs via EC2
            raise ValueError("nat none needs 'ec2' in interfaceEndpoints (the VPC CNI calls the EC2 API)")
        return self
