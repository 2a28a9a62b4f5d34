"""rds-instance-not-public: databases have no public endpoint."""

from __future__ import annotations

from policies.mlops.props import is_true
from policies.mlops.rds._common import CLUSTER, INSTANCE
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if is_true(resource.props.get("publiclyAccessible")):
        report("publiclyAccessible is true")


RULE = resource_rule(
    name="rds-instance-not-public",
    description="RDS instances and clusters are not publicly accessible.",
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation="Remove publicly_accessible (default false) and reach the database through the VPC.",
    resource_types=(INSTANCE, CLUSTER),
    check=_check,
)
