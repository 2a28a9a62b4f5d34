"""rds-instance-deletion-protection: production databases cannot be deleted by accident.

Tier-dependent: applies when the stack's tier (``mlops:tier``, else derived: see ``contracts.tiers``) is
one of the rule's ``tiers`` (policy config; default ``["production"]``), so renaming the environment never
switches it off. With the real engine, change the list with ``--policy-pack-config``
(``{"rds-instance-deletion-protection": {"tiers": ["production", "staging"]}}``).
"""

from __future__ import annotations

import pulumi_policy

from policies.mlops.props import as_strs, is_true
from policies.mlops.rds._common import CLUSTER, INSTANCE, skip_aurora_member
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

DEFAULT_TIERS = ("production",)


def _check(resource: ResourceInput, report: Report) -> None:
    tiers = as_strs(resource.policy_config.get("tiers")) or list(DEFAULT_TIERS)
    tier = resource.stack.tier
    if tier not in tiers:
        resource.not_applicable(f"tier {tier!r} is not one of {tiers}")
    skip_aurora_member(resource, "deletion protection")
    if not is_true(resource.props.get("deletionProtection")):
        report(f"deletionProtection is not true in the {tier} tier")


RULE = resource_rule(
    name="rds-instance-deletion-protection",
    description="RDS instances and clusters in production have deletion protection enabled.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Set deletion_protection=True (stack config database.deletionProtection: true).",
    resource_types=(INSTANCE, CLUSTER),
    check=_check,
    config_schema=pulumi_policy.PolicyConfigSchema(
        properties={"tiers": {"type": "array", "items": {"type": "string"}, "default": ["production"]}}
    ),
)
