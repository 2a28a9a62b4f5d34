"""ec2-subnet-no-public-ip: subnets do not hand out public IPs automatically."""

from __future__ import annotations

from policies.mlops.ec2._types import SUBNET
from policies.mlops.props import is_true
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if is_true(resource.props.get("mapPublicIpOnLaunch")):
        report("mapPublicIpOnLaunch is true: every instance launched here gets a public IP")


RULE = resource_rule(
    name="ec2-subnet-no-public-ip",
    description="Subnets do not assign public IPv4 addresses on launch (NAT gateways and load balancers don't need it).",
    level=Level.ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Remove map_public_ip_on_launch (default false); public subnets host only NAT gateways and LBs.",
    resource_types=(SUBNET,),
    check=_check,
)
