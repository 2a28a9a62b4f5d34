"""elb-load-balancer-public-waf: an internet-facing application load balancer sits behind AWS WAF.

``elb-load-balancer-internal`` reports every internet-facing load balancer (an exemption records why); this rule
adds that the exempted one is not naked: a WAFv2 web ACL association must target it.
"""

from __future__ import annotations

from policies.mlops.elb._lb import LOAD_BALANCERS, WEB_ACL_ASSOCIATION, is_application, is_internet_facing, refers_to
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule


def _check(stack: StackInput, report: StackReport) -> None:
    associations = stack.of_type(WEB_ACL_ASSOCIATION)
    for balancer in stack.of_type(*LOAD_BALANCERS):
        with stack.item():
            if not is_application(balancer.props) or not is_internet_facing(balancer.props):
                continue
            if not any(refers_to(a, "resourceArn", balancer) for a in associations):
                report("internet-facing load balancer without a WAF web ACL association", balancer.urn)


RULE = stack_rule(
    name="elb-load-balancer-public-waf",
    description="Internet-facing application load balancers are associated with an AWS WAF web ACL.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Keep the load balancer internal, or associate a REGIONAL aws.wafv2.WebAcl with it "
        "(aws.wafv2.WebAclAssociation(resource_arn=lb.arn, web_acl_arn=acl.arn); mlops:access.public does)."
    ),
    resource_types=(*LOAD_BALANCERS, WEB_ACL_ASSOCIATION),
    check=_check,
)
