"""Durations, timestamps and the safety verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mlopsctl.phoenix.expiry import (
    ExpiryError,
    expiry_after,
    format_timestamp,
    is_phoenix_marked,
    judge,
    parse_duration,
    parse_timestamp,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8h", timedelta(hours=8)),
        ("90m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 1W ", timedelta(weeks=1)),
        ("600s", timedelta(minutes=10)),
    ],
)
def test_parse_duration_accepts_units(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "8", "h", "8x", "-8h", "0h", "8h garbage", "1.5h"])
def test_parse_duration_rejects_malformed(text: str) -> None:
    with pytest.raises(ExpiryError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["5m", "45s", "99d", "3w"])
def test_cli_ttl_has_the_stack_configs_bounds(text: str) -> None:
    # One grammar and one range for `phoenix up --ttl` and `mlops:phoenix.ttl` (contracts.duration).
    from components.config import PhoenixConfig

    with pytest.raises(ExpiryError, match=r"outside 10m\.\.14d"):
        parse_duration(text)
    with pytest.raises(ValueError, match=r"outside 10m\.\.14d"):
        PhoenixConfig(ttl=text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-01T10:00:00Z", datetime(2026, 6, 1, 10, tzinfo=UTC)),
        ("2026-06-01T12:00:00+02:00", datetime(2026, 6, 1, 10, tzinfo=UTC)),
        ("2026-06-01T10:00:00.5z", datetime(2026, 6, 1, 10, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_normalises_to_utc(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected
    assert parse_timestamp(text).tzinfo == UTC


def test_parse_timestamp_rejects_naive_and_garbage() -> None:
    with pytest.raises(ExpiryError, match="no UTC offset"):
        parse_timestamp("2026-06-01T10:00:00")
    with pytest.raises(ExpiryError, match="ISO-8601"):
        parse_timestamp("next tuesday")


def test_expiry_is_canonical_utc_seconds() -> None:
    start = datetime(2026, 6, 1, 9, 30, 15, 999, tzinfo=UTC)
    assert expiry_after(start, timedelta(hours=8)) == "2026-06-01T17:30:15Z"
    assert format_timestamp(datetime(2026, 6, 1, 12, tzinfo=UTC).astimezone()) == "2026-06-01T12:00:00Z"
    with pytest.raises(ExpiryError):
        format_timestamp(datetime(2026, 6, 1))


@pytest.mark.parametrize(
    ("tags", "eligible", "reason"),
    [
        ({"mlops:phoenix": "true", "mlops:expires-at": "2026-05-31T23:59:59Z"}, True, "expired at"),
        ({"mlops:phoenix": "true", "mlops:expires-at": "2026-06-01T00:00:00Z"}, False, "not yet expired"),
        ({"mlops:phoenix": "true", "mlops:expires-at": "2026-07-01T00:00:00Z"}, False, "not yet expired"),
        ({"mlops:phoenix": "true", "mlops:expires-at": "soon"}, False, "unparseable"),
        ({"mlops:phoenix": "true", "mlops:expires-at": "2026-05-01T00:00:00"}, False, "unparseable"),
        ({"mlops:phoenix": "true"}, False, "no mlops:expires-at"),
        ({"mlops:phoenix": "false", "mlops:expires-at": "2026-05-01T00:00:00Z"}, False, "only 'true'"),
        ({"mlops:phoenix": "True", "mlops:expires-at": "2026-05-01T00:00:00Z"}, False, "only 'true'"),
        ({"mlops:expires-at": "2026-05-01T00:00:00Z", "mlops:environment": "prod"}, False, "no mlops:phoenix"),
        ({}, False, "no mlops:phoenix"),
    ],
)
def test_judge_requires_both_tags_and_a_past_expiry(tags: dict[str, str], eligible: bool, reason: str) -> None:
    verdict = judge(tags, NOW)
    assert verdict.eligible is eligible
    assert reason in verdict.reason


def test_phoenix_marked_means_either_tag() -> None:
    assert is_phoenix_marked({"mlops:phoenix": "false"})
    assert is_phoenix_marked({"mlops:expires-at": "x"})
    assert not is_phoenix_marked({"mlops:environment": "pr-1", "Name": "x"})
