"""k8s-network-policy-egress-narrow: an egress ipBlock names its destination's addresses, nothing wider.

The flow graph gives every AWS destination its own subnets (one per AZ) and renders one ipBlock per destination
CIDR, so a faithful egress ipBlock is one subnet (or part of one), a host (``/32``), or a range outside the VPC.
What policies cannot know is which destination a block was meant for, so this rule uses a heuristic on the blocks
alone. An egress ``ipBlock`` is a violation when it:

1. covers a whole VPC CIDR of the stack (``cidr`` minus ``except``), e.g. ``10.40.0.0/16`` or ``0.0.0.0/0``
   without the VPC excepted: it reaches every database, endpoint and pod address;
2. reaches addresses of two or more subnets of the stack: more than one destination (or AZ slot);
3. is private (RFC 1918) and wider than ``/24``, unless it is exactly one subnet of the stack. ``/24`` is the
   size the network plan gives each destination subnet in a ``/16`` VPC; a wider private block outside the
   stack's subnets (peered VPCs, on-premises ranges) reaches more than one service's addresses. A subnet of the
   stack is accepted at any size because it is the unit destinations are declared in.

Hosts (``/32``, ``/128``) never violate; IPv6 blocks are checked by (1) and (2) only. ``except`` ranges narrow the
block for (1) and (2) only: a wide private block with holes is still wide.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from policies.mlops.ec2._types import SUBNET, VPC
from policies.mlops.kube import NETWORK_POLICY, namespace_of
from policies.mlops.props import as_list, as_map, as_strs, get, known
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule

MAX_PRIVATE_PREFIX = 24
"""Private blocks wider than this (a shorter prefix) violate unless they are exactly one subnet of the stack."""
RFC1918 = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(value: Any) -> _Network | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def _remaining(block: _Network, excepts: list[_Network]) -> list[_Network]:
    """``block`` minus ``excepts`` as CIDRs."""
    pieces: list[_Network] = [block]
    for hole in excepts:
        kept: list[_Network] = []
        for piece in pieces:
            if piece.version != hole.version or not piece.overlaps(hole):
                kept.append(piece)
            elif not piece.subnet_of(hole):  # type: ignore[arg-type]
                kept.extend(piece.address_exclude(hole))  # type: ignore[arg-type]
        pieces = kept
    return pieces


def _covers(pieces: list[_Network], target: _Network) -> bool:
    """Whether the union of ``pieces`` (disjoint CIDRs) contains ``target``."""
    return any(p.version == target.version and target.subnet_of(p) for p in pieces)  # type: ignore[arg-type]


def _overlaps(pieces: list[_Network], target: _Network) -> bool:
    return any(p.version == target.version and p.overlaps(target) for p in pieces)


def _order(net: _Network) -> tuple[int, int, int]:
    return net.version, int(net.network_address), net.prefixlen


def _problem(block: _Network, excepts: list[_Network], vpcs: list[_Network], subnets: list[_Network]) -> str | None:
    """Why an egress ipBlock is wider than a destination needs, or None."""
    if block.prefixlen == block.max_prefixlen:
        return None
    pieces = _remaining(block, excepts)
    for vpc in vpcs:
        if _covers(pieces, vpc):
            return f"covers the whole VPC {vpc}"
    reached = [str(s) for s in sorted(subnets, key=_order) if _overlaps(pieces, s)]
    if len(reached) > 1:
        shown = ", ".join(reached[:4]) + (f" and {len(reached) - 4} more" if len(reached) > 4 else "")
        return f"reaches {len(reached)} subnets of the stack ({shown})"
    if (
        isinstance(block, ipaddress.IPv4Network)
        and any(block.subnet_of(private) for private in RFC1918)
        and block.prefixlen < MAX_PRIVATE_PREFIX
        and block not in subnets
    ):
        return f"is a private range wider than /{MAX_PRIVATE_PREFIX} that is not one subnet of the stack"
    return None


def _check(stack: StackInput, report: StackReport) -> None:
    vpcs: list[_Network] = []
    for vpc in stack.of_type(VPC):
        with stack.item():
            for key in ("cidrBlock", "ipv6CidrBlock"):
                net = _network(known(vpc.props, key))
                if net is not None:
                    vpcs.append(net)
    subnets: list[_Network] = []
    for subnet in stack.of_type(SUBNET):
        with stack.item():
            for key in ("cidrBlock", "ipv6CidrBlock"):
                net = _network(known(subnet.props, key))
                if net is not None and net not in subnets:  # one address block, however many stacks share it
                    subnets.append(net)
    for policy in stack.of_type(NETWORK_POLICY):
        with stack.item():
            name = f"{namespace_of(policy.props)}/{get(policy.props, 'metadata', 'name') or policy.name}"
            for r_index, rule in enumerate(as_list(get(policy.props, "spec", "egress"))):
                for p_index, peer in enumerate(as_list(as_map(rule).get("to"))):
                    ip_block = as_map(as_map(peer).get("ipBlock"))
                    if not ip_block:
                        continue
                    block = _network(ip_block.get("cidr"))
                    if block is None:
                        report(f"{name}: egress[{r_index}].to[{p_index}].ipBlock has no valid cidr", policy.urn)
                        continue
                    excepts = [n for n in (_network(e) for e in as_strs(ip_block.get("except"))) if n is not None]
                    problem = _problem(block, excepts, vpcs, subnets)
                    if problem:
                        report(f"{name}: egress[{r_index}].to[{p_index}].ipBlock {block} {problem}", policy.urn)


RULE = stack_rule(
    name="k8s-network-policy-egress-narrow",
    description=(
        "NetworkPolicy egress ipBlocks are no wider than one destination: never a whole VPC, never two subnets, "
        f"no private range wider than /{MAX_PRIVATE_PREFIX} besides one subnet of the stack."
    ),
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Declare the flow to the destination itself (contracts/flows.py): ZeroTrust renders one ipBlock per subnet "
        "of the destination. For the internet, except the VPC (or all of RFC 1918) from 0.0.0.0/0."
    ),
    resource_types=(NETWORK_POLICY, VPC, SUBNET),
    check=_check,
)
