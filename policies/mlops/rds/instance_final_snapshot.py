"""rds-instance-final-snapshot: deleting a production database leaves a final snapshot.

``skipFinalSnapshot: true`` makes a delete (``pulumi destroy``, a replacement, a removed component) drop the
data with the instance: automated backups go with it unless ``deleteAutomatedBackups`` is false, and they expire
anyway. Deletion protection stops the delete; the final snapshot is what is left when someone turned protection
off first. Tier-dependent like ``rds-instance-deletion-protection`` (policy config ``tiers``, default
``["production"]``). Aurora members take the setting from their cluster; read replicas take no final snapshot.
"""

from __future__ import annotations

import pulumi_policy

from policies.mlops.props import as_strs, is_true
from policies.mlops.rds._common import CLUSTER, INSTANCE, skip_aurora_member, skip_replica
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

DEFAULT_TIERS = ("production",)


def _check(resource: ResourceInput, report: Report) -> None:
    tiers = as_strs(resource.policy_config.get("tiers")) or list(DEFAULT_TIERS)
    tier = resource.stack.tier
    if tier not in tiers:
        resource.not_applicable(f"tier {tier!r} is not one of {tiers}")
    skip_aurora_member(resource, "the final snapshot")
    skip_replica(resource, "the final snapshot")
    if is_true(resource.props.get("skipFinalSnapshot")):
        report(f"skipFinalSnapshot is true in the {tier} tier: deleting the database deletes its data")


RULE = resource_rule(
    name="rds-instance-final-snapshot",
    description="RDS instances and clusters in production take a final snapshot when they are deleted.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set skip_final_snapshot=False with a final_snapshot_identifier (stack config database.deletionProtection: "
        "true does both)."
    ),
    resource_types=(INSTANCE, CLUSTER),
    check=_check,
    config_schema=pulumi_policy.PolicyConfigSchema(
        properties={"tiers": {"type": "array", "items": {"type": "string"}, "default": ["production"]}}
    ),
)
