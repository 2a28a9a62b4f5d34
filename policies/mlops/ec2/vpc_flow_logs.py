"""ec2-vpc-flow-logs: every VPC records its traffic with VPC flow logs."""

from __future__ import annotations

from policies.mlops.ec2._types import FLOW_LOG, VPC
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule


def _check(stack: StackInput, report: StackReport) -> None:
    logs = stack.of_type(FLOW_LOG)
    for vpc in stack.of_type(VPC):
        flows = [log for log in logs if log.depends_through("vpcId", vpc.urn)]
        if not flows:
            report("no FlowLog records this VPC's traffic", vpc.urn)
            continue
        with stack.item():
            # Only accepted connections would hide scans and blocked exfiltration attempts.
            if not any(log.props.get("trafficType", "ALL") == "ALL" for log in flows):
                report("flow logs do not capture trafficType ALL", vpc.urn)


RULE = stack_rule(
    name="ec2-vpc-flow-logs",
    description="Every VPC has a flow log capturing all traffic (accepted and rejected).",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Add aws.ec2.FlowLog(vpc_id=vpc.id, traffic_type='ALL', log_destination=<log group or bucket>).",
    resource_types=(VPC, FLOW_LOG),
    check=_check,
)
