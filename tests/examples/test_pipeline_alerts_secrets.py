"""Alerts never carry secrets: values under secret-looking context keys are never copied and are redacted
wherever they show up (an exception message, a check detail); context accessors are never read."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from pipeline_alerts.alerts import (
    REDACTED,
    build_alert,
    failure_from_context,
    is_sensitive_key,
    on_failure_alert,
    redact,
    secret_values,
)
from pipeline_alerts.validation import CheckResult, ValidationFailed, ValidationReport
from pipeline_alerts_testkit import ParamsMapping, task_context

DB_PASSWORD = "pg-Pa55w0rd-7f3a9c"
API_TOKEN = "xoxb-1234-abcdef-token"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
VARIABLE_SECRET = "vault-s.Zx9QmT41"
CONF_SECRET = "conf-secret-Q8v2Lw"


def secret_context(error: BaseException | None) -> dict[str, Any]:
    return task_context(
        error,
        params=ParamsMapping(
            {"key": "orders/batch.csv", "db_password": DB_PASSWORD, "nested": {"api_token": API_TOKEN}}
        ),
        dag_run=SimpleNamespace(conf={"key": "orders/batch.csv", "upstream": {"client_secret": CONF_SECRET}}),
        aws_secret_access_key=AWS_SECRET,
        var={"value": {"SECRET_PASSPHRASE": VARIABLE_SECRET}},
        connection_extras=[{"Authorization": f"Bearer {API_TOKEN}"}],
    )


class FakeSns:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(kwargs)
        return {"MessageId": "m-1"}


def published(context: dict[str, Any]) -> str:
    sns = FakeSns()
    topic = "arn:aws:sns:eu-west-1:123456789012:alerts"
    assert on_failure_alert(context, client=sns, environ={"MLOPS_ALERT_TOPIC_ARN": topic}) == "m-1"
    [call] = sns.calls
    # Everything SNS receives, decoded once more so JSON escaping cannot hide a value from the check.
    return json.dumps(call) + json.dumps(json.loads(call["Message"]), ensure_ascii=False)


def assert_no_secret(text: str) -> None:
    for secret in (DB_PASSWORD, API_TOKEN, AWS_SECRET, VARIABLE_SECRET, CONF_SECRET, "Pa55w0rd"):
        assert secret not in text


def test_secret_values_come_from_secret_looking_keys_only() -> None:
    values = secret_values(secret_context(None))
    assert values == {DB_PASSWORD, API_TOKEN, AWS_SECRET, VARIABLE_SECRET, CONF_SECRET, f"Bearer {API_TOKEN}"}
    assert "orders/batch.csv" not in values
    for key in ("db_password", "AWS_SECRET_ACCESS_KEY", "api_key", "Authorization", "x_credentials"):
        assert is_sensitive_key(key)
    for key in ("key", "bucket", "run_id", "task_id", "monkey"):
        assert not is_sensitive_key(key)


def test_an_exception_quoting_a_secret_is_redacted() -> None:
    error = RuntimeError(
        f"connect postgresql://etl:{DB_PASSWORD}@db:5432/orders failed; token={API_TOKEN}; conf {CONF_SECRET}"
    )
    text = published(secret_context(error))
    assert_no_secret(text)
    assert f"postgresql://etl:{REDACTED}@db:5432/orders" in text


def test_a_validation_failure_never_copies_context_secrets() -> None:
    report = ValidationReport(
        source="s3://raw/orders/batch.csv",
        rows=3,
        checks=(
            CheckResult("not_null", passed=False, detail=f"odd {AWS_SECRET}", column="customer_id", failing_rows=1),
        ),
    )
    text = published(secret_context(ValidationFailed(report)))
    assert_no_secret(text)
    assert "not_null:customer_id" in text


def test_the_callback_run_without_an_exception_carries_no_secret() -> None:
    assert_no_secret(published(secret_context(None)))


def test_accessors_are_never_read() -> None:
    # task_context puts objects that raise when read or iterated under "conn", "var", "macros",
    # "inlet_events" and "triggering_asset_events" (the task SDK's lazy accessors call the API server).
    failure = failure_from_context(secret_context(RuntimeError("boom")), environ={})
    build_alert(failure)


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("a secret-long and secret", ["secret-long", "secret"], f"a {REDACTED} and {REDACTED}"),
        ("nothing here", ["absent"], "nothing here"),
        ("empty secrets", [""], "empty secrets"),
    ],
)
def test_redact_longest_first(text: str, secrets: list[str], expected: str) -> None:
    assert redact(text, secrets) == expected
