"""cloudwatch-log-group-retention-minimum: production log groups keep their events long enough to investigate.

``cloudwatch-log-group-retention`` makes every group expire; this rule keeps the expiry from being so short that
the evidence is gone before anyone looks: incident investigations and audit requests look back weeks, and an
attacker's first traces are usually older than the alert. In the production tier every log group keeps events at
least 90 days (``retentionInDays`` 0, "never expire", satisfies it) - the stack config validation's
``PRODUCTION_MIN_LOG_DAYS`` in ``components/config.py``, enforced here on the groups themselves, so groups whose
retention the validation does not cover (Container Insights, the deploy runner) and edited plans are held to it.
Policy config: ``tiers`` (default ``["production"]``) and ``minimumDays`` (default 90).
"""

from __future__ import annotations

import pulumi_policy

from policies.mlops.cloudwatch._types import LOG_GROUP
from policies.mlops.props import as_number, as_strs, known
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

DEFAULT_TIERS = ("production",)
MINIMUM_DAYS = 90
"""Equal to ``components.config.PRODUCTION_MIN_LOG_DAYS`` (a test keeps them together)."""


def _check(resource: ResourceInput, report: Report) -> None:
    tiers = as_strs(resource.policy_config.get("tiers")) or list(DEFAULT_TIERS)
    tier = resource.stack.tier
    if tier not in tiers:
        resource.not_applicable(f"tier {tier!r} is not one of {tiers}")
    minimum = as_number(resource.policy_config.get("minimumDays")) or MINIMUM_DAYS
    days = as_number(known(resource.props, "retentionInDays"))
    if days is None or days == 0:
        return  # unset is cloudwatch-log-group-retention's finding; 0 keeps events forever
    if days < minimum:
        report(f"retentionInDays is {days:g}: the {tier} tier keeps log events at least {minimum:g} days")


RULE = resource_rule(
    name="cloudwatch-log-group-retention-minimum",
    description="CloudWatch log groups in production keep their events at least 90 days.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set retention_in_days to 90 or more (stack config: network.flowLogRetentionDays, cluster.logRetentionDays, "
        "*.database.logRetentionDays, observability.logRetentionDays, deploy.runner.logRetentionDays)."
    ),
    resource_types=(LOG_GROUP,),
    check=_check,
    config_schema=pulumi_policy.PolicyConfigSchema(
        properties={
            "tiers": {"type": "array", "items": {"type": "string"}, "default": ["production"]},
            "minimumDays": {"type": "integer", "minimum": 1, "default": MINIMUM_DAYS},
        }
    ),
)
