"""cloudwatch-log-group-retention: every log group expires its events.

A log group without ``retentionInDays`` keeps events forever (CloudWatch Logs' default): storage grows without
bound and so does what a leak exposes. Services that create their own groups (EKS, RDS, the CloudWatch agent)
create them that way, which is why the platform creates every group it writes to first.
"""

from __future__ import annotations

from policies.mlops.cloudwatch._types import LOG_GROUP
from policies.mlops.props import as_number, known, present
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

# CloudWatch Logs PutRetentionPolicy accepts only these (0 is "never expire" in the provider).
RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)


def _check(resource: ResourceInput, report: Report) -> None:
    if not present(resource.props, "retentionInDays"):
        report("retentionInDays is not set: events are kept forever")
        return
    days = as_number(known(resource.props, "retentionInDays"))
    if days is not None and int(days) not in RETENTION_DAYS:
        report(f"retentionInDays {days:g} is not a CloudWatch retention period (0 keeps events forever)")


RULE = resource_rule(
    name="cloudwatch-log-group-retention",
    description="CloudWatch log groups have a retention period.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set retention_in_days on aws.cloudwatch.LogGroup (e.g. 30, 90 or 365).",
    resource_types=(LOG_GROUP,),
    check=_check,
)
