"""kms-key-deletion-window: production keys wait the longest window AWS allows before they are deleted.

``ScheduleKeyDeletion`` (what ``pulumi destroy`` or a replaced key does) makes every object, snapshot and backup
encrypted under the key unreadable for good once the window ends: the window is the only undo, and AWS allows
7 to 30 days (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html). A key pending deletion
is disabled and costs nothing extra, so production takes the full 30 days: a deletion has to survive a month
of CloudTrail alarms and reviews. Other tiers may keep the 7-day minimum (phoenix stacks recreate their keys
every day and would otherwise pile up keys pending deletion).

Tier-dependent like ``rds-instance-deletion-protection``: policy config ``tiers`` (default ``["production"]``)
and ``minimumDays`` (default 30). ``deletionWindowInDays`` unset is AWS's default, 30.
"""

from __future__ import annotations

import pulumi_policy

from policies.mlops.props import as_number, as_strs
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

KEY = "aws:kms/key:Key"
DEFAULT_TIERS = ("production",)
MAXIMUM_WINDOW_DAYS = 30
"""The longest deletion window AWS allows (and its default)."""


def _check(resource: ResourceInput, report: Report) -> None:
    tiers = as_strs(resource.policy_config.get("tiers")) or list(DEFAULT_TIERS)
    tier = resource.stack.tier
    if tier not in tiers:
        resource.not_applicable(f"tier {tier!r} is not one of {tiers}")
    minimum = as_number(resource.policy_config.get("minimumDays")) or MAXIMUM_WINDOW_DAYS
    days = as_number(resource.props.get("deletionWindowInDays"))
    if days is not None and days < minimum:
        report(
            f"deletionWindowInDays is {days:g}: in the {tier} tier a deleted key must stay recoverable for "
            f"{minimum:g} days (everything encrypted under it is lost when the window ends)"
        )


RULE = resource_rule(
    name="kms-key-deletion-window",
    description="KMS keys in production wait 30 days (the AWS maximum) between scheduled deletion and deletion.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Set deletion_window_in_days=30 on aws.kms.Key (or leave it unset: AWS's default is 30).",
    resource_types=(KEY,),
    check=_check,
    config_schema=pulumi_policy.PolicyConfigSchema(
        properties={
            "tiers": {"type": "array", "items": {"type": "string"}, "default": ["production"]},
            "minimumDays": {"type": "integer", "minimum": 7, "maximum": 30, "default": 30},
        }
    ),
)
