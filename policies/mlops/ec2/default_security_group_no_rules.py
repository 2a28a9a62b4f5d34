"""ec2-default-security-group-no-rules: every VPC's default security group is adopted and empty.

AWS creates each VPC with a default security group that allows all traffic between its members
and all egress. Resources that forget a security group land in it, so it must allow nothing
(CIS AWS Foundations 5.4). Adopting it with ``aws.ec2.DefaultSecurityGroup`` and no rules removes
AWS's rules.
"""

from __future__ import annotations

from policies.mlops.ec2._types import DEFAULT_SECURITY_GROUP, VPC
from policies.mlops.props import as_list
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule


def _check(stack: StackInput, report: StackReport) -> None:
    groups = stack.of_type(DEFAULT_SECURITY_GROUP)
    for group in groups:
        with stack.item():
            for direction in ("ingress", "egress"):
                count = len(as_list(group.props.get(direction)))
                if count:
                    report(f"default security group declares {count} {direction} rule(s)", group.urn)
    for vpc in stack.of_type(VPC):
        if not any(group.depends_through("vpcId", vpc.urn) for group in groups):
            report("the VPC's default security group is not adopted (AWS leaves allow-all rules in it)", vpc.urn)


RULE = stack_rule(
    name="ec2-default-security-group-no-rules",
    description="Each VPC's default security group is managed by the stack and has no rules.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Add aws.ec2.DefaultSecurityGroup(vpc_id=vpc.id) with no ingress and no egress.",
    resource_types=(VPC, DEFAULT_SECURITY_GROUP),
    check=_check,
)
