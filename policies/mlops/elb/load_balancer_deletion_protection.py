"""elb-load-balancer-deletion-protection: production load balancers cannot be deleted by accident.

Tier-dependent like rds-instance-deletion-protection: applies when the stack's tier (``mlops:tier``, else derived,
``contracts.tiers``) is one of the rule's ``tiers`` (policy config; default ``["production"]``).
"""

from __future__ import annotations

import pulumi_policy

from policies.mlops.elb._lb import LOAD_BALANCERS
from policies.mlops.props import as_strs, is_true
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

DEFAULT_TIERS = ("production",)


def _check(resource: ResourceInput, report: Report) -> None:
    tiers = as_strs(resource.policy_config.get("tiers")) or list(DEFAULT_TIERS)
    tier = resource.stack.tier
    if tier not in tiers:
        resource.not_applicable(f"tier {tier!r} is not one of {tiers}")
    if not is_true(resource.props.get("enableDeletionProtection")):
        report(f"enableDeletionProtection is not true in the {tier} tier")


RULE = resource_rule(
    name="elb-load-balancer-deletion-protection",
    description="Load balancers in production have deletion protection enabled.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set enable_deletion_protection=True (mlops:access.deletionProtection, on by default in production).",
    resource_types=LOAD_BALANCERS,
    check=_check,
    config_schema=pulumi_policy.PolicyConfigSchema(
        properties={"tiers": {"type": "array", "items": {"type": "string"}, "default": ["production"]}}
    ),
)
