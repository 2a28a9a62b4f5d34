"""Bad mlops:network values are reported through parse_config, naming the key and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import parse_config
from contracts.errors import ConfigError

SOURCE = "stacks/Pulumi.dev.yaml"


def parse(network: dict[str, Any]) -> None:
    parse_config(
        {
            "aws:region": "eu-west-1",
            "mlops:environment": "dev",
            "mlops:owner": "ml-platform",
            "mlops:costCenter": "cc-1",
            "mlops:network": network,
        },
        stack="dev",
        source=SOURCE,
    )


@pytest.mark.parametrize(
    ("network", "key", "message"),
    [
        ({"cidr": "10.40.0.0/33"}, "mlops:network.cidr", "not a valid CIDR block"),
        ({"cidr": "10.40.1.0/16"}, "mlops:network.cidr", "host bits set"),
        ({"cidr": "not-a-cidr"}, "mlops:network.cidr", "not a valid CIDR block"),
        ({"cidr": "8.8.0.0/16"}, "mlops:network.cidr", "must be a private IPv4 block"),
        ({"cidr": "fd00::/48"}, "mlops:network.cidr", "must be a private IPv4 block"),
        ({"cidr": "10.0.0.0/8"}, "mlops:network.cidr", "allowed: /16 to /20"),
        ({"cidr": "10.40.0.0/24"}, "mlops:network.cidr", "allowed: /16 to /20"),
        ({"cidr": "0.0.0.0/0"}, "mlops:network.cidr", "whole internet"),
        ({"azCount": 1}, "mlops:network.azCount", "greater than or equal to 2"),
        ({"azCount": 4}, "mlops:network.azCount", "less than or equal to 3"),
        ({"azCount": "three"}, "mlops:network.azCount", "valid integer"),
        ({"nat": "two"}, "mlops:network.nat", "'none', 'single' or 'per-az'"),
        ({"flowLogRetentionDays": 10}, "mlops:network.flowLogRetentionDays", "not a CloudWatch retention period"),
        ({"nat": "none", "interfaceEndpoints": ["ecr.api", "ecr.dkr", "s3", "sts", "logs", "secretsmanager", "kms"]},
         "mlops:network", "nat none needs 'ec2' in interfaceEndpoints"),
        ({"interfaceEndpoints": ["sts"]}, "mlops:network.interfaceEndpoints", "missing ['ecr.api', 'ecr.dkr', 'kms', 'logs', 's3', 'secretsmanager']"),
        ({"interfaceEndpoints": ["ecr.api", "ecr.dkr", "sts", "logs"]}, "mlops:network.interfaceEndpoints", "reach S3"),
        ({"interfaceEndpoints": ["ecr.api", "ecr.dkr", "s3", "sts", "logs", "secretsmanager", "kms", "Bad Name"]}, "mlops:network.interfaceEndpoints", "service name"),
        ({"publicLoadBalancer": {"allowedCidrs": ["203.0.113.0/24"]}}, "mlops:network.publicLoadBalancer", "removed: an internet-facing entry is mlops:access.public"),
        ({"azcount": 2}, "mlops:network.azcount", "unknown key; allowed: azCount, cidr"),
    ],
)  # fmt: skip
def test_bad_network_config_names_the_key(network: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(network)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{key}: ") or problem.startswith(f"{key}[")
    assert message in problem
    assert str(caught.value).startswith(f"{SOURCE}: ")


def test_good_network_config_parses() -> None:
    parse({"cidr": "172.20.0.0/20", "azCount": 2, "nat": "none",
           "interfaceEndpoints": ["ecr.api", "ecr.dkr", "s3", "sts", "logs", "secretsmanager", "kms", "ec2",
                                  "autoscaling", "eks"]})  # fmt: skip
