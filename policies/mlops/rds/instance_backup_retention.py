"""rds-instance-backup-retention: automated backups are kept for at least 7 days."""

from __future__ import annotations

from policies.mlops.props import as_number
from policies.mlops.rds._common import CLUSTER, INSTANCE, skip_aurora_member, skip_replica
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

MINIMUM_DAYS = 7


def _check(resource: ResourceInput, report: Report) -> None:
    skip_aurora_member(resource, "backup retention")
    skip_replica(resource, "backup retention")
    days = as_number(resource.props.get("backupRetentionPeriod"))
    if days is None:
        report(f"backupRetentionPeriod is not set (AWS default: 1 day); at least {MINIMUM_DAYS} required")
    elif days < MINIMUM_DAYS:
        report(f"backupRetentionPeriod is {days:g} days; at least {MINIMUM_DAYS} required")


RULE = resource_rule(
    name="rds-instance-backup-retention",
    description=f"RDS instances and clusters keep automated backups for at least {MINIMUM_DAYS} days.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=f"Set backup_retention_period to {MINIMUM_DAYS} or more (stack config database.backupRetentionDays).",
    resource_types=(INSTANCE, CLUSTER),
    check=_check,
)
