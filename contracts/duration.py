"""The one grammar for lifetimes (phoenix TTLs) and UTC timestamps, read by the stack config and the CLI."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

TTL_MIN = timedelta(minutes=10)
"""Shortest phoenix lifetime: less cannot even finish a deployment."""
TTL_MAX = timedelta(days=14)
"""Longest phoenix lifetime: an ephemeral environment is not a second dev."""


def duration(text: str) -> timedelta | None:
    """A duration such as ``8h``, ``90m``, ``2d`` or ``1h30m`` (units s, m, h, d, w), or None when malformed."""
    compact = text.strip().lower()
    if not compact or _DURATION.sub("", compact):
        return None
    return timedelta(seconds=sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION.findall(compact)))


def parse_ttl(text: str) -> timedelta:
    """A phoenix lifetime (see :func:`duration`) between :data:`TTL_MIN` and :data:`TTL_MAX`; ValueError otherwise."""
    delta = duration(text)
    if delta is None:
        raise ValueError(f"{text!r} is not a duration; use e.g. 8h, 90m, 2d or 1h30m")
    if not TTL_MIN <= delta <= TTL_MAX:
        raise ValueError(f"{text!r} is outside 10m..14d")
    return delta


def parse_utc(text: str) -> datetime:
    """Parse an ISO-8601 timestamp that carries a UTC offset (``2026-11-23T12:00:00Z``)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValueError(f"{text!r} must be a UTC timestamp ending in Z or +00:00")
    return value.astimezone(UTC)
