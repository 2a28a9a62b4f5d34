"""tagging-resource-required-tags: taggable AWS resources carry owner, environment and cost-center."""

from __future__ import annotations

from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule
from policies.mlops.tagging._tags import effective_tags
from policies.mlops.tagging.taggable_types import TAGGABLE_TYPES

REQUIRED_TAGS = ("owner", "environment", "cost-center")


def _check(resource: ResourceInput, report: Report) -> None:
    tags = effective_tags(resource)
    missing = [key for key in REQUIRED_TAGS if not tags.get(key, "").strip()]
    if missing:
        report(f"missing required tag(s) {', '.join(missing)} (resource tags and provider default tags)")


RULE = resource_rule(
    name="tagging-resource-required-tags",
    description="Every taggable AWS resource has the owner, environment and cost-center tags.",
    level=Level.MANDATORY,
    severity=Severity.LOW,
    remediation=(
        "Create AWS resources with the platform provider (default_tags from mlops:owner, mlops:environment, "
        "mlops:costCenter) or set the tags explicitly."
    ),
    resource_types=tuple(sorted(TAGGABLE_TYPES)),
    check=_check,
)
