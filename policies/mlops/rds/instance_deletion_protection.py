"""rds-instance-deletion-protection: production databases cannot be deleted by accident.

Environment-dependent: applies when the stack's environment (``mlops:environment``, else the
stack name) is one of the rule's ``environments`` (policy config; default ``["prod"]``). With the
real engine, change the list with ``--policy-pack-config`` (``{"rds-instance-deletion-protection":
{"environments": ["prod", "staging"]}}``).
"""

from __future__ import annotations

import pulumi_policy

from policies.mlops.props import as_strs, is_true
from policies.mlops.rds._common import CLUSTER, INSTANCE, skip_aurora_member
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

DEFAULT_ENVIRONMENTS = ("prod",)


def _check(resource: ResourceInput, report: Report) -> None:
    environments = as_strs(resource.policy_config.get("environments")) or list(DEFAULT_ENVIRONMENTS)
    environment = resource.stack.environment
    if environment not in environments:
        resource.not_applicable(f"environment {environment!r} is not one of {environments}")
    skip_aurora_member(resource, "deletion protection")
    if not is_true(resource.props.get("deletionProtection")):
        report(f"deletionProtection is not true in environment {environment!r}")


RULE = resource_rule(
    name="rds-instance-deletion-protection",
    description="RDS instances and clusters in production have deletion protection enabled.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Set deletion_protection=True (stack config database.deletionProtection: true).",
    resource_types=(INSTANCE, CLUSTER),
    check=_check,
    config_schema=pulumi_policy.PolicyConfigSchema(
        properties={"environments": {"type": "array", "items": {"type": "string"}, "default": ["prod"]}}
    ),
)
