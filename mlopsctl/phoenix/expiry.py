"""Time arithmetic for phoenix environments: TTL durations, expiry timestamps, and the safety verdict.

The verdict is the one gate every deletion passes: a resource is eligible only when it carries both
``mlops:phoenix=true`` and a parseable ``mlops:expires-at`` that lies in the past. Anything else is
kept, with the reason recorded for the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts import tags
from contracts.duration import parse_ttl

PHOENIX_TAG = tags.PHOENIX
EXPIRES_TAG = tags.EXPIRES_AT
ENVIRONMENT_TAG = tags.ENVIRONMENT
OWNER_TAG = tags.OWNER


class ExpiryError(ValueError):
    """A duration or timestamp given by the user (CLI option or config) cannot be parsed."""


def parse_duration(text: str) -> timedelta:
    """Parse a TTL such as ``8h``, ``90m``, ``2d`` or ``1h30m`` with the stack config's own grammar and
    bounds (10m..14d, :func:`contracts.duration.parse_ttl`), so the CLI never accepts what the program
    would reject. Raises ExpiryError."""
    try:
        return parse_ttl(text)
    except ValueError as exc:
        raise ExpiryError(f"invalid duration: {exc}") from None


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO-8601 timestamp that names its offset (``Z`` or ``+00:00``) and return it in UTC.

    A timestamp without an offset is rejected: reading it as local time or as UTC would be a guess,
    and a wrong guess could delete a live environment.
    """
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError as exc:
        raise ExpiryError(f"invalid timestamp {text!r}: expected ISO-8601 such as 2026-01-31T18:00:00Z") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ExpiryError(f"invalid timestamp {text!r}: no UTC offset (append Z for UTC)")
    return parsed.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """Render a moment as the canonical tag/config value, e.g. ``2026-01-31T18:00:00Z`` (UTC, seconds)."""
    if moment.tzinfo is None:
        raise ExpiryError("cannot format a naive datetime as an expiry; attach a timezone")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def expiry_after(now: datetime, ttl: timedelta) -> str:
    """The ``mlops:expires-at`` value for a stack brought up at ``now`` that should live for ``ttl``."""
    return format_timestamp(now + ttl)


@dataclass(frozen=True)
class Verdict:
    """Whether a tagged resource may be deleted, and why (the reason appears in the report)."""

    eligible: bool
    reason: str
    expires_at: str | None


def judge(tags: Mapping[str, str], now: datetime) -> Verdict:
    """Apply the safety filter to a resource's tags at time ``now`` (must be timezone-aware)."""
    phoenix = tags.get(PHOENIX_TAG)
    expires = tags.get(EXPIRES_TAG)
    if phoenix is None:
        return Verdict(False, f"no {PHOENIX_TAG} tag", expires)
    if phoenix != "true":
        return Verdict(False, f"{PHOENIX_TAG}={phoenix!r} (only 'true' is swept)", expires)
    if expires is None:
        return Verdict(False, f"no {EXPIRES_TAG} tag", None)
    try:
        moment = parse_timestamp(expires)
    except ExpiryError:
        return Verdict(False, f"unparseable {EXPIRES_TAG}={expires!r}", expires)
    # The rule is "expires-at before now": the exact instant still counts as alive.
    if moment >= now:
        return Verdict(False, f"not yet expired (expires {format_timestamp(moment)})", expires)
    return Verdict(True, f"expired at {format_timestamp(moment)}", expires)


def is_phoenix_marked(tags: Mapping[str, str]) -> bool:
    """True when a resource carries either phoenix tag, so a kept one is worth listing in the report."""
    return PHOENIX_TAG in tags or EXPIRES_TAG in tags
