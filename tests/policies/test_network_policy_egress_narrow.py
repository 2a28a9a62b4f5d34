"""k8s-network-policy-egress-narrow: egress ipBlocks name one destination's addresses, never the VPC."""

from __future__ import annotations

from typing import Any

import pytest
from policy_testkit import DELETE, messages, mutate, reg, urn, violations

from mlopsctl.engine import Registration
from policies.mlops.ec2._types import SUBNET, VPC
from policies.mlops.k8s import network_policy_egress_narrow as rule_module
from policies.mlops.kube import NETWORK_POLICY
from policies.mlops.rule import Level

RULE = rule_module.RULE
VPC_CIDR = "10.40.0.0/16"
# Destination subnets as the network plan carves them from a /16: one /24 per destination and AZ.
TRACKING_DB = ("10.40.192.0/24", "10.40.200.0/24")
PRIVATE = ("10.40.0.0/18", "10.40.64.0/18")

POLICY: dict[str, Any] = {
    "metadata": {"name": "egress-mlflow", "namespace": "mlflow"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "mlflow"}},
        "policyTypes": ["Egress"],
        "egress": [
            {"to": [{"ipBlock": {"cidr": c}} for c in TRACKING_DB], "ports": [{"protocol": "TCP", "port": 5432}]},
            {"to": [{"ipBlock": {"cidr": "172.20.0.1/32"}}], "ports": [{"protocol": "TCP", "port": 443}]},
            {"to": [{"ipBlock": {"cidr": "140.82.112.0/20"}}], "ports": [{"protocol": "TCP", "port": 443}]},
            {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "x"}}}]},
        ],
    },
}


def network() -> list[Registration]:
    return [
        reg(VPC, "vpc", {"cidrBlock": VPC_CIDR}),
        *(reg(SUBNET, f"db-{i}", {"cidrBlock": c}) for i, c in enumerate(TRACKING_DB)),
        *(reg(SUBNET, f"private-{i}", {"cidrBlock": c}) for i, c in enumerate(PRIVATE)),
    ]


def check(policy: dict[str, Any], *, with_network: bool = True) -> list[str]:
    resources = [*(network() if with_network else []), reg(NETWORK_POLICY, "np", policy)]
    return messages(RULE, *resources)


def with_block(cidr: str, excepts: list[str] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"cidr": cidr, **({"except": excepts} if excepts else {})}
    return mutate(POLICY, "spec.egress[1].to[0].ipBlock", block)


HEAD = "mlflow/egress-mlflow: egress[1].to[0].ipBlock"


def test_one_block_per_destination_subnet_passes() -> None:
    assert check(POLICY) == []


def test_metadata() -> None:
    assert RULE.name == "k8s-network-policy-egress-narrow"
    assert RULE.meta.level == Level.MANDATORY and RULE.meta.kind == "stack"


@pytest.mark.parametrize(
    ("cidr", "excepts", "problem"),
    [
        (VPC_CIDR, None, f"covers the whole VPC {VPC_CIDR}"),
        ("10.0.0.0/8", None, f"covers the whole VPC {VPC_CIDR}"),
        ("0.0.0.0/0", None, f"covers the whole VPC {VPC_CIDR}"),
        ("0.0.0.0/0", ["10.40.1.0/24"], "reaches 4 subnets of the stack (10.40.0.0/18, 10.40.64.0/18, 10.40.192.0/24, 10.40.200.0/24)"),
        ("10.40.192.0/20", None, "reaches 2 subnets of the stack (10.40.192.0/24, 10.40.200.0/24)"),
        ("10.40.0.0/17", ["10.40.0.0/24"], "reaches 2 subnets of the stack (10.40.0.0/18, 10.40.64.0/18)"),
        ("10.40.128.0/18", None, "is a private range wider than /24 that is not one subnet of the stack"),
        ("192.168.0.0/22", None, "is a private range wider than /24 that is not one subnet of the stack"),
        ("172.16.0.0/12", None, "is a private range wider than /24 that is not one subnet of the stack"),
    ],
)  # fmt: skip
def test_wide_blocks_are_violations(cidr: str, excepts: list[str] | None, problem: str) -> None:
    assert check(with_block(cidr, excepts)) == [f"{HEAD} {cidr} {problem}"]


@pytest.mark.parametrize(
    ("cidr", "excepts"),
    [
        ("10.40.192.0/24", None),  # one destination subnet
        ("10.40.0.0/18", None),  # exactly one subnet of the stack, whatever its size
        ("10.40.192.128/25", None),  # part of a subnet
        ("10.99.0.1/32", None),  # a host
        ("52.94.0.0/22", None),  # public addresses outside the VPC
        ("0.0.0.0/0", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),  # the internet without private space
        ("2600:1f18::/32", None),  # IPv6 outside the VPC
    ],
)
def test_narrow_blocks_pass(cidr: str, excepts: list[str] | None) -> None:
    assert check(with_block(cidr, excepts)) == []


def test_without_a_vpc_in_the_stack_the_private_width_still_applies() -> None:
    assert check(with_block("10.40.0.0/16"), with_network=False) == [
        f"{HEAD} 10.40.0.0/16 is a private range wider than /24 that is not one subnet of the stack"
    ]
    assert check(with_block("10.40.192.0/24"), with_network=False) == []


def test_the_violation_names_the_policy_and_points_at_it() -> None:
    found = violations(RULE, *network(), reg(NETWORK_POLICY, "np", with_block(VPC_CIDR)))
    assert [v.urn for v in found] == [urn(NETWORK_POLICY, "np")]


def test_ingress_ip_blocks_are_not_this_rules_business() -> None:
    policy = mutate(POLICY, "spec.ingress", [{"from": [{"ipBlock": {"cidr": VPC_CIDR}}]}])
    assert check(policy) == []


def test_missing_and_malformed_properties() -> None:
    assert check(mutate(POLICY, "spec.egress", DELETE)) == []  # no egress rules: nothing to check
    assert check(mutate(POLICY, "spec", DELETE)) == []
    assert check(with_block("not-a-cidr")) == [f"{HEAD} has no valid cidr"]
