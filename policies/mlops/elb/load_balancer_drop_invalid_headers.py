"""elb-load-balancer-drop-invalid-headers: application load balancers drop HTTP headers with invalid names.

Headers that do not match ``[-A-Za-z0-9]+`` are otherwise passed to targets, where a proxy and an application may
read them differently (request smuggling, header-injection into identity headers such as ``x-amzn-oidc-*``).
"""

from __future__ import annotations

from policies.mlops.elb._lb import LOAD_BALANCERS, is_application
from policies.mlops.props import is_true
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if not is_application(resource.props):
        resource.not_applicable("not an application load balancer")
    if not is_true(resource.props.get("dropInvalidHeaderFields")):
        report("dropInvalidHeaderFields is not true")


RULE = resource_rule(
    name="elb-load-balancer-drop-invalid-headers",
    description="Application load balancers drop header fields with invalid names before forwarding.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set drop_invalid_header_fields=True on the load balancer.",
    resource_types=LOAD_BALANCERS,
    check=_check,
)
