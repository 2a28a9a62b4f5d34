"""ec2-security-group-no-open-egress: no security group lets its members send anything anywhere.

An egress rule allowing every protocol (or every TCP/UDP port) to ``0.0.0.0/0`` or ``::/0`` (or the two halves
``0.0.0.0/1`` + ``128.0.0.0/1``) turns the group into an exfiltration path: whatever runs behind it reaches any
host on any port, and the zero-trust flow graph no longer describes what it does. Egress to the internet names
its port (the deploy runner: HTTPS to GitHub); everything inside the VPC is reached by security group.

One group is exempt: the EKS **cluster** security group, which EKS creates with an allow-all egress rule and
manages itself (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html). It is recognised as in
``ec2-security-group-destination-ingress``: the rule's ``securityGroupId`` was computed from an
``aws:eks/cluster:Cluster`` (or holds an id another input computed from it holds). All three rule forms are
checked: ``aws.vpc.SecurityGroupEgressRule``, ``aws.ec2.SecurityGroupRule`` (type ``egress``) and the inline
``egress`` list of ``aws.ec2.SecurityGroup``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from policies.mlops.ec2._types import SECURITY_GROUP, SECURITY_GROUP_RULE

# One definition of "the EKS cluster security group" for every ec2 rule.
from policies.mlops.ec2.security_group_destination_ingress import _cluster as cluster_groups
from policies.mlops.eks._types import CLUSTER as EKS_CLUSTER
from policies.mlops.props import as_list, as_map, as_number, as_strs, known
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule

EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ALL_PROTOCOLS = ("-1", "all")
PORT_PROTOCOLS = ("tcp", "udp", "6", "17")
CIDR_KEYS = ("cidrIpv4", "cidrIpv6", "cidrBlocks", "ipv6CidrBlocks")


def _open_destinations(rule: Mapping[str, Any]) -> list[str]:
    """Destination blocks of ``rule`` covering (half) the whole address space."""
    wide = []
    for key in CIDR_KEYS:
        for cidr in as_strs(rule.get(key)):
            try:
                if ipaddress.ip_network(cidr, strict=False).prefixlen <= 1:
                    wide.append(cidr)
            except ValueError:
                continue
    return wide


def _every_port(rule: Mapping[str, Any]) -> str | None:
    """``all traffic`` / ``tcp/0-65535`` when the rule allows every protocol or every port of one, else None."""
    protocol = str(rule.get("ipProtocol") or rule.get("protocol") or "").lower()
    if protocol in ALL_PROTOCOLS:
        return "all traffic"
    low, high = as_number(rule.get("fromPort")), as_number(rule.get("toPort"))
    if protocol in PORT_PROTOCOLS and low is not None and high is not None and low <= 0 and high >= 65535:
        return f"{protocol}/{low:g}-{high:g}"
    return None


def _verdict(rule: Mapping[str, Any]) -> str | None:
    ports = _every_port(rule)
    wide = _open_destinations(rule)
    if ports and wide:
        return f"allows {ports} to {', '.join(wide)}"
    return None


def _check(stack: StackInput, report: StackReport) -> None:
    cluster = cluster_groups(stack)
    for resource in stack.of_type(EGRESS_RULE, SECURITY_GROUP_RULE):
        with stack.item():
            if resource.type == SECURITY_GROUP_RULE and known(resource.props, "type") != "egress":
                continue
            verdict = _verdict(resource.props)
            if verdict is None:
                continue
            if cluster.source(resource, "securityGroupId", known(resource.props, "securityGroupId")):
                continue  # the EKS cluster group: EKS owns its allow-all egress
            report(f"egress rule {resource.name} {verdict}", resource.urn)
    for group in stack.of_type(SECURITY_GROUP):
        with stack.item():
            for index, entry in enumerate(as_list(known(group.props, "egress"))):
                verdict = _verdict(as_map(entry))
                if verdict:
                    report(f"{group.name}.egress[{index}] {verdict}", group.urn)


RULE = stack_rule(
    name="ec2-security-group-no-open-egress",
    description=(
        "Security groups (except the EKS-managed cluster group) allow no egress of every protocol or port to "
        "0.0.0.0/0 or ::/0."
    ),
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Name the port and destination: declare the flow (contracts/flows.py) so ZeroTrust renders group-to-group "
        "rules, or allow the one internet port a component needs (e.g. tcp/443)."
    ),
    resource_types=(SECURITY_GROUP, SECURITY_GROUP_RULE, EGRESS_RULE, EKS_CLUSTER),
    check=_check,
)
