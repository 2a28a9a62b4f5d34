"""rds-instance-encrypted: database storage is encrypted at rest."""

from __future__ import annotations

from policies.mlops.props import is_true
from policies.mlops.rds._common import CLUSTER, INSTANCE, skip_aurora_member, skip_replica
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    skip_aurora_member(resource, "storage encryption")
    skip_replica(resource, "storage encryption")
    if not is_true(resource.props.get("storageEncrypted")):
        report("storageEncrypted is not true")


RULE = resource_rule(
    name="rds-instance-encrypted",
    description="RDS instances and clusters encrypt their storage at rest.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Set storage_encrypted=True and kms_key_id to the platform KMS key.",
    resource_types=(INSTANCE, CLUSTER),
    check=_check,
)
