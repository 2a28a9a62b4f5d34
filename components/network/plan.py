"""Subnet plan of the platform's VPC: which CIDR each tier gets in each availability zone.

Pure CIDR maths (tested directly); :class:`~components.network.component.Network` creates the subnets.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

MAX_AZS = 3
"""Subnet slots reserved per tier: CIDRs never move when az_count grows to this."""

DEFAULT_TIERS: Mapping[str, int] = {"private": 2, "database": 5, "public": 5}
"""Tier -> extra prefix bits over the VPC prefix. /16 VPC: private /18 (16k addresses: VPC CNI gives every pod
a VPC address), database /21, public /21. Order is allocation order among tiers of equal size."""

RUNNER_TIER: Mapping[str, int] = {"runner": 6}
"""The deploy runner's tier (``nat: none`` only): /22 per AZ in a /16, allocated after every default tier, in the
space the default tiers leave free, so it never renumbers them."""

SMALLEST_SUBNET_PREFIX = 28
"""AWS refuses subnets smaller than /28."""


def plan_subnets(cidr: str, az_count: int, tiers: Mapping[str, int] = DEFAULT_TIERS) -> dict[str, list[str]]:
    """Carve ``az_count`` subnets per tier out of the VPC block ``cidr``.

    ``tiers`` maps a tier name to its extra prefix bits (2 => each subnet is a quarter of the VPC).
    Every tier reserves :data:`MAX_AZS` slots, largest subnets first so each block stays aligned, and a
    tier's CIDR in an AZ depends only on ``cidr`` and ``tiers``: growing from 2 to 3 AZs or adding the
    public tier never renumbers (and so never replaces) an existing subnet.
    Raises ValueError when the tiers do not fit or a subnet would be smaller than /28.
    """
    vpc = ipaddress.ip_network(cidr, strict=True)
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"az_count {az_count} not in 1..{MAX_AZS}")
    for tier, bits in tiers.items():
        if bits < 1 or vpc.prefixlen + bits > SMALLEST_SUBNET_PREFIX:
            raise ValueError(
                f"tier {tier!r}: /{vpc.prefixlen}+{bits} gives /{vpc.prefixlen + bits}; "
                f"subnets must be /{vpc.prefixlen + 1} to /{SMALLEST_SUBNET_PREFIX}"
            )
    needed = sum(MAX_AZS * 2 ** (max(tiers.values()) - bits) for bits in tiers.values())
    if needed > 2 ** max(tiers.values()):
        raise ValueError(f"tiers {dict(tiers)} need more than the {cidr} block ({MAX_AZS} slots per tier)")
    # Largest first (stable for equal sizes): sequential allocation of descending sizes is always aligned.
    order = sorted(tiers, key=lambda t: tiers[t])
    plan: dict[str, list[str]] = {}
    cursor = int(vpc.network_address)
    for tier in order:
        prefix = vpc.prefixlen + tiers[tier]
        size = 2 ** (vpc.max_prefixlen - prefix)
        slots = [ipaddress.ip_network((cursor + i * size, prefix)) for i in range(MAX_AZS)]
        cursor += MAX_AZS * size
        plan[tier] = [str(net) for net in slots[:az_count]]
    return {tier: plan[tier] for tier in tiers}


DESTINATION_SLOTS: Mapping[str, int] = {
    "tracking-db": 0,
    "orchestrator-db": 1,
    "warehouse": 2,
    "endpoints": 3,
    "ingress": 4,
    "control-plane": 5,
}
"""What lives in each AZ's database-tier block, one eighth each (slots 6 and 7 are free). One subnet per destination
and AZ: a NetworkPolicy naming a destination's subnets can reach nothing else, and a slot's CIDR never depends on
which other destinations the stack has, so enabling one never renumbers (replaces) another."""

SLOT_BITS = 3
"""Each database-tier block splits into 2**3 slots: a /21 block (in a /16 VPC) gives /24 subnets."""

MIN_SLOT_PREFIX: Mapping[str, int] = {"ingress": 27, "control-plane": 28, "endpoints": 28}
"""Largest prefix each slot may have: an ALB needs a /27 with 8 free addresses
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#subnets-load-balancer),
EKS control-plane ENIs a /28 (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html)."""


def destination_subnets(database_blocks: list[str], slot: str) -> list[str]:
    """The subnets of ``slot`` (one per AZ), carved from the database-tier blocks (:data:`DESTINATION_SLOTS`).

    Raises ValueError for an unknown slot or a VPC too small for the slot's minimum size.
    """
    if slot not in DESTINATION_SLOTS:
        raise ValueError(f"unknown destination slot {slot!r}; allowed: {sorted(DESTINATION_SLOTS)}")
    subnets = []
    for block in database_blocks:
        net = ipaddress.ip_network(block, strict=True)
        prefix = net.prefixlen + SLOT_BITS
        limit = MIN_SLOT_PREFIX.get(slot, SMALLEST_SUBNET_PREFIX)
        if prefix > limit:
            raise ValueError(
                f"the {slot} subnets would be /{prefix} (an eighth of the database block {block}); they need /{limit} "
                "or larger: use a larger VPC CIDR"
            )
        subnets.append(str(list(net.subnets(prefixlen_diff=SLOT_BITS))[DESTINATION_SLOTS[slot]]))
    return subnets
