"""elb-load-balancer-internal: load balancers are internal unless explicitly exempted."""

from __future__ import annotations

from policies.mlops.props import is_true
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

LB = "aws:lb/loadBalancer:LoadBalancer"
ALB = "aws:alb/loadBalancer:LoadBalancer"


def _check(resource: ResourceInput, report: Report) -> None:
    if not is_true(resource.props.get("internal")):
        report("internal is not true: the load balancer is internet-facing")


RULE = resource_rule(
    name="elb-load-balancer-internal",
    description="Load balancers are internal; an internet-facing one needs a recorded exemption.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set internal=True. A deliberately public people entry (mlops:access.public: WAF, an allow-list and "
        "authentication) needs an exemption in mlops:policy with a reason and an expiry date."
    ),
    resource_types=(LB, ALB),
    check=_check,
)
