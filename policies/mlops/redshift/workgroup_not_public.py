"""redshift-workgroup-not-public: Redshift Serverless has no public endpoint."""

from __future__ import annotations

from policies.mlops.props import is_true
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

WORKGROUP = "aws:redshiftserverless/workgroup:Workgroup"


def _check(resource: ResourceInput, report: Report) -> None:
    if is_true(resource.props.get("publiclyAccessible")):
        report("publiclyAccessible is true")


RULE = resource_rule(
    name="redshift-workgroup-not-public",
    description="Redshift Serverless workgroups are not publicly accessible.",
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation="Remove publicly_accessible (default false); connect through the VPC.",
    resource_types=(WORKGROUP,),
    check=_check,
)
