"""s3-bucket-no-force-destroy: production buckets cannot be emptied by `pulumi destroy`.

``forceDestroy: true`` deletes every object (and, with versioning, every version) of a bucket before deleting it,
when the bucket is destroyed or replaced: versioning and lifecycle retention do not survive it. Phoenix stacks set
it (``lake.forceDestroy``) so they can be torn down; the stack config validation refuses it together with
``lake.protect``, which production requires. Tier-dependent (policy config ``tiers``, default ``["production"]``).
"""

from __future__ import annotations

import pulumi_policy

from policies.mlops.props import as_strs, is_true
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule
from policies.mlops.s3._joins import BUCKET

DEFAULT_TIERS = ("production",)


def _check(resource: ResourceInput, report: Report) -> None:
    tiers = as_strs(resource.policy_config.get("tiers")) or list(DEFAULT_TIERS)
    tier = resource.stack.tier
    if tier not in tiers:
        resource.not_applicable(f"tier {tier!r} is not one of {tiers}")
    if is_true(resource.props.get("forceDestroy")):
        report(f"forceDestroy is true in the {tier} tier: destroying the bucket deletes every object and version")


RULE = resource_rule(
    name="s3-bucket-no-force-destroy",
    description="S3 buckets in production are never force-destroyed (forceDestroy is not true).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Remove force_destroy (stack config lake.forceDestroy: false; production sets lake.protect: true).",
    resource_types=(BUCKET,),
    check=_check,
    config_schema=pulumi_policy.PolicyConfigSchema(
        properties={"tiers": {"type": "array", "items": {"type": "string"}, "default": ["production"]}}
    ),
)
