"""tagging-resource-phoenix-expiry: on phoenix stacks every taggable resource says when it expires.

The reaper finds leftovers of ephemeral stacks by tags, so each taggable AWS resource of a
phoenix stack (``mlops:phoenix.enabled: true``) must carry ``mlops:phoenix=true`` and
``mlops:expires-at`` as a UTC ISO-8601 timestamp (``2026-11-23T12:00:00Z``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from contracts import tags
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule
from policies.mlops.tagging._tags import effective_tags
from policies.mlops.tagging.taggable_types import TAGGABLE_TYPES

EXPIRY_TAG = tags.EXPIRES_AT
PHOENIX_TAG = tags.PHOENIX


def parses_as_utc(text: str) -> bool:
    """True for an ISO-8601 timestamp with a date, a time and a zero UTC offset (Z or +00:00)."""
    if "T" not in text:
        return False
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return value.utcoffset() == timedelta(0)


def _check(resource: ResourceInput, report: Report) -> None:
    if not resource.stack.phoenix:
        resource.not_applicable("not a phoenix stack")
    tags = effective_tags(resource)
    expiry = tags.get(EXPIRY_TAG)
    if expiry is None:
        report(f"tag {EXPIRY_TAG} is missing")
    elif not parses_as_utc(expiry):
        report(f"tag {EXPIRY_TAG}={expiry!r} is not a UTC ISO-8601 timestamp (e.g. 2026-11-23T12:00:00Z)")
    if tags.get(PHOENIX_TAG) != "true":
        report(f"tag {PHOENIX_TAG}=true is missing")


RULE = resource_rule(
    name="tagging-resource-phoenix-expiry",
    description="On phoenix stacks, taggable AWS resources carry mlops:phoenix=true and a UTC mlops:expires-at.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Create phoenix stacks with `mlopsctl phoenix up`, which sets mlops:phoenix.expiresAt (UTC).",
    resource_types=tuple(sorted(TAGGABLE_TYPES)),
    check=_check,
)
