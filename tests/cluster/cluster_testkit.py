"""The network inputs the platform gives ServingCluster (control-plane subnets, interface endpoints), for tests that
build the cluster on its own: computed with the network plan the platform uses, so the CIDRs are the real ones."""

from __future__ import annotations

from typing import Any

from components.network.plan import destination_subnets, plan_subnets
from contracts.flows import AwsDestination

ENDPOINTS_SECURITY_GROUP = "sg-0endpoints"


def control_plane_cidrs(vpc_cidr: str, az_count: int = 2) -> list[str]:
    """The control-plane slot's subnets (one per AZ), as ``Network.slot_subnet_cidrs['control-plane']``."""
    return destination_subnets(plan_subnets(vpc_cidr, az_count)["database"], "control-plane")


def endpoints(vpc_cidr: str, az_count: int = 2) -> AwsDestination:
    """The interface endpoints as ``Network.endpoints``: their own subnets, their own security group."""
    cidrs = destination_subnets(plan_subnets(vpc_cidr, az_count)["database"], "endpoints")
    return AwsDestination(name="vpc-endpoints", cidrs=tuple(cidrs), security_group_id=ENDPOINTS_SECURITY_GROUP)


def network_args(vpc_cidr: str, az_count: int = 2) -> dict[str, Any]:
    """``ServingClusterArgs`` fields the platform fills from ``Network``."""
    return {
        "control_plane_subnet_ids": [f"subnet-0cp{i}" for i in range(az_count)],
        "control_plane_subnet_cidrs": control_plane_cidrs(vpc_cidr, az_count),
        "endpoints": endpoints(vpc_cidr, az_count),
    }
