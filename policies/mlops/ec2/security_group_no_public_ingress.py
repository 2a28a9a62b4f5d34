"""ec2-security-group-no-public-ingress: no security group admits the whole internet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.mlops.ec2._types import INGRESS_RULE, SECURITY_GROUP, SECURITY_GROUP_RULE
from policies.mlops.props import as_list, as_map, as_strs
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

OPEN_V4 = "0.0.0.0/0"
OPEN_V6 = "::/0"


def _ports(rule: Mapping[str, Any]) -> str:
    low, high = rule.get("fromPort"), rule.get("toPort")
    protocol = rule.get("protocol") or rule.get("ipProtocol")
    return f"{protocol} {low:g}-{high:g}" if isinstance(low, float) and isinstance(high, float) else str(protocol)


def _open_cidrs(rule: Mapping[str, Any]) -> list[str]:
    cidrs = as_strs(rule.get("cidrBlocks")) + as_strs(rule.get("ipv6CidrBlocks"))
    cidrs += as_strs(rule.get("cidrIpv4")) + as_strs(rule.get("cidrIpv6"))
    return [c for c in cidrs if c in (OPEN_V4, OPEN_V6)]


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == SECURITY_GROUP:
        rules = [as_map(r) for r in as_list(resource.props.get("ingress"))]
    elif resource.type == SECURITY_GROUP_RULE:
        if resource.props.get("type") != "ingress":
            resource.not_applicable("egress rule")
        rules = [resource.props]
    else:
        rules = [resource.props]
    for rule in rules:
        for cidr in _open_cidrs(rule):
            report(f"ingress {_ports(rule)} is open to {cidr}")


RULE = resource_rule(
    name="ec2-security-group-no-public-ingress",
    description="Security groups admit no ingress from 0.0.0.0/0 or ::/0.",
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Allow ingress only from the peers the zero-trust flow graph declares (security group ids or "
        "VPC CIDRs); expose public endpoints through an exempted, internal-first load balancer."
    ),
    resource_types=(SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE),
    check=_check,
)
