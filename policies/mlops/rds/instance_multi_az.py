"""rds-instance-multi-az: production databases keep a standby in a second availability zone.

A single-AZ instance is down for the length of an AZ outage or a host failure (a restore from backup, with up
to five minutes of data lost); Multi-AZ fails over to a synchronous standby in one to two minutes
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html). The platform's
production stack asks for it (``database.multiAz: true``); this rule keeps a tier change or an edited stack
file from dropping it silently. Tier-dependent (policy config ``tiers``, default ``["production"]``). Aurora
(clusters and their members) spreads instances instead and read replicas follow their source: not applicable.
"""

from __future__ import annotations

import pulumi_policy

from policies.mlops.props import as_strs, is_true
from policies.mlops.rds._common import INSTANCE, skip_aurora_member, skip_replica
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

DEFAULT_TIERS = ("production",)


def _check(resource: ResourceInput, report: Report) -> None:
    tiers = as_strs(resource.policy_config.get("tiers")) or list(DEFAULT_TIERS)
    tier = resource.stack.tier
    if tier not in tiers:
        resource.not_applicable(f"tier {tier!r} is not one of {tiers}")
    skip_aurora_member(resource, "availability")
    skip_replica(resource, "availability")
    if not is_true(resource.props.get("multiAz")):
        report(f"multiAz is not true in the {tier} tier: one AZ or host failure takes the database down")


RULE = resource_rule(
    name="rds-instance-multi-az",
    description="RDS instances in production are Multi-AZ deployments.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set multi_az=True (stack config tracking.database.multiAz / orchestrator.database.multiAz: true).",
    resource_types=(INSTANCE,),
    check=_check,
    config_schema=pulumi_policy.PolicyConfigSchema(
        properties={"tiers": {"type": "array", "items": {"type": "string"}, "default": ["production"]}}
    ),
)
